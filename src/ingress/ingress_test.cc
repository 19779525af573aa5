// The ingress on its own, against a real SQLite store and its group-commit writer: what each answer means
// in the inbox, and the wake-ups it leaves in the store (the inbox channel for the processors, the
// subscriptions channel that drops every ingress cache). Requests are signed as Greenhouse signs them.
// Through a whole node (HTTP, limits, relaying) the ingress is tested in app/node_ingress_test.cc.
#include "ingress/ingress.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <future>
#include <string>

#include "connectors/registry.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "store/inbox_repo.h"
#include "testing/test_support.h"

namespace tributary::ingress {
namespace {

using pipeline_testing::must;

std::string greenhouse_signature(const std::string& secret, const std::string& body) {
  return "sha256 " + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::string candidate_applied(int candidate_id) {
  return R"({"action":"new_candidate_application","payload":{"application":{"id":1001,"candidate":{"id":)" +
         std::to_string(candidate_id) + "}}}}";
}

class IngressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    integration_ = store_.add_integration("greenhouse", "ATS", R"({"upstream_webhooks":true})", std::nullopt,
                                          pipeline_testing::kGreenhouseCredentials);
    sub_.id = new_id("sub");
    sub_.integration_id = integration_;
    sub_.ingress_token = crypto::random_token(32);
    sub_.mode = "manual";
    sub_.status = store::SubscriptionStatus::kActive;
    sub_.event_types = {"new_candidate_application"};
    sub_.secret = store_.secrets().seal(secret_, SecretBox::secret_of("subscriptions", sub_.id));
    sub_.created_at = now_ms();
    sub_.updated_at = sub_.created_at;
    must(store_.writer().run([&](store::Connection& c) { return store::subscriptions::insert(c, sub_); }));
  }

  http::Response post(const std::string& body, const std::string& signature, const std::string& event_id,
                      std::string token = {}) {
    http::Request request;
    request.method = "POST";
    request.path = "/ingress/greenhouse/" + (token.empty() ? sub_.ingress_token : token);
    request.target = request.path;
    request.headers = {{"Signature", signature}, {"Greenhouse-Event-ID", event_id}};
    request.body = body;
    request.remote_address = remote_;
    std::promise<http::Response> answered;
    auto answer = answered.get_future();
    ingress().handle(std::move(request), [&answered](http::Response r) { answered.set_value(std::move(r)); });
    if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
      throw std::runtime_error("the ingress did not answer");
    return answer.get();
  }

  http::Response post_signed(const std::string& body, const std::string& event_id) {
    return post(body, greenhouse_signature(secret_, body), event_id);
  }

  void update_subscription() {
    sub_.updated_at = now_ms();
    must(store_.writer().run([&](store::Connection& c) { return store::subscriptions::update(c, sub_); }));
  }

  std::int64_t inbox_rows(const std::string& outcome) {
    return store_.count("SELECT COUNT(*) FROM inbox WHERE outcome = $1", {outcome});
  }

  // The ingress under test; with_options() replaces it.
  Ingress& ingress() { return custom_ ? *custom_ : ingress_; }
  void with_options(IngressOptions options) {
    custom_ = std::make_unique<Ingress>(store_.pool(), store_.writer(), connectors::builtin_registry(),
                                        store_.secrets(), options);
  }

