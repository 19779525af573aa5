// Retention: removes what Tributary keeps only for looking back — the raw bodies and headers of upstream
// requests, and delivery attempts — once older than the retention (retention.days). Events, records,
// deliveries and every inbox row's metadata and links stay; a pruned inbox row says when it was pruned.
// Pruning runs in the background in small batches: at most `batch_rows` rows per transaction, each batch a
// job of the group-commit writer (so ingress commits never wait behind a long one), with a pause between
// batches. On several nodes sharing PostgreSQL one node prunes at a time (an advisory lock); the others skip
// the pass. Thread-safety: start()/stop() from the owner; notify() and prune_now() from any thread, one
// prune at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/failure_backoff.h"
#include "core/mutex.h"
#include "core/wakeup.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::retention {

struct PrunerOptions {
  Millis max_age_ms = 30LL * 24 * 3600 * 1000;  // 0: keep everything
  int batch_rows = 500;
  std::chrono::milliseconds pause{50};
  // Between passes. A pass prunes everything due when it starts, batch by batch.
  std::chrono::milliseconds interval{60000};
};

// How often to look: a tenth of the retention, between 100 ms and a minute (a row outlives its retention by
// at most that, plus the pass that prunes it).
std::chrono::milliseconds prune_interval(Millis max_age_ms);

struct PruneStats {
  std::uint64_t passes = 0;        // passes run by this node (under the lock)
  std::uint64_t skipped = 0;       // passes another node was running
  std::uint64_t batches = 0;       // transactions
  std::uint64_t bodies = 0;        // inbox rows pruned
  std::uint64_t attempts = 0;      // attempts deleted
  std::int64_t largest_batch = 0;  // most rows one transaction changed
};

class Pruner {
 public:
  Pruner(store::Pool& pool, store::Writer& writer, PrunerOptions options,
         const Clock& clock = SystemClock::instance());
  ~Pruner();

  void start();
  void stop();
  void notify() { wakeup_.notify(); }
  // One pass on the caller's thread: everything older than the retention now, in batches. False when another
  // node holds the lock (nothing done).
  Result<bool> prune_now();
  PruneStats stats() const;

 private:
  void run();
  // Batches of `step` until one changes fewer than batch_rows rows (nothing more is due) or stop().
  template <class Step>
  Status batches(Step step, std::uint64_t PruneStats::*counter);

  store::Pool& pool_;
  store::Writer& writer_;
  PrunerOptions options_;
  const Clock& clock_;
  Wakeup wakeup_;
  std::thread thread_;
  // Failed passes are logged once per spell of failures (a full disk fails every one; run() thread only).
  FailureBackoff failures_{"retention", std::chrono::seconds(1), std::chrono::seconds(1)};
  Mutex prune_mu_;  // one pass at a time on this node (thread and prune_now)
  mutable Mutex stats_mu_;
  PruneStats stats_ GUARDED_BY(stats_mu_);
};

}  // namespace tributary::retention
