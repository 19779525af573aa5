#include "store/writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

constexpr auto kDeadline = std::chrono::seconds(60);

// Collects done() reports; lets a test wait for a number of them with a deadline.
class Outcomes {
 public:
  explicit Outcomes(std::size_t n) : statuses_(n), reported_(n, false) {}

  Writer::Done done(std::size_t i) {
    return [this, i](Status s) {
      std::lock_guard lock(mu_);
      statuses_.at(i) = std::move(s);
      reported_.at(i) = true;
      ++count_;
      order_.push_back(i);
      cv_.notify_all();
    };
  }

  bool wait_all() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return count_ == statuses_.size(); });
  }

  std::size_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  Status status(std::size_t i) {
    std::lock_guard lock(mu_);
    return statuses_.at(i);
  }
  bool reported(std::size_t i) {
    std::lock_guard lock(mu_);
    return reported_.at(i);
  }
  std::vector<std::size_t> order() {
    std::lock_guard lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Status> statuses_;
  std::vector<bool> reported_;
  std::vector<std::size_t> order_;
  std::size_t count_ = 0;
};

Writer::Job insert(std::string name) {
  return [name = std::move(name)](Connection& conn) -> Status {
    auto r = conn.execute("INSERT INTO t (name) VALUES ($1)", {name});
    if (!r) return r.error();
    return {};
  };
}

// On both backends (see test_db.h): a scratch database with one table, t.
class WriterTest : public testing_db::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    exec("CREATE TABLE t (id " + testing_db::auto_id_pk(backend()) + ", name TEXT NOT NULL UNIQUE)");
  }

  void TearDown() override {
    writer_.reset();
    BackendTest::TearDown();
  }

  void open() {
    auto db = open_database(url_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
  }

  void make_writer(WriterOptions options = {}) {
    auto conn = db_->connect();
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    writer_ = std::make_unique<Writer>(std::move(*conn), options);
  }

  std::int64_t rows() {
    auto conn = connect();
    if (!conn) return -1;
    auto r = conn->query("SELECT count(*) FROM t");
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->at(0).int64(0) : -1;
  }

  bool has(const std::string& name) {
    auto conn = connect();
    if (!conn) return false;
    auto r = conn->query("SELECT 1 FROM t WHERE name = $1", {name});
    return r.ok() && !r->empty();
  }

  std::unique_ptr<Writer> writer_;
};

TEST_P(WriterTest, ConcurrentSubmittersAreGroupCommitted) {
  make_writer();
  writer_->start();
  constexpr std::size_t kThreads = 8;
  constexpr std::size_t kPerThread = 500;
  Outcomes outcomes(kThreads * kPerThread);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < kPerThread; ++i) {
        const std::size_t n = t * kPerThread + i;
        writer_->submit(insert("row-" + std::to_string(n)), outcomes.done(n));
      }
    });
  }
  for (auto& th : threads)
    th.join();
  ASSERT_TRUE(outcomes.wait_all()) << outcomes.count() << " of " << kThreads * kPerThread << " reported";
  for (std::size_t n = 0; n < kThreads * kPerThread; ++n) {
    ASSERT_TRUE(outcomes.status(n).ok()) << n << ": " << outcomes.status(n).error().message;
  }
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kThreads * kPerThread));
  EXPECT_EQ(writer_->jobs(), kThreads * kPerThread);
  EXPECT_LT(writer_->batches(), writer_->jobs());
}

TEST_P(WriterTest, RunBlocksUntilCommitted) {
  make_writer();
  writer_->start();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string name = "r" + std::to_string(t) + "-" + std::to_string(i);
        if (!writer_->run(insert(name)).ok() || !has(name)) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(rows(), 200);
}

