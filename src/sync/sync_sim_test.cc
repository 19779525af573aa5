// The sync runner against the simulated tools over loopback: thousands of records paged through, a record
// deleted remotely between two full syncs, 401 → AUTHENTICATION_FAILED with sync-finished delivered, 429 +
// Retry-After waited out, force-sync's already_queued, two runners on one database never running two syncs of
// one integration at once, and delta syncs that list only what changed through each tool's incremental
// filter.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "connectors/common/scripted_api.h"
#include "connectors/registry.h"
#include "delivery/dispatcher.h"
#include "sim/simulator.h"
#include "store/records_repo.h"
#include "store/syncs_repo.h"
#include "sync/sync_runner.h"
#include "testing/test_support.h"

namespace tributary::sync {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

constexpr std::string_view kJobsScope = R"({"models":{"ats_jobs":true,"ats_candidates":false}})";

class SyncSimTest : public ::testing::Test {
 protected:
  void start_tool(const std::string& tool) {
    sim_ = sim::make_simulator(tool, sim::SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    // The runner here has no API budget (the node's keeps a tool's limits: api_budget_node_test): the
    // simulated tool's limits are switched off.
    auto off = call(*client_, "POST", sim_->base_url() + "/_sim/limits", R"({"enforce": false})");
    ASSERT_EQ(off.status, 200) << off.body;
  }
  void TearDown() override {
    if (sim_) sim_->stop();
  }

  std::unique_ptr<SyncRunner> make_runner(store::Writer& writer, std::string node = "node-a",
                                          Millis delta_overlap_ms = 5 * 60 * 1000) {
    SyncRunnerOptions options;
    options.delta_overlap_ms = delta_overlap_ms;
    options.node_id = std::move(node);
    options.public_url = "http://tributary.test";
    options.api_timeout = std::chrono::milliseconds(5000);
    options.idle_poll = std::chrono::milliseconds(200);
    return std::make_unique<SyncRunner>(store_.pool(), writer, connectors::builtin_registry(),
                                        store_.secrets(), *client_, options);
  }

  std::string sim_create(const std::string& model, const std::string& body) {
    auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/" + model, body);
    EXPECT_EQ(reply.status, 200) << reply.body << reply.error;
    auto parsed = bj::parse(reply.body);
    return std::string(parsed.at("remote_id").as_string());
  }
  void fault(const std::string& body) {
    auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/faults", body);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  // Queues a sync and runs it on this thread.
  store::SyncRow sync_now(SyncRunner& runner, const std::string& integration,
                          std::string_view type = "FULL") {
    auto queued = runner.queue(integration, type);
    EXPECT_TRUE(queued.ok()) << queued.error().message;
    auto ran = runner.run_once();
    EXPECT_TRUE(ran.ok() && *ran) << (ran.ok() ? "nothing ran" : ran.error().message);
    auto row = store::syncs::get(store_.conn(), queued->row.id);
    EXPECT_TRUE(row.ok() && *row);
    return row.ok() && *row ? **row : store::SyncRow{};
  }

  std::vector<store::EventRow> events_of(const std::string& integration, const std::string& type) {
    store::EventFilter f;
    f.integration_id = integration;
    f.type = type;
    f.limit = 1000;
    auto rows = store::events::list(store_.conn(), f);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<store::EventRow>{};
  }

  std::int64_t live_records(const std::string& integration, const std::string& model) {
    return store_.count(
        "SELECT count(*) FROM records WHERE integration_id = $1 AND model = $2 AND remote_deleted_at IS NULL",
        {integration, model});
  }

  TestStore store_;
  std::unique_ptr<http::CurlClient> client_ = loopback_client();
  std::unique_ptr<sim::Simulator> sim_;
};

TEST_F(SyncSimTest, ThousandsOfRecordsArePagedThroughAndASecondSyncChangesNothing) {
  start_tool("greenhouse");
  constexpr int kJobs = 2100;  // 22 pages of Harvest's 100
  for (int i = 0; i < kJobs; ++i)
    sim_create("ats_jobs", R"({"name":"Job )" + std::to_string(i) + R"("})");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer());
  auto first = sync_now(*runner, integration);
  EXPECT_EQ(first.state, store::SyncState::kSucceeded) << first.errors;
  EXPECT_EQ(first.type, "FULL");
  EXPECT_EQ(first.created, kJobs);
  EXPECT_EQ(first.updated + first.deleted + first.unchanged, 0);
  EXPECT_EQ(live_records(integration, "ats_jobs"), kJobs);
  auto changed = events_of(integration, "data-changed");
  ASSERT_EQ(changed.size(), 1u);
  auto payload = bj::parse(changed.front().payload);
  EXPECT_EQ(payload.at("data").at("changed_models"), bj::parse(R"([{"name":"ats_jobs"}])"));
  auto first_ok = store::syncs::first_succeeded_at(store_.conn(), integration);
  ASSERT_TRUE(first_ok.ok() && *first_ok);

  auto second = sync_now(*runner, integration);
  EXPECT_EQ(second.state, store::SyncState::kSucceeded);
  EXPECT_EQ(second.unchanged, kJobs);
  EXPECT_EQ(second.created + second.updated + second.deleted, 0);
  EXPECT_EQ(events_of(integration, "data-changed").size(), 1u);  // nothing changed: no new data-changed
  EXPECT_EQ(events_of(integration, "sync-finished").size(), 2u);
}

// The mass-deletion guard, on the BambooHR case: a listing that comes back empty (as every BambooHR listing
// did while entries keyed `employeeId` were read for `id`) must not mark the stored employees deleted; nor
// may one that loses most of them. The sync says what it held back; a confirmed sync applies it.
TEST_F(SyncSimTest, AListingThatDropsEverythingDeletesNothingUntilTheOperatorConfirms) {
  connectors::testing::ScriptedApi bamboo;
  ASSERT_TRUE(bamboo.start().ok());
  std::mutex mu;
  std::vector<std::string> listed;  // the employee ids the list answers with, guarded by mu
  bamboo.on("GET /api/v1/employees/changed", [&](const connectors::testing::ScriptedRequest&) {
    std::lock_guard lock(mu);
    bj::object employees;
    for (const auto& id : listed)
      employees[id] = bj::object{{"id", id}, {"action", "Updated"}, {"lastChanged", "2026-12-01T10:00:00Z"}};
    return http::Response::json(
        200, bj::serialize(bj::object{{"latest", nullptr}, {"employees", std::move(employees)}}));
  });
  bamboo.on("GET /api/v1/employees/*", [](const connectors::testing::ScriptedRequest& r) {
    const std::string id = r.path.substr(r.path.rfind('/') + 1);
    return http::Response::json(200, R"({"id":")" + id + R"(","firstName":"F)" + id + R"("})");
  });
  auto set_listed = [&](std::vector<std::string> ids) {
    std::lock_guard lock(mu);
    listed = std::move(ids);
  };
  const std::string integration = store_.add_integration(
      "bamboohr", "HRIS", R"({"models":{"hris_employees":true,"hris_absences":false}})", bamboo.base_url(),
      R"({"api_key":"k","company_domain":"acme"})");
  auto runner = make_runner(store_.writer());
  auto held_entry = [](const store::SyncRow& sync) -> bj::object {
    const bj::value errors = bj::parse(sync.errors);
    for (const auto& e : errors.as_array())
      if (e.as_object().contains("held_deletions")) return e.as_object();
    return {};
  };

  set_listed({"1", "2", "3", "4", "5", "6"});
  EXPECT_EQ(sync_now(*runner, integration).state, store::SyncState::kSucceeded);
  ASSERT_EQ(live_records(integration, "hris_employees"), 6);

  set_listed({});  // a listing that drops everything
  auto empty = sync_now(*runner, integration);
  EXPECT_EQ(empty.state, store::SyncState::kPartiallyFailed) << empty.errors;
  EXPECT_EQ(empty.deleted, 0);
  EXPECT_EQ(live_records(integration, "hris_employees"), 6);
  bj::object entry = held_entry(empty);
  ASSERT_FALSE(entry.empty()) << empty.errors;
  EXPECT_EQ(entry.at("model"), "hris_employees");
  EXPECT_EQ(entry.at("held_deletions").as_int64(), 6);
  EXPECT_EQ(entry.at("stored").as_int64(), 6);
  EXPECT_NE(std::string(entry.at("message").as_string()).find("confirm-deletions"), std::string::npos);

  set_listed({"1"});  // five of six would go: more than 20 % and at least five
  auto most = sync_now(*runner, integration);
  EXPECT_EQ(most.state, store::SyncState::kPartiallyFailed) << most.errors;
  EXPECT_EQ(live_records(integration, "hris_employees"), 6);
  EXPECT_EQ(held_entry(most).at("held_deletions").as_int64(), 5);

  // The operator confirms: the next full sync applies what its own listing finds missing.
  auto confirmed = store::syncs::queue(store_.conn(), integration, store::kSyncFull, now_ms(), true);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message;
  ASSERT_TRUE(runner->run_once().ok());
  auto applied = store::syncs::get(store_.conn(), confirmed->row.id);
  ASSERT_TRUE(applied.ok() && *applied);
  EXPECT_EQ((*applied)->state, store::SyncState::kSucceeded) << (*applied)->errors;
  EXPECT_EQ((*applied)->deleted, 5);
  EXPECT_EQ(live_records(integration, "hris_employees"), 1);

  set_listed({});  // the last one stored, and an empty listing: held again
  EXPECT_EQ(sync_now(*runner, integration).state, store::SyncState::kPartiallyFailed);
  EXPECT_EQ(live_records(integration, "hris_employees"), 1);
}

TEST(MassDeletionGuard, JudgesEmptyListingsAlwaysAndSharesFromFiveRecords) {
  EXPECT_FALSE(looks_like_mass_deletion(0, 0, 0, 20));      // nothing stored
  EXPECT_TRUE(looks_like_mass_deletion(1, 0, 1, 20));       // the one stored, and an empty listing
  EXPECT_TRUE(looks_like_mass_deletion(1, 0, 1, 100));      // an empty listing even with the share rule off
  EXPECT_FALSE(looks_like_mass_deletion(3, 2, 1, 20));      // a small company deleting one
  EXPECT_FALSE(looks_like_mass_deletion(6, 2, 4, 20));      // four is below the minimum
  EXPECT_TRUE(looks_like_mass_deletion(100, 79, 21, 20));   // 21 %
  EXPECT_FALSE(looks_like_mass_deletion(100, 80, 20, 20));  // 20 % is allowed
  EXPECT_FALSE(looks_like_mass_deletion(100, 1, 99, 100));  // the share rule off
}

// A tool listing a record whose id no URL or index should hold: that record is skipped and named among the
// sync's errors; the others are stored.
TEST_F(SyncSimTest, ARecordWithAnUnusableRemoteIdIsSkippedAndTheRestStored) {
  connectors::testing::ScriptedApi harvest;
  ASSERT_TRUE(harvest.start().ok());
  harvest.set("POST /token", 200, R"({"access_token":"tok","token_type":"Bearer","expires_in":3600})");
  harvest.set(
      "GET /v3/jobs", 200,
      R"([{"id": 11, "name": "Engineer"}, {"id": ")" + std::string(300, '7') + R"(", "name": "Odd"}])");
  harvest.set("GET /v3/job_posts", 200, "[]");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), harvest.base_url() + "/v3",
                             kGreenhouseCredentials, harvest.base_url());
  auto runner = make_runner(store_.writer());
  auto sync = sync_now(*runner, integration);
  EXPECT_EQ(sync.state, store::SyncState::kPartiallyFailed) << sync.errors;
  EXPECT_EQ(sync.created, 1);
  EXPECT_NE(sync.errors.find("300 bytes"), std::string::npos) << sync.errors;
  EXPECT_EQ(live_records(integration, "ats_jobs"), 1);
}

