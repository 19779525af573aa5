#include "core/rate_limit.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(KeyedRateLimiter, ABurstIsAllowedThenTheRate) {
  KeyedRateLimiter limiter(RateLimit{2, 3});
  const std::int64_t t0 = 50 * kSecond;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.allow("a", t0)) << i;
  std::int64_t retry = 0;
  EXPECT_FALSE(limiter.allow("a", t0, &retry));
  EXPECT_EQ(retry, kSecond / 2);  // 2 per second: the next token in half a second
  EXPECT_FALSE(limiter.allow("a", t0 + kSecond / 4));
  EXPECT_TRUE(limiter.allow("a", t0 + kSecond / 2));
  // Each key has its own bucket.
  EXPECT_TRUE(limiter.allow("b", t0));
  // A long pause refills to the burst, not beyond.
  const std::int64_t later = t0 + 100 * kSecond;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.allow("a", later)) << i;
  EXPECT_FALSE(limiter.allow("a", later));
}

TEST(KeyedRateLimiter, OffAllowsEverything) {
  KeyedRateLimiter limiter(RateLimit{0, 0});
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(limiter.allow("a", 0));
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(KeyedRateLimiter, NewKeysNeverGrowItPastItsBound) {
  KeyedRateLimiter limiter(RateLimit{1, 5}, /*max_keys=*/100);
  for (int i = 0; i < 10000; ++i) {
    limiter.allow("k" + std::to_string(i), kSecond);
    ASSERT_LE(limiter.keys(), 100u);
  }
  // A key still spending its budget keeps it; the keys that have refilled are what make room.
  KeyedRateLimiter kept(RateLimit{1, 5}, /*max_keys=*/3);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(kept.allow("busy", kSecond));
  ASSERT_TRUE(kept.allow("x", kSecond));
  ASSERT_TRUE(kept.allow("y", kSecond));
  ASSERT_TRUE(kept.allow("z", 3 * kSecond));  // x and y are full again by then, busy holds 2 tokens
  EXPECT_EQ(kept.keys(), 2u);
  EXPECT_TRUE(kept.allow("busy", 3 * kSecond));
  EXPECT_TRUE(kept.allow("busy", 3 * kSecond));
  EXPECT_FALSE(kept.allow("busy", 3 * kSecond));
}

TEST(SourceKey, Ipv4AsIsIpv6ByItsSlash64) {
  EXPECT_EQ(source_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(source_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(source_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(source_key("::1"), "::/64");
  EXPECT_EQ(source_key(""), "");
  EXPECT_EQ(source_key("not:an address"), "not:an address");
}

}  // namespace
}  // namespace tributary
