#include "connectors/bamboohr/bamboohr.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class BambooHrTest : public ::testing::Test {
 protected:
  BambooHrTest() {
    vectors_ = read_testdata_json("bamboohr/testdata/vectors.json");
    key_ = std::string(vectors_.at("secret").as_string());
    clock_.set(*parse_iso8601(vectors_.at("now").as_string()));
    connector_ = make_bamboohr_connector(clock_);
  }

  static std::string body_of(std::string_view file) {
    return read_testdata("bamboohr/testdata/" + std::string(file));
  }

  static std::string sign(std::string_view key, std::string_view body, std::string_view ts) {
    return crypto::hex_encode(crypto::hmac_sha256(key, std::string(body) + std::string(ts)));
  }

  Verification verify(std::string body, HeaderList headers, std::vector<std::string> keys = {}) const {
    if (keys.empty()) keys = {key_};
    return connector_->verify(post_request(std::move(body), std::move(headers)), VerificationKeys{keys});
  }

  testing::ManualClock clock_;
  std::unique_ptr<Connector> connector_;
  bj::value vectors_;
  std::string key_;
};

// A company domain that would change the host gives the vendor's apex host, never another one.
TEST_F(BambooHrTest, DefaultBaseUrlKeepsTheCompanyDomainInsideBambooHr) {
  bj::object creds{{"api_key", "k"}, {"company_domain", "evil.com/x"}};
  EXPECT_EQ(connector_->default_base_url(creds).find("evil"), std::string::npos);
}

TEST_F(BambooHrTest, BadSignaturesAreRejected) {
  const std::string body = body_of("employee_updated.json");
  const std::string ts = "1769884920";
  const std::string good = sign(key_, body, ts);
  struct Case {
    std::string body;
    HeaderList headers;
    std::string reason_part;
  };
  std::string upper = good;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const Case cases[] = {
      {body + " ",
       {{"X-BambooHR-Signature", good}, {"X-BambooHR-Timestamp", ts}},
       "does not match"},  // tampered
      {body,
       {{"X-BambooHR-Signature", sign("wrong-key", body, ts)}, {"X-BambooHR-Timestamp", ts}},
       "does not match"},
      {body,
       {{"X-BambooHR-Signature", sign(key_, body, "")}, {"X-BambooHR-Timestamp", ts}},
       "does not match"},
      {body, {{"X-BambooHR-Signature", good}, {"X-BambooHR-Timestamp", "1769884921"}}, "does not match"},
      {body, {{"X-BambooHR-Timestamp", ts}}, "missing X-BambooHR-Signature header"},
      {body, {{"X-BambooHR-Signature", good}}, "missing X-BambooHR-Timestamp header"},
      {body,
       {{"X-BambooHR-Signature", good}, {"x-bamboohr-signature", good}, {"X-BambooHR-Timestamp", ts}},
       "duplicated X-BambooHR-Signature header"},
      {body,
       {{"X-BambooHR-Signature", good}, {"X-BambooHR-Timestamp", ts}, {"X-BambooHR-Timestamp", ts}},
       "duplicated X-BambooHR-Timestamp header"},
      {body,
       {{"X-BambooHR-Signature", good.substr(0, 63)}, {"X-BambooHR-Timestamp", ts}},
       "63 hex characters"},
      {body, {{"X-BambooHR-Signature", "sha256=" + good}, {"X-BambooHR-Timestamp", ts}}, "hex characters"},
      {body,
       {{"X-BambooHR-Signature", std::string(64, 'z')}, {"X-BambooHR-Timestamp", ts}},
       "not hexadecimal"},
      {body,
       {{"X-BambooHR-Signature", crypto::base64_encode(crypto::hmac_sha256(key_, body + ts))},
        {"X-BambooHR-Timestamp", ts}},
       "hex characters"},
      {body, {{"X-BambooHR-Signature", ""}, {"X-BambooHR-Timestamp", ts}}, "empty signature"},
      {body, {{"X-BambooHR-Signature", good}, {"X-BambooHR-Timestamp", "yesterday"}}, "not a Unix time"},
      {body, {{"X-BambooHR-Signature", good}, {"X-BambooHR-Timestamp", ""}}, "not a Unix time"},
  };
  for (const auto& c : cases) {
    Verification v = verify(c.body, c.headers);
    EXPECT_FALSE(v.ok) << c.reason_part;
    EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << v.reason;
    EXPECT_EQ(v.reason.find(key_), std::string::npos);
  }
  // Upper-case hex is the same digest.
  EXPECT_TRUE(verify(body, {{"X-BambooHR-Signature", upper}, {"X-BambooHR-Timestamp", ts}}).ok);
}