  pipeline_testing::TestStore store_;
  Ingress ingress_{store_.pool(), store_.writer(), connectors::builtin_registry(), store_.secrets()};
  std::unique_ptr<Ingress> custom_;
  std::string remote_ = "192.0.2.10";
  std::string integration_;
  std::string secret_ = "greenhouse-secret-" + crypto::random_token(8);
  store::SubscriptionRow sub_;
};

TEST_F(IngressTest, AVerifiedEventIsInTheInboxWhenAnsweredAndWakesTheProcessorsOnce) {
  std::atomic<int> woken{0};
  auto wake = store_.writer().subscribe(store::kInboxChannel, [&] { ++woken; });
  const std::string body = candidate_applied(77);
  auto first = post_signed(body, "gh-1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(inbox_rows("received"), 1);  // durable before the answer
  EXPECT_EQ(woken.load(), 1);

  // The tool's redelivery is acknowledged, recorded once, and wakes nobody.
  auto again = post_signed(body, "gh-1");
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("duplicate"), std::string::npos) << again.body;
  EXPECT_EQ(inbox_rows("received"), 1);
  EXPECT_EQ(woken.load(), 1);
}

// Greenhouse-Event-ID is not signed: a captured body replayed under a new id, or the tool retrying with one,
// is still the same delivery. Within the window the body decides; an identical body from before it is news.
TEST_F(IngressTest, AnUnsignedDeliveryIdDoesNotMakeTheSameBodyNew) {
  const std::string body = candidate_applied(88);
  ASSERT_EQ(post_signed(body, "gh-20").status, 200);
  auto replayed = post_signed(body, "gh-21");
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_NE(replayed.body.find("duplicate"), std::string::npos) << replayed.body;
  EXPECT_EQ(inbox_rows("received"), 1);
  EXPECT_EQ(inbox_rows("duplicate"), 1);

  auto other = post_signed(candidate_applied(89), "gh-22");
  EXPECT_EQ(other.body.find("duplicate"), std::string::npos) << other.body;
  EXPECT_EQ(inbox_rows("received"), 2);

  // The same body received once before the window opened: this one is a new delivery.
  const std::string old_body = candidate_applied(90);
  store::InboxRow old;
  old.id = new_id("in");
  old.received_at = now_ms() - kBodyDedupeWindowMs - 60'000;
  old.integration_id = integration_;
  old.subscription_id = sub_.id;
  old.tool = "greenhouse";
  old.method = "POST";
  old.path = "/ingress/greenhouse/sub";
  old.headers = "[]";
  old.body = old_body;
  old.body_size = static_cast<std::int64_t>(old_body.size());
  old.http_status = 200;
  old.outcome = store::InboxOutcome::kAccepted;
  must(store_.writer().run([&](store::Connection& c) { return store::inbox::insert(c, old); }));
  auto later = post_signed(old_body, "gh-23");
  EXPECT_EQ(later.body.find("duplicate"), std::string::npos) << later.body;
  EXPECT_EQ(inbox_rows("received"), 3);
}

TEST_F(IngressTest, TheFirstVerifiedRequestActivatesAPendingSubscriptionOnEveryIngress) {
  sub_.status = store::SubscriptionStatus::kPending;
  update_subscription();
  std::atomic<int> changed{0};
  auto wake = store_.writer().subscribe(store::kSubscriptionsChannel, [&] { ++changed; });
  ASSERT_EQ(post_signed(candidate_applied(5), "gh-2").status, 200);
  auto row = must(store::subscriptions::get(store_.conn(), sub_.id));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->status, store::SubscriptionStatus::kActive);
  EXPECT_GE(changed.load(), 1);  // every node's ingress drops its cached "pending" copy
}

// The cache would keep accepting for seconds after a subscription is disabled; the store's notification
// of the change (wired to invalidate() as a node wires it) makes the next request see it.
TEST_F(IngressTest, ASubscriptionDisabledInTheStoreIsRefusedAtOnce) {
  auto wake = store_.writer().subscribe(store::kSubscriptionsChannel, [this] { ingress_.invalidate(); });
  ASSERT_EQ(post_signed(candidate_applied(1), "gh-3").status, 200);  // cached as active now
  sub_.status = store::SubscriptionStatus::kDisabled;
  update_subscription();
  auto refused = post_signed(candidate_applied(2), "gh-4");
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_NE(refused.body.find("disabled"), std::string::npos) << refused.body;
  EXPECT_EQ(inbox_rows("received"), 1);
}

TEST_F(IngressTest, AForgedRequestIs401AndLoggedButNeverReceived) {
  std::atomic<int> woken{0};
  auto wake = store_.writer().subscribe(store::kInboxChannel, [&] { ++woken; });
  const std::string body = candidate_applied(9);
  auto reply = post(body, greenhouse_signature("not-the-secret", body), "gh-5");
  EXPECT_EQ(reply.status, 401);
  EXPECT_TRUE(pipeline_testing::wait_until([&] { return inbox_rows("rejected") == 1; }));
  EXPECT_EQ(inbox_rows("received"), 0);
  EXPECT_EQ(woken.load(), 0);
  EXPECT_EQ(ingress_.stats().rejected, 1u);
}

TEST_F(IngressTest, AnUnknownTokenIs404AndLogged) {
  const std::string body = candidate_applied(3);
  auto reply = post(body, greenhouse_signature(secret_, body), "gh-6", crypto::random_token(32));
  EXPECT_EQ(reply.status, 404);
  EXPECT_TRUE(pipeline_testing::wait_until([&] { return inbox_rows("rejected") == 1; }));
  EXPECT_EQ(inbox_rows("received"), 0);
}

