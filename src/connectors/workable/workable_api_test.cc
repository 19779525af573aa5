// Workable's subscription and record calls against a real local HTTP server standing in for the SPI v3.
#include <gtest/gtest.h>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/workable/workable.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;
using testing::ScriptedRequest;

constexpr std::string_view kToken = "wk-account-token-5e8d2c71";

constexpr std::string_view kCandidate = R"({"candidate":{"id":"ce4da98","name":"Lakita Marrero",
  "firstname":"Lakita","lastname":"Marrero","headline":"Operations Manager",
  "job":{"shortcode":"GROOV005","title":"Office Manager"},"stage":"Phone Screen","disqualified":true,
  "disqualification_reason":"Not a fit","disqualified_at":"2026-11-21T09:00:00Z","hired_at":null,
  "profile_url":"https://groove-tech.workable.com/backend/candidates/ce4da98","phone":"+353 1 555 0100",
  "email":"lakita@example.com","created_at":"2026-11-19T10:15:03Z","updated_at":"2026-11-21T09:00:00Z",
  "tags":["ops","dublin"],"social_profiles":[{"type":"linkedin","name":"LinkedIn","username":"lakita",
  "url":"https://linkedin.com/in/lakita"}],"location":{"location_str":"Dublin, Ireland","country":"Ireland",
  "country_code":"IE","region":"Leinster","city":"Dublin","zip_code":"D01"}}})";

constexpr std::string_view kJob =
    R"({"id":"61884e2","title":"Sales Intern","full_title":"Sales Intern - US/3/SI",
  "shortcode":"GROOV003","code":"US/3/SI","state":"published","department":"Sales",
  "url":"https://groove-tech.workable.com/jobs/102268944","application_url":"https://groove-tech.workable.com/jobs/102268944/candidates/new",
  "employment_type":"Full-time","location":{"location_str":"Portland, Oregon, United States","country":"United States",
  "country_code":"US","region":"Oregon","city":"Portland","zip_code":"97201","telecommuting":false,
  "workplace_type":"hybrid"},"salary":{"salary_from":30000,"salary_to":40000,"salary_currency":"usd"},
  "created_at":"2015-07-01T00:00:00Z"})";

constexpr std::string_view kEmployee =
    R"({"id":"4d3","status":"active","lastname":"Kydde","firstname":"Obediah",
  "job_title":"Software Engineer","work_email":"obediah@groove.example","employee_number":"1",
  "start_date":"2022-09-13T16:56:33.000Z","personal_email":[{"value":"okydde0@answers.com","is_primary":true}],
  "phone_group":[{"value":{"phone":"+256 873 655 5527","phone_type":"phone_type_mobile"},"is_primary":true}]})";

class WorkableApiTest : public testing::ConnectorApiTest {
 protected:
  WorkableApiTest() : ConnectorApiTest(register_workable, "workable") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    ctx_.credentials["api_key"] = std::string(kToken);
    ctx_.credentials["subdomain"] = "groove-tech";
    ctx_.integration_id = "int_wk_1";
    request_.event_types = {"employee_created"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_wk_1";
    request_.secret = "unused-by-workable";
    fake_.set("POST /spi/v3/subscriptions", 201,
              R"({"id":"sub_1234","target":"x","event":"employee_created"})");
    fake_.set("DELETE /spi/v3/subscriptions/sub_1234", 200, "{}");
    fake_.set("/spi/v3/candidates/ce4da98", 200, std::string(kCandidate));
    fake_.set("/spi/v3/jobs/GROOV003", 200, std::string(kJob));
    fake_.set("/spi/v3/employees/4d3", 200, std::string(kEmployee));
  }
};

