#include "sim/personio/personio_sim.h"

#include <gtest/gtest.h>

#include "sim/common/test_support.h"

namespace tributary::sim::personio {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

std::string event_of(const http::Request& r) {
  auto v = body_json(r);
  return v.is_object() && v.as_object().contains("event_name") ? std::string(v.at("event_name").as_string())
                                                               : "";
}

std::string payload_id(const http::Request& r) {
  return std::string(body_json(r).at("payload").at("id").as_string());
}

class PersonioSimTest : public SimFixture<> {
 protected:
  PersonioSimTest() : SimFixture(make_personio_simulator) {}
  void SetUp() override {
    SimFixture::SetUp();
    if (HasFatalFailure()) return;
    Reply token = call(client_, "POST", sim_->base_url() + "/v2/auth/token",
                       "grant_type=client_credentials&client_id=abc&client_secret=def",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(token.status, 200) << token.body;
    EXPECT_EQ(token.json().at("token_type").as_string(), "Bearer");
    bearer_ = {{"Authorization", "Bearer " + std::string(token.json().at("access_token").as_string())},
               {"Content-Type", "application/json"}};
  }

  Reply api(std::string method, std::string path, const bj::value& body = nullptr) {
    return call(client_, std::move(method), path.starts_with("http") ? path : sim_->base_url() + path,
                body.is_null() ? std::string{} : bj::serialize(body), bearer_);
  }
  Reply control(std::string method, std::string path, const bj::value& body = bj::object{}) {
    return call(client_, std::move(method), sim_->base_url() + path, bj::serialize(body));
  }
  // Creates an ENABLED webhook to the receiver's `path`; returns the 201 body.
  bj::value create_webhook(std::string path, bj::array events, std::string token = "tok-123") {
    Reply r = api("POST", "/v2/webhooks",
                  bj::object{{"url", receiver_.url(path)},
                             {"description", "tributary"},
                             {"enabled_events", std::move(events)},
                             {"status", "ENABLED"},
                             {"auth_type", "TOKEN"},
                             {"token", token}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  std::vector<http::Request> wait_event(std::string_view event, std::size_t n = 1) {
    return receiver_.wait_matching([&](const http::Request& r) { return event_of(r) == event; }, n);
  }

  HeaderList bearer_;
};

TEST_F(PersonioSimTest, CreatesAWebhookWithABearerTokenOnly) {
  Reply anonymous = call(
      client_, "POST", sim_->base_url() + "/v2/webhooks",
      bj::serialize(bj::object{{"url", receiver_.url()}, {"enabled_events", bj::array{"person.created"}}}));
  EXPECT_EQ(anonymous.status, 401);

  bj::value w = create_webhook("/p", bj::array{"person.created"});
  EXPECT_EQ(w.at("id").as_string().size(), 36u);
  EXPECT_EQ(w.at("url").as_string(), receiver_.url("/p"));
  EXPECT_EQ(w.at("status").as_string(), "ENABLED");
  EXPECT_EQ(w.at("auth_type").as_string(), "TOKEN");
  EXPECT_EQ(w.at("token").as_string(), "tok-123");
  EXPECT_EQ(w.at("enabled_events").at(0).as_string(), "person.created");
  EXPECT_TRUE(w.as_object().contains("created_at"));

  Reply one = api("GET", "/v2/webhooks/" + std::string(w.at("id").as_string()));
  EXPECT_EQ(one.status, 200);
  Reply list = api("GET", "/v2/webhooks");
  EXPECT_EQ(list.json().at("_data").as_array().size(), 1u);
  Reply subs = control("GET", "/_sim/subscriptions");
  ASSERT_EQ(subs.json().as_array().size(), 1u);
  EXPECT_FALSE(subs.json().at(0).as_object().contains("token"));
}

TEST_F(PersonioSimTest, ValidatesWebhookBodies) {
  EXPECT_EQ(api("POST", "/v2/webhooks", bj::object{{"enabled_events", bj::array{"person.created"}}}).status,
            400);
  Reply unknown = api("POST", "/v2/webhooks",
                      bj::object{{"url", receiver_.url()}, {"enabled_events", bj::array{"person.exploded"}}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.json().at("errors").at(0).at("title").as_string(), "Unprocessable Entity");
  EXPECT_EQ(api("POST", "/v2/webhooks",
                bj::object{{"url", "ftp://x"}, {"enabled_events", bj::array{"person.created"}}})
                .status,
            422);
  create_webhook("/dup", bj::array{"person.created"});
  EXPECT_EQ(api("POST", "/v2/webhooks",
                bj::object{{"url", receiver_.url("/dup")}, {"enabled_events", bj::array{"person.created"}}})
                .status,
            409);
  EXPECT_EQ(api("GET", "/v2/webhooks/00000000-0000-4000-8000-000000000000").status, 404);
}

TEST_F(PersonioSimTest, PersonCreatedIsDeliveredWithTheTokenVerbatim) {
  create_webhook("/p", bj::array{"person.created"}, "s3cret-token");
  Reply person = control(
      "POST", "/_sim/hris_employees",
      bj::object{{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"work_email", "ada@example.com"}});
  ASSERT_EQ(person.status, 200) << person.body;
  std::string id(person.json().at("remote_id").as_string());
  auto events = wait_event("person.created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].header("Authorization").value_or(""), "s3cret-token");
  bj::value body = body_json(events[0]);
  EXPECT_EQ(payload_id(events[0]), id);
  EXPECT_TRUE(body.at("company_id").is_int64());
  EXPECT_TRUE(parse_iso8601(body.at("occurred_at").as_string()).has_value());

  Reply fetched = api("GET", "/v2/persons/" + id);
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(fetched.json().at("email").as_string(), "ada@example.com");
  EXPECT_EQ(fetched.json().at("first_name").as_string(), "Ada");
}

TEST_F(PersonioSimTest, PersonUpdatedFiresOnlyForNotifyingAttributes) {
  create_webhook("/p", bj::array{"person.created", "person.updated"});
  std::string ada(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}})
                      .json()
                      .at("remote_id")
                      .as_string());
  wait_event("person.created");

  Reply quiet = control("PATCH", "/_sim/hris_employees/" + ada, bj::object{{"job_title", "Engineer"}});
  ASSERT_EQ(quiet.status, 200) << quiet.body;
  EXPECT_FALSE(quiet.json().at("notified").as_bool());
  // Sentinel: a later change that notifies; when it arrived, an earlier notification would have arrived too.
  std::string grace(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Grace"}})
                        .json()
                        .at("remote_id")
                        .as_string());
  ASSERT_EQ(wait_event("person.created", 2).size(), 2u);
  EXPECT_TRUE(wait_event("person.updated", 0).empty());
  EXPECT_EQ(api("GET", "/v2/persons/" + ada).json().at("employments").as_array().size(), 1u);

  Reply loud = control("PATCH", "/_sim/hris_employees/" + ada, bj::object{{"last_name", "Lovelace"}});
  EXPECT_TRUE(loud.json().at("notified").as_bool());
  auto updated = wait_event("person.updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(payload_id(updated[0]), ada);
}

TEST_F(PersonioSimTest, RevokedPermissionAnswers403InPersoniosShape) {
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  Reply r = api("POST", "/v2/webhooks",
                bj::object{{"url", receiver_.url()}, {"enabled_events", bj::array{"person.created"}}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().at("errors").at(0).at("title").as_string(), "Forbidden");
  EXPECT_EQ(r.json().at("errors").at(0).at("detail").as_string(), "missing scope personio:webhooks:write");
  EXPECT_EQ(api("GET", "/v2/webhooks").status, 403);
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);
  create_webhook("/p", bj::array{"person.created"});
}

TEST_F(PersonioSimTest, DeletedWebhookReceivesNothingMore) {
  bj::value gone = create_webhook("/gone", bj::array{"person.created"});
  create_webhook("/stays", bj::array{"person.created"});
  std::string id(gone.at("id").as_string());
  Reply del = api("DELETE", "/v2/webhooks/" + id);
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(api("GET", "/v2/webhooks/" + id).status, 404);
  EXPECT_EQ(api("DELETE", "/v2/webhooks/" + id).status, 404);

  ASSERT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}}).status, 200);
  auto events = wait_event("person.created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/stays");
}

TEST_F(PersonioSimTest, DisabledWebhooksAndOtherEventsDoNotFire) {
  Reply disabled =
      api("POST", "/v2/webhooks",
          bj::object{{"url", receiver_.url("/off")}, {"enabled_events", bj::array{"person.created"}}});
  ASSERT_EQ(disabled.status, 201);
  EXPECT_EQ(disabled.json().at("status").as_string(), "DISABLED");  // Personio's default
  create_webhook("/abs", bj::array{"absence-period.created"});
  create_webhook("/on", bj::array{"person.created"});
  ASSERT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}}).status, 200);
  auto events = wait_event("person.created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/on");
}

