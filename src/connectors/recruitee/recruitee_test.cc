#include "connectors/recruitee/recruitee.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class RecruiteeTest : public testing::RegisteredConnectorTest {
 protected:
  RecruiteeTest() : RegisteredConnectorTest(register_recruitee, "recruitee") {}

  std::string sign(std::string_view body) const {
    return crypto::hex_encode(crypto::hmac_sha256(secret_, body));
  }
  http::Request signed_request(std::string body) const {
    std::string sig = sign(body);
    return post_request(std::move(body),
                        {{"Content-Type", "application/json"}, {"X-Recruitee-Signature", sig}});
  }
};

TEST_F(RecruiteeTest, SetupInstructionsNameTheWebhooksPage) {
  SubscriptionRequest request;
  request.ingress_url = "https://relay.example.com/ingress/sub_2";
  request.event_types = {"candidate_created", "offer_published"};
  const std::string text = connector_->setup_instructions(request);
  EXPECT_NE(text.find("Settings > Apps and Plugins > Webhooks"), std::string::npos);
  EXPECT_NE(text.find(request.ingress_url), std::string::npos);
  EXPECT_NE(text.find("offer_published"), std::string::npos);
  EXPECT_NE(text.find("secret"), std::string::npos);
}

// The test request is answered before any secret exists, and nothing is forwarded.
TEST_F(RecruiteeTest, TestRequestIsAnsweredBeforeVerification) {
  for (const char* file : {"test.json", "test_payload.json"}) {
    SCOPED_TRACE(file);
    http::Request r = post_request(
        body_of(file), {{"Content-Type", "application/json"}, {"User-Agent", "Recruitee-Webhooks"}});
    auto answer = connector_->handshake(r);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 200);
    // Should it reach parse, it is a ping and forwards nothing.
    auto parsed = connector_->parse(r);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->is_ping);
    EXPECT_TRUE(parsed->events.empty());
  }
  // Not a handshake: real deliveries, "test": false, non-JSON, GET.
  EXPECT_FALSE(connector_->handshake(signed_request(body_of("candidate_created.json"))).has_value());
  EXPECT_FALSE(connector_->handshake(post_request(R"({"test":false})", {})).has_value());
  EXPECT_FALSE(connector_->handshake(post_request(R"({"test":"true"})", {})).has_value());
  EXPECT_FALSE(connector_->handshake(post_request("test", {})).has_value());
  http::Request get = post_request(R"({"test":true})", {});
  get.method = "GET";
  EXPECT_FALSE(connector_->handshake(get).has_value());
}

TEST_F(RecruiteeTest, SignatureForms) {
  const std::string body = body_of("candidate_created.json");
  const std::string hex = sign(body);
  std::string upper = hex;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(verify(post_request(body, {{"X-Recruitee-Signature", upper}})).ok);
  Verification v = verify(post_request(body, {{"X-Recruitee-Signature", "sha256=" + hex}}));
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.scheme, "hmac-sha256 hex of the body in X-Recruitee-Signature (sha256=<hex>)");
  EXPECT_TRUE(verify(post_request(body, {{"x-recruitee-signature", " " + hex + " "}})).ok);
}

TEST_F(RecruiteeTest, RejectsForgeries) {
  const std::string body = body_of("candidate_created.json");
  const std::string hex = sign(body);
  std::string tampered = body;
  tampered.replace(tampered.find("2345"), 4, "2346");
  const std::vector<std::pair<std::string, HeaderList>> bad = {
      {"tampered body", {{"X-Recruitee-Signature", hex}}},
      {"missing header", {}},
      {"duplicated header", {{"X-Recruitee-Signature", hex}, {"X-Recruitee-Signature", hex}}},
      {"truncated", {{"X-Recruitee-Signature", hex.substr(0, 62)}}},
      {"wrong prefix", {{"X-Recruitee-Signature", "sha1=" + hex}}},
      {"base64 instead of hex",
       {{"X-Recruitee-Signature", crypto::base64_encode(crypto::hmac_sha256(secret_, body))}}},
      {"not hex", {{"X-Recruitee-Signature", std::string(64, 'g')}}},
      {"empty", {{"X-Recruitee-Signature", ""}}},
  };
  for (const auto& [label, headers] : bad) {
    SCOPED_TRACE(label);
    Verification v = verify(post_request(label == "tampered body" ? tampered : body, headers));
    EXPECT_FALSE(v.ok);
    EXPECT_FALSE(v.reason.empty());
    EXPECT_EQ(v.reason.find(secret_), std::string::npos);
  }
  // Wrong key; no key; a rotation's previous key.
  Verification v =
      connector_->verify(post_request(body, {{"X-Recruitee-Signature", hex}}), VerificationKeys{{"other"}});
  EXPECT_FALSE(v.ok);
  v = connector_->verify(post_request(body, {{"X-Recruitee-Signature", hex}}), VerificationKeys{});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("no secret"), std::string::npos);
  v = connector_->verify(post_request(body, {{"X-Recruitee-Signature", hex}}),
                         VerificationKeys{{"new", secret_}});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous secret"), std::string::npos);
}

TEST_F(RecruiteeTest, MalformedBodiesAreParseErrors) {
  const std::vector<std::string> bodies = {
      "",
      "nope",
      "[1]",
      R"({"payload":{}})",
      R"({"event_type":5})",
      R"({"event_type":"candidate_created"})",
      R"({"event_type":"candidate_created","payload":[]})",
      R"({"event_type":"candidate_created","payload":{}})",
      R"({"event_type":"candidate_created","payload":{"candidate":{"id":{"x":1}}}})",
      R"({"event_type":"offer_published","payload":{"offer":{"id":"../../x"}}})",
      R"({"event_type":"offer_published","payload":{"candidate":{"id":1}}})",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    auto parsed = connector_->parse(post_request(body, {}));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidArgument);
  }
  // Unknown events are accepted without events; a flat candidate_id is tolerated.
  auto parsed = connector_->parse(post_request(R"({"event_type":"candidate_assigned","payload":{}})", {}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->events.empty());
  parsed = connector_->parse(
      post_request(R"({"event_type":"candidate_deleted","payload":{"candidate_id":"77"}})", {}));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].remote_id, "77");
  EXPECT_EQ(parsed->delivery_id, "");
}

}  // namespace
}  // namespace tributary::connectors