// What a delivery says beside the record's id (HiBob's time-off events name the employee) is kept with the
// inbox row for the targeted fetch; a hint no record id could be is dropped, the delivery still accepted.
TEST_F(IngressTest, ADeliverysFetchHintIsKeptWithTheInboxRow) {
  const std::string hibob =
      store_.add_integration("hibob", "HRIS", R"({"upstream_webhooks":true})", std::nullopt,
                             R"({"service_user_id":"SERVICE-1","service_user_token":"tok"})");
  store::SubscriptionRow sub = sub_;
  sub.id = new_id("sub");
  sub.integration_id = hibob;
  sub.ingress_token = crypto::random_token(32);
  sub.event_types = {"timeoff.request.requested"};
  sub.secret = store_.secrets().seal(secret_, SecretBox::secret_of("subscriptions", sub.id));
  must(store_.writer().run([&](store::Connection& c) { return store::subscriptions::insert(c, sub); }));
  auto deliver = [&](const std::string& body) {
    http::Request request;
    request.method = "POST";
    request.path = "/ingress/hibob/" + sub.ingress_token;
    request.target = request.path;
    request.headers = {{"Bob-Signature", crypto::base64_encode(crypto::hmac_sha512(secret_, body))}};
    request.body = body;
    std::promise<http::Response> answered;
    auto answer = answered.get_future();
    ingress_.handle(std::move(request), [&answered](http::Response r) { answered.set_value(std::move(r)); });
    EXPECT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return answer.get();
  };
  auto event = [](const std::string& employee, const std::string& at) {
    return R"({"companyId":639423,"type":"timeoff.request.requested","triggeredAt":")" + at +
           R"(","version":"v2","data":{"timeoffRequestId":44623014,"employeeId":")" + employee + R"("}})";
  };
  ASSERT_EQ(deliver(event("3332883894138569263", "2025-03-12T10:02:11")).status, 200);
  ASSERT_EQ(deliver(event(R"(E\n7)", "2025-03-12T10:02:12")).status, 200);
  std::vector<std::string> stored;
  for (const auto& row : must(store::inbox::pending(store_.conn(), 10)))
    if (row.integration_id == hibob) stored.push_back(row.unified_events.value_or(""));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_NE(stored[0].find(R"("fetch_hint":"3332883894138569263")"), std::string::npos) << stored[0];
  EXPECT_EQ(stored[1].find("fetch_hint"), std::string::npos) << stored[1];
}

// The ingress token is a credential (whoever holds it may post events): a log line names the subscription,
// never the token, and nothing from the request can start a log line of its own.
TEST_F(IngressTest, LogLinesNameTheSubscriptionNotItsTokenAndEscapeWhatTheRequestSent) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  spdlog::default_logger()->sinks().push_back(sink);
  const std::string body = candidate_applied(5);
  auto forged = post(body, "sha256 00", "gh-7");
  EXPECT_EQ(forged.status, 401);
  auto unknown = post(body, "sha256 00", "gh-8", "tok\n2026-12-07 [info] all fine");
  EXPECT_EQ(unknown.status, 404);
  spdlog::default_logger()->sinks().pop_back();
  const auto lines = sink->last_formatted();
  std::string all;
  for (const auto& line : lines)
    all += line;
  EXPECT_EQ(all.find(sub_.ingress_token), std::string::npos) << all;
  EXPECT_NE(all.find("subscription " + sub_.id), std::string::npos) << all;
  EXPECT_EQ(all.find("all fine"), std::string::npos) << all;
  for (const auto& line : lines)
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
}

}  // namespace
}  // namespace tributary::ingress

namespace tributary::ingress {
namespace {

// Whoever can reach the ingress can send refusals as fast as the network carries them: they are written to
// the upstream log only as a sample, cut to an excerpt, and counted beyond it.
TEST_F(IngressTest, RejectedRequestsAreLoggedAsASampleWithAnExcerptAndCountedBeyondIt) {
  IngressOptions options;
  options.logged_per_address_per_minute = 3;
  with_options(options);
  const std::string body = candidate_applied(3) + std::string(64 * 1024, ' ');
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    auto reply = post(body, "sha256 00", "gh-f" + std::to_string(i), crypto::random_token(32));
    ASSERT_EQ(reply.status, 404) << reply.body;
  }
  // Another address has a sample of its own.
  remote_ = "192.0.2.11";
  ASSERT_EQ(post(body, "sha256 00", "gh-g", crypto::random_token(32)).status, 404);

