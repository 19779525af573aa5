// BambooHR's webhook and record calls against a real local HTTP server standing in for the BambooHR API.
#include <gtest/gtest.h>

#include "connectors/bamboohr/bamboohr.h"
#include "connectors/bamboohr/bamboohr_records.h"
#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

// BambooHR's OpenAPI document: the webhooks API on the company's host, /api/v1/webhooks[/{id}].
constexpr std::string_view kWebhooksBase = "/api/v1/webhooks";
constexpr std::string_view kWebhooks = "/api/v1/webhooks/";

class BambooHrApiTest : public testing::ConnectorApiTest {
 protected:
  BambooHrApiTest() : ConnectorApiTest(register_bamboohr, "bamboohr") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST " + std::string(kWebhooksBase), 201,
              R"({"id":"42","name":"Tributary","privateKey":"pk_9a8b7c6d5e4f","url":"https://x"})");
    ctx_.credentials["api_key"] = "bhr_api_key_0123456789";
    ctx_.credentials["company_domain"] = "acme";
    ctx_.integration_id = "int_1";
    request_.event_types = {"employee.created", "employee.updated", "employee.deleted"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_1";
    request_.secret = "unused";
  }

  std::string expected_auth() const { return "Basic " + crypto::base64_encode("bhr_api_key_0123456789:x"); }
};

TEST_F(BambooHrApiTest, CreatesTheWebhookWithExactlyTheRequestedEvents) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "42");
  EXPECT_EQ(created->secret, "pk_9a8b7c6d5e4f");  // BambooHR's privateKey verifies the deliveries

  auto all = fake_.requests();
  // First the monitorable fields (unscripted here: unreadable, so every wanted field is asked for).
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].method, "GET");
  EXPECT_EQ(all[0].path, std::string(kWebhooks) + "monitor_fields");
  std::vector<testing::ScriptedRequest> reqs(all.begin() + 1, all.end());
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, kWebhooksBase);
  EXPECT_EQ(reqs[0].header("Authorization"), expected_auth());
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  bj::value body = bj::parse(reqs[0].body);
  const auto& o = body.as_object();
  EXPECT_EQ(o.at("url").as_string(), request_.ingress_url);
  EXPECT_EQ(o.at("format").as_string(), "json");
  EXPECT_EQ(o.at("name").as_string(), "Tributary");
  EXPECT_EQ(o.at("events").as_array(),
            (bj::array{"employee.created", "employee.updated", "employee.deleted"}));
  ASSERT_TRUE(o.at("monitorFields").is_array());
  EXPECT_FALSE(o.at("monitorFields").as_array().empty());
  EXPECT_EQ(o.size(), 5u) << reqs[0].body;

  // Only fields the account offers are monitored.
  fake_.set("GET " + std::string(kWebhooks) + "monitor_fields", 200,
            R"({"fields":[{"id":4,"name":"First Name","alias":"firstName"},)"
            R"({"id":15,"name":"Work Email","alias":"workEmail"}]})");
  ASSERT_TRUE(connector_->create_subscription(ctx_, request_).ok());
  bj::value narrowed = bj::parse(fake_.requests().back().body);
  EXPECT_EQ(narrowed.as_object().at("monitorFields").as_array(), (bj::array{"firstName", "workEmail"}));

  // Without employee.updated there is nothing to monitor.
  request_.event_types = {"employee.deleted"};
  ASSERT_TRUE(connector_->create_subscription(ctx_, request_).ok());
  bj::value second = bj::parse(fake_.requests().back().body);
  EXPECT_EQ(second.as_object().at("events").as_array(), (bj::array{"employee.deleted"}));
  EXPECT_FALSE(second.as_object().contains("monitorFields"));
}