TEST_P(WriterTest, FailingJobDoesNotAffectItsBatch) {
  make_writer();
  // Submitted before start(), so all five land in one batch.
  Outcomes outcomes(5);
  writer_->submit(insert("a"), outcomes.done(0));
  writer_->submit(
      [](Connection& conn) -> Status {
        // Writes, then fails: its row must be rolled back with it.
        if (auto r = conn.execute("INSERT INTO t (name) VALUES ('b')"); !r) return r.error();
        return make_error(ErrorKind::kInvalidArgument, "job b rejects");
      },
      outcomes.done(1));
  writer_->submit(insert("a"), outcomes.done(2));  // duplicate: constraint violation
  writer_->submit(
      [](Connection& conn) -> Status {
        (void)conn.execute("INSERT INTO t (name) VALUES ('d')");
        throw std::runtime_error("boom");
      },
      outcomes.done(3));
  writer_->submit(insert("e"), outcomes.done(4));
  writer_->start();
  ASSERT_TRUE(outcomes.wait_all());

  EXPECT_EQ(writer_->batches(), 1u);
  EXPECT_EQ(writer_->jobs(), 5u);
  EXPECT_TRUE(outcomes.status(0).ok());
  ASSERT_FALSE(outcomes.status(1).ok());
  EXPECT_EQ(outcomes.status(1).error().kind, ErrorKind::kInvalidArgument);
  ASSERT_FALSE(outcomes.status(2).ok());
  EXPECT_EQ(outcomes.status(2).error().kind, ErrorKind::kConflict);
  ASSERT_FALSE(outcomes.status(3).ok());
  EXPECT_EQ(outcomes.status(3).error().kind, ErrorKind::kInternal);
  EXPECT_TRUE(outcomes.status(4).ok());

  EXPECT_TRUE(has("a"));
  EXPECT_FALSE(has("b"));
  EXPECT_FALSE(has("d"));
  EXPECT_TRUE(has("e"));
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(outcomes.order(), (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST_P(WriterTest, CommitFailureFailsTheWholeBatch) {
  {
    auto conn = connect();
    ASSERT_NE(conn, nullptr);
    // A deferred foreign key is checked only at COMMIT.
    ASSERT_TRUE(conn->exec_script("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE child (id " +
                                  testing_db::auto_id_pk(backend()) +
                                  ", parent_id INTEGER NOT NULL "
                                  "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);")
                    .ok());
  }
  make_writer();
  Outcomes outcomes(3);
  writer_->submit(insert("x"), outcomes.done(0));
  writer_->submit(
      [](Connection& conn) -> Status {
        auto r = conn.execute("INSERT INTO child (parent_id) VALUES (99)");
        if (!r) return r.error();
        return {};
      },
      outcomes.done(1));
  writer_->submit(insert("y"), outcomes.done(2));
  writer_->start();
  ASSERT_TRUE(outcomes.wait_all());
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_FALSE(outcomes.status(i).ok()) << i;
    EXPECT_EQ(outcomes.status(i).error().kind, ErrorKind::kConflict) << i;
  }
  EXPECT_EQ(rows(), 0);

  // The writer recovers: the next batch commits.
  Status next = writer_->run(insert("z"));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_TRUE(has("z"));
}

TEST_P(WriterTest, DoneRunsAfterCommit) {
  make_writer();
  writer_->start();
  constexpr std::size_t kJobs = 50;
  Outcomes outcomes(kJobs);
  std::atomic<int> seen{0};
  for (std::size_t i = 0; i < kJobs; ++i) {
    const std::string name = "c" + std::to_string(i);
    writer_->submit(insert(name), [&, name, done = outcomes.done(i)](Status s) {
      // Another connection sees the row: the batch is committed when done() runs.
      if (s.ok() && has(name)) ++seen;
      done(std::move(s));
    });
  }
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_EQ(seen.load(), static_cast<int>(kJobs));
}

// A job that names `channel` with store::notify, then runs `then` (which may fail the job).
Writer::Job notifying(std::string name, std::string_view channel, Status then = {}) {
  return [name = std::move(name), channel, then](Connection& conn) -> Status {
    if (auto s = insert(name)(conn); !s) return s;
    if (auto s = notify(conn, channel); !s) return s;
    return then;
  };
}

TEST_P(WriterTest, SubscribersAreWokenOncePerCommittedBatchAfterTheCommit) {
  make_writer();
  std::atomic<int> inbox{0};
  std::atomic<int> outbox{0};
  std::atomic<int> committed_when_woken{0};
  auto on_inbox = writer_->subscribe(kInboxChannel, [&] {
    ++inbox;
    // Another connection already sees the batch's rows: the wake-up follows the commit.
    if (has("i1") && has("i2")) ++committed_when_woken;
  });
  auto on_outbox = writer_->subscribe(kOutboxChannel, [&] { ++outbox; });
  // Submitted before start(): one batch, two jobs naming the inbox channel, one plain job.
  Outcomes outcomes(3);
  writer_->submit(notifying("i1", kInboxChannel), outcomes.done(0));
  writer_->submit(notifying("i2", kInboxChannel), outcomes.done(1));
  writer_->submit(insert("plain"), outcomes.done(2));
  writer_->start();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_EQ(writer_->batches(), 1u);
  EXPECT_EQ(inbox.load(), 1);
  EXPECT_EQ(committed_when_woken.load(), 1);
  EXPECT_EQ(outbox.load(), 0);

  ASSERT_TRUE(writer_->run(insert("plain2")).ok());
  EXPECT_EQ(inbox.load(), 1);  // a batch that notified nothing wakes nobody
}

TEST_P(WriterTest, ARolledBackJobWakesNobody) {
  make_writer();
  std::atomic<int> woken{0};
  auto sub = writer_->subscribe(kOutboxChannel, [&] { ++woken; });
  writer_->start();
  Status failed = writer_->run(
      notifying("f", kOutboxChannel, make_error(ErrorKind::kInvalidArgument, "rejected after notifying")));
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE(has("f"));
  EXPECT_EQ(woken.load(), 0);
  // The next job that notifies and commits does wake it.
  ASSERT_TRUE(writer_->run(notifying("g", kOutboxChannel)).ok());
  EXPECT_EQ(woken.load(), 1);
}

TEST_P(WriterTest, AnEndedSubscriptionIsNeverCalledAgain) {
  make_writer();
  std::atomic<int> woken{0};
  auto sub = writer_->subscribe(kSyncChannel, [&] { ++woken; });
  writer_->start();
  ASSERT_TRUE(writer_->run(notifying("s1", kSyncChannel)).ok());
  EXPECT_EQ(woken.load(), 1);
  Writer::Subscription moved = std::move(sub);
  ASSERT_TRUE(writer_->run(notifying("s2", kSyncChannel)).ok());
  EXPECT_EQ(woken.load(), 2);  // the moved handle still holds the subscription
  moved.reset();
  ASSERT_TRUE(writer_->run(notifying("s3", kSyncChannel)).ok());
  EXPECT_EQ(woken.load(), 2);
}

// A flood of log-only writes (rejected requests) costs a bounded queue; the writes that gate an
// acknowledgement are never dropped, however many wait.
TEST_P(WriterTest, LogWritesOverTheBoundAreDroppedAndCountedAcknowledgedWritesNever) {
  make_writer(WriterOptions{.max_batch = 1024, .max_log_queue = 10, .max_log_per_batch = 4});
  // Queued before start(), so nothing is taken off the queues meanwhile.
  constexpr std::size_t kLogs = 15;
  constexpr std::size_t kAcked = 100;
  Outcomes logs(10);
  std::size_t queued = 0;
  for (std::size_t i = 0; i < kLogs; ++i) {
    if (writer_->submit_log(insert("log" + std::to_string(i)), queued < 10 ? logs.done(queued) : nullptr))
      ++queued;
  }
  EXPECT_EQ(queued, 10u);
  EXPECT_EQ(writer_->log_dropped(), kLogs - 10);
  Outcomes acked(kAcked);
  for (std::size_t i = 0; i < kAcked; ++i)
    writer_->submit(insert("ack" + std::to_string(i)), acked.done(i));
  writer_->start();
  ASSERT_TRUE(acked.wait_all());
  ASSERT_TRUE(logs.wait_all());
  for (std::size_t i = 0; i < kAcked; ++i)
    ASSERT_TRUE(acked.status(i).ok()) << i;
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kAcked + 10));
  EXPECT_FALSE(has("log10"));
  EXPECT_EQ(writer_->log_dropped(), kLogs - 10);
}

