#include "connectors/teamtailor/teamtailor.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class TeamtailorTest : public ::testing::Test {
 protected:
  TeamtailorTest()
      : vectors_(read_testdata_json("teamtailor/testdata/vectors.json")),
        key_(vectors_.at("secret").as_string()),
        now_(*parse_iso8601(vectors_.at("now").as_string()) / 1000),
        clock_(now_ * 1000),
        connector_(make_teamtailor_connector(clock_)) {}

  static std::string body_of(std::string_view file) {
    return read_testdata("teamtailor/testdata/" + std::string(file));
  }

  static std::string b64(std::string_view s) { return crypto::base64_encode(s); }
  std::string hmac_hex(std::string_view message, std::string_view key = {}) const {
    return crypto::hex_encode(crypto::hmac_sha256(key.empty() ? key_ : key, message));
  }
  // A v2 signature of `payload` at time `t`.
  std::string v2(std::string_view payload, std::int64_t t, std::string_view key = {}) const {
    return b64("t=" + std::to_string(t) +
               ",v2=" + hmac_hex(std::to_string(t) + "." + std::string(payload), key));
  }
  static std::string body_with(std::string_view payload, std::string_view signature) {
    return "{\"payload\":" + std::string(payload) + ",\"signature\":\"" + std::string(signature) + "\"}";
  }

  Verification verify(const http::Request& r) const {
    return connector_->verify(r, VerificationKeys{{key_}});
  }
  Verification verify_body(std::string body, HeaderList headers = {}) const {
    return verify(post_request(std::move(body), std::move(headers)));
  }

  static constexpr std::string_view kPayload =
      R"({"event_name":"candidate.destroy","data":{"id":"12345","type":"candidates","attributes":{}}})";

  bj::value vectors_;
  std::string key_;
  std::int64_t now_;
  testing::ManualClock clock_;
  std::unique_ptr<Connector> connector_;
};

TEST_F(TeamtailorTest, SetupInstructionsNameTheWebhooksPageAndTheSignatureKey) {
  SubscriptionRequest request;
  request.ingress_url = "https://relay.example.com/ingress/sub_1";
  request.event_types = {"candidate.create", "job_application.create", "candidate.destroy", "job.update"};
  const std::string text = connector_->setup_instructions(request);
  EXPECT_NE(text.find("Settings > Integrations > Webhooks"), std::string::npos);
  EXPECT_NE(text.find(request.ingress_url), std::string::npos);
  EXPECT_NE(text.find("job_application.create"), std::string::npos);
  EXPECT_NE(text.find("signature key"), std::string::npos);
}

// The documented example's signature is a v1 signature (base64 of 64 hex characters) whose key is not
// published: it is recognised as v1 and rejected for our key with a reason naming v1.
TEST_F(TeamtailorTest, DocumentedExampleIsAV1SignatureOfAnUnknownKey) {
  Verification v = verify_body(body_of("job_update_documented.json"));
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("(v1)"), std::string::npos) << v.reason;
  EXPECT_EQ(v.reason.find(key_), std::string::npos);
}

TEST_F(TeamtailorTest, V1SignsOnlyTheIdSoNothingElseIsTrusted) {
  // A captured v1 signature of candidate 12345 replayed with another event name still verifies (it covers
  // only the id) but parses to nothing more than an update of that id, for the fetch to confirm.
  const std::string sig = b64(hmac_hex("12345"));
  const std::string forged =
      R"({"event_name":"candidate.destroy","data":{"id":"12345","type":"jobs","attributes":{"status":"open"}}})";
  http::Request r = post_request(body_with(forged, sig), {});
  ASSERT_TRUE(verify(r).ok);
  auto parsed = connector_->parse(r);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].model, Model::kAtsCandidates);
  EXPECT_EQ(parsed->events[0].action, Action::kUpdated);
  EXPECT_EQ(parsed->events[0].remote_id, "12345");
  EXPECT_EQ(parsed->delivery_id, "");

  // Under v1 a job.update with an open status is not a publication either.
  const std::string job =
      R"({"event_name":"job.update","data":{"id":"2","type":"jobs","attributes":{"status":"open"}}})";
  parsed = connector_->parse(post_request(body_with(job, b64(hmac_hex("2"))), {}));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].action, Action::kUpdated);

  // The id is signed: another id fails.
  const std::string other = R"({"event_name":"candidate.destroy","data":{"id":"12346","type":"candidates"}})";
  Verification v = verify_body(body_with(other, sig));
  EXPECT_FALSE(v.ok);
  // Numeric ids are signed as their decimal text.
  const std::string numeric = R"({"event_name":"candidate.destroy","data":{"id":12345,"type":"candidates"}})";
  EXPECT_TRUE(verify_body(body_with(numeric, sig)).ok);
  // Upper-case hex is the same digest.
  std::string upper_hex = hmac_hex("12345");
  for (auto& ch : upper_hex)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(verify_body(body_with(kPayload, b64(upper_hex))).ok);
}