TEST_F(BambooHrApiTest, NumericIdsAndMissingKeys) {
  fake_.set("POST " + std::string(kWebhooksBase), 200, R"({"id":7,"privateKey":"pk"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->remote_id, "7");

  fake_.set("POST " + std::string(kWebhooksBase), 201, R"({"id":8})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("cannot be verified"), std::string::npos);

  fake_.set("POST " + std::string(kWebhooksBase), 201, R"({"privateKey":"pk"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("no webhook id"), std::string::npos);

  fake_.set("POST " + std::string(kWebhooksBase), 201, "not json");
  EXPECT_FALSE(connector_->create_subscription(ctx_, request_).ok());
}

TEST_F(BambooHrApiTest, ErrorsAreMapped) {
  fake_.on("POST " + std::string(kWebhooksBase), [](const http::Request&) {
    return http::Response::json(401, "").with_header("X-BambooHR-Error-Message",
                                                     "Invalid API key bhr_api_key_0123456789");
  });
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(created.error().message.find("Invalid API key"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find("bhr_api_key_0123456789"), std::string::npos)
      << created.error().message;

  fake_.set("POST " + std::string(kWebhooksBase), 403, R"({"error":"forbidden"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("access level"), std::string::npos);

  fake_.set("POST " + std::string(kWebhooksBase), 500, R"({"error":"boom"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("500"), std::string::npos);

  ctx_.credentials["company_domain"] = "acme/../x";
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kInvalidArgument);
  ctx_.credentials.erase("company_domain");
  EXPECT_EQ(connector_->create_subscription(ctx_, request_).error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(BambooHrApiTest, DeletesTheWebhook) {
  fake_.set("DELETE " + std::string(kWebhooks) + "*", 200, "{}");
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "42").ok());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].path, std::string(kWebhooks) + "42");
  EXPECT_EQ(reqs[0].header("Authorization"), expected_auth());

  fake_.set("DELETE " + std::string(kWebhooks) + "*", 404, "{}");
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "42").ok());
  fake_.set("DELETE " + std::string(kWebhooks) + "*", 403, "{}");
  EXPECT_EQ(connector_->delete_subscription(ctx_, "42").error().kind, ErrorKind::kForbidden);
  fake_.set("DELETE " + std::string(kWebhooks) + "*", 401, "{}");
  EXPECT_EQ(connector_->delete_subscription(ctx_, "42").error().kind, ErrorKind::kUnauthorized);
  fake_.set("DELETE " + std::string(kWebhooks) + "*", 502, "{}");
  EXPECT_EQ(connector_->delete_subscription(ctx_, "42").error().kind, ErrorKind::kUpstream);
  EXPECT_FALSE(connector_->delete_subscription(ctx_, "").ok());
  fake_.set("DELETE " + std::string(kWebhooks) + "*", 200, "{}");
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "../../x").ok());
  EXPECT_EQ(fake_.requests().back().path.rfind(std::string(kWebhooks), 0), 0u);
}

TEST_F(BambooHrApiTest, LooksUpWhetherTheWebhookStillExists) {
  fake_.set("GET " + std::string(kWebhooks) + "42", 200,
            R"({"id":"42","name":"Tributary","url":"https://relay.example.com/ingress/sub_1"})");
  auto present = connector_->subscription_exists(ctx_, "42");
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_TRUE(*present);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, std::string(kWebhooks) + "42");
  EXPECT_EQ(reqs[0].header("Authorization"), expected_auth());

  // Deleted in BambooHR: 404.
  fake_.set("GET " + std::string(kWebhooks) + "42", 404, R"({"error":"not found"})");
  auto absent = connector_->subscription_exists(ctx_, "42");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);

  fake_.on("GET " + std::string(kWebhooks) + "42", [](const http::Request&) {
    return http::Response::json(401, "").with_header("X-BambooHR-Error-Message",
                                                     "Invalid API key bhr_api_key_0123456789");
  });
  auto rejected = connector_->subscription_exists(ctx_, "42");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(rejected.error().message.find("Invalid API key"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(rejected.error().message.find("bhr_api_key_0123456789"), std::string::npos);

  fake_.set("GET " + std::string(kWebhooks) + "42", 403, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "42").error().kind, ErrorKind::kForbidden);
  fake_.set("GET " + std::string(kWebhooks) + "42", 500, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "42").error().kind, ErrorKind::kUpstream);
}