TEST_F(WorkableApiTest, SubscribesToExactlyOneEventAndVerifiesWithTheAccountToken) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "sub_1234");
  EXPECT_EQ(created->secret, kToken);  // Workable signs with the account token
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/spi/v3/subscriptions");
  EXPECT_EQ(reqs[0].header("Authorization"), "Bearer " + std::string(kToken));
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[0].json(), (bj::object{{"target", request_.ingress_url}, {"event", "employee_created"}}));

  fake_.set("POST /spi/v3/subscriptions", 201, R"({"id":987})");
  request_.event_types = {"candidate_created"};
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->remote_id, "987");

  request_.event_types = {"candidate_created", "candidate_moved"};
  auto two = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_F(WorkableApiTest, SubscriptionErrors) {
  fake_.set("POST /spi/v3/subscriptions", 403, R"({"error":"Forbidden"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("r_employees"), std::string::npos) << created.error().message;
  request_.event_types = {"candidate_created"};
  created = connector_->create_subscription(ctx_, request_);
  EXPECT_NE(created.error().message.find("r_candidates"), std::string::npos) << created.error().message;

  fake_.set("POST /spi/v3/subscriptions", 401,
            std::string(R"({"error":"Not authorized: token )") + std::string(kToken) + R"( is invalid"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(created.error().message.find("Not authorized"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find(kToken), std::string::npos) << created.error().message;

  fake_.set("POST /spi/v3/subscriptions", 409, R"({"error":"Target already registered"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("already"), std::string::npos);

  fake_.set("POST /spi/v3/subscriptions", 201, R"({"target":"x"})");
  EXPECT_EQ(connector_->create_subscription(ctx_, request_).error().kind, ErrorKind::kUpstream);

  ctx_.credentials.erase("api_key");
  EXPECT_EQ(connector_->create_subscription(ctx_, request_).error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(WorkableApiTest, DeletesAndToleratesGone) {
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "sub_1234").ok());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].path, "/spi/v3/subscriptions/sub_1234");
  EXPECT_EQ(reqs[0].header("Authorization"), "Bearer " + std::string(kToken));
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "gone").ok());  // 404
  fake_.set("DELETE /spi/v3/subscriptions/sub_1234", 403, "{}");
  EXPECT_EQ(connector_->delete_subscription(ctx_, "sub_1234").error().kind, ErrorKind::kForbidden);
  fake_.set("DELETE /spi/v3/subscriptions/sub_1234", 500, "{}");
  EXPECT_EQ(connector_->delete_subscription(ctx_, "sub_1234").error().kind, ErrorKind::kUpstream);
  EXPECT_FALSE(connector_->delete_subscription(ctx_, "").ok());
  // An id with path characters stays one segment.
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "../candidates").ok());
  EXPECT_EQ(fake_.requests().back().path.rfind("/spi/v3/subscriptions/", 0), 0u);
}

TEST_F(WorkableApiTest, LooksTheSubscriptionUpInTheListing) {
  fake_.set(
      "GET /spi/v3/subscriptions", 200,
      R"({"subscriptions":[{"id":"sub_1234","target":"https://relay.example.com/ingress/sub_wk_1",)"
      R"("event":"employee_created"},{"id":987,"target":"https://other","event":"candidate_created"}]})");
  auto present = connector_->subscription_exists(ctx_, "sub_1234");
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_TRUE(*present);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/spi/v3/subscriptions");
  EXPECT_EQ(reqs[0].header("Authorization"), "Bearer " + std::string(kToken));
  auto numeric = connector_->subscription_exists(ctx_, "987");
  ASSERT_TRUE(numeric.ok());
  EXPECT_TRUE(*numeric);

  // Deleted in Workable: no longer listed.
  auto absent = connector_->subscription_exists(ctx_, "sub_5678");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);
  fake_.set("GET /spi/v3/subscriptions", 200, R"({"subscriptions":[]})");
  EXPECT_FALSE(*connector_->subscription_exists(ctx_, "sub_1234"));

  fake_.set("GET /spi/v3/subscriptions", 401,
            std::string(R"({"error":"Not authorized: token )") + std::string(kToken) + R"( is invalid"})");
  auto rejected = connector_->subscription_exists(ctx_, "sub_1234");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(rejected.error().message.find("Not authorized"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(rejected.error().message.find(kToken), std::string::npos) << rejected.error().message;

  fake_.set("GET /spi/v3/subscriptions", 403, R"({"error":"Forbidden"})");
  auto refused = connector_->subscription_exists(ctx_, "sub_1234");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("r_candidates"), std::string::npos) << refused.error().message;
  fake_.set("GET /spi/v3/subscriptions", 500, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "sub_1234").error().kind, ErrorKind::kUpstream);
  fake_.set("GET /spi/v3/subscriptions", 200, R"({"paging":{}})");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "sub_1234").error().kind, ErrorKind::kUpstream);
}

