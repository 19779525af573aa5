// Test support for the relay pipeline (ingress, processing, delivery, subscriptions) and the node tests:
//   TestStore     a migrated SQLite database in a temp dir with a running group-commit writer, a read pool, a
//                 SecretBox, and helpers that insert integrations, endpoints and inbox rows directly;
//   FakeEndpoint  a downstream endpoint on a real http::Server (127.0.0.1, port 0) with scripted answers
//                 ("fail the next 2 with 500, then 200", "hold every request unanswered") that records what
//                 it received and when;
//   wait_until    polls a condition until it holds or a deadline passes (no fixed sleeps in tests).
// Header-only, used by tests only.
// Thread-safety: FakeEndpoint is safe from any thread; TestStore::conn() belongs to the test's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/mutex.h"
#include "core/secret_box.h"
#include "http/client.h"
#include "http/server.h"
#include "store/database.h"
#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "store/pool.h"
#include "store/schema.h"
#include "store/writer.h"

namespace tributary::pipeline_testing {

using namespace std::chrono_literals;

// The value of a Result, or a thrown error naming what failed (gtest reports it as the test's failure).
template <typename T>
T must(Result<T> result, std::string_view what = "call") {
  if (!result) throw std::runtime_error(std::string(what) + " failed: " + result.error().message);
  return std::move(result).value();
}
inline void must(Status status, std::string_view what = "call") {
  if (!status) throw std::runtime_error(std::string(what) + " failed: " + status.error().message);
}

// A JSON string's text, or a marker that fails comparisons when the value is not a string.
inline std::string str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "<not a string: " + boost::json::serialize(v) + ">";
}

// Polls `pred` every few milliseconds until it holds or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("tributary-test-" + crypto::random_token(12))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Credentials every simulator accepts.
inline constexpr std::string_view kPersonioCredentials =
    R"({"client_id":"test-client","client_secret":"test-secret"})";
inline constexpr std::string_view kGreenhouseCredentials =
    R"({"client_id":"test-client","client_secret":"test-secret","user_id":"42"})";

class TestStore {
 public:
  TestStore() : db_path_((dir_.path() / "tributary.db").string()), secrets_(crypto::random_bytes(32)) {
    db_ = must(store::open_database(db_path_), "open_database");
    conn_ = must(db_->connect(), "connect");
    must(store::migrate(*conn_), "migrate");
    writer_ = std::make_unique<store::Writer>(must(db_->connect(), "connect"));
    writer_->start();
    pool_ = std::make_unique<store::Pool>(*db_);
  }
  ~TestStore() { writer_->stop(); }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  const std::string& db_path() const { return db_path_; }
  store::Database& db() { return *db_; }
  store::Pool& pool() { return *pool_; }
  store::Writer& writer() { return *writer_; }
  const SecretBox& secrets() const { return secrets_; }
  // A connection of the test's own, for reads and direct changes.
  store::Connection& conn() { return *conn_; }

  std::string add_integration(const std::string& tool, const std::string& category,
                              const std::string& scope_json,
                              std::optional<std::string> remote_base_url = std::nullopt,
                              std::string_view credentials = kPersonioCredentials,
                              const std::string& remote_auth_url = "") {
    store::IntegrationRow row;
    row.id = tool + ":" + crypto::random_token(8);
    row.tool = tool;
    row.category = category;
    row.end_user = R"({"organization_name":"Acme","creator_email":"ops@acme.test","origin_id":"acme-1"})";
    row.credentials = secrets_.seal(credentials, SecretBox::credentials_of(row.id));
    row.remote_base_url = std::move(remote_base_url);
    if (!remote_auth_url.empty()) row.remote_auth_url = remote_auth_url;
    row.scope = scope_json;
    row.sync = "{}";
    row.created_at = now_ms();
    row.updated_at = row.created_at;
    must(writer_->run([&](store::Connection& c) { return store::integrations::insert(c, row); }),
         "insert integration");
    return row.id;
  }

  store::IntegrationRow integration(const std::string& id, bool include_deleted = true) {
    auto row = must(store::integrations::get(*conn_, id, include_deleted), "get integration");
    if (!row) throw std::runtime_error("integration " + id + " not found");
    return *row;
  }

  void set_scope(const std::string& id, const std::string& scope_json) {
    store::IntegrationRow row = integration(id);
    row.scope = scope_json;
    row.updated_at = now_ms();
    must(writer_->run([&](store::Connection& c) { return store::integrations::update(c, row); }),
         "update scope");
  }

