// The reconciler against the simulated tools: subscriptions created, narrowed, disabled, retried after a
// missing permission, and removed with the integration — checked on both sides (our rows and the tool's).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/registry.h"
#include "sim/simulator.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "subscriptions/reconciler.h"
#include "testing/test_support.h"

namespace tributary::subscriptions {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

constexpr const char* kPublicUrl = "http://127.0.0.1:9";
const std::set<std::string> kEmployeeEvents = {"person.created", "person.updated", "person.deleted"};
const std::set<std::string> kAbsenceEvents = {"absence-period.created", "absence-period.updated.timerange",
                                              "absence-period.updated.status"};

std::set<std::string> as_set(const bj::value& array) {
  std::set<std::string> out;
  for (const auto& v : array.as_array())
    out.insert(std::string(v.as_string()));
  return out;
}
std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}
std::set<std::string> join(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

class ReconcilerSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = sim::make_simulator("personio", sim::SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    client_ = loopback_client();
    // The reconciler here has no API budget: the simulated tool's limits are switched off.
    auto off = call(*client_, "POST", sim_->base_url() + "/_sim/limits", R"({"enforce": false})");
    ASSERT_EQ(off.status, 200) << off.body;
    ReconcilerOptions options;
    options.public_url = kPublicUrl;
    options.api_timeout = 5000ms;
    options.retry_base_ms = 100;
    reconciler_ = std::make_unique<Reconciler>(store_.pool(), store_.writer(), connectors::builtin_registry(),
                                               store_.secrets(), *client_, options);
    changed_sub_ = store_.writer().subscribe(store::kSubscriptionsChannel, [this] { ++changed_; });
  }
  void TearDown() override {
    if (reconciler_) reconciler_->stop();
    reconciler_.reset();
    client_.reset();
    if (sim_) sim_->stop();
  }

  // What the simulated Personio has subscribed.
  bj::array remote_webhooks() {
    auto reply = call(*client_, "GET", sim_->base_url() + "/_sim/subscriptions");
    if (reply.status != 200) throw std::runtime_error("GET /_sim/subscriptions: " + reply.body + reply.error);
    return bj::parse(reply.body).as_array();
  }
  void set_permission(bool granted) {
    auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/permissions",
                      granted ? R"({"webhooks":true})" : R"({"webhooks":false})");
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  // Deletes a webhook through Personio's own API, as someone in the tool would.
  void delete_at_tool(const std::string& remote_id) {
    http::ClientRequest token;
    token.method = "POST";
    token.url = sim_->base_url() + "/v2/auth/token";
    token.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    token.body = "grant_type=client_credentials&client_id=test&client_secret=test";
    token.timeout = 10s;
    auto got = client_->send_sync(std::move(token));
    ASSERT_EQ(got.status, 200) << got.body << got.error;
    const std::string access = std::string(bj::parse(got.body).at("access_token").as_string());
    auto reply = call(*client_, "DELETE", sim_->base_url() + "/v2/webhooks/" + remote_id, {},
                      {{"Authorization", "Bearer " + access}});
    ASSERT_EQ(reply.status, 204) << reply.body << reply.error;
  }
  void start_with(ReconcilerOptions options) {
    reconciler_ = std::make_unique<Reconciler>(store_.pool(), store_.writer(), connectors::builtin_registry(),
                                               store_.secrets(), *client_, options);
    reconciler_->start();
  }
  // The states integration-state-changed reported for the integration, oldest first.
  std::vector<std::string> state_changes(const std::string& integration_id) {
    store::EventFilter filter;
    filter.integration_id = integration_id;
    filter.type = "integration-state-changed";
    std::vector<std::string> out;
    for (const auto& e : must(store::events::list(store_.conn(), filter))) {
      const auto payload = boost::json::parse(e.payload);
      out.insert(out.begin(), std::string(payload.at("data").at("state").as_string()));
    }
    return out;
  }

  std::vector<store::SubscriptionRow> subscriptions(const std::string& integration_id) {
    return must(store::subscriptions::list_for_integration(store_.conn(), integration_id));
  }
  std::string personio(const std::string& scope) {
    return store_.add_integration("personio", "HRIS", scope, sim_->base_url());
  }

  TestStore store_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<Reconciler> reconciler_;
  std::atomic<int> changed_{0};
  store::Writer::Subscription changed_sub_;  // counts the store's notifications of changed subscriptions
};

