#include "core/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/clock.h"

namespace tributary {
namespace {

TEST(Config, DefaultsMatchThePublicContract) {
  std::map<std::string, std::string> env;
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->effective_public_url(), "http://127.0.0.1:8080");
  EXPECT_EQ(c->database, "./var/tributary.db");
  EXPECT_EQ(c->retry.base_ms, 30000);
  EXPECT_EQ(c->retry.factor, 5.0);
  EXPECT_EQ(c->retry.max_retries, 5);
  EXPECT_DOUBLE_EQ(c->retry.jitter, 0.2);
  EXPECT_EQ(c->delivery.timeout_ms, 15000);
  EXPECT_TRUE(c->delivery.allow_networks.empty());
  EXPECT_EQ(c->ingress.max_body_bytes, 1048576);
  EXPECT_TRUE(c->processing.targeted_fetch);
}

TEST(Config, TargetedFetchCanBeTurnedOff) {
  std::map<std::string, std::string> env = {{"TRIBUTARY_PROCESSING_TARGETED_FETCH", "false"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->processing.targeted_fetch);
  std::map<std::string, std::string> bad = {{"TRIBUTARY_PROCESSING_TARGETED_FETCH", "maybe"}};
  EXPECT_FALSE(load_config("", &bad).ok());
}

TEST(Config, FetchRetriesAndSyncIntervals) {
  std::map<std::string, std::string> env;
  auto defaults = load_config("", &env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->processing.fetch_retries, 3);
  EXPECT_EQ(defaults->sync.interval_with_webhooks, 3 * 3600);
  EXPECT_EQ(defaults->sync.interval_without_webhooks, 600);
  env = {{"TRIBUTARY_PROCESSING_FETCH_RETRIES", "0"},
         {"TRIBUTARY_SYNC_INTERVAL_WITH_WEBHOOKS", "7200"},
         {"TRIBUTARY_SYNC_INTERVAL_WITHOUT_WEBHOOKS", "300"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->processing.fetch_retries, 0);
  EXPECT_EQ(c->sync.interval_with_webhooks, 7200);
  EXPECT_EQ(c->sync.interval_without_webhooks, 300);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"TRIBUTARY_PROCESSING_FETCH_RETRIES", "-1"},
                                                        {"TRIBUTARY_PROCESSING_FETCH_RETRIES", "11"},
                                                        {"TRIBUTARY_SYNC_INTERVAL_WITH_WEBHOOKS", "0"}}) {
    std::map<std::string, std::string> bad = {{key, value}};
    EXPECT_FALSE(load_config("", &bad).ok()) << key << "=" << value;
  }
}

TEST(Config, RetentionAndDisableAfter) {
  std::map<std::string, std::string> env;
  auto defaults = load_config("", &env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->retention.max_age_ms, 30LL * 24 * 3600 * 1000);
  EXPECT_EQ(defaults->delivery.disable_after_ms, 5LL * 24 * 3600 * 1000);
  env = {{"TRIBUTARY_RETENTION_DAYS", "7"}, {"TRIBUTARY_DELIVERY_DISABLE_AFTER", "36h"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->retention.max_age_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(c->delivery.disable_after_ms, 36LL * 3600 * 1000);
  // Seconds override days (tests and benchmarks); a bare number of disable_after is seconds.
  env = {{"TRIBUTARY_RETENTION_DAYS", "7"},
         {"TRIBUTARY_RETENTION_SECONDS", "5"},
         {"TRIBUTARY_DELIVERY_DISABLE_AFTER", "90"}};
  c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->retention.max_age_ms, 5000);
  EXPECT_EQ(c->delivery.disable_after_ms, 90000);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"TRIBUTARY_RETENTION_DAYS", "-1"},
                                                        {"TRIBUTARY_RETENTION_BATCH_ROWS", "0"},
                                                        {"TRIBUTARY_DELIVERY_DISABLE_AFTER", "5 days"},
                                                        {"TRIBUTARY_DELIVERY_DISABLE_AFTER", "d"},
                                                        {"TRIBUTARY_DELIVERY_DISABLE_AFTER", "-5d"}}) {
    std::map<std::string, std::string> bad = {{key, value}};
    EXPECT_FALSE(load_config("", &bad).ok()) << key << "=" << value;
  }
}

