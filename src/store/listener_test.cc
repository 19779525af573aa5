// Tests for the wake-ups between nodes: Database::listen() and notify() (PostgreSQL LISTEN/NOTIFY; nothing on
// SQLite).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing_db::MigratedDbTest;

class ListenerTest : public MigratedDbTest {
 protected:
  // Waits, with a deadline, until `listener` reports something; returns what it reported.
  static std::vector<std::string> next(Listener& listener, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      auto got = listener.wait(std::chrono::milliseconds(100));
      EXPECT_TRUE(got.ok()) << got.error().message;
      if (!got.ok() || !got->empty()) return got.ok() ? *got : std::vector<std::string>{};
    }
    return {};
  }
};

TEST_P(ListenerTest, SqliteHasNoListenerAndNotifyDoesNothing) {
  if (postgres()) GTEST_SKIP() << "the SQLite case";
  auto listener = db_->listen({std::string(kInboxChannel)});
  ASSERT_TRUE(listener.ok());
  EXPECT_EQ(*listener, nullptr);
  EXPECT_TRUE(notify(c(), kInboxChannel).ok());
}

TEST_P(ListenerTest, NotificationsArriveWhenTheTransactionCommits) {
  if (!postgres()) GTEST_SKIP() << "LISTEN/NOTIFY is PostgreSQL's";
  auto listener = db_->listen({std::string(kInboxChannel), std::string(kOutboxChannel)});
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  ASSERT_NE(*listener, nullptr);

  auto idle = (*listener)->wait(std::chrono::milliseconds(50));
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(idle->empty());

  // Sent on commit, once per channel however often it was notified.
  ASSERT_TRUE(c().begin().ok());
  ASSERT_TRUE(notify(c(), kInboxChannel).ok());
  ASSERT_TRUE(notify(c(), kInboxChannel).ok());
  auto before_commit = (*listener)->wait(std::chrono::milliseconds(50));
  ASSERT_TRUE(before_commit.ok());
  EXPECT_TRUE(before_commit->empty());
  ASSERT_TRUE(c().commit().ok());
  EXPECT_THAT(next(**listener, std::chrono::seconds(5)), ElementsAre(std::string(kInboxChannel)));

  // A rolled back transaction notifies nobody.
  ASSERT_TRUE(c().begin().ok());
  ASSERT_TRUE(notify(c(), kOutboxChannel).ok());
  ASSERT_TRUE(c().rollback().ok());
  ASSERT_TRUE(notify(c(), kInboxChannel).ok());  // outside a transaction: sent at once
  EXPECT_THAT(next(**listener, std::chrono::seconds(5)), ElementsAre(std::string(kInboxChannel)));

  ASSERT_TRUE(notify(c(), kOutboxChannel).ok());
  ASSERT_TRUE(notify(c(), kInboxChannel).ok());
  std::vector<std::string> both;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (both.size() < 2 && std::chrono::steady_clock::now() < until) {
    for (auto& ch : next(**listener, std::chrono::seconds(1)))
      both.push_back(ch);
  }
  EXPECT_THAT(both, UnorderedElementsAre(std::string(kInboxChannel), std::string(kOutboxChannel)));
}

TEST_P(ListenerTest, ChannelNamesMustBeIdentifiers) {
  if (!postgres()) GTEST_SKIP() << "LISTEN/NOTIFY is PostgreSQL's";
  auto listener = db_->listen({"bad; DROP TABLE inbox"});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.error().kind, ErrorKind::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, ListenerTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
