#include "sim/teamtailor/teamtailor_sim.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::teamtailor {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

const HeaderList kAuth{{"Authorization", "Token token=tt-api-key"}, {"X-Api-Version", "20240404"}};

// Computed here from Teamtailor's documented formulas, not with the simulator's helpers.
std::string expected_v1(std::string_view key, std::string_view id) {
  return crypto::base64_encode(crypto::hex_encode(crypto::hmac_sha256(key, id)));
}

// The raw bytes of the "payload" member of a body shaped {"payload":…,"signature":"…"}.
std::string raw_payload(const std::string& body) {
  constexpr std::string_view kOpen = "{\"payload\":";
  auto end = body.rfind(",\"signature\":");
  if (!body.starts_with(kOpen) || end == std::string::npos) return {};
  return body.substr(kOpen.size(), end - kOpen.size());
}

std::string event_of(const http::Request& r) {
  auto v = body_json(r);
  const auto* payload = v.is_object() ? v.as_object().if_contains("payload") : nullptr;
  const auto* name =
      payload != nullptr && payload->is_object() ? payload->as_object().if_contains("event_name") : nullptr;
  return name != nullptr && name->is_string() ? std::string(name->get_string()) : "";
}

class TeamtailorSimTest : public SimFixture<> {
 protected:
  TeamtailorSimTest() : SimFixture(make_teamtailor_simulator) {}

  Reply post(std::string path, const bj::value& body) {
    return call(client_, "POST", sim_->base_url() + path, bj::serialize(body));
  }
  Reply patch(std::string path, const bj::value& body) {
    return call(client_, "PATCH", sim_->base_url() + path, bj::serialize(body));
  }
  Reply get(std::string path, HeaderList headers = kAuth) {
    return call(client_, "GET", path.starts_with("http") ? path : sim_->base_url() + path, "",
                std::move(headers));
  }

