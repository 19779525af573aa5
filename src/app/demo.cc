#include "app/demo.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "api/auth.h"
#include "app/node.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/mutex.h"
#include "delivery/signing.h"
#include "http/client.h"
#include "http/server.h"
#include "sim/simulator.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;

struct Api {
  http::HttpClient& client;
  std::string base;
  std::string key;

  Result<bj::value> call(const std::string& method, const std::string& path, const bj::value& body) const {
    http::ClientRequest req;
    req.method = method;
    req.url = base + path;
    req.headers = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
    if (!body.is_null()) req.body = bj::serialize(body);
    auto resp = client.send_sync(std::move(req));
    if (resp.status == 0) return make_error(ErrorKind::kUnavailable, resp.error);
    auto parsed = json::parse(resp.body);
    if (resp.status >= 300 || !parsed) {
      return make_error(ErrorKind::kUpstream,
                        method + " " + path + " → " + std::to_string(resp.status) + " " + resp.body);
    }
    return *parsed;
  }
};

Result<bj::value> sim_call(http::HttpClient& client, const std::string& base, const std::string& method,
                           const std::string& path, const bj::value& body) {
  Api api{client, base, ""};
  return api.call(method, path, body);
}

std::string remote_id_of(const Result<bj::value>& r) {
  if (!r) return "";
  return json::get_id(*r, "remote_id").value_or("");
}

// The sample endpoint: what an operator's receiver does — verify, then use the event.
class SampleEndpoint {
 public:
  Status start() {
    http::ServerOptions opts;
    opts.port = 0;
    server_ = std::make_unique<http::Server>(opts, [this](http::Request r, http::Responder respond) {
      std::string secret;
      {
        MutexLock lock(mu_);
        secret = secret_;
      }
      auto sig = r.header("X-Kombo-Signature");
      bool ok = sig && !secret.empty() &&
                crypto::constant_time_equal(*sig, delivery::kombo_signature(secret, r.body));
      auto body = json::parse(r.body);
      std::string summary;
      if (body) {
        summary = json::get_string(*body, "type").value_or("?");
        if (const auto* events = json::find(*body, "data.events"); events && events->is_array()) {
          for (const auto& e : events->get_array()) {
            summary += " [" + json::get_string(e, "model").value_or("") + " " +
                       json::get_string(e, "action").value_or("") +
                       " remote_id=" + json::get_string(e, "remote_id").value_or("") + "]";
          }
        }
      }
      std::cout << "  ← sample endpoint received " << summary
                << (ok ? " (signature verified)" : " (BAD SIGNATURE)") << std::endl;
      respond(http::Response::json(ok ? 200 : 401, "{}"));
    });
    return server_->start();
  }
  void set_secret(std::string s) {
    MutexLock lock(mu_);
    secret_ = std::move(s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/webhooks"; }
  void stop() {
    if (server_) server_->stop();
  }

 private:
  std::unique_ptr<http::Server> server_;
  Mutex mu_;
  std::string secret_;
};

// The demo's database is recreated at each start; the node reaches the sample endpoint on loopback.
void prepare_config(Config& config, const DemoOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.database).parent_path(), ec);
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(options.database + suffix, ec);
  config.database = options.database;
  if (config.api_key.empty()) config.api_key = api::new_api_key();
  // The sample endpoint and the simulated tools listen on loopback, which the SSRF guard blocks by default
  // (for deliveries and for calls to the tools alike).
  config.delivery.allow_networks.push_back("127.0.0.0/8");
  config.delivery.allow_networks.push_back("::1/128");
}

// The ids of the demo's two integrations.
struct Integrations {
  std::string personio;
  std::string greenhouse;
};

// Greenhouse is set up by hand: do what the end customer does in Greenhouse's Dev Center for each
// subscription the integration lists.
Status register_greenhouse_web_hooks(http::HttpClient& client, const sim::Simulator& greenhouse,
                                     const bj::value& integration) {
  if (const auto* subs = json::find(integration, "data.subscriptions"); subs && subs->is_array()) {
    for (const auto& s : subs->get_array()) {
      auto url = json::get_string(s, "ingress_url").value_or("");
      auto secret = json::get_string(s, "setup.secret").value_or("");
      auto types = json::find(s, "event_types");
      auto r = sim_call(
          client, greenhouse.base_url(), "POST", "/_sim/webhooks",
          bj::object{{"url", url}, {"secret", secret}, {"event_types", types ? *types : bj::array{}}});
      if (!r) return r.error();
    }
  }
  return {};
}

