// The API limits every simulator enforces by default (the figures each connector declares, from the tool's
// documentation): requests beyond the limit are refused with the tool's status and Retry-After, the tool's
// rate-limit headers go on every answer where the tool sends them, endpoint limits (SmartRecruiters' GET
// /candidates one at a time, Personio's employees and token endpoint, HiBob's people search) apply beside the
// overall one, and POST /_sim/limits changes the limits or switches them off.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "core/clock.h"
#include "sim/common/test_support.h"
#include "sim/simulator.h"

namespace tributary::sim {
namespace {

namespace bj = boost::json;
using testing::call;
using testing::Reply;

struct Documented {
  std::string tool;
  int requests;  // the overall limit's first window
  std::int64_t window_ms;
  int refusal_status;
  std::string headers;  // "workable", "x-ratelimit", "smartrecruiters", "none"
};

const std::vector<Documented>& documented() {
  static const std::vector<Documented> table = {
      {"workable", 10, 10'000, 429, "workable"},
      {"smartrecruiters", 10, 1000, 429, "smartrecruiters"},
      {"greenhouse", 50, 10'000, 429, "x-ratelimit"},
      {"hibob", 50, 60'000, 429, "none"},
      {"personio", 5, 1000, 429, "none"},
      {"lever", 20, 2000, 429, "none"},
      {"bamboohr", 5, 1000, 503, "none"},
      {"ashby", 5, 1000, 429, "none"},
      {"recruitee", 5, 1000, 429, "none"},
      {"teamtailor", 5, 1000, 429, "none"},
  };
  return table;
}

const Documented& documented(const std::string& tool) {
  for (const auto& d : documented())
    if (d.tool == tool) return d;
  throw std::runtime_error("no documented limits for " + tool);
}

class SimLimits : public ::testing::Test {
 protected:
  void start(const std::string& tool) {
    sim_ = make_simulator(tool, SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
  }
  void TearDown() override {
    if (sim_) sim_->stop();
  }
  Reply vendor(const std::string& method = "GET", const std::string& path = "/no-such-vendor-route") {
    return call(client_, method, sim_->base_url() + path, method == "POST" ? "{}" : "");
  }
  Reply limits(const std::string& body) {
    return call(client_, "POST", sim_->base_url() + "/_sim/limits", body);
  }
  static bool limited(const Reply& r) { return r.status == 429 || r.status == 503; }
  static int retry_after(const Reply& r) {
    auto h = r.header("Retry-After");
    return h.empty() ? -1 : std::stoi(h);
  }

  http::CurlClient client_{http::CurlClientOptions{}};
  std::unique_ptr<Simulator> sim_;
};

class DocumentedLimits : public SimLimits, public ::testing::WithParamInterface<Documented> {};

// The first `requests` answers pass, the next is refused with the tool's status and a Retry-After within the
// window; the headers state the limit and what remains.
TEST_P(DocumentedLimits, RefusesTheRequestBeyondTheLimitWithRetryAfter) {
  const Documented& d = GetParam();
  start(d.tool);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < d.requests; ++i) {
    Reply r = vendor();
    ASSERT_FALSE(limited(r)) << d.tool << " request " << i << ": " << r.status << " " << r.body;
    const std::int64_t now_s = now_ms() / 1000;
    if (d.headers == "workable" || d.headers == "x-ratelimit" || d.headers == "smartrecruiters") {
      const std::string prefix = d.headers == "workable" ? "X-Rate-Limit-" : "X-RateLimit-";
      EXPECT_EQ(r.header(prefix + "Limit"), std::to_string(d.requests)) << d.tool;
      EXPECT_EQ(r.header(prefix + "Remaining"), std::to_string(d.requests - i - 1)) << d.tool;
      if (d.headers != "smartrecruiters") {
        const std::int64_t reset = std::stoll(r.header(prefix + "Reset"));
        EXPECT_GE(reset, now_s) << d.tool;
        EXPECT_LE(reset, now_s + d.window_ms / 1000 + 2) << d.tool;
      } else {
        EXPECT_EQ(r.header("X-RateLimit-Concurrent-Limit"), "8");
        EXPECT_EQ(r.header("X-RateLimit-Concurrent-Remaining"), "7");
      }
    } else {
      EXPECT_EQ(r.header("X-RateLimit-Limit"), "") << d.tool;
      EXPECT_EQ(r.header("X-Rate-Limit-Limit"), "") << d.tool;
    }
  }
  Reply refused = vendor();
  const auto elapsed = std::chrono::steady_clock::now() - began;
  // Only meaningful when every request arrived inside one window (always, but for a stalled machine).
  if (elapsed >= std::chrono::milliseconds(d.window_ms)) GTEST_SKIP() << "the requests spanned the window";
  EXPECT_EQ(refused.status, d.refusal_status) << d.tool << ": " << refused.body;
  EXPECT_GE(retry_after(refused), 1) << d.tool;
  EXPECT_LE(retry_after(refused), (d.window_ms + 999) / 1000) << d.tool;
  if (d.headers == "workable") {
    EXPECT_EQ(refused.header("X-Rate-Limit-Remaining"), "0");
  }
  if (d.headers == "x-ratelimit" || d.headers == "smartrecruiters") {
    EXPECT_EQ(refused.header("X-RateLimit-Remaining"), "0");
  }
  auto state = call(client_, "GET", sim_->base_url() + "/_sim/limits").json();
  EXPECT_EQ(state.at("rejected"), bj::value(1));
  EXPECT_EQ(state.at("total"), bj::value(d.requests + 1));
}

// The control routes never count, and are never refused.
TEST_P(DocumentedLimits, ControlRoutesAreNotLimited) {
  start(GetParam().tool);
  for (int i = 0; i < 60; ++i)
    ASSERT_EQ(call(client_, "GET", sim_->base_url() + "/_sim/limits").status, 200);
  EXPECT_EQ(call(client_, "GET", sim_->base_url() + "/_sim/limits").json().at("total"), bj::value(0));
}

// POST /_sim/limits replaces the limit (one overall window), switches it off, and restores the documented
// one.
TEST_P(DocumentedLimits, TheControlChangesSwitchesOffAndRestoresTheLimits) {
  const Documented& d = GetParam();
  start(d.tool);
  Reply set = limits(R"({"requests": 2, "window_ms": 60000})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().at("custom"), bj::value(true));
  EXPECT_FALSE(limited(vendor()));
  EXPECT_FALSE(limited(vendor()));
  Reply refused = vendor();
  EXPECT_EQ(refused.status, d.refusal_status);
  EXPECT_GE(retry_after(refused), 1);
  EXPECT_LE(retry_after(refused), 60);

  ASSERT_EQ(limits(R"({"enforce": false})").status, 200);
  for (int i = 0; i < d.requests + 5; ++i) {
    Reply r = vendor();
    ASSERT_FALSE(limited(r)) << i;
    EXPECT_EQ(r.header("X-RateLimit-Limit"), "");
    EXPECT_EQ(r.header("X-Rate-Limit-Limit"), "");
  }

  Reply restored = limits(R"({"enforce": true})");
  ASSERT_EQ(restored.status, 200);
  EXPECT_EQ(restored.json().at("custom"), bj::value(false));
  EXPECT_EQ(restored.json().at("overall").at("windows").at(0).at("requests"), bj::value(d.requests));
  EXPECT_EQ(restored.json().at("total"), bj::value(0));

  EXPECT_EQ(limits(R"({"requests": 0, "window_ms": 1000})").status, 400);
  EXPECT_EQ(limits(R"({"enforce": "no"})").status, 400);
  EXPECT_EQ(limits(R"({"requests": 5})").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Tools, DocumentedLimits, ::testing::ValuesIn(documented()),
                         [](const auto& info) { return info.param.tool; });

TEST(SimLimitsTable, CoversEveryTool) {
  for (const auto& tool : simulator_tools())
    EXPECT_NO_THROW(documented(tool)) << tool;
}

// SmartRecruiters: GET /candidates (the list) one at a time; while one is in the tool a second is refused,
// GET /candidates/{id} is not.
TEST_F(SimLimits, SmartRecruitersListsCandidatesOneAtATime) {
  start("smartrecruiters");
  ASSERT_EQ(call(client_, "POST", sim_->base_url() + "/_sim/faults", R"({"hold": "/candidates"})").status,
            200);
  auto first = std::async(std::launch::async, [this] {
    http::CurlClient own{http::CurlClientOptions{}};
    return call(own, "GET", sim_->base_url() + "/candidates");
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (call(client_, "GET", sim_->base_url() + "/_sim/faults").json().at("held") != bj::value(1)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reply second = vendor("GET", "/candidates");
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(retry_after(second), 1);
  EXPECT_EQ(second.header("X-RateLimit-Concurrent-Limit"), "1");
  EXPECT_EQ(second.header("X-RateLimit-Concurrent-Remaining"), "0");
  ASSERT_EQ(call(client_, "POST", sim_->base_url() + "/_sim/faults", "{}").status, 200);
  Reply answered = first.get();
  EXPECT_NE(answered.status, 429);
  EXPECT_EQ(answered.header("X-RateLimit-Concurrent-Limit"), "1");
  EXPECT_EQ(answered.header("X-RateLimit-Concurrent-Remaining"), "0");
  // Answered: the next list is let in.
  EXPECT_NE(vendor("GET", "/candidates").status, 429);
}

// Personio: the token endpoint 150 per minute and the persons 15 per second, each beside the 5 per second of
// the other endpoints.
TEST_F(SimLimits, PersonioLimitsTheTokenEndpointAndThePersonsOnTheirOwn) {
  start("personio");
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 15; ++i)
    ASSERT_NE(vendor("GET", "/v2/persons").status, 429) << i;
  Reply burst = vendor("GET", "/v2/persons");
  for (int i = 0; i < 5; ++i)
    ASSERT_NE(vendor().status, 429) << i;
  if (std::chrono::steady_clock::now() - began < std::chrono::seconds(1)) {
    EXPECT_EQ(burst.status, 429);
    EXPECT_EQ(retry_after(burst), 1);
    EXPECT_EQ(vendor().status, 429);
  }
  for (int i = 0; i < 150; ++i)
    ASSERT_NE(vendor("POST", "/v2/auth/token").status, 429) << i;
  Reply token = vendor("POST", "/v2/auth/token");
  EXPECT_EQ(token.status, 429);
  EXPECT_GE(retry_after(token), 1);
  EXPECT_LE(retry_after(token), 60);
}

// HiBob: people search 50 per minute, counted apart from the other endpoints.
TEST_F(SimLimits, HiBobLimitsPeopleSearchOnItsOwn) {
  start("hibob");
  for (int i = 0; i < 50; ++i)
    ASSERT_NE(vendor("POST", "/v1/people/search").status, 429) << i;
  Reply refused = vendor("POST", "/v1/people/search");
  EXPECT_EQ(refused.status, 429);
  EXPECT_GE(retry_after(refused), 1);
  EXPECT_LE(retry_after(refused), 60);
  EXPECT_NE(vendor().status, 429);
}

// Greenhouse's authorization host publishes no limit and is not limited.
TEST_F(SimLimits, GreenhouseAuthorizationHostIsNotLimited) {
  start("greenhouse");
  for (int i = 0; i < 60; ++i)
    ASSERT_NE(call(client_, "POST", sim_->auth_base_url() + "/token", "{}").status, 429) << i;
  EXPECT_EQ(call(client_, "GET", sim_->base_url() + "/_sim/limits").json().at("total"), bj::value(0));
}

}  // namespace
}  // namespace tributary::sim
