// Endpoint health: an endpoint whose every delivery attempt has failed for `disable_after` (since its last
// success; the dispatcher keeps failing_since) is disabled, its waiting deliveries fail with the reason, the
// range of events it missed is recorded for recovery, and the operator's other enabled endpoints get an
// `endpoint-disabled` event — all in one transaction, which is conditional on the endpoint still failing and
// still enabled, so on several nodes exactly one disables it and sends the event. A thread checks every
// `check_interval` (and on notify()). Thread-safety: start()/stop() from the owner; notify() and check_now()
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/failure_backoff.h"
#include "core/wakeup.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::delivery {

struct EndpointHealthOptions {
  Millis disable_after_ms = 5LL * 24 * 3600 * 1000;  // 0: never disable
  std::chrono::milliseconds check_interval{60000};
};

// How often to look: a tenth of disable_after, between 100 ms and a minute (a disabling comes at most that
// late).
std::chrono::milliseconds health_check_interval(Millis disable_after_ms);

class EndpointHealth {
 public:
  EndpointHealth(store::Pool& pool, store::Writer& writer, EndpointHealthOptions options,
                 const Clock& clock = SystemClock::instance());
  ~EndpointHealth();

  void start();
  void stop();
  void notify() { wakeup_.notify(); }
  // One check on the caller's thread; returns how many endpoints this call disabled.
  Result<int> check_now();
  std::uint64_t disabled() const { return disabled_.load(); }

 private:
  void run();

  store::Pool& pool_;
  store::Writer& writer_;
  EndpointHealthOptions options_;
  const Clock& clock_;
  Wakeup wakeup_;
  std::thread thread_;
  // Failed checks are logged once per spell of failures (a full disk fails every one).
  FailureBackoff failures_{"endpoint health", std::chrono::seconds(1), std::chrono::seconds(1)};
  std::atomic<std::uint64_t> disabled_{0};
};

}  // namespace tributary::delivery
