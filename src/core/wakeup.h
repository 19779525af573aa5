// Wakeup: how one stage tells the next that work is waiting, in-process and without a polling delay. A
// notify() that arrives while nobody waits is remembered, so a wake-up is never lost between a check and a
// wait. Thread-safety: all members are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>

#include "core/mutex.h"

namespace tributary {

class Wakeup {
 public:
  void notify() {
    {
      MutexLock lock(mu_);
      pending_ = true;
    }
    cv_.notify_one();
  }
  // Returns when notified (or already notified since the last wait), at `deadline`, or after stop().
  void wait_until(std::chrono::steady_clock::time_point deadline) {
    MutexLock lock(mu_);
    lock.wait_until(cv_, deadline, [this]() REQUIRES(mu_) { return pending_ || stopped_; });
    pending_ = false;
  }
  void stop() {
    {
      MutexLock lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    MutexLock lock(mu_);
    return stopped_;
  }
  void reset() {
    MutexLock lock(mu_);
    stopped_ = false;
  }

 private:
  mutable Mutex mu_;
  std::condition_variable cv_;
  bool pending_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;
};

}  // namespace tributary
