// Test-only: a scripted vendor API on a real local HTTP server (127.0.0.1, port 0), the one stand-in for a
// tool's API in connector tests. A route is a key a request is looked up by, tried in this order:
//   "METHOD /path?query"  this exact target
//   "METHOD /path"        this path, any query
//   "/path"               this path, any method
//   "METHOD /prefix*"     the longest matching prefix ("*" alone matches every request)
// or, when the server is built with a classifier, only the name the classifier gives the request (e.g.
// "GET /candidates/{id}"). A route answers with its queued one-shot answers first (push), then with its
// handler or fixed answer (on, set); an unknown route gets 404. Every request is recorded.
// Header-only, so nothing here is linked into the library. Thread-safety: handlers run on the server's
// thread; routes, queues and records are guarded by one mutex.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "http/client.h"
#include "http/message.h"
#include "http/server.h"

namespace tributary::connectors::testing {

// The client of connector tests: it may reach loopback (where the scripted tool listens), and it refuses a
// request sent without the SSRF guard, so a connector call that goes around ApiContext::send fails its test.
class GuardedLoopbackClient final : public http::HttpClient {
 public:
  void send(http::ClientRequest request, std::function<void(http::ClientResponse)> done) override {
    if (!request.guard_ssrf) {
      http::ClientResponse refused;
      refused.error = "test client: request to " + request.url + " sent without the SSRF guard";
      ADD_FAILURE() << refused.error;
      done(std::move(refused));
      return;
    }
    client_.send(std::move(request), std::move(done));
  }

 private:
  static http::CurlClientOptions options() {
    http::CurlClientOptions o;
    auto guard = http::NetworkGuard::create({"127.0.0.0/8"});
    if (guard) o.guard = *guard;
    return o;
  }
  http::CurlClient client_{options()};
};

// A request as the server received it, with lookups that read as "" when a header or parameter is absent.
struct ScriptedRequest : http::Request {
  std::string header(std::string_view name) const {
    auto v = http::Request::header(name);
    return v ? std::string(*v) : std::string();
  }
  // The value of query parameter `name`, or "" when absent; query_param() tells absent from empty.
  std::string param(std::string_view name) const { return query_param(name).value_or(""); }
  bool has_param(std::string_view name) const { return query_param(name).has_value(); }
  // The raw query string (what follows '?'), not decoded.
  std::string query_string() const { return std::string(http::target_query(target)); }
  boost::json::object json() const { return boost::json::parse(body).as_object(); }
};

class ScriptedApi {
 public:
  using Handler = std::function<http::Response(const ScriptedRequest&)>;
  using Classifier = std::function<std::string(const http::Request&)>;

  ScriptedApi() : ScriptedApi(Classifier{}) {}
  // `route_of` names the route of each request; only that name is looked up.
  explicit ScriptedApi(Classifier route_of)
      : route_of_(std::move(route_of)), server_(options(), [this](http::Request r, http::Responder respond) {
          handle(std::move(r), respond);
        }) {}
  ~ScriptedApi() { server_.stop(); }

  Status start() { return server_.start(); }
  void stop() { server_.stop(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  void on(const std::string& route, Handler h) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[route] = std::move(h);
  }
  // A fixed answer (JSON, or an empty body).
  void set(const std::string& route, int status, std::string body, HeaderList headers = {}) {
    on(route, [answer = response(status, std::move(body), std::move(headers))](const ScriptedRequest&) {
      return answer;
    });
  }
  // The next request to `route` gets this answer before the route's own (queued in order).
  void push(const std::string& route, int status, std::string body, HeaderList headers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_[route].push_back(response(status, std::move(body), std::move(headers)));
  }
  std::vector<ScriptedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

  static http::Response response(int status, std::string body, HeaderList headers = {}) {
    http::Response r = body.empty() ? http::Response::text(status, "") : http::Response::json(status, body);
    for (auto& [k, v] : headers)
      r.with_header(std::move(k), std::move(v));
    return r;
  }

 private:
  static http::ServerOptions options() {
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    return o;
  }

  // The keys to look the request up by, most specific first. Called with mu_ held.
  std::vector<std::string> keys(const http::Request& r) const {
    if (route_of_) return {route_of_(r)};
    std::vector<std::string> out{r.method + " " + r.target, r.method + " " + r.path, r.path};
    const std::string key = r.method + " " + r.path;
    std::string best;
    for (const auto& [pattern, h] : routes_) {
      if (pattern.empty() || pattern.back() != '*') continue;
      const std::size_t n = pattern.size() - 1;
      if (key.compare(0, n, pattern, 0, n) == 0 && (best.empty() || n > best.size() - 1)) best = pattern;
    }
    if (!best.empty()) out.push_back(best);
    return out;
  }

  void handle(http::Request r, const http::Responder& respond) {
    ScriptedRequest rec;
    static_cast<http::Request&>(rec) = std::move(r);
    std::optional<http::Response> answer;
    Handler h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(rec);
      const auto candidates = keys(rec);
      for (const auto& k : candidates) {
        if (auto q = queued_.find(k); q != queued_.end() && !q->second.empty()) {
          answer = std::move(q->second.front());
          q->second.pop_front();
          break;
        }
      }
      if (!answer) {
        for (const auto& k : candidates) {
          if (auto it = routes_.find(k); it != routes_.end()) {
            h = it->second;
            break;
          }
        }
      }
    }
    if (!answer) answer = h ? h(rec) : http::Response::json(404, R"({"error":"no such route"})");
    respond(std::move(*answer));
  }

  Classifier route_of_;
  mutable std::mutex mu_;
  std::map<std::string, Handler> routes_;                     // guarded by mu_
  std::map<std::string, std::deque<http::Response>> queued_;  // guarded by mu_
  std::vector<ScriptedRequest> requests_;                     // guarded by mu_
  http::Server server_;
};

// The shared fixture of a connector's API tests: the connector as `register_connector` adds it, a ScriptedApi
// standing in for the tool, and an ApiContext pointing at it (real HTTP client, 5 s timeout). A test's own
// SetUp calls this one first (ASSERT_NO_FATAL_FAILURE) and then adds credentials, routes and the request.
class ConnectorApiTest : public ::testing::Test {
 protected:
  ConnectorApiTest(void (*register_connector)(Registry&), std::string tool,
                   ScriptedApi::Classifier route_of = {})
      : tool_(std::move(tool)), fake_(std::move(route_of)) {
    register_connector(registry_);
  }

  void SetUp() override {
    connector_ = registry_.find(tool_);
    ASSERT_NE(connector_, nullptr);
    auto started = fake_.start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ctx_.base_url = fake_.base_url();
    ctx_.client = &client_;
    ctx_.timeout = std::chrono::milliseconds(5000);
  }

  // Lists every record of `model` page after page (at most 9 pages) into `all`; `calls` counts the pages.
  // Call it under ASSERT_NO_FATAL_FAILURE.
  void list_all(Model model, std::vector<boost::json::object>& all, int& calls) const {
    std::string page;
    do {
      ASSERT_LT(++calls, 10);
      auto listed = connector_->list_records(ctx_, model, page);
      ASSERT_TRUE(listed.ok()) << listed.error().message;
      for (auto& rec : listed->records)
        all.push_back(std::move(rec));
      page = listed->next;
    } while (!page.empty());
  }

  std::string tool_;
  Registry registry_;
  const Connector* connector_ = nullptr;
  ScriptedApi fake_;
  GuardedLoopbackClient client_;
  ApiContext ctx_;
  SubscriptionRequest request_;
};

}  // namespace tributary::connectors::testing
