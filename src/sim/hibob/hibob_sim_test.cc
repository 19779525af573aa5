#include "sim/hibob/hibob_sim.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::hibob {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

std::string type_of(const http::Request& r) {
  auto v = body_json(r);
  return v.is_object() && v.as_object().contains("type") ? std::string(v.at("type").as_string()) : "";
}

// Bob's documented formula, recomputed here: base64(HMAC-SHA512(secret, raw body)).
bool signed_with(const http::Request& r, const std::string& secret) {
  std::string expected = crypto::base64_encode(crypto::hmac_sha512(secret, r.body));
  return crypto::constant_time_equal(r.header("Bob-Signature").value_or(""), expected);
}

class HiBobSimTest : public SimFixture<> {
 protected:
  HiBobSimTest() : SimFixture(make_hibob_simulator) {}

  Reply api(std::string method, std::string path, const bj::value& body = nullptr,
            std::string auth = "Basic " + crypto::base64_encode("SERVICE-123:tok-456")) {
    HeaderList headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return call(client_, std::move(method), sim_->base_url() + path,
                body.is_null() ? std::string{} : bj::serialize(body), headers);
  }
  Reply control(std::string method, std::string path, const bj::value& body = bj::object{}) {
    return call(client_, std::move(method), sim_->base_url() + path, bj::serialize(body));
  }
  std::string create(std::string model, bj::object fields) {
    Reply r = control("POST", "/_sim/" + model, fields);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(r.json().at("remote_id").as_string()) : std::string{};
  }
  // Configures a webhook "in Bob's UI"; returns the answer ({id, secret, active, …}).
  bj::value add_webhook(std::string path, bj::array types = {}) {
    bj::object body{{"url", receiver_.url(path)}};
    if (!types.empty()) body["event_types"] = std::move(types);
    Reply r = control("POST", "/_sim/webhooks", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::vector<http::Request> wait_type(std::string_view type, std::size_t n = 1) {
    return receiver_.wait_matching([&](const http::Request& r) { return type_of(r) == type; }, n);
  }
};

TEST_F(HiBobSimTest, CreatingAWebhookPingsAndReturnsTheGeneratedSecret) {
  bj::value w = add_webhook("/bob");
  EXPECT_TRUE(w.at("active").as_bool());
  std::string secret(w.at("secret").as_string());
  EXPECT_GE(secret.size(), 32u);
  auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "Ping test");
  EXPECT_TRUE(signed_with(requests[0], secret));
  bj::value subs = control("GET", "/_sim/subscriptions").json();
  ASSERT_EQ(subs.as_array().size(), 1u);
  EXPECT_FALSE(subs.at(0).as_object().contains("secret"));
  EXPECT_EQ(control("POST", "/_sim/webhooks", bj::object{{"url", "ftp://x"}}).status, 400);
  EXPECT_EQ(
      control("POST", "/_sim/webhooks", bj::object{{"url", receiver_.url()}, {"event_types", bj::array{"x"}}})
          .status,
      400);
}

TEST_F(HiBobSimTest, AFailedTextPingIsRetriedAsJsonThenTheHookStaysInactive) {
  receiver_.fail_next("/json-ok", 1, 415);
  bj::value ok = add_webhook("/json-ok");
  EXPECT_TRUE(ok.at("active").as_bool());
  auto pings = receiver_.requests();
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[1].body, R"({"text":"Ping test"})");

