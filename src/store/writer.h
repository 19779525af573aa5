// The group-commit writer: one thread, one connection, that runs write jobs in batches — many jobs, one
// transaction, one fsync — and reports each job's outcome only after the batch is durable. The ingress
// acknowledges an upstream webhook from that report, so "2xx only after the write is durable" costs one fsync
// per batch, not per request. Each job runs inside its own SAVEPOINT: a failing job is rolled back alone and
// reported as failed, the rest of the batch commits. If the commit itself fails, every job of the batch
// reports the error. Thread-safety: submit() and run() from any thread; start()/stop() from the owner.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "store/database.h"

namespace tributary::store {

struct WriterOptions {
  std::size_t max_batch = 1024;  // jobs per transaction
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

  void submit(Job job, Done done);
  // Blocking: submit and wait until the job's batch is durable.
  Status run(Job job);

  // Counters for /metrics and benchmarks.
  std::uint64_t batches() const;
  std::uint64_t jobs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::store
