// The downstream event builders against the Kombo SDK's webhook schemas (@kombo-api/sdk 1.1.3,
// src/models/syncfinishedwebhookpayload.ts and datachangedwebhookpayload.ts); the e2e receiver also parses
// every delivered event with the SDK itself.
#include "delivery/events.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/json.h"

namespace tributary::delivery {
namespace {

namespace bj = boost::json;

store::IntegrationRow integration(std::string end_user) {
  store::IntegrationRow row;
  row.id = "int_1";
  row.tool = "greenhouse";
  row.category = "ATS";
  row.end_user = std::move(end_user);
  return row;
}

bj::object body_of(const store::EventRow& event) {
  auto parsed = json::parse(event.payload);
  EXPECT_TRUE(parsed && parsed->is_object()) << event.payload;
  bj::object body = parsed->as_object();
  EXPECT_EQ(body.at("id"), bj::value(event.id));
  EXPECT_EQ(body.at("type"), bj::value(event.type));
  EXPECT_EQ(body.size(), 3u) << event.payload;
  return body.at("data").as_object();
}

std::vector<std::string> keys_of(const bj::object& o) {
  std::vector<std::string> out;
  for (const auto& [k, v] : o)
    out.emplace_back(k);
  return out;
}

TEST(DownstreamEvents, EveryTypeNameRoundTrips) {
  for (EventType t : kAllEventTypes)
    EXPECT_EQ(parse_event_type(to_string(t)), t);
  EXPECT_FALSE(parse_event_type("sync_finished"));
  EXPECT_FALSE(parse_event_type(""));
}

TEST(DownstreamEvents, EndpointDisabledNamesTheEndpointWithoutItsQueryString) {
  store::EndpointRow endpoint;
  endpoint.id = "ep_1";
  endpoint.url = "https://hooks.example.com/in/tributary?token=secret#frag";
  endpoint.disabled_reason = "every delivery attempt failed for more than 5 days";
  endpoint.failing_since = 1'000;
  endpoint.disabled_at = 9'000;
  const auto event = endpoint_disabled(endpoint, 9'500);
  EXPECT_EQ(event.type, "endpoint-disabled");
  EXPECT_FALSE(event.integration_id);
  EXPECT_FALSE(event.inbox_id);
  EXPECT_EQ(event.created_at, 9'500);
  const auto data = body_of(event);
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"endpoint_id", "endpoint_url", "reason", "failing_since",
                                                     "disabled_at"}));
  EXPECT_EQ(data.at("endpoint_id"), "ep_1");
  EXPECT_EQ(data.at("endpoint_url"), "https://hooks.example.com/in/tributary");
  EXPECT_EQ(event.payload.find("secret"), std::string::npos) << event.payload;
  EXPECT_EQ(data.at("reason"), "every delivery attempt failed for more than 5 days");
  EXPECT_EQ(data.at("failing_since"), "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(data.at("disabled_at"), "1970-01-01T00:00:09.000Z");
}

TEST(DownstreamEvents, SyncFinishedHasTheSdkKeysAndAWholeNumberOfSeconds) {
  store::SyncRow sync;
  sync.id = "sync_1";
  sync.state = store::SyncState::kSucceeded;
  sync.queued_at = 1'000;
  sync.started_at = 2'000;
  sync.ended_at = 4'999;  // 2.999 s
  const auto event = sync_finished(integration(R"({"organization_name":"Acme","origin_id":"acme-1"})"), sync,
                                   "http://127.0.0.1:8080//");
  EXPECT_EQ(event.type, "sync-finished");
  EXPECT_EQ(event.integration_id, "int_1");
  EXPECT_EQ(event.created_at, 4'999);
  const bj::object data = body_of(event);
  EXPECT_EQ(keys_of(data),
            (std::vector<std::string>{"sync_id", "sync_state", "sync_started_at", "sync_ended_at",
                                      "sync_duration_seconds", "integration_id", "integration_tool",
                                      "integration_category", "end_user", "log_url"}));
  ASSERT_TRUE(data.at("sync_duration_seconds").is_int64()) << json::serialize(data);
  EXPECT_EQ(data.at("sync_duration_seconds").as_int64(), 2);
  EXPECT_EQ(data.at("sync_started_at"), bj::value("1970-01-01T00:00:02.000Z"));
  EXPECT_EQ(data.at("log_url"), bj::value("http://127.0.0.1:8080/v1/syncs/sync_1"));
  EXPECT_EQ(data.at("end_user"),
            bj::value(bj::object{
                {"organization_name", "Acme"}, {"creator_email", nullptr}, {"origin_id", "acme-1"}}));
}

TEST(DownstreamEvents, ASyncThatNeverStartedLastsZeroSeconds) {
  store::SyncRow sync;
  sync.id = "sync_2";
  sync.state = store::SyncState::kFailed;
  sync.queued_at = 5'000;
  const bj::object data = body_of(sync_finished(integration("{}"), sync, ""));
  EXPECT_EQ(data.at("sync_duration_seconds"), bj::value(0));
  EXPECT_EQ(data.at("sync_started_at"), data.at("sync_ended_at"));
}

TEST(DownstreamEvents, AnEndUserTheSdkWouldRejectIsReadAsAnEmptyNameAndNulls) {
  const bj::object expected{{"organization_name", ""}, {"creator_email", nullptr}, {"origin_id", nullptr}};
  for (const char* stored : {"", "not json", "[1,2]", R"({"organization_name":null,"origin_id":7})",
                             R"({"organization_name":null,"creator_email":null,"origin_id":null})"}) {
    EXPECT_EQ(end_user_of(integration(stored)), expected) << stored;
  }
  EXPECT_EQ(end_user_of(integration(R"({"organization_name":"Acme","extra":"x"})")).size(), 3u);
}

TEST(DownstreamEvents, DataChangedNamesEachModelOnce) {
  const auto event = data_changed({"int_1", "greenhouse", "ATS"}, {"ats_jobs", "ats_candidates"}, "inb_1", 7);
  EXPECT_EQ(event.type, "data-changed");
  EXPECT_EQ(event.inbox_id, "inb_1");
  const bj::object data = body_of(event);
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"integration_id", "integration_tool",
                                                     "integration_category", "changed_models"}));
  EXPECT_EQ(json::serialize(data.at("changed_models")), R"([{"name":"ats_candidates"},{"name":"ats_jobs"}])");
  EXPECT_FALSE(data_changed({"int_1", "greenhouse", "ATS"}, {"ats_jobs"}, std::nullopt, 7).inbox_id);
}