TEST_F(ReconcilerSimTest, CreatesExactlyOneWebhookWithTheEnabledEvents) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());

  auto remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u) << bj::serialize(remote);
  EXPECT_EQ(as_set(remote[0].at("enabled_events")), join(kEmployeeEvents, kAbsenceEvents));

  auto subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  const store::SubscriptionRow sub = subs[0];
  EXPECT_EQ(sub.status, store::SubscriptionStatus::kActive);
  EXPECT_EQ(sub.mode, "api");
  EXPECT_FALSE(sub.last_error.has_value());
  ASSERT_TRUE(sub.remote_id.has_value());
  EXPECT_EQ(*sub.remote_id, std::string(remote[0].at("id").as_string()));
  EXPECT_EQ(as_set(sub.event_types), join(kEmployeeEvents, kAbsenceEvents));
  EXPECT_EQ(std::string(remote[0].at("url").as_string()),
            ingress_url(kPublicUrl, "personio", sub.ingress_token));
  ASSERT_TRUE(sub.secret.has_value());
  EXPECT_TRUE(store_.secrets().open(*sub.secret, SecretBox::secret_of("subscriptions", sub.id)).has_value());
  EXPECT_GE(changed_.load(), 1);

  // Reconciling again changes nothing, here or there.
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u);
  EXPECT_EQ(std::string(remote[0].at("id").as_string()), *sub.remote_id);
  subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].id, sub.id);
  EXPECT_EQ(subs[0].remote_id, sub.remote_id);
}

TEST_F(ReconcilerSimTest, NarrowingTheScopeReplacesTheWebhook) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  auto before = subscriptions(id);
  ASSERT_EQ(before.size(), 1u);
  const std::string old_remote = before[0].remote_id.value_or("");

  store_.set_scope(id, R"({"models":{"hris_absences":false},"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());

  auto remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u) << bj::serialize(remote);
  EXPECT_NE(std::string(remote[0].at("id").as_string()), old_remote);  // the old one was deleted
  EXPECT_EQ(as_set(remote[0].at("enabled_events")), kEmployeeEvents);

  auto subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kActive);
  EXPECT_EQ(as_set(subs[0].event_types), kEmployeeEvents);
  EXPECT_EQ(subs[0].remote_id.value_or(""), std::string(remote[0].at("id").as_string()));
}

TEST_F(ReconcilerSimTest, WebhooksOffRemovesTheRemoteWebhookAndKeepsADisabledRow) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_EQ(remote_webhooks().size(), 1u);

  store_.set_scope(id, R"({"upstream_webhooks":false})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  EXPECT_EQ(remote_webhooks().size(), 0u);
  auto subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kDisabled);
  EXPECT_FALSE(subs[0].remote_id.has_value());
  ASSERT_TRUE(subs[0].last_error.has_value());
  EXPECT_NE(subs[0].last_error->find("disabled in the scope config"), std::string::npos);

  // Turned on again: the same row is subscribed again.
  store_.set_scope(id, R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  auto remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u);
  subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kActive);
  EXPECT_EQ(subs[0].remote_id.value_or(""), std::string(remote[0].at("id").as_string()));
}

