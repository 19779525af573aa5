// Wakeup: how one stage tells the next that work is waiting, in-process and without a polling delay. A
// notify() that arrives while nobody waits is remembered, so a wake-up is never lost between a check and a
// wait. Thread-safety: all members are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tributary {

class Wakeup {
 public:
  void notify() {
    {
      std::lock_guard lock(mu_);
      pending_ = true;
    }
    cv_.notify_one();
  }
  // Returns when notified (or already notified since the last wait), at `deadline`, or after stop().
  void wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [this] { return pending_ || stopped_; });
    pending_ = false;
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  void reset() {
    std::lock_guard lock(mu_);
    stopped_ = false;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;  // guarded by mu_
  bool stopped_ = false;  // guarded by mu_
};

}  // namespace tributary