TEST(Config, ReconcileInterval) {
  std::map<std::string, std::string> env;
  auto defaults = load_config("", &env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->reconcile.interval_ms, 3600 * 1000);
  env = {{"TRIBUTARY_RECONCILE_INTERVAL", "15m"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->reconcile.interval_ms, 15 * 60 * 1000);
  env = {{"TRIBUTARY_RECONCILE_INTERVAL", "2"}};  // a bare number is seconds
  c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->reconcile.interval_ms, 2000);
  for (const char* value : {"0", "500ms", "-1h", "hourly"}) {
    std::map<std::string, std::string> bad = {{"TRIBUTARY_RECONCILE_INTERVAL", value}};
    EXPECT_FALSE(load_config("", &bad).ok()) << value;
  }
}

TEST(Config, FetchPlanning) {
  std::map<std::string, std::string> env;
  auto defaults = load_config("", &env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->processing.fetch_target_delay_ms, 30 * 1000);
  EXPECT_TRUE(defaults->processing.fetch_planned);
  env = {{"TRIBUTARY_PROCESSING_FETCH_TARGET_DELAY", "2m"},
         {"TRIBUTARY_PROCESSING_FETCH_STRATEGY", "per_event"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->processing.fetch_target_delay_ms, 120 * 1000);
  EXPECT_FALSE(c->processing.fetch_planned);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"TRIBUTARY_PROCESSING_FETCH_TARGET_DELAY", "500ms"},
                                                        {"TRIBUTARY_PROCESSING_FETCH_TARGET_DELAY", "2h"},
                                                        {"TRIBUTARY_PROCESSING_FETCH_STRATEGY", "batched"}}) {
    std::map<std::string, std::string> bad = {{key, value}};
    EXPECT_FALSE(load_config("", &bad).ok()) << key << "=" << value;
  }
}

TEST(Config, DatabasePoolSize) {
  std::map<std::string, std::string> env;
  auto defaults = load_config("", &env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->database_pool_size, 16);
  env = {{"TRIBUTARY_DATABASE_POOL_SIZE", "40"}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->database_pool_size, 40);
  for (const char* value : {"1", "0", "1001", "many"}) {
    std::map<std::string, std::string> bad = {{"TRIBUTARY_DATABASE_POOL_SIZE", value}};
    auto refused = load_config("", &bad);
    ASSERT_FALSE(refused.ok()) << value;
    EXPECT_NE(refused.error().message.find("database_pool_size"), std::string::npos)
        << refused.error().message;
  }
}

