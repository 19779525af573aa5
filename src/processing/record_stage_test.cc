// The processor's targeted fetch, with a scripted stand-in for Personio's API: the record is stored, its
// unified id reaches data.events[].id, data-changed is written only when the content changed, deletions mark
// the record deleted, and a fetch that keeps failing leaves a warning while the event is still relayed.
#include "processing/record_stage.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/common/records.h"
#include "processing/processor.h"
#include "store/records_repo.h"
#include "testing/test_support.h"

namespace tributary::processing {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

constexpr const char* kScope = R"({"models":{"hris_employees":true},"upstream_webhooks":true})";
constexpr const char* kToken = R"({"access_token":"tok","token_type":"Bearer","expires_in":60})";

std::string person(const std::string& first_name) {
  return R"({"id":"7","first_name":")" + first_name +
         R"(","last_name":"Lovelace","email":"ada@acme.test","created_at":"2026-01-01T00:00:00Z"})";
}

class RecordStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = loopback_client();
    RecordStageOptions options;
    options.backoff = std::chrono::milliseconds(10);
    stage_ =
        std::make_unique<RecordStage>(connectors::builtin_registry(), store_.secrets(), *client_, options);
    integration_ = store_.add_integration("personio", "HRIS", kScope, tool_.url(""));
    endpoint_ = store_.add_endpoint("http://127.0.0.1:9/all").id;
    processor_ = std::make_unique<Processor>(store_.pool(), store_.writer(), connectors::builtin_registry());
    processor_->set_record_stage(stage_.get());
    processor_->start();
  }
  void TearDown() override {
    if (processor_) processor_->stop();
  }

  // The tool answers one record read: a token, then the person, then its employments.
  // Personio's connector asks for a token once per integration and keeps it
  // (connectors/common/token_cache.h).
  void script_token() {
    if (!token_scripted_) tool_.then({200, {}, kToken});
    token_scripted_ = true;
  }
  void script_person(const std::string& first_name) {
    script_token();
    tool_.then({200, {}, person(first_name)}).then({200, {}, R"({"_data":[]})"});
  }

  std::vector<store::EventRow> process(const std::string& action) {
    const std::string inbox = store_.add_inbox(
        integration_, R"([{"model":"hris_employees","action":")" + action + R"(","remote_id":"7"}])");
    processor_->notify();
    EXPECT_TRUE(wait_until(
        [&] { return store_.count("SELECT COUNT(*) FROM inbox WHERE outcome = 'received'") == 0; }));
    last_inbox_ = inbox;
    return must(store::events::for_inbox(store_.conn(), inbox));
  }

  static const store::EventRow* of_type(const std::vector<store::EventRow>& events, const std::string& type) {
    for (const auto& e : events)
      if (e.type == type) return &e;
    return nullptr;
  }

  FakeEndpoint tool_;
  TestStore store_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<RecordStage> stage_;
  std::unique_ptr<Processor> processor_;
  std::string integration_;
  std::string endpoint_;
  std::string last_inbox_;
  bool token_scripted_ = false;
};

