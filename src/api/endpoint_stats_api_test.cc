// GET /v1/webhook-endpoints/{id}/stats on a real database (SQLite, and PostgreSQL when
// TRIBUTARY_TEST_POSTGRES_URL is set): the window's attempts only, of this endpoint only; success is a 2xx
// answer; latency percentiles by rank; waiting deliveries by state.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "api/api.h"
#include "core/clock.h"
#include "store/database.h"
#include "store/outbox_repo.h"
#include "store/pool.h"
#include "store/schema.h"
#include "testing/test_db.h"

namespace tributary::api {
namespace {

namespace bj = boost::json;

constexpr const char* kKey = "stats-test-key";

class EndpointStatsTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == store::Backend::kPostgres && store::testing_db::postgres_url().empty()) {
      GTEST_SKIP() << store::testing_db::kPostgresUrlEnv << " is not set: PostgreSQL case skipped";
    }
    auto made = scratch_.create(GetParam());
    ASSERT_TRUE(made.ok()) << made.error().message;
    auto db = store::open_database(scratch_.url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    auto conn = db_->connect();
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    conn_ = std::move(*conn);
    ASSERT_TRUE(store::migrate(*conn_).ok());
    pool_ = std::make_unique<store::Pool>(*db_);
    auth_ = std::make_unique<Authenticator>(*pool_, kKey);
    ctx_.pool = pool_.get();
    ctx_.auth = auth_.get();
    add_endpoint_stats_routes(router_, ctx_);
    now_ = now_ms();
    add_endpoint("ep_a");
    add_endpoint("ep_b");
    add_endpoint("ep_quiet");
  }

  void TearDown() override {
    conn_.reset();
    pool_.reset();
    db_.reset();
    scratch_.drop();
  }

  void add_endpoint(const std::string& id) {
    store::EndpointRow row;
    row.id = id;
    row.url = "http://127.0.0.1:9/" + id;
    row.secret = "sealed";
    row.created_at = row.updated_at = now_;
    ASSERT_TRUE(store::endpoints::insert(*conn_, row).ok());
  }

  // An event delivered to `endpoint`, its delivery left in `status`; returns the delivery's seq.
  std::int64_t add_delivery(const std::string& endpoint, const std::string& status) {
    store::EventRow event;
    event.id = "evt_" + std::to_string(++events_);
    event.type = "remote-event-received";
    event.payload = "{}";
    event.created_at = now_;
    EXPECT_TRUE(store::events::insert(*conn_, event).ok());
    EXPECT_TRUE(store::deliveries::insert(*conn_, event.id, endpoint, now_).ok());
    auto rows = store::deliveries::for_event(*conn_, event.id);
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    store::DeliveryRow d = rows->front();
    d.status = store::parse_state<store::DeliveryStatus>(status).value();
    EXPECT_TRUE(store::deliveries::record_result(*conn_, d).ok());
    last_event_ = event.id;
    return d.seq;
  }

  void add_attempt(const std::string& endpoint, Millis ago, std::optional<int> status, double latency) {
    std::int64_t seq = add_delivery(endpoint, "succeeded");
    store::AttemptRow a;
    a.delivery_seq = seq;
    a.event_id = last_event_;
    a.endpoint_id = endpoint;
    a.attempted_at = now_ - ago;
    a.status_code = status;
    a.latency_ms = latency;
    if (!status) a.error = "timed out";
    ASSERT_TRUE(store::attempts::insert(*conn_, a).ok());
  }

  struct Answer {
    int status;
    bj::value body;
  };

  Answer get(const std::string& target, bool with_key = true) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    auto q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = http::parse_query(target.substr(q + 1));
    if (with_key) request.headers.emplace_back("Authorization", std::string("Bearer ") + kKey);
    Answer out{-1, nullptr};
    router_.dispatch(std::move(request), [&out](http::Response r) {
      out.status = r.status;
      boost::system::error_code ec;
      out.body = bj::parse(r.body, ec);
    });
    return out;
  }

  store::testing_db::ScratchDatabase scratch_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::Pool> pool_;
  std::unique_ptr<Authenticator> auth_;
  ApiContext ctx_;
  http::Router router_;
  Millis now_ = 0;
  int events_ = 0;
  std::string last_event_;
};

constexpr Millis kMinute = 60 * 1000;

TEST_P(EndpointStatsTest, LastHourOfThisEndpointOnly) {
  add_attempt("ep_a", 1 * kMinute, 200, 10);
  add_attempt("ep_a", 2 * kMinute, 200, 20);
  add_attempt("ep_a", 3 * kMinute, 500, 30);
  add_attempt("ep_a", 4 * kMinute, std::nullopt, 40);
  add_attempt("ep_a", 50 * kMinute, 204, 1000);
  add_attempt("ep_a", 120 * kMinute, 500, 5000);  // before the window
  add_attempt("ep_b", 1 * kMinute, 200, 7);       // another endpoint

  auto r = get("/v1/webhook-endpoints/ep_a/stats");
  ASSERT_EQ(r.status, 200) << bj::serialize(r.body);
  const auto& d = r.body.at("data").as_object();
  EXPECT_EQ(d.at("endpoint_id").as_string(), "ep_a");
  EXPECT_EQ(d.at("attempts").as_int64(), 5);
  EXPECT_EQ(d.at("succeeded").as_int64(), 3);
  EXPECT_EQ(d.at("failed").as_int64(), 2);
  EXPECT_DOUBLE_EQ(d.at("success_rate").to_number<double>(), 0.6);
  const auto& latency = d.at("latency_ms").as_object();
  EXPECT_DOUBLE_EQ(latency.at("avg").to_number<double>(), 220.0);
  EXPECT_DOUBLE_EQ(latency.at("p50").to_number<double>(), 30.0);
  EXPECT_DOUBLE_EQ(latency.at("p95").to_number<double>(), 40.0);
  EXPECT_DOUBLE_EQ(latency.at("max").to_number<double>(), 1000.0);
  auto since = parse_iso8601(d.at("since").as_string());
  auto until = parse_iso8601(d.at("until").as_string());
  ASSERT_TRUE(since && until);
  EXPECT_NEAR(static_cast<double>(*until - *since), 60.0 * kMinute, 1000.0);
}

