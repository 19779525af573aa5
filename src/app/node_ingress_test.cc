// The ingress through a whole node: integration and endpoint created over the API, upstream webhooks signed
// as Greenhouse signs them, and what each answer promises checked in the database through a connection of the
// test's own.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"
#include "core/clock.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

constexpr std::int64_t kIngressLimit = 4096;

class NodeIngressTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    config_.ingress.max_body_bytes = kIngressLimit;
  }
};

TEST_F(NodeIngressTest, SignedWebhookIsDurableBeforeThe200AndRelayedOnce) {
  FakeEndpoint downstream;
  start_node();
  const std::string endpoint_secret = create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("4242");
  auto reply = post_signed(body, event_id);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_FALSE(bj::parse(reply.body).at("data").as_object().contains("duplicate"));

  // Right after the 200, with no waiting: the row is in the database file.
  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].outcome == store::InboxOutcome::kReceived ||
              rows[0].outcome == store::InboxOutcome::kAccepted)
      << rows[0].outcome;
  EXPECT_EQ(rows[0].http_status, 200);
  EXPECT_EQ(rows[0].integration_id, integration_id_);
  EXPECT_EQ(rows[0].tool, "greenhouse");
  EXPECT_EQ(rows[0].vendor_event, "new_candidate_application");
  EXPECT_EQ(rows[0].body, body);
  EXPECT_TRUE(rows[0].verification.has_value());
  // The signature header is stored redacted.
  EXPECT_EQ(rows[0].headers.find(greenhouse_signature(secret_, body)), std::string::npos) << rows[0].headers;

  // Relayed downstream, signed with the endpoint's secret.
  ASSERT_TRUE(downstream.wait_for_count(1));
  const auto request = downstream.received()[0].request;
  auto payload = bj::parse(request.body);
  EXPECT_EQ(payload.at("type"), "remote-event-received");
  EXPECT_EQ(str(payload.at("data").at("integration_id")), integration_id_);
  EXPECT_EQ(payload.at("data").at("integration_tool"), "greenhouse");
  const auto& events = payload.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("model"), "ats_candidates");
  EXPECT_EQ(events[0].at("action"), "created");
  EXPECT_EQ(events[0].at("remote_id"), "4242");
  EXPECT_EQ(std::string(request.header("X-Kombo-Signature").value_or("")),
            crypto::base64url_encode_nopad(crypto::hmac_sha256(endpoint_secret, request.body)));

  // The first verified request activated the manual subscription.
  auto integration = api("GET", "/v1/integrations/" + integration_id_);
  ASSERT_EQ(integration.status, 200);
  EXPECT_EQ(bj::parse(integration.body).at("data").at("subscriptions").at(0).at("status"), "active");
}

TEST_F(NodeIngressTest, RedeliveryWithTheSameEventIdIsADuplicateAndNotRelayedAgain) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("77");
  ASSERT_EQ(post_signed(body, event_id).status, 200);
  auto second = post_signed(body, event_id);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(bj::parse(second.body).at("data").at("duplicate"), true);

  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].outcome, store::InboxOutcome::kDuplicate);
  ASSERT_TRUE(rows[1].reason.has_value());
  EXPECT_NE(rows[1].reason->find("not forwarded"), std::string::npos);

  // A different event right after marks the point by which a second relay of the first would have happened.
  ASSERT_EQ(post_signed(candidate_created("78"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 2; }));
  std::size_t about_77 = 0;
  for (const auto& r : downstream.received())
    if (r.request.body.find(R"("remote_id":"77")") != std::string::npos) ++about_77;
  EXPECT_EQ(about_77, 1u);
  EXPECT_EQ(node_->stats().ingress_duplicates, 1u);
  EXPECT_FALSE(rows[1].event_ids.has_value());
}

