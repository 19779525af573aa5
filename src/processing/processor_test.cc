#include "processing/processor.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/registry.h"
#include "testing/test_support.h"

namespace tributary::processing {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

constexpr const char* kEmployeeCreated = R"([{"model":"hris_employees","action":"created","remote_id":"7"}])";
constexpr const char* kAbsenceCreated = R"([{"model":"hris_absences","action":"created","remote_id":"9"}])";
constexpr const char* kWebhooksOnNoAbsences =
    R"({"models":{"hris_employees":true,"hris_absences":false},"upstream_webhooks":true})";

class ProcessorTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (processor_) processor_->stop();
  }

  void start() {
    processor_ = std::make_unique<Processor>(store_.pool(), store_.writer(), connectors::builtin_registry());
    events_sub_ = store_.writer().subscribe(store::kOutboxChannel, [this] { ++on_events_; });
    processor_->start();
  }

  // Waits until no inbox row is left for the processor.
  bool drained() {
    processor_->notify();
    return wait_until(
        [&] { return store_.count("SELECT COUNT(*) FROM inbox WHERE outcome = 'received'") == 0; });
  }

  TestStore store_;
  std::unique_ptr<Processor> processor_;
  std::atomic<int> on_events_{0};  // the outbox channel's notifications
  store::Writer::Subscription events_sub_;
};

TEST_F(ProcessorTest, InScopeRowBecomesOneEventWithADeliveryPerSubscribedEndpoint) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  auto all = store_.add_endpoint("http://127.0.0.1:9/all");
  auto relayed = store_.add_endpoint("http://127.0.0.1:9/relayed", {"remote-event-received"});
  auto other_type = store_.add_endpoint("http://127.0.0.1:9/sync", {"sync-finished"});
  auto disabled = store_.add_endpoint("http://127.0.0.1:9/off", {}, /*enabled=*/false);
  auto inbox_id = store_.add_inbox(integration, kEmployeeCreated);

  start();
  ASSERT_TRUE(drained());

  auto row = store_.inbox(inbox_id);
  EXPECT_EQ(row.outcome, store::InboxOutcome::kAccepted);
  EXPECT_FALSE(row.reason.has_value()) << *row.reason;
  ASSERT_TRUE(row.processed_at.has_value());
  ASSERT_TRUE(row.event_ids.has_value());

  auto events = must(store::events::for_inbox(store_.conn(), inbox_id));
  ASSERT_EQ(events.size(), 1u);
  const auto& event = events[0];
  EXPECT_EQ(*row.event_ids, bj::serialize(bj::array{bj::value(event.id)}));
  EXPECT_EQ(event.type, "remote-event-received");
  EXPECT_EQ(event.integration_id, integration);

  // The exact downstream body.
  auto payload = bj::parse(event.payload).as_object();
  EXPECT_EQ(str(payload.at("id")), event.id);
  EXPECT_EQ(payload.at("type"), "remote-event-received");
  const auto& data = payload.at("data").as_object();
  EXPECT_EQ(str(data.at("integration_id")), integration);
  EXPECT_EQ(data.at("integration_tool"), "personio");
  EXPECT_EQ(data.at("integration_category"), "HRIS");
  EXPECT_EQ(data.at("end_user").as_object().at("organization_name"), "Acme");
  const auto& relayed_events = data.at("events").as_array();
  ASSERT_EQ(relayed_events.size(), 1u);
  EXPECT_EQ(relayed_events[0].at("model"), "hris_employees");
  EXPECT_EQ(relayed_events[0].at("action"), "created");
  EXPECT_EQ(relayed_events[0].at("remote_id"), "7");
  EXPECT_TRUE(relayed_events[0].at("id").is_null());

  // One pending delivery, due now, for each enabled endpoint that wants the type.
  auto deliveries = store_.deliveries(event.id);
  std::set<std::string> endpoints;
  for (const auto& d : deliveries) {
    endpoints.insert(d.endpoint_id);
    EXPECT_EQ(d.status, store::DeliveryStatus::kPending);
    EXPECT_EQ(d.attempts, 0);
    ASSERT_TRUE(d.next_attempt_at.has_value());
    EXPECT_LE(*d.next_attempt_at, now_ms());
  }
  EXPECT_EQ(endpoints, (std::set<std::string>{all.id, relayed.id}));
  EXPECT_EQ(endpoints.count(other_type.id), 0u);
  EXPECT_EQ(endpoints.count(disabled.id), 0u);

  EXPECT_TRUE(store_.integration(integration).last_event_at.has_value());
  EXPECT_TRUE(wait_until([&] { return on_events_.load() >= 1; }));
  // The count moves once the processor has the write's answer, which can come after the commit's wake-up.
  EXPECT_TRUE(wait_until([&] { return processor_->processed() == 1u; })) << processor_->processed();
}