TEST_F(WorkableApiTest, FetchesACandidate) {
  auto record = connector_->fetch_record(ctx_, Model::kAtsCandidates, "ce4da98");
  ASSERT_TRUE(record.ok()) << record.error().message;
  ASSERT_TRUE(record->has_value());
  const bj::object& c = **record;
  EXPECT_EQ(fake_.requests().at(0).path, "/spi/v3/candidates/ce4da98");
  EXPECT_EQ(fake_.requests().at(0).header("Authorization"), "Bearer " + std::string(kToken));
  EXPECT_EQ(c.at("id"), bj::value(common::unified_id("int_wk_1", "ats_candidates", "ce4da98")));
  EXPECT_EQ(c.at("first_name"), bj::value("Lakita"));
  EXPECT_EQ(c.at("last_name"), bj::value("Marrero"));
  EXPECT_EQ(c.at("email_addresses").as_array().at(0).at("email_address"), bj::value("lakita@example.com"));
  EXPECT_EQ(c.at("location").at("city"), bj::value("Dublin"));
  EXPECT_EQ(c.at("tags").as_array().size(), 2u);
  const auto& app = c.at("applications").as_array().at(0);
  EXPECT_EQ(app.at("outcome"), bj::value("DECLINED"));
  EXPECT_EQ(app.at("rejection_reason_name"), bj::value("Not a fit"));
  EXPECT_EQ(app.at("job").at("id"), bj::value(common::unified_id("int_wk_1", "ats_jobs", "GROOV005")));
  EXPECT_EQ(app.at("current_stage").at("name"), bj::value("Phone Screen"));
  EXPECT_EQ(c.size(), 20u);
}

TEST_F(WorkableApiTest, FetchesAJobEmployeeAndAbsence) {
  auto job = connector_->fetch_record(ctx_, Model::kAtsJobs, "GROOV003");
  ASSERT_TRUE(job.ok()) << job.error().message;
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ((**job).at("id"), bj::value(common::unified_id("int_wk_1", "ats_jobs", "GROOV003")));
  EXPECT_EQ((**job).at("name"), bj::value("Sales Intern"));
  EXPECT_EQ((**job).at("status"), bj::value("OPEN"));
  EXPECT_EQ((**job).at("employment_type"), bj::value("FULL_TIME"));
  EXPECT_EQ((**job).at("remote_work_status"), bj::value("HYBRID"));
  EXPECT_EQ((**job).at("salary_amount_from"), bj::value(30000));
  EXPECT_EQ((**job).size(), 34u);

  auto employee = connector_->fetch_record(ctx_, Model::kHrisEmployees, "4d3");
  ASSERT_TRUE(employee.ok()) << employee.error().message;
  ASSERT_TRUE(employee->has_value());
  const bj::object& e = **employee;
  EXPECT_EQ(e.at("first_name"), bj::value("Obediah"));
  EXPECT_EQ(e.at("work_email"), bj::value("obediah@groove.example"));
  EXPECT_EQ(e.at("personal_email"), bj::value("okydde0@answers.com"));
  EXPECT_EQ(e.at("mobile_phone_number"), bj::value("+256 873 655 5527"));
  EXPECT_EQ(e.at("employment_status"), bj::value("ACTIVE"));
  EXPECT_EQ(e.at("display_full_name"), bj::value("Obediah Kydde"));
  EXPECT_EQ(e.size(), 38u);
}