TEST_F(BambooHrApiTest, FetchesAndMapsAnEmployee) {
  fake_.set("GET /api/v1/employees/67890", 200, R"({
    "id":"67890","firstName":"Charlotte","lastName":"Abbott","preferredName":"","displayName":"Charlotte Abbott",
    "employeeNumber":"17","jobTitle":"Sr. HR Administrator","workEmail":"cabbott@efficientoffice.com",
    "homeEmail":"","mobilePhone":"801-724-6600","gender":"Female","maritalStatus":"Single","status":"Active",
    "employmentHistoryStatus":"Full-Time","hireDate":"2014-08-10","terminationDate":"0000-00-00",
    "dateOfBirth":"1985-03-02","supervisorEId":"4","department":"Human Resources","division":"North America",
    "location":"Lindon, Utah","address1":"335 S 560 W","address2":"","city":"Lindon","state":"UT",
    "zipcode":"84042","country":"United States","photoUrl":"https://example.com/p.jpg"})");
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "67890");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const bj::object& e = **got;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/api/v1/employees/67890");
  EXPECT_EQ(reqs[0].header("Authorization"), expected_auth());
  EXPECT_NE(reqs[0].param("fields").find("firstName,lastName"), std::string::npos);

  EXPECT_EQ(e.at("id").as_string(), common::unified_id("int_1", "hris_employees", "67890"));
  EXPECT_EQ(e.at("remote_id").as_string(), "67890");
  EXPECT_EQ(e.at("first_name").as_string(), "Charlotte");
  EXPECT_EQ(e.at("last_name").as_string(), "Abbott");
  EXPECT_EQ(e.at("work_email").as_string(), "cabbott@efficientoffice.com");
  EXPECT_TRUE(e.at("personal_email").is_null());
  EXPECT_EQ(e.at("display_full_name").as_string(), "Charlotte Abbott");
  EXPECT_EQ(e.at("employee_number").as_string(), "17");
  EXPECT_EQ(e.at("gender").as_string(), "FEMALE");
  EXPECT_EQ(e.at("marital_status").as_string(), "SINGLE");
  EXPECT_EQ(e.at("employment_status").as_string(), "ACTIVE");
  EXPECT_EQ(e.at("employment_type").as_string(), "FULL_TIME");
  EXPECT_EQ(e.at("start_date").as_string(), "2014-08-10T00:00:00.000Z");
  EXPECT_TRUE(e.at("termination_date").is_null());
  EXPECT_EQ(e.at("manager_id").as_string(), common::unified_id("int_1", "hris_employees", "4"));
  EXPECT_EQ(e.at("home_address").as_object().at("city").as_string(), "Lindon");
  EXPECT_TRUE(e.at("home_address").as_object().at("street_2").is_null());
  ASSERT_EQ(e.at("groups").as_array().size(), 2u);
  EXPECT_EQ(e.at("groups").as_array()[0].as_object().at("type").as_string(), "DEPARTMENT");
  for (const char* key : {"nationality", "ssn", "tax_id", "ethnicity", "weekly_hours", "work_location_id",
                          "legal_entity_id", "bank_accounts", "remote_created_at", "changed_at",
                          "remote_deleted_at", "manager", "legal_entity", "work_location"})
    EXPECT_TRUE(e.at(key).is_null()) << key;
  for (const char* key : {"employments", "time_off_balances"})
    EXPECT_TRUE(e.at(key).as_array().empty()) << key;
  EXPECT_TRUE(e.at("custom_fields").is_object());
  EXPECT_EQ(e.size(), 38u);
}