TEST_F(SyncSimTest, ARecordDeletedRemotelyBetweenTwoFullSyncsIsMarkedDeleted) {
  start_tool("greenhouse");
  const std::string keep = sim_create("ats_jobs", R"({"name":"Keep"})");
  const std::string gone = sim_create("ats_jobs", R"({"name":"Gone"})");
  const std::string edit = sim_create("ats_jobs", R"({"name":"Edit"})");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer());
  EXPECT_EQ(sync_now(*runner, integration).created, 3);

  ASSERT_EQ(call(*client_, "DELETE", sim_->base_url() + "/_sim/ats_jobs/" + gone).status, 200);
  ASSERT_EQ(
      call(*client_, "PATCH", sim_->base_url() + "/_sim/ats_jobs/" + edit, R"({"name":"Edited"})").status,
      200);
  // A delta sync lists but never marks deletions.
  auto delta = sync_now(*runner, integration, "DELTA");
  EXPECT_EQ(delta.state, store::SyncState::kSucceeded);
  EXPECT_EQ(delta.deleted, 0);
  EXPECT_EQ(delta.updated, 1);
  EXPECT_EQ(live_records(integration, "ats_jobs"), 3);

  auto full = sync_now(*runner, integration);
  EXPECT_EQ(full.state, store::SyncState::kSucceeded);
  EXPECT_EQ(full.deleted, 1);
  EXPECT_EQ(full.unchanged, 2);
  auto row = store::records::get(store_.conn(), integration, "ats_jobs", gone);
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_TRUE((*row)->remote_deleted_at.has_value());
  EXPECT_EQ(live_records(integration, "ats_jobs"), 2);
  EXPECT_EQ(events_of(integration, "data-changed").size(), 3u);
}

