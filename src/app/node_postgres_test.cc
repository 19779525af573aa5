// A whole node on PostgreSQL: `tributary migrate`, start-up (migrate, schema check), a Greenhouse webhook
// signed as Greenhouse signs it, durably recorded before the 200 and relayed downstream, a redelivery
// recognised as a duplicate, and a restart on the same database. Runs in a schema of its own in the database
// named by TRIBUTARY_TEST_POSTGRES_URL (scripts/with-postgres.sh sets it); skipped when that is unset.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "app/node.h"
#include "delivery/test_support.h"
#include "store/test_db.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

std::string greenhouse_signature(const std::string& secret, const std::string& body) {
  return "sha256 " + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::string candidate_created(const std::string& candidate_id) {
  return R"({"action":"new_candidate_application","payload":{"application":{"id":1001,"candidate":{"id":)" +
         candidate_id + R"(}}}})";
}

class NodePostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (store::testing_db::postgres_url().empty()) {
      GTEST_SKIP() << store::testing_db::kPostgresUrlEnv
                   << " is not set: PostgreSQL node test skipped (scripts/with-postgres.sh sets it)";
    }
    auto made = scratch_.create(store::Backend::kPostgres);
    ASSERT_TRUE(made.ok()) << made.error().message;
    config_.listen = "127.0.0.1:0";
    config_.database = scratch_.url();
    config_.api_key = "trib_test_" + crypto::random_token(24);
    config_.master_key = crypto::base64_encode(crypto::random_bytes(32));
    config_.delivery.allow_networks = {"127.0.0.0/8"};
    config_.delivery.timeout_ms = 3000;
    config_.retry = RetryConfig{50, 2.0, 3, 0.0};
    config_.shutdown_grace_ms = 300;
    client_ = loopback_client();
  }

  void TearDown() override {
    if (node_) node_->stop();
    node_.reset();
    scratch_.drop();
  }

  void start_node() {
    node_ = std::make_unique<Node>(config_);
    auto started = node_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  Reply api(const std::string& method, const std::string& path, const std::string& body = {}) {
    return call(*client_, method, node_->base_url() + path, body,
                {{"Authorization", "Bearer " + config_.api_key}});
  }

  void create_greenhouse_integration() {
    auto reply = api("POST", "/v1/integrations",
                     R"({"tool":"greenhouse","end_user":{"organization_name":"Acme","origin_id":"acme-1"},)"
                     R"("credentials":{"client_id":"c","client_secret":"s","user_id":"7"},)"
                     R"("scope":{"upstream_webhooks":true}})");
    ASSERT_EQ(reply.status, 201) << reply.body;
    auto data = bj::parse(reply.body).at("data");
    integration_id_ = std::string(data.at("id").as_string());
    const auto& subs = data.at("subscriptions").as_array();
    ASSERT_EQ(subs.size(), 1u);
    std::string url(subs[0].at("ingress_url").as_string());
    auto at = url.find("/ingress/greenhouse/");
    ASSERT_NE(at, std::string::npos) << url;
    ingress_path_ = url.substr(at);
    secret_ = std::string(subs[0].at("setup").at("secret").as_string());
    ASSERT_FALSE(secret_.empty());
  }

  // Subscribed to the relayed events only: the first sync of each integration adds sync-finished events.
  std::string create_endpoint(const std::string& url) {
    auto reply = api("POST", "/v1/webhook-endpoints",
                     R"({"url":")" + url + R"(","event_types":["remote-event-received","data-changed"]})");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(bj::parse(reply.body).at("data").at("secret").as_string());
  }

  Reply post_signed(const std::string& body, const std::string& event_id) {
    return call(*client_, "POST", node_->base_url() + ingress_path_, body,
                {{"Signature", greenhouse_signature(secret_, body)}, {"Greenhouse-Event-ID", event_id}});
  }

  // Inbox rows with the vendor's delivery id, read through a connection of the test's own.
  std::vector<store::InboxRow> rows_with_delivery_id(const std::string& event_id) {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    auto ids = must(conn->query("SELECT id FROM inbox WHERE delivery_id = $1 ORDER BY seq", {event_id}));
    std::vector<store::InboxRow> out;
    for (const auto& r : ids) {
      auto row = must(store::inbox::get(*conn, r.text(0)));
      if (row) out.push_back(*row);
    }
    return out;
  }

  store::testing_db::ScratchDatabase scratch_;
  Config config_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<Node> node_;
  std::string integration_id_;
  std::string ingress_path_;
  std::string secret_;
};

TEST_F(NodePostgresTest, MigrateCreatesTheSchemaOnce) {
  ASSERT_TRUE(migrate(config_).ok());
  auto again = migrate(config_);  // a second run (a second node, an operator) changes nothing
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto db = must(store::open_database(config_.database));
  EXPECT_EQ(db->backend(), store::Backend::kPostgres);
  auto conn = must(db->connect());
  EXPECT_EQ(must(store::current_schema_version(*conn)), store::latest_schema_version());
  EXPECT_TRUE(store::check_schema(*conn).ok());
}

