// Test-only: a scripted vendor API on a real local HTTP server (127.0.0.1, port 0). Each path answers through
// a handler; every request is recorded for the test to check method, path, headers and body. Header-only, so
// nothing here is linked into the library. Thread-safety: handlers run on the server's thread; routes and
// records are guarded by a mutex.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace tributary::connectors::testing {

struct Recorded {
  std::string method;
  std::string path;
  std::string query;
  HeaderList headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (http::iequals(k, name)) return v;
    return {};
  }
  boost::json::object json() const { return boost::json::parse(body).as_object(); }
};

struct Answer {
  int status = 200;
  std::string body;
  HeaderList headers;
};

class FakeApi {
 public:
  using Handler = std::function<Answer(const Recorded&)>;

  FakeApi() : server_(options(), [this](http::Request r, http::Responder respond) { handle(r, respond); }) {}
  ~FakeApi() { server_.stop(); }

  Status start() { return server_.start(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void stop() { server_.stop(); }

  // Routes are "<path>" (any method) or "<METHOD> <path>"; the method-specific route wins.
  void on(const std::string& route, Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[route] = std::move(h);
  }
  void on(const std::string& route, int status, std::string body) {
    on(route, [status, body](const Recorded&) { return Answer{status, body, {}}; });
  }
  std::vector<Recorded> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
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
    Handler h;
    const auto q = r.target.find('?');
    Recorded rec{r.method, r.path, q == std::string::npos ? std::string() : r.target.substr(q + 1), r.headers,
                 r.body};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(rec);
      auto it = routes_.find(r.method + " " + r.path);
      if (it == routes_.end()) it = routes_.find(r.path);
      if (it != routes_.end()) h = it->second;
    }
    Answer a = h ? h(rec) : Answer{404, R"({"error":"Not found"})", {}};
    http::Response resp = http::Response::json(a.status, a.body);
    for (auto& [k, v] : a.headers)
      resp.with_header(k, v);
    respond(std::move(resp));
  }

  mutable std::mutex mu_;
  std::map<std::string, Handler> routes_;  // guarded by mu_
  std::vector<Recorded> requests_;         // guarded by mu_
  http::Server server_;
};

}  // namespace tributary::connectors::testing