TEST_F(SyncSimTest, UnauthorizedIsAuthenticationFailedAndSyncFinishedIsDelivered) {
  start_tool("personio");
  const std::string integration =
      store_.add_integration("personio", "HRIS", R"({"models":{}})", sim_->base_url(), kPersonioCredentials);
  FakeEndpoint endpoint;
  store_.add_endpoint(endpoint.url(), {"sync-finished"});
  delivery::DispatcherOptions dopts;
  // The dispatcher's own client goes before the dispatcher (as in Node::stop): a completion must never
  // arrive after the dispatcher is gone.
  auto dispatcher_client = loopback_client();
  delivery::Dispatcher dispatcher(store_.pool(), store_.writer(), *dispatcher_client, store_.secrets(),
                                  dopts);
  dispatcher.start();
  auto runner = make_runner(store_.writer());
  auto wake = store_.writer().subscribe(store::kOutboxChannel, [&dispatcher] { dispatcher.notify(); });

  fault(R"({"unauthorized": true})");
  auto failed = sync_now(*runner, integration);
  EXPECT_EQ(failed.state, store::SyncState::kAuthenticationFailed);
  EXPECT_NE(failed.errors.find("hris_"), std::string::npos) << failed.errors;
  EXPECT_EQ(failed.errors.find("test-secret"), std::string::npos);
  auto first_ok = store::syncs::first_succeeded_at(store_.conn(), integration);
  ASSERT_TRUE(first_ok.ok());
  EXPECT_FALSE(*first_ok);

  ASSERT_TRUE(endpoint.wait_for_count(1));
  auto body = bj::parse(endpoint.received().front().request.body);
  EXPECT_EQ(body.at("type"), bj::value("sync-finished"));
  const auto& data = body.at("data");
  EXPECT_EQ(data.at("sync_id"), bj::value(failed.id));
  EXPECT_EQ(data.at("sync_state"), bj::value("AUTHENTICATION_FAILED"));
  EXPECT_EQ(data.at("integration_id"), bj::value(integration));
  EXPECT_EQ(data.at("integration_tool"), bj::value("personio"));
  EXPECT_EQ(data.at("integration_category"), bj::value("HRIS"));
  EXPECT_EQ(data.at("end_user").at("organization_name"), bj::value("Acme"));
  EXPECT_EQ(data.at("log_url"), bj::value("http://tributary.test/v1/syncs/" + failed.id));
  EXPECT_TRUE(data.at("sync_duration_seconds").is_number());
  EXPECT_TRUE(data.at("sync_started_at").is_string());
  EXPECT_TRUE(data.at("sync_ended_at").is_string());

  fault(R"({"unauthorized": false})");
  EXPECT_EQ(sync_now(*runner, integration).state, store::SyncState::kSucceeded);
  ASSERT_TRUE(endpoint.wait_for_count(2));
  EXPECT_EQ(bj::parse(endpoint.received().back().request.body).at("data").at("sync_state"),
            bj::value("SUCCEEDED"));
  dispatcher.stop(std::chrono::milliseconds(1000));
  dispatcher_client.reset();
}

