#include "core/rate_limit.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace tributary {

KeyedRateLimiter::KeyedRateLimiter(RateLimit limit, std::size_t max_keys)
    : limit_{limit.per_second, std::max(limit.burst, 1.0)}, max_keys_(std::max<std::size_t>(max_keys, 1)) {}

bool KeyedRateLimiter::allow(std::string_view key, std::int64_t now_us, std::int64_t* retry_after_us) {
  if (!limit_.limited()) return true;
  MutexLock lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) make_room(now_us);
    it = buckets_.emplace(std::string(key), Bucket{limit_.burst, now_us}).first;
  }
  Bucket& b = it->second;
  const double elapsed_s = static_cast<double>(std::max<std::int64_t>(now_us - b.at_us, 0)) / 1e6;
  b.tokens = std::min(limit_.burst, b.tokens + elapsed_s * limit_.per_second);
  b.at_us = std::max(b.at_us, now_us);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_us != nullptr)
    *retry_after_us = static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / limit_.per_second * 1e6));
  return false;
}

// Drops the buckets a fresh one would equal (refilled by now); when every bucket is still spending, all of
// them: a flood of new keys costs the old keys their history, never unbounded memory.
void KeyedRateLimiter::make_room(std::int64_t now_us) {
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    const double elapsed_s = static_cast<double>(std::max<std::int64_t>(now_us - b.at_us, 0)) / 1e6;
    return b.tokens + elapsed_s * limit_.per_second >= limit_.burst;
  });
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

std::size_t KeyedRateLimiter::keys() const {
  MutexLock lock(mu_);
  return buckets_.size();
}

std::string source_key(std::string_view address) {
  if (address.find(':') == std::string_view::npos) return std::string(address);
  std::array<unsigned char, 16> bytes{};
  const std::string text(address);
  if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return text;
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (::inet_ntop(AF_INET6, bytes.data(), out.data(), out.size()) == nullptr) return text;
  return std::string(out.data()) + "/64";
}

}  // namespace tributary