  struct Endpoint {
    std::string id;
    std::string secret;  // plaintext "whsec_…"
  };
  Endpoint add_endpoint(const std::string& url, std::vector<std::string> event_types = {},
                        bool enabled = true) {
    Endpoint ep{new_id("ep"), "whsec_" + crypto::base64_encode(crypto::random_bytes(32))};
    store::EndpointRow row;
    row.id = ep.id;
    row.url = url;
    row.event_types = std::move(event_types);
    row.enabled = enabled;
    row.secret = secrets_.seal(ep.secret, SecretBox::secret_of("endpoints", ep.id));
    row.created_at = now_ms();
    row.updated_at = row.created_at;
    must(writer_->run([&](store::Connection& c) { return store::endpoints::insert(c, row); }),
         "insert endpoint");
    return ep;
  }

  store::EndpointRow endpoint(const std::string& id) {
    auto row = must(store::endpoints::get(*conn_, id), "get endpoint");
    if (!row) throw std::runtime_error("endpoint " + id + " not found");
    return *row;
  }

  // An inbox row as the ingress leaves it for the processor: outcome "received" with the mapped events.
  // `delivery_id`: the vendor's delivery id (the dedupe key is made of it, as the ingress does).
  std::string add_inbox(const std::optional<std::string>& integration_id,
                        const std::string& unified_events_json,
                        const std::string& vendor_event = "person.created",
                        const std::optional<std::string>& delivery_id = std::nullopt) {
    store::InboxRow row;
    row.id = new_id("in");
    row.received_at = now_ms();
    row.integration_id = integration_id;
    row.tool = integration_id ? integration_id->substr(0, integration_id->find(':')) : "personio";
    row.method = "POST";
    row.path = "/ingress/test/token";
    row.headers = "[]";
    row.body = "{}";
    row.body_size = 2;
    row.http_status = 200;
    row.verification = "test";
    row.outcome = store::InboxOutcome::kReceived;
    row.vendor_event = vendor_event;
    row.delivery_id = delivery_id;
    row.dedupe_key = "id:" + delivery_id.value_or(row.id);
    row.unified_events = unified_events_json;
    must(writer_->run([&](store::Connection& c) { return store::inbox::insert(c, row); }),
         "insert inbox row");
    return row.id;
  }

  store::InboxRow inbox(const std::string& id) {
    auto row = must(store::inbox::get(*conn_, id), "get inbox row");
    if (!row) throw std::runtime_error("inbox row " + id + " not found");
    return *row;
  }

  // An event with one pending delivery per endpoint, due now (what the processor writes).
  std::string add_event(const std::vector<std::string>& endpoint_ids, std::string payload = {}) {
    store::EventRow event;
    event.id = new_id("evt");
    event.type = "remote-event-received";
    event.created_at = now_ms();
    event.payload = payload.empty()
                        ? R"({"id":")" + event.id + R"(","type":"remote-event-received","data":{}})"
                        : std::move(payload);
    must(writer_->run([&](store::Connection& c) -> Status {
      if (auto s = store::events::insert(c, event); !s) return s;
      for (const auto& ep : endpoint_ids)
        if (auto s = store::deliveries::insert(c, event.id, ep, event.created_at); !s) return s;
      return {};
    }),
         "insert event");
    return event.id;
  }

  std::vector<store::DeliveryRow> deliveries(const std::string& event_id) {
    return must(store::deliveries::for_event(*conn_, event_id), "deliveries");
  }
  store::DeliveryRow delivery(const std::string& event_id, const std::string& endpoint_id) {
    for (auto& d : deliveries(event_id))
      if (d.endpoint_id == endpoint_id) return d;
    throw std::runtime_error("no delivery of " + event_id + " to " + endpoint_id);
  }
  std::vector<store::AttemptRow> attempts(const std::string& event_id) {
    return must(store::attempts::for_event(*conn_, event_id), "attempts");
  }
  std::int64_t count(const std::string& sql, const std::vector<store::Value>& params = {}) {
    auto rows = must(conn_->query(sql, params), "count query");
    return rows.empty() ? 0 : rows.front().int64(0);
  }

 private:
  TempDir dir_;
  std::string db_path_;
  SecretBox secrets_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::Writer> writer_;
  std::unique_ptr<store::Pool> pool_;
};