TEST_F(ReconcilerSimTest, IntegrationCreatedWithWebhooksOffSubscribesNothing) {
  auto id = personio(R"({"upstream_webhooks":false})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  EXPECT_EQ(remote_webhooks().size(), 0u);
  EXPECT_TRUE(subscriptions(id).empty());
}

TEST_F(ReconcilerSimTest, MissingPermissionIsReportedAndRetriedAfterTheBackoff) {
  set_permission(false);
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());

  EXPECT_EQ(remote_webhooks().size(), 0u);
  auto subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kMissingPermission);
  EXPECT_FALSE(subs[0].remote_id.has_value());
  EXPECT_EQ(subs[0].failures, 1);
  ASSERT_TRUE(subs[0].last_error.has_value());
  // Says what the end customer must grant.
  EXPECT_NE(subs[0].last_error->find("Webhooks"), std::string::npos) << *subs[0].last_error;
  EXPECT_NE(subs[0].last_error->find("grant"), std::string::npos) << *subs[0].last_error;
  EXPECT_EQ(subs[0].last_error->find("test-secret"), std::string::npos);  // never a credential
  ASSERT_TRUE(subs[0].next_attempt_at.has_value());
  EXPECT_GT(*subs[0].next_attempt_at, now_ms() - 1000);
  // The integration is due again when the subscription's retry is.
  EXPECT_EQ(store_.integration(id).reconcile_due_at, subs[0].next_attempt_at);

  // Granted: the reconciler's own loop retries once the backoff is over, with no notify.
  set_permission(true);
  reconciler_->start();
  ASSERT_TRUE(wait_until([&] { return subscriptions(id).at(0).status == store::SubscriptionStatus::kActive; },
                         5000ms));
  auto remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u);
  subs = subscriptions(id);
  EXPECT_EQ(subs[0].remote_id.value_or(""), std::string(remote[0].at("id").as_string()));
  EXPECT_EQ(subs[0].failures, 0);
  EXPECT_FALSE(subs[0].last_error.has_value());
  EXPECT_FALSE(subs[0].next_attempt_at.has_value());
}

TEST_F(ReconcilerSimTest, ReconcileNowRetriesAtOnceWithoutWaitingForTheBackoff) {
  ReconcilerOptions options;
  options.public_url = kPublicUrl;
  options.retry_base_ms = 3600 * 1000;  // the backoff alone would not retry during this test
  reconciler_ = std::make_unique<Reconciler>(store_.pool(), store_.writer(), connectors::builtin_registry(),
                                             store_.secrets(), *client_, options);
  set_permission(false);
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_EQ(subscriptions(id).at(0).status, store::SubscriptionStatus::kMissingPermission);

  set_permission(true);
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  EXPECT_EQ(subscriptions(id).at(0).status, store::SubscriptionStatus::kActive);
  EXPECT_EQ(remote_webhooks().size(), 1u);
}

TEST_F(ReconcilerSimTest, BackoffDoublesWhileThePermissionIsMissing) {
  set_permission(false);
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  Millis before = now_ms();
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  auto second = subscriptions(id).at(0);
  EXPECT_EQ(second.status, store::SubscriptionStatus::kMissingPermission);
  EXPECT_EQ(second.failures, 2);
  ASSERT_TRUE(second.next_attempt_at.has_value());
  EXPECT_GE(*second.next_attempt_at - before, 200);  // 100 ms × 2
}

// The periodic re-check alone (no notify, no "reconcile now") finds a webhook deleted at the tool and creates
// it again, at every interval: deleted twice, it is back twice.
TEST_F(ReconcilerSimTest, ThePeriodicRecheckRecreatesAWebhookDeletedAtTheTool) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ReconcilerOptions options;
  options.public_url = kPublicUrl;
  options.api_timeout = 5000ms;
  options.recheck_interval_ms = 300;
  start_with(options);
  for (int round = 0; round < 2; ++round) {
    auto remote = remote_webhooks();
    ASSERT_EQ(remote.size(), 1u) << bj::serialize(remote);
    const std::string old_id(remote[0].at("id").as_string());
    delete_at_tool(old_id);
    ASSERT_TRUE(wait_until([&] { return remote_webhooks().size() == 1; }, 20000ms)) << "round " << round;
    remote = remote_webhooks();
    ASSERT_EQ(remote.size(), 1u) << bj::serialize(remote);
    const std::string new_id(remote[0].at("id").as_string());
    EXPECT_NE(new_id, old_id);
    EXPECT_EQ(as_set(remote[0].at("enabled_events")), join(kEmployeeEvents, kAbsenceEvents));
    ASSERT_TRUE(
        wait_until([&] { return subscriptions(id).at(0).remote_id.value_or("") == new_id; }, 20000ms));
    auto subs = subscriptions(id);
    ASSERT_EQ(subs.size(), 1u);
    EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kActive);
  }
}

