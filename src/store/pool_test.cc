// Tests for the bounds of the connection pool (reuse and reads are in repos_test.cc), on both backends: never
// more than `size` connections open, an acquire waits for a returned one, and gives up with kUnavailable when
// none comes back in time.
#include "store/pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using namespace std::chrono_literals;
using testing_db::BackendTest;

class PoolLimitsTest : public BackendTest {};

TEST_P(PoolLimitsTest, ConnectionsAreReusedAndNeverMoreThanTheSize) {
  Pool pool(*db_, PoolOptions{2, 2000ms});
  {
    auto a = pool.acquire();
    ASSERT_TRUE(a.ok()) << a.error().message;
    auto b = pool.acquire();
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(pool.stats().open, 2);
    EXPECT_EQ(pool.stats().in_use, 2);
    auto read = (*a)->query("SELECT 1", {});
    ASSERT_TRUE(read.ok()) << read.error().message;
  }
  EXPECT_EQ(pool.stats().in_use, 0);
  for (int i = 0; i < 20; ++i) {
    auto again = pool.acquire();
    ASSERT_TRUE(again.ok()) << again.error().message;
  }
  EXPECT_EQ(pool.stats().open, 2) << "idle connections are reused, not reopened";
  EXPECT_EQ(pool.stats().waits, 0u);
}

TEST_P(PoolLimitsTest, AnAcquireWaitsForAConnectionToComeBack) {
  Pool pool(*db_, PoolOptions{1, 5000ms});
  std::optional<Pool::Lease> held;
  {
    auto first = pool.acquire();
    ASSERT_TRUE(first.ok()) << first.error().message;
    held.emplace(std::move(*first));
  }
  auto waiting = std::async(std::launch::async, [&pool] {
    auto lease = pool.acquire();
    return lease.ok();
  });
  EXPECT_EQ(waiting.wait_for(200ms), std::future_status::timeout) << "the only connection is in use";
  held.reset();
  ASSERT_EQ(waiting.wait_for(3s), std::future_status::ready);
  EXPECT_TRUE(waiting.get());
  EXPECT_EQ(pool.stats().waits, 1u);
  EXPECT_EQ(pool.stats().timeouts, 0u);
  EXPECT_EQ(pool.stats().open, 1);
}

TEST_P(PoolLimitsTest, AnAcquireGivesUpWithUnavailableWhenNoneComesBack) {
  Pool pool(*db_, PoolOptions{1, 100ms});
  auto held = pool.acquire();
  ASSERT_TRUE(held.ok()) << held.error().message;
  const auto started = std::chrono::steady_clock::now();
  auto refused = pool.acquire();
  ASSERT_FALSE(refused.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(refused.error().message.find("database_pool_size"), std::string::npos) << refused.error().message;
  EXPECT_EQ(pool.stats().timeouts, 1u);
  EXPECT_EQ(pool.stats().open, 1);
}

TEST_P(PoolLimitsTest, ManyThreadsShareASmallPool) {
  Pool pool(*db_, PoolOptions{3, 5000ms});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto lease = pool.acquire();
        if (!lease || !(*lease)->query("SELECT 1", {}).ok()) ++failures;
        if (pool.stats().open > 3) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool.stats().open, 3);
  EXPECT_EQ(pool.stats().in_use, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolLimitsTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