TEST_F(ProcessorTest, RowsThatAreNotRelayedAreIgnoredWithTheirReason) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  auto webhooks_off = store_.add_integration("personio", "HRIS", R"({"upstream_webhooks":false})");
  auto deleted = store_.add_integration("personio", "HRIS", R"({"upstream_webhooks":true})");
  must(store_.writer().run(
      [&](store::Connection& c) { return store::integrations::mark_deleted(c, deleted, now_ms()); }));
  store_.add_endpoint("http://127.0.0.1:9/hook");

  auto out_of_scope = store_.add_inbox(integration, kAbsenceCreated, "absence-period.created");
  auto unmapped = store_.add_inbox(integration, "[]", "attendance.created");
  auto off = store_.add_inbox(webhooks_off, kEmployeeCreated);
  auto gone = store_.add_inbox(deleted, kEmployeeCreated);
  auto unknown_integration = store_.add_inbox(std::string("personio:missing"), kEmployeeCreated);

  start();
  ASSERT_TRUE(drained());

  auto expect_ignored = [&](const std::string& id, std::vector<std::string> words) {
    auto row = store_.inbox(id);
    EXPECT_EQ(row.outcome, store::InboxOutcome::kIgnored) << id;
    ASSERT_TRUE(row.reason.has_value()) << id;
    for (const auto& w : words)
      EXPECT_NE(row.reason->find(w), std::string::npos) << *row.reason;
    EXPECT_TRUE(row.processed_at.has_value());
    EXPECT_FALSE(row.event_ids.has_value());
    EXPECT_TRUE(must(store::events::for_inbox(store_.conn(), id)).empty());
  };
  expect_ignored(out_of_scope, {"out of scope", "hris_absences"});
  expect_ignored(unmapped, {"attendance.created", "does not map"});
  expect_ignored(off, {"upstream webhooks are disabled"});
  expect_ignored(gone, {"deleted"});
  expect_ignored(unknown_integration, {"deleted"});

  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM events"), 0);
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries"), 0);
  EXPECT_EQ(on_events_.load(), 0);
  EXPECT_FALSE(store_.integration(integration).last_event_at.has_value());
}

TEST_F(ProcessorTest, PartlyOutOfScopeRowRelaysOnlyTheEnabledModels) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  store_.add_endpoint("http://127.0.0.1:9/hook");
  auto id = store_.add_inbox(integration, R"([{"model":"hris_employees","action":"updated","remote_id":"7"},)"
                                          R"({"model":"hris_absences","action":"updated","remote_id":"9"}])");
  start();
  ASSERT_TRUE(drained());

  auto row = store_.inbox(id);
  EXPECT_EQ(row.outcome, store::InboxOutcome::kAccepted);
  ASSERT_TRUE(row.reason.has_value());
  EXPECT_NE(row.reason->find("partly out of scope: hris_absences"), std::string::npos) << *row.reason;
  auto events = must(store::events::for_inbox(store_.conn(), id));
  ASSERT_EQ(events.size(), 1u);
  auto payload = bj::parse(events[0].payload);
  const auto& relayed = payload.at("data").at("events").as_array();
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].at("model"), "hris_employees");
  // The inbox keeps what was relayed.
  EXPECT_EQ(bj::parse(*row.unified_events).as_array().size(), 1u);
}

TEST_F(ProcessorTest, RowsWaitingAtStartAreProcessedWithoutANotify) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(store_.add_inbox(integration, kEmployeeCreated));
  processor_ = std::make_unique<Processor>(store_.pool(), store_.writer(), connectors::builtin_registry());
  processor_->start();  // crash recovery: no notify for rows written before the start
  ASSERT_TRUE(wait_until([&] { return processor_->processed() == 5; }));
  for (const auto& id : ids)
    EXPECT_EQ(store_.inbox(id).outcome, store::InboxOutcome::kAccepted);
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM events"), 5);
}

TEST_F(ProcessorTest, OutcomesEventsAndDeliveriesCommitTogetherOrNotAtAll) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  store_.add_endpoint("http://127.0.0.1:9/hook");
  auto accepted = store_.add_inbox(integration, kEmployeeCreated);
  auto ignored = store_.add_inbox(integration, kAbsenceCreated);
  // Any delivery insert fails: the accepted row's outcome, event and deliveries must roll back together.
  must(store_.writer().run([](store::Connection& c) {
    return c.exec_script(
        "CREATE TRIGGER test_fail_deliveries BEFORE INSERT ON deliveries "
        "BEGIN SELECT RAISE(ABORT, 'test: deliveries unavailable'); END;");
  }));

  start();
  // The ignored row needs no delivery: written on its own once the batch failed.
  ASSERT_TRUE(wait_until([&] { return store_.inbox(ignored).outcome == store::InboxOutcome::kIgnored; }));
  auto waiting = store_.inbox(accepted);
  EXPECT_EQ(waiting.outcome, store::InboxOutcome::kReceived);
  ASSERT_TRUE(waiting.warnings.has_value());
  EXPECT_NE(waiting.warnings->find("deliveries unavailable"), std::string::npos) << *waiting.warnings;
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM events"), 0);  // nothing of the accepted row's attempt

  must(store_.writer().run(
      [](store::Connection& c) { return c.exec_script("DROP TRIGGER test_fail_deliveries"); }));
  ASSERT_TRUE(drained());
  EXPECT_EQ(store_.inbox(accepted).outcome, store::InboxOutcome::kAccepted);
  EXPECT_EQ(store_.inbox(ignored).outcome, store::InboxOutcome::kIgnored);
  // Exactly one event: nothing of the failed attempt survived.
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries"), 1);
}

