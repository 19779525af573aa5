// The fault control every simulator serves: 401 while "unauthorized" is set, the next N vendor requests 429
// with Retry-After, requests held at a gate until released, control routes never affected, and each tool's
// own error body.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "sim/common/test_support.h"
#include "sim/simulator.h"

namespace tributary::sim {
namespace {

namespace bj = boost::json;
using testing::call;

class FaultsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    sim_ = make_simulator(GetParam(), SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    // The faults, not the tool's API limits (limits_test.cc).
    ASSERT_EQ(call(client_, "POST", sim_->base_url() + "/_sim/limits", R"({"enforce": false})").status, 200);
    baseline_ = vendor_status();
    ASSERT_NE(baseline_, 401);
    ASSERT_NE(baseline_, 429);
  }
  void TearDown() override { sim_->stop(); }

  testing::Reply faults(const std::string& body) {
    return call(client_, "POST", sim_->base_url() + "/_sim/faults", body);
  }
  // A path outside /_sim: whatever the tool answers without a fault (baseline_), never 401 or 429.
  int vendor_status() { return call(client_, "GET", sim_->base_url() + "/no-such-vendor-route").status; }

  http::CurlClient client_{http::CurlClientOptions{}};
  std::unique_ptr<Simulator> sim_;
  int baseline_ = 0;
};

TEST_P(FaultsTest, UnauthorizedAnswers401UntilCleared) {
  ASSERT_EQ(faults(R"({"unauthorized": true})").status, 200);
  EXPECT_EQ(vendor_status(), 401);
  EXPECT_EQ(vendor_status(), 401);
  // Control routes are never faulted.
  auto state = call(client_, "GET", sim_->base_url() + "/_sim/faults");
  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(state.json().at("unauthorized"), bj::value(true));
  ASSERT_EQ(faults(R"({"unauthorized": false})").status, 200);
  EXPECT_EQ(vendor_status(), baseline_);
}

TEST_P(FaultsTest, RateLimitAnswers429WithRetryAfterForTheNextRequests) {
  ASSERT_EQ(faults(R"({"rate_limit": {"count": 2, "retry_after_seconds": 7}})").status, 200);
  for (int i = 0; i < 2; ++i) {
    auto r = call(client_, "GET", sim_->base_url() + "/no-such-vendor-route");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.header("Retry-After"), "7");
    EXPECT_TRUE(r.json().is_object()) << r.body;
  }
  EXPECT_EQ(vendor_status(), baseline_);
}

TEST_P(FaultsTest, BadFaultBodiesAre400) {
  EXPECT_EQ(faults(R"({"unauthorized": "yes"})").status, 400);
  EXPECT_EQ(faults(R"({"rate_limit": {"count": -1}})").status, 400);
  EXPECT_EQ(faults(R"({"rate_limit": {"count": 1, "retry_after_seconds": "1"}})").status, 400);
  EXPECT_EQ(faults("[]").status, 400);
  EXPECT_EQ(faults(R"({"hold": "no-slash"})").status, 400);
  EXPECT_EQ(faults(R"({"hold": "/_sim/faults"})").status, 400);
  EXPECT_EQ(vendor_status(), baseline_);
}

TEST_P(FaultsTest, HoldKeepsMatchingRequestsUnansweredUntilReleased) {
  auto held_now = [&] {
    return call(client_, "GET", sim_->base_url() + "/_sim/faults").json().at("held").as_int64();
  };
  auto set = faults(R"({"hold": "/no-such-vendor"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().at("hold"), bj::value("/no-such-vendor"));
  std::vector<std::future<int>> inside;
  for (int i = 0; i < 2; ++i)
    inside.push_back(std::async(std::launch::async, [this] { return vendor_status(); }));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (held_now() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(held_now(), 2);
  // Both are inside at once, unanswered; another path and the control routes go through.
  for (auto& f : inside)
    EXPECT_EQ(f.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_NE(call(client_, "GET", sim_->base_url() + "/other-route").status, 0);
  auto released = faults("{}");
  ASSERT_EQ(released.status, 200);
  EXPECT_EQ(released.json().at("held"), bj::value(0));
  EXPECT_EQ(released.json().at("held_total"), bj::value(2));
  for (auto& f : inside)
    EXPECT_EQ(f.get(), baseline_);
  EXPECT_EQ(vendor_status(), baseline_);
}

INSTANTIATE_TEST_SUITE_P(EveryTool, FaultsTest, ::testing::ValuesIn(simulator_tools()));

TEST(Faults, ToolsShapeTheirErrorBodies) {
  http::CurlClient client{http::CurlClientOptions{}};
  auto personio = make_simulator("personio", SimOptions{});
  ASSERT_TRUE(personio->start().ok());
  ASSERT_EQ(call(client, "POST", personio->base_url() + "/_sim/faults", R"({"unauthorized": true})").status,
            200);
  auto r = call(client, "GET", personio->base_url() + "/v2/persons");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.json().as_object().contains("errors")) << r.body;
  personio->stop();

  auto greenhouse = make_simulator("greenhouse", SimOptions{});
  ASSERT_TRUE(greenhouse->start().ok());
  ASSERT_EQ(call(client, "POST", greenhouse->base_url() + "/_sim/faults",
                 R"({"rate_limit": {"count": 1, "retry_after_seconds": 2}})")
                .status,
            200);
  r = call(client, "POST", greenhouse->base_url() + "/token");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("Retry-After"), "2");
  EXPECT_TRUE(r.json().as_object().contains("error")) << r.body;
  greenhouse->stop();
}

}  // namespace
}  // namespace tributary::sim
