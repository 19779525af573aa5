// Test-only: a real HTTP server on 127.0.0.1 (port 0) standing in for a vendor's API. Each route
// ("METHOD /path", or a prefix route ending in '*') answers through a small function of the request, so a
// test can script pagination, rate limits and failures; every request is recorded for assertions.
// Header-only, linked into the test executable only. Thread-safety: routes and the record are guarded by one
// mutex; the server answers from its own thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace tributary::connectors::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string target;
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (http::iequals(k, name)) return v;
    return {};
  }
  std::string query_param(std::string_view name) const {
    for (const auto& [k, v] : query)
      if (k == name) return v;
    return {};
  }
  bool has_query_param(std::string_view name) const {
    for (const auto& [k, v] : query)
      if (k == name) return true;
    return false;
  }
};

class ScriptedVendor {
 public:
  using Route = std::function<http::Response(const http::Request&)>;

  ScriptedVendor()
      : server_(options(), [this](http::Request r, http::Responder respond) { handle(r, respond); }) {}
  ~ScriptedVendor() { server_.stop(); }

  Status start() { return server_.start(); }
  void stop() { server_.stop(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  void on(const std::string& route, Route answer) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[route] = std::move(answer);
  }
  // A fixed JSON answer.
  void set(const std::string& route, int status, std::string body) {
    on(route,
       [status, body = std::move(body)](const http::Request&) { return http::Response::json(status, body); });
  }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

 private:
  static http::ServerOptions options() {
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    return o;
  }

  void handle(const http::Request& r, const http::Responder& respond) {
    Route route;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({r.method, r.path, r.target, r.query, r.headers, r.body});
      const std::string key = r.method + " " + r.path;
      auto it = routes_.find(key);
      if (it != routes_.end()) {
        route = it->second;
      } else {
        // The longest prefix route ("GET /v1/things/*") that matches.
        std::size_t best = 0;
        for (const auto& [pattern, answer] : routes_) {
          if (pattern.empty() || pattern.back() != '*') continue;
          const std::string prefix = pattern.substr(0, pattern.size() - 1);
          if (key.compare(0, prefix.size(), prefix) == 0 && prefix.size() > best) {
            best = prefix.size();
            route = answer;
          }
        }
      }
    }
    respond(route ? route(r) : http::Response::json(404, R"({"error":"no such route"})"));
  }

  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::vector<RecordedRequest> requests_;
  http::Server server_;
};

}  // namespace tributary::connectors::testing
