// A whole node (SQLite and PostgreSQL), and three nodes on one PostgreSQL database, against a simulated tool
// that enforces an API limit and counts the most requests it saw in any window: a burst of webhooks, each
// with its targeted fetch, plus the integration's first sync, never takes the tool over the integration's
// limit (rate_limit) — no request refused — and the budget's figures show in the API object and /metrics.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"
#include "sim/simulator.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

// The integration's limit, and the simulator's: the same number of requests in a window 100 ms shorter,
// which absorbs the jitter between a grant on the node and the request's arrival at the tool.
constexpr int kRequests = 4;
constexpr int kWindowMs = 1000;
constexpr int kSimWindowMs = 900;
constexpr int kBurst = 12;

class ApiBudgetNodeTest : public NodeTest, public ::testing::WithParamInterface<store::Backend> {
 protected:
  ApiBudgetNodeTest() : NodeTest(GetParam()) {}

  void start_sim() {
    sim_ = sim::make_simulator("greenhouse", sim::SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    auto set = call(*client_, "POST", sim_->base_url() + "/_sim/faults",
                    R"({"window":{"requests":)" + std::to_string(kRequests) + R"(,"window_ms":)" +
                        std::to_string(kSimWindowMs) + "}}");
    ASSERT_EQ(set.status, 200) << set.body;
  }

  void TearDown() override {
    for (auto& n : more_nodes_)
      n->stop();
    more_nodes_.clear();
    NodeTest::TearDown();
    if (sim_) sim_->stop();
  }

  // A Greenhouse integration on the simulator, held to kRequests per kWindowMs.
  void create_limited_integration() {
    auto reply = api("POST", "/v1/integrations",
                     R"({"tool":"greenhouse","end_user":{"organization_name":"Acme"},"credentials":)" +
                         std::string(kGreenhouseCredentials) + R"(,"remote_base_url":")" + sim_->base_url() +
                         R"(","remote_auth_url":")" + sim_->auth_base_url() +
                         R"(","rate_limit":{"requests":)" + std::to_string(kRequests) + R"(,"window_ms":)" +
                         std::to_string(kWindowMs) + R"(},"scope":{"upstream_webhooks":true}})");
    ASSERT_EQ(reply.status, 201) << reply.body;
    auto data = bj::parse(reply.body).at("data");
    integration_id_ = std::string(data.at("id").as_string());
    EXPECT_EQ(data.at("rate_limit").at("requests"), kRequests);
    EXPECT_EQ(data.at("api_budget").at("limit").at("window_ms"), kWindowMs);
    const auto& subs = data.at("subscriptions").as_array();
    ASSERT_EQ(subs.size(), 1u);
    std::string url(subs[0].at("ingress_url").as_string());
    ingress_path_ = url.substr(url.find("/ingress/greenhouse/"));
    secret_ = std::string(subs[0].at("setup").at("secret").as_string());
  }

  std::vector<std::string> create_candidates(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/ats_candidates",
                        R"({"first_name":"C)" + std::to_string(i) + R"(","last_name":"Burst"})");
      EXPECT_EQ(reply.status, 200) << reply.body;
      auto parsed = bj::parse(reply.body);
      const auto& data = parsed.as_object().contains("data") ? parsed.at("data") : parsed;
      ids.push_back(std::string(data.at("remote_id").as_string()));
    }
    return ids;
  }

  bj::object sim_window() {
    auto reply = call(*client_, "GET", sim_->base_url() + "/_sim/faults");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return bj::parse(reply.body).at("window").as_object();
  }

  // Every webhook of the burst processed (fetched or, after waiting its turn too long, relayed with a
  // warning): the accepted inbox rows of the integration.
  bool all_processed(std::size_t n) {
    return inbox_rows("integration_id = $1 AND processed_at IS NOT NULL", {integration_id_}).size() >= n;
  }

  std::unique_ptr<sim::Simulator> sim_;
  std::vector<std::unique_ptr<Node>> more_nodes_;
};

TEST_P(ApiBudgetNodeTest, ABurstOfWebhooksNeverTakesTheToolOverTheLimit) {
  ASSERT_NO_FATAL_FAILURE(start_sim());
  const auto ids = create_candidates(kBurst);
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_limited_integration());
  for (int i = 0; i < kBurst; ++i) {
    auto reply = post_signed(candidate_created('"' + ids[i] + '"'), "gh-" + crypto::random_token(12));
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_TRUE(wait_until([&] { return all_processed(kBurst); }, std::chrono::seconds(120)));

  const bj::object window = sim_window();
  EXPECT_GE(window.at("total").as_int64(), kBurst) << bj::serialize(window);  // every record was asked for
  EXPECT_LE(window.at("max_seen").as_int64(), kRequests) << bj::serialize(window);
  EXPECT_EQ(window.at("rejected").as_int64(), 0) << bj::serialize(window);

  auto got = api("GET", "/v1/integrations/" + integration_id_);
  ASSERT_EQ(got.status, 200) << got.body;
  const auto budget = bj::parse(got.body).at("data").at("api_budget");
  EXPECT_EQ(budget.at("requests").as_int64(), window.at("total").as_int64()) << got.body;
  EXPECT_EQ(budget.at("throttled").as_int64(), 0) << got.body;
  const std::string metrics = node_->metrics_text();
  EXPECT_NE(metrics.find("tributary_api_requests_total{integration=\"" + integration_id_ + "\"}"),
            std::string::npos)
      << metrics;
}