  receiver_.fail_next("/down", 2, 500);
  bj::value down = add_webhook("/down", bj::array{"employee.created"});
  EXPECT_FALSE(down.at("active").as_bool());
  EXPECT_EQ(down.at("ping_status").as_int64(), 500);
  // Only the active hook receives events.
  create("hris_employees", {{"first_name", "Ada"}});
  auto created = wait_type("employee.created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].path, "/json-ok");
}

TEST_F(HiBobSimTest, EmployeeEventsAreSignedV2Envelopes) {
  std::string secret(add_webhook("/bob").at("secret").as_string());
  std::string id = create("hris_employees", {{"first_name", "Ada"}, {"work_email", "ada@acme.com"}});
  auto created = wait_type("employee.created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_TRUE(signed_with(created[0], secret));
  EXPECT_FALSE(signed_with(created[0], "not-the-secret"));
  bj::value body = body_json(created[0]);
  EXPECT_EQ(body.at("version").as_string(), "v2");
  EXPECT_TRUE(body.at("companyId").is_int64());
  EXPECT_FALSE(body.at("triggeredBy").as_string().empty());
  EXPECT_EQ(body.at("triggeredAt").as_string().size(), 26u);
  EXPECT_EQ(body.at("data").at("employeeId").as_string(), id);

  ASSERT_EQ(control("PATCH", "/_sim/hris_employees/" + id, bj::object{{"job_title", "Engineer"}}).status,
            200);
  auto updated = wait_type("employee.updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(body_json(updated[0]).at("data").at("fieldUpdates").at(0).at("fieldId").as_string(),
            "work.title");
  ASSERT_EQ(control("DELETE", "/_sim/hris_employees/" + id).status, 200);
  ASSERT_EQ(wait_type("employee.deleted").size(), 1u);
}

TEST_F(HiBobSimTest, TimeOffEventsCarryGetApi) {
  add_webhook("/bob");
  std::string emp = create("hris_employees", {{"first_name", "Ada"}});
  EXPECT_EQ(control("POST", "/_sim/hris_absences", bj::object{{"start_date", "2026-03-02"}}).status, 400);
  std::string req = create("hris_absences",
                           {{"employee_id", emp}, {"start_date", "2026-03-02"}, {"end_date", "2026-03-04"}});
  auto requested = wait_type("timeoff.request.requested");
  ASSERT_EQ(requested.size(), 1u);
  bj::value data = body_json(requested[0]).at("data");
  EXPECT_EQ(std::to_string(data.at("timeoffRequestId").as_int64()), req);
  EXPECT_EQ(data.at("employeeId").as_string(), emp);
  std::string get_api(data.at("getApi").as_string());
  ASSERT_TRUE(get_api.starts_with(sim_->base_url() + "/v1/timeoff/employees/" + emp + "/requests/"))
      << get_api;

  Reply fetched = api("GET", get_api.substr(sim_->base_url().size()));
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(fetched.json().at("startDate").as_string(), "2026-03-02");
  EXPECT_EQ(fetched.json().at("endDate").as_string(), "2026-03-04");
  EXPECT_EQ(fetched.json().at("status").as_string(), "pending");
  EXPECT_EQ(api("GET", "/v1/timeoff/employees/1/requests/" + req).status, 404);

  ASSERT_EQ(control("PATCH", "/_sim/hris_absences/" + req, bj::object{{"status", "APPROVED"}}).status, 200);
  ASSERT_EQ(wait_type("timeoff.request.approved").size(), 1u);
  ASSERT_EQ(control("PATCH", "/_sim/hris_absences/" + req, bj::object{{"end_date", "2026-03-05"}}).status,
            200);
  ASSERT_EQ(wait_type("timeoff.request.updated").size(), 1u);
  ASSERT_EQ(control("DELETE", "/_sim/hris_absences/" + req).status, 200);
  ASSERT_EQ(wait_type("timeoff.request.deleted").size(), 1u);

  EXPECT_EQ(api("GET", "/v1/timeoff/requests/changes").status, 400);
  EXPECT_EQ(api("GET", "/v1/timeoff/requests/changes?since=2020-01-01T00:00:00Z").status, 400);  // > 6 months
  std::string since = format_iso8601(now_ms() - 3600000);
  Reply changes = api("GET", "/v1/timeoff/requests/changes?since=" + since);
  ASSERT_EQ(changes.status, 200) << changes.body;
  // Approved, re-dated, deleted; the pending submission only with includePending.
  bj::value list = changes.json().at("changes");
  ASSERT_EQ(list.as_array().size(), 3u) << changes.body;
  EXPECT_EQ(list.at(0).at("changeType").as_string(), "Created");
  EXPECT_EQ(list.at(1).at("endDate").as_string(), "2026-03-05");
  EXPECT_EQ(list.at(2).at("changeType").as_string(), "Deleted");
  EXPECT_EQ(list.at(0).at("employeeId").as_string(), emp);
  Reply with_pending = api("GET", "/v1/timeoff/requests/changes?includePending=true&since=" + since);
  ASSERT_EQ(with_pending.json().at("changes").as_array().size(), 4u);
  EXPECT_EQ(with_pending.json().at("changes").at(0).at("startDate").as_string(), "2026-03-02");

  // Only keys of HiBob's own schema
  // (connectors/hibob/testdata/contract/timeoff_requests_changes_response.json): what the simulator filters
  // by stays out of the answer.
  const bj::value vendor = testing::contract_example("hibob", "timeoff_requests_changes_response.json");
  const bj::object& vendor_entry = vendor.at("changes").at(0).as_object();
  const bj::value listed = with_pending.json();
  for (const auto& entry : listed.at("changes").as_array())
    for (const auto& kv : entry.as_object())
      EXPECT_TRUE(vendor_entry.contains(kv.key())) << kv.key() << " is not in HiBob's schema";
}

TEST_F(HiBobSimTest, RetriesFailedDeliveriesWithTheSameBody) {
  add_webhook("/flaky", bj::array{"employee.created"});
  receiver_.fail_next("/flaky", 2, 503);
  create("hris_employees", {{"first_name", "Ada"}});
  auto events = wait_type("employee.created", 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].body, events[2].body);
  EXPECT_EQ(events[0].header("Bob-Signature"), events[2].header("Bob-Signature"));
}

TEST_F(HiBobSimTest, RevokedPermissionSuppressesDeliveries) {
  add_webhook("/bob", bj::array{"employee.created"});
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  create("hris_employees", {{"first_name", "Hidden"}});
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);
  std::string shown = create("hris_employees", {{"first_name", "Shown"}});
  auto events = wait_type("employee.created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(body_json(events[0]).at("data").at("employeeId").as_string(), shown);
}

TEST_F(HiBobSimTest, PeopleSearchAndReadNeedBasicAuth) {
  std::string ada = create("hris_employees", {{"first_name", "Ada"}, {"work_email", "ada@acme.com"}});
  std::string bob = create("hris_employees", {{"first_name", "Bob"}, {"status", "INACTIVE"}});
  EXPECT_EQ(api("POST", "/v1/people/search", bj::object{}, "").status, 401);
  EXPECT_EQ(api("POST", "/v1/people/search", bj::object{}, "Bearer x").status, 401);

  Reply active = api("POST", "/v1/people/search", bj::object{});
  ASSERT_EQ(active.status, 200) << active.body;
  ASSERT_EQ(active.json().at("employees").as_array().size(), 1u);
  EXPECT_EQ(active.json().at("employees").at(0).at("email").as_string(), "ada@acme.com");
  Reply all = api("POST", "/v1/people/search",
                  bj::object{{"showInactive", true}, {"fields", bj::array{"root.firstName"}}});
  ASSERT_EQ(all.json().at("employees").as_array().size(), 2u);
  EXPECT_EQ(all.json().at("employees").at(1).as_object().size(), 2u);  // id + firstName
  Reply filtered = api("POST", "/v1/people/search",
                       bj::object{{"showInactive", true},
                                  {"filters", bj::array{bj::object{{"fieldPath", "root.id"},
                                                                   {"operator", "equals"},
                                                                   {"values", bj::array{bob}}}}}});
  ASSERT_EQ(filtered.json().at("employees").as_array().size(), 1u);
  EXPECT_EQ(filtered.json().at("employees").at(0).at("firstName").as_string(), "Bob");

  Reply one = api("POST", "/v1/people/" + ada, bj::object{{"fields", bj::array{"root.email", "work.title"}}});
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("email").as_string(), "ada@acme.com");
  EXPECT_TRUE(one.json().at("work").as_object().contains("title"));
  EXPECT_EQ(api("POST", "/v1/people/424242", bj::object{}).status, 404);
}