// A downstream endpoint with scripted answers.
class FakeEndpoint {
 public:
  struct Reply {
    int status = 200;
    HeaderList headers;
    std::string body = R"({"ok":true})";
    bool hold = false;  // keep the request unanswered until release_held() (or the endpoint's end)
  };
  struct Received {
    http::Request request;
    std::chrono::steady_clock::time_point at;
  };

  FakeEndpoint() {
    http::ServerOptions options;
    options.threads = 2;
    options.shutdown_grace = 500ms;
    server_ = std::make_unique<http::Server>(options, [this](http::Request request, http::Responder respond) {
      Reply reply;
      {
        MutexLock lock(mu_);
        if (!script_.empty()) {
          reply = std::move(script_.front());
          script_.pop_front();
        } else {
          reply = default_;
        }
        received_.push_back(Received{std::move(request), std::chrono::steady_clock::now()});
        if (reply.hold) held_.push_back(std::move(respond));
      }
      cv_.notify_all();
      if (!reply.hold) respond(make_response(reply));
    });
    auto started = server_->start();
    if (!started) throw std::runtime_error("FakeEndpoint: " + started.error().message);
  }
  ~FakeEndpoint() {
    release_held();
    server_->stop();
  }
  FakeEndpoint(const FakeEndpoint&) = delete;
  FakeEndpoint& operator=(const FakeEndpoint&) = delete;

  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  // The next requests get these replies, in order; later ones get the default (200 unless set).
  FakeEndpoint& then(Reply reply) {
    MutexLock lock(mu_);
    script_.push_back(std::move(reply));
    return *this;
  }
  FakeEndpoint& fail_next(int n, int status) {
    for (int i = 0; i < n; ++i)
      then(Reply{status, {}, R"({"error":"scripted failure"})"});
    return *this;
  }
  void set_default(Reply reply) {
    MutexLock lock(mu_);
    default_ = std::move(reply);
  }
  void hold_everything() { set_default(Reply{200, {}, "{}", true}); }
  // Answers every held request with `status` (and stops holding new ones when `stop_holding`).
  void release_held(int status = 200, bool stop_holding = true) {
    std::vector<http::Responder> held;
    {
      MutexLock lock(mu_);
      held.swap(held_);
      if (stop_holding) default_.hold = false;
    }
    for (auto& respond : held)
      respond(http::Response::json(status, "{}"));
  }

  std::vector<Received> received() const {
    MutexLock lock(mu_);
    return received_;
  }
  std::size_t count() const {
    MutexLock lock(mu_);
    return received_.size();
  }
  std::size_t held() const {
    MutexLock lock(mu_);
    return held_.size();
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const {
    MutexLock lock(mu_);
    return lock.wait_for(cv_, timeout, [&]() REQUIRES(mu_) { return received_.size() >= n; });
  }

 private:
  static http::Response make_response(const Reply& reply) {
    http::Response response = http::Response::json(reply.status, reply.body);
    for (const auto& [k, v] : reply.headers)
      response.with_header(k, v);
    return response;
  }

  mutable Mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Reply> script_ GUARDED_BY(mu_);
  Reply default_ GUARDED_BY(mu_);
  std::vector<Received> received_ GUARDED_BY(mu_);
  std::vector<http::Responder> held_ GUARDED_BY(mu_);
  std::unique_ptr<http::Server> server_;
};

// A CurlClient that may connect to loopback (the SSRF guard blocks it otherwise).
inline std::unique_ptr<http::CurlClient> loopback_client() {
  http::CurlClientOptions options;
  options.guard = must(http::NetworkGuard::create({"127.0.0.0/8"}), "NetworkGuard");
  options.max_host_connections = 64;
  return std::make_unique<http::CurlClient>(options);
}

struct Reply {
  int status = 0;
  std::string body;
  HeaderList headers;
  std::string error;
};

inline Reply call(http::HttpClient& client, std::string method, std::string url, std::string body = {},
                  HeaderList headers = {}) {
  http::ClientRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  if (!request.body.empty()) headers.emplace_back("Content-Type", "application/json");
  request.headers = std::move(headers);
  request.timeout = 10s;
  auto response = client.send_sync(std::move(request));
  return Reply{response.status, std::move(response.body), std::move(response.headers),
               std::move(response.error)};
}

}  // namespace tributary::pipeline_testing
