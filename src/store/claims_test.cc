// Tests for the claims that keep each unit of work on one node: inbox rows (the processor), deliveries (the
// dispatcher) and integrations due for reconcile (the reconciler). On PostgreSQL two connections claim at the
// same time, as two nodes would, and must never get the same row; an expired claim is taken over.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::ElementsAre;
using testing_db::MigratedDbTest;

constexpr const char* kPostgresOnly = "SQLite has one node; claims between nodes are a PostgreSQL matter";

InboxRow received(const std::string& id) {
  InboxRow row;
  row.id = id;
  row.received_at = 1000;
  row.integration_id = "personio:a";
  row.tool = "personio";
  row.method = "POST";
  row.path = "/ingress/personio/tok";
  row.headers = "[]";
  row.body = "{}";
  row.body_size = 2;
  row.http_status = 200;
  row.outcome = store::InboxOutcome::kReceived;
  return row;
}

std::vector<std::string> ids_of(const std::vector<InboxRow>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows)
    ids.push_back(r.id);
  return ids;
}

class ClaimsTest : public MigratedDbTest {
 protected:
  void add_inbox(int n) {
    for (int i = 0; i < n; ++i) {
      auto s = inbox::insert(c(), received("in_" + std::to_string(1000 + i)));
      ASSERT_TRUE(s.ok()) << s.error().message;
    }
  }

  void add_deliveries(int n, Millis now) {
    EndpointRow ep;
    ep.id = "ep_1";
    ep.url = "http://127.0.0.1:9/";
    ep.secret = "sealed";
    ep.created_at = 1;
    ep.updated_at = 1;
    ASSERT_TRUE(endpoints::insert(c(), ep).ok());
    for (int i = 0; i < n; ++i) {
      EventRow ev;
      ev.id = "evt_" + std::to_string(1000 + i);
      ev.type = "remote-event-received";
      ev.payload = "{}";
      ev.created_at = now;
      ASSERT_TRUE(events::insert(c(), ev).ok());
      ASSERT_TRUE(deliveries::insert(c(), ev.id, ep.id, now).ok());
    }
  }

  void add_integrations(int n, Millis due) {
    for (int i = 0; i < n; ++i) {
      IntegrationRow row;
      row.id = "int_" + std::to_string(1000 + i);
      row.tool = "personio";
      row.category = "HRIS";
      row.end_user = "{}";
      row.credentials = "sealed";
      row.scope = "{}";
      row.sync = "{}";
      row.created_at = 1;
      row.updated_at = 1;
      row.reconcile_due_at = due + i;
      ASSERT_TRUE(integrations::insert(c(), row).ok());
    }
  }
};