TEST_F(SyncSimTest, RateLimitedToolIsWaitedForAsRetryAfterSays) {
  start_tool("personio");
  const std::string person =
      sim_create("hris_employees", R"({"first_name":"Ada","last_name":"Lovelace","job_title":"Analyst"})");
  const std::string integration = store_.add_integration(
      "personio", "HRIS", R"({"models":{"hris_absences":false}})", sim_->base_url(), kPersonioCredentials);
  auto runner = make_runner(store_.writer());
  fault(R"({"rate_limit": {"count": 2, "retry_after_seconds": 1}})");
  const auto started = std::chrono::steady_clock::now();
  auto row = sync_now(*runner, integration);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(row.state, store::SyncState::kSucceeded) << row.errors;
  EXPECT_EQ(row.created, 1);
  EXPECT_GE(took, std::chrono::milliseconds(1900));  // two answers of Retry-After: 1
  auto record = store::records::get(store_.conn(), integration, "hris_employees", person);
  ASSERT_TRUE(record.ok() && *record);
  EXPECT_EQ(bj::parse((*record)->data).at("job_title"), bj::value("Analyst"));

  // A tool that keeps answering 429 fails the sync with the reason.
  fault(R"({"rate_limit": {"count": 100, "retry_after_seconds": 0}})");
  auto limited = sync_now(*runner, integration);
  EXPECT_EQ(limited.state, store::SyncState::kFailed);
  EXPECT_NE(limited.errors.find("429"), std::string::npos) << limited.errors;
}

