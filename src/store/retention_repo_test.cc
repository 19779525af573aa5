// Tests for the store's retention and endpoint-health functions (inbox::prune_bodies, attempts::prune,
// endpoints::record_health / disable_failing, deliveries::insert_undelivered) on real SQLite and PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/inbox_repo.h"
#include "store/outbox_repo.h"
#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::ElementsAre;
using testing_db::MigratedDbTest;

class RetentionRepoTest : public MigratedDbTest {
 protected:
  void add_inbox(const std::string& id, Millis received_at, InboxOutcome outcome = InboxOutcome::kAccepted) {
    InboxRow row;
    row.id = id;
    row.received_at = received_at;
    row.integration_id = "personio:a";
    row.tool = "personio";
    row.method = "POST";
    row.path = "/ingress/personio/t";
    row.headers = R"([["content-type","application/json"]])";
    row.body = R"({"n":")" + id + R"("})";
    row.body_size = static_cast<std::int64_t>(row.body.size());
    row.http_status = 200;
    row.verification = "hmac-sha256";
    row.outcome = outcome;
    row.event_ids = R"(["evt_)" + id + R"("])";
    row.processed_at = received_at + 1;
    auto s = inbox::insert(c(), row);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  void add_endpoint(const std::string& id, std::vector<std::string> types = {}) {
    EndpointRow row;
    row.id = id;
    row.url = "http://127.0.0.1:9/" + id + "?token=t";
    row.event_types = std::move(types);
    row.secret = "sealed";
    row.created_at = row.updated_at = 1;
    ASSERT_TRUE(endpoints::insert(c(), row).ok());
  }

  void add_event(const std::string& id, Millis created_at,
                 const std::string& type = "remote-event-received") {
    EventRow row;
    row.id = id;
    row.type = type;
    row.payload = "{}";
    row.created_at = created_at;
    ASSERT_TRUE(events::insert(c(), row).ok());
  }

  // A delivery of `event_id` to `endpoint_id` with one attempt at `at`, answered `status`.
  void add_attempt(const std::string& event_id, const std::string& endpoint_id, Millis at, int status) {
    ASSERT_TRUE(deliveries::insert(c(), event_id, endpoint_id, at).ok());
    auto rows = deliveries::for_event(c(), event_id);
    ASSERT_TRUE(rows.ok());
    DeliveryRow d;
    for (const auto& r : *rows)
      if (r.endpoint_id == endpoint_id) d = r;
    d.status = status == 200 ? DeliveryStatus::kSucceeded : DeliveryStatus::kFailed;
    d.attempts = 1;
    d.last_status = status;
    d.updated_at = at;
    ASSERT_TRUE(deliveries::record_result(c(), d).ok());
    AttemptRow a;
    a.delivery_seq = d.seq;
    a.event_id = event_id;
    a.endpoint_id = endpoint_id;
    a.attempted_at = at;
    a.status_code = status;
    a.response_excerpt = "answer";
    ASSERT_TRUE(attempts::insert(c(), a).ok());
  }

  InboxRow inbox_row(const std::string& id) {
    auto got = inbox::get(c(), id);
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? **got : InboxRow{};
  }

  std::vector<Millis> attempt_times() {
    auto rows = c().query("SELECT attempted_at FROM attempts ORDER BY attempted_at");
    EXPECT_TRUE(rows.ok());
    std::vector<Millis> out;
    for (const auto& r : *rows)
      out.push_back(r.int64(0));
    return out;
  }

  EndpointRow endpoint_row(const std::string& id) {
    auto got = endpoints::get(c(), id);
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? **got : EndpointRow{};
  }
};

TEST_P(RetentionRepoTest, PruningRemovesExactlyTheOldBodiesAndKeepsTheRowsMetadata) {
  add_inbox("old_1", 1000);
  add_inbox("old_2", 1999);
  add_inbox("young", 2000);  // exactly at the cutoff: younger than the retention, stays whole
  add_inbox("waiting", 500, InboxOutcome::kReceived);  // the processor still needs it

  auto pruned = inbox::prune_bodies(c(), 2000, 100, 5000);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(*pruned, 2);

  for (const char* id : {"old_1", "old_2"}) {
    auto row = inbox_row(id);
    EXPECT_EQ(row.pruned_at, 5000) << id;
    EXPECT_TRUE(row.body.empty()) << id;
    EXPECT_EQ(row.headers, "[]") << id;
    // Metadata and links stay.
    EXPECT_EQ(row.outcome, InboxOutcome::kAccepted);
    EXPECT_EQ(row.verification, "hmac-sha256");
    EXPECT_EQ(row.tool, "personio");
    EXPECT_EQ(row.event_ids, std::string(R"(["evt_)") + id + R"("])");
    EXPECT_GT(row.body_size, 0);
  }
  for (const char* id : {"young", "waiting"}) {
    auto row = inbox_row(id);
    EXPECT_FALSE(row.pruned_at) << id;
    EXPECT_EQ(row.body, std::string(R"({"n":")") + id + R"("})") << id;
    EXPECT_EQ(row.headers, R"([["content-type","application/json"]])") << id;
  }
  // Nothing more is due: a second pass changes nothing.
  auto again = inbox::prune_bodies(c(), 2000, 100, 6000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(inbox_row("old_1").pruned_at, 5000);
  // The list marks them too.
  auto listed = inbox::list(c(), InboxFilter{});
  ASSERT_TRUE(listed.ok());
  int marked = 0;
  for (const auto& r : *listed)
    marked += r.pruned_at ? 1 : 0;
  EXPECT_EQ(marked, 2);
}

TEST_P(RetentionRepoTest, PruningIsBoundedPerBatchOldestFirst) {
  for (int i = 0; i < 10; ++i)
    add_inbox("r" + std::to_string(i), 1000 + (9 - i) * 10);  // r9 is the oldest
  auto first = inbox::prune_bodies(c(), 5000, 3, 6000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 3);
  for (const char* id : {"r9", "r8", "r7"})
    EXPECT_TRUE(inbox_row(id).pruned_at) << id;
  EXPECT_FALSE(inbox_row("r6").pruned_at);
  int total = 3;
  for (int batch = 0; batch < 5; ++batch) {
    auto n = inbox::prune_bodies(c(), 5000, 3, 6000);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(*n, 3);
    total += static_cast<int>(*n);
  }
  EXPECT_EQ(total, 10);
}

TEST_P(RetentionRepoTest, AttemptsOlderThanTheRetentionAreDeletedDeliveriesAndEventsStay) {
  add_endpoint("ep_1");
  add_event("e1", 100);
  add_event("e2", 200);
  add_event("e3", 300);
  add_attempt("e1", "ep_1", 1000, 500);
  add_attempt("e2", "ep_1", 1500, 200);
  add_attempt("e3", "ep_1", 3000, 200);
  auto n = attempts::prune(c(), 2000, 1);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_THAT(attempt_times(), ElementsAre(1500, 3000));
  n = attempts::prune(c(), 2000, 100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_THAT(attempt_times(), ElementsAre(3000));
  for (const char* id : {"e1", "e2", "e3"}) {
    auto event = events::get(c(), id);
    ASSERT_TRUE(event.ok() && event->has_value()) << id;
    auto ds = deliveries::for_event(c(), id);
    ASSERT_TRUE(ds.ok());
    EXPECT_EQ(ds->size(), 1u) << id;
  }
}

TEST_P(RetentionRepoTest, FailingSinceIsTheFirstFailureAfterTheLastSuccess) {
  add_endpoint("ep_1");
  ASSERT_TRUE(endpoints::record_health(c(), "ep_1", std::nullopt, 1000).ok());
  EXPECT_EQ(endpoint_row("ep_1").failing_since, 1000);
  ASSERT_TRUE(endpoints::record_health(c(), "ep_1", std::nullopt, 2000).ok());
  EXPECT_EQ(endpoint_row("ep_1").failing_since, 1000);  // the run began at the first failure
  ASSERT_TRUE(endpoints::record_health(c(), "ep_1", 2500, std::nullopt).ok());
  EXPECT_FALSE(endpoint_row("ep_1").failing_since);  // a success ends it
  ASSERT_TRUE(endpoints::record_health(c(), "ep_1", 3000, 3100).ok());
  EXPECT_EQ(endpoint_row("ep_1").failing_since, 3100);

  auto failing = endpoints::failing_since_before(c(), 3200);
  ASSERT_TRUE(failing.ok());
  ASSERT_EQ(failing->size(), 1u);
  EXPECT_TRUE(endpoints::failing_since_before(c(), 3100)->empty());
}

TEST_P(RetentionRepoTest, DisableFailingRecordsTheMissedRangeOnceAndOnlyWhileStillFailing) {
  add_endpoint("ep_1", {"remote-event-received"});
  add_event("before", 500);
  add_attempt("before", "ep_1", 600, 200);
  add_event("e1", 900);  // retried into the run: its first attempt came before the run began
  add_attempt("e1", "ep_1", 2000, 500);
  add_event("e2", 1900);
  add_attempt("e2", "ep_1", 2100, 500);
  ASSERT_TRUE(endpoints::record_health(c(), "ep_1", std::nullopt, 2000).ok());

  auto not_yet = endpoints::disable_failing(c(), "ep_1", 2000, "failing", 9000);
  ASSERT_TRUE(not_yet.ok()) << not_yet.error().message;
  EXPECT_FALSE(*not_yet);  // failing since 2000, not before it
  EXPECT_TRUE(endpoint_row("ep_1").enabled);

  auto disabled = endpoints::disable_failing(c(), "ep_1", 2001, "failing", 9000);
  ASSERT_TRUE(disabled.ok()) << disabled.error().message;
  EXPECT_TRUE(*disabled);
  auto row = endpoint_row("ep_1");
  EXPECT_FALSE(row.enabled);
  EXPECT_EQ(row.disabled_reason, "failing");
  EXPECT_EQ(row.disabled_at, 9000);
  EXPECT_EQ(row.missed_since, 900);  // the oldest event whose delivery failed in the run
  EXPECT_FALSE(row.missed_until);
  auto again = endpoints::disable_failing(c(), "ep_1", 2001, "failing", 9500);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // already disabled: once only
  EXPECT_EQ(endpoint_row("ep_1").disabled_at, 9000);

  // While disabled, events get no delivery to it; recovering the range adds them (its types only).
  add_event("while_off", 9100);
  add_event("other_type", 9200, "sync-finished");
  auto added = deliveries::insert_undelivered(c(), "ep_1", {"remote-event-received"}, 900, 9300, 9400);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(*added, 1);
  auto ds = deliveries::for_event(c(), "while_off");
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->size(), 1u);
  EXPECT_EQ(ds->front().status, DeliveryStatus::kPending);
  EXPECT_TRUE(deliveries::for_event(c(), "other_type")->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionRepoTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