// GET /spi/v3/timeoff/requests (workable.readme.io/reference/timeoffrequests-1): an account token must name
// employee_id, from_date is an ISO date-time without zone, the answer (testdata/contract/
// timeoff_requests_response.json, the vendor's example) has no employee id and no paging. So the listing
// reads a page of employees, then each one's requests, and gives each request the employee it was asked for.
TEST_F(WorkableApiTest, TimeOffIsListedPerEmployeeFromTheVendorsExample) {
  fake_.on("/spi/v3/employees", [](const ScriptedRequest& r) {
    if (r.param("offset") == "0")
      return ScriptedApi::response(200, R"({"totalCount":2,"employees":[{"id":"2fbc"},{"id":"2fbd"}]})", {});
    return ScriptedApi::response(200, R"({"totalCount":2,"employees":[]})", {});
  });
  fake_.on("/spi/v3/timeoff/requests", [](const ScriptedRequest& r) {
    if (!r.has_param("employee_id"))
      return ScriptedApi::response(400, R"({"error":"employee_id is required"})", {});
    if (r.param("employee_id") == "2fbc")
      return ScriptedApi::response(
          200, testing::read_testdata("workable/testdata/contract/timeoff_requests_response.json"), {});
    return ScriptedApi::response(200, R"({"requests":[]})", {});
  });
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_TRUE(page->next.empty());
  const bj::object& a = page->records[0];
  EXPECT_EQ(a.at("remote_id"), bj::value("135b"));
  EXPECT_EQ(a.at("employee_id"), bj::value(common::unified_id("int_wk_1", "hris_employees", "2fbc")));
  EXPECT_EQ(a.at("start_date"), bj::value("2024-04-04"));
  EXPECT_EQ(a.at("end_date"), bj::value("2024-04-12"));
  EXPECT_EQ(a.at("status"), bj::value("APPROVED"));
  EXPECT_EQ(a.at("amount").to_number<double>(), 7.0);
  EXPECT_EQ(a.at("unit"), bj::value("DAYS"));
  EXPECT_EQ(a.at("type").at("name"), bj::value("Paid time off "));
  EXPECT_EQ(page->records[1].at("status"), bj::value("REQUESTED"));
  EXPECT_EQ(a.size(), 19u);

  std::vector<std::string> timeoff_queries;
  for (const auto& r : fake_.requests())
    if (r.path == "/spi/v3/timeoff/requests") timeoff_queries.push_back(r.query_string());
  EXPECT_EQ(timeoff_queries,
            (std::vector<std::string>{"employee_id=2fbc&from_date=2000-01-01T00:00:00.000",
                                      "employee_id=2fbd&from_date=2000-01-01T00:00:00.000"}));

  // No read by id: one request is found by walking the listing.
  auto one = connector_->fetch_record(ctx_, Model::kHrisAbsences, "135c");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((**one).at("employee_id"), bj::value(common::unified_id("int_wk_1", "hris_employees", "2fbc")));
  auto missing = connector_->fetch_record(ctx_, Model::kHrisAbsences, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  // A full page of employees continues at the next offset; a foreign page token is refused.
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kHrisAbsences, "/timeoff/requests?x=1").ok());
  fake_.set("/spi/v3/timeoff/requests", 403, R"({"error":"Forbidden"})");
  auto forbidden = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(forbidden.error().message.find("r_timeoff"), std::string::npos) << forbidden.error().message;
}

