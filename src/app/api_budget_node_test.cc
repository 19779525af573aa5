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

  std::int64_t count_rows(const std::string& sql, const std::vector<store::Value>& params) {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    auto rows = must(conn->query(sql, params));
    return rows.empty() ? 0 : rows[0].int64(0);
  }

  // The integration's first sync (queued when it is created) has ended.
  bool wait_first_sync() {
    return wait_until(
        [&] {
          return count_rows("SELECT COUNT(*) FROM syncs WHERE integration_id = $1 AND ended_at IS NOT NULL",
                            {integration_id_}) > 0;
        },
        std::chrono::seconds(60));
  }

  std::int64_t burst_requests(bool planned, int n);

  std::unique_ptr<sim::Simulator> sim_;
  std::vector<std::unique_ptr<Node>> more_nodes_;
};

// A new_candidate_application for `candidate_id`, told apart from the others by its application id (the
// ingress takes the same body twice within a window as one delivery).
std::string application_for(const std::string& candidate_id, int application_id) {
  return R"({"action":"new_candidate_application","payload":{"application":{"id":)" +
         std::to_string(application_id) + R"(,"candidate":{"id":")" + candidate_id + R"("}}}})";
}

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

// A burst of `n` webhooks for distinct candidates after the integration's first sync, with planned fetches
// or one fetch per event (the reference behaviour); returns the requests the tool saw for it. Every event is
// relayed with its record.
std::int64_t ApiBudgetNodeTest::burst_requests(bool planned, int n) {
  start_sim();
  const auto ids = create_candidates(n);
  config_.processing.fetch_planned = planned;
  config_.processing.fetch_target_delay_ms = 1000;  // the budget fetches 4 records within it
  start_node();
  create_limited_integration();
  EXPECT_TRUE(wait_first_sync());
  const std::int64_t before = sim_window().at("total").as_int64();
  for (int i = 0; i < n; ++i) {
    auto reply = post_signed(application_for(ids[i], 5000 + i), "gh-" + crypto::random_token(12));
    EXPECT_EQ(reply.status, 200) << reply.body;
  }
  EXPECT_TRUE(wait_until([&] { return all_processed(n); }, std::chrono::seconds(120)));
  // (That the tool's limit holds is ABurstOfWebhooksNeverTakesTheToolOverTheLimit's to show.)
  const bj::object window = sim_window();
  int relayed = 0;
  for (const auto& row : inbox_rows("integration_id = $1 AND processed_at IS NOT NULL", {integration_id_})) {
    if (!row.unified_events || row.unified_events->find("ats_candidates") == std::string::npos) continue;
    ++relayed;
    EXPECT_EQ(row.outcome, store::InboxOutcome::kAccepted) << row.id;
    EXPECT_EQ(row.unified_events->find("\"id\":null"), std::string::npos) << *row.unified_events;
    EXPECT_FALSE(row.warnings && row.warnings->find("fetch") != std::string::npos) << *row.warnings;
  }
  EXPECT_EQ(relayed, n);
  return window.at("total").as_int64() - before;
}

// Planned fetches (processing.fetch_strategy): a burst of distinct records, more than the budget fetches
// within the target delay, is read through Greenhouse's listing of changed candidates — a few requests for
// the whole burst instead of one per event. The same burst with one fetch per event asks for each record.
TEST_P(ApiBudgetNodeTest, ABurstBeyondTheBudgetIsReadThroughTheListing) {
  constexpr int kMany = 30;
  const std::int64_t requests = burst_requests(/*planned=*/true, kMany);
  EXPECT_LE(requests, kMany / 2) << "the burst was not read as a listing";
}

TEST_P(ApiBudgetNodeTest, OneFetchPerEventIsTheReference) {
  constexpr int kMany = 30;
  const std::int64_t requests = burst_requests(/*planned=*/false, kMany);
  EXPECT_GE(requests, kMany);
}