// The people and single time-off routes answer only keys of HiBob's examples
// (connectors/hibob/testdata/contract/): the search envelope of the people search example, and every key of a
// time-off request within the schema's TimeoffRequest (timeoff_request_response.json). An employee's own keys
// follow the fields asked for, so only the envelope is held for people.
TEST_F(HiBobSimTest, PeopleAndTimeOffRequestAnswersHaveTheShapeOfTheVendorsExamples) {
  std::string emp = create("hris_employees", {{"first_name", "Ada"}, {"work_email", "ada@acme.com"}});
  std::string req = create("hris_absences",
                           {{"employee_id", emp}, {"start_date", "2026-03-02"}, {"end_date", "2026-03-04"}});
  Reply search = api("POST", "/v1/people/search", bj::object{{"showInactive", true}});
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_EQ(testing::keys_of(search.json()),
            testing::keys_of(testing::contract_example("hibob", "people_search_response.lists-guide.json")));
  EXPECT_EQ(search.json().at("employees").at(0).at("id").as_string(), emp);

  Reply one = api("GET", "/v1/timeoff/employees/" + emp + "/requests/" + req);
  ASSERT_EQ(one.status, 200) << one.body;
  // Beyond the SDK's model: requestRangeType (HiBob's current reference names it, get_timeoff-outtoday) and
  // createdOn (read by the connector for remote_created_at; unconfirmed, see the contract README).
  EXPECT_EQ(
      testing::keys_not_in(one.json(), testing::contract_example("hibob", "timeoff_request_response.json")),
      (std::set<std::string>{"createdOn", "requestRangeType"}))
      << "keys HiBob's time-off request does not have";
}

// One employee read with the fields of HiBob's lists-guide example
// (connectors/hibob/testdata/contract/people_identifier_response.lists-guide.json) answers no key that
// example lacks, and an error answers in the shape of the reference's error schema (error_response.json).
TEST_F(HiBobSimTest, EmployeeReadAndErrorAnswersHaveTheShapeOfTheVendorsExamples) {
  std::string emp = create("hris_employees", {{"first_name", "Ada"}, {"last_name", "Lovelace"}});
  Reply one = api("POST", "/v1/people/" + emp,
                  bj::object{{"fields", bj::array{"root.fullName", "root.creationDate", "work.department"}},
                             {"humanReadable", "APPEND"}});
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(
      testing::answers_like_vendor(one.json(), "hibob", "people_identifier_response.lists-guide.json"));
  EXPECT_EQ(one.json().at("id").as_string(), emp);

  Reply missing = api("POST", "/v1/people/424242", bj::object{});
  ASSERT_EQ(missing.status, 404);
  EXPECT_TRUE(testing::answers_like_vendor(missing.json(), "hibob", "error_response.json"));
  Reply unauthorized = api("POST", "/v1/people/search", bj::object{}, "");
  ASSERT_EQ(unauthorized.status, 401);
  EXPECT_TRUE(testing::answers_like_vendor(unauthorized.json(), "hibob", "error_response.json"));
}

}  // namespace
}  // namespace tributary::sim::hibob
