#include "store/states.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace tributary::store {
namespace {

template <StoredState E>
void expect_round_trip() {
  std::set<std::string_view> seen;
  for (E value : all_states<E>()) {
    const std::string_view name = to_string(value);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(seen.insert(name).second) << name << " names two values";
    EXPECT_EQ(parse_state<E>(name), value) << name;
  }
  EXPECT_FALSE(parse_state<E>(""));
  EXPECT_FALSE(parse_state<E>("unknown"));
}

TEST(StatesTest, EveryNameRoundTripsAndNamesOneValue) {
  expect_round_trip<InboxOutcome>();
  expect_round_trip<DeliveryStatus>();
  expect_round_trip<SubscriptionStatus>();
  expect_round_trip<SyncState>();
}

TEST(StatesTest, NamesAreTheStoredTextExactly) {
  EXPECT_EQ(to_string(InboxOutcome::kDuplicate), "duplicate");
  EXPECT_EQ(to_string(DeliveryStatus::kSending), "sending");
  EXPECT_EQ(to_string(SubscriptionStatus::kMissingPermission), "missing_permission");
  EXPECT_EQ(to_string(SyncState::kAuthenticationFailed), "AUTHENTICATION_FAILED");
  // Case matters: the database and the API hold these bytes.
  EXPECT_FALSE(parse_state<SyncState>("succeeded"));
  EXPECT_FALSE(parse_state<DeliveryStatus>("FAILED"));
  EXPECT_EQ(allowed_states<DeliveryStatus>(), "pending, sending, succeeded, failed");
  std::ostringstream os;
  os << SyncState::kPartiallyFailed;
  EXPECT_EQ(os.str(), "PARTIALLY_FAILED");
}

}  // namespace
}  // namespace tributary::store
