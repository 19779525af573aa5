#include "connectors/workable/workable.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class WorkableTest : public testing::RegisteredConnectorTest {
 protected:
  WorkableTest() : RegisteredConnectorTest(register_workable, "workable") {}

  Verification verify_with(std::string body, HeaderList headers) const {
    return connector_->verify(post_request(std::move(body), std::move(headers)), VerificationKeys{{secret_}});
  }
};

// A subdomain that would change the host gives no URL at all.
TEST_F(WorkableTest, DefaultBaseUrlNeedsAPlainSubdomain) {
  EXPECT_EQ(connector_->default_base_url({{"subdomain", "evil.com/x"}}), "");
  EXPECT_EQ(connector_->default_base_url({{"subdomain", "a@b"}}), "");
  EXPECT_EQ(connector_->default_base_url({}), "");
}

// Workable also sends the digest in base64: every vector's base64 form verifies.
TEST_F(WorkableTest, Base64FormOfEveryVectorVerifies) {
  for (const auto& c : vectors_.at("cases").as_array()) {
    const std::string file(c.at("body_file").as_string());
    SCOPED_TRACE(file);
    Verification b64 = verify_with(
        body_of(file), {{"X-Workable-Signature", std::string(c.at("signature_base64").as_string())}});
    EXPECT_TRUE(b64.ok) << b64.reason;
    EXPECT_EQ(b64.scheme, "hmac-sha256 base64 in X-Workable-Signature");
  }
}

TEST_F(WorkableTest, SignatureForms) {
  const std::string body = body_of("candidate_created.json");
  const std::string digest = crypto::hmac_sha256(secret_, body);
  const std::string hex = crypto::hex_encode(digest);
  Verification prefixed = verify_with(body, {{"X-Workable-Signature", "sha256=" + hex}});
  EXPECT_TRUE(prefixed.ok) << prefixed.reason;
  EXPECT_EQ(prefixed.scheme, "hmac-sha256 hex in X-Workable-Signature (sha256=)");
  std::string upper = hex;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(verify_with(body, {{"X-Workable-Signature", upper}}).ok);

  EXPECT_FALSE(verify_with(body, {}).ok);
  Verification dup = verify_with(body, {{"X-Workable-Signature", hex}, {"X-Workable-Signature", hex}});
  EXPECT_FALSE(dup.ok);
  EXPECT_NE(dup.reason.find("duplicated"), std::string::npos);
  EXPECT_FALSE(verify_with(body, {{"X-Workable-Signature", hex.substr(1)}}).ok);  // truncated hex
  EXPECT_FALSE(verify_with(body, {{"X-Workable-Signature", hex + "0"}}).ok);
  const std::string b64 = crypto::base64_encode(digest);
  EXPECT_FALSE(verify_with(body, {{"X-Workable-Signature", b64.substr(0, b64.size() - 4)}}).ok);  // truncated
  EXPECT_FALSE(verify_with(body, {{"X-Workable-Signature", "md5=" + hex}}).ok);  // wrong prefix
  EXPECT_FALSE(verify_with(body, {{"X-Workable-Signature", ""}}).ok);
  // HMAC-SHA512 of the body, or SHA-256 keyed differently, is not the signature.
  EXPECT_FALSE(
      verify_with(body, {{"X-Workable-Signature", crypto::hex_encode(crypto::hmac_sha256("other", body))}})
          .ok);
  Verification bad = verify_with(body, {{"X-Workable-Signature", std::string(64, 'a')}});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.reason.find(secret_), std::string::npos);
}

