#include "core/api_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace tributary {
namespace {

class StepClock final : public Clock {
 public:
  Millis now_ms() const override { return now.load(); }
  std::atomic<Millis> now{1'765'000'000'000};  // a time of our era: reset headers are epoch seconds
};

ApiLimits limits(int requests, Millis window_ms, int concurrency = 0) {
  ApiLimits l;
  l.requests = requests;
  l.window_ms = window_ms;
  l.concurrency = concurrency;
  return l;
}

// Takes a grant for a new ticket at the clock's time, or returns nothing (the ticket is left in line).
std::optional<Budget::Grant> take(Budget& budget, std::uint64_t ticket, Millis now, Millis* wait = nullptr) {
  Millis w = 0;
  auto grant = budget.try_take(ticket, now, &w);
  if (wait != nullptr) *wait = w;
  if (!grant) return std::nullopt;
  return std::move(*grant);
}

TEST(ApiBudget, AtMostTheLimitInAnySlidingWindow) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(3, 1000), log, clock);
  const Millis t0 = clock.now;
  for (int i = 0; i < 3; ++i) {
    auto t = budget.enqueue(Priority::kFetch);
    EXPECT_TRUE(take(budget, t, t0 + i * 100)) << i;
  }
  auto fourth = budget.enqueue(Priority::kFetch);
  Millis wait = 0;
  EXPECT_FALSE(take(budget, fourth, t0 + 300, &wait));
  EXPECT_EQ(wait, 700);  // the first grant leaves the window at t0 + 1000
  EXPECT_FALSE(take(budget, fourth, t0 + 999));
  EXPECT_TRUE(take(budget, fourth, t0 + 1000));
  // The grants at t0 + 100 and t0 + 200 are still inside (t0 + 1050 - 1000, t0 + 1050].
  auto fifth = budget.enqueue(Priority::kFetch);
  EXPECT_FALSE(take(budget, fifth, t0 + 1050, &wait));
  EXPECT_EQ(wait, 50);
  EXPECT_EQ(budget.stats().requests, 4u);
}

// With the jitter guard (what real tools get), a grant leaves the window a little after the window's length:
// two calls granted exactly one window apart could arrive closer than that at the tool.
TEST(ApiBudget, TheJitterGuardKeepsGrantsALittleLongerThanTheWindow) {
  EXPECT_EQ(Budget::window_guard(1000), 100);
  EXPECT_EQ(Budget::window_guard(10'000), 200);
  EXPECT_EQ(Budget::window_guard(3'600'000), 1000);
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(2, 10'000), log, clock);
  budget.set_jitter_guard(true);
  const Millis t0 = clock.now;
  EXPECT_TRUE(take(budget, budget.enqueue(Priority::kFetch), t0));
  EXPECT_TRUE(take(budget, budget.enqueue(Priority::kFetch), t0));
  auto third = budget.enqueue(Priority::kFetch);
  Millis wait = 0;
  EXPECT_FALSE(take(budget, third, t0 + 10'000, &wait));
  EXPECT_EQ(wait, 200);
  EXPECT_TRUE(take(budget, third, t0 + 10'200));
}

TEST(ApiBudget, ConcurrencyIsHeldUntilTheGrantIsReleased) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(100, 1000, 2), log, clock);
  auto a = take(budget, budget.enqueue(Priority::kFetch), clock.now);
  auto b = take(budget, budget.enqueue(Priority::kFetch), clock.now);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(budget.stats().in_use, 2);
  auto third = budget.enqueue(Priority::kFetch);
  EXPECT_FALSE(take(budget, third, clock.now));
  a.reset();
  EXPECT_TRUE(take(budget, third, clock.now));
}

TEST(ApiBudget, FetchesGoFirstButBackgroundIsNeverStarved) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(1000, 1000), log, clock);
  const auto sync = budget.enqueue(Priority::kBackground);
  std::vector<std::uint64_t> fetches;
  for (int i = 0; i < 10; ++i)
    fetches.push_back(budget.enqueue(Priority::kFetch));
  // The sync came first but waits behind fetches...
  EXPECT_FALSE(take(budget, sync, clock.now));
  int granted_before_sync = 0;
  for (auto f : fetches) {
    if (take(budget, f, clock.now)) {
      ++granted_before_sync;
      continue;
    }
    break;
  }
  // ...for at most kBackgroundShare - 1 of them, then it has its turn.
  EXPECT_EQ(granted_before_sync, Budget::kBackgroundShare - 1);
  EXPECT_TRUE(take(budget, sync, clock.now));
}

TEST(ApiBudget, A429PausesUntilRetryAfterAndHalvesTheRateThenRecovers) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(8, 1000), log, clock);
  budget.observe(429, {{"retry-after", "5"}});
  auto t = budget.enqueue(Priority::kFetch);
  Millis wait = 0;
  EXPECT_FALSE(take(budget, t, clock.now + 4999, &wait));
  EXPECT_EQ(wait, 1);  // never sooner than the tool asked
  clock.now += 5000;
  EXPECT_TRUE(take(budget, t, clock.now));
  auto s = budget.stats();
  EXPECT_EQ(s.throttled, 1u);
  EXPECT_EQ(s.effective_requests, 4);
  EXPECT_EQ(s.paused_ms, 5000);
  // Four grants fill the halved window.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(take(budget, budget.enqueue(Priority::kFetch), clock.now));
  auto more = budget.enqueue(Priority::kFetch);
  EXPECT_FALSE(take(budget, more, clock.now));
  budget.cancel(more);
  // Each quiet window gives back a quarter of the limit.
  clock.now += 1000;
  EXPECT_TRUE(take(budget, budget.enqueue(Priority::kFetch), clock.now));
  EXPECT_EQ(budget.stats().effective_requests, 6);
  clock.now += 1000;
  EXPECT_TRUE(take(budget, budget.enqueue(Priority::kFetch), clock.now));
  EXPECT_EQ(budget.stats().effective_requests, 8);
}

TEST(ApiBudget, A503WithRetryAfterPausesAndOneWithoutDoesNot) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(8, 1000), log, clock);
  budget.observe(503, {});
  EXPECT_EQ(budget.stats().throttled, 0u);
  budget.observe(503, {{"Retry-After", "2"}});  // BambooHR's way of saying "too many"
  EXPECT_EQ(budget.stats().throttled, 1u);
  EXPECT_EQ(budget.stats().paused_until, clock.now + 2000);
}

