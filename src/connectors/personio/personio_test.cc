#include "connectors/personio/personio.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "connectors/common/test_support.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class PersonioTest : public testing::RegisteredConnectorTest {
 protected:
  PersonioTest() : RegisteredConnectorTest(register_personio, "personio") {}

  Verification verify_with(HeaderList headers) const {
    return connector_->verify(post_request(body_of("person_created.json"), std::move(headers)),
                              VerificationKeys{{secret_}});
  }
};

TEST_F(PersonioTest, WrongMissingAndDuplicatedTokensAreRejected) {
  struct Case {
    HeaderList headers;
    std::string reason_part;
  };
  const Case cases[] = {
      {{}, "missing Authorization header"},
      {{{"Authorization", secret_}, {"authorization", secret_}}, "duplicated Authorization header"},
      {{{"Authorization", "wrong-token"}}, "does not carry"},
      {{{"Authorization", secret_.substr(0, secret_.size() - 1)}}, "does not carry"},  // truncated
      {{{"Authorization", secret_ + "x"}}, "does not carry"},                          // extended
      {{{"Authorization", "Bearer wrong-token"}}, "does not carry"},
      {{{"Authorization", "Basic " + secret_}}, "does not carry"},
      {{{"Authorization", "Bearer"}}, "does not carry"},
      {{{"Authorization", ""}}, "does not carry"},
      {{{"X-Personio-Token", secret_}}, "missing Authorization header"},
  };
  for (const auto& c : cases) {
    Verification v = verify_with(c.headers);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << v.reason;
    EXPECT_EQ(v.reason.find(secret_), std::string::npos);
  }
}

TEST_F(PersonioTest, TokenFormsAndRotation) {
  EXPECT_TRUE(verify_with({{"authorization", "bearer " + secret_}}).ok);
  EXPECT_FALSE(connector_->verify(post_request("{}", {{"Authorization", secret_}}), VerificationKeys{}).ok);
  EXPECT_FALSE(connector_->verify(post_request("{}", {{"Authorization", ""}}), VerificationKeys{{""}}).ok);
  Verification v = connector_->verify(post_request("{}", {{"Authorization", secret_}}),
                                      VerificationKeys{{"new-token", secret_}});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous secret"), std::string::npos);
}

TEST_F(PersonioTest, IdsAreToleratedUnderTheirOtherNames) {
  auto person = parse_json(R"({"company_id":"1","event_name":"person.updated","occurred_at":"t",
                               "payload":{"employee_id":99}})");
  ASSERT_TRUE(person.ok());
  ASSERT_EQ(person->events.size(), 1u);
  EXPECT_EQ(person->events[0].remote_id, "99");
  // payload.id wins when present.
  auto both =
      parse_json(R"({"event_name":"person.updated","occurred_at":"t","payload":{"person_id":1,"id":2}})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->events[0].remote_id, "2");
  // absence ids are not taken from person fields.
  auto absence =
      parse_json(R"({"event_name":"absence-period.created","occurred_at":"t","payload":{"person_id":1}})");
  EXPECT_FALSE(absence.ok());
}

TEST_F(PersonioTest, DeliveryIdIsStableAcrossRedeliveriesAndEmptyWithoutATime) {
  const std::string body = body_of("person_updated.json");
  auto first = parse_json(body);
  auto again = parse_json(body);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->delivery_id, again->delivery_id);
  EXPECT_EQ(first->delivery_id, "person.updated:4711802:2024-11-05T10:01:02.000Z");

  auto later = parse_json(
      R"({"event_name":"person.updated","occurred_at":"2024-11-05T10:05:00Z","payload":{"id":"4711802"}})");
  ASSERT_TRUE(later.ok());
  EXPECT_NE(later->delivery_id, first->delivery_id);

  auto no_time = parse_json(R"({"event_name":"person.updated","payload":{"id":"4711802"}})");
  ASSERT_TRUE(no_time.ok());
  EXPECT_EQ(no_time->delivery_id, "");
  ASSERT_EQ(no_time->events.size(), 1u);
}

TEST_F(PersonioTest, MalformedBodiesAreInvalidArgument) {
  const char* bodies[] = {
      "",
      "not json",
      "[1]",
      R"({"payload":{"id":"1"}})",
      R"({"event_name":"","payload":{"id":"1"}})",
      R"({"event_name":"person.created"})",
      R"({"event_name":"person.created","payload":"1"})",
      R"({"event_name":"person.created","payload":{}})",
      R"({"event_name":"person.deleted","payload":{"id":{}}})",
      R"({"event_name":"absence-period.updated.status","payload":{"id":true}})",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    auto parsed = parse_json(body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidArgument);
  }
  // Events we do not relay need no id.
  EXPECT_TRUE(parse_json(R"({"event_name":"absence-period.deleted","payload":{}})").ok());
  EXPECT_TRUE(parse_json(R"({"event_name":"document.created","payload":{}})").ok());
}

}  // namespace
}  // namespace tributary::connectors
