// tributary: the command line. Subcommands are thin: each parses its flags and calls into app/ (or, for the
// generated documents, into connectors/ and api/).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/api.h"
#include "api/openapi_generated.h"
#include "app/demo.h"
#include "app/node.h"
#include "connectors/coverage.h"
#include "connectors/registry.h"
#include "core/config.h"
#include "core/log.h"
#include "sim/simulator.h"

namespace {

using tributary::Config;

Config load_or_exit(const std::string& path) {
  auto config = tributary::load_config(path);
  if (!config) {
    std::cerr << "tributary: " << config.error().message << "\n";
    std::exit(2);
  }
  return std::move(*config);
}

// Blocks until SIGINT or SIGTERM.
void wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

void block_signals() {
  // Every thread inherits this mask, so SIGINT/SIGTERM reach only sigwait() in the main thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

// What the flags of every subcommand are parsed into.
struct Options {
  std::string config_path;
  std::string key_name = "default";
  std::string sim_tool;
  std::string sim_listen = "127.0.0.1:0";
  tributary::app::DemoOptions demo;
  bool coverage_markdown = false;
  std::string openapi_file;
};

struct Subcommands {
  CLI::App* serve = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* keys_create = nullptr;
  CLI::App* sim = nullptr;
  CLI::App* demo = nullptr;
  CLI::App* coverage = nullptr;
  CLI::App* openapi = nullptr;
};

Subcommands add_subcommands(CLI::App& app, Options& options) {
  Subcommands s;
  app.add_option("--config", options.config_path,
                 "TOML configuration file (every key can be overridden by TRIBUTARY_*)");
  s.serve = app.add_subcommand("serve", "Run the relay: API, ingress, processing, delivery, subscriptions");
  s.migrate = app.add_subcommand("migrate", "Apply database migrations and exit");
  auto* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  s.keys_create = keys->add_subcommand("create", "Create an API key and print it once");
  s.keys_create->add_option("--name", options.key_name, "A name to recognise the key by");

  s.sim = app.add_subcommand("sim", "Run a simulated tool (for tests and demos)");
  s.sim->add_option("tool", options.sim_tool, "The tool to simulate")
      ->required()
      ->check(CLI::IsMember(tributary::sim::simulator_tools()));
  s.sim->add_option("--listen", options.sim_listen, "HOST:PORT");

  s.demo = app.add_subcommand("demo", "Run Tributary with simulated tools and a sample endpoint, on SQLite");
  s.demo->add_option("--interval-ms", options.demo.change_interval_ms,
                     "How often a simulated change happens");

  s.coverage = app.add_subcommand("coverage", "Print the coverage grid generated from the connectors");
  s.coverage->add_flag("--markdown", options.coverage_markdown,
                       "As the README's Markdown table (default: JSON)");

  s.openapi = app.add_subcommand(
      "openapi", "Print openapi.json with its per-tool and per-model schemas generated from the connectors");
  s.openapi->add_option("file", options.openapi_file,
                        "The document to regenerate (default: the one built into this binary)");
  return s;
}

int print_coverage(bool markdown) {
  const auto& registry = tributary::connectors::builtin_registry();
  if (markdown) {
    std::cout << tributary::connectors::coverage_markdown(registry);
  } else {
    std::cout << boost::json::serialize(tributary::connectors::coverage_json(registry)) << "\n";
  }
  return 0;
}

int print_openapi(const std::string& file) {
  std::string document = tributary::api::openapi_document();
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "tributary openapi: cannot read " << file << "\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    document = text.str();
  }
  auto regenerated =
      tributary::api::regenerate_openapi_text(document, tributary::connectors::builtin_registry());
  if (!regenerated) {
    std::cerr << "tributary openapi: " << regenerated.error().message << "\n";
    return 1;
  }
  std::cout << *regenerated;
  return 0;
}

int run_serve(const Config& config) {
  tributary::app::Node node(config);
  if (auto s = node.start(); !s) {
    spdlog::critical("cannot start: {}", s.error().message);
    return 1;
  }
  wait_for_signal();
  node.stop();
  spdlog::info("stopped");
  return 0;
}

int run_migrate(const Config& config) {
  if (auto s = tributary::app::migrate(config); !s) {
    std::cerr << "tributary migrate: " << s.error().message << "\n";
    return 1;
  }
  std::cout << "database is up to date\n";
  return 0;
}

int run_keys_create(const Config& config, const std::string& name) {
  auto key = tributary::app::create_api_key(config, name);
  if (!key) {
    std::cerr << "tributary keys create: " << key.error().message << "\n";
    return 1;
  }
  std::cout << *key << "\n";
  return 0;
}

int run_sim(const std::string& tool, const std::string& listen) {
  tributary::sim::SimOptions options;
  auto colon = listen.rfind(':');
  options.host = colon == std::string::npos ? listen : listen.substr(0, colon);
  options.port =
      colon == std::string::npos ? 0 : static_cast<std::uint16_t>(std::atoi(listen.c_str() + colon + 1));
  auto simulator = tributary::sim::make_simulator(tool, options);
  if (!simulator) {
    std::cerr << "tributary sim: unknown tool '" << tool << "'\n";
    return 2;
  }
  if (auto s = simulator->start(); !s) {
    std::cerr << "tributary sim: " << s.error().message << "\n";
    return 1;
  }
  // The first line on stdout is the base URL, so scripts and tests can read where it listens.
  std::cout << simulator->base_url() << std::endl;
  wait_for_signal();
  simulator->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Tributary: receives webhooks from HR and recruiting systems and relays them, signed, to yours"};
  app.require_subcommand(1);
  Options options;
  const Subcommands run = add_subcommands(app, options);
  CLI11_PARSE(app, argc, argv);

  // The generated documents need neither configuration nor signals.
  if (*run.coverage) return print_coverage(options.coverage_markdown);
  if (*run.openapi) return print_openapi(options.openapi_file);

  block_signals();
  Config config = load_or_exit(options.config_path);
  tributary::init_logging(config.log_level);
  if (*run.serve) return run_serve(config);
  if (*run.migrate) return run_migrate(config);
  if (*run.keys_create) return run_keys_create(config, options.key_name);
  if (*run.sim) return run_sim(options.sim_tool, options.sim_listen);
  if (*run.demo) return tributary::app::run_demo(config, options.demo, [] { wait_for_signal(); });
  return 0;
}