TEST_F(BambooHrApiTest, MissingEmployeesAndRejectedKeys) {
  fake_.set("GET /api/v1/employees/*", 404, "");
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  fake_.set("GET /api/v1/employees/*", 401, "");
  got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized);

  fake_.set("GET /api/v1/employees/*", 500, "");
  EXPECT_EQ(connector_->fetch_record(ctx_, Model::kHrisEmployees, "1").error().kind, ErrorKind::kUpstream);
  EXPECT_EQ(connector_->fetch(ctx_, Model::kAtsJobs, "1").error().kind, ErrorKind::kInvalidArgument);
  ctx_.credentials["company_domain"] = "evil.example.com/";
  EXPECT_EQ(connector_->fetch_record(ctx_, Model::kHrisEmployees, "1").error().kind,
            ErrorKind::kInvalidArgument);
}

TEST_F(BambooHrApiTest, RateLimitsAreRetriedWithinBounds) {
  int calls = 0;
  fake_.on("GET /api/v1/employees/*", [&calls](const http::Request&) {
    if (++calls == 1) return http::Response::json(429, "{}").with_header("Retry-After", "0");
    return http::Response::json(200, R"({"id":"5","firstName":"A"})");
  });
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "5");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got).at("first_name").as_string(), "A");
  EXPECT_EQ(calls, 2);

  fake_.on("GET /api/v1/employees/*", [](const http::Request&) {
    return http::Response::json(429, "{}").with_header("Retry-After", "0");
  });
  got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "5");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kRateLimited);
}

// GET /api/v1/employees/changed?since=… (BambooHR's OpenAPI document; HTTP Basic allowed, where the other
// listing, GET /api/v1/employees, is for OAuth apps only): every employee since the epoch, ids in order, 100
// per page, each read through the targeted fetch; Deleted ones are not listed; the page token is the last id
// read.
TEST_F(BambooHrApiTest, ListsEmployeesThroughTheChangedFeedAndFillsThemLikeATargetedFetch) {
  std::string changed = R"({"latest":"2026-12-01T10:00:00+00:00","employees":{)";
  for (int i = 1; i <= 205; ++i)
    changed += (i > 1 ? "," : "") + std::string(R"(")") + std::to_string(i) + R"(":{"id":")" +
               std::to_string(i) + R"(","action":")" + (i == 7 ? "Deleted" : "Updated") +
               R"(","lastChanged":"2026-12-01T10:00:00+00:00"})";
  changed += "}}";
  fake_.set("GET /api/v1/employees/changed", 200, changed);
  fake_.on("GET /api/v1/employees/*", [](const http::Request& r) {
    const std::string id = r.path.substr(r.path.rfind('/') + 1);
    if (id == "3") return http::Response::json(404, "");  // deleted between the listing and the read
    return http::Response::json(200,
                                R"({"id":")" + id + R"(","firstName":"Name)" + id + R"(","jobTitle":"Eng"})");
  });
  std::vector<bj::object> all;
  int calls = 0;
  ASSERT_NO_FATAL_FAILURE(list_all(Model::kHrisEmployees, all, calls));
  EXPECT_EQ(calls, 3);          // 100 + 100 + 3 ids
  ASSERT_EQ(all.size(), 203u);  // 205, less the Deleted one and the one gone before its read
  EXPECT_EQ(all[0].at("remote_id").as_string(), "1");
  EXPECT_EQ(all[1].at("remote_id").as_string(), "2");
  EXPECT_EQ(all[2].at("remote_id").as_string(), "4");
  EXPECT_EQ(all.back().at("remote_id").as_string(), "205");  // numeric order, not "99" after "205"
  for (const auto& r : all)
    ASSERT_NE(r.at("remote_id").as_string(), "7");
  EXPECT_EQ(all[0].at("job_title").as_string(), "Eng");

  std::vector<std::string> since;
  for (const auto& r : fake_.requests()) {
    if (r.path == "/api/v1/employees/changed") since.push_back(r.param("since"));
    EXPECT_EQ(r.header("Authorization"), expected_auth());
  }
  EXPECT_EQ(since, (std::vector<std::string>(3, "1970-01-01T00:00:00Z")));

  // A delta asks for what changed since the time given.
  fake_.clear_requests();
  auto delta = connector_->list_changed_records(ctx_, Model::kHrisEmployees, "", 1764583200000);
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  EXPECT_EQ(fake_.requests().front().param("since"), "2025-12-01T10:00:00Z");
  EXPECT_TRUE(connector_->lists_changes(Model::kHrisEmployees));
  EXPECT_FALSE(connector_->lists_changes(Model::kHrisAbsences));

  // Continuations are ours; answers that are not the feed are errors, never an empty listing.
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "cursor=x").error().kind,
            ErrorKind::kInvalidArgument);
  fake_.set("GET /api/v1/employees/changed", 200, R"({"data":[]})");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "").error().kind, ErrorKind::kUpstream);
  fake_.set("GET /api/v1/employees/changed", 401, "");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "").error().kind, ErrorKind::kUnauthorized);
}

