// Endpoint health with the real dispatcher against endpoints on 127.0.0.1 and a clock of the test's own for
// the health check: failed attempts start a failing run, a success ends it; an endpoint is disabled only once
// its run is older than disable_after, exactly once, with an endpoint-disabled event to the other endpoints
// that want it.
#include "delivery/endpoint_health.h"

#include <gtest/gtest.h>

#include "delivery/dispatcher.h"
#include "testing/test_support.h"

namespace tributary::delivery {
namespace {

using namespace pipeline_testing;

class TestClock final : public Clock {
 public:
  Millis now_ms() const override { return now_.load(); }
  void set(Millis t) { now_.store(t); }

 private:
  std::atomic<Millis> now_{0};
};

constexpr Millis kDisableAfter = 5LL * 24 * 3600 * 1000;

class EndpointHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = loopback_client();
    DispatcherOptions options;
    options.retry = RetryConfig{/*base_ms=*/50, /*factor=*/2.0, /*max_retries=*/2, /*jitter=*/0.0};
    options.timeout = 5000ms;
    dispatcher_ =
        std::make_unique<Dispatcher>(store_.pool(), store_.writer(), *client_, store_.secrets(), options);
    dispatcher_->start();
    EndpointHealthOptions health;
    health.disable_after_ms = kDisableAfter;
    health_ = std::make_unique<EndpointHealth>(store_.pool(), store_.writer(), health, clock_);
  }
  void TearDown() override {
    dispatcher_->stop(0ms);
    client_.reset();
    dispatcher_.reset();
  }

  std::vector<store::EventRow> events_of_type(const std::string& type) {
    store::EventFilter f;
    f.type = type;
    return must(store::events::list(store_.conn(), f), "events");
  }

  TestStore store_;
  TestClock clock_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<EndpointHealth> health_;
};

TEST_F(EndpointHealthTest, AnEndpointFailingForDisableAfterIsDisabledOnceAndTheOthersAreTold) {
  FakeEndpoint down;
  down.set_default(FakeEndpoint::Reply{500, {}, "{}"});
  FakeEndpoint other;  // never called here: see the end
  const auto failing = store_.add_endpoint(down.url(), {"remote-event-received"});
  const auto told = store_.add_endpoint(other.url(), {"endpoint-disabled"});
  const auto not_told = store_.add_endpoint(other.url("/other"), {"remote-event-received"});
  const auto event = store_.add_event({failing.id});
  ASSERT_TRUE(wait_until(
      [&] { return store_.delivery(event, failing.id).status == store::DeliveryStatus::kFailed; }));
  const auto failing_since = store_.endpoint(failing.id).failing_since;
  ASSERT_TRUE(failing_since);
  EXPECT_EQ(*failing_since, store_.attempts(event).front().attempted_at);  // the first failed attempt

  clock_.set(*failing_since + kDisableAfter);  // not older than disable_after yet
  EXPECT_EQ(must(health_->check_now(), "check"), 0);
  EXPECT_TRUE(store_.endpoint(failing.id).enabled);
  EXPECT_TRUE(events_of_type("endpoint-disabled").empty());

  clock_.set(*failing_since + kDisableAfter + 1);
  EXPECT_EQ(must(health_->check_now(), "check"), 1);
  const auto row = store_.endpoint(failing.id);
  EXPECT_FALSE(row.enabled);
  EXPECT_EQ(row.disabled_at, *failing_since + kDisableAfter + 1);
  EXPECT_NE(row.disabled_reason.value_or("").find("for more than 5 days"), std::string::npos)
      << row.disabled_reason.value_or("");
  auto sent = events_of_type("endpoint-disabled");
  ASSERT_EQ(sent.size(), 1u);
  const auto deliveries = store_.deliveries(sent.front().id);
  ASSERT_EQ(deliveries.size(), 1u);  // to the endpoint that wants it, not to the disabled one or the other
  EXPECT_EQ(deliveries.front().endpoint_id, told.id);
  EXPECT_NE(sent.front().payload.find(failing.id), std::string::npos);
  // Queued at the health check's time (this test's clock runs days ahead: the node test sees it sent).
  EXPECT_EQ(deliveries.front().status, store::DeliveryStatus::kPending);
  EXPECT_EQ(deliveries.front().next_attempt_at, *failing_since + kDisableAfter + 1);
  EXPECT_TRUE(store_.deliveries(event).size() == 1 && store_.endpoint(not_told.id).enabled);

  // Checked again (another node, the next period): already disabled, nothing more.
  EXPECT_EQ(must(health_->check_now(), "check"), 0);
  EXPECT_EQ(events_of_type("endpoint-disabled").size(), 1u);
}

TEST_F(EndpointHealthTest, ASuccessEndsTheRunAndTheEndpointStaysEnabled) {
  FakeEndpoint flaky;
  flaky.fail_next(2, 500);  // the first attempt and one retry fail; the second retry succeeds
  const auto ep = store_.add_endpoint(flaky.url());
  const auto event = store_.add_event({ep.id});
  ASSERT_TRUE(
      wait_until([&] { return store_.delivery(event, ep.id).status == store::DeliveryStatus::kSucceeded; }));
  EXPECT_FALSE(store_.endpoint(ep.id).failing_since);
  clock_.set(now_ms() + 10 * kDisableAfter);
  EXPECT_EQ(must(health_->check_now(), "check"), 0);
  EXPECT_TRUE(store_.endpoint(ep.id).enabled);
  EXPECT_TRUE(events_of_type("endpoint-disabled").empty());
}

TEST(EndpointHealthInterval, ATenthOfDisableAfterWithinBounds) {
  EXPECT_EQ(health_check_interval(1500).count(), 150);
  EXPECT_EQ(health_check_interval(10).count(), 100);
  EXPECT_EQ(health_check_interval(kDisableAfter).count(), 60000);
}

}  // namespace
}  // namespace tributary::delivery
