// How a simulated tool retries a webhook delivery: the vendor's documented delays between attempts, scaled so
// tests and the demo see retries within milliseconds instead of minutes.
//
// TRIBUTARY_SIM_RETRY_SCALE (environment variable, default 0.001) multiplies every vendor delay: with the
// default Greenhouse's "1 min" becomes 60 ms and "15 min" 900 ms. Set it to 1 to retry on the vendor's real
// schedule. A value that is not a positive finite number is ignored (with a warning) and the default is used.
// Thread-safety: plain values; retry_scale_from_env() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

namespace tributary::http {
struct ClientResponse;
}

namespace tributary::sim {

inline constexpr double kDefaultRetryScale = 0.001;
inline constexpr const char* kRetryScaleEnv = "TRIBUTARY_SIM_RETRY_SCALE";

double retry_scale_from_env();

struct RetrySchedule {
  // Delay before attempt 2, 3, …; the number of attempts is delays.size() + 1.
  std::vector<std::chrono::milliseconds> delays;
  double jitter = 0.0;                       // ± fraction applied to each (scaled) delay
  std::chrono::milliseconds timeout{10000};  // per attempt; not scaled (it is about the receiver)
  // Whether an attempt's outcome is retried (status 0 = no HTTP response: timeout, refused, …).
  std::function<bool(const http::ClientResponse&)> should_retry;

  std::size_t max_attempts() const { return delays.size() + 1; }
  // The scaled delay before attempt `next_attempt` (2-based), jitter applied; `unit` in [0, 1) picks the
  // jitter.
  std::chrono::milliseconds delay_before(std::size_t next_attempt, double scale, double unit) const;
};

using RetryPredicate = std::function<bool(const http::ClientResponse&)>;

// A tool's schedule: its delays (unscaled), its jitter, its per-attempt timeout and what it retries.
std::shared_ptr<const RetrySchedule> make_retry_schedule(std::vector<std::chrono::milliseconds> delays,
                                                         double jitter, std::chrono::milliseconds timeout,
                                                         RetryPredicate should_retry);
// Delays given in whole minutes, as most vendors document them.
std::vector<std::chrono::milliseconds> delays_in_minutes(std::initializer_list<int> minutes);
// Every failed attempt (any answer but the one the tool wants, or none) is retried.
inline bool retry_every_failure(const http::ClientResponse&) {
  return true;
}

}  // namespace tributary::sim
