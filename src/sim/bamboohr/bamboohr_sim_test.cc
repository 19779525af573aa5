#include "sim/bamboohr/bamboohr_sim.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::bamboohr {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

const std::string kWebhooks = "/api/gateway.php/acme/v1/webhooks/";

std::string basic(std::string_view user) {
  return "Basic " + crypto::base64_encode(std::string(user) + ":x");
}

// The signature BambooHR documents: hex HMAC-SHA256(privateKey, body + timestamp).
bool signed_with(const http::Request& r, const std::string& key) {
  std::string ts(r.header("X-BambooHR-Timestamp").value_or(""));
  std::string expected = crypto::hex_encode(crypto::hmac_sha256(key, r.body + ts));
  return !ts.empty() && crypto::constant_time_equal(r.header("X-BambooHR-Signature").value_or(""), expected);
}

class BambooHrSimTest : public SimFixture<> {
 protected:
  BambooHrSimTest() : SimFixture(make_bamboohr_simulator) {}

  Reply api(std::string method, std::string path, const bj::value& body = nullptr,
            std::string auth = basic("api-key-1")) {
    HeaderList headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return call(client_, std::move(method), path.starts_with("http") ? path : sim_->base_url() + path,
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
  bj::value webhook(bj::object body) {
    Reply r = api("POST", kWebhooks, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
};

TEST_F(BambooHrSimTest, WebhooksNeedBasicAuthAndReturnThePrivateKeyOnce) {
  bj::object body{{"name", "tributary"},
                  {"url", receiver_.url()},
                  {"format", "json"},
                  {"monitorFields", bj::array{"firstName", "lastName"}},
                  {"postFields", bj::object{{"firstName", "First Name"}}}};
  Reply anonymous = api("POST", kWebhooks, body, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_FALSE(anonymous.header("X-BambooHR-Error-Message").empty());
  EXPECT_EQ(api("POST", kWebhooks, body, "Bearer abc").status, 401);
  EXPECT_EQ(api("POST", kWebhooks, body, "Basic !!!").status, 401);

  bj::value w = webhook(body);
  ASSERT_TRUE(w.at("id").is_int64());  // a number, as in BambooHR's examples
  std::string id = std::to_string(w.at("id").as_int64());
  EXPECT_EQ(w.at("privateKey").as_string().size(), 64u);
  EXPECT_EQ(w.at("monitorFields").as_array().size(), 2u);
  Reply one = api("GET", kWebhooks + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_FALSE(one.json().as_object().contains("privateKey"));
  EXPECT_EQ(api("GET", "/api/gateway.php/acme/v1/webhooks").json().at("webhooks").as_array().size(), 1u);
  EXPECT_EQ(api("GET", kWebhooks + "monitor_fields").json().at("fields").at(0).at("alias").as_string(),
            "firstName");

  EXPECT_EQ(api("POST", kWebhooks, bj::object{{"name", "x"}, {"url", receiver_.url()}}).status, 400);
  EXPECT_EQ(api("POST", kWebhooks,
                bj::object{{"name", "x"}, {"url", receiver_.url()}, {"monitorFields", bj::array{"shoeSize"}}})
                .status,
            400);
  EXPECT_EQ(api("POST", kWebhooks,
                bj::object{{"name", "x"}, {"url", "ftp://x"}, {"monitorFields", bj::array{"firstName"}}})
                .status,
            400);

  EXPECT_EQ(
      api("POST", kWebhooks,
          bj::object{{"name", "x"}, {"url", receiver_.url()}, {"events", bj::array{"employee.updated"}}})
          .status,
      400);  // employee.updated needs monitorFields
  EXPECT_EQ(api("POST", kWebhooks,
                bj::object{{"name", "x"},
                           {"url", receiver_.url()},
                           {"monitorFields", bj::array{"firstName"}},
                           {"events", bj::array{"employee.created", "employee_with_fields.created"}}})
                .status,
            400);  // event-based and field-based events do not mix
  // The same API under the new path.
  EXPECT_EQ(api("GET", "/api/v1/webhooks").json().at("webhooks").as_array().size(), 1u);

  EXPECT_EQ(api("DELETE", kWebhooks + id, nullptr, "").status, 401);
  EXPECT_EQ(api("DELETE", kWebhooks + id).status, 200);
  EXPECT_EQ(api("DELETE", kWebhooks + id).status, 404);
  EXPECT_EQ(api("GET", kWebhooks + id).status, 404);
}

TEST_F(BambooHrSimTest, RevokedPermissionAnswers403) {
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  Reply r =
      api("POST", kWebhooks,
          bj::object{{"name", "x"}, {"url", receiver_.url()}, {"events", bj::array{"employee.created"}}});
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.header("X-BambooHR-Error-Message").empty());
  EXPECT_EQ(api("GET", kWebhooks).status, 403);
}

TEST_F(BambooHrSimTest, EventBasedDeliveriesAreSignedOverBodyAndTimestamp) {
  bj::value w = webhook(bj::object{{"name", "events"},
                                   {"url", receiver_.url("/ev")},
                                   {"events", bj::array{"employee.created", "employee.updated"}},
                                   {"monitorFields", bj::array{"lastName"}}});
  std::string key(w.at("privateKey").as_string());
  std::string id = create("hris_employees", {{"first_name", "Ada"}, {"work_email", "ada@acme.com"}});
  ASSERT_TRUE(receiver_.wait_for_count(1));
  ASSERT_EQ(control("PATCH", "/_sim/hris_employees/" + id, bj::object{{"last_name", "Lovelace"}}).status,
            200);
  ASSERT_TRUE(receiver_.wait_for_count(2));
  auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests)
    EXPECT_TRUE(signed_with(r, key)) << r.body;
  EXPECT_FALSE(signed_with(requests[0], "wrong-key"));
  bj::value created = body_json(requests[0]);
  EXPECT_EQ(created.at("type").as_string(), "employee.created");
  EXPECT_EQ(created.at("data").at("employeeId").as_string(), id);
  bj::value updated = body_json(requests[1]);
  EXPECT_EQ(updated.at("type").as_string(), "employee.updated");
  EXPECT_EQ(updated.at("data").at("changedFields").at(0).as_string(), "lastName");
}

TEST_F(BambooHrSimTest, CreationAlsoFiresUpdatedForMonitoredFields) {
  webhook(bj::object{{"name", "events"},
                     {"url", receiver_.url("/ev")},
                     {"events", bj::array{"employee.created", "employee.updated"}},
                     {"monitorFields", bj::array{"firstName"}}});
  std::string id = create("hris_employees", {{"first_name", "Ada"}});
  ASSERT_TRUE(receiver_.wait_for_count(2));
  // Two deliveries in flight at once: their arrival order is not fixed.
  std::map<std::string, bj::value> by_type;
  for (const auto& r : receiver_.requests()) {
    bj::value body = body_json(r);
    by_type[std::string(body.at("type").as_string())] = body;
  }
  ASSERT_EQ(by_type.size(), 2u);
  ASSERT_TRUE(by_type.contains("employee.created"));
  EXPECT_FALSE(by_type["employee.created"].at("data").as_object().contains("changedFields"));
  bj::value updated = by_type["employee.updated"];
  EXPECT_EQ(updated.at("data").at("employeeId").as_string(), id);
  EXPECT_EQ(updated.at("data").at("changedFields").at(0).as_string(), "firstName");
}

TEST_F(BambooHrSimTest, FieldBasedDeliveriesOnlyForMonitoredFields) {
  webhook(bj::object{{"name", "fields"},
                     {"url", receiver_.url("/f")},
                     {"monitorFields", bj::array{"lastName"}},
                     {"postFields", bj::object{{"lastName", "Last Name"}, {"workEmail", "Email"}}}});
  std::string id = create("hris_employees", {{"first_name", "Ada"}, {"work_email", "ada@acme.com"}});
  ASSERT_TRUE(receiver_.wait_for_count(1));
  Reply quiet = control("PATCH", "/_sim/hris_employees/" + id, bj::object{{"job_title", "Engineer"}});
  ASSERT_EQ(quiet.status, 200);
  ASSERT_EQ(control("PATCH", "/_sim/hris_employees/" + id, bj::object{{"last_name", "Lovelace"}}).status,
            200);
  ASSERT_TRUE(receiver_.wait_for_count(2));
  auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 2u);
  bj::value e = body_json(requests[1]).at("employees").at(0);
  EXPECT_EQ(e.at("action").as_string(), "Updated");
  EXPECT_EQ(e.at("id").as_string(), id);
  EXPECT_EQ(e.at("changedFields").as_array().size(), 1u);
  EXPECT_EQ(e.at("fields").at("Last Name").as_string(), "Lovelace");
  EXPECT_EQ(e.at("fields").at("Email").as_string(), "ada@acme.com");
  EXPECT_EQ(body_json(requests[0]).at("employees").at(0).at("action").as_string(), "Created");
}

TEST_F(BambooHrSimTest, Retries5xxButNot4xx) {
  webhook(
      bj::object{{"name", "a"}, {"url", receiver_.url("/flaky")}, {"events", bj::array{"employee.created"}}});
  webhook(
      bj::object{{"name", "b"}, {"url", receiver_.url("/gone")}, {"events", bj::array{"employee.created"}}});
  receiver_.fail_next("/flaky", 2, 503);
  receiver_.fail_next("/gone", 1, 410);
  create("hris_employees", {{"first_name", "Ada"}});
  ASSERT_TRUE(receiver_.wait_until([](const auto& all) {
    return std::count_if(all.begin(), all.end(), [](const auto& r) { return r.path == "/flaky"; }) >= 3;
  }));
  auto requests = receiver_.requests();
  std::vector<http::Request> flaky;
  std::size_t gone = 0;
  for (const auto& r : requests) {
    if (r.path == "/flaky") flaky.push_back(r);
    if (r.path == "/gone") ++gone;
  }
  ASSERT_EQ(flaky.size(), 3u);
  EXPECT_EQ(flaky[0].body, flaky[2].body);
  EXPECT_EQ(flaky[0].header("X-BambooHR-Signature"), flaky[2].header("X-BambooHR-Signature"));
  EXPECT_EQ(gone, 1u);
  EXPECT_EQ(retry_schedule()->max_attempts(), 6u);
}

TEST_F(BambooHrSimTest, ListsEmployeesWithCursorsAndGetsWithFields) {
  for (const char* name : {"A", "B", "C"})
    create("hris_employees", {{"first_name", name}, {"work_email", std::string(name) + "@acme.com"}});
  EXPECT_EQ(api("GET", "/api/v1/employees", nullptr, "").status, 401);
  EXPECT_EQ(api("GET", "/api/v1/employees?page%5Blimit%5D=2501").status, 400);
  Reply page1 = api("GET", "/api/v1/employees?page%5Blimit%5D=2");
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ(page1.json().at("data").as_array().size(), 2u);
  std::string cursor(page1.json().at("meta").at("page").at("nextCursor").as_string());
  Reply page2 = api("GET", "/api/v1/employees?page%5Blimit%5D=2&page%5Bafter%5D=" + cursor);
  ASSERT_EQ(page2.status, 200) << page2.body;
  ASSERT_EQ(page2.json().at("data").as_array().size(), 1u);
  EXPECT_EQ(page2.json().at("data").at(0).at("firstName").as_string(), "C");
  EXPECT_TRUE(page2.json().at("meta").at("page").at("nextCursor").is_null());
  std::string next(page1.json().at("_links").at("next").at("href").as_string());
  EXPECT_EQ(api("GET", next).json().at("data").at(0).at("firstName").as_string(), "C");

  std::string id(page2.json().at("data").at(0).at("employeeId").as_string());
  Reply bare = api("GET", "/api/v1/employees/" + id);
  ASSERT_EQ(bare.status, 200);
  EXPECT_EQ(bare.json().as_object().size(), 1u);
  Reply full = api("GET", "/api/v1/employees/" + id + "?fields=firstName,workEmail");
  EXPECT_EQ(full.json().at("workEmail").as_string(), "C@acme.com");
  EXPECT_EQ(api("GET", "/api/v1/employees/999").status, 404);
}

// The employee directory (bhr-api-python docs/EmployeesApi.md get_employees_directory): a fieldset and the
// current employees keyed by its field ids, 404 when empty; record reads answer under the legacy gateway too.
TEST_F(BambooHrSimTest, TheDirectoryListsCurrentEmployeesByItsFieldsetAlsoThroughTheGateway) {
  EXPECT_EQ(api("GET", "/api/v1/employees/directory").status, 404);
  const std::string ada = create("hris_employees", {{"first_name", "Ada"}, {"job_title", "Analyst"}});
  const std::string left = create("hris_employees", {{"first_name", "Bo"}, {"status", "INACTIVE"}});
  EXPECT_EQ(api("GET", "/api/gateway.php/acme/v1/employees/directory", nullptr, "").status, 401);
  Reply directory = api("GET", "/api/gateway.php/acme/v1/employees/directory");
  ASSERT_EQ(directory.status, 200) << directory.body;
  const bj::value doc = directory.json();
  std::set<std::string> field_ids;
  for (const auto& f : doc.at("fields").as_array()) {
    EXPECT_EQ(f.as_object().size(), 3u) << bj::serialize(f);  // id, type, name
    field_ids.insert(std::string(f.at("id").as_string()));
  }
  const auto& employees = doc.at("employees").as_array();
  ASSERT_EQ(employees.size(), 1u);
  EXPECT_EQ(employees[0].at("id").as_string(), ada);
  EXPECT_EQ(employees[0].at("jobTitle").as_string(), "Analyst");
  for (const auto& kv : employees[0].as_object())
    EXPECT_TRUE(kv.key() == "id" || field_ids.count(std::string(kv.key()))) << kv.key();
  EXPECT_EQ(
      api("GET", "/api/v1/employees/directory?onlyCurrent=false").json().at("employees").as_array().size(),
      2u);
  Reply one = api("GET", "/api/gateway.php/acme/v1/employees/" + left + "?fields=firstName");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().at("firstName").as_string(), "Bo");
}

// The list answers like the vendor's own example (connectors/bamboohr/testdata/contract/list_employees.json):
// the same envelope and entry keys, and `fields` cannot add what list-employees does not offer.
TEST_F(BambooHrSimTest, TheEmployeeListHasTheShapeOfTheVendorsExample) {
  create("hris_employees", {{"first_name", "A"}, {"job_title", "Engineer"}, {"work_email", "a@acme.com"}});
  std::ifstream file(std::string(TRIBUTARY_SOURCE_DIR) +
                     "/src/connectors/bamboohr/testdata/contract/list_employees.json");
  ASSERT_TRUE(file) << "the contract example is missing";
  const bj::value contract = bj::parse(std::string(std::istreambuf_iterator<char>(file), {}));
  Reply listed = api("GET", "/api/v1/employees?fields=department,jobTitle,supervisorEId");
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto keys = [](const bj::object& o) {
    std::set<std::string> out;
    for (const auto& kv : o)
      if (kv.key() != "_restrictedFields") out.emplace(kv.key());
    return out;
  };
  const bj::value parsed = listed.json();
  const bj::object& doc = parsed.as_object();
  EXPECT_EQ(keys(doc), keys(contract.as_object()));
  EXPECT_EQ(keys(doc.at("meta").as_object()), keys(contract.at("meta").as_object()));
  EXPECT_EQ(keys(doc.at("meta").at("page").as_object()), keys(contract.at("meta").at("page").as_object()));
  const bj::object& entry = doc.at("data").at(0).as_object();
  EXPECT_EQ(keys(entry), keys(contract.at("data").at(0).as_object()));
  EXPECT_EQ(entry.at("jobTitleName").as_string(), "Engineer");
  EXPECT_FALSE(entry.contains("id"));
  Reply with_email = api("GET", "/api/v1/employees?fields=workEmail");
  EXPECT_EQ(with_email.json().at("data").at(0).at("workEmail").as_string(), "a@acme.com");
}

// /employees/changed answers in the shape of the vendor's schema (contract/employees_changed.json): every
// employee since `since`, Inserted, Updated or Deleted; `since` is required.
TEST_F(BambooHrSimTest, TheChangedFeedHasTheShapeOfTheVendorsSchema) {
  const std::string a = create("hris_employees", {{"first_name", "A"}});
  const std::string b = create("hris_employees", {{"first_name", "B"}});
  ASSERT_EQ(control("DELETE", "/_sim/hris_employees/" + b).status, 200);
  EXPECT_EQ(api("GET", "/api/v1/employees/changed").status, 400);
  Reply changed = api("GET", "/api/v1/employees/changed?since=1970-01-01T00:00:00Z");
  ASSERT_EQ(changed.status, 200) << changed.body;
  std::ifstream file(std::string(TRIBUTARY_SOURCE_DIR) +
                     "/src/connectors/bamboohr/testdata/contract/employees_changed.json");
  ASSERT_TRUE(file);
  const bj::value contract = bj::parse(std::string(std::istreambuf_iterator<char>(file), {}));
  const bj::value got = changed.json();
  auto keys = [](const bj::object& o) {
    std::set<std::string> out;
    for (const auto& kv : o)
      out.emplace(kv.key());
    return out;
  };
  EXPECT_EQ(keys(got.as_object()), keys(contract.as_object()));
  const bj::object& entry = got.at("employees").at(a).as_object();
  EXPECT_EQ(keys(entry), keys(contract.at("employees").at("123").as_object()));
  EXPECT_EQ(entry.at("action").as_string(), "Inserted");
  EXPECT_EQ(got.at("employees").at(b).at("action").as_string(), "Deleted");
  Reply later = api("GET", "/api/v1/employees/changed?since=2999-01-01T00:00:00Z");
  EXPECT_TRUE(later.json().at("employees").as_object().empty());
}

// An employee read and the time-off requests answer in the shape of BambooHR's schema examples
// (connectors/bamboohr/testdata/contract/get_employee.json, time_off_requests.json): keys and the kinds of
// their values. `dates` is keyed by day, so only its values are held.
TEST_F(BambooHrSimTest, EmployeeAndTimeOffAnswersHaveTheShapeOfTheVendorsExamples) {
  const std::string emp = create("hris_employees", {{"first_name", "Ada"}, {"job_title", "Engineer"}});
  create("hris_absences", {{"employee_remote_id", emp},
                           {"start_date", "2026-03-02"},
                           {"end_date", "2026-03-04"},
                           {"status", "APPROVED"}});
  const bj::value vendor_employee = testing::contract_example("bamboohr", "get_employee.json");
  std::string fields;
  for (const auto& key : testing::keys_of(vendor_employee))
    if (key != "id") fields += (fields.empty() ? "" : ",") + key;
  Reply one = api("GET", "/api/v1/employees/" + emp + "?fields=" + fields);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(testing::answers_like_vendor(one.json(), "bamboohr", "get_employee.json"));

  Reply list = api("GET", "/api/v1/time_off/requests?start=2026-03-01&end=2026-03-31");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json().as_array().size(), 1u) << list.body;
  bj::value requests = list.json();
  for (auto& r : requests.as_array()) {
    if (auto* dates = r.as_object().if_contains("dates"); dates != nullptr && dates->is_object()) {
      for (const auto& day : dates->as_object())
        EXPECT_TRUE(day.value().is_string()) << "dates." << day.key() << " is a string in the example";
      r.as_object()["dates"] = bj::object{{"2026-02-10", "1"}};
    }
  }
  EXPECT_TRUE(testing::answers_like_vendor(requests, "bamboohr", "time_off_requests.json"));
}

TEST_F(BambooHrSimTest, TimeOffRequestsAreABareArrayWithoutWebhooks) {
  webhook(bj::object{{"name", "a"},
                     {"url", receiver_.url("/all")},
                     {"events", bj::array{"employee.created", "employee.updated", "employee.deleted"}},
                     {"monitorFields", bj::array{"jobTitle"}}});
  std::string emp = create("hris_employees", {{"first_name", "Ada"}});
  ASSERT_TRUE(receiver_.wait_for_count(1));
  EXPECT_EQ(control("POST", "/_sim/hris_absences", bj::object{{"start_date", "2026-03-02"}}).status, 400);
  std::string req = create("hris_absences", {{"employee_remote_id", emp},
                                             {"start_date", "2026-03-02"},
                                             {"end_date", "2026-03-04"},
                                             {"status", "APPROVED"}});
  EXPECT_EQ(api("GET", "/api/v1/time_off/requests?start=2026-03-01").status, 400);
  Reply list = api("GET", "/api/v1/time_off/requests?start=2026-03-01&end=2026-03-31");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_TRUE(list.json().is_array());
  ASSERT_EQ(list.json().as_array().size(), 1u);
  bj::value r = list.json().at(0);
  // Numbers, as in BambooHR's schema.
  EXPECT_EQ(r.at("id").as_int64(), std::stoll(req));
  EXPECT_EQ(r.at("employeeId").as_int64(), std::stoll(emp));
  EXPECT_EQ(r.at("start").as_string(), "2026-03-02");
  EXPECT_EQ(r.at("end").as_string(), "2026-03-04");
  EXPECT_EQ(r.at("status").at("status").as_string(), "approved");
  EXPECT_EQ(r.at("amount").at("amount").as_int64(), 3);
  EXPECT_TRUE(
      api("GET", "/api/v1/time_off/requests?start=2026-04-01&end=2026-04-30").json().as_array().empty());
  // Sentinel: an employee change after the absence; only employee events arrived.
  ASSERT_EQ(control("DELETE", "/_sim/hris_employees/" + emp).status, 200);
  ASSERT_TRUE(receiver_.wait_for_count(2));
  EXPECT_EQ(receiver_.requests().size(), 2u);
  EXPECT_EQ(body_json(receiver_.requests()[1]).at("type").as_string(), "employee.deleted");
}

TEST_F(BambooHrSimTest, ControlApiCoversOnlyHrisModels) {
  EXPECT_EQ(control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 404);
  EXPECT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"shoe_size", "9"}}).status, 400);
  EXPECT_EQ(control("PATCH", "/_sim/hris_employees/1", bj::object{{"first_name", "X"}}).status, 404);
}

}  // namespace
}  // namespace tributary::sim::bamboohr
