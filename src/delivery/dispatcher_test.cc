#include "delivery/dispatcher.h"

#include <gtest/gtest.h>

#include <time.h>

#include <boost/json.hpp>

#include "connectors/registry.h"
#include "processing/processor.h"
#include "testing/test_support.h"

namespace tributary::delivery {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

// The receiver's side of the two signature schemes (shared/DESIGN.md §2), written from the documentation and
// independent of delivery/signing.cc.
std::string expected_kombo_signature(const std::string& secret, const std::string& body) {
  return crypto::base64url_encode_nopad(crypto::hmac_sha256(secret, body));
}
std::string expected_standard_signature(const std::string& secret, const std::string& id,
                                        const std::string& ts, const std::string& body) {
  auto key = crypto::base64_decode(secret.substr(std::string("whsec_").size()));
  if (!key) return "<secret is not whsec_ base64>";
  return "v1," + crypto::base64_encode(crypto::hmac_sha256(*key, id + "." + ts + "." + body));
}

// What the process did during `window` while the test thread slept: the share of one core it used, and the
// transactions the writer committed. An idle dispatcher uses neither.
struct Activity {
  double cpu_share = 0;
  std::uint64_t writer_batches = 0;
};
Activity activity_over(std::chrono::milliseconds window, const store::Writer& writer) {
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  auto cpu_before = cpu();
  auto batches_before = writer.batches();
  auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  Activity a;
  a.cpu_share = std::chrono::duration<double>(cpu() - cpu_before).count() /
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  a.writer_batches = writer.batches() - batches_before;
  return a;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = loopback_client();
    options_.retry = RetryConfig{/*base_ms=*/50, /*factor=*/2.0, /*max_retries=*/3, /*jitter=*/0.0};
    options_.timeout = 5000ms;
  }
  void TearDown() override { shut_down(); }

  void start() {
    dispatcher_ =
        std::make_unique<Dispatcher>(store_.pool(), store_.writer(), *client_, store_.secrets(), options_);
    dispatcher_->start();
  }
  // The client goes before the dispatcher: its destructor completes what is still in flight, and those
  // completions land in the dispatcher.
  void shut_down(std::chrono::milliseconds grace = 0ms) {
    if (dispatcher_) dispatcher_->stop(grace);
    client_.reset();
    dispatcher_.reset();
  }

  bool delivery_status_is(const std::string& event_id, const std::string& endpoint_id,
                          const std::string& status, std::chrono::milliseconds timeout = 5000ms) {
    return wait_until(
        [&] {
          return store_.delivery(event_id, endpoint_id).status ==
                 store::parse_state<store::DeliveryStatus>(status).value();
        },
        timeout);
  }

  TestStore store_;
  DispatcherOptions options_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, ProcessedEventIsDeliveredSignedWithBothSchemes) {
  FakeEndpoint endpoint;
  auto ep = store_.add_endpoint(endpoint.url());
  auto integration = store_.add_integration("personio", "HRIS", R"({"upstream_webhooks":true})");
  auto inbox_id =
      store_.add_inbox(integration, R"([{"model":"hris_employees","action":"created","remote_id":"7"}])");

  processing::Processor processor(store_.pool(), store_.writer(), connectors::builtin_registry());
  start();
  auto wake = store_.writer().subscribe(store::kOutboxChannel, [this] { dispatcher_->notify(); });
  processor.start();

  ASSERT_TRUE(endpoint.wait_for_count(1));
  auto events = must(store::events::for_inbox(store_.conn(), inbox_id));
  ASSERT_EQ(events.size(), 1u);
  const auto& event = events[0];
  ASSERT_TRUE(delivery_status_is(event.id, ep.id, "succeeded"));
  processor.stop();

  const auto received = endpoint.received();
  const auto& request = received[0].request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/hook");
  EXPECT_EQ(request.body, event.payload);  // byte for byte what was stored
  EXPECT_EQ(request.header("Content-Type").value_or(""), "application/json");
  ASSERT_TRUE(request.header("webhook-id"));
  ASSERT_TRUE(request.header("webhook-timestamp"));
  ASSERT_TRUE(request.header("webhook-signature"));
  ASSERT_TRUE(request.header("X-Kombo-Signature"));
  const std::string id(*request.header("webhook-id"));
  const std::string ts(*request.header("webhook-timestamp"));
  EXPECT_EQ(id, event.id);
  EXPECT_LE(std::abs(std::stoll(ts) - now_ms() / 1000), 60);
  EXPECT_TRUE(crypto::constant_time_equal(*request.header("X-Kombo-Signature"),
                                          expected_kombo_signature(ep.secret, request.body)));
  EXPECT_TRUE(crypto::constant_time_equal(*request.header("webhook-signature"),
                                          expected_standard_signature(ep.secret, id, ts, request.body)));

  auto d = store_.delivery(event.id, ep.id);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.retries, 0);
  EXPECT_EQ(d.last_status, 200);
  EXPECT_FALSE(d.next_attempt_at.has_value());
  EXPECT_FALSE(d.lease_until.has_value());
  auto attempts = store_.attempts(event.id);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].status_code, 200);
  EXPECT_EQ(attempts[0].response_excerpt, R"({"ok":true})");
  EXPECT_FALSE(attempts[0].next_retry_at.has_value());
  // The counters are added after the batch's write returns, a moment after the row is visible.
  EXPECT_TRUE(wait_until([&] { return dispatcher_->stats().succeeded >= 1u; }));
  EXPECT_EQ(dispatcher_->stats().succeeded, 1u);
}

