// Tests for the advisory lock that keeps one piece of work (an integration's reconcile) on one node at a
// time. On PostgreSQL two pools stand for two nodes; on SQLite one process owns the database and the lock is
// granted.
#include "store/advisory_lock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using testing_db::BackendTest;

class AdvisoryLockTest : public BackendTest {};

TEST_P(AdvisoryLockTest, OneHolderAcrossNodesUntilReleased) {
  Pool node_a(*db_);
  Pool node_b(*db_);
  auto first = AdvisoryLock::try_lock(node_a, LockSpace::kReconcile, "int_1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());

  auto second = AdvisoryLock::try_lock(node_b, LockSpace::kReconcile, "int_1");
  ASSERT_TRUE(second.ok()) << second.error().message;
  if (!postgres()) {
    EXPECT_TRUE(second->has_value()) << "SQLite: one process, always granted";
    return;
  }
  EXPECT_FALSE(second->has_value()) << "node b must not get a lock node a holds";

  // Other names and other kinds of work are independent.
  auto other_name = AdvisoryLock::try_lock(node_b, LockSpace::kReconcile, "int_2");
  ASSERT_TRUE(other_name.ok());
  EXPECT_TRUE(other_name->has_value());
  auto other_space = AdvisoryLock::try_lock(node_b, LockSpace::kSync, "int_1");
  ASSERT_TRUE(other_space.ok());
  EXPECT_TRUE(other_space->has_value());

  first->reset();  // node a finishes
  auto third = AdvisoryLock::try_lock(node_b, LockSpace::kReconcile, "int_1");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->has_value()) << "released when node a's lock ends";
}

TEST_P(AdvisoryLockTest, ALockDiesWithItsNodesConnection) {
  if (!postgres()) GTEST_SKIP() << "SQLite has one node";
  // Node a takes the lock on its own connection and then dies: the connection closes without an unlock.
  auto node_a = connect();
  ASSERT_NE(node_a, nullptr);
  ASSERT_TRUE(node_a->query("SELECT pg_advisory_lock(1, hashtext(current_schema() || ':int_1'))").ok());
  Pool node_b(*db_);
  auto blocked = AdvisoryLock::try_lock(node_b, LockSpace::kReconcile, "int_1");
  ASSERT_TRUE(blocked.ok()) << blocked.error().message;
  EXPECT_FALSE(blocked->has_value());
  node_a.reset();
  bool granted = false;
  for (int i = 0; i < 100 && !granted; ++i) {  // the server notices the closed connection at once
    auto again = AdvisoryLock::try_lock(node_b, LockSpace::kReconcile, "int_1");
    ASSERT_TRUE(again.ok());
    granted = again->has_value();
    if (!granted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(granted) << "a dead node's lock is free at once, without a lease to run out";
}

INSTANTIATE_TEST_SUITE_P(Backends, AdvisoryLockTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
