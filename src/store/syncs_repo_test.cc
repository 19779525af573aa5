#include "store/syncs_repo.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/integrations_repo.h"
#include "store/records_repo.h"
#include "testing/test_db.h"

namespace tributary::store {
namespace {

using testing_db::MigratedDbTest;

class SyncsRepoTest : public MigratedDbTest {
 protected:
  void add_integration(const std::string& id) {
    IntegrationRow row;
    row.id = id;
    row.tool = "personio";
    row.category = "HRIS";
    row.end_user = "{}";
    row.credentials = "sealed";
    row.scope = "{}";
    row.sync = "{}";
    row.created_at = row.updated_at = 1000;
    auto s = integrations::insert(c(), row);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  QueuedSync queue(const std::string& integration, std::string_view type, Millis now = 1000) {
    auto r = syncs::queue(c(), integration, type, now);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : QueuedSync{};
  }
  std::optional<SyncRow> claim(const std::string& node, Millis now, Millis lease = 60000) {
    auto r = syncs::claim_next(c(), node, now, now + lease);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::nullopt;
  }
};

TEST_P(SyncsRepoTest, AtMostOneQueuedPerIntegrationAndFullWinsOverDelta) {
  add_integration("personio:a");
  add_integration("personio:b");
  auto first = queue("personio:a", kSyncDelta);
  EXPECT_FALSE(first.already_queued);
  EXPECT_EQ(first.row.id.rfind("sync_", 0), 0u);
  EXPECT_EQ(first.row.state, store::SyncState::kQueued);
  auto again = queue("personio:a", kSyncFull);
  EXPECT_TRUE(again.already_queued);
  EXPECT_EQ(again.row.id, first.row.id);
  EXPECT_EQ(again.row.type, "FULL");
  auto delta = queue("personio:a", kSyncDelta);
  EXPECT_TRUE(delta.already_queued);
  EXPECT_EQ(delta.row.type, "FULL");
  EXPECT_FALSE(queue("personio:b", kSyncFull).already_queued);
  EXPECT_FALSE(syncs::queue(c(), "personio:a", "SOMETIMES", 1).ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM syncs WHERE state = 'QUEUED'"), 2);
}

TEST_P(SyncsRepoTest, ClaimNeverStartsASecondSyncOfOneIntegration) {
  add_integration("personio:a");
  auto q = queue("personio:a", kSyncFull, 1000);
  auto running = claim("node-1", 2000);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->id, q.row.id);
  EXPECT_EQ(running->state, store::SyncState::kRunning);
  EXPECT_EQ(running->claimed_by, std::optional<std::string>("node-1"));
  // A new sync can be queued while one runs, but it is not claimed until the running one ends.
  auto next = queue("personio:a", kSyncDelta, 2100);
  EXPECT_FALSE(next.already_queued);
  EXPECT_FALSE(claim("node-2", 2200));

  SyncRow done = *running;
  done.state = store::SyncState::kSucceeded;
  done.ended_at = 2300;
  done.created = 5;
  auto finished = syncs::finish(c(), done);
  ASSERT_TRUE(finished.ok());
  EXPECT_TRUE(*finished);
  auto first = syncs::first_succeeded_at(c(), "personio:a");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, std::optional<Millis>(2300));

  auto second = claim("node-2", 2400);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, next.row.id);
}

TEST_P(SyncsRepoTest, OnlyASyncThatListedDataEndsTheSetupSync) {
  for (const char* state : {"FAILED", "AUTHENTICATION_FAILED", "PARTIALLY_FAILED"}) {
    const std::string id = std::string("personio:") + state;
    add_integration(id);
    queue(id, kSyncFull, 1000);
    auto running = claim("n", 2000);
    ASSERT_TRUE(running);
    SyncRow done = *running;
    done.state = parse_state<SyncState>(state).value();
    done.ended_at = 2500;
    ASSERT_TRUE(*syncs::finish(c(), done));
    auto first = syncs::first_succeeded_at(c(), id);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->has_value(), std::string(state) == "PARTIALLY_FAILED") << state;
  }
}

TEST_P(SyncsRepoTest, AnExpiredLeaseIsTakenOverAndTheOldClaimLosesItsWrites) {
  add_integration("personio:a");
  queue("personio:a", kSyncFull, 1000);
  auto mine = claim("node-1", 1000, 500);
  ASSERT_TRUE(mine);
  EXPECT_FALSE(claim("node-2", 1400));
  auto beat = syncs::heartbeat(c(), *mine, 1900);
  ASSERT_TRUE(beat.ok());
  EXPECT_TRUE(*beat);
  EXPECT_FALSE(claim("node-2", 1800));
  auto theirs = claim("node-2", 2000);
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->id, mine->id);
  EXPECT_FALSE(*syncs::heartbeat(c(), *mine, 5000));
  SyncRow late = *mine;
  late.state = store::SyncState::kSucceeded;
  late.ended_at = 2100;
  EXPECT_FALSE(*syncs::finish(c(), late));
  auto got = syncs::get(c(), mine->id);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->state, store::SyncState::kRunning);
  EXPECT_EQ((*got)->claimed_by, std::optional<std::string>("node-2"));
}