TEST_F(RecordStageTest, FetchedRecordIsStoredAndItsIdRelayed) {
  script_person("Ada");
  auto events = process("created");
  const auto* relayed = of_type(events, "remote-event-received");
  ASSERT_NE(relayed, nullptr);
  const std::string id = connectors::common::unified_id(integration_, "hris_employees", "7");
  auto payload = bj::parse(relayed->payload);
  EXPECT_EQ(payload.at("data").at("events").at(0).at("id"), bj::value(id));

  auto record = must(store::records::get(store_.conn(), integration_, "hris_employees", "7"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, id);
  EXPECT_EQ(bj::parse(record->data).at("first_name"), bj::value("Ada"));

  const auto* changed = of_type(events, "data-changed");
  ASSERT_NE(changed, nullptr);
  auto data = bj::parse(changed->payload).at("data");
  EXPECT_EQ(data.at("integration_id"), bj::value(integration_));
  EXPECT_EQ(data.at("integration_tool"), bj::value("personio"));
  EXPECT_EQ(data.at("integration_category"), bj::value("HRIS"));
  EXPECT_EQ(data.at("changed_models"), bj::parse(R"([{"name":"hris_employees"}])"));
  EXPECT_EQ(store_.deliveries(changed->id).size(), 1u);

  // The same content again: relayed, but nothing changed.
  script_person("Ada");
  events = process("updated");
  EXPECT_NE(of_type(events, "remote-event-received"), nullptr);
  EXPECT_EQ(of_type(events, "data-changed"), nullptr);
  auto same = must(store::records::get(store_.conn(), integration_, "hris_employees", "7"));
  EXPECT_EQ(same->changed_at, record->changed_at);

  // New content: changed_at moves, data-changed again.
  script_person("Augusta");
  events = process("updated");
  EXPECT_NE(of_type(events, "data-changed"), nullptr);
  auto updated = must(store::records::get(store_.conn(), integration_, "hris_employees", "7"));
  EXPECT_EQ(bj::parse(updated->data).at("first_name"), bj::value("Augusta"));
  EXPECT_GE(updated->changed_at, record->changed_at);
  EXPECT_GT(updated->seq, record->seq);

  // A deletion marks it deleted without a fetch.
  const auto requests = tool_.received().size();
  events = process("deleted");
  EXPECT_NE(of_type(events, "data-changed"), nullptr);
  EXPECT_EQ(tool_.received().size(), requests);
  auto deleted = must(store::records::get(store_.conn(), integration_, "hris_employees", "7"));
  EXPECT_TRUE(deleted->remote_deleted_at.has_value());
}

TEST_F(RecordStageTest, AFetchThatKeepsFailingLeavesAWarningAndTheEventIsRelayed) {
  tool_.set_default({500, {}, R"({"error":"down"})"});
  auto events = process("created");
  EXPECT_NE(of_type(events, "remote-event-received"), nullptr);
  EXPECT_EQ(of_type(events, "data-changed"), nullptr);
  auto row = store_.inbox(last_inbox_);
  EXPECT_EQ(row.outcome, store::InboxOutcome::kAccepted);
  ASSERT_TRUE(row.warnings.has_value());
  EXPECT_NE(row.warnings->find("could not fetch hris_employees 7"), std::string::npos) << *row.warnings;
  // Three attempts, each a token request (500 already there).
  EXPECT_EQ(tool_.received().size(), 3u);
  EXPECT_FALSE(must(store::records::get(store_.conn(), integration_, "hris_employees", "7")));
  // A delta sync is queued to catch the record up; a second failure does not queue another.
  EXPECT_EQ(
      store_.count("SELECT COUNT(*) FROM syncs WHERE integration_id = $1 AND state = 'QUEUED' AND type = "
                   "'DELTA'",
                   {integration_}),
      1);
  process("updated");
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM syncs WHERE integration_id = $1", {integration_}), 1);
}

// The hint a delivery carried beside the record's id (HiBob: the employee of a time-off request) reaches the
// fetch from the stored inbox row, and stays out of what is relayed.
TEST_F(RecordStageTest, TheDeliverysFetchHintReachesTheFetchAndIsNotRelayed) {
  const std::string hibob =
      store_.add_integration("hibob", "HRIS", R"({"models":{"hris_absences":true},"upstream_webhooks":true})",
                             tool_.url(""), R"({"service_user_id":"SERVICE-1","service_user_token":"tok"})");
  tool_.then({200,
              {},
              R"({"id":44623014,"employeeId":"E7","status":"approved","startDate":"2026-03-02",)"
              R"("endDate":"2026-03-03","type":"days","policyTypeDisplayName":"Holiday"})"});
  const std::string inbox = store_.add_inbox(
      hibob, R"([{"model":"hris_absences","action":"created","remote_id":"44623014","fetch_hint":"E7"}])");
  processor_->notify();
  ASSERT_TRUE(
      wait_until([&] { return store_.count("SELECT COUNT(*) FROM inbox WHERE outcome = 'received'") == 0; }));
  const auto received = tool_.received();
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received[0].request.path, "/v1/timeoff/employees/E7/requests/44623014");
  auto record = must(store::records::get(store_.conn(), hibob, "hris_absences", "44623014"));
  ASSERT_TRUE(record);
  EXPECT_EQ(bj::parse(record->data).at("employee_id"),
            bj::value(connectors::common::unified_id(hibob, "hris_employees", "E7")));

  auto events = must(store::events::for_inbox(store_.conn(), inbox));
  const auto* relayed = of_type(events, "remote-event-received");
  ASSERT_NE(relayed, nullptr);
  const bj::value payload = bj::parse(relayed->payload);
  const auto& relayed_event = payload.at("data").at("events").at(0).as_object();
  EXPECT_FALSE(relayed_event.contains("fetch_hint")) << relayed->payload;
  EXPECT_EQ(store_.inbox(inbox).unified_events->find("fetch_hint"), std::string::npos);
}

