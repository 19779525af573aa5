// Two sync runners — two nodes' worth: each with its own writer and node id — on one database, SQLite and
// PostgreSQL: syncs of several integrations are queued again and again while both run, and no integration
// ever has two syncs whose running times overlap; every sync ends SUCCEEDED with every record stored once.
// Then, with the tool holding its listings (a gate), the two are shown to sync at the same time, and the free
// one to pass over the integration the other is syncing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/registry.h"
#include "sim/simulator.h"
#include "store/syncs_repo.h"
#include "sync/sync_runner.h"
#include "testing/test_db.h"
#include "testing/test_support.h"

namespace tributary::sync {
namespace {

namespace bj = boost::json;
using pipeline_testing::call;
using pipeline_testing::kGreenhouseCredentials;
using pipeline_testing::loopback_client;
using pipeline_testing::must;
using pipeline_testing::wait_until;

class SyncNodesTest : public store::testing_db::MigratedDbTest {
 protected:
  std::string add_integration(const std::string& base_url, const std::string& auth_url) {
    store::IntegrationRow row;
    row.id = "greenhouse:" + crypto::random_token(8);
    row.tool = "greenhouse";
    row.category = "ATS";
    row.end_user = R"({"organization_name":"Acme"})";
    row.credentials = secrets_.seal(std::string(kGreenhouseCredentials), SecretBox::credentials_of(row.id));
    row.remote_base_url = base_url;
    row.remote_auth_url = auth_url;
    row.scope = R"({"models":{"ats_jobs":true,"ats_candidates":false}})";
    row.sync = "{}";
    row.created_at = row.updated_at = now_ms();
    must(store::integrations::insert(c(), row), "insert integration");
    return row.id;
  }

  SecretBox secrets_{crypto::random_bytes(32)};

  // Two nodes' sync runners on this database, each with a writer of its own: started here, stopped by stop()
  // (runners first, then writers).
  struct TwoNodes {
    TwoNodes(SyncNodesTest& test, http::HttpClient& client)
        : pool(*test.db_), writer_a(test.connect()), writer_b(test.connect()) {
      writer_a.start();
      writer_b.start();
      a = runner(test, client, writer_a, "node-a");
      b = runner(test, client, writer_b, "node-b");
      a->start();
      b->start();
    }
    std::unique_ptr<SyncRunner> runner(SyncNodesTest& test, http::HttpClient& client, store::Writer& writer,
                                       const std::string& node) {
      SyncRunnerOptions options;
      options.node_id = node;
      options.idle_poll = std::chrono::milliseconds(100);
      return std::make_unique<SyncRunner>(pool, writer, connectors::builtin_registry(), test.secrets_, client,
                                          options);
    }
    void stop() {
      a->stop();
      b->stop();
      writer_a.stop();
      writer_b.stop();
    }

    store::Pool pool;
    store::Writer writer_a;
    store::Writer writer_b;
    std::unique_ptr<SyncRunner> a;
    std::unique_ptr<SyncRunner> b;
  };
};

TEST_P(SyncNodesTest, NoIntegrationEverHasTwoSyncsRunningAtOnce) {
  auto sim = sim::make_simulator("greenhouse", sim::SimOptions{});
  ASSERT_TRUE(sim->start().ok());
  auto client = loopback_client();
  for (int i = 0; i < 250; ++i)
    ASSERT_EQ(call(*client, "POST", sim->base_url() + "/_sim/ats_jobs",
                   R"({"name":"J)" + std::to_string(i) + R"("})")
                  .status,
              200);
  std::vector<std::string> integrations;
  for (int i = 0; i < 3; ++i)
    integrations.push_back(add_integration(sim->base_url(), sim->auth_base_url()));

  TwoNodes two(*this, *client);
  auto& a = two.a;
  auto& b = two.b;
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& id : integrations) {
      auto queued = (round % 2 ? a : b)->queue(id, "FULL");
      ASSERT_TRUE(queued.ok()) << queued.error().message;
    }
    a->notify();
    b->notify();
    // The next round waits until nothing is queued, so each round adds one sync per integration.
    ASSERT_TRUE(wait_until([&] { return scalar("SELECT count(*) FROM syncs WHERE state = 'QUEUED'") == 0; },
                           std::chrono::seconds(30)));
  }
  ASSERT_TRUE(wait_until(
      [&] {
        return scalar("SELECT count(*) FROM syncs WHERE state = 'SUCCEEDED'") ==
               static_cast<std::int64_t>(kRounds * integrations.size());
      },
      std::chrono::seconds(60)));
  two.stop();
  sim->stop();

  for (const auto& id : integrations) {
    auto rows = store::syncs::list_for_integration(c(), id, std::nullopt, 100);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), static_cast<std::size_t>(kRounds));
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const auto& x = rows->at(i);
      EXPECT_EQ(x.state, store::SyncState::kSucceeded) << x.errors;
      for (std::size_t j = i + 1; j < rows->size(); ++j) {
        const auto& y = rows->at(j);
        EXPECT_TRUE(*x.ended_at <= *y.started_at || *y.ended_at <= *x.started_at)
            << id << ": " << x.id << " and " << y.id << " ran at the same time";
      }
    }
    EXPECT_EQ(
        scalar("SELECT count(*) FROM records WHERE integration_id = $1 AND remote_deleted_at IS NULL", {id}),
        250);
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM syncs WHERE state = 'RUNNING'"), 0);
}