// A listed employee is exactly the record a webhook's targeted fetch stores (the vendor's get-employee shape,
// testdata/contract/get_employee.json).
TEST_F(BambooHrApiTest, AListedEmployeeIsTheRecordATargetedFetchStores) {
  fake_.set("GET /api/v1/employees/changed", 200,
            testing::read_testdata("bamboohr/testdata/contract/employees_changed.json"));
  fake_.set("GET /api/v1/employees/*", 200,
            testing::read_testdata("bamboohr/testdata/contract/get_employee.json"));
  auto listed = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->records.size(), 2u);  // 123 and 124; 98 is Deleted
  EXPECT_EQ(listed->records[0].at("remote_id").as_string(), "123");
  EXPECT_EQ(listed->records[1].at("remote_id").as_string(), "124");
  auto fetched = connector_->fetch_record(ctx_, Model::kHrisEmployees, "123");
  ASSERT_TRUE(fetched.ok() && fetched->has_value());
  EXPECT_EQ(listed->records[0], **fetched);
  EXPECT_EQ(listed->records[0].at("job_title").as_string(), "Engineering Manager");
}

TEST_F(BambooHrApiTest, TimeOffRequestsWithNumericIdsFromTheVendorSchemaMap) {
  fake_.set("GET /api/v1/time_off/requests", 200,
            testing::read_testdata("bamboohr/testdata/contract/time_off_requests.json"));
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 1u);
  const bj::object& r = page->records[0];
  EXPECT_EQ(r.at("remote_id").as_string(), "1348");
  EXPECT_EQ(r.at("employee_id").as_string(), common::unified_id("int_1", "hris_employees", "5"));
  EXPECT_EQ(r.at("type").at("remote_id").as_string(), "78");
  EXPECT_EQ(r.at("amount").to_number<double>(), 3.0);
  EXPECT_EQ(r.at("status").as_string(), "APPROVED");
  EXPECT_EQ(r.at("start_date").as_string(), "2026-02-10");
}

TEST_F(BambooHrApiTest, TheVendorsGetEmployeeShapeMaps) {
  fake_.set("GET /api/v1/employees/123", 200,
            testing::read_testdata("bamboohr/testdata/contract/get_employee.json"));
  auto got = connector_->fetch_record(ctx_, Model::kHrisEmployees, "123");
  ASSERT_TRUE(got.ok() && got->has_value());
  const bj::object& e = **got;
  EXPECT_EQ(e.at("job_title").as_string(), "Engineering Manager");
  EXPECT_EQ(e.at("employment_status").as_string(), "ACTIVE");
  EXPECT_EQ(e.at("manager_id").as_string(), common::unified_id("int_1", "hris_employees", "98"));
  EXPECT_TRUE(e.at("termination_date").is_null());
  EXPECT_EQ(e.at("groups").as_array().size(), 2u);
}

