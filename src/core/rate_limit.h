// Token buckets keyed by a string — a client's address, a subscription's id — for the limits the ingress puts
// on what anyone on the network can make it do: requests per second per source address and per subscription,
// and rejected requests written to the upstream log per address and in total. A bucket holds up to `burst`
// tokens and gains `per_second` of them every second; each allowed event spends one. The number of buckets
// is bounded (`max_keys`): when it is reached, the buckets that have refilled (they hold nothing a fresh one
// would not) are dropped, and if that frees nothing every bucket is, so no flood of new keys grows memory.
// source_key() names what a client's address counts under: an IPv4 address as is, an IPv6 address by its
// /64 (one host commonly holds a whole /64, and would otherwise get a fresh bucket per address it picks).
// Thread-safety: allow() from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/mutex.h"

namespace tributary {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  double burst = 0;       // tokens a full bucket holds (at least 1 when limited)
  bool limited() const { return per_second > 0; }
};

class KeyedRateLimiter {
 public:
  explicit KeyedRateLimiter(RateLimit limit, std::size_t max_keys = 100000);

  // True when `key` may go ahead now (a token is spent); false when over its limit, with the microseconds
  // until its next token in *retry_after_us when given. Always true when the limit is off. `now_us` is a
  // monotonic time (monotonic_us()); tests pass their own.
  bool allow(std::string_view key, std::int64_t now_us, std::int64_t* retry_after_us = nullptr);

  std::size_t keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t at_us = 0;
  };
  void make_room(std::int64_t now_us) REQUIRES(mu_);

  const RateLimit limit_;
  const std::size_t max_keys_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
};

// "203.0.113.7" → "203.0.113.7"; "2001:db8:1:2:3:4:5:6" → "2001:db8:1:2::/64"; anything else as given.
std::string source_key(std::string_view address);

}  // namespace tributary
