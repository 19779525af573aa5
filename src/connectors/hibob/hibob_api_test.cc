// HiBob's record calls against a real local HTTP server standing in for the Bob API.
#include <gtest/gtest.h>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/hibob/hibob.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

constexpr std::string_view kPerson = R"({
  "id":"3332883894138569263","firstName":"Ashley","surname":"Adams","email":"ashley.adams@example.com",
  "displayName":"Ashley Adams",
  "work":{"title":"Head of People","department":"People","site":"London","startDate":"2021-04-01",
          "reportsTo":{"id":"3332883884017713238","displayName":"Sam Lee"},"employeeIdInCompany":104},
  "internal":{"status":"Active","terminationDate":null},
  "personal":{"shortBirthDate":"03-02","nationality":["British"]},
  "about":{"avatar":"https://images.example.com/a.png"},
  "home":{"mobilePhone":"+44 7700 900123","privateEmail":""}})";

class HiBobApiTest : public testing::ConnectorApiTest {
 protected:
  HiBobApiTest() : ConnectorApiTest(register_hibob, "hibob") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    ctx_.credentials["service_user_id"] = "SERVICE-4411";
    ctx_.credentials["service_user_token"] = "tok_SecretServiceToken99";
    ctx_.integration_id = "int_h";
  }

  std::string expected_auth() const {
    return "Basic " + crypto::base64_encode("SERVICE-4411:tok_SecretServiceToken99");
  }
};

TEST_F(HiBobApiTest, FetchesAndMapsAnEmployee) {
  fake_.set("POST /v1/people/3332883894138569263", 200, std::string(kPerson));
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "3332883894138569263");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].header("Authorization"), expected_auth());
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  bj::value body = bj::parse(reqs[0].body);
  const auto& fields = body.as_object().at("fields").as_array();
  EXPECT_NE(std::find(fields.begin(), fields.end(), bj::value("root.firstName")), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), bj::value("root.email")), fields.end());

  const bj::object& e = **got;
  EXPECT_EQ(e.at("id").as_string(), common::unified_id("int_h", "hris_employees", "3332883894138569263"));
  EXPECT_EQ(e.at("remote_id").as_string(), "3332883894138569263");
  EXPECT_EQ(e.at("first_name").as_string(), "Ashley");
  EXPECT_EQ(e.at("last_name").as_string(), "Adams");
  EXPECT_EQ(e.at("work_email").as_string(), "ashley.adams@example.com");
  EXPECT_EQ(e.at("display_full_name").as_string(), "Ashley Adams");
  EXPECT_EQ(e.at("job_title").as_string(), "Head of People");
  EXPECT_EQ(e.at("employee_number").as_string(), "104");
  EXPECT_EQ(e.at("nationality").as_string(), "British");
  EXPECT_EQ(e.at("employment_status").as_string(), "ACTIVE");
  EXPECT_EQ(e.at("start_date").as_string(), "2021-04-01T00:00:00.000Z");
  EXPECT_TRUE(e.at("termination_date").is_null());
  EXPECT_TRUE(e.at("date_of_birth").is_null());
  EXPECT_TRUE(e.at("personal_email").is_null());
  EXPECT_EQ(e.at("mobile_phone_number").as_string(), "+44 7700 900123");
  EXPECT_EQ(e.at("manager_id").as_string(),
            common::unified_id("int_h", "hris_employees", "3332883884017713238"));
  EXPECT_EQ(e.at("groups").as_array().at(0).as_object().at("name").as_string(), "People");
  EXPECT_EQ(e.at("avatar").as_string(), "https://images.example.com/a.png");
  EXPECT_EQ(e.size(), 38u);
}

TEST_F(HiBobApiTest, FlatFieldPathsAreUnderstood) {
  fake_.set("POST /v1/people/9", 200,
            R"({"/root/id":"9","/root/firstName":"Flat","root.surname":"Keys","work.title":"Ops"})");
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "9");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((**got).at("first_name").as_string(), "Flat");
  EXPECT_EQ((**got).at("last_name").as_string(), "Keys");
  EXPECT_EQ((**got).at("job_title").as_string(), "Ops");
}

TEST_F(HiBobApiTest, FetchErrors) {
  fake_.set("POST /v1/people/*", 404, R"({"error":"not found"})");
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  fake_.set("POST /v1/people/*", 401, R"({"error":"Invalid token tok_SecretServiceToken99"})");
  got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(got.error().message.find("Invalid token"), std::string::npos) << got.error().message;
  EXPECT_EQ(got.error().message.find("tok_SecretServiceToken99"), std::string::npos) << got.error().message;

  fake_.set("POST /v1/people/*", 403, "{}");
  got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(got.error().message.find("Service users"), std::string::npos);

  int calls = 0;
  fake_.on("POST /v1/people/*", [&calls](const http::Request&) {
    ++calls;
    return http::Response::json(429, "{}").with_header("Retry-After", "0");
  });
  got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(calls, 3);

  ctx_.credentials.erase("service_user_token");
  EXPECT_EQ(connector_->fetch_record(ctx_, Model::kHrisEmployees, "1").error().kind,
            ErrorKind::kInvalidArgument);
}