TEST_F(DispatcherTest, DuringARotationBothSecretsSignTheStandardHeader) {
  FakeEndpoint endpoint;
  auto ep = store_.add_endpoint(endpoint.url());
  const std::string old_secret = ep.secret;
  const std::string new_secret = "whsec_" + crypto::base64_encode(crypto::random_bytes(32));
  auto row = store_.endpoint(ep.id);
  row.previous_secret = store_.secrets().seal(old_secret, {"endpoints", "previous_secret", ep.id});
  row.previous_secret_until = now_ms() + 3600 * 1000;
  row.secret = store_.secrets().seal(new_secret, SecretBox::secret_of("endpoints", ep.id));
  must(store_.writer().run([&](store::Connection& c) { return store::endpoints::update(c, row); }));
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(endpoint.wait_for_count(1));
  const auto received = endpoint.received();
  const auto& request = received[0].request;
  const std::string id(request.header("webhook-id").value_or(""));
  const std::string ts(request.header("webhook-timestamp").value_or(""));
  EXPECT_EQ(std::string(request.header("webhook-signature").value_or("")),
            expected_standard_signature(new_secret, id, ts, request.body) + " " +
                expected_standard_signature(old_secret, id, ts, request.body));
  // X-Kombo-Signature carries one signature: the current secret's.
  EXPECT_EQ(std::string(request.header("X-Kombo-Signature").value_or("")),
            expected_kombo_signature(new_secret, request.body));
  EXPECT_TRUE(delivery_status_is(event, ep.id, "succeeded"));
}

// A secret sealed under another master key (or damaged) cannot sign: the delivery is never sent unsigned.
// Each attempt is recorded as failed with the reason, and the delivery fails when its retries are spent.
TEST_F(DispatcherTest, ADeliveryWhoseSecretCannotBeOpenedIsNeverSentUnsigned) {
  FakeEndpoint endpoint;
  auto ep = store_.add_endpoint(endpoint.url());
  auto row = store_.endpoint(ep.id);
  row.secret = SecretBox(crypto::random_bytes(32)).seal(ep.secret, SecretBox::secret_of("endpoints", ep.id));
  must(store_.writer().run([&](store::Connection& c) { return store::endpoints::update(c, row); }));
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "failed"));
  // Recorded after each request would have completed: no request reached the endpoint.
  EXPECT_TRUE(endpoint.received().empty());
  auto attempts = store_.attempts(event);
  ASSERT_EQ(attempts.size(), 1u + options_.retry.max_retries);
  for (const auto& a : attempts) {
    EXPECT_FALSE(a.status_code.has_value());
    EXPECT_NE(a.error.value_or("").find("not sent unsigned"), std::string::npos) << a.error.value_or("");
  }
  EXPECT_NE(store_.delivery(event, ep.id).last_error.value_or("").find("signing secret cannot be opened"),
            std::string::npos);
}

// Likewise when the previous secret, still in force during a rotation, cannot be opened.
TEST_F(DispatcherTest, AnUnopenablePreviousSecretStopsTheDeliveryToo) {
  FakeEndpoint endpoint;
  auto ep = store_.add_endpoint(endpoint.url());
  auto row = store_.endpoint(ep.id);
  row.previous_secret = std::string("not a sealed secret at all");
  row.previous_secret_until = now_ms() + 3600 * 1000;
  must(store_.writer().run([&](store::Connection& c) { return store::endpoints::update(c, row); }));
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "failed"));
  EXPECT_TRUE(endpoint.received().empty());
}