TEST_F(PersonioSimTest, AbsenceEventsForCreateTimerangeAndStatus) {
  create_webhook("/a", bj::array{"absence-period.created", "absence-period.updated.timerange",
                                 "absence-period.updated.status", "absence-period.deleted"});
  std::string person(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}})
                         .json()
                         .at("remote_id")
                         .as_string());
  EXPECT_EQ(control("POST", "/_sim/hris_absences", bj::object{{"start_date", "2026-03-02"}}).status, 400);
  Reply created = control("POST", "/_sim/hris_absences",
                          bj::object{{"employee_remote_id", person},
                                     {"start_date", "2026-03-02"},
                                     {"end_date", "2026-03-06"},
                                     {"status", "REQUESTED"}});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id(created.json().at("remote_id").as_string());
  EXPECT_EQ(id.size(), 36u);
  auto c = wait_event("absence-period.created");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(payload_id(c[0]), id);

  ASSERT_EQ(control("PATCH", "/_sim/hris_absences/" + id, bj::object{{"end_date", "2026-03-09"}}).status,
            200);
  ASSERT_EQ(wait_event("absence-period.updated.timerange").size(), 1u);
  ASSERT_EQ(control("PATCH", "/_sim/hris_absences/" + id, bj::object{{"status", "APPROVED"}}).status, 200);
  ASSERT_EQ(wait_event("absence-period.updated.status").size(), 1u);
  Reply fetched = api("GET", "/v2/absence-periods?id=" + id);
  ASSERT_EQ(fetched.status, 200);
  const bj::value page = fetched.json();
  ASSERT_EQ(page.at("_data").as_array().size(), 1u);
  const bj::value& period = page.at("_data").at(0);
  EXPECT_EQ(period.at("approval").at("status").as_string(), "APPROVED");
  EXPECT_EQ(period.at("person").at("id").as_string(), person);
  ASSERT_EQ(control("DELETE", "/_sim/hris_absences/" + id).status, 200);
  ASSERT_EQ(wait_event("absence-period.deleted").size(), 1u);
  EXPECT_TRUE(api("GET", "/v2/absence-periods?id=" + id).json().at("_data").as_array().empty());
  EXPECT_EQ(api("GET", "/v2/absence-periods/" + id).status, 404);  // not an endpoint Personio documents
}

