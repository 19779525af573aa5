#include "delivery/retry_policy.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tributary::delivery {
namespace {

constexpr Millis kSecond = 1000;
constexpr Millis kDay = 24 * 60 * 60 * kSecond;
// Wed, 21 Oct 2015 07:28:00 GMT (calendar.timegm((2015, 10, 21, 7, 28, 0)) in Python).
constexpr Millis kOct21 = 1445412480LL * kSecond;
const double kAlmostOne = std::nextafter(1.0, 0.0);

TEST(Classify, MapsStatusesToVerdicts) {
  for (int s : {200, 201, 202, 204, 299})
    EXPECT_EQ(classify(s), AttemptVerdict::kSucceeded) << s;
  EXPECT_EQ(classify(410), AttemptVerdict::kDisableEndpoint);
  for (int s :
       {0, 100, 199, 300, 301, 302, 304, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 599, 999})
    EXPECT_EQ(classify(s), AttemptVerdict::kRetry) << s;
}

TEST(RetryPolicy, DefaultScheduleWithoutJitter) {
  RetryPolicy policy(RetryConfig{});
  EXPECT_EQ(policy.max_retries(), 5);
  EXPECT_EQ(policy.delay(1, 0.5), 30 * kSecond);
  EXPECT_EQ(policy.delay(2, 0.5), 150 * kSecond);
  EXPECT_EQ(policy.delay(3, 0.5), 750 * kSecond);
  EXPECT_EQ(policy.delay(4, 0.5), 3750 * kSecond);
  EXPECT_EQ(policy.delay(5, 0.5), 18750 * kSecond);
}

TEST(RetryPolicy, JitterSpreadsByTwentyPercent) {
  RetryPolicy policy(RetryConfig{});
  EXPECT_EQ(policy.delay(1, 0.0), 24 * kSecond);
  EXPECT_EQ(policy.delay(1, kAlmostOne), 36 * kSecond);
  EXPECT_EQ(policy.delay(5, 0.0), 15000 * kSecond);
  EXPECT_EQ(policy.delay(5, kAlmostOne), 22500 * kSecond);
  EXPECT_EQ(policy.delay(1, 0.25), 27 * kSecond);
  // Every u stays inside the band, and the delay grows with u.
  Millis previous = 0;
  for (int i = 0; i < 100; ++i) {
    const auto d = policy.delay(3, i / 100.0);
    ASSERT_TRUE(d);
    EXPECT_GE(*d, 600 * kSecond);
    EXPECT_LE(*d, 900 * kSecond);
    EXPECT_GE(*d, previous);
    previous = *d;
  }
  // Out-of-range randomness is clamped, never widening the band.
  EXPECT_EQ(policy.delay(1, -3.0), 24 * kSecond);
  EXPECT_EQ(policy.delay(1, 7.0), 36 * kSecond);
  EXPECT_EQ(policy.delay(1, std::nan("")), 24 * kSecond);
}

TEST(RetryPolicy, ExhaustedAfterMaxRetries) {
  RetryPolicy policy(RetryConfig{});
  EXPECT_FALSE(policy.delay(6, 0.5));
  EXPECT_FALSE(policy.delay(6, 0.5, 1000));
  EXPECT_FALSE(policy.delay(100, 0.5));
  EXPECT_FALSE(policy.delay(0, 0.5));  // retries are numbered from 1
  EXPECT_FALSE(policy.delay(-1, 0.5));
}

TEST(RetryPolicy, MaxRetriesZeroNeverRetries) {
  RetryPolicy policy(RetryConfig{.base_ms = 30000, .factor = 5.0, .max_retries = 0, .jitter = 0.2});
  EXPECT_EQ(policy.max_retries(), 0);
  EXPECT_FALSE(policy.delay(1, 0.5));
  EXPECT_FALSE(policy.delay(1, 0.5, 5000));
}

TEST(RetryPolicy, HonoursConfiguration) {
  RetryPolicy policy(RetryConfig{.base_ms = 1000, .factor = 2.0, .max_retries = 3, .jitter = 0.0});
  EXPECT_EQ(policy.delay(1, 0.0), 1000);
  EXPECT_EQ(policy.delay(2, kAlmostOne), 2000);
  EXPECT_EQ(policy.delay(3, 0.3), 4000);
  EXPECT_FALSE(policy.delay(4, 0.5));
}

TEST(RetryPolicy, ExtremeConfigurationIsCappedAtADay) {
  RetryPolicy policy(RetryConfig{.base_ms = 3600000, .factor = 1e6, .max_retries = 50, .jitter = 0.2});
  EXPECT_EQ(policy.delay(50, 0.5), kDay);
}

TEST(RetryPolicy, RetryAfterHonouredOnlyWhenLonger) {
  RetryPolicy policy(RetryConfig{});
  EXPECT_EQ(policy.delay(1, 0.5, 120 * kSecond), 120 * kSecond);  // longer: wait as asked
  EXPECT_EQ(policy.delay(1, 0.5, 10 * kSecond), 30 * kSecond);    // shorter: keep our backoff
  EXPECT_EQ(policy.delay(1, 0.5, 0), 30 * kSecond);
  EXPECT_EQ(policy.delay(3, 0.5, 10 * kDay), kDay);  // capped at one day
  EXPECT_EQ(policy.delay(1, 0.5, std::nullopt), 30 * kSecond);
}

TEST(ParseRetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", kOct21), 120 * kSecond);
  EXPECT_EQ(parse_retry_after("0", kOct21), 0);
  EXPECT_EQ(parse_retry_after(" 5\t", kOct21), 5 * kSecond);
  // Absurdly long values saturate instead of overflowing; the policy caps them.
  const auto huge = parse_retry_after("99999999999999999999999999999", kOct21);
  ASSERT_TRUE(huge);
  EXPECT_GT(*huge, kDay);
  EXPECT_EQ(RetryPolicy(RetryConfig{}).delay(1, 0.5, huge), kDay);
}

TEST(ParseRetryAfter, HttpDateRelativeToNow) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21 - 90 * kSecond), 90 * kSecond);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21), 0);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21 - 500), 500);
  // RFC 9110's own example, a day and more away.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777LL * kSecond - kDay), kDay);
  // The obsolete forms recipients must still accept.
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", kOct21 - 60 * kSecond), 60 * kSecond);
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", kOct21 - 60 * kSecond), 60 * kSecond);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", 784111777LL * kSecond - kSecond), kSecond);
}