// Log-only writes queued first still run after the acknowledged write of the same batch, and a batch takes
// only max_log_per_batch of them: an acknowledgement waits for a few log writes at most.
TEST_P(WriterTest, AcknowledgedWritesGoFirstAndLogWritesTakeABoundedShareOfABatch) {
  make_writer(WriterOptions{.max_batch = 1024, .max_log_queue = 100, .max_log_per_batch = 4});
  constexpr std::size_t kLogs = 20;
  std::atomic<int> logs_run{0};
  Outcomes logs(kLogs);
  for (std::size_t i = 0; i < kLogs; ++i) {
    ASSERT_TRUE(writer_->submit_log(
        [&logs_run, job = insert("log" + std::to_string(i))](Connection& c) {
          ++logs_run;
          return job(c);
        },
        logs.done(i)));
  }
  int logs_before_ack = -1;
  Outcomes acked(1);
  writer_->submit(
      [&](Connection& c) {
        logs_before_ack = logs_run.load();
        return insert("ack")(c);
      },
      acked.done(0));
  writer_->start();
  ASSERT_TRUE(acked.wait_all());
  ASSERT_TRUE(logs.wait_all());
  EXPECT_EQ(logs_before_ack, 0);
  EXPECT_GE(writer_->batches(), kLogs / 4);
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kLogs + 1));
}