// The same two nodes, made to contend at known moments: the tool holds its job listings (a gate at the
// simulator), so a node that starts a sync stays inside it until the test opens the gate.
//   1. Syncs of three integrations are queued: both nodes are inside a sync at once (claims do not run one
//      node after the other).
//   2. With one node inside a sync of X, a second sync of X is queued and then one of Y. The free node takes
//      the oldest sync it may: Y's, passing over X's although it was queued first, because X is running on
//      the other node.
TEST_P(SyncNodesTest, BothNodesSyncAtOnceButNeverTheSameIntegration) {
  auto sim = sim::make_simulator("greenhouse", sim::SimOptions{});
  ASSERT_TRUE(sim->start().ok());
  auto client = loopback_client();
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(call(*client, "POST", sim->base_url() + "/_sim/ats_jobs",
                   R"({"name":"J)" + std::to_string(i) + R"("})")
                  .status,
              200);
  std::vector<std::string> integrations;
  for (int i = 0; i < 3; ++i)
    integrations.push_back(add_integration(sim->base_url(), sim->auth_base_url()));
  auto faults = [&](const std::string& body) {
    auto reply = call(*client, "POST", sim->base_url() + "/_sim/faults", body);
    ASSERT_EQ(reply.status, 200) << reply.body;
  };
  auto held = [&] {
    auto reply = call(*client, "GET", sim->base_url() + "/_sim/faults");
    return bj::parse(reply.body).at("held").to_number<std::int64_t>();
  };
  auto state_of = [&](const std::string& sync_id) {
    auto row = must(store::syncs::get(c(), sync_id));
    return row ? row->state : store::SyncState::kQueued;
  };

  TwoNodes two(*this, *client);
  auto& a = two.a;
  auto& b = two.b;
  auto all_done = [&] {
    return wait_until(
        [&] { return scalar("SELECT count(*) FROM syncs WHERE state IN ('QUEUED', 'RUNNING')") == 0; },
        std::chrono::seconds(60));
  };

  // 1. Both inside at once.
  faults(R"({"hold": "/v3/jobs"})");
  for (const auto& id : integrations)
    ASSERT_TRUE(a->queue(id, "FULL").ok());
  b->notify();
  const bool both_inside = wait_until([&] { return held() == 2; }, std::chrono::seconds(30));
  faults("{}");
  EXPECT_TRUE(both_inside) << "the two nodes never synced at the same time (held: " << held() << ")";
  ASSERT_TRUE(all_done());
  std::set<std::string> nodes;
  for (const auto& id : integrations) {
    const auto rows = must(store::syncs::list_for_integration(c(), id, std::nullopt, 100));
    for (const auto& row : rows)
      nodes.insert(row.claimed_by.value_or(""));
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"node-a", "node-b"}));

  // 2. The free node passes over the integration the other node is syncing.
  const std::string& x = integrations[0];
  const std::string& y = integrations[1];
  faults(R"({"hold": "/v3/jobs"})");
  auto first_x = a->queue(x, "FULL");
  ASSERT_TRUE(first_x.ok());
  b->notify();
  const bool x_inside = wait_until([&] { return held() == 1; }, std::chrono::seconds(30));
  auto second_x = a->queue(x, "FULL");
  ASSERT_TRUE(second_x.ok());
  EXPECT_FALSE(second_x->already_queued);
  auto then_y = a->queue(y, "FULL");
  ASSERT_TRUE(then_y.ok());
  b->notify();
  const bool free_node_inside = wait_until([&] { return held() == 2; }, std::chrono::seconds(30));
  const store::SyncState second_x_state = state_of(second_x->row.id);
  const store::SyncState y_state = state_of(then_y->row.id);
  faults("{}");
  ASSERT_TRUE(x_inside);
  ASSERT_TRUE(free_node_inside) << "the free node did not start the sync of Y";
  EXPECT_EQ(second_x_state, store::SyncState::kQueued) << "a second sync of X ran while X was running";
  EXPECT_EQ(y_state, store::SyncState::kRunning);
  ASSERT_TRUE(all_done());
  two.stop();
  sim->stop();

  auto xs = must(store::syncs::list_for_integration(c(), x, std::nullopt, 100));
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_EQ(xs[i].state, store::SyncState::kSucceeded) << xs[i].errors;
    for (std::size_t j = i + 1; j < xs.size(); ++j)
      EXPECT_TRUE(*xs[i].ended_at <= *xs[j].started_at || *xs[j].ended_at <= *xs[i].started_at)
          << xs[i].id << " and " << xs[j].id << " ran at the same time";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncNodesTest, store::testing_db::kBackends,
                         store::testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::sync