TEST_P(ClaimsTest, InboxClaimHidesRowsUntilTheLeaseEnds) {
  add_inbox(3);
  auto first = inbox::claim_pending(c(), 2, 5000, 65000);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_THAT(ids_of(*first), ElementsAre("in_1000", "in_1001"));

  // Claimed rows are neither pending nor claimable while the lease lasts.
  auto again = inbox::claim_pending(c(), 10, 6000, 66000);
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(ids_of(*again), ElementsAre("in_1002"));
  auto none = inbox::claim_pending(c(), 10, 6000, 66000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // Once the first lease is over (a dead node), its rows are taken over.
  auto taken = inbox::claim_pending(c(), 10, 65001, 125001);
  ASSERT_TRUE(taken.ok());
  EXPECT_THAT(ids_of(*taken), ElementsAre("in_1000", "in_1001"));

  // Completing is once only: the late processor finds the row done and changes nothing.
  auto row = taken->front();
  row.outcome = store::InboxOutcome::kAccepted;
  row.processed_at = 70000;
  auto done_first = inbox::complete_received(c(), row);
  ASSERT_TRUE(done_first.ok()) << done_first.error().message;
  EXPECT_TRUE(*done_first);
  row.outcome = store::InboxOutcome::kIgnored;
  auto done_late = inbox::complete_received(c(), row);
  ASSERT_TRUE(done_late.ok());
  EXPECT_FALSE(*done_late);
  auto got = inbox::get(c(), row.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->outcome, store::InboxOutcome::kAccepted);
}

// A processor still preparing its batch extends its claim; only the rows it still holds (claimed until the
// value it set, still received) are extended, so a claim taken over after it ran out stays the new holder's.
TEST_P(ClaimsTest, AClaimIsExtendedOnlyOnTheRowsItStillHolds) {
  add_inbox(3);
  auto claimed = inbox::claim_pending(c(), 3, 5000, 35000);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 3u);
  auto extended = inbox::extend_claim(c(), ids_of(*claimed), 35000, 40000);
  ASSERT_TRUE(extended.ok()) << extended.error().message;
  EXPECT_EQ(*extended, 3);
  auto still_hidden = inbox::claim_pending(c(), 10, 36000, 66000);
  ASSERT_TRUE(still_hidden.ok());
  EXPECT_TRUE(still_hidden->empty()) << "the extended claim still holds at 36 s";

  // One row is completed, the claim runs out and another processor takes the rest over.
  auto row = claimed->front();
  row.outcome = store::InboxOutcome::kAccepted;
  ASSERT_TRUE(inbox::complete_received(c(), row).ok());
  auto taken = inbox::claim_pending(c(), 10, 40001, 70001);
  ASSERT_TRUE(taken.ok());
  EXPECT_THAT(ids_of(*taken), ElementsAre("in_1001", "in_1002"));
  // The first processor's late extension (with its old value) changes nothing.
  auto late = inbox::extend_claim(c(), ids_of(*claimed), 40000, 45000);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, 0);
  auto none = inbox::extend_claim(c(), {}, 40000, 45000);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST_P(ClaimsTest, PendingSkipsRowsUnderALiveClaim) {
  add_inbox(2);
  const Millis now = now_ms();
  ASSERT_TRUE(inbox::claim_pending(c(), 1, now, now + 60000).ok());
  auto pending = inbox::pending(c(), 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_THAT(ids_of(*pending), ElementsAre("in_1001"));
  ASSERT_TRUE(inbox::claim_pending(c(), 1, now, now - 1).ok());  // a claim that is already over
  pending = inbox::pending(c(), 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_THAT(ids_of(*pending), ElementsAre("in_1001"));
}

// A claim held in an open transaction (a node mid-claim) is skipped by another connection, which neither
// waits for it nor claims the same rows.
TEST_P(ClaimsTest, InboxClaimSkipsRowsAnotherConnectionHolds) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  add_inbox(6);
  auto other = connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->begin().ok());
  auto held = inbox::claim_pending(*other, 3, 5000, 65000);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_THAT(ids_of(*held), ElementsAre("in_1000", "in_1001", "in_1002"));
  auto mine = inbox::claim_pending(c(), 10, 5000, 65000);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  EXPECT_THAT(ids_of(*mine), ElementsAre("in_1003", "in_1004", "in_1005"));
  ASSERT_TRUE(other->commit().ok());
}

TEST_P(ClaimsTest, ConcurrentInboxClaimsNeverShareARow) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  constexpr int kRows = 300;
  add_inbox(kRows);
  std::vector<std::vector<std::string>> got(3);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      auto conn = db_->connect();
      if (!conn) return;
      for (int round = 0; round < kRows; ++round) {  // bounded: each round claims at least one row or ends
        auto rows = inbox::claim_pending(**conn, 4, 5000, 65000);
        if (!rows || rows->empty()) break;
        for (const auto& r : *rows)
          got[t].push_back(r.id);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::multiset<std::string> all;
  for (const auto& g : got)
    all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), static_cast<std::size_t>(kRows))
      << "a row was claimed by two connections";
}