TEST_F(SyncSimTest, ARecordAnEventChangedWhileThePageWasReadKeepsTheEventsVersion) {
  start_tool("greenhouse");
  const std::string job = sim_create("ats_jobs", R"({"name":"As listed"})");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer());
  ASSERT_TRUE(runner->queue(integration, "FULL").ok());
  // The listing is held at the tool (a gate, however long it takes); meanwhile an event's targeted fetch
  // stores a newer version. Then the listing answers with the version the tool still has.
  fault(R"({"hold": "/v3/jobs"})");
  std::thread sync([&] { EXPECT_TRUE(*runner->run_once()); });
  const bool listing_held = wait_until(
      [&] {
        auto reply = call(*client_, "GET", sim_->base_url() + "/_sim/faults");
        return bj::parse(reply.body).at("held") != bj::value(0);
      },
      std::chrono::seconds(30));
  const std::string newer = R"({"id":"x","remote_id":")" + job + R"(","name":"From the event"})";
  must(store_.writer().run([&](store::Connection& c) -> Status {
    auto up = store::records::upsert(c, integration, "ats_jobs", "x", job, newer, now_ms());
    return up ? Status{} : Status{up.error()};
  }));
  fault("{}");  // released
  sync.join();
  ASSERT_TRUE(listing_held) << "the sync never listed the jobs";
  auto rows = store::syncs::list_for_integration(store_.conn(), integration, std::nullopt, 1);
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_EQ(rows->front().state, store::SyncState::kSucceeded) << rows->front().errors;
  EXPECT_EQ(rows->front().unchanged, 1);
  auto record = store::records::get(store_.conn(), integration, "ats_jobs", job);
  ASSERT_TRUE(record.ok() && *record);
  EXPECT_EQ(bj::parse((*record)->data).at("name"), bj::value("From the event"));
}

TEST_F(SyncSimTest, ForceSyncAnswersAlreadyQueuedWhileOneWaits) {
  start_tool("greenhouse");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer());
  auto first = runner->queue(integration, "DELTA");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->already_queued);
  auto second = runner->queue(integration, "FULL");
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->already_queued);
  EXPECT_EQ(second->row.id, first->row.id);
  EXPECT_EQ(second->row.type, "FULL");
  ASSERT_TRUE(*runner->run_once());
  EXPECT_FALSE(*runner->run_once());
  auto third = runner->queue(integration, "FULL");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->already_queued);
}

