#include "core/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

namespace tributary {
namespace {

TEST(WorkPool, RunsPostedWorkOnItsOwnThreads) {
  WorkPool pool("test", 3, 100);
  std::atomic<int> done{0};
  Mutex mu;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.post([&] {
      {
        MutexLock lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      ++done;
    }));
  }
  pool.stop();
  EXPECT_EQ(done.load(), 50);
  MutexLock lock(mu);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(ids.size(), 3u);
}

// With every thread held and the queue full, post() refuses at once instead of queueing without bound; what
// was accepted still runs.
TEST(WorkPool, AFullQueueRefusesWorkAndKeepsWhatItAccepted) {
  WorkPool pool("test", 2, 3);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  auto blocker = [&] {
    ++started;
    released.wait();
    ++done;
  };
  ASSERT_TRUE(pool.post(blocker));
  ASSERT_TRUE(pool.post(blocker));
  while (pool.busy() < 2)
    std::this_thread::yield();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(pool.post([&] { ++done; }));
  EXPECT_EQ(pool.queued(), 3u);
  EXPECT_FALSE(pool.post([&] { ++done; }));
  release.set_value();
  pool.stop();
  EXPECT_EQ(started.load(), 2);
  EXPECT_EQ(done.load(), 5);
  EXPECT_FALSE(pool.post([] {}));
}

TEST(WorkPool, WorkThatThrowsDoesNotStopThePool) {
  WorkPool pool("test", 1, 10);
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.post([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.post([&] { ++done; }));
  pool.stop();
  EXPECT_EQ(done.load(), 1);
}

}  // namespace
}  // namespace tributary
