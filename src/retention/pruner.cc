#include "retention/pruner.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/advisory_lock.h"
#include "store/inbox_repo.h"
#include "store/outbox_repo.h"

namespace tributary::retention {

std::chrono::milliseconds prune_interval(Millis max_age_ms) {
  return std::chrono::milliseconds(std::clamp<Millis>(max_age_ms / 10, 100, 60000));
}

Pruner::Pruner(store::Pool& pool, store::Writer& writer, PrunerOptions options, const Clock& clock)
    : pool_(pool), writer_(writer), options_(options), clock_(clock) {}

Pruner::~Pruner() {
  stop();
}

void Pruner::start() {
  if (options_.max_age_ms <= 0) return;
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void Pruner::stop() {
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
}

PruneStats Pruner::stats() const {
  MutexLock lock(stats_mu_);
  return stats_;
}

void Pruner::run() {
  while (!wakeup_.stopped()) {
    wakeup_.wait_until(std::chrono::steady_clock::now() + options_.interval);
    if (wakeup_.stopped()) break;
    if (auto pruned = prune_now(); !pruned) {
      (void)failures_.failed(pruned.error());
    } else {
      failures_.succeeded();
    }
  }
}

template <class Step>
Status Pruner::batches(Step step, std::uint64_t PruneStats::*counter) {
  for (;;) {
    std::int64_t changed = 0;
    if (auto s = writer_.run([&](store::Connection& c) -> Status {
          auto n = step(c);
          if (!n) return n.error();
          changed = *n;
          return {};
        });
        !s)
      return s;
    {
      MutexLock lock(stats_mu_);
      ++stats_.batches;
      stats_.*counter += static_cast<std::uint64_t>(changed);
      stats_.largest_batch = std::max(stats_.largest_batch, changed);
    }
    if (changed < options_.batch_rows || wakeup_.stopped()) return {};
    // The writer's other jobs (ingress above all) have the writer to themselves meanwhile.
    if (options_.pause.count() > 0) std::this_thread::sleep_for(options_.pause);
  }
}

Result<bool> Pruner::prune_now() {
  if (options_.max_age_ms <= 0) return true;
  MutexLock one_pass(prune_mu_);
  auto held = store::AdvisoryLock::try_lock(pool_, store::LockSpace::kRetention, "retention");
  if (!held) return held.error();
  if (!*held) {
    MutexLock lock(stats_mu_);
    ++stats_.skipped;
    return false;
  }
  const Millis now = clock_.now_ms();
  const Millis before = now - options_.max_age_ms;
  const int limit = options_.batch_rows;
  if (auto s =
          batches([&](store::Connection& c) { return store::inbox::prune_bodies(c, before, limit, now); },
                  &PruneStats::bodies);
      !s)
    return s.error();
  if (auto s = batches([&](store::Connection& c) { return store::attempts::prune(c, before, limit); },
                       &PruneStats::attempts);
      !s)
    return s.error();
  MutexLock lock(stats_mu_);
  ++stats_.passes;
  return true;
}

}  // namespace tributary::retention