TEST_F(SyncSimTest, TheScheduleQueuesDueSyncsOnceAndMovesNextSyncAtOn) {
  start_tool("greenhouse");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer());
  const Millis now = now_ms();
  must(store_.writer().run(
      [&](store::Connection& c) { return store::syncs::set_next_sync_at(c, integration, now - 1); }));
  auto queued = runner->schedule_due();
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(*queued, 1);
  EXPECT_EQ(*runner->schedule_due(), 0);
  auto next = store::syncs::next_sync_at(store_.conn(), integration);
  ASSERT_TRUE(next.ok() && *next);
  // Webhooks are off in this scope: the faster interval (default 10 min).
  EXPECT_GE(**next, now + 600 * 1000 - 1000);
  EXPECT_LE(**next, now_ms() + 600 * 1000);
}

// Two runners (two nodes: each its own writer and node id) contend for one integration: node a's sync is held
// inside the tool's listing (a gate at the simulator) while a second sync of the same integration is queued,
// and node b tries to claim it then. Node b must come away empty-handed (it would otherwise be inside the
// tool too), and takes the sync once node a's has ended.
TEST_F(SyncSimTest, TwoRunnersOnOneDatabaseNeverRunTwoSyncsOfOneIntegrationAtOnce) {
  start_tool("greenhouse");
  for (int i = 0; i < 30; ++i)
    sim_create("ats_jobs", R"({"name":"J)" + std::to_string(i) + R"("})");
  const std::string integration =
      store_.add_integration("greenhouse", "ATS", std::string(kJobsScope), sim_->base_url(),
                             kGreenhouseCredentials, sim_->auth_base_url());
  store::Writer other_writer(must(store_.db().connect(), "connect"));
  other_writer.start();
  auto a = make_runner(store_.writer(), "node-a");
  auto b = make_runner(other_writer, "node-b");
  auto held = [&] {
    auto reply = call(*client_, "GET", sim_->base_url() + "/_sim/faults");
    return bj::parse(reply.body).at("held").to_number<std::int64_t>();
  };

  fault(R"({"hold": "/v3/jobs"})");
  ASSERT_TRUE(a->queue(integration, "FULL").ok());
  auto a_ran = std::async(std::launch::async, [&] { return a->run_once(); });
  const bool a_inside = wait_until([&] { return held() == 1; }, std::chrono::seconds(30));
  auto second = b->queue(integration, "FULL");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->already_queued);  // a new row: the first sync runs, it is not queued any more
  auto b_ran = std::async(std::launch::async, [&] { return b->run_once(); });
  // Node b either comes back without a sync, or claims the second one and is held inside the tool too.
  const bool b_back = wait_until(
      [&] { return b_ran.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready || held() > 1; },
      std::chrono::seconds(30));
  const std::int64_t inside = held();
  fault("{}");  // released
  ASSERT_TRUE(a_inside) << "node a's sync never reached the tool";
  ASSERT_TRUE(b_back);
  EXPECT_EQ(inside, 1) << "both nodes were inside a sync of the integration at once";
  auto b_first = b_ran.get();
  ASSERT_TRUE(b_first.ok()) << b_first.error().message;
  EXPECT_FALSE(*b_first) << "node b claimed a sync of an integration node a was syncing";
  auto a_first = a_ran.get();
  ASSERT_TRUE(a_first.ok() && *a_first);
  // Node a's sync over, node b takes the second.
  auto b_next = b->run_once();
  ASSERT_TRUE(b_next.ok() && *b_next);
  other_writer.stop();

  auto rows = store::syncs::list_for_integration(store_.conn(), integration, std::nullopt, 100);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  std::set<std::string> nodes;
  for (const auto& row : *rows) {
    EXPECT_EQ(row.state, store::SyncState::kSucceeded) << row.errors;
    nodes.insert(row.claimed_by.value_or(""));
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"node-a", "node-b"}));
  const auto& x = rows->at(0);
  const auto& y = rows->at(1);
  EXPECT_TRUE(*x.ended_at <= *y.started_at || *y.ended_at <= *x.started_at)
      << x.id << " [" << *x.started_at << ", " << *x.ended_at << "] overlaps " << y.id << " ["
      << *y.started_at << ", " << *y.ended_at << "]";
  EXPECT_EQ(live_records(integration, "ats_jobs"), 30);
}

}  // namespace
}  // namespace tributary::sync