// Through the public API: the sample endpoint, then an integration per simulated tool.
Result<Integrations> connect_tools(const Api& api, SampleEndpoint& endpoint, const sim::Simulator& personio,
                                   const sim::Simulator& greenhouse) {
  auto ep = api.call("POST", "/v1/webhook-endpoints", bj::object{{"url", endpoint.url()}});
  if (!ep) return ep.error();
  endpoint.set_secret(json::get_string(*ep, "data.secret").value_or(""));

  bj::object end_user{
      {"organization_name", "Acme GmbH"}, {"creator_email", "people@acme.example"}, {"origin_id", "acme"}};
  auto p = api.call(
      "POST", "/v1/integrations",
      bj::object{{"tool", "personio"},
                 {"end_user", end_user},
                 {"credentials", bj::object{{"client_id", "demo-client"}, {"client_secret", "demo-secret"}}},
                 {"remote_base_url", personio.base_url()},
                 {"scope", bj::object{{"upstream_webhooks", true}}}});
  if (!p) return p.error();
  auto g = api.call(
      "POST", "/v1/integrations",
      bj::object{
          {"tool", "greenhouse"},
          {"end_user", end_user},
          {"credentials", bj::object{{"client_id", "demo"}, {"client_secret", "demo"}, {"user_id", "1"}}},
          {"remote_base_url", greenhouse.base_url()},
          {"remote_auth_url", greenhouse.auth_base_url()},
          {"scope", bj::object{{"upstream_webhooks", true}}}});
  if (!g) return g.error();
  if (auto st = register_greenhouse_web_hooks(api.client, greenhouse, *g); !st) return st.error();
  return Integrations{json::get_string(*p, "data.id").value_or(""),
                      json::get_string(*g, "data.id").value_or("")};
}

void print_banner(const Node& node, const Config& config, const Integrations& integrations,
                  const sim::Simulator& personio, const sim::Simulator& greenhouse,
                  const DemoOptions& options) {
  std::cout << "\nTributary demo is running.\n"
            << "  Dashboard:      " << node.base_url() << "/  (sign in with the API key below)\n"
            << "  API:            " << node.base_url() << "  (Authorization: Bearer " << config.api_key
            << ")\n"
            << "  Upstream log:   curl -H 'Authorization: Bearer " << config.api_key << "' "
            << node.base_url() << "/v1/logs/upstream\n"
            << "  Events:         curl -H 'Authorization: Bearer " << config.api_key << "' "
            << node.base_url() << "/v1/events\n"
            << "  Integrations:   " << integrations.personio << ", " << integrations.greenhouse << "\n"
            << "  Simulated tools: personio " << personio.base_url() << ", greenhouse "
            << greenhouse.base_url() << "\n  A change happens in a simulated tool every "
            << options.change_interval_ms << " ms. Ctrl-C stops.\n\n";
}

// The changes the demo makes in the simulated tools, one per step: three kinds in Personio, then three in
// Greenhouse, in turn.
class ToolChanges {
 public:
  ToolChanges(http::HttpClient& client, std::string personio, std::string greenhouse)
      : client_(client), personio_(std::move(personio)), greenhouse_(std::move(greenhouse)) {}

  // Makes the change for `step`; what it did, or nullopt when the change needs a record not created yet.
  std::optional<std::string> make(int step) {
    static const char* const kNames[] = {"Ada",     "Grace",  "Alan",    "Edsger",
                                         "Barbara", "Donald", "Frances", "Ken"};
    const char* name = kNames[step % 8];
    switch (step % 6) {
      case 0:
        return create_employee(name);
      case 1:
        return rename_employee(step);
      case 2:
        return create_absence();
      case 3:
        return create_candidate(name);
      case 4:
        return publish_job();
      default:
        return delete_candidate();
    }
  }