// With the guard on and no allow list, an endpoint that leads to loopback is refused at connect time whatever
// its URL calls it: a name that resolves there, the IPv4-mapped IPv6 form, decimal, octal, hexadecimal and
// short IPv4 forms. Each one would reach the listening endpoint without the guard; the attempt says why it
// did not.
TEST_F(DispatcherTest, TheSsrfGuardRefusesEveryFormOfLoopbackAtConnectTime) {
  client_ = std::make_unique<http::CurlClient>(http::CurlClientOptions{});
  options_.retry.max_retries = 0;
  FakeEndpoint endpoint;
  const std::string listening = endpoint.url("");
  const std::string port = listening.substr(listening.rfind(':') + 1);
  struct Form {
    std::string host;
    std::string error;  // the attempt's error starts with this
  };
  const std::string v4 = "blocked by SSRF guard: loopback address 127.0.0.1";
  const std::vector<Form> forms = {
      // curl resolves the name to 127.0.0.1 and ::1 and names the last address it was refused.
      {"localhost", "blocked by SSRF guard: loopback address "},
      {"[::ffff:127.0.0.1]", "blocked by SSRF guard: ipv4-mapped loopback address ::ffff:127.0.0.1"},
      {"2130706433", v4},
      {"0177.0.0.1", v4},
      {"0x7f.0.0.1", v4},
      {"127.1", v4},
  };
  std::vector<std::pair<std::string, std::string>> events;  // (event, endpoint) per form
  for (const auto& form : forms) {
    auto ep = store_.add_endpoint("http://" + form.host + ":" + port + "/hook");
    events.emplace_back(store_.add_event({ep.id}), ep.id);
  }

  start();
  for (std::size_t i = 0; i < forms.size(); ++i) {
    SCOPED_TRACE(forms[i].host);
    const std::string& event = events[i].first;
    const std::string& endpoint_id = events[i].second;
    // Each form on its own: without the guard the delivery would succeed instead.
    const auto failed = store::parse_state<store::DeliveryStatus>("failed").value();
    const auto succeeded = store::parse_state<store::DeliveryStatus>("succeeded").value();
    ASSERT_TRUE(wait_until([&] {
      const auto status = store_.delivery(event, endpoint_id).status;
      return status == failed || status == succeeded;
    }));
    EXPECT_EQ(store_.delivery(event, endpoint_id).status, failed);
    auto attempts = store_.attempts(event);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_FALSE(attempts[0].status_code.has_value());
    const std::string error = attempts[0].error.value_or("");
    EXPECT_EQ(error.substr(0, forms[i].error.size()), forms[i].error);
    EXPECT_EQ(store_.delivery(event, endpoint_id).last_error, error);
  }
  EXPECT_EQ(endpoint.count(), 0u);
}

TEST_F(DispatcherTest, FailuresAreRetriedOnTheScheduleUntilTheEndpointAccepts) {
  FakeEndpoint endpoint;
  endpoint.fail_next(2, 500);
  auto ep = store_.add_endpoint(endpoint.url());
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "succeeded"));
  EXPECT_EQ(endpoint.count(), 3u);

  auto d = store_.delivery(event, ep.id);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.retries, 2);
  EXPECT_EQ(d.last_status, 200);
  EXPECT_FALSE(d.next_attempt_at.has_value());

  auto attempts = store_.attempts(event);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].status_code, 500);
  EXPECT_EQ(attempts[1].status_code, 500);
  EXPECT_EQ(attempts[2].status_code, 200);
  // Retry n waits base × factor^(n−1) (no jitter here): 50 ms, then 100 ms.
  ASSERT_TRUE(attempts[0].next_retry_at.has_value());
  ASSERT_TRUE(attempts[1].next_retry_at.has_value());
  EXPECT_FALSE(attempts[2].next_retry_at.has_value());
  EXPECT_GE(*attempts[0].next_retry_at - attempts[0].attempted_at, 50);
  EXPECT_GE(*attempts[1].next_retry_at - attempts[1].attempted_at, 100);
  EXPECT_GE(attempts[1].attempted_at, *attempts[0].next_retry_at);
  EXPECT_GE(attempts[2].attempted_at, *attempts[1].next_retry_at);
  auto received = endpoint.received();
  EXPECT_GE(received[1].at - received[0].at, 45ms);
  EXPECT_GE(received[2].at - received[1].at, 95ms);

  // The counters are settled after the round's transaction commits, so a moment after the row shows it.
  ASSERT_TRUE(wait_until([&] { return dispatcher_->stats().attempts == 3u; }));
  auto stats = dispatcher_->stats();
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.succeeded, 1u);
  EXPECT_EQ(stats.failed_attempts, 2u);
}