TEST_F(HiBobApiTest, ListsEveryEmployeeInOnePage) {
  int calls = 0;
  fake_.on("POST /v1/people/search", [&calls](const http::Request&) {
    if (++calls == 1) return http::Response::json(429, "{}").with_header("Retry-After", "0");
    return http::Response::json(200, R"({"employees":[)" + std::string(kPerson) +
                                         R"(,{"id":"77","firstName":"Bo","surname":"Ng"},{"noid":true},5]})");
  });
  auto page = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_TRUE(page->next.empty());
  EXPECT_EQ(page->records[1].at("remote_id").as_string(), "77");
  EXPECT_EQ(page->records[1].at("display_full_name").as_string(), "Bo Ng");
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  bj::value body = bj::parse(reqs[1].body);
  EXPECT_TRUE(body.as_object().at("fields").is_array());
  EXPECT_EQ(body.as_object().at("showInactive"), true);
  EXPECT_EQ(reqs[1].header("Authorization"), expected_auth());

  fake_.set("POST /v1/people/search", 200, R"({"people":[]})");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "").error().kind, ErrorKind::kUpstream);
  fake_.set("POST /v1/people/search", 401, "{}");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "").error().kind, ErrorKind::kUnauthorized);
}

std::string time_off_request(int id, const std::string& employee) {
  return R"({"employeeId":")" + employee + R"(","requestId":)" + std::to_string(id) +
         R"(,"policyTypeDisplayName":"Holiday","policyType":"Holiday","type":"days","requestRangeType":"days",
           "startDatePortion":"all_day","endDatePortion":"morning","startDate":"2025-03-20","endDate":"2025-03-21",
           "status":"approved","approved":true,"description":"Family visit","durationUnit":"days",
           "totalDuration":1.5,"createdOn":"2025-03-12T10:02:11.402"})";
}

TEST_F(HiBobApiTest, ListsTimeOffThroughTheChangesFeedAcrossPages) {
  // 60 requests (one of them deleted later, one listed twice): two pages of up to 50.
  std::string changes = R"({"changes":[)";
  for (int i = 1; i <= 60; ++i)
    changes += (i > 1 ? "," : "") + std::string(R"({"changeType":"Created","employeeId":"E)") +
               std::to_string(i % 3) + R"(","requestId":)" + std::to_string(1000 + i) + "}";
  changes += R"(,{"changeType":"Deleted","employeeId":"E1","requestId":1001})";
  changes += R"(,{"changeType":"Created","employeeId":"E2","requestId":1002}]})";
  fake_.on("GET /v1/timeoff/requests/changes", [changes](const http::Request& r) {
    if (!r.query_param("since")) return http::Response::json(400, R"({"error":"since is required"})");
    return http::Response::json(200, changes);
  });
  fake_.on("GET /v1/timeoff/employees/*", [](const http::Request& r) {
    // /v1/timeoff/employees/{employee}/requests/{id}
    const std::string rest = r.path.substr(std::string("/v1/timeoff/employees/").size());
    const auto slash = rest.find("/requests/");
    if (slash == std::string::npos) return http::Response::json(404, "{}");
    const int id = std::stoi(rest.substr(slash + 10));
    if (id == 1030) return http::Response::json(404, "{}");  // gone between the feed and the read
    return http::Response::json(200, time_off_request(id, rest.substr(0, slash)));
  });

  auto first = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->records.size(), 49u);  // 1001 deleted, 1030 gone: 50 refs read, 49 found
  EXPECT_EQ(first->next, "50");
  const bj::object& a = first->records[0];
  EXPECT_EQ(a.at("remote_id").as_string(), "1002");
  EXPECT_EQ(a.at("id").as_string(), common::unified_id("int_h", "hris_absences", "1002"));
  EXPECT_EQ(a.at("employee_id").as_string(), common::unified_id("int_h", "hris_employees", "E2"));
  EXPECT_EQ(a.at("start_date").as_string(), "2025-03-20");
  EXPECT_EQ(a.at("end_date").as_string(), "2025-03-21");
  EXPECT_EQ(a.at("status").as_string(), "APPROVED");
  EXPECT_EQ(a.at("amount").as_double(), 1.5);
  EXPECT_EQ(a.at("unit").as_string(), "DAYS");
  EXPECT_EQ(a.at("start_half_day"), false);
  EXPECT_EQ(a.at("end_half_day"), true);
  EXPECT_EQ(a.at("employee_note").as_string(), "Family visit");
  EXPECT_EQ(a.at("type").as_object().at("name").as_string(), "Holiday");
  EXPECT_EQ(a.size(), 19u);

  auto second = connector_->list_records(ctx_, Model::kHrisAbsences, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->records.size(), 9u);  // 59 distinct live requests in all
  EXPECT_TRUE(second->next.empty());
  EXPECT_EQ(second->records.back().at("remote_id").as_string(), "1060");

  for (const auto& r : fake_.requests())
    EXPECT_EQ(r.header("Authorization"), expected_auth()) << r.path;
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kHrisAbsences, "x1").ok());
}