TEST_F(BambooHrApiTest, AJobTitleOnlyAsJobTitleNameIsMapped) {
  fake_.set("GET /api/v1/employees/7", 200, R"({"id":"7","jobTitleName":"Product Designer"})");
  auto fetched = connector_->fetch_record(ctx_, Model::kHrisEmployees, "7");
  ASSERT_TRUE(fetched.ok() && fetched->has_value());
  EXPECT_EQ((*fetched)->at("job_title").as_string(), "Product Designer");
}

constexpr std::string_view kTimeOff = R"([
  {"id":"1342","employeeId":"67890","status":{"lastChanged":"2026-02-02","lastChangedByUserId":"2369","status":"approved"},
   "name":"Charlotte Abbott","start":"2026-02-10","end":"2026-02-12","created":"2026-02-01",
   "type":{"id":"78","name":"Vacation","icon":"palm-trees"},"amount":{"unit":"days","amount":"3"},
   "actions":{"view":true},"dates":{"2026-02-10":"1"},"notes":{"employee":"Ski trip","manager":""}},
  {"id":"1343","employeeId":"4","status":{"status":"requested"},"start":"2026-03-01","end":"2026-03-01",
   "type":{"id":"79","name":"Sick"},"amount":{"unit":"hours","amount":"4.5"}}
])";

TEST_F(BambooHrApiTest, ListsAndFetchesTimeOffRequests) {
  fake_.on("GET /api/v1/time_off/requests", [](const http::Request& r) {
    if (!r.query_param("start") || !r.query_param("end")) return http::Response::json(400, "[]");
    return http::Response::json(200, std::string(kTimeOff));
  });
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_TRUE(page->next.empty());
  const bj::object& a = page->records[0];
  EXPECT_EQ(a.at("id").as_string(), common::unified_id("int_1", "hris_absences", "1342"));
  EXPECT_EQ(a.at("employee_id").as_string(), common::unified_id("int_1", "hris_employees", "67890"));
  EXPECT_EQ(a.at("start_date").as_string(), "2026-02-10");
  EXPECT_EQ(a.at("end_date").as_string(), "2026-02-12");
  EXPECT_EQ(a.at("status").as_string(), "APPROVED");
  EXPECT_EQ(a.at("unit").as_string(), "DAYS");
  EXPECT_EQ(a.at("amount").as_double(), 3.0);
  EXPECT_EQ(a.at("employee_note").as_string(), "Ski trip");
  EXPECT_EQ(a.at("type").as_object().at("name").as_string(), "Vacation");
  EXPECT_EQ(a.at("type_id").as_string(), common::unified_id("int_1", "hris_absence_types", "78"));
  EXPECT_EQ(a.at("remote_created_at").as_string(), "2026-02-01T00:00:00.000Z");
  EXPECT_EQ(a.size(), 19u);
  EXPECT_EQ(page->records[1].at("status").as_string(), "REQUESTED");
  EXPECT_EQ(page->records[1].at("amount").as_double(), 4.5);

  auto one = connector_->fetch_record(ctx_, Model::kHrisAbsences, "1343");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((**one).at("remote_id").as_string(), "1343");
  EXPECT_EQ(fake_.requests().back().param("id"), "1343");
  EXPECT_EQ(fake_.requests().back().header("Authorization"), expected_auth());

  auto gone = connector_->fetch_record(ctx_, Model::kHrisAbsences, "999");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());

  fake_.set("GET /api/v1/time_off/requests", 401, "");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisAbsences, "").error().kind, ErrorKind::kUnauthorized);
  fake_.set("GET /api/v1/time_off/requests", 200, "{}");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisAbsences, "").error().kind, ErrorKind::kUpstream);
}

}  // namespace
}  // namespace tributary::connectors
