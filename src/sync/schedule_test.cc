#include "sync/schedule.h"

#include <gtest/gtest.h>

#include "connectors/registry.h"

namespace tributary::sync {
namespace {

store::IntegrationRow integration(const std::string& tool, const std::string& scope,
                                  const std::string& sync = "{}") {
  store::IntegrationRow row;
  row.id = tool + ":x";
  row.tool = tool;
  row.category = tool == "personio" ? "HRIS" : "ATS";
  row.scope = scope;
  row.sync = sync;
  return row;
}

TEST(Schedule, IntervalFollowsWebhookCoverageUnlessTheIntegrationSetsOne) {
  const auto& registry = connectors::builtin_registry();
  const auto* personio = registry.find("personio");
  const auto* greenhouse = registry.find("greenhouse");
  ASSERT_NE(personio, nullptr);
  ASSERT_NE(greenhouse, nullptr);
  SyncConfig config;
  config.interval_with_webhooks = 10800;
  config.interval_without_webhooks = 600;

  // Webhooks on and feeding every scoped model: the slow interval.
  EXPECT_EQ(interval_ms(integration("personio", R"({"upstream_webhooks":true})"), *personio, config),
            10800 * 1000);
  EXPECT_EQ(interval_ms(integration("greenhouse", R"({"upstream_webhooks":true})"), *greenhouse, config),
            10800 * 1000);
  // Webhooks off: the fast one.
  EXPECT_EQ(interval_ms(integration("personio", R"({"upstream_webhooks":false})"), *personio, config),
            600 * 1000);
  // The integration's own interval wins.
  EXPECT_EQ(
      interval_ms(integration("personio", R"({"upstream_webhooks":true})", R"({"interval_seconds":120})"),
                  *personio, config),
      120 * 1000);
  // Garbage in the stored sync document falls back to the rule.
  EXPECT_EQ(
      interval_ms(integration("personio", R"({"upstream_webhooks":false})", R"({"interval_seconds":"x"})"),
                  *personio, config),
      600 * 1000);
}

TEST(Schedule, SyncedModelsAreTheScopedOnesTheConnectorCanRead) {
  const auto* personio = connectors::builtin_registry().find("personio");
  ASSERT_NE(personio, nullptr);
  auto both = synced_models(integration("personio", R"({"models":{}})"), *personio);
  EXPECT_EQ(both.size(), 2u);
  auto one = synced_models(integration("personio", R"({"models":{"hris_absences":false}})"), *personio);
  EXPECT_EQ(one, (std::set<connectors::Model>{connectors::Model::kHrisEmployees}));
  EXPECT_TRUE(synced_models(integration("personio", "not json"), *personio).empty());
}

}  // namespace
}  // namespace tributary::sync