TEST(ParseRetryAfter, PastDatesAndNegativesAreRejected) {
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kOct21 + kSecond));
  EXPECT_FALSE(parse_retry_after("-5", kOct21));
  EXPECT_FALSE(parse_retry_after("-0", kOct21));
}

TEST(ParseRetryAfter, GarbageIsRejected) {
  for (std::string_view bad : {"",
                               "   ",
                               "abc",
                               "1.5",
                               "12abc",
                               "+5",
                               "1 2",
                               "0x10",
                               "120s",
                               "Wed, 21 Oct 2015 07:28:00 UTC",
                               "Wed, 21 Oct 2015 07:28:00",
                               "Wed, 32 Oct 2015 07:28:00 GMT",
                               "Wed, 30 Feb 2015 07:28:00 GMT",
                               "Xyz, 21 Oct 2015 07:28:00 GMT",
                               "Wed, 21 Foo 2015 07:28:00 GMT",
                               "Wed, 21 Oct 2015 25:28:00 GMT",
                               "Wed, 21 Oct 2015 07:61:00 GMT",
                               "Wed, 2a Oct 2015 07:28:00 GMT",
                               "Wed,21 Oct 2015 07:28:00 GMT ",
                               "Someday, 21-Oct-15 07:28:00 GMT",
                               "Wednesday, 21-Oct-15 07:28:00",
                               "Wed Oct 21 07:28:00 15",
                               "2015-10-21T07:28:00Z"}) {
    EXPECT_FALSE(parse_retry_after(bad, kOct21 - kDay)) << bad;
  }
}

}  // namespace
}  // namespace tributary::delivery
