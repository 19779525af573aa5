#include "connectors/common/token_cache.h"

#include <gtest/gtest.h>

namespace tributary::connectors::common {
namespace {

TEST(TokenCache, HandsOutATokenUntilShortlyBeforeItExpires) {
  TokenCache cache;
  const std::string key = TokenCache::key_for("personio:a", "https://api/v2/auth/token", {"id", "secret"});
  EXPECT_FALSE(cache.find(key, 1000).has_value());
  cache.store(key, "at-1", 1000, 3600);
  EXPECT_EQ(cache.find(key, 1000), std::optional<std::string>("at-1"));
  EXPECT_EQ(cache.find(key, 1000 + 3600'000 - TokenCache::kRenewBeforeMs - 1),
            std::optional<std::string>("at-1"));
  EXPECT_FALSE(cache.find(key, 1000 + 3600'000 - TokenCache::kRenewBeforeMs).has_value());
  // No stated lifetime: kept a few minutes.
  cache.store(key, "at-2", 0, std::nullopt);
  EXPECT_TRUE(cache.find(key, TokenCache::kUnstatedLifetimeMs - TokenCache::kRenewBeforeMs - 1).has_value());
  EXPECT_FALSE(cache.find(key, TokenCache::kUnstatedLifetimeMs).has_value());
}

TEST(TokenCache, ForgetsOnlyTheTokenItWasToldAbout) {
  TokenCache cache;
  const std::string key = TokenCache::key_for("personio:a", "https://api/v2/auth/token", {"id", "secret"});
  cache.store(key, "at-2", 0, 3600);
  cache.forget(key, "at-1");  // an older token: the newer one stays
  EXPECT_TRUE(cache.find(key, 0).has_value());
  cache.forget(key, "at-2");
  EXPECT_FALSE(cache.find(key, 0).has_value());
}

TEST(TokenCache, KeysDifferByIntegrationHostAndCredentialsAndHoldNoSecret) {
  const std::string a = TokenCache::key_for("personio:a", "https://api/v2/auth/token", {"id", "secret"});
  EXPECT_NE(a, TokenCache::key_for("personio:b", "https://api/v2/auth/token", {"id", "secret"}));
  EXPECT_NE(a, TokenCache::key_for("personio:a", "https://other/v2/auth/token", {"id", "secret"}));
  EXPECT_NE(a, TokenCache::key_for("personio:a", "https://api/v2/auth/token", {"id", "secret2"}));
  EXPECT_NE(TokenCache::key_for("i", "u", {"ab", "c"}), TokenCache::key_for("i", "u", {"a", "bc"}));
  EXPECT_EQ(a.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace tributary::connectors::common