TEST_F(PersonioSimTest, RetriesServerErrorsButNot501) {
  create_webhook("/flaky", bj::array{"person.created"});
  receiver_.fail_next("/flaky", 1, 503);
  ASSERT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}}).status, 200);
  auto events = wait_event("person.created", 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].body, events[1].body);

  auto s = retry_schedule();
  EXPECT_EQ(s->max_attempts(), 6u);
  http::ClientResponse r;
  r.status = 501;
  EXPECT_FALSE(s->should_retry(r));
  r.status = 400;
  EXPECT_FALSE(s->should_retry(r));
  r.status = 502;
  EXPECT_TRUE(s->should_retry(r));
  r.status = 0;
  r.error = "timeout";
  EXPECT_TRUE(s->should_retry(r));
}

TEST_F(PersonioSimTest, ListsPersonsWithAbsoluteNextLinks) {
  for (const char* name : {"A", "B", "C"})
    ASSERT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"first_name", name}}).status, 200);
  EXPECT_EQ(call(client_, "GET", sim_->base_url() + "/v2/persons").status, 401);
  EXPECT_EQ(api("GET", "/v2/persons?limit=51").status, 400);
  Reply page1 = api("GET", "/v2/persons?limit=2");
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ(page1.json().at("_data").as_array().size(), 2u);
  std::string next(page1.json().at("_meta").at("links").at("next").at("href").as_string());
  ASSERT_TRUE(next.starts_with(sim_->base_url() + "/v2/persons?")) << next;
  Reply page2 = api("GET", next);
  ASSERT_EQ(page2.status, 200) << page2.body;
  ASSERT_EQ(page2.json().at("_data").as_array().size(), 1u);
  EXPECT_EQ(page2.json().at("_data").at(0).at("first_name").as_string(), "C");
  EXPECT_FALSE(page2.json().at("_meta").at("links").as_object().contains("next"));
}

