#include "app/demo.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/auth.h"
#include "app/node.h"
#include "core/crypto.h"
#include "core/json.h"
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
        std::lock_guard lock(mu_);
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
    std::lock_guard lock(mu_);
    secret_ = std::move(s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/webhooks"; }
  void stop() {
    if (server_) server_->stop();
  }

 private:
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::string secret_;
};

}  // namespace

int run_demo(Config config, const DemoOptions& options, const std::function<void()>& wait) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.database).parent_path(), ec);
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(options.database + suffix, ec);
  config.database = options.database;
  if (config.api_key.empty()) config.api_key = api::new_api_key();
  // The sample endpoint listens on loopback, which the SSRF guard blocks by default.
  config.delivery.allow_networks.push_back("127.0.0.0/8");
  config.delivery.allow_networks.push_back("::1/128");

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
  Api api{client, node.base_url(), config.api_key};
  auto fail = [&](const Error& e) {
    spdlog::critical("demo: {}", e.message);
    node.stop();
    return 1;
  };

  auto ep = api.call("POST", "/v1/webhook-endpoints", bj::object{{"url", endpoint.url()}});
  if (!ep) return fail(ep.error());
  endpoint.set_secret(json::get_string(*ep, "data.secret").value_or(""));

  bj::object end_user{
      {"organization_name", "Acme GmbH"}, {"creator_email", "people@acme.example"}, {"origin_id", "acme"}};
  auto p = api.call(
      "POST", "/v1/integrations",
      bj::object{{"tool", "personio"},
                 {"end_user", end_user},
                 {"credentials", bj::object{{"client_id", "demo-client"}, {"client_secret", "demo-secret"}}},
                 {"remote_base_url", personio->base_url()},
                 {"scope", bj::object{{"upstream_webhooks", true}}}});
  if (!p) return fail(p.error());
  auto g = api.call(
      "POST", "/v1/integrations",
      bj::object{
          {"tool", "greenhouse"},
          {"end_user", end_user},
          {"credentials", bj::object{{"client_id", "demo"}, {"client_secret", "demo"}, {"user_id", "1"}}},
          {"remote_base_url", greenhouse->base_url()},
          {"remote_auth_url", greenhouse->auth_base_url()},
          {"scope", bj::object{{"upstream_webhooks", true}}}});
  if (!g) return fail(g.error());
  // Greenhouse is set up by hand: do what the end customer does in Greenhouse's Dev Center.
  if (const auto* subs = json::find(*g, "data.subscriptions"); subs && subs->is_array()) {
    for (const auto& s : subs->get_array()) {
      auto url = json::get_string(s, "ingress_url").value_or("");
      auto secret = json::get_string(s, "setup.secret").value_or("");
      auto types = json::find(s, "event_types");
      auto r = sim_call(
          client, greenhouse->base_url(), "POST", "/_sim/webhooks",
          bj::object{{"url", url}, {"secret", secret}, {"event_types", types ? *types : bj::array{}}});
      if (!r) return fail(r.error());
    }
  }

  std::cout << "\nTributary demo is running.\n"
            << "  Dashboard:      " << node.base_url() << "/  (sign in with the API key below)\n"
            << "  API:            " << node.base_url() << "  (Authorization: Bearer " << config.api_key
            << ")\n"
            << "  Upstream log:   curl -H 'Authorization: Bearer " << config.api_key << "' "
            << node.base_url() << "/v1/logs/upstream\n"
            << "  Events:         curl -H 'Authorization: Bearer " << config.api_key << "' "
            << node.base_url() << "/v1/events\n"
            << "  Integrations:   " << json::get_string(*p, "data.id").value_or("") << ", "
            << json::get_string(*g, "data.id").value_or("") << "\n"
            << "  Simulated tools: personio " << personio->base_url() << ", greenhouse "
            << greenhouse->base_url() << "\n  A change happens in a simulated tool every "
            << options.change_interval_ms << " ms. Ctrl-C stops.\n\n";

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  std::thread changer([&] {
    const std::string P = personio->base_url();
    const std::string G = greenhouse->base_url();
    std::vector<std::string> employees, candidates, jobs;
    const char* names[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"};
    for (int step = 0; !stop; ++step) {
      std::string what;
      const char* name = names[step % 8];
      switch (step % 6) {
        case 0: {
          auto r = sim_call(client, P, "POST", "/_sim/hris_employees",
                            bj::object{{"first_name", name},
                                       {"last_name", "Lovelace"},
                                       {"work_email", std::string(name) + "@acme.example"}});
          if (auto id = remote_id_of(r); !id.empty()) employees.push_back(id);
          what = "personio: employee created";
          break;
        }
        case 1:
          if (employees.empty()) continue;
          (void)sim_call(client, P, "PATCH", "/_sim/hris_employees/" + employees.back(),
                         bj::object{{"last_name", std::string("Renamed-") + std::to_string(step)}});
          what = "personio: employee renamed";
          break;
        case 2: {
          if (employees.empty()) continue;
          (void)sim_call(client, P, "POST", "/_sim/hris_absences",
                         bj::object{{"employee_id", employees.back()},
                                    {"start_date", "2026-12-21"},
                                    {"end_date", "2026-12-24"}});
          what = "personio: absence created";
          break;
        }
        case 3: {
          auto r = sim_call(client, G, "POST", "/_sim/ats_candidates",
                            bj::object{{"first_name", name},
                                       {"last_name", "Hopper"},
                                       {"email", std::string(name) + "@example.org"}});
          if (auto id = remote_id_of(r); !id.empty()) candidates.push_back(id);
          what = "greenhouse: candidate applied";
          break;
        }
        case 4: {
          auto r = sim_call(client, G, "POST", "/_sim/ats_jobs",
                            bj::object{{"name", "Site Reliability Engineer"}});
          auto id = remote_id_of(r);
          if (!id.empty()) {
            jobs.push_back(id);
            (void)sim_call(client, G, "POST", "/_sim/ats_jobs/" + id + "/publish", bj::object{});
          }
          what = "greenhouse: job published";
          break;
        }
        case 5:
          if (candidates.empty()) continue;
          (void)sim_call(client, G, "DELETE", "/_sim/ats_candidates/" + candidates.front(), nullptr);
          candidates.erase(candidates.begin());
          what = "greenhouse: candidate deleted";
          break;
      }
      std::cout << "→ " << what << std::endl;
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(options.change_interval_ms), [&] { return stop.load(); });
    }
  });

  wait();
  {
    std::lock_guard lock(mu);
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
