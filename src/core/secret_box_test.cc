#include "core/secret_box.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace tributary {
namespace {

constexpr std::int64_t kDay = 24 * 3600 * 1000;
constexpr std::string_view kTable = "endpoints";
constexpr std::string_view kRow = "ep_1";
const SecretBox::Place kCurrent = SecretBox::secret_of(kTable, kRow);
const SecretBox::Place kPrevious{kTable, "previous_secret", kRow};

// A value opens only where it was sealed for: another row, column or table is another place.
TEST(SecretBox, ASealedValueOpensOnlyAtItsPlace) {
  SecretBox box(crypto::random_bytes(32));
  const std::string sealed = box.seal("whsec_a", kCurrent);
  EXPECT_EQ(box.open(sealed, kCurrent), std::optional<std::string>("whsec_a"));
  EXPECT_FALSE(box.open(sealed, SecretBox::secret_of(kTable, "ep_2")));
  EXPECT_FALSE(box.open(sealed, kPrevious));
  EXPECT_FALSE(box.open(sealed, SecretBox::secret_of("subscriptions", kRow)));
  // Tool credentials moved to where an endpoint's secret is read back do not open there.
  const std::string creds = box.seal(R"({"api_key":"k"})", SecretBox::credentials_of("int_1"));
  EXPECT_FALSE(box.open(creds, SecretBox::secret_of(kTable, "int_1")));
  EXPECT_FALSE(SecretBox(crypto::random_bytes(32)).open(sealed, kCurrent));
  // Where one part ends and the next begins is part of the place.
  EXPECT_FALSE(box.open(box.seal("x", {"a",
                                       "b\x1f"
                                       "c",
                                       "d"}),
                        {"a", "b",
                         "c\x1f"
                         "d"}));
}

// Values sealed before places existed open only through open_unbound(), which the start-up binding uses.
TEST(SecretBox, AValueSealedBeforePlacesOpensOnlyUnbound) {
  const std::string key = crypto::random_bytes(32);
  SecretBox box(key);
  const std::string legacy = crypto::seal(key, "whsec_old");
  EXPECT_FALSE(SecretBox::is_bound(legacy));
  EXPECT_FALSE(box.open(legacy, kCurrent));
  EXPECT_EQ(box.open_unbound(legacy), std::optional<std::string>("whsec_old"));
  EXPECT_TRUE(SecretBox::is_bound(box.seal("whsec_new", kCurrent)));
  EXPECT_FALSE(box.open_unbound(box.seal("whsec_new", kCurrent)));
}

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
  auto first = box.retire(kTable, kRow, box.seal("s1", kCurrent), std::nullopt, std::nullopt, 1000, kDay);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->until, 1000 + kDay);
  auto second = box.retire(kTable, kRow, box.seal("s2", kCurrent), first->sealed, first->until, 5000, kDay);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->until, 5000 + kDay);
  EXPECT_EQ(box.retired_in_force(kTable, kRow, second->sealed, second->until, 6000),
            (std::vector<std::string>{"s2", "s1"}));
  // s1 ends a day after its rotation, s2 a day after its own.
  EXPECT_EQ(box.retired_in_force(kTable, kRow, second->sealed, second->until, 1000 + kDay),
            (std::vector<std::string>{"s2"}));
  EXPECT_EQ(box.retired_in_force(kTable, kRow, second->sealed, second->until, 5000 + kDay),
            std::vector<std::string>{});
  // A third rotation after s1's end drops it.
  auto third =
      box.retire(kTable, kRow, box.seal("s3", kCurrent), second->sealed, second->until, 2000 + kDay, kDay);
  ASSERT_TRUE(third);
  EXPECT_EQ(box.retired_in_force(kTable, kRow, third->sealed, third->until, 2000 + kDay),
            (std::vector<std::string>{"s3", "s2"}));
}

// previous_secret as sealed before lists: one secret, in force until previous_secret_until.
TEST(SecretBox, ARetiredSecretSealedBeforeListsIsRead) {
  SecretBox box(crypto::random_bytes(32));
  const std::string legacy = box.seal("whsec_old", kPrevious);
  EXPECT_EQ(box.retired_in_force(kTable, kRow, legacy, 9000, 8000), (std::vector<std::string>{"whsec_old"}));
  EXPECT_EQ(box.retired_in_force(kTable, kRow, legacy, 9000, 9000), std::vector<std::string>{});
  auto rotated = box.retire(kTable, kRow, box.seal("whsec_new", kCurrent), legacy, 9000, 8000, kDay);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(box.retired_in_force(kTable, kRow, rotated->sealed, rotated->until, 8500),
            (std::vector<std::string>{"whsec_new", "whsec_old"}));
}

TEST(SecretBox, ARetiredValueThatCannotBeOpenedIsNoSecrets) {
  SecretBox box(crypto::random_bytes(32));
  SecretBox other(crypto::random_bytes(32));
  EXPECT_FALSE(box.retired_in_force(kTable, kRow, other.seal("x", kPrevious), 9000, 8000));
  EXPECT_EQ(box.retired_in_force(kTable, kRow, std::nullopt, std::nullopt, 8000), std::vector<std::string>{});
  EXPECT_FALSE(box.retire(kTable, kRow, std::nullopt, std::nullopt, std::nullopt, 1, kDay));
}

}  // namespace
}  // namespace tributary
