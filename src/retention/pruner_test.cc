// The pruner on real SQLite and PostgreSQL: a pass removes exactly the bodies, headers and attempts older
// than the retention, in transactions of at most batch_rows rows; the background thread does it by itself;
// and on PostgreSQL a pass is skipped while another node holds the retention lock.
#include "retention/pruner.h"

#include <gtest/gtest.h>

#include "store/advisory_lock.h"
#include "store/inbox_repo.h"
#include "store/outbox_repo.h"
#include "testing/test_db.h"
#include "testing/test_support.h"

namespace tributary::retention {
namespace {

using pipeline_testing::must;
using pipeline_testing::wait_until;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(Millis now) : now_(now) {}
  Millis now_ms() const override { return now_; }

 private:
  Millis now_;
};

constexpr Millis kNow = 10'000'000;
constexpr Millis kAge = 60'000;  // the retention in these tests: a minute

class PrunerTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == store::Backend::kPostgres && store::testing_db::postgres_url().empty())
      GTEST_SKIP() << store::testing_db::kPostgresUrlEnv << " is not set: PostgreSQL case skipped";
    ASSERT_TRUE(scratch_.create(GetParam()).ok());
    db_ = must(store::open_database(scratch_.url()), "open");
    conn_ = must(db_->connect(), "connect");
    must(store::migrate(*conn_), "migrate");
    writer_ = std::make_unique<store::Writer>(must(db_->connect(), "connect"));
    writer_->start();
    pool_ = std::make_unique<store::Pool>(*db_);
    options_.max_age_ms = kAge;
    options_.batch_rows = 3;
    options_.pause = std::chrono::milliseconds(1);
  }
  void TearDown() override {
    pruner_.reset();
    if (writer_) writer_->stop();
    pool_.reset();
    writer_.reset();
    conn_.reset();
    db_.reset();
    scratch_.drop();
  }

  void add_inbox(const std::string& id, Millis received_at) {
    store::InboxRow row;
    row.id = id;
    row.received_at = received_at;
    row.method = "POST";
    row.path = "/ingress/greenhouse/t";
    row.headers = R"([["signature","[redacted]"]])";
    row.body = "body of " + id;
    row.body_size = static_cast<std::int64_t>(row.body.size());
    row.http_status = 200;
    row.outcome = store::InboxOutcome::kAccepted;
    must(store::inbox::insert(*conn_, row), "insert inbox");
  }
  void add_attempts(int n, Millis at) {
    if (!endpoint_added_) {
      store::EndpointRow ep;
      ep.id = "ep_1";
      ep.url = "http://127.0.0.1:9/";
      ep.secret = "s";
      must(store::endpoints::insert(*conn_, ep), "endpoint");
      endpoint_added_ = true;
    }
    for (int i = 0; i < n; ++i) {
      const std::string event = "evt_" + std::to_string(at) + "_" + std::to_string(i);
      store::EventRow e;
      e.id = event;
      e.type = "remote-event-received";
      e.payload = "{}";
      e.created_at = at;
      must(store::events::insert(*conn_, e), "event");
      must(store::deliveries::insert(*conn_, event, "ep_1", at), "delivery");
      store::AttemptRow a;
      a.delivery_seq = store::deliveries::for_event(*conn_, event)->front().seq;
      a.event_id = event;
      a.endpoint_id = "ep_1";
      a.attempted_at = at;
      a.status_code = 200;
      must(store::attempts::insert(*conn_, a), "attempt");
    }
  }
  std::int64_t count(const std::string& sql) { return must(conn_->query(sql), "count").front().int64(0); }
  std::int64_t pruned_rows() { return count("SELECT COUNT(*) FROM inbox WHERE pruned_at IS NOT NULL"); }
  std::int64_t attempts_left() { return count("SELECT COUNT(*) FROM attempts"); }

  store::testing_db::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<store::Pool> pool_;
  PrunerOptions options_;
  std::unique_ptr<Pruner> pruner_;
  bool endpoint_added_ = false;
};

TEST_P(PrunerTest, APassPrunesWhatIsOlderThanTheRetentionInBoundedBatches) {
  for (int i = 0; i < 10; ++i)
    add_inbox("old_" + std::to_string(i), kNow - kAge - 1 - i);
  add_inbox("young_1", kNow - kAge);  // exactly the retention old: stays whole
  add_inbox("young_2", kNow - 5);
  add_attempts(7, kNow - kAge - 100);
  add_attempts(2, kNow - 10);

  FixedClock clock(kNow);
  pruner_ = std::make_unique<Pruner>(*pool_, *writer_, options_, clock);
  auto ran = pruner_->prune_now();
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  EXPECT_TRUE(*ran);

  EXPECT_EQ(pruned_rows(), 10);
  EXPECT_EQ(attempts_left(), 2);
  for (const char* id : {"young_1", "young_2"}) {
    auto row = must(store::inbox::get(*conn_, id), "get");
    ASSERT_TRUE(row);
    EXPECT_FALSE(row->pruned_at) << id;
    EXPECT_EQ(row->body, std::string("body of ") + id);
  }
  const auto stats = pruner_->stats();
  EXPECT_EQ(stats.bodies, 10u);
  EXPECT_EQ(stats.attempts, 7u);
  // 10 rows in 3 + 3 + 3 + 1, 7 attempts in 3 + 3 + 1: never more than batch_rows per transaction.
  EXPECT_LE(stats.largest_batch, 3);
  EXPECT_EQ(stats.batches, 7u);
  // The events and deliveries of pruned attempts stay.
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 9);
  EXPECT_EQ(count("SELECT COUNT(*) FROM deliveries"), 9);
}

TEST_P(PrunerTest, TheBackgroundThreadPrunesByItself) {
  for (int i = 0; i < 5; ++i)
    add_inbox("old_" + std::to_string(i), now_ms() - kAge - 1000);
  add_inbox("young", now_ms() + 3'600'000);  // stays young however long the test runs
  options_.interval = std::chrono::milliseconds(20);
  pruner_ = std::make_unique<Pruner>(*pool_, *writer_, options_);
  pruner_->start();
  EXPECT_TRUE(wait_until([&] { return pruned_rows() == 5; }, std::chrono::milliseconds(10000)));
  pruner_->stop();
  EXPECT_EQ(pruned_rows(), 5);
}

TEST_P(PrunerTest, OneNodeAtATimeOnPostgres) {
  if (GetParam() != store::Backend::kPostgres) GTEST_SKIP() << "one process owns a SQLite database";
  add_inbox("old", kNow - kAge - 1);
  FixedClock clock(kNow);
  pruner_ = std::make_unique<Pruner>(*pool_, *writer_, options_, clock);
  {
    // Another node's pass, as the lock sees it: a session of its own holding the retention lock.
    store::Pool other(*db_);
    auto held = must(store::AdvisoryLock::try_lock(other, store::LockSpace::kRetention, "retention"), "lock");
    ASSERT_TRUE(held.has_value());
    auto ran = pruner_->prune_now();
    ASSERT_TRUE(ran.ok()) << ran.error().message;
    EXPECT_FALSE(*ran);
    EXPECT_EQ(pruned_rows(), 0);
    EXPECT_EQ(pruner_->stats().skipped, 1u);
  }
  auto ran = pruner_->prune_now();
  ASSERT_TRUE(ran.ok());
  EXPECT_TRUE(*ran);
  EXPECT_EQ(pruned_rows(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrunerTest, store::testing_db::kBackends,
                         store::testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::retention