TEST_F(NodeIngressTest, BadSignatureIs401AndLoggedAsRejected) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("5");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_ingress(
      ingress_path_, body,
      {{"Signature", greenhouse_signature("not-the-secret", body)}, {"Greenhouse-Event-ID", event_id}});
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_EQ(bj::parse(reply.body).at("status"), "error");

  auto missing = post_ingress(ingress_path_, body, {{"Greenhouse-Event-ID", event_id}});
  EXPECT_EQ(missing.status, 401) << missing.body;

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("integration_id = $1 AND outcome = 'rejected'", {integration_id_});
    return rows.size() == 2;
  }));
  for (const auto& row : rows) {
    EXPECT_EQ(row.http_status, 401);
    ASSERT_TRUE(row.reason.has_value());
    EXPECT_NE(row.reason->find("signature"), std::string::npos) << *row.reason;
    EXPECT_EQ(row.reason->find(secret_), std::string::npos);
    EXPECT_FALSE(row.event_ids.has_value());
  }
  // Nothing was accepted: the subscription is still waiting for its first verified request.
  auto integration = api("GET", "/v1/integrations/" + integration_id_);
  EXPECT_EQ(bj::parse(integration.body).at("data").at("subscriptions").at(0).at("status"), "pending");
  EXPECT_EQ(node_->stats().ingress_accepted, 0u);
}

// Another node (or this node's reconciler, a moment before it drops its cache) stores a new secret: the
// request signed with it is accepted at once, not refused until the cached subscription expires.
TEST_F(NodeIngressTest, ASecretStoredElsewhereIsUsedByTheNextRequestTheCachedCopyRefuses) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("5");
  // The first verified request activates the subscription; the second finds it in this node's cache.
  EXPECT_EQ(post_signed(body, "gh-" + crypto::random_token(12)).status, 200);
  EXPECT_EQ(post_signed(body, "gh-" + crypto::random_token(12)).status, 200);

  const std::string rotated = "rotated-" + crypto::random_token(16);
  {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    auto subs =
        must(conn->query("SELECT id FROM subscriptions WHERE integration_id = $1", {integration_id_}));
    ASSERT_EQ(subs.size(), 1u);
    const std::string sub_id = subs.front().text(0);
    auto sealed = must(SecretBox::from_base64(config_.master_key, "master_key"))
                      .seal(rotated, SecretBox::secret_of("subscriptions", sub_id));
    must(conn->execute("UPDATE subscriptions SET secret = $1 WHERE id = $2", {store::Blob{sealed}, sub_id}));
  }
  const std::string old_secret = secret_;
  secret_ = rotated;
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_signed(body, event_id);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(rows_with_delivery_id(event_id).size(), 1u);
  // And the old secret no longer verifies (the fresh copy replaced the cached one).
  EXPECT_EQ(post_ingress(ingress_path_, body,
                         {{"Signature", greenhouse_signature(old_secret, body)},
                          {"Greenhouse-Event-ID", "gh-" + crypto::random_token(12)}})
                .status,
            401);
}

// A signed request naming a record id no fetch URL or index should hold is refused with the reason and
// logged, rather than accepted and left to fail the processor's batch over and over.
TEST_F(NodeIngressTest, ASignedEventWithAnUnusableRemoteIdIs400AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("\"" + std::string(300, '7') + "\"");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_signed(body, event_id);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("300 bytes"), std::string::npos) << reply.body;
  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("integration_id = $1 AND outcome = 'rejected'", {integration_id_});
    return rows.size() == 1;
  }));
  EXPECT_EQ(rows[0].http_status, 400);
  EXPECT_EQ(rows[0].body, body);  // kept for the operator to see
  // A usable id right after is accepted and relayed as usual.
  EXPECT_EQ(post_signed(candidate_created("5"), "gh-" + crypto::random_token(12)).status, 200);
}