namespace tributary::sync {
namespace {

// A tool whose connector lists changes, the model its delta reads, and the test's way in.
struct DeltaCase {
  std::string tool;
  std::string category;
  std::string model;
  std::string scope;
  std::string credentials;
  std::string create_body;
  std::string change_body;
};

void PrintTo(const DeltaCase& c, std::ostream* os) {
  *os << c.tool;
}

class SyncDeltaTest : public SyncSimTest, public ::testing::WithParamInterface<DeltaCase> {};

// Three records fully synced; one changes: a DELTA through the tool's filter lists that one only (no overlap
// in this test, so "since" is exactly the full sync's start). Once the integration itself changes, a DELTA
// lists everything again: a model enabled since would otherwise never be read.
TEST_P(SyncDeltaTest, ADeltaListsOnlyWhatChangedSinceTheLastSuccessfulSync) {
  const DeltaCase& c = GetParam();
  start_tool(c.tool);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(sim_create(c.model, c.create_body));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string integration = store_.add_integration(c.tool, c.category, c.scope, sim_->base_url(),
                                                         c.credentials, sim_->auth_base_url());
  auto runner = make_runner(store_.writer(), "node-a", /*delta_overlap_ms=*/0);
  auto full = sync_now(*runner, integration);
  ASSERT_EQ(full.state, store::SyncState::kSucceeded) << full.errors;
  ASSERT_EQ(full.created, 3);

  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto patched = call(*client_, "PATCH", sim_->base_url() + "/_sim/" + c.model + "/" + ids[1], c.change_body);
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto delta = sync_now(*runner, integration, "DELTA");
  EXPECT_EQ(delta.state, store::SyncState::kSucceeded) << delta.errors;
  EXPECT_EQ(delta.updated, 1);
  EXPECT_EQ(delta.created + delta.unchanged + delta.deleted, 0) << "only the changed record is listed";

  // The integration changed after the last successful sync: the next delta lists everything.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  must(store_.conn().execute("UPDATE integrations SET updated_at = $2 WHERE id = $1",
                             {integration, now_ms()}));
  auto after_change = sync_now(*runner, integration, "DELTA");
  EXPECT_EQ(after_change.state, store::SyncState::kSucceeded) << after_change.errors;
  EXPECT_EQ(after_change.unchanged, 3);
}

INSTANTIATE_TEST_SUITE_P(
    Tools, SyncDeltaTest,
    ::testing::Values(
        DeltaCase{"greenhouse", "ATS", "ats_jobs", std::string(kJobsScope),
                  std::string(pipeline_testing::kGreenhouseCredentials), R"({"name":"Analyst"})",
                  R"({"name":"Senior analyst"})"},
        DeltaCase{"personio", "HRIS", "hris_employees",
                  R"({"models":{"hris_employees":true,"hris_absences":false}})",
                  std::string(pipeline_testing::kPersonioCredentials),
                  R"({"first_name":"Ada","last_name":"Lovelace"})", R"({"first_name":"Augusta"})"},
        DeltaCase{"workable", "ATS", "ats_jobs", std::string(kJobsScope),
                  R"({"api_key":"test-key","subdomain":"acme"})", R"({"name":"Analyst"})",
                  R"({"name":"Senior analyst"})"},
        DeltaCase{"lever", "ATS", "ats_jobs", std::string(kJobsScope), R"({"api_key":"test-key"})",
                  R"({"name":"Analyst"})", R"({"name":"Senior analyst"})"},
        DeltaCase{"smartrecruiters", "ATS", "ats_jobs", std::string(kJobsScope), R"({"api_key":"test-key"})",
                  R"({"name":"Analyst"})", R"({"name":"Senior analyst"})"}),
    [](const ::testing::TestParamInfo<DeltaCase>& info) { return info.param.tool; });

}  // namespace
}  // namespace tributary::sync