  // What the customer does in Teamtailor's settings; returns {"id", "secret", …}.
  bj::value add_webhook(std::string path, bj::value events = nullptr, int version = 2) {
    bj::object body{{"url", receiver_.url(path)}, {"signature_version", version}};
    if (!events.is_null()) body["event_types"] = events;
    Reply r = post("/_sim/webhooks", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  std::vector<http::Request> wait_event(std::string_view name, std::size_t n = 1) {
    return receiver_.wait_matching([&](const http::Request& r) { return event_of(r) == name; }, n);
  }
};

TEST_F(TeamtailorSimTest, CreatingAWebhookGeneratesTheKeyAndSendsNothing) {
  bj::value hook = add_webhook("/tt");
  ASSERT_TRUE(hook.is_object());
  EXPECT_FALSE(hook.at("id").as_string().empty());
  EXPECT_GE(hook.at("secret").as_string().size(), 32u);
  EXPECT_EQ(hook.at("event_types").as_array().size(), 9u);  // every event by default
  Reply subs = get("/_sim/subscriptions", {});
  ASSERT_EQ(subs.json().as_array().size(), 1u);
  EXPECT_FALSE(subs.json().at(0).as_object().contains("secret"));
  EXPECT_EQ(subs.body.find(std::string(hook.at("secret").as_string())), std::string::npos);
  // Two webhooks get two different keys.
  EXPECT_NE(add_webhook("/tt2").at("secret"), hook.at("secret"));
  EXPECT_TRUE(receiver_.requests().empty());

  EXPECT_EQ(
      post("/_sim/webhooks", bj::object{{"url", receiver_.url()}, {"event_types", bj::array{"nope"}}}).status,
      400);
  EXPECT_EQ(post("/_sim/webhooks", bj::object{{"url", "ftp://x"}}).status, 400);
  EXPECT_EQ(post("/_sim/webhooks", bj::object{{"url", receiver_.url()}, {"signature_version", 3}}).status,
            400);
}

TEST_F(TeamtailorSimTest, CandidateCreateIsSignedV2OverTheRawPayload) {
  std::string key(add_webhook("/tt", bj::array{"candidate.create"}).at("secret").as_string());
  Reply cand =
      post("/_sim/ats_candidates",
           bj::object{{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"email", "ada@example.com"}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  std::string id(cand.json().at("remote_id").as_string());

  auto events = wait_event("candidate.create");
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  bj::value body = body_json(e);
  const auto& data = body.at("payload").at("data");
  EXPECT_EQ(data.at("id").as_string(), id);
  EXPECT_EQ(data.at("type").as_string(), "candidates");
  EXPECT_EQ(data.at("attributes").at("first-name").as_string(), "Ada");
  EXPECT_EQ(data.at("attributes").at("last-name").as_string(), "Lovelace");
  EXPECT_EQ(data.at("attributes").at("email").as_string(), "ada@example.com");

  // v2: base64("t=<unix>,v2=<hex HMAC-SHA256(key, t + "." + payload JSON)>").
  std::string signature(body.at("signature").as_string());
  auto decoded = crypto::base64_decode(signature);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(decoded->starts_with("t=")) << *decoded;
  auto comma = decoded->find(",v2=");
  ASSERT_NE(comma, std::string::npos);
  std::string t = decoded->substr(2, comma - 2);
  std::string hex = decoded->substr(comma + 4);
  std::string payload = raw_payload(e.body);
  ASSERT_FALSE(payload.empty()) << e.body;
  EXPECT_EQ(hex, crypto::hex_encode(crypto::hmac_sha256(key, t + "." + payload)));
  // The payload bytes are a plain compact serialisation: re-serialising the parsed payload signs the same.
  EXPECT_EQ(bj::serialize(body.at("payload")), payload);
  std::int64_t unix_now = now_ms() / 1000;
  EXPECT_LE(std::abs(std::stoll(t) - unix_now), 5);
  EXPECT_EQ(std::string(*e.header("TT-Signature")), signature);
  // Another key does not verify.
  EXPECT_NE(hex, crypto::hex_encode(crypto::hmac_sha256("other", t + "." + payload)));
}

TEST_F(TeamtailorSimTest, V1SignsTheIdOnly) {
  std::string key(add_webhook("/tt", bj::array{"job.create"}, 1).at("secret").as_string());
  Reply job = post("/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  std::string id(job.json().at("remote_id").as_string());
  auto events = wait_event("job.create");
  ASSERT_EQ(events.size(), 1u);
  bj::value body = body_json(events[0]);
  EXPECT_EQ(body.at("signature").as_string(), expected_v1(key, id));
  EXPECT_EQ(std::string(*events[0].header("TT-Signature")), expected_v1(key, id));
  EXPECT_EQ(body.at("payload").at("data").at("attributes").at("title").as_string(), "Engineer");
  EXPECT_EQ(body.at("payload").at("data").at("attributes").at("status").as_string(), "open");
}

TEST_F(TeamtailorSimTest, JobLifecycleFiresUpdateWithStatusAndDestroy) {
  add_webhook("/tt", bj::array{"job.update", "job.destroy"});
  std::string id(post("/_sim/ats_jobs", bj::object{{"name", "Designer"}}).json().at("remote_id").as_string());
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/publish", bj::object{}).status, 200);
  auto updates = wait_event("job.update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(body_json(updates[0]).at("payload").at("data").at("attributes").at("status").as_string(), "open");
  // Publishing a published job changes nothing and fires nothing.
  EXPECT_FALSE(post("/_sim/ats_jobs/" + id + "/publish", bj::object{}).json().at("changed").as_bool());
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/unpublish", bj::object{}).status, 200);
  updates = wait_event("job.update", 2);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(body_json(updates[1]).at("payload").at("data").at("attributes").at("status").as_string(),
            "archived");
  ASSERT_EQ(patch("/_sim/ats_jobs/" + id, bj::object{{"name", "Lead Designer"}}).status, 200);
  updates = wait_event("job.update", 3);
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(body_json(updates[2]).at("payload").at("data").at("attributes").at("title").as_string(),
            "Lead Designer");
  ASSERT_EQ(call(client_, "DELETE", sim_->base_url() + "/_sim/ats_jobs/" + id).status, 200);
  auto destroyed = wait_event("job.destroy");
  ASSERT_EQ(destroyed.size(), 1u);
  EXPECT_EQ(body_json(destroyed[0]).at("payload").at("data").at("id").as_string(), id);
  EXPECT_EQ(get("/v1/jobs/" + id).status, 404);
}

TEST_F(TeamtailorSimTest, CandidateWithAJobAlsoFiresJobApplicationCreateAndDestroyCascades) {
  add_webhook("/tt", bj::array{"job_application.create", "candidate.destroy", "job_application.destroy"});
  std::string job(post("/_sim/ats_jobs", bj::object{{"name", "X"}}).json().at("remote_id").as_string());
  Reply cand = post("/_sim/ats_candidates", bj::object{{"first_name", "Grace"}, {"job_remote_id", job}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  std::string cand_id(cand.json().at("remote_id").as_string());
  std::string app_id(cand.json().at("application_id").as_string());
  auto apps = wait_event("job_application.create");
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(body_json(apps[0]).at("payload").at("data").at("id").as_string(), app_id);
  EXPECT_EQ(body_json(apps[0]).at("payload").at("data").at("type").as_string(), "job-applications");
  Reply app = get("/v1/job-applications/" + app_id);
  ASSERT_EQ(app.status, 200) << app.body;
  // Links only, as Teamtailor's example shows it; the candidate names its application through linkage.
  EXPECT_FALSE(app.json().at("data").at("relationships").at("candidate").as_object().contains("data"));
  Reply with = get("/v1/candidates/" + cand_id + "?include=job-applications");
  ASSERT_EQ(with.status, 200) << with.body;
  EXPECT_EQ(
      with.json().at("data").at("relationships").at("job-applications").at("data").at(0).at("id").as_string(),
      app_id);

  ASSERT_EQ(call(client_, "DELETE", sim_->base_url() + "/_sim/ats_candidates/" + cand_id).status, 200);
  EXPECT_EQ(wait_event("candidate.destroy").size(), 1u);
  EXPECT_EQ(wait_event("job_application.destroy").size(), 1u);
  EXPECT_EQ(get("/v1/candidates/" + cand_id).status, 404);
}

TEST_F(TeamtailorSimTest, NoRetriesOnAFailingReceiver) {
  add_webhook("/down", bj::array{"candidate.update"});
  std::string id(
      post("/_sim/ats_candidates", bj::object{{"first_name", "A"}}).json().at("remote_id").as_string());
  receiver_.fail_next("/down", 3, 500);
  ASSERT_EQ(patch("/_sim/ats_candidates/" + id, bj::object{{"first_name", "B"}}).status, 200);
  ASSERT_EQ(wait_event("candidate.update").size(), 1u);
  // Wait for the attempt to be recorded, then give a retry (scaled: milliseconds) time to show up.
  bj::array attempts;
  for (int i = 0; i < 100 && attempts.empty(); ++i) {
    bj::value all = get("/_sim/deliveries", {}).json();
    for (const auto& d : all.as_array())
      if (d.at("event").as_string() == "candidate.update") attempts.push_back(d);
    if (attempts.empty())
      receiver_.wait_until([](const auto&) { return false; }, std::chrono::milliseconds{20});
  }
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].at("status").as_int64(), 500);
  EXPECT_FALSE(receiver_.wait_until(
      [](const auto& all) {
        std::size_t n = 0;
        for (const auto& r : all)
          if (event_of(r) == "candidate.update") ++n;
        return n >= 2;
      },
      std::chrono::milliseconds{300}));
  EXPECT_EQ(retry_schedule()->max_attempts(), 1u);
}

TEST_F(TeamtailorSimTest, OnlySubscribedWebhooksAndOnlyWhilePermitted) {
  add_webhook("/jobs", bj::array{"job.create"});
  add_webhook("/cands", bj::array{"candidate.create"});
  ASSERT_EQ(post("/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", "Hidden"}}).status, 200);
  ASSERT_EQ(post("/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);
  std::string shown(
      post("/_sim/ats_candidates", bj::object{{"first_name", "Shown"}}).json().at("remote_id").as_string());
  auto events = wait_event("candidate.create");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/cands");
  EXPECT_EQ(body_json(events[0]).at("payload").at("data").at("id").as_string(), shown);
}

TEST_F(TeamtailorSimTest, RecordsNeedTokenAuthAndAnApiVersion) {
  Reply none = get("/v1/candidates", {});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json().at("errors").at(0).at("status").as_string(), "401");
  EXPECT_EQ(get("/v1/candidates", {{"Authorization", "Bearer abc"}, {"X-Api-Version", "20240404"}}).status,
            401);
  EXPECT_EQ(get("/v1/candidates", {{"Authorization", "Token token="}, {"X-Api-Version", "20240404"}}).status,
            401);
  EXPECT_EQ(get("/v1/candidates", {{"Authorization", "Token token=abc"}}).status, 406);
  Reply ok = get("/v1/candidates", {{"Authorization", "Token token=\"abc\""}, {"X-Api-Version", "20240404"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Content-Type"), "application/vnd.api+json");
}

TEST_F(TeamtailorSimTest, ListsPageByNumberFollowingNextLinksAndGetById) {
  for (const char* name : {"A", "B", "C", "D", "E"})
    ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", name}}).status, 200);
  EXPECT_EQ(get("/v1/candidates?page%5Bsize%5D=31").status, 400);
  EXPECT_EQ(get("/v1/candidates?page[number]=0").status, 400);
  EXPECT_EQ(get("/v1/candidates?bogus=1").status, 400);

  std::vector<std::string> names;
  std::string url = "/v1/candidates?page[size]=2";
  for (int pages = 0; pages < 10 && !url.empty(); ++pages) {
    Reply page = get(url);
    ASSERT_EQ(page.status, 200) << page.body;
    bj::value doc = page.json();
    for (const auto& c : doc.at("data").as_array())
      names.emplace_back(c.at("attributes").at("first-name").as_string());
    EXPECT_EQ(page.json().at("meta").at("record-count").as_int64(), 5);
    EXPECT_EQ(page.json().at("meta").at("page-count").as_int64(), 3);
    const auto& links = doc.at("links").as_object();
    url = links.contains("next") ? std::string(links.at("next").as_string()) : "";
    if (!url.empty()) {
      EXPECT_TRUE(url.starts_with("http://127.0.0.1:")) << url;
      EXPECT_NE(url.find("page%5Bnumber%5D="), std::string::npos) << url;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"A", "B", "C", "D", "E"}));

  // Default page size 10: everything on one page, no next link.
  Reply all = get("/v1/candidates");
  EXPECT_EQ(all.json().at("data").as_array().size(), 5u);
  EXPECT_FALSE(all.json().at("links").as_object().contains("next"));

  std::string id(all.json().at("data").at(1).at("id").as_string());
  Reply one = get("/v1/candidates/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("data").at("attributes").at("first-name").as_string(), "B");
  EXPECT_EQ(one.json().at("data").at("type").as_string(), "candidates");
  EXPECT_EQ(get("/v1/candidates/999").status, 404);
  EXPECT_EQ(get("/v1/jobs/" + id).status, 404);  // ids never collide across kinds
  EXPECT_EQ(get("/v1/candidates/999", {}).status, 401);
}

TEST_F(TeamtailorSimTest, JobsFilterAndUpdatedAtFrom) {
  std::string a(post("/_sim/ats_jobs", bj::object{{"name", "A"}, {"status", "OPEN"}})
                    .json()
                    .at("remote_id")
                    .as_string());
  ASSERT_EQ(post("/_sim/ats_jobs", bj::object{{"name", "B"}, {"status", "DRAFT"}}).status, 200);
  Reply open = get("/v1/jobs?filter[status]=open");
  ASSERT_EQ(open.status, 200) << open.body;
  ASSERT_EQ(open.json().at("data").as_array().size(), 1u);
  EXPECT_EQ(open.json().at("data").at(0).at("id").as_string(), a);
  Reply future = get("/v1/jobs?filter[updated-at][from]=2999-01-01T00:00:00Z");
  ASSERT_EQ(future.status, 200);
  EXPECT_TRUE(future.json().at("data").as_array().empty());
  EXPECT_EQ(get("/v1/jobs?filter[updated-at][from]=yesterday").status, 400);
}

TEST_F(TeamtailorSimTest, ControlApiRejectsWhatTeamtailorDoesNotHave) {
  EXPECT_EQ(post("/_sim/hris_employees", bj::object{{"first_name", "A"}}).status, 404);
  EXPECT_EQ(post("/_sim/ats_candidates", bj::object{{"frist_name", "A"}}).status, 400);
  EXPECT_EQ(post("/_sim/ats_candidates", bj::object{{"job_remote_id", "1"}}).status, 400);
  EXPECT_EQ(post("/_sim/ats_jobs", bj::object{{"status", "LIVE"}}).status, 400);
  EXPECT_EQ(post("/_sim/ats_jobs/1/publish", bj::object{}).status, 404);
  EXPECT_EQ(patch("/_sim/ats_candidates/1", bj::object{}).status, 404);
}

TEST_F(TeamtailorSimTest, JobPayloadCarriesEveryAttributeOfTheDocumentedExample) {
  std::ifstream in(std::string(TRIBUTARY_SOURCE_DIR) +
                   "/src/sim/teamtailor/testdata/company_webhook_job_update.json");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  bj::value example = bj::parse(text.str());
  // The documented signature is the v1 form: base64 of a hex digest.
  auto decoded = crypto::base64_decode(example.at("signature").as_string());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 64u);

  add_webhook("/tt", bj::array{"job.update"});
  std::string id(
      post("/_sim/ats_jobs", bj::object{{"name", "IT Designer 1"}}).json().at("remote_id").as_string());
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/unpublish", bj::object{}).status, 200);
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/publish", bj::object{}).status, 200);
  auto events = wait_event("job.update");
  ASSERT_FALSE(events.empty());
  bj::value ours = body_json(events[0]);
  EXPECT_EQ(ours.at("payload").at("data").at("type"), example.at("payload").at("data").at("type"));
  const auto& attributes = ours.at("payload").at("data").at("attributes").as_object();
  for (const auto& kv : example.at("payload").at("data").at("attributes").as_object()) {
    ASSERT_TRUE(attributes.contains(kv.key())) << kv.key();
    EXPECT_EQ(attributes.at(kv.key()).kind(), kv.value().kind()) << kv.key();
  }
}

// Every key the record routes answer (JSON:API envelope, resource, attributes, relationships, recursively)
// appears in Teamtailor's own examples (connectors/teamtailor/testdata/contract/, API version 20161108; the
// connector sends 20240404, so attributes added since are not held here because the examples cannot show
// them).
TEST_F(TeamtailorSimTest, RecordAnswersHaveTheShapeOfTheVendorsExamples) {
  std::string job(
      post("/_sim/ats_jobs", bj::object{{"name", "Engineer"}}).json().at("remote_id").as_string());
  std::string cand(post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"}, {"job_remote_id", job}})
                       .json()
                       .at("remote_id")
                       .as_string());
  bj::value list_jobs = testing::contract_example("teamtailor", "list_jobs.json");
  bj::value list_candidates = testing::contract_example("teamtailor", "list_candidates.json");
  const bj::value meta_links = testing::contract_example("teamtailor", "list_meta_links.json");
  for (bj::value* list : {&list_jobs, &list_candidates})
    for (const auto& kv : meta_links.as_object())
      list->as_object()[kv.key()] = kv.value();
  const bj::value get_job = testing::contract_example("teamtailor", "get_job.json");
  const bj::value get_candidate = testing::contract_example("teamtailor", "get_candidate.json");
  const std::vector<std::pair<std::string, const bj::value*>> cases = {
      {"/v1/jobs/" + job, &get_job},
      {"/v1/candidates/" + cand, &get_candidate},
      {"/v1/jobs", &list_jobs},
      {"/v1/candidates", &list_candidates}};
  for (const auto& [path, vendor] : cases) {
    SCOPED_TRACE(path);
    Reply r = get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    // Job attributes of later API versions the 20161108 examples cannot show (the version gap; contract
    // README).
    std::set<std::string> later;
    if (path.starts_with("/v1/jobs"))
      for (const char* a :
           {"company-name", "cover-letter-requirement", "employment-level", "employment-type", "updated-at"})
        later.insert(std::string(path == "/v1/jobs" ? "data[]" : "data") + ".attributes." + a);
    EXPECT_EQ(testing::keys_not_in(r.json(), *vendor), later) << "keys Teamtailor's answer does not have";
  }
}

// Job applications answer in the shape of Teamtailor's examples (get_job_application.json,
// list_job_applications.json): relationships with links only. With include=job-applications a candidate's
// relationship carries the linkage of its applications (JSON:API's full linkage), and each comes once in
// `included` in the same shape; nothing but linkage ties an included application to its candidate.
TEST_F(TeamtailorSimTest, JobApplicationsHaveTheShapeOfTheVendorsExamplesAndAreIncludedWithLinkage) {
  std::string job(
      post("/_sim/ats_jobs", bj::object{{"name", "Engineer"}}).json().at("remote_id").as_string());
  Reply ada = post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"}, {"job_remote_id", job}});
  ASSERT_EQ(ada.status, 200) << ada.body;
  const std::string ada_id(ada.json().at("remote_id").as_string());
  const std::string app_id(ada.json().at("application_id").as_string());
  Reply bob = post("/_sim/ats_candidates", bj::object{{"first_name", "Bob"}, {"job_remote_id", job}});
  ASSERT_EQ(bob.status, 200) << bob.body;
  const std::string bob_app(bob.json().at("application_id").as_string());

  Reply one = get("/v1/job-applications/" + app_id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_TRUE(testing::answers_like_vendor(one.json(), "teamtailor", "get_job_application.json"));
  Reply list = get("/v1/job-applications");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(testing::answers_like_vendor(list.json(), "teamtailor", "list_job_applications.json"));

  Reply with = get("/v1/candidates?include=job-applications");
  ASSERT_EQ(with.status, 200) << with.body;
  const bj::value doc = with.json();
  ASSERT_EQ(doc.at("included").as_array().size(), 2u) << with.body;
  for (const auto& item : doc.at("included").as_array())
    EXPECT_TRUE(
        testing::answers_like_vendor(bj::object{{"data", item}}, "teamtailor", "get_job_application.json"));
  for (const auto& c : doc.at("data").as_array()) {
    const auto& linkage = c.at("relationships").at("job-applications").at("data").as_array();
    ASSERT_EQ(linkage.size(), 1u);
    EXPECT_EQ(linkage.at(0).at("type").as_string(), "job-applications");
    EXPECT_EQ(linkage.at(0).at("id").as_string(), c.at("id").as_string() == ada_id ? app_id : bob_app);
  }
  Reply single = get("/v1/candidates/" + ada_id + "?include=job-applications");
  ASSERT_EQ(single.status, 200) << single.body;
  ASSERT_EQ(single.json().at("included").as_array().size(), 1u);
  EXPECT_EQ(single.json().at("included").at(0).at("id").as_string(), app_id);
  EXPECT_FALSE(get("/v1/candidates").json().as_object().contains("included"));
}

TEST(TeamtailorSignatures, MatchTheDocumentedFormulas) {
  EXPECT_EQ(signature_v1("k", "2"), crypto::base64_encode(crypto::hex_encode(crypto::hmac_sha256("k", "2"))));
  std::string v2 = signature_v2("k", 1700000000, R"({"event_name":"job.update"})");
  EXPECT_EQ(*crypto::base64_decode(v2),
            "t=1700000000,v2=" +
                crypto::hex_encode(crypto::hmac_sha256("k", R"(1700000000.{"event_name":"job.update"})")));
}

}  // namespace
}  // namespace tributary::sim::teamtailor
