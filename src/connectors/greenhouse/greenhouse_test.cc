#include "connectors/greenhouse/greenhouse.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class GreenhouseTest : public testing::RegisteredConnectorTest {
 protected:
  GreenhouseTest() : RegisteredConnectorTest(register_greenhouse, "greenhouse") {}

  // A request carrying a correct signature of `body` under the test secret.
  http::Request signed_request(std::string body) const {
    std::string sig = "sha256 " + crypto::hex_encode(crypto::hmac_sha256(secret_, body));
    return post_request(std::move(body), {{"Content-Type", "application/json"}, {"Signature", sig}});
  }
};

TEST_F(GreenhouseTest, TamperedBodyIsRejected) {
  http::Request r = signed_request(body_of("delete_candidate.json"));
  ASSERT_TRUE(verify(r).ok);
  auto pos = r.body.find("37031511");
  ASSERT_NE(pos, std::string::npos);
  r.body[pos] = '4';
  Verification v = verify(r);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("does not match"), std::string::npos) << v.reason;
  // A trailing newline is a different body too: the signature covers the bytes, not the JSON value.
  http::Request r2 = signed_request(body_of("delete_candidate.json"));
  r2.body += "\n";
  EXPECT_FALSE(verify(r2).ok);
}

TEST_F(GreenhouseTest, WrongKeyIsRejectedAndNoSecretIsNeverOk) {
  http::Request r = signed_request(body_of("job_updated.json"));
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{"another-secret"}}).ok);
  Verification none = connector_->verify(r, VerificationKeys{});
  EXPECT_FALSE(none.ok);
  EXPECT_NE(none.reason.find("no secret"), std::string::npos);
  // An empty secret is never used: HMAC with an empty key is something anyone can compute.
  http::Request forged = post_request(
      body_of("job_updated.json"),
      {{"Signature", "sha256 " + crypto::hex_encode(crypto::hmac_sha256("", body_of("job_updated.json")))}});
  EXPECT_FALSE(connector_->verify(forged, VerificationKeys{{""}}).ok);
}

TEST_F(GreenhouseTest, AnySecretInTheRotationWindowMatches) {
  http::Request r = signed_request(body_of("job_updated.json"));
  Verification current = connector_->verify(r, VerificationKeys{{secret_, "old"}});
  EXPECT_TRUE(current.ok);
  EXPECT_EQ(current.scheme.find("previous"), std::string::npos);
  Verification previous = connector_->verify(r, VerificationKeys{{"new-secret", secret_}});
  EXPECT_TRUE(previous.ok) << previous.reason;
  EXPECT_NE(previous.scheme.find("previous secret"), std::string::npos);
}

TEST_F(GreenhouseTest, MissingAndDuplicatedHeadersAreRejected) {
  http::Request missing = post_request(body_of("job_updated.json"), {{"Content-Type", "application/json"}});
  Verification v = verify(missing);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.reason, "missing Signature header");

  http::Request dup = signed_request(body_of("job_updated.json"));
  const std::string good = std::string(*dup.header("Signature"));
  dup.headers.emplace_back("signature", good);  // even two identical copies are refused
  v = verify(dup);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("duplicated Signature header"), std::string::npos) << v.reason;
}

TEST_F(GreenhouseTest, MalformedSignaturesAreRejectedWithAReason) {
  const std::string body = body_of("job_updated.json");
  const std::string hex = crypto::hex_encode(crypto::hmac_sha256(secret_, body));
  struct Case {
    std::string header;
    std::string reason_part;
  };
  const Case cases[] = {
      {hex, "does not start with"},                               // no prefix
      {"sha256=" + hex, "does not start with"},                   // another vendor's separator
      {"sha1 " + hex, "does not start with"},                     // wrong algorithm
      {"sha256", "does not start with"},                          // prefix only, no space
      {"sha256 ", "does not start with"},                         // prefix, no digest (space trimmed)
      {"sha256 " + hex.substr(0, 63), "63 hex characters"},       // truncated (odd)
      {"sha256 " + hex.substr(0, 62), "62 hex characters"},       // truncated (even)
      {"sha256 " + hex + "00", "66 hex characters"},              // too long
      {"sha256 " + hex.substr(0, 62) + "zz", "not hexadecimal"},  // right length, not hex
      {"sha256 " + hex.substr(0, 32) + " " + hex.substr(33), "not hexadecimal"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.header);
    Verification v = verify(post_request(body, {{"Signature", c.header}}));
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << v.reason;
    EXPECT_EQ(v.reason.find(secret_), std::string::npos);
  }
}