// Webhooks whose fetches cannot finish (the tool holds them) show as waiting in the integration's api_budget
// and in /metrics, from the database, and no longer once processed.
TEST_P(ApiBudgetNodeTest, FetchesWaitingShowInTheApiAndMetrics) {
  ASSERT_NO_FATAL_FAILURE(start_sim());
  const auto ids = create_candidates(3);
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_limited_integration());
  auto budget = [&] {
    auto got = api("GET", "/v1/integrations/" + integration_id_);
    EXPECT_EQ(got.status, 200) << got.body;
    return bj::parse(got.body).at("data").at("api_budget").as_object();
  };
  EXPECT_EQ(budget().at("fetches_waiting").as_int64(), 0);
  EXPECT_TRUE(budget().at("oldest_wait_seconds").is_null());
  EXPECT_EQ(budget().at("declared").at("requests").as_int64(), 50);  // Greenhouse's documented limit
  EXPECT_EQ(budget().at("effective_requests").as_int64(), kRequests);
  ASSERT_EQ(call(*client_, "POST", sim_->base_url() + "/_sim/faults", R"({"hold": "/v3/"})").status, 200);
  for (const auto& id : ids) {
    auto reply = post_signed(candidate_created('"' + id + '"'), "gh-" + crypto::random_token(12));
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_TRUE(
      wait_until([&] { return budget().at("fetches_waiting").as_int64() == 3; }, std::chrono::seconds(20)))
      << bj::serialize(budget());
  const bj::object waiting = budget();
  ASSERT_TRUE(waiting.at("oldest_wait_seconds").is_number()) << bj::serialize(waiting);
  EXPECT_GE(waiting.at("oldest_wait_seconds").to_number<double>(), 0.0);
  const std::string label = "{integration=\"" + integration_id_ + "\"} ";
  std::string metrics = node_->metrics_text();
  EXPECT_NE(metrics.find("tributary_api_budget_fetches_waiting" + label + "3\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tributary_api_budget_oldest_wait_seconds" + label), std::string::npos) << metrics;

  ASSERT_EQ(call(*client_, "POST", sim_->base_url() + "/_sim/faults", "{}").status, 200);
  ASSERT_TRUE(wait_until([&] { return all_processed(3); }, std::chrono::seconds(60)));
  EXPECT_EQ(budget().at("fetches_waiting").as_int64(), 0);
  EXPECT_TRUE(budget().at("oldest_wait_seconds").is_null());
  metrics = node_->metrics_text();
  EXPECT_NE(metrics.find("tributary_api_budget_fetches_waiting" + label + "0\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tributary_api_budget_oldest_wait_seconds" + label + "0\n"), std::string::npos)
      << metrics;
}

TEST_P(ApiBudgetNodeTest, ThreeNodesOnOneDatabaseShareTheLimit) {
  if (GetParam() != store::Backend::kPostgres) GTEST_SKIP() << "several nodes share a PostgreSQL database";
  ASSERT_NO_FATAL_FAILURE(start_sim());
  const auto ids = create_candidates(kBurst);
  start_node();
  for (int i = 0; i < 2; ++i) {
    more_nodes_.push_back(std::make_unique<Node>(config_));
    auto started = more_nodes_.back()->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  ASSERT_NO_FATAL_FAILURE(create_limited_integration());
  // The webhooks arrive at all three nodes; whichever claims one fetches its record.
  for (int i = 0; i < kBurst; ++i) {
    const std::string base = i % 3 == 0 ? node_->base_url() : more_nodes_[i % 3 - 1]->base_url();
    const std::string body = candidate_created('"' + ids[i] + '"');
    auto reply = call(*client_, "POST", base + ingress_path_, body,
                      {{"Signature", greenhouse_signature(secret_, body)},
                       {"Greenhouse-Event-ID", "gh-" + crypto::random_token(12)}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_TRUE(wait_until([&] { return all_processed(kBurst); }, std::chrono::seconds(120)));
  const bj::object window = sim_window();
  EXPECT_GE(window.at("total").as_int64(), kBurst) << bj::serialize(window);
  EXPECT_LE(window.at("max_seen").as_int64(), kRequests) << bj::serialize(window);
  EXPECT_EQ(window.at("rejected").as_int64(), 0) << bj::serialize(window);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiBudgetNodeTest,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         [](const auto& info) {
                           return info.param == store::Backend::kSqlite ? std::string("Sqlite")
                                                                        : std::string("Postgres");
                         });

}  // namespace
}  // namespace tributary::app
