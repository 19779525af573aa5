// The configuration file the Debian package installs (packaging/tributary.toml) shows every key the loader
// knows, commented out with its default, and no key the loader does not know: a key added to config.cc
// without a line there fails here.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/config.h"

namespace tributary {
namespace {

const char* const kShippedFile = TRIBUTARY_SOURCE_DIR "/packaging/tributary.toml";

// The shipped file with its settings uncommented: "#key = value" becomes "key = value"; prose ("# …") stays.
std::string uncommented_settings() {
  std::ifstream in(kShippedFile);
  EXPECT_TRUE(in) << "cannot read " << kShippedFile;
  static const std::regex kSetting(R"(^#([a-z_]+ = .*)$)");
  std::ostringstream out;
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    out << (std::regex_match(line, m, kSetting) ? m[1].str() : line) << "\n";
  return out.str();
}

std::set<std::string> loader_keys() {
  std::set<std::string> names;
  for (const auto& described : config_keys())
    names.insert(described.substr(0, described.find(' ')));  // "retry.base_ms (TRIBUTARY_RETRY_BASE_MS)"
  return names;
}

std::set<std::string> file_keys(const toml::table& table, const std::string& prefix = "") {
  std::set<std::string> names;
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (const auto* section = node.as_table()) {
      names.merge(file_keys(*section, name + "."));
    } else {
      names.insert(name);
    }
  }
  return names;
}

// Every value a key sets, as text, to compare two configurations.
std::string fields(const Config& c) {
  std::ostringstream o;
  o << c.listen << '|' << c.public_url << '|' << c.database << '|' << c.database_pool_size << '|' << c.api_key
    << '|' << c.master_key << '|' << c.master_key_file << '|' << c.log_level << '|' << c.shutdown_grace_ms;
  o << "\nretry " << c.retry.base_ms << ' ' << c.retry.factor << ' ' << c.retry.max_retries << ' '
    << c.retry.jitter;
  o << "\ndelivery " << c.delivery.timeout_ms << ' ' << c.delivery.allow_networks.size() << ' '
    << c.delivery.max_in_flight << ' ' << c.delivery.per_endpoint_concurrency << ' '
    << c.delivery.disable_after_ms;
  o << "\ningress " << c.ingress.max_body_bytes << ' ' << c.ingress.rate_per_address << ' '
    << c.ingress.burst_per_address << ' ' << c.ingress.rate_per_subscription << ' '
    << c.ingress.burst_per_subscription << ' ' << c.ingress.rejected_logged_per_address << ' '
    << c.ingress.rejected_logged_per_minute << ' ' << c.ingress.log_queue_max;
  o << "\nserver " << c.server.max_connections << ' ' << c.server.max_connections_per_address << ' '
    << c.server.header_timeout_ms << ' ' << c.server.io_threads << ' ' << c.server.api_threads << ' '
    << c.server.api_queue;
  o << "\nprocessing " << c.processing.targeted_fetch << ' ' << c.processing.fetch_retries << ' '
    << c.processing.fetch_target_delay_ms << ' ' << c.processing.fetch_planned;
  o << "\nsync " << c.sync.interval_with_webhooks << ' ' << c.sync.interval_without_webhooks << ' '
    << c.sync.max_deletion_percent;
  o << "\nretention " << c.retention.max_age_ms << ' ' << c.retention.batch_rows << ' '
    << c.retention.pause_ms;
  o << "\nreconcile " << c.reconcile.interval_ms;
  return o.str();
}

TEST(ShippedConfig, ShowsEveryKeyTheLoaderKnowsAndNoOther) {
  toml::table table;
  try {
    table = toml::parse(uncommented_settings());
  } catch (const toml::parse_error& e) {
    FAIL() << kShippedFile << " with its settings uncommented is not TOML: " << e.description() << " at line "
           << e.source().begin.line;
  }
  const std::set<std::string> known = loader_keys();
  const std::set<std::string> shown = file_keys(table);
  for (const auto& key : known)
    EXPECT_TRUE(shown.contains(key)) << key << " is missing from " << kShippedFile;
  for (const auto& key : shown)
    EXPECT_TRUE(known.contains(key)) << key << " in " << kShippedFile << " is unknown";
}

// The README's configuration table has a row for every key (the file's one-line meanings are its short form).
TEST(ShippedConfig, TheReadmeTableNamesEveryKey) {
  std::ifstream in(TRIBUTARY_SOURCE_DIR "/README.md");
  ASSERT_TRUE(in);
  std::string table_rows;
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("| `")) table_rows += line + "\n";
  for (const auto& key : loader_keys())
    EXPECT_NE(table_rows.find("`" + key + "`"), std::string::npos)
        << key << " has no row in the README's table";
}

TEST(ShippedConfig, AsShippedLoadsAndKeepsTheStateInTheStateDirectory) {
  const std::map<std::string, std::string> no_env;
  auto config = load_config(kShippedFile, &no_env);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->database, "/var/lib/tributary/tributary.db");
  Config expected;
  expected.database = config->database;
  EXPECT_EQ(fields(*config), fields(expected));
}

// The values shown are the defaults: uncommenting every setting changes nothing but the two placeholder
// secrets (left out here) and the spelled-out defaults of public_url and master_key_file.
TEST(ShippedConfig, ShowsTheDefaults) {
  std::string text = uncommented_settings();
  text = std::regex_replace(text, std::regex(R"((^|\n)(api_key|master_key) = [^\n]*)"), "$1");
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("tributary-shipped-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  const std::map<std::string, std::string> no_env;
  auto config = load_config(path.string(), &no_env);
  std::filesystem::remove(path);
  ASSERT_TRUE(config.ok()) << config.error().message;
  Config expected;
  expected.database = "/var/lib/tributary/tributary.db";
  expected.public_url = "http://" + expected.listen;
  expected.master_key_file = "/var/lib/tributary/master.key";
  EXPECT_EQ(fields(*config), fields(expected));
  EXPECT_EQ(config->effective_public_url(), Config{}.effective_public_url());
}

}  // namespace
}  // namespace tributary