TEST_F(GreenhouseTest, UppercaseHexAndPrefixAreAccepted) {
  const std::string body = body_of("job_updated.json");
  std::string hex = crypto::hex_encode(crypto::hmac_sha256(secret_, body));
  for (char& ch : hex)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(verify(post_request(body, {{"Signature", "sha256 " + hex}})).ok);
  EXPECT_TRUE(verify(post_request(body, {{"Signature", "SHA256 " + hex}})).ok);
}

// Greenhouse escapes unicode before signing and signs the body exactly as sent: a receiver that re-serialises
// the JSON (turning \u003c into '<', \u00e9 into UTF-8) would compute another signature.
TEST_F(GreenhouseTest, UnicodeEscapedBodyIsVerifiedByteForByte) {
  const std::string body = body_of("job_post_updated_unicode.json");
  ASSERT_NE(body.find("\\u003cp\\u003e"), std::string::npos);
  http::Request r = signed_request(body);
  EXPECT_TRUE(verify(r).ok);

  http::Request reserialised = r;
  reserialised.body = bj::serialize(bj::parse(body));
  ASSERT_NE(reserialised.body, body);
  EXPECT_FALSE(verify(reserialised).ok);

  auto parsed = connector_->parse(r);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].remote_id, "1842002");
}

TEST_F(GreenhouseTest, PingIsRecognisedWhateverItsPayload) {
  for (const char* body : {R"({"action":"ping"})", R"({"action":"ping","payload":{"web_hook_id":1}})",
                           R"({"action":"ping","payload":null})"}) {
    auto parsed = parse_json(body);
    ASSERT_TRUE(parsed.ok()) << body;
    EXPECT_TRUE(parsed->is_ping);
    EXPECT_TRUE(parsed->events.empty());
    EXPECT_EQ(parsed->vendor_event, "ping");
  }
}