TEST_F(PersonioSimTest, ControlApiCoversOnlyHrisModels) {
  Reply r = control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "Ada"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("does not cover"), std::string::npos);
  EXPECT_EQ(control("POST", "/_sim/hris_employees", bj::object{{"gender", "ROBOT"}}).status, 400);
  EXPECT_EQ(control("PATCH", "/_sim/hris_employees/424242", bj::object{{"first_name", "X"}}).status, 404);
  EXPECT_EQ(control("POST", "/_sim/webhooks", bj::object{{"url", receiver_.url()}}).status, 404);
  EXPECT_EQ(control("POST", "/_sim/ats_jobs/1/publish").status, 404);
}

// The person routes answer Personio's envelope as real answers show it
// (connectors/personio/testdata/contract/
// *.forum.json, captured by a user whose token had no attribute scopes): `_data` and `_meta` on a list,
// `_meta.links` with `href` links on a person. A person's attribute keys are not held here: no answer with
// attributes was found.
TEST_F(PersonioSimTest, PersonAnswersHaveTheEnvelopeOfRealAnswers) {
  Reply created = control("POST", "/_sim/hris_employees", bj::object{{"first_name", "Ada"}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id(created.json().at("remote_id").as_string());
  const bj::value one_example = testing::contract_example("personio", "person_get_response.forum.json");
  const bj::value list_example = testing::contract_example("personio", "persons_list_response.forum.json");

  Reply one = api("GET", "/v2/persons/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(testing::keys_not_in(one.json().at("_meta"), one_example.at("_meta")), std::set<std::string>{});
  EXPECT_EQ(one.json().at("employments").at(0).as_object().size(), 1u) << "an employment reference is {id}";
  for (const char* key : {"id", "employments", "_meta"})
    EXPECT_TRUE(one.json().as_object().contains(key)) << key;

  Reply list = api("GET", "/v2/persons");
  ASSERT_EQ(list.status, 200) << list.body;
  for (const auto& key : testing::keys_of(list_example))
    EXPECT_TRUE(list.json().as_object().contains(key)) << key;
  // The capture cut the top-level _meta off; _meta.links.next.href is what vendors.md and the reference
  // describe.
  std::set<std::string> extra = testing::keys_of(list.json());
  extra.erase("_data");
  extra.erase("_meta");
  EXPECT_EQ(extra, std::set<std::string>{});
}

// The token and error answers have the shape of Personio's examples (connectors/personio/testdata/contract/
// auth_token_response.json from the v2 reference, error_response.forum.json captured by a user).
TEST_F(PersonioSimTest, TokenAndErrorAnswersHaveTheShapeOfTheVendorsExamples) {
  Reply token = call(client_, "POST", sim_->base_url() + "/v2/auth/token",
                     "grant_type=client_credentials&client_id=abc&client_secret=def",
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_TRUE(testing::answers_like_vendor(token.json(), "personio", "auth_token_response.json"));

  Reply missing = api("GET", "/v2/persons/424242");
  ASSERT_EQ(missing.status, 404) << missing.body;
  EXPECT_TRUE(testing::answers_like_vendor(missing.json(), "personio", "error_response.forum.json"));
  Reply anonymous = call(client_, "GET", sim_->base_url() + "/v2/persons");
  ASSERT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_TRUE(testing::answers_like_vendor(anonymous.json(), "personio", "error_response.forum.json"));
}

}  // namespace
}  // namespace tributary::sim::personio