TEST_F(WorkableTest, TamperedBodyWrongKeyAndNoKeyAreRejected) {
  std::string body = body_of("employee_created.json");
  const std::string sig = crypto::hex_encode(crypto::hmac_sha256(secret_, body));
  ASSERT_TRUE(verify_with(body, {{"X-Workable-Signature", sig}}).ok);
  std::string tampered = body;
  tampered.replace(tampered.find("Obediah"), 7, "Mallory");
  Verification v = verify_with(tampered, {{"X-Workable-Signature", sig}});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("does not match"), std::string::npos);
  EXPECT_FALSE(verify_with(body + " ", {{"X-Workable-Signature", sig}}).ok);

  http::Request r = post_request(body, {{"X-Workable-Signature", sig}});
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{"wrong-token"}}).ok);
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{}).ok);
  EXPECT_FALSE(connector_
                   ->verify(post_request(body, {{"X-Workable-Signature",
                                                 crypto::hex_encode(crypto::hmac_sha256("", body))}}),
                            VerificationKeys{{""}})
                   .ok);
  Verification rotated = connector_->verify(r, VerificationKeys{{"new-token", secret_}});
  EXPECT_TRUE(rotated.ok);
  EXPECT_NE(rotated.scheme.find("previous secret"), std::string::npos);
}

TEST_F(WorkableTest, TimeoffRequestShapes) {
  auto nested = parse_json(
      R"({"id":"4d3","event_type":"timeoff_updated","resource_type":"employee","fired_at":"t",
          "data":{"id":"4d3","timeoff_request":{"id":"r9","employee_id":"4d3"}}})");
  ASSERT_TRUE(nested.ok()) << nested.error().message;
  ASSERT_EQ(nested->events.size(), 1u);
  EXPECT_EQ(nested->events[0].remote_id, "r9");
  EXPECT_EQ(nested->events[0].action, Action::kUpdated);
  auto by_key = parse_json(
      R"({"id":"4d3","event_type":"timeoff_updated","resource_type":"employee","data":{"id":"4d3","request_id":77}})");
  ASSERT_TRUE(by_key.ok());
  ASSERT_EQ(by_key->events.size(), 1u);
  EXPECT_EQ(by_key->events[0].remote_id, "77");
  EXPECT_EQ(by_key->delivery_id, "");  // no fired_at: the body hash dedupes instead
}

TEST_F(WorkableTest, MalformedBodiesAreErrorsAndUnknownEventsAreNothing) {
  EXPECT_FALSE(parse_json("").ok());
  EXPECT_FALSE(parse_json("{").ok());
  EXPECT_FALSE(parse_json("42").ok());
  EXPECT_FALSE(parse_json(R"({"data":{"id":"1"}})").ok());
  EXPECT_FALSE(parse_json(R"({"event_type":["candidate_created"],"data":{"id":"1"}})").ok());
  EXPECT_FALSE(parse_json(R"({"event_type":"candidate_created"})").ok());
  EXPECT_FALSE(parse_json(R"({"event_type":"candidate_created","data":"x"})").ok());
  EXPECT_FALSE(parse_json(R"({"event_type":"candidate_created","data":{}})").ok());
  EXPECT_FALSE(parse_json(R"({"event_type":"candidate_created","data":{"id":{"a":1}}})").ok());
  auto from_envelope = parse_json(R"({"id":"c1","event_type":"candidate_deleted","data":{}})");
  ASSERT_TRUE(from_envelope.ok());
  ASSERT_EQ(from_envelope->events.size(), 1u);
  EXPECT_EQ(from_envelope->events[0].remote_id, "c1");
  auto numeric = parse_json(R"({"event_type":"employee_updated","data":{"id":12345}})");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->events.at(0).remote_id, "12345");
  auto unknown = parse_json(R"({"id":"x","event_type":"onboarding_completed","data":{"id":"x"}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->events.empty());
  auto hostile =
      parse_json(R"({"id":"a b","event_type":"employee_updated","fired_at":"t","data":{"id":"1"}})");
  ASSERT_TRUE(hostile.ok());
  EXPECT_EQ(hostile->delivery_id, "");
  std::string deep =
      R"({"event_type":"employee_updated","data":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_FALSE(parse_json(deep).ok());
}

}  // namespace
}  // namespace tributary::connectors