// Events naming one record while it waits for its fetch share that fetch: ten deliveries for one candidate
// cost far fewer than ten reads, and each is still relayed on its own.
TEST_P(ApiBudgetNodeTest, EventsOfOneRecordShareItsFetch) {
  ASSERT_NO_FATAL_FAILURE(start_sim());
  const auto ids = create_candidates(1);
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_limited_integration());
  ASSERT_TRUE(wait_first_sync());
  // A budget that is soon used up, so that the deliveries gather while the first one's fetch is served.
  auto patched = api("PATCH", "/v1/integrations/" + integration_id_,
                     R"({"rate_limit":{"requests":1,"window_ms":3000}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const std::int64_t before = sim_window().at("total").as_int64();
  constexpr int kDeliveries = 10;
  for (int i = 0; i < kDeliveries; ++i) {
    auto reply = post_signed(application_for(ids[0], 7000 + i), "gh-" + crypto::random_token(12));
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_TRUE(wait_until([&] { return all_processed(kDeliveries); }, std::chrono::seconds(60)));
  const std::int64_t requests = sim_window().at("total").as_int64() - before;
  EXPECT_LE(requests, 4) << "the deliveries did not share their fetches";
  EXPECT_EQ(
      count_rows("SELECT COUNT(*) FROM events WHERE integration_id = $1 AND type = 'remote-event-received'",
                 {integration_id_}),
      kDeliveries);
}

// One integration flooded beyond its budget (one request a second, twelve records) does not hold up
// another's events: the processor defers what the flooded budget cannot grant instead of waiting for it, so
// the second integration's webhook is relayed while the flood is still being fetched.
TEST_P(ApiBudgetNodeTest, AFloodedIntegrationDoesNotDelayAnother) {
  ASSERT_NO_FATAL_FAILURE(start_sim());
  constexpr int kFlood = 12;
  const auto flood_ids = create_candidates(kFlood);
  auto other_sim = sim::make_simulator("greenhouse", sim::SimOptions{});
  ASSERT_TRUE(other_sim->start().ok());
  auto other = call(*client_, "POST", other_sim->base_url() + "/_sim/ats_candidates",
                    R"({"first_name":"Quiet","last_name":"Neighbour"})");
  ASSERT_EQ(other.status, 200) << other.body;
  auto other_parsed = bj::parse(other.body);
  const auto& other_data = other_parsed.as_object().contains("data") ? other_parsed.at("data") : other_parsed;
  const std::string other_id(other_data.at("remote_id").as_string());
  start_node();

  struct Created {
    std::string id, path, secret;
  };
  auto create = [&](const std::string& base, const std::string& auth, const std::string& rate_limit) {
    auto reply = api("POST", "/v1/integrations",
                     R"({"tool":"greenhouse","end_user":{"organization_name":"Acme"},"credentials":)" +
                         std::string(kGreenhouseCredentials) + R"(,"remote_base_url":")" + base +
                         R"(","remote_auth_url":")" + auth + R"(")" + rate_limit +
                         R"(,"scope":{"upstream_webhooks":true}})");
    EXPECT_EQ(reply.status, 201) << reply.body;
    auto data = bj::parse(reply.body).at("data");
    std::string url(data.at("subscriptions").at(0).at("ingress_url").as_string());
    return Created{std::string(data.at("id").as_string()), url.substr(url.find("/ingress/greenhouse/")),
                   std::string(data.at("subscriptions").at(0).at("setup").at("secret").as_string())};
  };
  const Created flooded =
      create(sim_->base_url(), sim_->auth_base_url(), R"(,"rate_limit":{"requests":1,"window_ms":1000})");
  const Created quiet = create(other_sim->base_url(), other_sim->auth_base_url(), "");
  integration_id_ = flooded.id;
  ASSERT_TRUE(wait_first_sync());
  integration_id_ = quiet.id;
  ASSERT_TRUE(wait_first_sync());

  auto post = [&](const Created& to, const std::string& body) {
    auto reply = call(*client_, "POST", node_->base_url() + to.path, body,
                      {{"Signature", greenhouse_signature(to.secret, body)},
                       {"Greenhouse-Event-ID", "gh-" + crypto::random_token(12)}});
    EXPECT_EQ(reply.status, 200) << reply.body;
  };
  for (int i = 0; i < kFlood; ++i)
    post(flooded, application_for(flood_ids[i], 6000 + i));
  post(quiet, application_for(other_id, 6100));

  auto processed = [&](const std::string& integration) {
    return inbox_rows("integration_id = $1 AND processed_at IS NOT NULL", {integration}).size();
  };
  ASSERT_TRUE(wait_until([&] { return processed(quiet.id) >= 1; }, std::chrono::seconds(60)));
  const std::size_t flood_done = processed(flooded.id);
  EXPECT_LE(flood_done, static_cast<std::size_t>(kFlood / 2))
      << "the quiet integration's webhook waited for the flood to be fetched";
  integration_id_ = flooded.id;
  ASSERT_TRUE(wait_until([&] { return all_processed(kFlood); }, std::chrono::seconds(120)));
  std::vector<std::string> received;
  for (const auto& row : inbox_rows("integration_id = $1", {flooded.id})) {
    EXPECT_FALSE(row.warnings && row.warnings->find("fetch") != std::string::npos) << *row.warnings;
    if (row.outcome == store::InboxOutcome::kAccepted) received.push_back(row.id);
  }
  // The deferred events were relayed in the order they were received.
  auto db = must(store::open_database(config_.database));
  auto conn = must(db->connect());
  std::vector<std::string> relayed;
  for (const auto& r : must(conn->query("SELECT inbox_id FROM events WHERE integration_id = $1 AND type = "
                                        "'remote-event-received' ORDER BY seq",
                                        {flooded.id})))
    relayed.push_back(r.text(0));
  EXPECT_EQ(relayed, received);
  other_sim->stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiBudgetNodeTest, store::testing_db::kBackends,
                         store::testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::app