TEST_F(NodePostgresTest, SignedGreenhouseWebhookIsRecordedAndRelayed) {
  FakeEndpoint downstream;
  start_node();
  const std::string endpoint_secret = create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("4242");
  auto reply = post_signed(body, event_id);
  ASSERT_EQ(reply.status, 200) << reply.body;

  // Right after the 200: the row is in PostgreSQL, body intact.
  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].outcome == "received" || rows[0].outcome == "accepted") << rows[0].outcome;
  EXPECT_EQ(rows[0].integration_id, integration_id_);
  EXPECT_EQ(rows[0].tool, "greenhouse");
  EXPECT_EQ(rows[0].body, body);

  // Relayed downstream, signed with the endpoint's secret.
  ASSERT_TRUE(downstream.wait_for_count(1));
  const auto request = downstream.received()[0].request;
  auto payload = bj::parse(request.body);
  EXPECT_EQ(payload.at("type"), "remote-event-received");
  EXPECT_EQ(str(payload.at("data").at("integration_id")), integration_id_);
  const auto& events = payload.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("model"), "ats_candidates");
  EXPECT_EQ(events[0].at("remote_id"), "4242");
  EXPECT_EQ(std::string(request.header("X-Kombo-Signature").value_or("")),
            crypto::base64url_encode_nopad(crypto::hmac_sha256(endpoint_secret, request.body)));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 1; }));

  // A redelivery of the same event is recognised (the partial unique index on the dedupe key) and not
  // relayed again; the next event is.
  auto second = post_signed(body, event_id);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(bj::parse(second.body).at("data").at("duplicate"), true);
  ASSERT_EQ(post_signed(candidate_created("4343"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 2; }));
  std::size_t about_4242 = 0;
  for (const auto& r : downstream.received())
    if (r.request.body.find(R"("remote_id":"4242")") != std::string::npos) ++about_4242;
  EXPECT_EQ(about_4242, 1u);

  // The management API reads the same rows back.
  auto logs = api("GET", "/v1/logs/upstream?integration_id=" + integration_id_);
  ASSERT_EQ(logs.status, 200) << logs.body;
  EXPECT_EQ(bj::parse(logs.body).at("data").at("results").as_array().size(), 3u) << logs.body;
}

// PostgreSQL's text columns refuse bytes that are not UTF-8 (SQLite stores them): a signed webhook whose
// headers carry such bytes, and one whose JSON carries an escaped NUL, are still accepted and relayed.
TEST_F(NodePostgresTest, BytesPostgresTextRefusesDoNotCostAnAcceptedWebhook) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("77");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = call(*client_, "POST", node_->base_url() + ingress_path_, body,
                    {{"Signature", greenhouse_signature(secret_, body)},
                     {"Greenhouse-Event-ID", event_id},
                     {"X-Proxy-Note", std::string("caf\xe9 \xc3\x28")}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  const std::string nul_body =
      R"({"action":"new_candidate_application","payload":{"application":{"id":1002,"note":"a\u0000b",)"
      R"("candidate":{"id":78}}}})";
  auto nul = post_signed(nul_body, "gh-" + crypto::random_token(12));
  EXPECT_EQ(nul.status, 200) << nul.body;
  ASSERT_TRUE(downstream.wait_for_count(2));
}

// What an endpoint answers is kept as an excerpt in PostgreSQL text: a binary answer, one with NUL bytes, and
// one cut by the excerpt limit in the middle of a character are all recorded (as valid text), and the
// delivery's outcome with them, so the event is not sent again and again.
TEST_F(NodePostgresTest, WhateverBytesAnEndpointAnswersTheAttemptIsRecorded) {
  FakeEndpoint downstream;
  downstream.then({500, {}, std::string("\xff\xfe\x00\x01 binary", 11)})
      .then({200, {}, std::string(1023, 'a') + "\xc3\xa9\xc3\xa9 accents cut at the limit"});
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("88"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2, std::chrono::seconds(10)));

  auto db = must(store::open_database(config_.database));
  auto conn = must(db->connect());
  std::vector<store::Row> attempts;
  ASSERT_TRUE(wait_until([&] {
    attempts =
        must(conn->query("SELECT status_code, response_excerpt FROM attempts ORDER BY attempted_at", {}));
    return attempts.size() == 2;
  }));
  EXPECT_EQ(attempts[0].int64(0), 500);
  EXPECT_EQ(attempts[1].int64(0), 200);
  EXPECT_EQ(
      must(conn->query("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'", {})).at(0).int64(0), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(downstream.received().size(), 2u) << "delivered again: the outcome was not recorded";
}

TEST_F(NodePostgresTest, RestartsOnTheSameDatabase) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  node_->stop();
  node_.reset();

  // The schema is there and current; the integration and its ingress URL survive the restart.
  start_node();
  ASSERT_EQ(post_signed(candidate_created("9"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(1));
}

}  // namespace
}  // namespace tributary::app
