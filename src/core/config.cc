#include "core/config.h"

#include <toml++/toml.h>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

extern char** environ;

namespace tributary {
namespace {

struct Key {
  const char* name;
  std::function<Status(Config&, const std::string&)> set;
};

Status bad(const std::string& key, const std::string& why) {
  return make_error(ErrorKind::kInvalidArgument, "config " + key + ": " + why);
}

Status parse_int(const std::string& key, const std::string& text, std::int64_t min, std::int64_t& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0) return bad(key, "expected an integer, got '" + text + "'");
  if (v < min) return bad(key, "must be at least " + std::to_string(min));
  out = v;
  return {};
}

Status parse_double(const std::string& key, const std::string& text, double min, double max, double& out) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') return bad(key, "expected a number, got '" + text + "'");
  if (v < min || v > max)
    return bad(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  out = v;
  return {};
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

// The bootstrap API key grants the whole management API, from anywhere that reaches the listener: a short or
// patterned value is refused at load rather than guessed later. The message never quotes the value.
Status check_api_key_strength(const std::string& v) {
  constexpr std::size_t kMinLength = 32;
  constexpr std::size_t kMinDistinct = 10;
  const std::set<char> distinct(v.begin(), v.end());
  if (v.size() < kMinLength || distinct.size() < kMinDistinct) {
    return bad("api_key", "too weak: use at least " + std::to_string(kMinLength) +
                              " characters of a random value, e.g. the output of `openssl rand -hex 32` "
                              "(or leave it unset and create keys with `tributary keys create`)");
  }
  return {};
}

Status set_int(const char* key, const std::string& v, std::int64_t min, std::int64_t& field) {
  return parse_int(key, v, min, field);
}

// A duration: a whole number with a unit (ms, s, m, h, d: "5d", "90m", "500ms"), or plain seconds.
Status parse_duration_ms(const std::string& key, const std::string& text, std::int64_t& out_ms) {
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000}};
  const auto digits = text.find_first_not_of("0123456789");
  const std::string number = text.substr(0, digits);
  const std::string unit = digits == std::string::npos ? "s" : text.substr(digits);
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    std::int64_t n = 0;
    if (number.empty() || number.size() > 12 || !parse_int(key, number, 0, n))
      return bad(key, "expected a duration such as 5d, 12h, 30m, 45s or 500ms, got '" + text + "'");
    out_ms = n * factor;
    return {};
  }
  return bad(key, "expected a duration such as 5d, 12h, 30m, 45s or 500ms, got '" + text + "'");
}

// The top-level keys: the listener, the database, secrets, logging and shutdown.
std::vector<Key> top_level_keys() {
  return {
      {"listen",
       [](Config& c, const std::string& v) -> Status {
         c.listen = v;
         if (c.listen_port() == 0 && v.find(":0") == std::string::npos)
           return bad("listen", "expected HOST:PORT");
         return {};
       }},
      {"public_url",
       [](Config& c, const std::string& v) -> Status {
         c.public_url = v;
         return {};
       }},
      {"database",
       [](Config& c, const std::string& v) -> Status {
         c.database = v;
         return {};
       }},
      {"database_pool_size",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("database_pool_size", v, 2, n); !s) return s;
         if (n > 1000) return bad("database_pool_size", "must be at most 1000");
         c.database_pool_size = static_cast<int>(n);
         return {};
       }},
      {"api_key",
       [](Config& c, const std::string& v) -> Status {
         if (auto s = check_api_key_strength(v); !s) return s;
         c.api_key = v;
         return {};
       }},
      {"master_key",
       [](Config& c, const std::string& v) -> Status {
         c.master_key = v;
         return {};
       }},
      {"master_key_file",
       [](Config& c, const std::string& v) -> Status {
         c.master_key_file = v;
         return {};
       }},
      {"log_level",
       [](Config& c, const std::string& v) -> Status {
         c.log_level = v;
         return {};
       }},
      {"shutdown_grace_ms",
       [](Config& c, const std::string& v) {
         return set_int("shutdown_grace_ms", v, 0, c.shutdown_grace_ms);
       }},
  };
}

// [retry]: the delivery retry schedule.
std::vector<Key> retry_keys() {
  return {
      {"retry.base_ms",
       [](Config& c, const std::string& v) { return set_int("retry.base_ms", v, 0, c.retry.base_ms); }},
      {"retry.factor",
       [](Config& c, const std::string& v) {
         return parse_double("retry.factor", v, 1.0, 100.0, c.retry.factor);
       }},
      {"retry.max_retries",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("retry.max_retries", v, 0, n); !s) return s;
         if (n > 20) return bad("retry.max_retries", "must be at most 20");
         c.retry.max_retries = static_cast<int>(n);
         return {};
       }},
      {"retry.jitter",
       [](Config& c, const std::string& v) {
         return parse_double("retry.jitter", v, 0.0, 1.0, c.retry.jitter);
       }},
  };
}

