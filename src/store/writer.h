// The group-commit writer: one thread, one connection, that runs write jobs in batches — many jobs, one
// transaction, one fsync — and reports each job's outcome only after the batch is durable. The ingress
// acknowledges an upstream webhook from that report, so "2xx only after the write is durable" costs one fsync
// per batch, not per request. Each job runs inside its own SAVEPOINT: a failing job is rolled back alone and
// reported as failed, the rest of the batch commits. If the commit itself fails, every job of the batch
// reports the error. After a commit the writer wakes the in-process subscribers of every channel a committed
// job notified (store::notify), as PostgreSQL's LISTEN/NOTIFY wakes the other nodes: the stages of one node
// wake each other through the store rather than through callbacks of their own.
// Writes that only log (a rejected request, a handshake: nothing waits on them to answer) go through
// submit_log() into a bounded queue of their own: when it is full they are dropped and counted, and every
// batch takes them after the writes that gate an acknowledgement (submit(), never dropped) and at most
// max_log_per_batch of them, so a flood of logging cannot hold up, or crowd out, an acknowledged write.
// When the database refuses writes (ErrorKind::kStorageUnavailable: disk full, read-only, an I/O error) the
// batch is rolled back and every job of it reports that error, so nothing is acknowledged that was not
// written. The writer logs the start and the end of such a spell once (not per batch), counts the refused
// batches, and says storage_failing() meanwhile; while failing it runs the options' probe (a small real
// write) about once per probe_interval, idle or not, and the spell ends when a probe commits. A connection
// that cannot even roll back is replaced through the options' reopen().
// Thread-safety: submit(), run() and subscribe() from any thread; start()/stop() from the owner.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "store/database.h"

namespace tributary::store {

struct WriterOptions {
  std::size_t max_batch = 1024;        // submit() jobs per transaction
  std::size_t max_log_queue = 10000;   // submit_log() jobs waiting at most; more are dropped
  std::size_t max_log_per_batch = 64;  // submit_log() jobs per transaction at most
  // While the database refuses writes: a small real write that tells when it takes them again, run about
  // once per probe_interval. Without one, any committed batch ends the spell.
  std::function<Status(Connection&)> probe;
  std::chrono::milliseconds probe_interval{1000};
  // A fresh connection, for when the writer's own is left unusable (a failed ROLLBACK). Without one the
  // writer keeps its connection.
  std::function<Result<std::unique_ptr<Connection>>()> reopen;
};

class Writer {
 public:
  using Job = std::function<Status(Connection&)>;
  using Done = std::function<void(Status)>;  // runs on the writer thread after commit: keep it short

  Writer(std::unique_ptr<Connection> connection, WriterOptions options = {});
  ~Writer();  // stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void start();
  // Finishes every job already submitted, then stops. Jobs submitted after stop() fail with kUnavailable.
  void stop();

  // A write whose durability gates an answer: never dropped.
  void submit(Job job, Done done);
  // A write that only logs. False when it was not queued: the log queue was full (dropped, counted in
  // log_dropped(), `done` not called), or the writer is stopped (`done` gets kUnavailable, as from submit()).
  bool submit_log(Job job, Done done = {});

  // A subscription ends when its handle is destroyed or reset; once that returns, its function is not running
  // and is never called again. The handle must not outlive the writer, nor be reset from inside its function.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription() { reset(); }
    void reset();

   private:
    friend class Writer;
    Subscription(Writer* writer, std::uint64_t id) : writer_(writer), id_(id) {}
    Writer* writer_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // Runs `fn` on the writer thread after every committed batch in which a job that succeeded notified
  // `channel`, once per batch. Keep it short (a Wakeup::notify): the next batch waits for it.
  [[nodiscard]] Subscription subscribe(std::string_view channel, std::function<void()> fn);
  // Blocking: submit and wait until the job's batch is durable.
  Status run(Job job);

  // Counters for /metrics and benchmarks.
  std::uint64_t batches() const;
  std::uint64_t jobs() const;
  std::uint64_t log_dropped() const;
  // Batches the database refused (kStorageUnavailable), and whether it refuses them now: from the first
  // refused batch until a probe (or, without one, a batch) commits.
  std::uint64_t storage_errors() const;
  bool storage_failing() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::store