TEST(ApiBudget, ExhaustedRateLimitHeadersPauseUntilTheReset) {
  StepClock clock;
  MemoryGrantLog log;
  Budget budget("i1", limits(10, 10'000), log, clock);
  budget.observe(200, {{"X-Rate-Limit-Remaining", "3"}});
  EXPECT_EQ(budget.stats().paused_until, 0);
  // Workable: the reset is the time of the next interval, in epoch seconds.
  const Millis next_interval = (clock.now / 1000 + 7) * 1000;
  budget.observe(
      200, {{"X-Rate-Limit-Remaining", "0"}, {"X-Rate-Limit-Reset", std::to_string(next_interval / 1000)}});
  EXPECT_EQ(budget.stats().paused_until, next_interval);
  // Greenhouse / SmartRecruiters spelling, a reset in seconds from now.
  clock.now = next_interval;
  budget.observe(200, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "2"}});
  EXPECT_EQ(budget.stats().paused_until, clock.now + 2000);
  EXPECT_EQ(budget.stats().throttled, 0u);  // no 429: the budget slowed before one came
}

TEST(ApiBudget, ThePauseIsSharedThroughTheLog) {
  StepClock clock;
  MemoryGrantLog log;  // stands for the database both nodes use
  Budget node_a("i1", limits(10, 1000), log, clock);
  Budget node_b("i1", limits(10, 1000), log, clock);
  ASSERT_TRUE(log.pause("i1", clock.now + 3000).ok());  // what a 429 on a third node leaves in the database
  auto t = node_b.enqueue(Priority::kFetch);
  Millis wait = 0;
  EXPECT_FALSE(take(node_b, t, clock.now, &wait));
  EXPECT_EQ(wait, 3000);
  // And so is the window: 10 grants in all, whichever node takes them.
  clock.now += 3000;
  int granted = 0;
  for (int i = 0; i < 20; ++i) {
    Budget& b = i % 2 ? node_a : node_b;
    auto ticket = b.enqueue(Priority::kFetch);
    if (take(b, ticket, clock.now)) ++granted;
    b.cancel(ticket);
  }
  EXPECT_EQ(granted, 10);
}

TEST(ApiBudget, AcquireWaitsForTheWindowAndGivesUpAtItsDeadline) {
  MemoryGrantLog log;
  Budget budget("i1", limits(2, 300), log);
  const Millis start = now_ms();
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(budget.acquire(Priority::kFetch, start + 10'000));
  // The third waits for the first to leave the window.
  EXPECT_TRUE(budget.acquire(Priority::kFetch, start + 10'000));
  EXPECT_GE(now_ms() - start, 300);
  EXPECT_TRUE(budget.acquire(Priority::kFetch, start + 10'000));  // the window holds the third only
  // A deadline already near gives up instead of exceeding the window.
  auto late = budget.acquire(Priority::kFetch, now_ms() + 20);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(budget.stats().timed_out, 1u);
  EXPECT_EQ(budget.stats().waiting, 0);
}

// Records the time of every grant the budget takes.
class RecordingLog final : public GrantLog {
 public:
  Result<Millis> try_grant(const std::string& key, int requests, Millis window_ms, Millis now) override {
    auto got = inner.try_grant(key, requests, window_ms, now);
    if (got && *got == 0) {
      std::lock_guard<std::mutex> lock(mu);
      granted_at.push_back(now);
    }
    return got;
  }
  Status pause(const std::string& key, Millis until) override { return inner.pause(key, until); }
  MemoryGrantLog inner;
  std::mutex mu;
  std::vector<Millis> granted_at;
};

TEST(ApiBudget, ThreadsTogetherStayInsideTheWindow) {
  RecordingLog log;
  Budget budget("i1", limits(5, 200, 2), log);
  std::atomic<int> max_in_flight{0};
  std::atomic<int> in_flight{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto grant = budget.acquire(t == 0 ? Priority::kBackground : Priority::kFetch, now_ms() + 20'000);
        ASSERT_TRUE(grant);
        const int now_in = ++in_flight;
        int seen = max_in_flight.load();
        while (now_in > seen && !max_in_flight.compare_exchange_weak(seen, now_in)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        --in_flight;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::vector<Millis> granted_at = log.granted_at;
  ASSERT_EQ(granted_at.size(), 20u);
  for (std::size_t i = 5; i < granted_at.size(); ++i)
    EXPECT_GE(granted_at[i] - granted_at[i - 5], 200) << i;  // any 6 grants span more than a window
  EXPECT_LE(max_in_flight.load(), 2);
}

TEST(ApiBudget, RetryAfterIsReadInSeconds) {
  EXPECT_EQ(retry_after_ms("3"), 3000);
  EXPECT_EQ(retry_after_ms(" 0 "), 0);
  EXPECT_EQ(retry_after_ms("999999"), 3600 * 1000);
  EXPECT_FALSE(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(retry_after_ms("-1"));
}

}  // namespace
}  // namespace tributary