TEST_F(RecordStageTest, ASuccessfulFetchQueuesNoSync) {
  script_person("Ada");
  process("created");
  EXPECT_EQ(store_.count("SELECT COUNT(*) FROM syncs"), 0);
}

TEST_F(RecordStageTest, ADeadToolCostsOneRoundOfRetriesPerBatch) {
  tool_.set_default({503, {}, R"({"error":"down"})"});
  const auto integration = store_.integration(integration_);
  std::set<std::string> unreachable;
  std::string first =
      R"({"id":"e1","type":"remote-event-received","data":{"events":[{"model":"hris_employees","action":"updated","remote_id":"7","id":null}]}})";
  std::string second = first;
  auto a = stage_->prepare(integration, first, &unreachable);
  ASSERT_EQ(a.warnings.size(), 1u);
  EXPECT_EQ(tool_.received().size(), 3u);
  EXPECT_EQ(unreachable.count(integration_), 1u);
  auto b = stage_->prepare(integration, second, &unreachable);
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find("did not fetch"), std::string::npos) << b.warnings[0];
  EXPECT_EQ(tool_.received().size(), 3u);  // no further requests
  // The unified id is filled in even without the record.
  EXPECT_EQ(bj::parse(second).at("data").at("events").at(0).at("id"),
            bj::value(connectors::common::unified_id(integration_, "hris_employees", "7")));
}

TEST_F(RecordStageTest, RetriesStopWhenTheTimeBudgetIsSpent) {
  tool_.hold_everything();
  RecordStageOptions options;
  options.fetch_attempts = 10;
  options.backoff = std::chrono::milliseconds(10);
  options.api_timeout = std::chrono::milliseconds(200);
  options.retry_budget = std::chrono::milliseconds(300);
  RecordStage stage(connectors::builtin_registry(), store_.secrets(), *client_, options);
  std::string payload =
      R"({"id":"e1","type":"remote-event-received","data":{"events":[{"model":"hris_employees","action":"updated","remote_id":"7","id":null}]}})";
  const auto started = std::chrono::steady_clock::now();
  auto work = stage.prepare(store_.integration(integration_), payload);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(work.warnings.size(), 1u);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LE(tool_.received().size(), 3u);  // not ten attempts
}

TEST_F(RecordStageTest, ARecordTheToolNoLongerHasIsMarkedDeleted) {
  script_person("Ada");
  process("created");
  script_token();
  tool_.then({404, {}, R"({"error":"not found"})"});
  auto events = process("updated");
  EXPECT_NE(of_type(events, "data-changed"), nullptr);
  auto record = must(store::records::get(store_.conn(), integration_, "hris_employees", "7"));
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->remote_deleted_at.has_value());
}

}  // namespace
}  // namespace tributary::processing