// At start-up every integration is checked once, whatever the interval: a webhook deleted while no node ran
// is back after the start.
TEST_F(ReconcilerSimTest, TheStartUpCheckRecreatesAWebhookDeletedWhileStopped) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_GT(store_.integration(id).reconcile_due_at.value_or(0), now_ms() + 30 * 60 * 1000);  // an hour off
  auto remote = remote_webhooks();
  ASSERT_EQ(remote.size(), 1u);
  delete_at_tool(std::string(remote[0].at("id").as_string()));
  ASSERT_EQ(remote_webhooks().size(), 0u);
  reconciler_->start();
  ASSERT_TRUE(wait_until([&] { return remote_webhooks().size() == 1; }, 20000ms));
  ASSERT_TRUE(wait_until(
      [&] {
        return subscriptions(id).at(0).remote_id.value_or("") ==
               std::string(remote_webhooks().at(0).at("id").as_string());
      },
      20000ms));
}

// Credentials the tool stops accepting (401) turn an active subscription `failed` at the next re-check, with
// the tool's answer; once they work again a later re-check makes it active.
TEST_F(ReconcilerSimTest, RejectedCredentialsTurnTheSubscriptionFailedWithTheToolsAnswer) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_EQ(subscriptions(id).at(0).status, store::SubscriptionStatus::kActive);
  auto fault = call(*client_, "POST", sim_->base_url() + "/_sim/faults", R"({"unauthorized":true})");
  ASSERT_EQ(fault.status, 200) << fault.body;
  ReconcilerOptions options;
  options.public_url = kPublicUrl;
  options.api_timeout = 5000ms;
  options.recheck_interval_ms = 300;
  options.retry_base_ms = 100;
  start_with(options);
  ASSERT_TRUE(wait_until([&] { return subscriptions(id).at(0).status == store::SubscriptionStatus::kFailed; },
                         20000ms));
  auto sub = subscriptions(id).at(0);
  ASSERT_TRUE(sub.last_error.has_value());
  EXPECT_NE(sub.last_error->find("Personio rejected the credentials"), std::string::npos) << *sub.last_error;
  EXPECT_EQ(sub.last_error->find("test-secret"), std::string::npos);  // never a credential
  EXPECT_GE(sub.failures, 1);
  EXPECT_TRUE(sub.next_attempt_at.has_value());
  // The integration is INVALID, and said so once.
  auto row = must(store::integrations::get(store_.conn(), id));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(store::integration_state(*row), "INVALID");
  auto states = state_changes(id);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0], "INVALID");

  fault = call(*client_, "POST", sim_->base_url() + "/_sim/faults", R"({"unauthorized":false})");
  ASSERT_EQ(fault.status, 200) << fault.body;
  ASSERT_TRUE(wait_until([&] { return subscriptions(id).at(0).status == store::SubscriptionStatus::kActive; },
                         20000ms));
  EXPECT_FALSE(subscriptions(id).at(0).last_error.has_value());
  EXPECT_EQ(remote_webhooks().size(), 1u);
  // Accepted again: ACTIVE.
  ASSERT_TRUE(wait_until([&] { return state_changes(id).size() == 2; }, 20000ms));
  EXPECT_EQ(state_changes(id)[1], "ACTIVE");
  row = must(store::integrations::get(store_.conn(), id));
  EXPECT_EQ(store::integration_state(*row), "ACTIVE");
}

