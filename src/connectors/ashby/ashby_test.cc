#include "connectors/ashby/ashby.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

class AshbyTest : public testing::RegisteredConnectorTest {
 protected:
  AshbyTest() : RegisteredConnectorTest(register_ashby, "ashby") {}

  http::Request signed_request(std::string body) const {
    std::string sig = "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret_, body));
    return post_request(std::move(body), {{"Content-Type", "application/json"}, {"Ashby-Signature", sig}});
  }
};

TEST_F(AshbyTest, PublishAndItsCompanionUpdateAreOneUnifiedEvent) {
  // Both parse to their own event; the update names the deliveries that make it redundant (the processor
  // waits for them and drops the update when one came), whatever came first and on whichever node.
  auto update = connector_->parse(post_request(body_of("job_posting_update_related.json"), {}));
  ASSERT_TRUE(update.ok());
  ASSERT_EQ(update->events.size(), 1u);
  EXPECT_EQ(update->events[0].action, Action::kUpdated);
  auto publish = connector_->parse(post_request(body_of("job_posting_publish.json"), {}));
  ASSERT_TRUE(publish.ok());
  ASSERT_EQ(publish->events.size(), 1u);
  EXPECT_EQ(publish->events[0].action, Action::kPublished);

  auto superseded = connector_->superseded_by(update->vendor_event, update->delivery_id);
  ASSERT_TRUE(superseded.has_value());
  EXPECT_GT(superseded->wait_ms, 0);
  EXPECT_NE(
      std::find(superseded->by_delivery_ids.begin(), superseded->by_delivery_ids.end(), publish->delivery_id),
      superseded->by_delivery_ids.end());
  EXPECT_FALSE(connector_->superseded_by(publish->vendor_event, publish->delivery_id));
  EXPECT_FALSE(connector_->superseded_by("jobPostingUpdate", ""));  // no webhookActionId: nothing to wait for

  // Retries of the same delivery keep the same delivery id; the two related deliveries differ.
  EXPECT_NE(publish->delivery_id, update->delivery_id);
  EXPECT_EQ(publish->delivery_id.substr(0, publish->delivery_id.find(':')),
            update->delivery_id.substr(0, update->delivery_id.find(':')));
  auto retried = connector_->parse(post_request(body_of("job_posting_publish.json"), {}));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->delivery_id, publish->delivery_id);
}

TEST_F(AshbyTest, UpdateWithoutActionIdIsStillAnUpdate) {
  auto parsed = parse_json(
      R"({"action":"jobPostingUpdate","data":{"jobPosting":{"id":"p1","jobId":"j1","title":"T"}}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->delivery_id, "");
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].remote_id, "j1");
}

TEST_F(AshbyTest, TamperedBodyIsRejected) {
  http::Request r = signed_request(body_of("candidate_delete.json"));
  ASSERT_TRUE(verify(r).ok);
  auto pos = r.body.find("f9e52a51");
  ASSERT_NE(pos, std::string::npos);
  r.body[pos] = 'a';
  Verification v = verify(r);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("does not match"), std::string::npos) << v.reason;
  http::Request r2 = signed_request(body_of("candidate_delete.json"));
  r2.body += "\n";
  EXPECT_FALSE(verify(r2).ok);
}

TEST_F(AshbyTest, WrongKeyAndMissingKeyAreRejected) {
  http::Request r = signed_request(body_of("application_submit.json"));
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{"another-secret"}}).ok);
  Verification none = connector_->verify(r, VerificationKeys{});
  EXPECT_FALSE(none.ok);
  // An empty secret would make every signature forgeable.
  const std::string body = body_of("application_submit.json");
  http::Request forged = post_request(
      body, {{"Ashby-Signature", "sha256=" + crypto::hex_encode(crypto::hmac_sha256("", body))}});
  EXPECT_FALSE(connector_->verify(forged, VerificationKeys{{""}}).ok);
  // During a rotation the previous secret still verifies, and says so.
  Verification rotated = connector_->verify(r, VerificationKeys{{"new-secret", secret_}});
  EXPECT_TRUE(rotated.ok);
  EXPECT_NE(rotated.scheme.find("previous secret"), std::string::npos);
}

