#include "connectors/lever/lever.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class LeverTest : public ::testing::Test {
 protected:
  LeverTest() {
    vectors_ = read_testdata_json("lever/testdata/vectors.json");
    key_ = std::string(vectors_.at("secret").as_string());
    connector_ = make_lever_connector(clock_);
    set_now_ms(1480114256364 + 1000);
  }

  void set_now_ms(Millis ms) { clock_.set(ms); }

  static std::string body_of(std::string_view file) {
    return read_testdata("lever/testdata/" + std::string(file));
  }

  Verification verify(std::string body) const {
    return connector_->verify(post_request(std::move(body), {{"Content-Type", "application/json"}}),
                              VerificationKeys{{key_}});
  }
  Result<ParsedEvent> parse(std::string body) const {
    return connector_->parse(post_request(std::move(body), {}));
  }

  // application_created.json with one field replaced.
  static std::string with(std::string_view key, bj::value value) {
    bj::object o = bj::parse(body_of("application_created.json")).as_object();
    o[key] = std::move(value);
    return json::serialize(o);
  }

  testing::ManualClock clock_;
  std::unique_ptr<Connector> connector_;
  bj::value vectors_;
  std::string key_;
};

TEST_F(LeverTest, AcceptsRotatedTokensUpperCaseHexAndStringTimestamps) {
  const std::string body = body_of("application_created.json");
  auto v = connector_->verify(post_request(body, {}), VerificationKeys{{"newer", key_}});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous"), std::string::npos);
  bj::object o = bj::parse(body).as_object();
  std::string upper(o.at("signature").as_string());
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(verify(with("signature", bj::value(upper))).ok);
  EXPECT_TRUE(verify(with("triggeredAt", "1480114256364")).ok);
}

TEST_F(LeverTest, RejectsForgeries) {
  const std::string sig(bj::parse(body_of("application_created.json")).at("signature").as_string());
  struct Case {
    std::string name;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"other token", with("token", "5a0b8e3c1d2f4e6a9b7c0d1e2f3a4b5d")},
      {"other triggeredAt", with("triggeredAt", 1480114256365)},
      {"fractional triggeredAt", with("triggeredAt", 1480114256364.0)},
      {"negative triggeredAt", with("triggeredAt", -1)},
      {"triggeredAt not digits", with("triggeredAt", "1480114256364x")},
      {"missing triggeredAt", with("triggeredAt", nullptr)},
      {"token not a string", with("token", 42)},
      {"empty token", with("token", "")},
      {"missing signature", with("signature", nullptr)},
      {"signature not a string", with("signature", 1)},
      {"truncated signature", with("signature", bj::value(sig.substr(0, 62)))},
      {"signature with prefix", with("signature", bj::value("sha256=" + sig))},
      {"signature not hex", with("signature", bj::value(sig.substr(0, 63) + "z"))},
      {"signature in base64", with("signature", bj::value(crypto::base64_encode(*crypto::hex_decode(sig))))},
      {"not json", "signature=" + sig},
      {"json array", "[]"},
  };
  for (const auto& c : cases) {
    auto v = verify(c.body);
    EXPECT_FALSE(v.ok) << c.name;
    EXPECT_FALSE(v.reason.empty()) << c.name;
    EXPECT_EQ(v.reason.find(key_), std::string::npos) << c.name;
  }
  const std::string body = body_of("application_created.json");
  EXPECT_FALSE(connector_->verify(post_request(body, {}), VerificationKeys{{"wrong-token"}}).ok);
  EXPECT_FALSE(connector_->verify(post_request(body, {}), VerificationKeys{{}}).ok);
  EXPECT_FALSE(connector_->verify(post_request(body, {}), VerificationKeys{{""}}).ok);
}