  const auto stats = ingress().stats();
  EXPECT_EQ(stats.rejected, static_cast<std::uint64_t>(kRequests + 1));
  EXPECT_EQ(stats.unlogged_over_sample, static_cast<std::uint64_t>(kRequests - 3));
  ASSERT_TRUE(pipeline_testing::wait_until([&] { return inbox_rows("rejected") == 4; }));
  const auto ids = must(store_.conn().query("SELECT id FROM inbox WHERE outcome = 'rejected'"));
  for (const auto& r : ids) {
    auto row = must(store::inbox::get(store_.conn(), r.text(0)));
    ASSERT_TRUE(row.has_value());
    EXPECT_LE(row->body.size(), 2048u);
    EXPECT_EQ(row->body_size, static_cast<std::int64_t>(body.size()));
    EXPECT_EQ(row->http_status, 404);
  }
}

TEST_F(IngressTest, ASourceAddressOverItsLimitGets429WithRetryAfter) {
  IngressOptions options;
  options.per_address = RateLimit{1, 3};
  with_options(options);
  remote_ = "203.0.113.9";
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(post_signed(candidate_applied(i), "gh-a" + std::to_string(i)).status, 200) << i;
  auto limited = post_signed(candidate_applied(9), "gh-a9");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.body.find("INGRESS.RATE_LIMITED"), std::string::npos) << limited.body;
  EXPECT_EQ(limited.header("Retry-After"), "1");
  EXPECT_EQ(ingress().stats().limited_by_address, 1u);
  // Counted per address: another one goes through.
  remote_ = "203.0.113.10";
  EXPECT_EQ(post_signed(candidate_applied(9), "gh-a9").status, 200);
  EXPECT_EQ(inbox_rows("received"), 4);
}

// A subscription's budget is spent by verified requests only: whoever forges requests to its URL cannot
// make the tool's own deliveries get 429.
TEST_F(IngressTest, ASubscriptionOverItsLimitGets429AndForgedRequestsDoNotSpendIt) {
  IngressOptions options;
  options.per_subscription = RateLimit{0.5, 2};
  with_options(options);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(post(candidate_applied(i), "sha256 00", "gh-x" + std::to_string(i)).status, 401);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(post_signed(candidate_applied(i), "gh-s" + std::to_string(i)).status, 200) << i;
  auto limited = post_signed(candidate_applied(7), "gh-s7");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.header("Retry-After"), "2");
  EXPECT_EQ(ingress().stats().limited_by_subscription, 1u);
  EXPECT_EQ(inbox_rows("received"), 2);
}

// A full disk (here SQLite's own limit on the file's pages, which fails writes with SQLITE_FULL as a full
// file system does, and needs no root): every webhook the writer could not store is answered 503 with a
// reason and Retry-After, never 2xx; the ones answered 200 are in the inbox; once space returns the refused
// ones are taken as new deliveries (nothing of them was stored).
TEST_F(IngressTest, AWebhookTheDatabaseRefusesForLackOfSpaceIs503NeverAcknowledged) {
  must(store_.writer().run([](store::Connection& c) -> Status {
    auto pages = c.query("PRAGMA page_count");
    if (!pages) return pages.error();
    return c.exec_script("PRAGMA max_page_count = " + std::to_string(pages->at(0).int64(0) + 4));
  }));
  std::vector<std::pair<std::string, std::string>> refused;  // event id, body
  int acknowledged = 0;
  for (int i = 0; i < 200 && refused.size() < 5; ++i) {
    std::string body = candidate_applied(1000 + i);
    body.insert(body.size() - 1, R"(,"padding":")" + std::string(4096, 'p') + "\"");
    const std::string event_id = "gh-full-" + std::to_string(i);
    auto reply = post_signed(body, event_id);
    if (reply.status == 200) {
      ++acknowledged;
      continue;
    }
    ASSERT_EQ(reply.status, 503) << reply.body;
    EXPECT_NE(reply.body.find("INGRESS.STORAGE_UNAVAILABLE"), std::string::npos) << reply.body;
    EXPECT_TRUE(reply.header("Retry-After").has_value());
    refused.emplace_back(event_id, body);
  }
  ASSERT_EQ(refused.size(), 5u);
  EXPECT_EQ(inbox_rows("received"), acknowledged);
  EXPECT_EQ(ingress().stats().unavailable, 5u);

  must(store_.writer().run(
      [](store::Connection& c) { return c.exec_script("PRAGMA max_page_count = 1073741823"); }));
  for (const auto& [event_id, body] : refused) {
    auto reply = post_signed(body, event_id);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body.find("duplicate"), std::string::npos) << reply.body;
  }
  EXPECT_EQ(inbox_rows("received"), acknowledged + 5);
}

}  // namespace
}  // namespace tributary::ingress