TEST_P(WriterTest, StopDrainsQueuedJobs) {
  make_writer(WriterOptions{.max_batch = 16});
  writer_->start();
  constexpr std::size_t kJobs = 300;
  Outcomes outcomes(kJobs);
  for (std::size_t i = 0; i < kJobs; ++i)
    writer_->submit(insert("s" + std::to_string(i)), outcomes.done(i));
  writer_->stop();
  // Everything was reported by the time stop() returned, and nothing more will be.
  EXPECT_EQ(outcomes.count(), kJobs);
  for (std::size_t i = 0; i < kJobs; ++i)
    ASSERT_TRUE(outcomes.status(i).ok()) << i;
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kJobs));
  EXPECT_GE(writer_->batches(), kJobs / 16);  // max_batch is honoured
}

TEST_P(WriterTest, StopWithoutStartStillDrains) {
  make_writer();
  Outcomes outcomes(3);
  for (std::size_t i = 0; i < 3; ++i)
    writer_->submit(insert("n" + std::to_string(i)), outcomes.done(i));
  writer_->stop();
  EXPECT_EQ(outcomes.count(), 3u);
  EXPECT_EQ(rows(), 3);
}

TEST_P(WriterTest, SubmitAfterStopFails) {
  make_writer();
  writer_->start();
  ASSERT_TRUE(writer_->run(insert("before")).ok());
  writer_->stop();

  bool called = false;
  Status reported;
  writer_->submit(insert("after"), [&](Status s) {
    called = true;
    reported = std::move(s);
  });
  ASSERT_TRUE(called);  // immediately, on this thread
  ASSERT_FALSE(reported.ok());
  EXPECT_EQ(reported.error().kind, ErrorKind::kUnavailable);

  Status run = writer_->run(insert("after"));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().kind, ErrorKind::kUnavailable);
  EXPECT_FALSE(has("after"));
  writer_->stop();  // idempotent
}

TEST_P(WriterTest, RunFromTheWriterThreadFailsInsteadOfDeadlocking) {
  make_writer();
  writer_->start();
  Status inner;
  Status outer = writer_->run([&](Connection&) -> Status {
    inner = writer_->run(insert("nested"));
    return {};
  });
  EXPECT_TRUE(outer.ok());
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().kind, ErrorKind::kInternal);
}

TEST_P(WriterTest, DataSurvivesReopen) {
  make_writer();
  writer_->start();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(writer_->run(insert("p" + std::to_string(i))).ok());
  writer_.reset();
  conn_.reset();
  db_.reset();

  open();
  EXPECT_EQ(rows(), 20);
  EXPECT_TRUE(has("p0"));
  EXPECT_TRUE(has("p19"));
}

