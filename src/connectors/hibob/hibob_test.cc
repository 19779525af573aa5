#include "connectors/hibob/hibob.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class HiBobTest : public testing::RegisteredConnectorTest {
 protected:
  HiBobTest() : RegisteredConnectorTest(register_hibob, "hibob") {}

  static std::string sign(std::string_view key, std::string_view body) {
    return crypto::base64_encode(crypto::hmac_sha512(key, body));
  }
  Verification verify(std::string body, HeaderList headers) const {
    return connector_->verify(post_request(std::move(body), std::move(headers)), VerificationKeys{{secret_}});
  }
};

TEST_F(HiBobTest, SetupInstructionsNameTheWebhooksPageAndTheSecret) {
  auto plan = connector_->plan_subscriptions({Model::kHrisEmployees, Model::kHrisAbsences});
  ASSERT_EQ(plan.size(), 1u);
  SubscriptionRequest request{plan[0], "https://relay.example.com/ingress/sub_9", ""};
  const std::string text = connector_->setup_instructions(request);
  EXPECT_NE(text.find("https://relay.example.com/ingress/sub_9"), std::string::npos);
  EXPECT_NE(text.find("timeoff.request.cancelled"), std::string::npos);
  EXPECT_NE(text.find("Webhooks"), std::string::npos);
  EXPECT_NE(text.find("secret"), std::string::npos);
  EXPECT_FALSE(connector_->create_subscription(ApiContext{}, request).ok());
}

TEST_F(HiBobTest, PingTestIsAnsweredBeforeVerification) {
  for (const char* file : {"ping.txt", "ping.json"}) {
    SCOPED_TRACE(file);
    http::Request r = post_request(body_of(file), {});  // no signature: Bob has not shown the secret yet
    auto answer = connector_->handshake(r);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
    auto parsed = connector_->parse(r);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->is_ping);
    EXPECT_TRUE(parsed->events.empty());
  }
  EXPECT_TRUE(connector_->handshake(post_request("Ping test\n", {})).has_value());
  // Anything else goes through verification.
  EXPECT_FALSE(connector_->handshake(post_request(body_of("employee_created.json"), {})).has_value());
  EXPECT_FALSE(connector_->handshake(post_request(R"({"text":"Ping test","type":"employee.created"})", {})));
  EXPECT_FALSE(connector_->handshake(post_request("Ping test please", {})).has_value());
  EXPECT_FALSE(connector_->handshake(post_request("", {})).has_value());
  http::Request get = post_request("Ping test", {});
  get.method = "GET";
  EXPECT_FALSE(connector_->handshake(get).has_value());
}

TEST_F(HiBobTest, BadSignaturesAreRejected) {
  const std::string body = body_of("employee_updated.json");
  const std::string good = sign(secret_, body);
  const std::string hex = crypto::hex_encode(crypto::hmac_sha512(secret_, body));
  const std::string sha256 = crypto::base64_encode(crypto::hmac_sha256(secret_, body));
  struct Case {
    std::string body;
    HeaderList headers;
    std::string reason_part;
  };
  const Case cases[] = {
      {body + "\n", {{"Bob-Signature", good}}, "does not match"},
      {R"({"type":"employee.deleted"})", {{"Bob-Signature", good}}, "does not match"},
      {body, {{"Bob-Signature", sign("other-secret", body)}}, "does not match"},
      {body, {}, "missing Bob-Signature header"},
      {body, {{"Bob-Signature", good}, {"bob-signature", good}}, "duplicated Bob-Signature header"},
      {body, {{"Bob-Signature", good.substr(0, good.size() - 4)}}, "bytes, expected 64"},  // truncated
      {body, {{"Bob-Signature", good.substr(0, good.size() - 1)}}, "not valid base64"},
      {body, {{"Bob-Signature", hex}}, "Bob-Signature"},
      {body, {{"Bob-Signature", sha256}}, "32 bytes, expected 64"},
      {body, {{"Bob-Signature", "sha512=" + good}}, "Bob-Signature"},
      {body, {{"Bob-Signature", ""}}, "empty signature"},
      {body, {{"X-Bob-Signature", good}}, "missing Bob-Signature header"},
  };
  for (const auto& c : cases) {
    Verification v = verify(c.body, c.headers);
    EXPECT_FALSE(v.ok) << c.reason_part;
    EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << v.reason;
    EXPECT_EQ(v.reason.find(secret_), std::string::npos);
  }
  EXPECT_TRUE(verify(body, {{"bob-signature", "  " + good}}).ok);
  // No secret stored yet (the end customer has not pasted it): nothing verifies.
  EXPECT_FALSE(connector_->verify(post_request(body, {{"Bob-Signature", good}}), VerificationKeys{}).ok);
  EXPECT_FALSE(
      connector_->verify(post_request(body, {{"Bob-Signature", sign("", body)}}), VerificationKeys{{""}}).ok);
  Verification rotated =
      connector_->verify(post_request(body, {{"Bob-Signature", good}}), VerificationKeys{{"newer", secret_}});
  EXPECT_TRUE(rotated.ok);
  EXPECT_NE(rotated.scheme.find("previous secret"), std::string::npos);
}

TEST_F(HiBobTest, MalformedBodiesAreErrors) {
  auto parse = [&](std::string body) { return connector_->parse(post_request(std::move(body), {})); };
  EXPECT_FALSE(parse("").ok());
  EXPECT_FALSE(parse("Ping").ok());
  EXPECT_FALSE(parse("[]").ok());
  EXPECT_FALSE(parse("{}").ok());
  EXPECT_FALSE(parse(R"({"type":null})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.updated","data":{}})").ok());
  EXPECT_FALSE(parse(R"({"type":"employee.updated","data":{"employeeId":true}})").ok());
  EXPECT_FALSE(parse(R"({"type":"timeoff.request.approved","data":{"employeeId":"1"}})").ok());
  EXPECT_FALSE(parse(R"({"type":"timeoff.request.approved","data":[1]})").ok());
  auto unknown = parse(R"({"type":"table.entry.created","data":{"employeeId":"1"}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->events.empty());
  // The legacy spelling is understood too.
  auto canceled = parse(R"({"type":"timeoff.request.canceled","data":{"timeoffRequestId":7}})");
  ASSERT_TRUE(canceled.ok());
  ASSERT_EQ(canceled->events.size(), 1u);
  EXPECT_EQ(canceled->events[0].remote_id, "7");
  EXPECT_TRUE(canceled->delivery_id.empty());  // no triggeredAt
}

}  // namespace
}  // namespace tributary::connectors