TEST_P(SyncsRepoTest, ConcurrentClaimersGetEachSyncOnce) {
  for (int i = 0; i < 6; ++i) {
    add_integration("personio:" + std::to_string(i));
    queue("personio:" + std::to_string(i), kSyncFull, 1000);
  }
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      auto conn = connect();
      for (int i = 0; i < 10; ++i) {
        auto r = syncs::claim_next(*conn, "node-" + std::to_string(t), 2000, 60000);
        if (!r.ok() || !*r) continue;
        std::lock_guard lock(mu);
        EXPECT_TRUE(ids.insert((*r)->id).second);
        ++claimed;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(claimed.load(), 6);
  EXPECT_EQ(scalar("SELECT count(*) FROM syncs WHERE state = 'RUNNING'"), 6);
}

TEST_P(SyncsRepoTest, ListsNewestFirstWithACursor) {
  add_integration("personio:a");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(queue("personio:a", kSyncFull, 1000 + i).row.id);
    auto r = claim("n", 1000 + i);
    ASSERT_TRUE(r);
    SyncRow done = *r;
    done.state = i % 2 ? SyncState::kFailed : SyncState::kSucceeded;
    done.ended_at = 1000 + i;
    done.errors = R"([{"message":"x"}])";
    ASSERT_TRUE(*syncs::finish(c(), done));
  }
  auto page = syncs::list_for_integration(c(), "personio:a", std::nullopt, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ(page->at(0).id, ids[4]);
  EXPECT_EQ(page->at(1).state, store::SyncState::kFailed);
  EXPECT_EQ(page->at(1).errors, R"([{"message":"x"}])");
  auto rest = syncs::list_for_integration(c(), "personio:a", page->back().seq, 3);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->back().id, ids[0]);
}

TEST_P(SyncsRepoTest, ScheduleAdvancesOnceAndSkipsDeletedIntegrations) {
  add_integration("personio:a");
  add_integration("personio:b");
  ASSERT_TRUE(syncs::set_next_sync_at(c(), "personio:a", 1000).ok());
  ASSERT_TRUE(syncs::set_next_sync_at(c(), "personio:b", 500).ok());
  ASSERT_TRUE(integrations::mark_deleted(c(), "personio:b", 600).ok());
  auto due = syncs::due(c(), 1500, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().integration_id, "personio:a");
  EXPECT_TRUE(*syncs::advance(c(), "personio:a", 1000, 5000));
  EXPECT_FALSE(*syncs::advance(c(), "personio:a", 1000, 6000));
  EXPECT_EQ(*syncs::next_sync_at(c(), "personio:a"), std::optional<Millis>(5000));
  EXPECT_EQ(*syncs::earliest_due(c()), std::optional<Millis>(5000));
  EXPECT_TRUE(syncs::due(c(), 1500, 10)->empty());
}

TEST_P(SyncsRepoTest, MissingRecordsAreMarkedDeletedUnlessChangedDuringTheListing) {
  for (const char* id : {"1", "2", "3"}) {
    auto r = records::upsert(c(), "personio:a", "hris_employees", std::string("u") + id, id, "{}", 1000);
    ASSERT_TRUE(r.ok());
  }
  // "3" was written by an event after the listing started at 2000.
  ASSERT_TRUE(records::upsert(c(), "personio:a", "hris_employees", "u3", "3", R"({"x":1})", 2500).ok());
  auto missing = records::find_missing(c(), "personio:a", "hris_employees", {"1"}, 2000);
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  auto marked = records::mark_all_deleted(c(), "personio:a", "hris_employees", missing->remote_ids, 3000);
  ASSERT_TRUE(marked.ok()) << marked.error().message;
  EXPECT_EQ(*marked, 1);
  auto two = records::get(c(), "personio:a", "hris_employees", "2");
  ASSERT_TRUE(two.ok() && *two);
  EXPECT_EQ((*two)->remote_deleted_at, std::optional<Millis>(3000));
  auto three = records::get(c(), "personio:a", "hris_employees", "3");
  EXPECT_FALSE((*three)->remote_deleted_at);
  auto again = records::find_missing(c(), "personio:a", "hris_employees", {"1"}, 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*records::mark_all_deleted(c(), "personio:a", "hris_employees", again->remote_ids, 3000), 0);
}

TEST_P(SyncsRepoTest, IntegrationsFromBeforeSyncsAreDueAtOnce) {
  // A database at schema version 3 with an integration in it, migrated to the version with syncs.
  add_integration("personio:old");
  exec("ALTER TABLE integrations DROP COLUMN enabled; ALTER TABLE integrations DROP COLUMN invalid_since;");
  exec(
      "DROP TABLE api_budget_grants; DROP TABLE api_budgets; ALTER TABLE integrations DROP COLUMN "
      "rate_limit;");
  exec(
      "DROP INDEX inbox_unpruned; DROP INDEX attempts_time; ALTER TABLE inbox DROP COLUMN pruned_at; ALTER "
      "TABLE "
      "endpoints DROP COLUMN failing_since; ALTER TABLE endpoints DROP COLUMN disabled_at; ALTER TABLE "
      "endpoints "
      "DROP COLUMN missed_since; ALTER TABLE endpoints DROP COLUMN missed_until;");
  exec(
      "DROP TABLE syncs; DROP TABLE settings; ALTER TABLE integrations DROP COLUMN next_sync_at; ALTER TABLE "
      "integrations DROP "
      "COLUMN first_sync_succeeded_at; ALTER TABLE integrations DROP COLUMN remote_auth_url; DELETE FROM "
      "schema_migrations WHERE version >= 4;");
  auto s = migrate(c());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto next = syncs::next_sync_at(c(), "personio:old");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<Millis>(0));
  EXPECT_FALSE(*syncs::first_succeeded_at(c(), "personio:old"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncsRepoTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