TEST(DownstreamEvents, RemoteEventReceivedCarriesTheEventsAndTheEndUser) {
  bj::array events{
      bj::object{{"model", "ats_jobs"}, {"action", "published"}, {"remote_id", "9"}, {"id", nullptr}}};
  const auto event = remote_event_received(integration("garbage"), events, "inb_2", 11);
  EXPECT_EQ(event.type, "remote-event-received");
  EXPECT_EQ(event.inbox_id, "inb_2");
  EXPECT_EQ(event.created_at, 11);
  const bj::object data = body_of(event);
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"integration_id", "integration_tool",
                                                     "integration_category", "end_user", "events"}));
  EXPECT_EQ(data.at("events"), bj::value(events));
  EXPECT_EQ(data.at("end_user").at("organization_name"), bj::value(""));
  EXPECT_NE(remote_event_received(integration("{}"), {}, "inb_3", 11).id, event.id);
}

// integrationcreatedwebhookpayload.ts, integrationdeletedwebhookpayload.ts,
// integrationstatechangedwebhookpayload.ts and connectionflowfailedwebhookpayload.ts: exactly these keys.
TEST(DownstreamEvents, LifecycleEventsHaveKombosKeys) {
  store::IntegrationRow row = integration(R"({"organization_name":"Acme","creator_email":null})");
  const auto created = integration_created(row, 5'000);
  EXPECT_EQ(created.type, "integration-created");
  EXPECT_EQ(created.integration_id, "int_1");
  bj::object data = body_of(created);
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"id", "tool", "category", "end_user"}));
  EXPECT_EQ(data.at("end_user"),
            bj::value(bj::object{
                {"organization_name", "Acme"}, {"creator_email", nullptr}, {"origin_id", nullptr}}));

  row.deleted_at = 6'000;
  data = body_of(integration_deleted(row, 7'000));
  EXPECT_EQ(keys_of(data), (std::vector<std::string>{"id", "tool", "category", "end_user", "deleted_at"}));
  EXPECT_EQ(data.at("deleted_at"), bj::value("1970-01-01T00:00:06.000Z"));

  row.deleted_at.reset();
  data = body_of(integration_state_changed(row, false, 8'000));
  EXPECT_EQ(keys_of(data),
            (std::vector<std::string>{"integration_id", "integration_tool", "integration_category",
                                      "end_user", "qa_status", "setup_status", "state", "updated_at"}));
  EXPECT_EQ(data.at("state"), bj::value("ACTIVE"));
  EXPECT_EQ(data.at("setup_status"), bj::value("FINAL_SYNC_PENDING"));
  EXPECT_EQ(data.at("updated_at"), bj::value("1970-01-01T00:00:08.000Z"));
  row.invalid_since = 1;
  EXPECT_EQ(body_of(integration_state_changed(row, true, 9'000)).at("state"), bj::value("INVALID"));
  EXPECT_EQ(body_of(integration_state_changed(row, true, 9'000)).at("setup_status"), bj::value("COMPLETED"));
  row.enabled = false;  // disabled wins over invalid credentials
  EXPECT_EQ(body_of(integration_state_changed(row, true, 9'000)).at("state"), bj::value("INACTIVE"));

  const auto failed =
      connection_flow_failed("personio", "HRIS", end_user_of(row), "https://t.example/v1/x", 10);
  EXPECT_FALSE(failed.integration_id);
  EXPECT_EQ(keys_of(body_of(failed)),
            (std::vector<std::string>{"integration_tool", "integration_category", "end_user", "log_url"}));
}

}  // namespace
}  // namespace tributary::delivery
