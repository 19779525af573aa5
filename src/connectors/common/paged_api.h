// Test-only: a scripted tool API (paged lists, 429 sequences) on a real local HTTP server (127.0.0.1, port 0)
// for connector tests. Each "METHOD /path" (or "METHOD /path?query" for an exact target) answers a configured
// status, body and headers; every request is recorded. Header-only, so nothing here is linked into the
// library. Thread-safety: all members are safe from any thread.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"

namespace tributary::connectors::testing {

class PagedApi {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    HeaderList headers;
  };

  PagedApi() : server_(options(), [this](http::Request r, http::Responder respond) { handle(r, respond); }) {}
  ~PagedApi() { server_.stop(); }

  Status start() { return server_.start(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  // `route` is "GET /v2/persons" (any query) or "GET /v2/persons?limit=50" (this exact target).
  void set(const std::string& route, Answer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[route] = std::move(answer);
  }
  // The next `n` requests to `route` get `answer` first; then the configured answer again.
  void first(const std::string& route, int n, Answer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < n; ++i)
      queued_[route].push_back(answer);
  }
  std::vector<http::Request> requests() const {
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
    Answer answer{404, R"({"error":"not found"})", {}};
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
      answer = pick(r, answer);
    }
    http::Response response = http::Response::json(answer.status, answer.body);
    for (const auto& [k, v] : answer.headers)
      response.with_header(k, v);
    respond(std::move(response));
  }

  // The queued answer for the request, else its configured one, else `fallback`. Called with mu_ held.
  Answer pick(const http::Request& r, const Answer& fallback) {
    for (const std::string& key : {r.method + " " + r.target, r.method + " " + r.path}) {
      if (auto q = queued_.find(key); q != queued_.end() && !q->second.empty()) {
        Answer a = q->second.front();
        q->second.pop_front();
        return a;
      }
    }
    for (const std::string& key : {r.method + " " + r.target, r.method + " " + r.path})
      if (auto it = routes_.find(key); it != routes_.end()) return it->second;
    return fallback;
  }

  mutable std::mutex mu_;
  std::map<std::string, Answer> routes_;
  std::map<std::string, std::deque<Answer>> queued_;
  std::vector<http::Request> requests_;
  http::Server server_;
};

}  // namespace tributary::connectors::testing