 private:
  std::optional<std::string> create_employee(const char* name) {
    auto r = sim_call(client_, personio_, "POST", "/_sim/hris_employees",
                      bj::object{{"first_name", name},
                                 {"last_name", "Lovelace"},
                                 {"work_email", std::string(name) + "@acme.example"}});
    if (auto id = remote_id_of(r); !id.empty()) employees_.push_back(id);
    return "personio: employee created";
  }

  std::optional<std::string> rename_employee(int step) {
    if (employees_.empty()) return std::nullopt;
    (void)sim_call(client_, personio_, "PATCH", "/_sim/hris_employees/" + employees_.back(),
                   bj::object{{"last_name", std::string("Renamed-") + std::to_string(step)}});
    return "personio: employee renamed";
  }

  std::optional<std::string> create_absence() {
    if (employees_.empty()) return std::nullopt;
    (void)sim_call(
        client_, personio_, "POST", "/_sim/hris_absences",
        bj::object{
            {"employee_id", employees_.back()}, {"start_date", "2026-12-21"}, {"end_date", "2026-12-24"}});
    return "personio: absence created";
  }

  std::optional<std::string> create_candidate(const char* name) {
    auto r = sim_call(
        client_, greenhouse_, "POST", "/_sim/ats_candidates",
        bj::object{
            {"first_name", name}, {"last_name", "Hopper"}, {"email", std::string(name) + "@example.org"}});
    if (auto id = remote_id_of(r); !id.empty()) candidates_.push_back(id);
    return "greenhouse: candidate applied";
  }

  std::optional<std::string> publish_job() {
    auto r = sim_call(client_, greenhouse_, "POST", "/_sim/ats_jobs",
                      bj::object{{"name", "Site Reliability Engineer"}});
    if (auto id = remote_id_of(r); !id.empty())
      (void)sim_call(client_, greenhouse_, "POST", "/_sim/ats_jobs/" + id + "/publish", bj::object{});
    return "greenhouse: job published";
  }

  std::optional<std::string> delete_candidate() {
    if (candidates_.empty()) return std::nullopt;
    (void)sim_call(client_, greenhouse_, "DELETE", "/_sim/ats_candidates/" + candidates_.front(), nullptr);
    candidates_.erase(candidates_.begin());
    return "greenhouse: candidate deleted";
  }

  http::HttpClient& client_;
  const std::string personio_;
  const std::string greenhouse_;
  std::vector<std::string> employees_;
  std::vector<std::string> candidates_;
};

}  // namespace

int run_demo(Config config, const DemoOptions& options, const std::function<void()>& wait) {
  prepare_config(config, options);
  auto personio = sim::make_simulator("personio", {});
  auto greenhouse = sim::make_simulator("greenhouse", {});
  SampleEndpoint endpoint;
  for (auto* s : {personio.get(), greenhouse.get()}) {
    if (auto st = s->start(); !st) {
      spdlog::critical("demo: simulator: {}", st.error().message);
      return 1;
    }
  }
  if (auto st = endpoint.start(); !st) {
    spdlog::critical("demo: sample endpoint: {}", st.error().message);
    return 1;
  }
  Node node(config);
  if (auto st = node.start(); !st) {
    spdlog::critical("demo: {}", st.error().message);
    return 1;
  }

  http::CurlClient client({});
  auto integrations =
      connect_tools(Api{client, node.base_url(), config.api_key}, endpoint, *personio, *greenhouse);
  if (!integrations) {
    spdlog::critical("demo: {}", integrations.error().message);
    node.stop();
    return 1;
  }
  print_banner(node, config, *integrations, *personio, *greenhouse, options);

  std::atomic<bool> stop{false};
  Mutex mu;
  std::condition_variable cv;
  std::thread changer([&] {
    ToolChanges changes(client, personio->base_url(), greenhouse->base_url());
    for (int step = 0; !stop; ++step) {
      auto what = changes.make(step);
      if (!what) continue;
      std::cout << "→ " << *what << std::endl;
      MutexLock lock(mu);
      lock.wait_for(cv, std::chrono::milliseconds(options.change_interval_ms), [&] { return stop.load(); });
    }
  });

  wait();
  {
    MutexLock lock(mu);
    stop = true;
  }
  cv.notify_all();
  changer.join();
  node.stop();
  endpoint.stop();
  greenhouse->stop();
  personio->stop();
  return 0;
}

}  // namespace tributary::app