TEST_P(EndpointStatsTest, SinceWidensTheWindow) {
  add_attempt("ep_a", 1 * kMinute, 200, 10);
  add_attempt("ep_a", 120 * kMinute, 500, 5000);
  std::string since = format_iso8601(now_ms() - 180 * kMinute);
  auto r = get("/v1/webhook-endpoints/ep_a/stats?since=" + since);
  ASSERT_EQ(r.status, 200) << bj::serialize(r.body);
  const auto& d = r.body.at("data").as_object();
  EXPECT_EQ(d.at("attempts").as_int64(), 2);
  EXPECT_EQ(d.at("succeeded").as_int64(), 1);
  EXPECT_DOUBLE_EQ(d.at("latency_ms").at("max").to_number<double>(), 5000.0);
}

TEST_P(EndpointStatsTest, WithoutAttemptsRatesAndLatenciesAreNull) {
  auto r = get("/v1/webhook-endpoints/ep_quiet/stats");
  ASSERT_EQ(r.status, 200) << bj::serialize(r.body);
  const auto& d = r.body.at("data").as_object();
  EXPECT_EQ(d.at("attempts").as_int64(), 0);
  EXPECT_TRUE(d.at("success_rate").is_null());
  for (const char* k : {"avg", "p50", "p95", "max"})
    EXPECT_TRUE(d.at("latency_ms").at(k).is_null()) << k;
  const auto& waiting = d.at("deliveries").as_object();
  EXPECT_EQ(waiting.at("pending").as_int64(), 0);
  EXPECT_EQ(waiting.at("sending").as_int64(), 0);
  EXPECT_EQ(waiting.at("failed").as_int64(), 0);
}

TEST_P(EndpointStatsTest, CountsWaitingDeliveriesByState) {
  add_delivery("ep_a", "pending");
  add_delivery("ep_a", "pending");
  add_delivery("ep_a", "sending");
  add_delivery("ep_a", "failed");
  add_delivery("ep_a", "succeeded");
  add_delivery("ep_b", "failed");
  auto r = get("/v1/webhook-endpoints/ep_a/stats");
  ASSERT_EQ(r.status, 200) << bj::serialize(r.body);
  const auto& waiting = r.body.at("data").at("deliveries").as_object();
  EXPECT_EQ(waiting.at("pending").as_int64(), 2);
  EXPECT_EQ(waiting.at("sending").as_int64(), 1);
  EXPECT_EQ(waiting.at("failed").as_int64(), 1);
  EXPECT_EQ(waiting.size(), 3u);
}

TEST_P(EndpointStatsTest, RefusesUnknownEndpointsBadWindowsAndMissingKeys) {
  EXPECT_EQ(get("/v1/webhook-endpoints/ep_nope/stats").status, 404);
  EXPECT_EQ(get("/v1/webhook-endpoints/ep_a/stats?since=yesterday").status, 400);
  EXPECT_EQ(get("/v1/webhook-endpoints/ep_a/stats?since=" + format_iso8601(now_ms() + 60 * kMinute)).status,
            400);
  EXPECT_EQ(get("/v1/webhook-endpoints/ep_a/stats", false).status, 401);
}

// Every connection of the pool in use for longer than an acquire waits: the API answers 503 with Retry-After
// (the database is busy), never 500, and never 401 for a key it could not look up.
TEST_P(EndpointStatsTest, AnExhaustedPoolIsA503NotAnErrorOrAnInvalidKey) {
  ctx_.pool = nullptr;
  auth_.reset();
  pool_ = std::make_unique<store::Pool>(*db_, store::PoolOptions{1, std::chrono::milliseconds(50)});
  auth_ = std::make_unique<Authenticator>(*pool_, kKey);
  ctx_.pool = pool_.get();
  ctx_.auth = auth_.get();
  std::optional<store::Pool::Lease> held;
  {
    auto lease = pool_->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    held.emplace(std::move(*lease));
  }

  http::Response busy;
  http::Request request;
  request.method = "GET";
  request.target = request.path = "/v1/webhook-endpoints/ep_a/stats";
  request.headers.emplace_back("Authorization", std::string("Bearer ") + kKey);
  router_.dispatch(request, [&busy](http::Response r) { busy = std::move(r); });
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.header("Retry-After").value_or(""), "1");

  // A key that is not the configured one must be looked up: that cannot happen now, which is not "invalid".
  http::Request other = request;
  other.headers = {{"Authorization", "Bearer trib_not_cached_key"}};
  http::Response unchecked;
  router_.dispatch(other, [&unchecked](http::Response r) { unchecked = std::move(r); });
  EXPECT_EQ(unchecked.status, 503) << unchecked.body;

  held.reset();
  EXPECT_EQ(get("/v1/webhook-endpoints/ep_a/stats").status, 200);
  http::Response invalid;
  router_.dispatch(other, [&invalid](http::Response r) { invalid = std::move(r); });
  EXPECT_EQ(invalid.status, 401) << invalid.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, EndpointStatsTest, store::testing_db::kBackends,
                         store::testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::api