TEST(Config, FileThenEnvironmentOverrides) {
  std::string path = testing::TempDir() + "/tributary_config_test.toml";
  {
    std::ofstream f(path);
    f << "listen = \"0.0.0.0:9000\"\napi_key = \"from-file-0123456789abcdefghijklmnop\"\n[retry]\nbase_ms = "
         "100\nfactor = 2\n"
         "[delivery]\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n";
  }
  std::map<std::string, std::string> env = {
      {"TRIBUTARY_RETRY_BASE_MS", "250"},
      {"TRIBUTARY_DELIVERY_ALLOW_NETWORKS", "10.0.0.0/8, 192.168.0.0/16"},
      {"TRIBUTARY_INGRESS_MAX_BODY_BYTES", "2048"}};
  auto c = load_config(path, &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_host(), "0.0.0.0");
  EXPECT_EQ(c->listen_port(), 9000);
  EXPECT_EQ(c->api_key, "from-file-0123456789abcdefghijklmnop");
  EXPECT_EQ(c->retry.base_ms, 250);
  EXPECT_EQ(c->retry.factor, 2.0);
  EXPECT_EQ(c->delivery.allow_networks, (std::vector<std::string>{"10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_EQ(c->ingress.max_body_bytes, 2048);
  std::remove(path.c_str());
}

TEST(Config, IngressLimitsAndServerConnectionLimits) {
  std::map<std::string, std::string> none;
  auto d = load_config("", &none);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ingress.rate_per_address, 1000);
  EXPECT_EQ(d->ingress.burst_per_address, 10000);
  EXPECT_EQ(d->ingress.rate_per_subscription, 200);
  EXPECT_EQ(d->ingress.burst_per_subscription, 5000);
  EXPECT_EQ(d->ingress.rejected_logged_per_address, 10);
  EXPECT_EQ(d->ingress.rejected_logged_per_minute, 120);
  EXPECT_EQ(d->ingress.log_queue_max, 10000);
  EXPECT_EQ(d->server.max_connections, 10000);
  EXPECT_EQ(d->server.max_connections_per_address, 256);
  EXPECT_EQ(d->server.header_timeout_ms, 10000);

  std::string path = testing::TempDir() + "/tributary_limits_test.toml";
  {
    std::ofstream f(path);
    f << "[ingress]\nrate_per_address = 2.5\nburst_per_subscription = 7\nrejected_logged_per_minute = 0\n"
         "[server]\nmax_connections = 64\nheader_timeout_ms = 500\n";
  }
  std::map<std::string, std::string> env = {{"TRIBUTARY_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "0"},
                                            {"TRIBUTARY_INGRESS_RATE_PER_SUBSCRIPTION", "0"}};
  auto c = load_config(path, &env);
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ingress.rate_per_address, 2.5);
  EXPECT_EQ(c->ingress.burst_per_subscription, 7);
  EXPECT_EQ(c->ingress.rate_per_subscription, 0);
  EXPECT_EQ(c->ingress.rejected_logged_per_minute, 0);
  EXPECT_EQ(c->server.max_connections, 64);
  EXPECT_EQ(c->server.max_connections_per_address, 0);
  EXPECT_EQ(c->server.header_timeout_ms, 500);

  for (const auto& [key, value] :
       std::map<std::string, std::string>{{"TRIBUTARY_INGRESS_RATE_PER_ADDRESS", "-1"},
                                          {"TRIBUTARY_INGRESS_BURST_PER_ADDRESS", "0"},
                                          {"TRIBUTARY_INGRESS_LOG_QUEUE_MAX", "0"},
                                          {"TRIBUTARY_SERVER_MAX_CONNECTIONS", "many"},
                                          {"TRIBUTARY_SERVER_HEADER_TIMEOUT_MS", "0"}}) {
    std::map<std::string, std::string> bad = {{key, value}};
    auto refused = load_config("", &bad);
    ASSERT_FALSE(refused.ok()) << key;
  }
}

TEST(Config, AWeakBootstrapApiKeyIsRefusedWithoutQuotingIt) {
  const std::vector<std::string> weak_keys = {"secret", "changeme-changeme", std::string(40, 'a'),
                                              "abcdabcdabcdabcdabcdabcdabcdabcdabcd"};
  for (const std::string& weak : weak_keys) {
    std::map<std::string, std::string> env = {{"TRIBUTARY_API_KEY", weak}};
    auto c = load_config("", &env);
    ASSERT_FALSE(c.ok()) << weak;
    EXPECT_NE(c.error().message.find("api_key"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("at least 32 characters"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find(weak), std::string::npos) << c.error().message;
  }
  const std::string strong = "trib_" + std::string("Zq8vN3kLp0Xw7RtY2bHs9MdF4gJc6Ae1");
  std::map<std::string, std::string> env = {{"TRIBUTARY_API_KEY", strong}};
  auto c = load_config("", &env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->api_key, strong);
}

TEST(Config, BadValuesFailWithTheKeyName) {
  std::map<std::string, std::string> env = {{"TRIBUTARY_RETRY_MAX_RETRIES", "many"}};
  auto c = load_config("", &env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("retry.max_retries"), std::string::npos);
  std::map<std::string, std::string> env2 = {{"TRIBUTARY_RETRY_JITTER", "3"}};
  EXPECT_FALSE(load_config("", &env2).ok());
}

TEST(Clock, Iso8601RoundTripAndOffsets) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  auto t = parse_iso8601("2026-11-27T10:00:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_iso8601(*t), "2026-11-27T10:00:00.123Z");
  EXPECT_EQ(parse_iso8601("2026-11-27T11:00:00+01:00"), parse_iso8601("2026-11-27T10:00:00Z"));
  EXPECT_EQ(parse_iso8601("2026-11-27"), parse_iso8601("2026-11-27T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2026-11-27T10:00:00Zjunk"));
}

}  // namespace
}  // namespace tributary