TEST_P(ClaimsTest, DeliveryClaimSkipsDeliveriesAnotherConnectionHolds) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  add_deliveries(4, 1000);
  auto other = connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->begin().ok());
  auto held = deliveries::claim_due(*other, "ep_1", 2000, 32000, 2);
  ASSERT_TRUE(held.ok()) << held.error().message;
  ASSERT_EQ(held->size(), 2u);
  auto mine = deliveries::claim_due(c(), "ep_1", 2000, 32000, 10);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_EQ(mine->size(), 2u);
  std::set<std::int64_t> seqs{held->at(0).seq, held->at(1).seq, mine->at(0).seq, mine->at(1).seq};
  EXPECT_EQ(seqs.size(), 4u);
  ASSERT_TRUE(other->commit().ok());

  // A lease that ran out (the node died mid-send) is taken over; live leases are not.
  auto none = deliveries::claim_due(c(), "ep_1", 3000, 33000, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto taken = deliveries::claim_due(c(), "ep_1", 32000, 62000, 10);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 4u);
}

TEST_P(ClaimsTest, ConcurrentDeliveryClaimsNeverShareADelivery) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  constexpr int kRows = 300;
  add_deliveries(kRows, 1000);
  std::vector<std::vector<std::int64_t>> got(3);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      auto conn = db_->connect();
      if (!conn) return;
      for (int round = 0; round < kRows; ++round) {
        auto rows = deliveries::claim_due(**conn, "ep_1", 2000, 32000, 4);
        if (!rows || rows->empty()) break;
        for (const auto& r : *rows)
          got[t].push_back(r.seq);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::multiset<std::int64_t> all;
  for (const auto& g : got)
    all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(), static_cast<std::size_t>(kRows))
      << "a delivery was claimed by two connections";
}

TEST_P(ClaimsTest, ReconcileClaimMovesTheDueTimeAndIsTakenOverWhenItEnds) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  add_integrations(2, 1000);
  auto claimed = integrations::claim_due_for_reconcile(c(), 5000, 305000);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 2u);
  EXPECT_EQ(claimed->at(0).id, "int_1000");
  EXPECT_EQ(claimed->at(0).reconcile_due_at, 1000);  // as it was when claimed
  auto now_due = integrations::get(c(), "int_1000");
  ASSERT_TRUE(now_due.ok() && now_due->has_value());
  EXPECT_EQ((*now_due)->reconcile_due_at, 305000);

  auto none = integrations::claim_due_for_reconcile(c(), 6000, 306000);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto taken = integrations::claim_due_for_reconcile(c(), 305000, 605000);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), 2u);
}

TEST_P(ClaimsTest, ConcurrentReconcileClaimsNeverShareAnIntegration) {
  if (!postgres()) GTEST_SKIP() << kPostgresOnly;
  add_integrations(2, 1000);
  auto other = connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->begin().ok());
  auto held = integrations::claim_due_for_reconcile(*other, 5000, 305000);
  ASSERT_TRUE(held.ok()) << held.error().message;
  ASSERT_EQ(held->size(), 2u);
  auto mine = integrations::claim_due_for_reconcile(c(), 5000, 305000);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  EXPECT_TRUE(mine->empty());
  ASSERT_TRUE(other->commit().ok());
  mine = integrations::claim_due_for_reconcile(c(), 5000, 305000);
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(mine->empty()) << "a claimed integration is not due again until its lease ends";
}

TEST_P(ClaimsTest, SqliteReconcileClaimSelectsTheDueIntegrations) {
  if (postgres()) GTEST_SKIP() << "the SQLite statement";
  add_integrations(2, 1000);
  auto due = integrations::claim_due_for_reconcile(c(), 1000, 301000);
  ASSERT_TRUE(due.ok()) << due.error().message;
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, "int_1000");
}

INSTANTIATE_TEST_SUITE_P(Backends, ClaimsTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