// A real refusal of writes, switched through the writer's own connection (a job): on SQLite the file may not
// grow past the pages it has (max_page_count: SQLITE_FULL, as on a full disk); on PostgreSQL the session's
// transactions are read-only (SQLSTATE 25006, as on a standby or a database set read-only).
Writer::Job refuse_writes(Backend backend, bool on) {
  return [backend, on](Connection& conn) -> Status {
    if (backend == Backend::kPostgres)
      return conn.exec_script(on ? "SET default_transaction_read_only = on"
                                 : "SET default_transaction_read_only = off");
    if (!on) return conn.exec_script("PRAGMA max_page_count = 1073741823");
    auto pages = conn.query("PRAGMA page_count");
    if (!pages) return pages.error();
    return conn.exec_script("PRAGMA max_page_count = " + std::to_string(pages->at(0).int64(0)));
  };
}

// Rows that need pages of their own.
std::string big_name(int i) {
  return std::to_string(i) + "-" + std::string(8192, 'n');
}

TEST_P(WriterTest, ADatabaseThatRefusesWritesFailsEveryJobWithStorageUnavailableAndNothingIsLost) {
  make_writer();
  writer_->start();
  ASSERT_TRUE(writer_->run(insert("before")).ok());
  ASSERT_TRUE(writer_->run(refuse_writes(backend(), true)).ok());
  EXPECT_FALSE(writer_->storage_failing());

  constexpr int kJobs = 20;
  Outcomes outcomes(kJobs);
  for (int i = 0; i < kJobs; ++i)
    writer_->submit(insert(big_name(i)), outcomes.done(i));
  ASSERT_TRUE(outcomes.wait_all());
  int refused = 0;
  for (int i = 0; i < kJobs; ++i) {
    Status s = outcomes.status(i);
    // Reported ok means stored; refused means not stored, with the kind that says why.
    EXPECT_EQ(has(big_name(i)), s.ok()) << i;
    if (!s) {
      EXPECT_EQ(s.error().kind, ErrorKind::kStorageUnavailable) << s.error().message;
      ++refused;
    }
  }
  ASSERT_GT(refused, 0);
  EXPECT_TRUE(writer_->storage_failing());
  EXPECT_GT(writer_->storage_errors(), 0u);
  EXPECT_TRUE(has("before"));

  // The fault passes: the same connection takes writes again, and the refused rows can be written.
  ASSERT_TRUE(writer_->run(refuse_writes(backend(), false)).ok());
  for (int i = 0; i < kJobs; ++i) {
    if (has(big_name(i))) continue;
    Status s = writer_->run(insert(big_name(i)));
    EXPECT_TRUE(s.ok()) << i << ": " << s.error().message;
  }
  EXPECT_EQ(rows(), kJobs + 1);
  EXPECT_FALSE(writer_->storage_failing());
}

// With a probe, the spell of refused writes ends only when the probe commits, and the probe runs while the
// writer is idle — at its interval, not in a loop.
TEST_P(WriterTest, WhileWritesAreRefusedTheProbeRunsWhenIdleAndEndsTheSpell) {
  std::atomic<bool> probe_passes{false};
  std::atomic<int> probes{0};
  WriterOptions options;
  options.probe_interval = std::chrono::milliseconds(50);
  options.probe = [&](Connection& conn) -> Status {
    ++probes;
    if (!probe_passes) return make_error(ErrorKind::kStorageUnavailable, "probe: still refused");
    return insert("probe-" + std::to_string(probes.load()))(conn);
  };
  make_writer(options);
  writer_->start();
  ASSERT_TRUE(writer_->run(refuse_writes(backend(), true)).ok());
  EXPECT_EQ(writer_->run(insert(big_name(1))).error().kind, ErrorKind::kStorageUnavailable);
  ASSERT_TRUE(writer_->storage_failing());
  // A job beside a failing probe is not failed by it.
  ASSERT_TRUE(writer_->run(refuse_writes(backend(), false)).ok());
  ASSERT_TRUE(writer_->run(insert("beside-the-probe")).ok());
  EXPECT_TRUE(writer_->storage_failing());  // only the probe ends the spell

  const int before = probes.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int idle = probes.load() - before;
  EXPECT_GE(idle, 2);   // it probes while idle …
  EXPECT_LE(idle, 40);  // … at its interval (about 10 in 500 ms), not in a loop
  probe_passes = true;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (writer_->storage_failing() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(writer_->storage_failing());
  // Once the spell ended, the probe stops.
  const int after = probes.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(probes.load(), after);
}

INSTANTIATE_TEST_SUITE_P(Backends, WriterTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