// timeoff_updated names the employee (its documented resource is the employee, the request inside): the
// request is then read from that employee's requests, one call instead of a walk over every employee.
TEST_F(WorkableApiTest, TimeOffIsReadFromTheEmployeeTheDeliveryNames) {
  fake_.on("/spi/v3/timeoff/requests", [](const ScriptedRequest& r) {
    if (r.param("employee_id") == "2fbc")
      return ScriptedApi::response(
          200, testing::read_testdata("workable/testdata/contract/timeoff_requests_response.json"), {});
    return ScriptedApi::response(200, R"({"requests":[]})", {});
  });
  fake_.on("/spi/v3/employees", [](const ScriptedRequest&) {
    return ScriptedApi::response(200, R"({"totalCount":2,"employees":[{"id":"2fbc"},{"id":"2fbd"}]})", {});
  });
  auto parsed = connector_->parse(testing::post_request(
      R"({"event_type":"timeoff_updated","resource_type":"employee","fired_at":"2024-04-01T10:00:00Z",)"
      R"("data":{"id":"2fbc","timeoff_request":{"id":"135c","state":"pending",)"
      R"("created_at":"2024-03-01T10:00:00Z","updated_at":"2024-04-01T10:00:00Z"}}})",
      {}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->events.size(), 1u);
  const UnifiedEvent& event = parsed->events[0];
  EXPECT_EQ(event.remote_id, "135c");
  EXPECT_EQ(event.fetch_hint, "2fbc");

  fake_.clear_requests();
  auto one = connector_->fetch(ctx_, event.model, event.remote_id, event.fetch_hint);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((**one).at("employee_id"), bj::value(common::unified_id("int_wk_1", "hris_employees", "2fbc")));
  ASSERT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(fake_.requests()[0].query_string(), "employee_id=2fbc&from_date=2000-01-01T00:00:00.000");

  // A request the named employee does not have: the walk over every employee decides.
  fake_.clear_requests();
  auto moved = connector_->fetch(ctx_, Model::kHrisAbsences, "135c", "2fbd");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  ASSERT_TRUE(moved->has_value());
  EXPECT_GT(fake_.requests().size(), 2u);

  // A request body naming its employee_id carries it too.
  auto flat = connector_->parse(testing::post_request(
      R"({"event_type":"timeoff_updated","fired_at":"x","data":{"id":"135b","employee_id":"2fbc"}})", {}));
  ASSERT_TRUE(flat.ok()) << flat.error().message;
  ASSERT_EQ(flat->events.size(), 1u);
  EXPECT_EQ(flat->events[0].fetch_hint, "2fbc");
}

TEST_F(WorkableApiTest, GoneUnauthorizedForbiddenAndRateLimited) {
  auto gone = connector_->fetch_record(ctx_, Model::kAtsCandidates, "unknown");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());

  fake_.set("/spi/v3/employees/4d3", 401, R"({"error":"Not authorized"})");
  auto unauthorized = connector_->fetch_record(ctx_, Model::kHrisEmployees, "4d3");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(unauthorized.error().message.find("Not authorized"), std::string::npos);

  fake_.set("/spi/v3/employees/4d3", 403, R"({"error":"Forbidden"})");
  auto forbidden = connector_->fetch_record(ctx_, Model::kHrisEmployees, "4d3");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(forbidden.error().message.find("r_employees"), std::string::npos);

  int calls = 0;
  fake_.on("/spi/v3/jobs/GROOV003", [&calls](const ScriptedRequest&) {
    if (++calls < 3)
      return ScriptedApi::response(429, R"({"error":"Too many requests"})", {{"Retry-After", "0"}});
    return ScriptedApi::response(200, std::string(kJob), {});
  });
  auto limited = connector_->fetch_record(ctx_, Model::kAtsJobs, "GROOV003");
  ASSERT_TRUE(limited.ok()) << limited.error().message;
  EXPECT_EQ(calls, 3);
  fake_.on("/spi/v3/jobs/GROOV003", [](const ScriptedRequest&) {
    return ScriptedApi::response(429, "{}", {{"Retry-After", "0"}});
  });
  EXPECT_EQ(connector_->fetch_record(ctx_, Model::kAtsJobs, "GROOV003").error().kind,
            ErrorKind::kRateLimited);
}