TEST_F(TeamtailorTest, TamperedV2PayloadIsRejected) {
  const std::string sig = v2(kPayload, now_);
  ASSERT_TRUE(verify_body(body_with(kPayload, sig)).ok);
  std::string tampered(kPayload);
  tampered.replace(tampered.find("destroy"), 7, "create!");
  Verification v = verify_body(body_with(tampered, sig));
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("(v2) does not match"), std::string::npos) << v.reason;
  // A change outside the payload (the envelope) is not covered, and does not matter.
  EXPECT_TRUE(verify_body("{\"extra\":1," + body_with(kPayload, sig).substr(1)).ok);
}

// The current documentation: v2 = base64("t=<unix>,v2=" + hex HMAC("<t>." + raw request body)), the signature
// then travelling in the TT-Signature header (a body cannot hold its own signature).
TEST_F(TeamtailorTest, AV2SignatureOverTheWholeBodyAsDocumentedVerifies) {
  const std::string body = R"({"payload":)" + std::string(kPayload) + "}";
  const std::string sig =
      b64("t=" + std::to_string(now_) + ",v2=" + hmac_hex(std::to_string(now_) + "." + body));
  Verification v = verify_body(body, {{"TT-Signature", sig}});
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_NE(v.scheme.find("request body as sent"), std::string::npos) << v.scheme;
  std::string tampered = body;
  tampered.replace(tampered.find("12345"), 5, "12346");
  EXPECT_FALSE(verify_body(tampered, {{"TT-Signature", sig}}).ok);
}

TEST_F(TeamtailorTest, WrongKeyAndEmptyKeysAreRejectedWithoutLeakingTheKey) {
  const std::string body = body_with(kPayload, v2(kPayload, now_));
  Verification v = connector_->verify(post_request(body, {}), VerificationKeys{{"some-other-key"}});
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason.find("some-other-key"), std::string::npos);
  v = connector_->verify(post_request(body, {}), VerificationKeys{{""}});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("no signature key"), std::string::npos);
  v = connector_->verify(post_request(body, {}), VerificationKeys{});
  EXPECT_FALSE(v.ok);
  // During a rotation the previous key still works, and the scheme says so.
  v = connector_->verify(post_request(body, {}), VerificationKeys{{"new-key", key_}});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous secret"), std::string::npos);
}

TEST_F(TeamtailorTest, StaleAndFutureTimestampsAreRejected) {
  EXPECT_TRUE(verify_body(body_with(kPayload, v2(kPayload, now_ - 300))).ok);
  Verification v = verify_body(body_with(kPayload, v2(kPayload, now_ - 301)));
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("301 s old"), std::string::npos) << v.reason;
  v = verify_body(body_with(kPayload, v2(kPayload, now_ + 301)));
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("in the future"), std::string::npos) << v.reason;
  // The clock moves on: a delivery once fresh goes stale.
  const std::string body = body_with(kPayload, v2(kPayload, now_));
  EXPECT_TRUE(verify_body(body).ok);
  clock_.set((now_ + 3600) * 1000);
  EXPECT_FALSE(verify_body(body).ok);
}

TEST_F(TeamtailorTest, MalformedSignaturesAreRejected) {
  const std::string good_hex = hmac_hex(std::to_string(now_) + "." + std::string(kPayload));
  const std::string t = std::to_string(now_);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not base64", "%%%not-base64%%%"},
      {"truncated base64", v2(kPayload, now_).substr(0, 40)},
      {"empty", ""},
      {"no timestamp", b64("v2=" + good_hex)},
      {"no v2", b64("t=" + t)},
      {"two timestamps", b64("t=" + t + ",t=" + t + ",v2=" + good_hex)},
      {"timestamp not a number", b64("t=12a,v2=" + good_hex)},
      {"short digest", b64("t=" + t + ",v2=" + good_hex.substr(0, 63))},
      {"not hex", b64("t=" + t + ",v2=" + std::string(64, 'z'))},
      {"wrong prefix", b64("t=" + t + ",v1=" + good_hex)},
      {"v1 digest truncated", b64(hmac_hex("12345").substr(0, 60))},
      {"too long", std::string(2000, 'A')},
      {"part without =", b64("t=" + t + ",v2" + good_hex)},
  };
  for (const auto& [label, sig] : bad) {
    SCOPED_TRACE(label);
    Verification v = verify_body(body_with(kPayload, sig));
    EXPECT_FALSE(v.ok);
    EXPECT_FALSE(v.reason.empty());
  }
  // The right digest among several v2 values verifies (a rotation on Teamtailor's side).
  EXPECT_TRUE(
      verify_body(body_with(kPayload, b64("t=" + t + ",v2=" + std::string(64, '0') + ",v2=" + good_hex))).ok);
}