// One row the database refuses (here: a trigger on that row's event) must not hold up the rows behind it:
// they are relayed, it is put back with the reason among its warnings and tried again later, and it goes
// through once the database takes it.
TEST_F(ProcessorTest, ARowTheDatabaseRefusesIsPutBackWithoutHoldingUpTheOthers) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  store_.add_endpoint("http://127.0.0.1:9/hook");
  auto poison = store_.add_inbox(integration, kEmployeeCreated);
  auto first = store_.add_inbox(integration, kEmployeeCreated);
  auto second = store_.add_inbox(integration, kEmployeeCreated);
  must(store_.writer().run([&](store::Connection& c) {
    return c.exec_script("CREATE TRIGGER test_poison BEFORE INSERT ON events WHEN NEW.inbox_id = '" + poison +
                         "' BEGIN SELECT RAISE(ABORT, 'test: this row is refused'); END;");
  }));

  start();
  ASSERT_TRUE(wait_until([&] {
    return store_.inbox(first).outcome == store::InboxOutcome::kAccepted &&
           store_.inbox(second).outcome == store::InboxOutcome::kAccepted;
  }));
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries"), 2);
  auto refused = store_.inbox(poison);
  EXPECT_EQ(refused.outcome, store::InboxOutcome::kReceived);
  ASSERT_TRUE(refused.warnings.has_value());
  EXPECT_NE(refused.warnings->find("could not be recorded (attempt 1)"), std::string::npos)
      << *refused.warnings;
  EXPECT_NE(refused.warnings->find("this row is refused"), std::string::npos) << *refused.warnings;
  EXPECT_EQ(
      store_.count("SELECT COUNT(*) FROM inbox WHERE id = $1 AND claimed_until > $2", {poison, now_ms()}), 1)
      << "put back for a while, not retried in a tight loop";

  must(store_.writer().run([](store::Connection& c) { return c.exec_script("DROP TRIGGER test_poison"); }));
  ASSERT_TRUE(wait_until([&] { return store_.inbox(poison).outcome == store::InboxOutcome::kAccepted; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM deliveries"), 3);
}

// Ashby sends a jobPostingUpdate beside each jobPostingPublish with the same webhookActionId: the update
// waits for its companion, and is ignored once the publish was received (in either order, on any node); an
// update without one is relayed after the wait.
TEST_F(ProcessorTest, AnUpdateWaitsForTheRelatedPublishAndIsDroppedWhenItCame) {
  auto integration = store_.add_integration("ashby", "ATS", R"({"upstream_webhooks":true})");
  store_.add_endpoint("http://127.0.0.1:9/hook");
  constexpr const char* kJobUpdated = R"([{"model":"ats_jobs","action":"updated","remote_id":"j1"}])";
  constexpr const char* kJobPublished = R"([{"model":"ats_jobs","action":"published","remote_id":"j1"}])";
  auto companion = store_.add_inbox(integration, kJobUpdated, "jobPostingUpdate", "act-1:jobPostingUpdate");
  auto publish = store_.add_inbox(integration, kJobPublished, "jobPostingPublish", "act-1:jobPostingPublish");
  auto alone = store_.add_inbox(integration, kJobUpdated, "jobPostingUpdate", "act-2:jobPostingUpdate");
  const auto started = std::chrono::steady_clock::now();

  start();
  ASSERT_TRUE(wait_until([&] { return store_.inbox(publish).outcome == store::InboxOutcome::kAccepted; }));
  EXPECT_EQ(store_.inbox(companion).outcome, store::InboxOutcome::kReceived)
      << "waiting for a related delivery";
  EXPECT_EQ(store_.inbox(alone).outcome, store::InboxOutcome::kReceived);
  ASSERT_TRUE(wait_until([&] { return store_.inbox(alone).outcome == store::InboxOutcome::kAccepted; },
                         std::chrono::seconds(10)));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));
  ASSERT_TRUE(wait_until([&] { return store_.inbox(companion).outcome != store::InboxOutcome::kReceived; }));
  auto dropped = store_.inbox(companion);
  EXPECT_EQ(dropped.outcome, store::InboxOutcome::kIgnored);
  ASSERT_TRUE(dropped.reason.has_value());
  EXPECT_NE(dropped.reason->find("act-1:jobPostingPublish"), std::string::npos) << *dropped.reason;
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM events"), 2);  // the publish and the lone update
}

TEST_F(ProcessorTest, StopDrainsRowsAlreadyDurable) {
  auto integration = store_.add_integration("personio", "HRIS", kWebhooksOnNoAbsences);
  start();
  ASSERT_TRUE(drained());
  // Written without a notify while the processor sleeps: stop() must still process it.
  auto id = store_.add_inbox(integration, kEmployeeCreated);
  processor_->stop();
  EXPECT_EQ(store_.inbox(id).outcome, store::InboxOutcome::kAccepted);
}

}  // namespace
}  // namespace tributary::processing