TEST_F(ReconcilerSimTest, DeletedIntegrationLosesItsWebhookAndIsHardDeleted) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_EQ(remote_webhooks().size(), 1u);

  must(store_.writer().run(
      [&](store::Connection& c) { return store::integrations::mark_deleted(c, id, now_ms()); }));
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  EXPECT_EQ(remote_webhooks().size(), 0u);
  EXPECT_FALSE(must(store::integrations::get(store_.conn(), id, /*include_deleted=*/true)).has_value());
  EXPECT_TRUE(subscriptions(id).empty());
}

TEST_F(ReconcilerSimTest, DeletionWaitsUntilTheRemoteWebhookIsGone) {
  auto id = personio(R"({"upstream_webhooks":true})");
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  ASSERT_EQ(remote_webhooks().size(), 1u);

  set_permission(false);
  must(store_.writer().run(
      [&](store::Connection& c) { return store::integrations::mark_deleted(c, id, now_ms()); }));
  ASSERT_TRUE(reconciler_->reconcile(id).ok());
  // The tool refused: the row stays (deleted) so the webhook is not orphaned, and says why.
  EXPECT_TRUE(must(store::integrations::get(store_.conn(), id, true)).has_value());
  auto subs = subscriptions(id);
  ASSERT_EQ(subs.size(), 1u);
  ASSERT_TRUE(subs[0].last_error.has_value());
  EXPECT_NE(subs[0].last_error->find("could not delete"), std::string::npos) << *subs[0].last_error;

  set_permission(true);
  reconciler_->start();
  ASSERT_TRUE(
      wait_until([&] { return !must(store::integrations::get(store_.conn(), id, true)).has_value(); }));
  EXPECT_EQ(remote_webhooks().size(), 0u);
}

TEST(ReconcilerManualTest, GreenhouseGetsOnePendingSubscriptionWithAGeneratedSecretAndNoRemoteCalls) {
  TestStore store;
  FakeEndpoint tool_api;  // stands in for the tool's API: nothing may call it
  auto client = loopback_client();
  ReconcilerOptions options;
  options.public_url = kPublicUrl;
  Reconciler reconciler(store.pool(), store.writer(), connectors::builtin_registry(), store.secrets(),
                        *client, options);
  auto id = store.add_integration("greenhouse", "ATS", R"({"upstream_webhooks":true})", tool_api.url(""),
                                  kGreenhouseCredentials, tool_api.url(""));
  ASSERT_TRUE(reconciler.reconcile(id).ok());

  auto subs = must(store::subscriptions::list_for_integration(store.conn(), id));
  ASSERT_EQ(subs.size(), 1u);
  const store::SubscriptionRow sub = subs[0];
  EXPECT_EQ(sub.mode, "manual");
  EXPECT_EQ(sub.status, store::SubscriptionStatus::kPending);
  EXPECT_FALSE(sub.remote_id.has_value());
  EXPECT_EQ(as_set(sub.event_types),
            (std::set<std::string>{"new_candidate_application", "delete_candidate", "job_updated",
                                   "job_post_created", "job_post_updated", "job_post_deleted"}));
  ASSERT_TRUE(sub.secret.has_value());
  auto secret = store.secrets().open(*sub.secret, SecretBox::secret_of("subscriptions", sub.id));
  ASSERT_TRUE(secret.has_value());
  auto raw = crypto::base64_decode(*secret);
  ASSERT_TRUE(raw.has_value()) << "the generated secret is base64";
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_EQ(sub.ingress_token.size(), 32u);

  // Reconciling again keeps the same row and secret.
  ASSERT_TRUE(reconciler.reconcile(id).ok());
  auto again = must(store::subscriptions::list_for_integration(store.conn(), id));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, sub.id);
  EXPECT_EQ(store.secrets().open(*again[0].secret, SecretBox::secret_of("subscriptions", again[0].id)),
            secret);

  // Deleting it is local too.
  must(store.writer().run(
      [&](store::Connection& c) { return store::integrations::mark_deleted(c, id, now_ms()); }));
  ASSERT_TRUE(reconciler.reconcile(id).ok());
  EXPECT_FALSE(must(store::integrations::get(store.conn(), id, true)).has_value());
  EXPECT_EQ(tool_api.count(), 0u);
}

