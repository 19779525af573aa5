// When to retry a failed delivery. Retry n (1-based) waits base_ms × factor^(n−1), spread by ±jitter, so the
// defaults give ~30 s, 2.5 min, 12.5 min, 1 h, 5 h. A Retry-After from the endpoint is honoured when it asks
// for longer (capped at one day). After max_retries retries the delivery is failed. Thread-safety: immutable;
// safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/config.h"

namespace tributary::delivery {

enum class AttemptVerdict {
  kSucceeded,        // 2xx
  kRetry,            // network error, timeout, 5xx, 429, 408, other 4xx: try again later
  kDisableEndpoint,  // 410 Gone: the endpoint asked to be disabled
};

AttemptVerdict classify(int http_status);  // 0 = no response

// Retry-After: delta-seconds or an HTTP-date. nullopt when absent or unparseable.
std::optional<Millis> parse_retry_after(std::string_view value, Millis now);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryConfig config) : config_(config) {}
  // Delay before retry number `retry` (1-based); nullopt when retries are exhausted. `unit_random` ∈ [0,1)
  // picks the jitter (tests pass fixed values). `retry_after` is the endpoint's asked delay, if any.
  std::optional<Millis> delay(int retry, double unit_random,
                              std::optional<Millis> retry_after = std::nullopt) const;
  int max_retries() const { return config_.max_retries; }

 private:
  RetryConfig config_;
};

}  // namespace tributary::delivery