// [delivery]: requests to the operators' webhook endpoints.
std::vector<Key> delivery_keys() {
  return {
      {"delivery.timeout_ms",
       [](Config& c, const std::string& v) {
         return set_int("delivery.timeout_ms", v, 1, c.delivery.timeout_ms);
       }},
      {"delivery.allow_networks",
       [](Config& c, const std::string& v) -> Status {
         c.delivery.allow_networks = split_list(v);
         return {};
       }},
      {"delivery.max_in_flight",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("delivery.max_in_flight", v, 1, n); !s) return s;
         c.delivery.max_in_flight = static_cast<int>(n);
         return {};
       }},
      {"delivery.per_endpoint_concurrency",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("delivery.per_endpoint_concurrency", v, 1, n); !s) return s;
         c.delivery.per_endpoint_concurrency = static_cast<int>(n);
         return {};
       }},
      {"delivery.disable_after",
       [](Config& c, const std::string& v) {
         return parse_duration_ms("delivery.disable_after", v, c.delivery.disable_after_ms);
       }},
  };
}

// [retention]: how long raw requests and attempts are kept, and how pruning paces itself.
std::vector<Key> retention_keys() {
  return {
      {"retention.days",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("retention.days", v, 0, n); !s) return s;
         if (n > 100 * 365) return bad("retention.days", "must be at most 36500");
         c.retention.max_age_ms = n * 24 * 3600 * 1000;
         return {};
       }},
      {"retention.seconds",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("retention.seconds", v, 0, n); !s) return s;
         if (n > 100LL * 365 * 24 * 3600) return bad("retention.seconds", "must be at most 100 years");
         c.retention.max_age_ms = n * 1000;
         return {};
       }},
      {"retention.batch_rows",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("retention.batch_rows", v, 1, n); !s) return s;
         if (n > 100000) return bad("retention.batch_rows", "must be at most 100000");
         c.retention.batch_rows = static_cast<int>(n);
         return {};
       }},
      {"retention.pause_ms",
       [](Config& c, const std::string& v) {
         return set_int("retention.pause_ms", v, 0, c.retention.pause_ms);
       }},
  };
}

// [ingress]: the webhooks the tools send.
std::vector<Key> ingress_keys() {
  auto rate = [](const char* key, double IngressConfig::*field, double min) {
    return Key{key, [key, field, min](Config& c, const std::string& v) {
                 return parse_double(key, v, min, 1e9, c.ingress.*field);
               }};
  };
  return {
      {"ingress.max_body_bytes",
       [](Config& c, const std::string& v) {
         return set_int("ingress.max_body_bytes", v, 1, c.ingress.max_body_bytes);
       }},
      rate("ingress.rate_per_address", &IngressConfig::rate_per_address, 0),
      rate("ingress.burst_per_address", &IngressConfig::burst_per_address, 1),
      rate("ingress.rate_per_subscription", &IngressConfig::rate_per_subscription, 0),
      rate("ingress.burst_per_subscription", &IngressConfig::burst_per_subscription, 1),
      {"ingress.rejected_logged_per_address",
       [](Config& c, const std::string& v) {
         return set_int("ingress.rejected_logged_per_address", v, 0, c.ingress.rejected_logged_per_address);
       }},
      {"ingress.rejected_logged_per_minute",
       [](Config& c, const std::string& v) {
         return set_int("ingress.rejected_logged_per_minute", v, 0, c.ingress.rejected_logged_per_minute);
       }},
      {"ingress.log_queue_max",
       [](Config& c, const std::string& v) {
         return set_int("ingress.log_queue_max", v, 1, c.ingress.log_queue_max);
       }},
  };
}

// [server]: the HTTP listener's connection limits and header deadline.
std::vector<Key> server_keys() {
  return {
      {"server.max_connections",
       [](Config& c, const std::string& v) {
         return set_int("server.max_connections", v, 0, c.server.max_connections);
       }},
      {"server.max_connections_per_address",
       [](Config& c, const std::string& v) {
         return set_int("server.max_connections_per_address", v, 0, c.server.max_connections_per_address);
       }},
      {"server.header_timeout_ms",
       [](Config& c, const std::string& v) {
         return set_int("server.header_timeout_ms", v, 1, c.server.header_timeout_ms);
       }},
      {"server.io_threads",
       [](Config& c, const std::string& v) {
         return set_int("server.io_threads", v, 1, c.server.io_threads);
       }},
      {"server.api_threads",
       [](Config& c, const std::string& v) {
         return set_int("server.api_threads", v, 1, c.server.api_threads);
       }},
      {"server.api_queue",
       [](Config& c, const std::string& v) { return set_int("server.api_queue", v, 1, c.server.api_queue); }},
  };
}