TEST_F(NodeIngressTest, UnknownTokenIs404AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string path = "/ingress/greenhouse/" + crypto::random_token(32);
  const std::string body = candidate_created("5");
  auto reply = post_ingress(path, body, {{"Signature", greenhouse_signature(secret_, body)}});
  EXPECT_EQ(reply.status, 404) << reply.body;

  // The right token under another tool's name is unknown too.
  auto wrong_tool = ingress_path_;
  wrong_tool.replace(wrong_tool.find("greenhouse"), std::string("greenhouse").size(), "personio");
  EXPECT_EQ(post_ingress(wrong_tool, body, {{"Signature", greenhouse_signature(secret_, body)}}).status, 404);

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("outcome = 'rejected' AND http_status = 404", {});
    return rows.size() == 2;
  }));
  EXPECT_EQ(rows[0].path, path);
  EXPECT_FALSE(rows[0].integration_id.has_value());
}

TEST_F(NodeIngressTest, BodyOverTheIngressLimitIs413AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  std::string body =
      R"({"action":"new_candidate_application","padding":")" + std::string(kIngressLimit, 'x') + R"("})";
  auto reply = post_ingress(ingress_path_, body, {{"Signature", greenhouse_signature(secret_, body)}});
  EXPECT_EQ(reply.status, 413) << reply.body << reply.error;

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("outcome = 'rejected' AND http_status = 413", {});
    return rows.size() == 1;
  }));
  EXPECT_EQ(rows[0].path, ingress_path_);
  EXPECT_EQ(rows[0].integration_id, integration_id_);  // the URL was known, the body too large
  EXPECT_EQ(node_->stats().ingress_accepted, 0u);

  // The API's own limit is not the ingress limit: a larger API body is accepted.
  auto patch = api("PATCH", "/v1/integrations/" + integration_id_,
                   R"({"end_user":{"organization_name":")" + std::string(kIngressLimit, 'a') + R"("}})");
  EXPECT_EQ(patch.status, 200) << patch.body.substr(0, 300);
}

TEST_F(NodeIngressTest, DeliveryInFlightAtStopIsSentAfterTheRestart) {
  FakeEndpoint downstream;
  downstream.then(FakeEndpoint::Reply{200, {}, "{}", /*hold=*/true});
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("9"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(1));

  node_->stop();  // the request is still unanswered when the grace period ends
  node_.reset();
  downstream.release_held(200);

  start_node();
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded == 1; }));
  auto events = api("GET", "/v1/events?type=remote-event-received&integration_id=" + integration_id_);
  ASSERT_EQ(events.status, 200) << events.body;
  auto results = bj::parse(events.body).at("data").at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  auto event = api("GET", "/v1/events/" + std::string(results[0].at("id").as_string()));
  auto deliveries = bj::parse(event.body).at("data").at("deliveries").as_array();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].at("status"), "succeeded");
}

TEST_F(NodeIngressTest, ARequestClaimedWhenTheProcessCrashedIsProcessedAtOnceAfterTheRestart) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string event_id = "gh-" + crypto::random_token(12);
  ASSERT_EQ(post_signed(candidate_created("11"), event_id).status, 200);
  ASSERT_TRUE(wait_until([&] {
    auto rows = rows_with_delivery_id(event_id);
    return rows.size() == 1 && rows[0].outcome != store::InboxOutcome::kReceived;
  }));
  node_->stop();
  node_.reset();
  // As if the process had died right after the processor claimed the row: received, claimed for an hour.
  {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    must(conn->execute("UPDATE inbox SET outcome = 'received', claimed_until = $2 WHERE delivery_id = $1",
                       {event_id, now_ms() + 3600 * 1000}));
  }
  start_node();
  // Processed again well before the claim would have run out (wait_until's deadline is seconds).
  EXPECT_TRUE(wait_until([&] {
    auto rows = rows_with_delivery_id(event_id);
    return rows.size() == 1 && rows[0].outcome != store::InboxOutcome::kReceived;
  }));
}

}  // namespace
}  // namespace tributary::app