TEST_F(DispatcherTest, DeliveryFailsWhenRetriesAreExhausted) {
  FakeEndpoint endpoint;
  endpoint.set_default(FakeEndpoint::Reply{503, {}, "down"});
  auto ep = store_.add_endpoint(endpoint.url());
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "failed"));
  auto d = store_.delivery(event, ep.id);
  EXPECT_EQ(d.attempts, 4);  // the first try and max_retries = 3 retries
  EXPECT_EQ(d.retries, 3);
  EXPECT_EQ(d.last_status, 503);
  EXPECT_FALSE(d.next_attempt_at.has_value());
  EXPECT_EQ(endpoint.count(), 4u);
  auto attempts = store_.attempts(event);
  ASSERT_EQ(attempts.size(), 4u);
  EXPECT_FALSE(attempts.back().next_retry_at.has_value());
  EXPECT_EQ(attempts.back().response_excerpt, "down");
  EXPECT_TRUE(store_.endpoint(ep.id).enabled);  // failing is not a reason to disable
}

TEST_F(DispatcherTest, GoneDisablesTheEndpointAndFailsItsDeliveries) {
  FakeEndpoint gone;
  FakeEndpoint healthy;
  gone.fail_next(1, 410);
  auto gone_ep = store_.add_endpoint(gone.url());
  auto healthy_ep = store_.add_endpoint(healthy.url());
  auto first = store_.add_event({gone_ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(first, gone_ep.id, "failed"));
  auto d = store_.delivery(first, gone_ep.id);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.last_status, 410);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_NE(d.last_error->find("410"), std::string::npos);
  ASSERT_TRUE(wait_until([&] { return !store_.endpoint(gone_ep.id).enabled; }));
  auto row = store_.endpoint(gone_ep.id);
  ASSERT_TRUE(row.disabled_reason.has_value());
  EXPECT_NE(row.disabled_reason->find("410"), std::string::npos);

  // Later events are not sent to the disabled endpoint. The healthy endpoint's delivery of the same event
  // marks the point by which the dispatcher had its chance.
  auto second = store_.add_event({gone_ep.id, healthy_ep.id});
  dispatcher_->notify();
  ASSERT_TRUE(delivery_status_is(second, healthy_ep.id, "succeeded"));
  EXPECT_EQ(gone.count(), 1u);
  EXPECT_EQ(store_.delivery(second, gone_ep.id).attempts, 0);
}

TEST_F(DispatcherTest, AHangingEndpointDoesNotDelayAHealthyOne) {
  options_.per_endpoint_concurrency = 2;
  FakeEndpoint hanging;
  hanging.hold_everything();
  FakeEndpoint healthy;
  auto hanging_ep = store_.add_endpoint(hanging.url());
  auto healthy_ep = store_.add_endpoint(healthy.url());
  std::vector<std::string> events;
  for (int i = 0; i < 20; ++i)
    events.push_back(store_.add_event({hanging_ep.id, healthy_ep.id}));

  start();
  ASSERT_TRUE(healthy.wait_for_count(20, 5000ms))
      << healthy.count() << " of 20 delivered to the healthy endpoint";
  ASSERT_TRUE(wait_until([&] {
    return store_.count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'succeeded'",
                        {healthy_ep.id}) == 20;
  }));
  // Never more than the limit in flight to the hanging endpoint; the rest wait their turn.
  EXPECT_EQ(hanging.count(), 2u);
  EXPECT_EQ(hanging.held(), 2u);
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'sending'",
                         {hanging_ep.id}),
            2);
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'pending'",
                         {hanging_ep.id}),
            18);
  // (The count drops just after the outcome is recorded.)
  EXPECT_TRUE(wait_until([&] { return dispatcher_->in_flight() == 2; })) << dispatcher_->in_flight();

  // Waiting for capacity is idle: the 18 due deliveries must not keep the dispatcher busy.
  auto idle = activity_over(300ms, store_.writer());
  EXPECT_LT(idle.cpu_share, 0.3) << idle.writer_batches;
  EXPECT_LE(idle.writer_batches, 2u) << idle.cpu_share;

  // When the endpoint answers, the rest follow, still at most two at a time.
  hanging.release_held();
  ASSERT_TRUE(wait_until([&] {
    return store_.count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'succeeded'",
                        {hanging_ep.id}) == 20;
  }));
  EXPECT_EQ(hanging.count(), 20u);
}

