#include "core/secret_box.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace tributary {
namespace {

constexpr std::int64_t kDay = 24 * 3600 * 1000;

TEST(SecretBox, ACheckValueNamesTheKeyWithoutRevealingIt) {
  const std::string key = crypto::random_bytes(32);
  SecretBox box(key);
  EXPECT_EQ(box.check_value(), SecretBox(key).check_value());
  EXPECT_NE(box.check_value(), SecretBox(crypto::random_bytes(32)).check_value());
  EXPECT_EQ(box.check_value().size(), 64u);
  EXPECT_EQ(box.check_value().find(crypto::hex_encode(key)), std::string::npos);
}

// Rotated twice within the overlap: both retired secrets stay in force, each until its own end.
TEST(SecretBox, EverySecretRetiredWithinTheOverlapStaysInForce) {
  SecretBox box(crypto::random_bytes(32));
  auto first = box.retire(box.seal("s1"), std::nullopt, std::nullopt, 1000, kDay);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->until, 1000 + kDay);
  auto second = box.retire(box.seal("s2"), first->sealed, first->until, 5000, kDay);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->until, 5000 + kDay);
  EXPECT_EQ(box.retired_in_force(second->sealed, second->until, 6000),
            (std::vector<std::string>{"s2", "s1"}));
  // s1 ends a day after its rotation, s2 a day after its own.
  EXPECT_EQ(box.retired_in_force(second->sealed, second->until, 1000 + kDay),
            (std::vector<std::string>{"s2"}));
  EXPECT_EQ(box.retired_in_force(second->sealed, second->until, 5000 + kDay), std::vector<std::string>{});
  // A third rotation after s1's end drops it.
  auto third = box.retire(box.seal("s3"), second->sealed, second->until, 2000 + kDay, kDay);
  ASSERT_TRUE(third);
  EXPECT_EQ(box.retired_in_force(third->sealed, third->until, 2000 + kDay),
            (std::vector<std::string>{"s3", "s2"}));
}

// previous_secret as sealed before lists: one secret, in force until previous_secret_until.
TEST(SecretBox, ARetiredSecretSealedBeforeListsIsRead) {
  SecretBox box(crypto::random_bytes(32));
  const std::string legacy = box.seal("whsec_old");
  EXPECT_EQ(box.retired_in_force(legacy, 9000, 8000), (std::vector<std::string>{"whsec_old"}));
  EXPECT_EQ(box.retired_in_force(legacy, 9000, 9000), std::vector<std::string>{});
  auto rotated = box.retire(box.seal("whsec_new"), legacy, 9000, 8000, kDay);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(box.retired_in_force(rotated->sealed, rotated->until, 8500),
            (std::vector<std::string>{"whsec_new", "whsec_old"}));
}

TEST(SecretBox, ARetiredValueThatCannotBeOpenedIsNoSecrets) {
  SecretBox box(crypto::random_bytes(32));
  SecretBox other(crypto::random_bytes(32));
  EXPECT_FALSE(box.retired_in_force(other.seal("x"), 9000, 8000));
  EXPECT_EQ(box.retired_in_force(std::nullopt, std::nullopt, 8000), std::vector<std::string>{});
  EXPECT_FALSE(box.retire(std::nullopt, std::nullopt, std::nullopt, 1, kDay));
}

}  // namespace
}  // namespace tributary