TEST_F(TeamtailorTest, HeaderSignature) {
  const std::string body = "{\"payload\":" + std::string(kPayload) + "}";
  const std::string sig = v2(kPayload, now_);
  EXPECT_TRUE(verify_body(body, {{"TT-Signature", sig}}).ok);
  // Unwrapped "t=…,v2=…" in the header is accepted too.
  EXPECT_TRUE(
      verify_body(body, {{"TT-Signature", "t=" + std::to_string(now_) + ",v2=" +
                                              hmac_hex(std::to_string(now_) + "." + std::string(kPayload))}})
          .ok);
  // Duplicated header.
  Verification v = verify_body(body, {{"TT-Signature", sig}, {"TT-Signature", sig}});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("duplicated"), std::string::npos);
  // Missing everywhere.
  v = verify_body(body);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("no signature"), std::string::npos);
  // Both present: both must hold.
  EXPECT_TRUE(verify_body(body_with(kPayload, sig), {{"TT-Signature", sig}}).ok);
  EXPECT_FALSE(verify_body(body_with(kPayload, sig), {{"TT-Signature", v2(kPayload, now_, "other")}}).ok);
  EXPECT_FALSE(verify_body(body_with(kPayload, v2(kPayload, now_, "other")), {{"TT-Signature", sig}}).ok);
}

TEST_F(TeamtailorTest, DuplicatedKeysCannotSmuggleAnUnsignedPayload) {
  const std::string sig = v2(kPayload, now_);
  const std::string other =
      R"({"event_name":"candidate.create","data":{"id":"999","type":"candidates","attributes":{}}})";
  // A second "payload" (whichever copy a parser keeps) is refused, also with an escaped key.
  EXPECT_FALSE(verify_body("{\"payload\":" + std::string(kPayload) + ",\"payload\":" + other +
                           ",\"signature\":\"" + sig + "\"}")
                   .ok);
  EXPECT_FALSE(verify_body("{\"payload\":" + std::string(kPayload) + ",\"p\\u0061yload\":" + other +
                           ",\"signature\":\"" + sig + "\"}")
                   .ok);
  // A second id under v1.
  const std::string v1 = b64(hmac_hex("12345"));
  const std::string two_ids = R"({"event_name":"candidate.destroy","data":{"id":"12345","id":"999"}})";
  EXPECT_FALSE(verify_body(body_with(two_ids, v1)).ok);
  EXPECT_FALSE(connector_->parse(post_request(body_with(two_ids, v1), {})).ok());
}

TEST_F(TeamtailorTest, MalformedBodiesAreParseErrors) {
  const std::vector<std::string> bodies = {
      "",
      "not json",
      "[]",
      R"({"signature":"x"})",
      R"({"payload":[]})",
      R"({"payload":{"data":{"id":"1"}}})",
      R"({"payload":{"event_name":7,"data":{"id":"1"}}})",
      R"({"payload":{"event_name":"candidate.create"}})",
      R"({"payload":{"event_name":"candidate.create","data":{"id":""}}})",
      R"({"payload":{"event_name":"candidate.create","data":{"id":{"x":1}}}})",
      R"({"payload":{"event_name":"candidate.create","data":{"id":"../etc"}}})",
      R"({"payload":{"event_name":"candidate.create","data":{"id":"1"}},"signature":5})",
      "{\"payload\":{\"event_name\":\"candidate.create\",\"data\":{\"id\":\"" + std::string(200, '1') +
          "\"}}}",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body.substr(0, 80));
    auto parsed = connector_->parse(post_request(body, {}));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_FALSE(verify_body(body).ok);
  }
}

TEST_F(TeamtailorTest, UnknownEventsAreAcceptedWithoutEvents) {
  const std::string payload =
      R"({"event_name":"audit_event.create","data":{"id":"5","type":"audit-events"}})";
  http::Request r = post_request(body_with(payload, v2(payload, now_)), {});
  ASSERT_TRUE(verify(r).ok);
  auto parsed = connector_->parse(r);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->vendor_event, "audit_event.create");
  EXPECT_TRUE(parsed->events.empty());
  // An application whose candidate is not named: nothing (candidate.create covers new candidates).
  const std::string app =
      R"({"event_name":"job_application.create","data":{"id":"6","type":"job-applications"}})";
  parsed = connector_->parse(post_request(body_with(app, v2(app, now_)), {}));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->events.empty());
  // ... or named through a candidate-id attribute.
  const std::string app2 =
      R"({"event_name":"job_application.create","data":{"id":"6","attributes":{"candidate-id":41}}})";
  parsed = connector_->parse(post_request(body_with(app2, v2(app2, now_)), {}));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].remote_id, "41");
}

}  // namespace
}  // namespace tributary::connectors