TEST_F(DispatcherTest, DeliveriesOfADisabledEndpointWaitIdleUntilItIsEnabled) {
  FakeEndpoint paused;
  FakeEndpoint healthy;
  auto paused_ep = store_.add_endpoint(paused.url());
  auto healthy_ep = store_.add_endpoint(healthy.url());
  // Disabled by the operator (PATCH enabled=false) with a delivery already queued.
  auto row = store_.endpoint(paused_ep.id);
  row.enabled = false;
  must(store_.writer().run([&](store::Connection& c) { return store::endpoints::update(c, row); }));
  auto event = store_.add_event({paused_ep.id, healthy_ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, healthy_ep.id, "succeeded"));
  EXPECT_EQ(paused.count(), 0u);
  EXPECT_EQ(store_.delivery(event, paused_ep.id).status, store::DeliveryStatus::kPending);
  auto idle = activity_over(300ms, store_.writer());
  EXPECT_LT(idle.cpu_share, 0.3) << idle.writer_batches;
  EXPECT_LE(idle.writer_batches, 2u) << idle.cpu_share;

  row.enabled = true;
  must(store_.writer().run([&](store::Connection& c) { return store::endpoints::update(c, row); }));
  dispatcher_->notify();  // what the API does after the change
  ASSERT_TRUE(delivery_status_is(event, paused_ep.id, "succeeded"));
  EXPECT_EQ(paused.count(), 1u);
}

TEST_F(DispatcherTest, RetryAfterIsHonouredWhenLongerThanTheSchedule) {
  FakeEndpoint endpoint;
  endpoint.then(FakeEndpoint::Reply{503, {{"Retry-After", "1"}}, "busy"});
  auto ep = store_.add_endpoint(endpoint.url());
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "succeeded", 5000ms));
  auto received = endpoint.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_GE(received[1].at - received[0].at, 950ms);  // not the 50 ms of the schedule
  auto attempts = store_.attempts(event);
  ASSERT_EQ(attempts.size(), 2u);
  ASSERT_TRUE(attempts[0].next_retry_at.has_value());
  EXPECT_GE(*attempts[0].next_retry_at - attempts[0].attempted_at, 1000);
}

TEST_F(DispatcherTest, StopLeavesClaimedWorkForTheNextStart) {
  options_.timeout = 2000ms;
  FakeEndpoint endpoint;
  endpoint.then(FakeEndpoint::Reply{200, {}, "{}", /*hold=*/true});
  auto ep = store_.add_endpoint(endpoint.url());
  auto event = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(endpoint.wait_for_count(1));
  shut_down(/*grace=*/50ms);

  // Claimed and unanswered: neither lost nor failed, but leased.
  auto d = store_.delivery(event, ep.id);
  EXPECT_EQ(d.status, store::DeliveryStatus::kSending);
  EXPECT_EQ(d.attempts, 0);
  ASSERT_TRUE(d.lease_until.has_value());
  EXPECT_GT(*d.lease_until, now_ms());
  EXPECT_EQ(store_.attempts(event).size(), 0u);

  // A dispatcher on the same database takes the work over once the lease is over. (A node restarting on its
  // own SQLite database releases its old leases at once: app/node.cc; here the expiry is simulated.)
  must(store_.writer().run([&](store::Connection& c) -> Status {
    auto r = c.execute("UPDATE deliveries SET lease_until = $1 WHERE status = 'sending'", {now_ms() - 1});
    return r ? Status{} : Status{r.error()};
  }));
  endpoint.release_held();
  client_ = loopback_client();
  start();
  ASSERT_TRUE(delivery_status_is(event, ep.id, "succeeded"));
  EXPECT_EQ(endpoint.count(), 2u);
  EXPECT_EQ(store_.delivery(event, ep.id).attempts, 1);
}

TEST_F(DispatcherTest, UnexpiredLeaseIsNotTakenOver) {
  FakeEndpoint endpoint;
  auto ep = store_.add_endpoint(endpoint.url());
  auto leased = store_.add_event({ep.id});
  must(store_.writer().run([&](store::Connection& c) -> Status {
    auto r = c.execute("UPDATE deliveries SET status = 'sending', lease_until = $1 WHERE event_id = $2",
                       {now_ms() + 60'000, leased});
    return r ? Status{} : Status{r.error()};
  }));
  auto free = store_.add_event({ep.id});

  start();
  ASSERT_TRUE(delivery_status_is(free, ep.id, "succeeded"));
  EXPECT_EQ(endpoint.count(), 1u);
  EXPECT_EQ(store_.delivery(leased, ep.id).status, store::DeliveryStatus::kSending);
}

}  // namespace
}  // namespace tributary::delivery