// [processing]: the targeted fetch of the changed record before an event is relayed.
std::vector<Key> processing_keys() {
  return {
      {"processing.targeted_fetch",
       [](Config& c, const std::string& v) -> Status {
         if (v != "true" && v != "false") return bad("processing.targeted_fetch", "expected true or false");
         c.processing.targeted_fetch = v == "true";
         return {};
       }},
      {"processing.fetch_retries",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("processing.fetch_retries", v, 0, n); !s) return s;
         if (n > 10) return bad("processing.fetch_retries", "must be at most 10");
         c.processing.fetch_retries = static_cast<int>(n);
         return {};
       }},
      {"processing.fetch_target_delay",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t ms = 0;
         if (auto s = parse_duration_ms("processing.fetch_target_delay", v, ms); !s) return s;
         if (ms < 1000 || ms > 3600 * 1000)
           return bad("processing.fetch_target_delay", "must be between 1s and 1h");
         c.processing.fetch_target_delay_ms = ms;
         return {};
       }},
      {"processing.fetch_strategy",
       [](Config& c, const std::string& v) -> Status {
         if (v != "planned" && v != "per_event")
           return bad("processing.fetch_strategy", "expected planned or per_event");
         c.processing.fetch_planned = v == "planned";
         return {};
       }},
  };
}

// [sync]: scheduled syncs and the mass-deletion guard.
std::vector<Key> sync_keys() {
  return {
      {"sync.interval_with_webhooks",
       [](Config& c, const std::string& v) {
         return set_int("sync.interval_with_webhooks", v, 1, c.sync.interval_with_webhooks);
       }},
      {"sync.interval_without_webhooks",
       [](Config& c, const std::string& v) {
         return set_int("sync.interval_without_webhooks", v, 1, c.sync.interval_without_webhooks);
       }},
      {"sync.max_deletion_percent",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t n = 0;
         if (auto s = parse_int("sync.max_deletion_percent", v, 0, n); !s) return s;
         if (n > 100) return bad("sync.max_deletion_percent", "must be at most 100");
         c.sync.max_deletion_percent = n;
         return {};
       }},
  };
}

// [reconcile]: how often every integration's subscriptions are checked at the tools.
std::vector<Key> reconcile_keys() {
  return {
      {"reconcile.interval",
       [](Config& c, const std::string& v) -> Status {
         std::int64_t ms = 0;
         if (auto s = parse_duration_ms("reconcile.interval", v, ms); !s) return s;
         if (ms < 1000) return bad("reconcile.interval", "must be at least 1s");
         c.reconcile.interval_ms = ms;
         return {};
       }},
  };
}

// Every key, section by section: the file and the environment are read in this order, and config_keys()
// lists them in it.
const std::vector<Key>& keys() {
  static const std::vector<Key> kKeys = [] {
    std::vector<Key> all;
    for (auto section : {top_level_keys, retry_keys, delivery_keys, ingress_keys, server_keys,
                         processing_keys, sync_keys, retention_keys, reconcile_keys}) {
      std::vector<Key> keys = section();
      all.insert(all.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
    }
    return all;
  }();
  return kKeys;
}

std::string env_name(const std::string& key) {
  std::string out = "TRIBUTARY_";
  for (char ch : key)
    out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

// TOML values become text so the file and the environment go through one parser per key.
std::optional<std::string> toml_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) {
    std::ostringstream os;
    os << *node.value<double>();
    return os.str();
  }
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  if (const auto* arr = node.as_array()) {
    std::string joined;
    for (const auto& el : *arr) {
      auto s = el.value<std::string>();
      if (!s) return std::nullopt;
      if (!joined.empty()) joined += ',';
      joined += *s;
    }
    return joined;
  }
  return std::nullopt;
}

}  // namespace

std::string Config::listen_host() const {
  auto pos = listen.rfind(':');
  std::string host = pos == std::string::npos ? listen : listen.substr(0, pos);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

std::uint16_t Config::listen_port() const {
  auto pos = listen.rfind(':');
  if (pos == std::string::npos) return 0;
  int port = std::atoi(listen.c_str() + pos + 1);
  return port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : 0;
}

std::string Config::effective_public_url() const {
  std::string url = public_url.empty() ? "http://" + listen : public_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>* env) {
  Config config;
  if (!path.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      std::ostringstream os;
      os << "config file " << path << ": " << e.description() << " at line " << e.source().begin.line;
      return make_error(ErrorKind::kInvalidArgument, os.str());
    }
    for (const auto& key : keys()) {
      auto node = table.at_path(key.name);
      if (!node) continue;
      auto text = toml_text(*node.node());
      if (!text)
        return make_error(ErrorKind::kInvalidArgument,
                          std::string("config ") + key.name + ": unsupported type");
      if (auto s = key.set(config, *text); !s) return s.error();
    }
  }
  std::map<std::string, std::string> real_env;
  if (env == nullptr) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry(*e);
      auto eq = entry.find('=');
      if (eq != std::string::npos && entry.rfind("TRIBUTARY_", 0) == 0)
        real_env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    env = &real_env;
  }
  for (const auto& key : keys()) {
    auto it = env->find(env_name(key.name));
    if (it == env->end()) continue;
    if (auto s = key.set(config, it->second); !s) return s.error();
  }
  return config;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> out;
  for (const auto& k : keys())
    out.push_back(std::string(k.name) + " (" + env_name(k.name) + ")");
  return out;
}

}  // namespace tributary
