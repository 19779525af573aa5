// Test support for the whole-node tests: a Node on a scratch database (a SQLite file, or a PostgreSQL schema
// of its own in the database named by TRIBUTARY_TEST_POSTGRES_URL, the case skipped when that is unset), the
// API called with the node's key, a Greenhouse integration whose ingress URL and secret are remembered, and
// Greenhouse webhooks signed as Greenhouse signs them. Header-only and used only by *_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/node.h"
#include "store/inbox_repo.h"
#include "testing/test_db.h"
#include "testing/test_support.h"

namespace tributary::app::node_testing {

using pipeline_testing::Reply;

inline std::string greenhouse_signature(const std::string& secret, const std::string& body) {
  return "sha256 " + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

// A Greenhouse new_candidate_application body; `candidate_id` is inserted as JSON (a number, or a quoted
// string).
inline std::string candidate_created(const std::string& candidate_id) {
  return R"({"action":"new_candidate_application","payload":{"application":{"id":1001,"candidate":{"id":)" +
         candidate_id + R"(}}}})";
}

class NodeTest : public ::testing::Test {
 protected:
  explicit NodeTest(store::Backend backend = store::Backend::kSqlite) : backend_(backend) {}

  void SetUp() override {
    if (backend_ == store::Backend::kPostgres && store::testing_db::postgres_url().empty()) {
      GTEST_SKIP() << store::testing_db::kPostgresUrlEnv
                   << " is not set: PostgreSQL node test skipped (scripts/with-postgres.sh sets it)";
    }
    auto made = scratch_.create(backend_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    config_.listen = "127.0.0.1:0";
    config_.database = scratch_.url();
    config_.api_key = "trib_test_" + crypto::random_token(24);
    config_.master_key = crypto::base64_encode(crypto::random_bytes(32));
    config_.delivery.allow_networks = {"127.0.0.0/8"};
    config_.delivery.timeout_ms = 3000;
    config_.retry = RetryConfig{50, 2.0, 3, 0.0};
    config_.shutdown_grace_ms = 300;
    client_ = pipeline_testing::loopback_client();
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
    return pipeline_testing::call(*client_, method, node_->base_url() + path, body,
                                  {{"Authorization", "Bearer " + config_.api_key}});
  }

  // Creates a Greenhouse integration with upstream webhooks on; remembers its ingress path and secret.
  void create_greenhouse_integration() {
    auto reply = api("POST", "/v1/integrations",
                     R"({"tool":"greenhouse","end_user":{"organization_name":"Acme","origin_id":"acme-1"},)"
                     R"("credentials":{"client_id":"c","client_secret":"s","user_id":"7"},)"
                     R"("scope":{"upstream_webhooks":true}})");
    ASSERT_EQ(reply.status, 201) << reply.body;
    auto data = boost::json::parse(reply.body).at("data");
    integration_id_ = std::string(data.at("id").as_string());
    const auto& subs = data.at("subscriptions").as_array();
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(subs[0].at("status"), "pending");
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
    return std::string(boost::json::parse(reply.body).at("data").at("secret").as_string());
  }

  Reply post_ingress(const std::string& path, const std::string& body, HeaderList headers) {
    return pipeline_testing::call(*client_, "POST", node_->base_url() + path, body, std::move(headers));
  }
  Reply post_signed(const std::string& body, const std::string& event_id) {
    return post_ingress(
        ingress_path_, body,
        {{"Signature", greenhouse_signature(secret_, body)}, {"Greenhouse-Event-ID", event_id}});
  }

  // Inbox rows as another process would see them: through a connection of the test's own.
  std::vector<store::InboxRow> inbox_rows(const std::string& where, const std::vector<store::Value>& params) {
    auto db = pipeline_testing::must(store::open_database(config_.database));
    auto conn = pipeline_testing::must(db->connect());
    auto rows =
        pipeline_testing::must(conn->query("SELECT id FROM inbox WHERE " + where + " ORDER BY seq", params));
    std::vector<store::InboxRow> out;
    for (const auto& r : rows) {
      auto row = pipeline_testing::must(store::inbox::get(*conn, r.text(0)));
      if (row) out.push_back(*row);
    }
    return out;
  }
  std::vector<store::InboxRow> rows_with_delivery_id(const std::string& event_id) {
    return inbox_rows("delivery_id = $1", {event_id});
  }

  store::Backend backend_;
  store::testing_db::ScratchDatabase scratch_;
  Config config_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<Node> node_;
  std::string integration_id_;
  std::string ingress_path_;
  std::string secret_;
};

}  // namespace tributary::app::node_testing