TEST_F(WorkableApiTest, ListsCandidatesByFollowingPagingNextOnOurHost) {
  fake_.on("/spi/v3/candidates", [](const ScriptedRequest& r) {
    if (r.query_string() == "limit=100")
      return ScriptedApi::response(
          200,
          R"({"candidates":[{"id":"c1","firstname":"A","lastname":"One"},{"id":"c2","firstname":"B"}],
                       "paging":{"next":"https://elsewhere.example/spi/v3/candidates?limit=100&since_id=c2"}})",
          {});
    if (r.query_string() == "limit=100&since_id=c2")
      return ScriptedApi::response(200, R"({"candidates":[{"id":"c3","firstname":"C"}]})", {});
    return ScriptedApi::response(400, R"({"error":"bad query"})", {});
  });
  auto first = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].at("first_name"), bj::value("A"));
  EXPECT_EQ(first->next, "/candidates?limit=100&since_id=c2");
  auto second = connector_->list_records(ctx_, Model::kAtsCandidates, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->next, "");
  // The token went to our base URL, never to the host paging.next named.
  for (const auto& r : fake_.requests())
    EXPECT_EQ(r.header("Authorization"), "Bearer " + std::string(kToken));
  EXPECT_EQ(fake_.requests().size(), 2u);

  // A page token that is not a continuation of the same listing is refused before any call.
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsCandidates, "/employees?limit=100").ok());
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsCandidates, "/candidates/../subscriptions").ok());
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_F(WorkableApiTest, ListsJobsByShortcodeAndEmployeesByOffset) {
  fake_.set("/spi/v3/jobs", 200,
            R"({"jobs":[{"id":"61884e2","shortcode":"GROOV003","title":"Sales Intern","state":"closed"},
                       {"id":"j9","title":"No shortcode","state":"draft"}],
              "paging":{}})");
  auto jobs = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->records.size(), 2u);
  EXPECT_EQ(jobs->records[0].at("remote_id"), bj::value("GROOV003"));
  EXPECT_EQ(jobs->records[0].at("status"), bj::value("CLOSED"));
  EXPECT_EQ(jobs->records[1].at("remote_id"), bj::value("j9"));
  EXPECT_EQ(jobs->records[1].at("status"), bj::value("DRAFT"));
  EXPECT_EQ(jobs->next, "");

  fake_.on("/spi/v3/employees", [](const ScriptedRequest& r) {
    bj::array page;
    const bool first = r.query_string() == "limit=100";
    const int count = first ? 100 : 3;
    for (int i = 0; i < count; ++i)
      page.push_back(bj::object{{"id", (first ? "e" : "f") + std::to_string(i)}, {"firstname", "N"}});
    return ScriptedApi::response(200, json::serialize(bj::object{{"employees", page}}), {});
  });
  auto employees = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_TRUE(employees.ok()) << employees.error().message;
  EXPECT_EQ(employees->records.size(), 100u);
  EXPECT_EQ(employees->next, "/employees?limit=100&offset=100");
  auto rest = connector_->list_records(ctx_, Model::kHrisEmployees, employees->next);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->records.size(), 3u);
  EXPECT_EQ(rest->next, "");
  EXPECT_EQ(fake_.requests().back().query_string(), "limit=100&offset=100");

  fake_.set("/spi/v3/employees", 401, "{}");
  EXPECT_EQ(connector_->list_records(ctx_, Model::kHrisEmployees, "").error().kind, ErrorKind::kUnauthorized);
}

TEST_F(WorkableApiTest, UnreachableApiIsUpstream) {
  fake_.stop();
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("could not reach Workable"), std::string::npos)
      << created.error().message;
}

}  // namespace
}  // namespace tributary::connectors
