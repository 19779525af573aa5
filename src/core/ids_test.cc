#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace tributary {
namespace {

TEST(Ids, PrefixedUniqueAndTimeOrdered) {
  std::string first = new_id("evt");
  ASSERT_EQ(first.rfind("evt_", 0), 0u);
  EXPECT_EQ(first.size(), 4u + 24u);
  std::set<std::string> seen{first};
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(seen.insert(new_id("evt")).second);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string later = new_id("evt");
  // The time part sorts: an id made later compares greater on its first 12 characters.
  EXPECT_LT(first.substr(0, 12), later.substr(0, 12));
}

TEST(Ids, IntegrationIdsNameTheTool) {
  std::string id = new_integration_id("personio");
  EXPECT_EQ(id.rfind("personio:", 0), 0u);
  EXPECT_EQ(id.size(), 9u + 22u);
}

}  // namespace
}  // namespace tributary