// A tool that calls the ingress URL while the subscription is being created (SmartRecruiters' activation
// handshake): the ingress can only answer if our row for that URL already exists at that moment.
class HandshakeDuringCreateConnector final : public connectors::Connector {
 public:
  explicit HandshakeDuringCreateConnector(TestStore& store) : store_(store) {}
  std::string_view tool() const override { return "handshaking"; }
  std::string_view display_name() const override { return "Handshaking"; }
  connectors::Category category() const override { return connectors::Category::kAts; }
  connectors::SubscriptionMode subscription_mode() const override {
    return connectors::SubscriptionMode::kApi;
  }
  const std::vector<connectors::EventFeed>& feeds() const override {
    static const std::vector<connectors::EventFeed> kFeeds = {
        {connectors::Model::kAtsCandidates, connectors::Action::kCreated, {"candidate.created"}, ""}};
    return kFeeds;
  }
  std::vector<std::string> credential_keys() const override { return {}; }
  std::string default_base_url(const bj::object&) const override { return "http://127.0.0.1:9"; }
  connectors::Verification verify(const http::Request&, const connectors::VerificationKeys&) const override {
    return {};
  }
  Result<connectors::ParsedEvent> parse(const http::Request&) const override {
    return connectors::ParsedEvent{};
  }

  Result<connectors::RemoteSubscription> create_subscription(
      const connectors::ApiContext&, const connectors::SubscriptionRequest& request) const override {
    // What the ingress does with the tool's handshake request: find the row by the URL's token.
    const std::string token = request.ingress_url.substr(request.ingress_url.rfind('/') + 1);
    const bool found = must(store::subscriptions::get_by_token(store_.conn(), token)).has_value();
    rows_seen_during_create.push_back(found);
    if (!found) return make_error(ErrorKind::kUpstream, "handshake failed: unknown ingress URL");
    return connectors::RemoteSubscription{"remote-1", "vendor-generated-key"};
  }
  Status delete_subscription(const connectors::ApiContext&, const std::string&) const override { return {}; }

  mutable std::vector<bool> rows_seen_during_create;

 private:
  TestStore& store_;
};

TEST(ReconcilerHandshakeTest, TheRowExistsWhileTheToolCallsTheIngressDuringCreation) {
  TestStore store;
  auto owned = std::make_unique<HandshakeDuringCreateConnector>(store);
  auto* connector = owned.get();
  connectors::Registry registry;
  registry.add(std::move(owned));
  auto client = loopback_client();
  ReconcilerOptions options;
  options.public_url = kPublicUrl;
  Reconciler reconciler(store.pool(), store.writer(), registry, store.secrets(), *client, options);
  auto id = store.add_integration("handshaking", "ATS", R"({"upstream_webhooks":true})", std::nullopt, "{}");
  ASSERT_TRUE(reconciler.reconcile(id).ok());

  EXPECT_EQ(connector->rows_seen_during_create, std::vector<bool>{true});
  auto subs = must(store::subscriptions::list_for_integration(store.conn(), id));
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].status, store::SubscriptionStatus::kActive);
  EXPECT_EQ(subs[0].remote_id, std::optional<std::string>("remote-1"));
  ASSERT_TRUE(subs[0].secret.has_value());
  EXPECT_EQ(store.secrets().open(*subs[0].secret, SecretBox::secret_of("subscriptions", subs[0].id)),
            std::optional<std::string>("vendor-generated-key"));
  reconciler.stop();
}

}  // namespace
}  // namespace tributary::subscriptions