TEST_F(AshbyTest, MalformedSignatureHeadersAreRejected) {
  const std::string body = body_of("candidate_delete.json");
  const std::string hex = crypto::hex_encode(crypto::hmac_sha256(secret_, body));
  auto with = [&](HeaderList h) { return verify(post_request(body, std::move(h))); };
  EXPECT_FALSE(with({}).ok);
  Verification dup = with({{"Ashby-Signature", "sha256=" + hex}, {"Ashby-Signature", "sha256=" + hex}});
  EXPECT_FALSE(dup.ok);
  EXPECT_NE(dup.reason.find("duplicated"), std::string::npos);
  EXPECT_FALSE(with({{"Ashby-Signature", hex}}).ok);                        // no algorithm prefix
  EXPECT_FALSE(with({{"Ashby-Signature", "sha1=" + hex}}).ok);              // another algorithm
  EXPECT_FALSE(with({{"Ashby-Signature", "sha256 " + hex}}).ok);            // Greenhouse's separator
  EXPECT_FALSE(with({{"Ashby-Signature", "sha256=" + hex.substr(2)}}).ok);  // truncated
  EXPECT_FALSE(with({{"Ashby-Signature", "sha256=" + hex + "00"}}).ok);     // too long
  std::string not_hex = hex;
  not_hex[0] = 'z';
  EXPECT_FALSE(with({{"Ashby-Signature", "sha256=" + not_hex}}).ok);
  EXPECT_FALSE(with({{"Ashby-Signature", "sha256="}}).ok);
  // Upper-case hex is the same digest.
  std::string upper = hex;
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(with({{"Ashby-Signature", "sha256=" + upper}}).ok);
  // Reasons never contain the secret.
  Verification bad = with({{"Ashby-Signature", "sha256=" + std::string(64, '0')}});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.reason.find(secret_), std::string::npos);
}

TEST_F(AshbyTest, MalformedBodiesAreErrorsAndUnknownEventsAreNothing) {
  EXPECT_FALSE(parse_json("").ok());
  EXPECT_FALSE(parse_json("not json").ok());
  EXPECT_FALSE(parse_json("[]").ok());
  EXPECT_FALSE(parse_json(R"({"data":{}})").ok());
  EXPECT_FALSE(parse_json(R"({"action":42,"data":{}})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"candidateDelete"})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"candidateDelete","data":[]})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"candidateDelete","data":{"candidate":{}}})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"candidateDelete","data":{"candidate":{"id":{"x":1}}}})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"jobPostingPublish","data":{"jobPosting":{"id":"p"}}})").ok());
  EXPECT_FALSE(parse_json(R"({"action":"applicationSubmit","data":{"application":{"id":"a"}}})").ok());
  auto legacy =
      parse_json(R"({"action":"applicationSubmit","data":{"application":{"id":"a","candidateId":"c7"}}})");
  ASSERT_TRUE(legacy.ok());
  ASSERT_EQ(legacy->events.size(), 1u);
  EXPECT_EQ(legacy->events[0].remote_id, "c7");

  auto unknown = parse_json(R"({"webhookActionId":"x","action":"surveySubmit","data":{"whatever":true}})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->events.empty());
  EXPECT_FALSE(unknown->is_ping);
  // A hostile action id is not used as a dedupe key.
  auto hostile =
      parse_json(R"({"webhookActionId":"a b\n","action":"candidateDelete","data":{"candidate":{"id":"1"}}})");
  ASSERT_TRUE(hostile.ok());
  EXPECT_EQ(hostile->delivery_id, "");
  auto ping = parse_json(R"({"action":"ping"})");
  ASSERT_TRUE(ping.ok());
  EXPECT_TRUE(ping->is_ping);
  // Deeply nested input does not crash the parser.
  std::string deep =
      R"({"action":"candidateDelete","data":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_FALSE(parse_json(deep).ok());
}

}  // namespace
}  // namespace tributary::connectors