TEST_F(HiBobApiTest, FetchesOneTimeOffRequest) {
  fake_.set("GET /v1/timeoff/requests/changes", 200,
            R"({"changes":[{"changeType":"Created","employeeId":"E7","requestId":44623014}]})");
  fake_.on("GET /v1/timeoff/employees/E7/requests/44623014",
           [](const http::Request&) { return http::Response::json(200, time_off_request(44623014, "E7")); });
  auto got = connector_->fetch_record(ctx_, Model::kHrisAbsences, "44623014");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got).at("remote_id").as_string(), "44623014");
  EXPECT_EQ((**got).at("employee_id").as_string(), common::unified_id("int_h", "hris_employees", "E7"));

  // "employee/request" skips the feed.
  fake_.clear_requests();
  got = connector_->fetch_record(ctx_, Model::kHrisAbsences, "E7/44623014");
  ASSERT_TRUE(got.ok() && got->has_value());
  ASSERT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(fake_.requests()[0].path, "/v1/timeoff/employees/E7/requests/44623014");

  // Unknown to the feed, or 404 when read: gone.
  got = connector_->fetch_record(ctx_, Model::kHrisAbsences, "5");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  got = connector_->fetch_record(ctx_, Model::kHrisAbsences, "E7/5");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  fake_.set("GET /v1/timeoff/requests/changes", 401, "{}");
  EXPECT_EQ(connector_->fetch_record(ctx_, Model::kHrisAbsences, "44623014").error().kind,
            ErrorKind::kUnauthorized);
}

// HiBob's v2 time-off events name the employee (testdata/contract/webhook_timeoff_request_requested.json,
// from apidocs.hibob.com/reference/post_webhook_timeoff-request-requested): the request is read under that
// employee at once, also when the changes feed, which reaches back six months, no longer lists it.
TEST_F(HiBobApiTest, TimeOffIsReadUnderTheEmployeeTheDeliveryNames) {
  auto parsed = connector_->parse(testing::post_request(
      testing::read_testdata("hibob/testdata/contract/webhook_timeoff_request_requested.json"), {}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->events.size(), 1u);
  const UnifiedEvent& event = parsed->events[0];
  EXPECT_EQ(event.remote_id, "44623014");
  EXPECT_EQ(event.fetch_hint, "3332883894138569263");

  fake_.set("GET /v1/timeoff/requests/changes", 200, R"({"changes":[]})");
  fake_.on("GET /v1/timeoff/employees/3332883894138569263/requests/44623014", [](const http::Request&) {
    return http::Response::json(200, time_off_request(44623014, "3332883894138569263"));
  });
  auto got = connector_->fetch(ctx_, event.model, event.remote_id, event.fetch_hint);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got).at("remote_id").as_string(), "44623014");
  EXPECT_EQ((**got).at("employee_id").as_string(),
            common::unified_id("int_h", "hris_employees", "3332883894138569263"));
  ASSERT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(fake_.requests()[0].path, "/v1/timeoff/employees/3332883894138569263/requests/44623014");

  // Not under the named employee: the changes feed decides (here: gone).
  fake_.clear_requests();
  got = connector_->fetch(ctx_, Model::kHrisAbsences, "5", "3332883894138569263");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_FALSE(got->has_value());
  ASSERT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(fake_.requests()[1].path, "/v1/timeoff/requests/changes");

  // Employee events carry no hint: the employee's id is the record's id.
  auto employee = connector_->parse(testing::post_request(
      R"({"type":"employee.updated","triggeredAt":"2025-03-12T10:02:11","data":{"employeeId":"E1"}})", {}));
  ASSERT_TRUE(employee.ok()) << employee.error().message;
  ASSERT_EQ(employee->events.size(), 1u);
  EXPECT_EQ(employee->events[0].fetch_hint, "");
}

}  // namespace
}  // namespace tributary::connectors