// A retry Lever sends hours later still verifies (replays are stopped by the dedupe key instead).
TEST_F(LeverTest, FreshnessWindow) {
  const std::string body = body_of("application_created.json");
  set_now_ms(1480114256364 + 11 * 60 * 1000);
  EXPECT_TRUE(verify(body).ok);
  set_now_ms(1480114256364 + 71LL * 3600 * 1000);
  EXPECT_TRUE(verify(body).ok);
  set_now_ms(1480114256364 + 73LL * 3600 * 1000);
  auto v = verify(body);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("triggeredAt"), std::string::npos);
  set_now_ms(1480114256364 - 4 * 60 * 1000);
  EXPECT_TRUE(verify(body).ok);
  set_now_ms(1480114256364 - 6 * 60 * 1000);
  EXPECT_FALSE(verify(body).ok);
  // The real clock: the 2016 example is long stale.
  Registry registry;
  register_lever(registry);
  EXPECT_FALSE(registry.find("lever")->verify(post_request(body, {}), VerificationKeys{{key_}}).ok);
}

TEST_F(LeverTest, ParsesEveryFedEvent) {
  auto p = parse(body_of("application_created.json"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->vendor_event, "applicationCreated");
  // The signed pair is the dedupe key, not the unsigned id or event name.
  EXPECT_EQ(p->delivery_id, "5a0b8e3c1d2f4e6a9b7c0d1e2f3a4b5c:1480114256364");
  auto renamed = parse(with("event", "candidateDeleted"));
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->delivery_id, p->delivery_id);
  auto reid = parse(with("id", "another-id"));
  ASSERT_TRUE(reid.ok());
  EXPECT_EQ(reid->delivery_id, p->delivery_id);
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].model, Model::kAtsCandidates);
  EXPECT_EQ(p->events[0].action, Action::kCreated);
  EXPECT_EQ(p->events[0].remote_id, "250d8f03-738a-4bba-a671-8a3d73477145");

  p = parse(body_of("candidate_deleted.json"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].action, Action::kDeleted);
  EXPECT_EQ(p->events[0].remote_id, "250d8f03-738a-4bba-a671-8a3d73477145");

  // Before the opportunities migration: candidateId, and no delivery id (token + triggeredAt stand in).
  p = parse(body_of("legacy_candidate_id.json"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].remote_id, "250d8f03-738a-4bba-a671-8a3d73477145");
  EXPECT_EQ(p->delivery_id, "5a0b8e3c1d2f4e6a9b7c0d1e2f3a4b5c:1480114256364");
}

TEST_F(LeverTest, UnfedEventsMapToNothing) {
  for (const char* event : {"candidateStageChange", "candidateArchiveChange", "candidateHired",
                            "interviewCreated", "contactUpdated", "somethingNew"}) {
    auto p = parse(with("event", event));
    ASSERT_TRUE(p.ok()) << event;
    EXPECT_EQ(p->vendor_event, event);
    EXPECT_TRUE(p->events.empty()) << event;
  }
  auto p = parse(body_of("candidate_stage_change.json"));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->events.empty());
}

TEST_F(LeverTest, MalformedBodiesAreErrors) {
  EXPECT_FALSE(parse("nope").ok());
  EXPECT_FALSE(parse("[]").ok());
  EXPECT_FALSE(parse(with("event", nullptr)).ok());
  EXPECT_FALSE(parse(with("event", 3)).ok());
  EXPECT_FALSE(parse(with("data", nullptr)).ok());
  EXPECT_FALSE(parse(with("data", "x")).ok());
  // Lever's connection test: the event without a record in it is answered as a test, not refused.
  auto test_delivery = parse(with("data", bj::object{{"applicationId", "a"}}));
  ASSERT_TRUE(test_delivery.ok());
  EXPECT_TRUE(test_delivery->is_ping);
  EXPECT_TRUE(test_delivery->events.empty());
  EXPECT_FALSE(parse(with("data", bj::object{{"opportunityId", bj::array{}}})).ok());
  // A hostile id is not used as a dedupe key.
  auto p = parse(with("id", bj::value(std::string(500, 'x'))));
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->delivery_id, std::string(500, 'x'));
}

}  // namespace
}  // namespace tributary::connectors