TEST_F(GreenhouseTest, UnknownActionsParseToNoEvents) {
  auto parsed = parse_json(R"({"action":"candidate_hired","payload":{"application":{"id":1}}})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->vendor_event, "candidate_hired");
  EXPECT_FALSE(parsed->is_ping);
  EXPECT_TRUE(parsed->events.empty());
  // No payload at all is fine for an action we do not relay.
  EXPECT_TRUE(parse_json(R"({"action":"office_deleted"})").ok());
}

TEST_F(GreenhouseTest, DeliveryIdComesFromTheHeaderOnly) {
  auto no_header = parse_json(body_of("job_updated.json"));
  ASSERT_TRUE(no_header.ok());
  EXPECT_EQ(no_header->delivery_id, "");
  auto weird = connector_->parse(
      post_request(body_of("job_updated.json"), {{"Greenhouse-Event-ID", std::string(500, 'a')}}));
  ASSERT_TRUE(weird.ok());
  EXPECT_EQ(weird->delivery_id, "");
}

TEST_F(GreenhouseTest, JobPostLiveFlagDecidesTheEvent) {
  struct Case {
    std::string body;
    std::vector<std::pair<Action, std::string>> expected;
  };
  const Case cases[] = {
      {R"({"action":"job_post_created","payload":{"id":1,"job_id":7,"live":true}})",
       {{Action::kPublished, "7"}}},
      {R"({"action":"job_post_created","payload":{"id":1,"job_id":7,"live":false}})", {}},
      {R"({"action":"job_post_created","payload":{"id":1,"job_id":7}})", {}},
      {R"({"action":"job_post_updated","payload":{"id":1,"job_id":"7","live":true}})",
       {{Action::kPublished, "7"}}},
      {R"({"action":"job_post_updated","payload":{"id":1,"job_id":7,"live":false}})",
       {{Action::kUnpublished, "7"}}},
      {R"({"action":"job_post_updated","payload":{"id":1,"job_id":7}})", {{Action::kUpdated, "7"}}},
      {R"({"action":"job_post_updated","payload":{"id":1,"job_id":null,"live":true}})", {}},  // prospect post
      {R"({"action":"job_post_deleted","payload":{"job_post":{"id":1,"job_id":9}}})",
       {{Action::kUnpublished, "9"}}},
      {R"({"action":"job_post_deleted","payload":{"id":1,"job_id":9}})", {{Action::kUnpublished, "9"}}},
      {R"({"action":"job_post_deleted","payload":{"job_post":{"id":1}}})", {}},  // prospect post
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto parsed = parse_json(c.body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    ASSERT_EQ(parsed->events.size(), c.expected.size());
    for (std::size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_EQ(parsed->events[i].model, Model::kAtsJobs);
      EXPECT_EQ(parsed->events[i].action, c.expected[i].first);
      EXPECT_EQ(parsed->events[i].remote_id, c.expected[i].second);
    }
  }
}

TEST_F(GreenhouseTest, MalformedBodiesAreInvalidArgument) {
  const char* bodies[] = {
      "",
      "{",
      "[]",
      R"("ping")",
      R"({"payload":{}})",
      R"({"action":""})",
      R"({"action":42})",
      R"({"action":"new_candidate_application"})",
      R"({"action":"new_candidate_application","payload":[]})",
      R"({"action":"new_candidate_application","payload":{"application":{"id":1}}})",
      R"({"action":"new_candidate_application","payload":{"application":{"candidate":{"id":{}}}}})",
      R"({"action":"new_candidate_application","payload":{"application":{"candidate":{"id":1.5}}}})",
      R"({"action":"delete_candidate","payload":{"person":{}}})",
      R"({"action":"job_updated","payload":{"job":{"name":"x"}}})",
      R"({"action":"job_updated","payload":{"job":{"id":""}}})",
      R"({"action":"job_post_updated","payload":{"job_id":7,"live":"yes"}})",
      R"({"action":"job_post_updated","payload":{"job_id":[7],"live":true}})",
  };
  for (const char* body : bodies) {
    SCOPED_TRACE(body);
    auto parsed = parse_json(body);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_FALSE(parsed.error().message.empty());
  }
}

TEST_F(GreenhouseTest, SetupInstructionsWalkThroughTheDevCenter) {
  SubscriptionRequest req;
  req.ingress_url = "https://relay.example.com/ingress/sub_123";
  req.event_types = {"job_updated", "job_post_deleted"};
  req.secret = "s3cret-shown-separately";
  const std::string text = connector_->setup_instructions(req);
  EXPECT_NE(text.find("Dev Center"), std::string::npos);
  EXPECT_NE(text.find("Web Hooks"), std::string::npos);
  EXPECT_NE(text.find(req.ingress_url), std::string::npos);
  EXPECT_NE(text.find("Secret key"), std::string::npos);
  EXPECT_NE(text.find("Job Updated (job_updated)"), std::string::npos);
  EXPECT_NE(text.find("Job Post Deleted (job_post_deleted)"), std::string::npos);
  EXPECT_EQ(text.find("new_candidate_application"), std::string::npos);
  EXPECT_EQ(text.find(req.secret), std::string::npos);
}

TEST_F(GreenhouseTest, ManualToolHasNoSubscriptionApi) {
  ApiContext ctx;
  auto created = connector_->create_subscription(ctx, SubscriptionRequest{});
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("not supported for manual tools"), std::string::npos);
  auto deleted = connector_->delete_subscription(ctx, "1");
  ASSERT_FALSE(deleted.ok());
  EXPECT_NE(deleted.error().message.find("not supported for manual tools"), std::string::npos);
}

}  // namespace
}  // namespace tributary::connectors
