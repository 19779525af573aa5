#include "store/api_budgets_repo.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using testing_db::MigratedDbTest;

class ApiBudgetsRepoTest : public MigratedDbTest {};

TEST_P(ApiBudgetsRepoTest, GrantsAtMostTheLimitInASlidingWindow) {
  const Millis t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) {
    auto got = api_budgets::try_grant(c(), "i1", 3, 1000, t0 + i * 100);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, 0) << i;
  }
  auto full = api_budgets::try_grant(c(), "i1", 3, 1000, t0 + 300);
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(*full, 700);  // until the first grant leaves the window
  // Another integration has a window of its own.
  EXPECT_EQ(*api_budgets::try_grant(c(), "i2", 3, 1000, t0 + 300), 0);
  EXPECT_EQ(*api_budgets::try_grant(c(), "i1", 3, 1000, t0 + 1000), 0);
  // A lower limit (after a 429) counts the grants already in the window.
  EXPECT_EQ(*api_budgets::try_grant(c(), "i1", 1, 1000, t0 + 1000), 1000);  // all three must leave
  // Grants that left the window are deleted on the way.
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budget_grants WHERE integration_id = 'i1'"), 3);
}

TEST_P(ApiBudgetsRepoTest, APauseRefusesGrantsUntilItEnds) {
  ASSERT_TRUE(api_budgets::pause(c(), "i1", 5000).ok());
  ASSERT_TRUE(api_budgets::pause(c(), "i1", 4000).ok());  // an earlier end changes nothing
  EXPECT_EQ(*api_budgets::try_grant(c(), "i1", 10, 1000, 3000), 2000);
  EXPECT_EQ(*api_budgets::try_grant(c(), "i1", 10, 1000, 5000), 0);
  ASSERT_TRUE(api_budgets::forget(c(), "i1").ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budgets"), 0);
}

// Several connections (nodes) taking grants at once never hold more than the limit in one window.
TEST_P(ApiBudgetsRepoTest, ConcurrentConnectionsTogetherStayWithinTheLimit) {
  if (!postgres()) GTEST_SKIP() << "one node on SQLite";
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto conn = connect();
      ASSERT_NE(conn, nullptr);
      for (int i = 0; i < 10; ++i) {
        auto got = api_budgets::try_grant(*conn, "shared", 7, 60'000, 1'000'000);
        ASSERT_TRUE(got.ok()) << got.error().message;
        if (*got == 0) ++granted;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(granted.load(), 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiBudgetsRepoTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