TEST_F(BambooHrTest, StaleAndFutureTimestampsAreRejected) {
  const std::string body = body_of("employee_created.json");
  auto at = [&](Millis when_ms, bool iso) {
    const std::string ts = iso ? format_iso8601(when_ms) : std::to_string(when_ms / 1000);
    return verify(body, {{"X-BambooHR-Signature", sign(key_, body, ts)}, {"X-BambooHR-Timestamp", ts}});
  };
  const Millis now = clock_.now_ms();
  EXPECT_TRUE(at(now, false).ok);
  EXPECT_TRUE(at(now - 4 * 60 * 1000, false).ok);
  EXPECT_TRUE(at(now + 4 * 60 * 1000, true).ok);
  Verification stale = at(now - 6 * 60 * 1000, false);
  EXPECT_FALSE(stale.ok);
  EXPECT_NE(stale.reason.find("older than 5 minutes"), std::string::npos) << stale.reason;
  EXPECT_FALSE(at(now - 6 * 60 * 1000, true).ok);
  Verification future = at(now + 6 * 60 * 1000, false);
  EXPECT_FALSE(future.ok);
  EXPECT_NE(future.reason.find("in the future"), std::string::npos) << future.reason;
  // Milliseconds are understood too.
  const std::string ms = std::to_string(now);
  EXPECT_TRUE(
      verify(body, {{"X-BambooHR-Signature", sign(key_, body, ms)}, {"X-BambooHR-Timestamp", ms}}).ok);
  // A valid signature over a stale timestamp stays stale when the clock moves on.
  clock_.advance(10 * 60 * 1000);
  EXPECT_FALSE(at(now, false).ok);
}

TEST_F(BambooHrTest, KeysAndRotation) {
  const std::string body = body_of("employee_updated.json");
  const std::string ts = "1769884920";
  HeaderList headers{{"X-BambooHR-Signature", sign(key_, body, ts)}, {"X-BambooHR-Timestamp", ts}};
  EXPECT_FALSE(connector_->verify(post_request(body, headers), VerificationKeys{}).ok);
  EXPECT_FALSE(connector_->verify(post_request(body, headers), VerificationKeys{{""}}).ok);
  Verification v = verify(body, headers, {"the-new-key", key_});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous secret"), std::string::npos);
}

TEST_F(BambooHrTest, MalformedBodiesAreErrors) {
  auto parse = [&](std::string body) { return connector_->parse(post_request(std::move(body), {})); };
  EXPECT_FALSE(parse("").ok());
  EXPECT_FALSE(parse("{").ok());
  EXPECT_FALSE(parse("[]").ok());
  EXPECT_FALSE(parse("{}").ok());
  EXPECT_FALSE(parse(R"({"type":7})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.updated"})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.updated","data":{"employeeId":null}})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.updated","data":{"employeeId":{"x":1}}})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.deleted","data":"67890"})").ok());
  EXPECT_FALSE(parse(R"({"employees":{}})").ok());
  EXPECT_FALSE(parse(R"({"employees":[1]})").ok());
  EXPECT_FALSE(parse(R"({"employees":[{"action":"Updated"}]})").ok());
  EXPECT_FALSE(parse(R"({"employees":[{"id":"1"}]})").ok());
  EXPECT_FALSE(parse("data[employeeId]=1").ok());
  EXPECT_FALSE(parse(std::string(1, '\0')).ok());
  // Unknown events and actions are accepted and map to nothing.
  auto unknown = parse(R"({"type":"employee.promoted","data":{"employeeId":"1"}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->events.empty());
  auto odd_action = parse(R"({"employees":[{"action":"Rehired","id":"5"}]})");
  ASSERT_TRUE(odd_action.ok());
  EXPECT_TRUE(odd_action->events.empty());
  // A timestamp too long for a dedupe key is left out of it.
  auto long_ts = parse(R"({"type":"employee.updated","timestamp":")" + std::string(100, '1') +
                       R"(","data":{"employeeId":"1"}})");
  ASSERT_TRUE(long_ts.ok());
  EXPECT_TRUE(long_ts->delivery_id.empty());
}

}  // namespace
}  // namespace tributary::connectors
