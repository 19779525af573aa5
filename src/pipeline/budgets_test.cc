#include "pipeline/budgets.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "connectors/common/records.h"
#include "connectors/registry.h"
#include "pipeline/api_context.h"
#include "testing/test_support.h"

namespace tributary::pipeline {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

const connectors::Connector& tool(std::string_view name) {
  return *connectors::builtin_registry().find(name);
}

TEST(BudgetsTest, EveryConnectorDeclaresLimitsAndWorkableItsDocumentedOnes) {
  for (const auto* connector : connectors::builtin_registry().all()) {
    const ApiLimits limits = connector->api_limits();
    EXPECT_TRUE(limits.limited()) << connector->tool();
    EXPECT_GT(limits.concurrency, 0) << connector->tool();
  }
  const ApiLimits workable = tool("workable").api_limits();
  EXPECT_EQ(workable.requests, 10);
  EXPECT_EQ(workable.window_ms, 10'000);
  EXPECT_EQ(tool("smartrecruiters").api_limits().concurrency, 8);
}

TEST(BudgetsTest, AnIntegrationsRateLimitOverridesTheDeclaredLimits) {
  const auto& workable = tool("workable");
  const ApiLimits own = effective_limits(workable, R"({"requests":50,"window_ms":10000})");
  EXPECT_EQ(own.requests, 50);
  EXPECT_EQ(own.window_ms, 10'000);
  EXPECT_EQ(own.concurrency, workable.api_limits().concurrency);  // not given: the declared one
  EXPECT_EQ(effective_limits(workable, std::nullopt), workable.api_limits());
  EXPECT_EQ(effective_limits(workable, R"({"requests":2,"window_ms":500,"concurrency":1})").concurrency, 1);
}

TEST(BudgetsTest, RateLimitIsChecked) {
  const ApiLimits declared = tool("workable").api_limits();
  for (const char* bad :
       {R"(5)", R"({})", R"({"requests":0,"window_ms":1000})", R"({"requests":10,"window_ms":0})",
        R"({"requests":10,"window_ms":1000,"burst":3})",
        R"({"requests":10,"window_ms":1000,"concurrency":0})", R"({"requests":"10","window_ms":1})"}) {
    auto got = parse_rate_limit(bj::parse(bad), declared);
    EXPECT_FALSE(got.ok()) << bad;
    if (!got.ok()) {
      EXPECT_EQ(got.error().kind, ErrorKind::kInvalidArgument) << bad;
    }
  }
  auto good = parse_rate_limit(bj::parse(R"({"requests":10,"window_ms":1000,"concurrency":3})"), declared);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(bj::serialize(rate_limit_json(*good)), R"({"requests":10,"window_ms":1000,"concurrency":3})");
}

TEST(BudgetsTest, OneBudgetPerIntegrationFollowingItsLimits) {
  Budgets budgets;
  ApiLimits limits{3, 1000, 2, {}};
  auto a = budgets.for_integration("i1", limits);
  EXPECT_EQ(a, budgets.for_integration("i1", limits));
  EXPECT_NE(a, budgets.for_integration("i2", limits));
  limits.requests = 9;
  budgets.for_integration("i1", limits);
  EXPECT_EQ(budgets.stats("i1")->limits.requests, 9);
  EXPECT_FALSE(budgets.stats("i3"));
  EXPECT_EQ(budgets.all().size(), 2u);
}

// get_with_retry with a budget: a 429 pauses the integration's budget for the tool's Retry-After, and the
// retry waits for it in the budget — never sooner than the tool asked — and the 429 is counted.
TEST(BudgetsTest, ARetryAfterA429WaitsAsLongAsTheToolAsked) {
  FakeEndpoint endpoint;
  auto client = loopback_client();
  Budgets budgets;
  connectors::ApiContext ctx;
  ctx.client = client.get();
  ctx.timeout = std::chrono::milliseconds(5000);
  ctx.budget = budgets.for_integration("i1", ApiLimits{100, 1000, 4, {}});
  endpoint.then({429, {{"Retry-After", "1"}}, "{}"}).then({200, {}, "{}"});
  http::ClientRequest req;
  req.method = "GET";
  req.url = endpoint.url("/x");
  req.timeout = ctx.timeout;
  auto response = connectors::common::get_with_retry(ctx, req, 3, std::chrono::milliseconds(10));
  EXPECT_EQ(response.status, 200);
  const auto received = endpoint.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_GE(received[1].at - received[0].at, std::chrono::milliseconds(990));  // max_wait (10 ms) not used
  EXPECT_EQ(ctx.budget->stats().throttled, 1u);
  EXPECT_EQ(ctx.budget->stats().requests, 2u);

  // A budget that cannot grant in time does not send, and its refusal is not retried.
  connectors::ApiContext tight = ctx;
  tight.budget = budgets.for_integration("i2", ApiLimits{1, 60'000, 1, {}});
  tight.budget_wait = std::chrono::milliseconds(50);
  endpoint.then({200, {}, "{}"});
  EXPECT_EQ(connectors::common::get_with_retry(tight, req).status, 200);
  auto refused = connectors::common::get_with_retry(tight, req);
  EXPECT_TRUE(connectors::is_budget_refusal(refused)) << refused.status << refused.error;
  EXPECT_EQ(endpoint.received().size(), 3u);
  EXPECT_EQ(tight.budget->stats().timed_out, 1u);
}

// SmartRecruiters allows one GET /candidates at a time (its other endpoints 8 at once): a second listing
// waits for the first to be answered, while a read of one candidate goes ahead.
TEST(BudgetsTest, AnEndpointLimitHoldsItsCallsOnly) {
  const SecretBox box(std::string(32, 'k'));
  auto client = loopback_client();
  FakeEndpoint endpoint;
  Budgets budgets;
  store::IntegrationRow row;
  row.id = "smartrecruiters:1";
  row.tool = "smartrecruiters";
  row.remote_base_url = endpoint.url("");
  auto ctx = api_context(row, tool("smartrecruiters"), box, *client, std::chrono::milliseconds(5000),
                         &budgets, Priority::kFetch);
  ASSERT_EQ(ctx.endpoint_budgets.size(), 1u);
  FakeEndpoint::Reply held;
  held.hold = true;
  endpoint.then(held);
  auto get = [&](const std::string& path) {
    http::ClientRequest req;
    req.method = "GET";
    req.url = ctx.base_url + path;
    req.timeout = ctx.timeout;
    return ctx.send(req);
  };
  std::thread first([&] { EXPECT_EQ(get("/candidates?limit=100").status, 200); });
  ASSERT_TRUE(wait_until([&] { return endpoint.received().size() == 1; }));
  std::thread second([&] { EXPECT_EQ(get("/candidates?limit=100&offset=100").status, 200); });
  // The second listing waits for the endpoint's grant, while another endpoint's call goes ahead.
  const auto& endpoint_budget = *ctx.endpoint_budgets[0].second;
  EXPECT_TRUE(wait_until([&] { return endpoint_budget.stats().waiting == 1; }));
  EXPECT_EQ(get("/candidates/42").status, 200);
  EXPECT_EQ(endpoint.received().size(), 2u) << "the second listing did not wait for the first";
  EXPECT_EQ(endpoint.received()[1].request.target, "/candidates/42");
  endpoint.release_held();
  first.join();
  second.join();
  ASSERT_EQ(endpoint.received().size(), 3u);
  EXPECT_EQ(endpoint.received()[2].request.target, "/candidates?limit=100&offset=100");
}

TEST(BudgetsTest, ApiContextTakesTheIntegrationsBudgetWithItsPriority) {
  const SecretBox box(std::string(32, 'k'));
  auto client = loopback_client();
  Budgets budgets;
  store::IntegrationRow row;
  row.id = "workable:1";
  row.tool = "workable";
  row.rate_limit = R"({"requests":50,"window_ms":10000})";
  auto ctx = api_context(row, tool("workable"), box, *client, std::chrono::milliseconds(100), &budgets,
                         Priority::kFetch);
  ASSERT_NE(ctx.budget, nullptr);
  EXPECT_EQ(ctx.priority, Priority::kFetch);
  EXPECT_EQ(ctx.budget->stats().limits.requests, 50);
  EXPECT_EQ(api_context(row, tool("workable"), box, *client, std::chrono::milliseconds(100)).budget, nullptr);
}

}  // namespace
}  // namespace tributary::pipeline
