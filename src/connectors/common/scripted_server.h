// Test-only: a real HTTP server on 127.0.0.1 (port 0) standing in for a vendor API. Each route ("METHOD
// /path", where the test names the route of a request through a classifier) answers with a default status and
// body, or with queued one-shot answers first; every request is recorded. Header-only, so nothing here is
// linked into the library. Thread-safety: the handler runs on the server thread; every member is guarded.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace tributary::connectors::testing {

struct ScriptedRequest {
  std::string method;
  std::string path;
  std::string target;
  HeaderList headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (http::iequals(k, name)) return v;
    return {};
  }
  std::string query(std::string_view name) const {
    for (const auto& [k, v] : http::parse_query(http::target_query(target)))
      if (k == name) return v;
    return {};
  }
};

struct ScriptedAnswer {
  int status = 200;
  std::string body;
  HeaderList headers;
};

class ScriptedServer {
 public:
  // `route_of` turns a request into its route name, e.g. "GET /candidates/{id}".
  explicit ScriptedServer(std::function<std::string(const http::Request&)> route_of)
      : route_of_(std::move(route_of)),
        server_(options(), [this](http::Request r, http::Responder respond) { handle(r, respond); }) {}
  ~ScriptedServer() { server_.stop(); }

  Status start() { return server_.start(); }
  void stop() { server_.stop(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  void set(const std::string& route, int status, std::string body, HeaderList headers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    defaults_[route] = {status, std::move(body), std::move(headers)};
  }
  void push(const std::string& route, int status, std::string body, HeaderList headers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_[route].push_back({status, std::move(body), std::move(headers)});
  }
  std::vector<ScriptedRequest> requests() const {
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
    ScriptedAnswer answer{404, R"({"message":"no such route"})", {}};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({r.method, r.path, r.target, r.headers, r.body});
      const std::string route = route_of_(r);
      if (auto q = queued_.find(route); q != queued_.end() && !q->second.empty()) {
        answer = q->second.front();
        q->second.pop_front();
      } else if (auto d = defaults_.find(route); d != defaults_.end()) {
        answer = d->second;
      }
    }
    http::Response response = answer.body.empty() ? http::Response::text(answer.status, "")
                                                  : http::Response::json(answer.status, answer.body);
    for (auto& [k, v] : answer.headers)
      response.with_header(k, v);
    respond(std::move(response));
  }

  std::function<std::string(const http::Request&)> route_of_;
  mutable std::mutex mu_;
  std::map<std::string, ScriptedAnswer> defaults_;
  std::map<std::string, std::deque<ScriptedAnswer>> queued_;
  std::vector<ScriptedRequest> requests_;
  http::Server server_;
};

}  // namespace tributary::connectors::testing
