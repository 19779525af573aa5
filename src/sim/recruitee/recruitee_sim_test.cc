#include "sim/recruitee/recruitee_sim.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::recruitee {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::header_of;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

const HeaderList kAuth{{"Authorization", "Bearer rt-token"}};

// Computed here from the documented formula, not with the simulator's helper.
std::string expected_signature(std::string_view secret, std::string_view body) {
  return crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::string event_of(const http::Request& r) {
  auto v = body_json(r);
  const auto* e = v.is_object() ? v.as_object().if_contains("event_type") : nullptr;
  return e != nullptr && e->is_string() ? std::string(e->get_string()) : "";
}

// Vendor delays are scaled by 0.0002 (5 min → 60 ms, 15 min → 180 ms).
class RecruiteeSimTest : public SimFixture<> {
 protected:
  RecruiteeSimTest() : SimFixture(make_recruitee_simulator) {}

  Reply post(std::string path, const bj::value& body) {
    return call(client_, "POST", sim_->base_url() + path, bj::serialize(body));
  }
  Reply patch(std::string path, const bj::value& body) {
    return call(client_, "PATCH", sim_->base_url() + path, bj::serialize(body));
  }
  Reply get(std::string path, HeaderList headers = kAuth) {
    return call(client_, "GET", sim_->base_url() + path, "", std::move(headers));
  }

  // What the customer does in Recruitee's settings; returns the secret.
  std::string add_webhook(std::string path, bj::value events = nullptr) {
    bj::object body{{"url", receiver_.url(path)}};
    if (!events.is_null()) body["event_types"] = events;
    Reply r = post("/_sim/webhooks", body);
    EXPECT_EQ(r.status, 200) << r.body;
    bj::value v = r.json();
    EXPECT_TRUE(v.at("test_ok").as_bool()) << r.body;
    return v.at("secret").is_string() ? std::string(v.at("secret").as_string()) : std::string{};
  }

  std::vector<http::Request> wait_event(std::string_view name, std::size_t n = 1) {
    return receiver_.wait_matching([&](const http::Request& r) { return event_of(r) == name; }, n);
  }
};

TEST_F(RecruiteeSimTest, CreatingAWebhookSendsTheUnsignedTestFirstAndGeneratesTheSecret) {
  std::string secret = add_webhook("/rt");
  EXPECT_GE(secret.size(), 32u);
  auto all = receiver_.requests();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].body, R"({"test":true})");
  EXPECT_EQ(header_of(all[0], "User-Agent"), "Recruitee-Webhooks");
  EXPECT_EQ(header_of(all[0], "Content-Type"), "application/json");
  EXPECT_TRUE(header_of(all[0], "X-Recruitee-Signature").empty());

  Reply subs = get("/_sim/subscriptions", {});
  ASSERT_EQ(subs.json().as_array().size(), 1u);
  EXPECT_EQ(subs.body.find(secret), std::string::npos);
  EXPECT_EQ(subs.json().at(0).at("event_types").as_array().size(), 8u);
  EXPECT_NE(add_webhook("/rt2"), secret);
}

TEST_F(RecruiteeSimTest, OnlyA200VerifiesAndCreatesTheWebhook) {
  receiver_.fail_next("/broken", 1, 500);
  Reply r = post("/_sim/webhooks", bj::object{{"url", receiver_.url("/broken")}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json().at("test_ok").as_bool());
  EXPECT_EQ(r.json().at("test_status").as_int64(), 500);
  EXPECT_TRUE(r.json().at("secret").is_null());
  // Recruitee wants exactly 200: a 204 does not verify either.
  receiver_.fail_next("/nocontent", 1, 204);
  Reply r204 = post("/_sim/webhooks", bj::object{{"url", receiver_.url("/nocontent")}});
  EXPECT_FALSE(r204.json().at("test_ok").as_bool()) << r204.body;
  EXPECT_TRUE(get("/_sim/subscriptions", {}).json().as_array().empty());

  ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 200);
  EXPECT_FALSE(receiver_.wait_until(
      [](const auto& all) {
        for (const auto& q : all)
          if (event_of(q) == "candidate_created") return true;
        return false;
      },
      std::chrono::milliseconds{200}));

  EXPECT_EQ(
      post("/_sim/webhooks", bj::object{{"url", receiver_.url()}, {"event_types", bj::array{"nope"}}}).status,
      400);
  EXPECT_EQ(post("/_sim/webhooks", bj::object{{"url", "mailto:x"}}).status, 400);
}

TEST_F(RecruiteeSimTest, CandidateCreatedIsSignedOverTheRawBody) {
  std::string secret = add_webhook("/rt", bj::array{"candidate_created"});
  std::string job(
      post("/_sim/ats_jobs", bj::object{{"name", "Engineer"}}).json().at("remote_id").as_string());
  Reply cand = post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"},
                                                       {"last_name", "Lovelace"},
                                                       {"email", "ada@example.com"},
                                                       {"job_remote_id", job}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  std::string id(cand.json().at("remote_id").as_string());
  auto events = wait_event("candidate_created");
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(header_of(e, "X-Recruitee-Signature"), expected_signature(secret, e.body));
  EXPECT_NE(header_of(e, "X-Recruitee-Signature"), expected_signature("wrong", e.body));
  EXPECT_EQ(header_of(e, "User-Agent"), "Recruitee-Webhooks");
  bj::value v = body_json(e);
  EXPECT_TRUE(v.at("event_subtype").is_null());
  EXPECT_EQ(v.at("level").as_string(), "company");
  const auto& c = v.at("payload").at("candidate");
  EXPECT_EQ(std::to_string(c.at("id").as_int64()), id);
  EXPECT_EQ(c.at("name").as_string(), "Ada Lovelace");
  EXPECT_FALSE(c.as_object().contains("first_name"));
  EXPECT_EQ(c.at("emails").at(0).as_string(), "ada@example.com");
  EXPECT_EQ(std::to_string(c.at("placements").at(0).at("offer_id").as_int64()), job);
  EXPECT_TRUE(v.at("payload").at("company").at("id").is_int64());
}

TEST_F(RecruiteeSimTest, StageChangesAndDisqualificationFireCandidateMoved) {
  add_webhook("/rt", bj::array{"candidate_moved", "candidate_deleted"});
  std::string job(post("/_sim/ats_jobs", bj::object{{"name", "X"}}).json().at("remote_id").as_string());
  std::string id(post("/_sim/ats_candidates", bj::object{{"first_name", "Grace"}, {"job_remote_id", job}})
                     .json()
                     .at("remote_id")
                     .as_string());
  // A plain field change fires nothing.
  EXPECT_FALSE(patch("/_sim/ats_candidates/" + id, bj::object{{"last_name", "Hopper"}})
                   .json()
                   .at("notified")
                   .as_bool());
  ASSERT_EQ(patch("/_sim/ats_candidates/" + id, bj::object{{"stage", "Interview"}}).status, 200);
  auto moved = wait_event("candidate_moved");
  ASSERT_EQ(moved.size(), 1u);
  bj::value v = body_json(moved[0]);
  EXPECT_EQ(v.at("event_subtype").as_string(), "stage_changed");
  EXPECT_EQ(v.at("payload").at("details").at("from_stage").at("name").as_string(), "Applied");
  EXPECT_EQ(v.at("payload").at("details").at("to_stage").at("name").as_string(), "Interview");
  EXPECT_EQ(v.at("payload").at("details").at("from_stage").at("category").as_string(), "apply");
  EXPECT_TRUE(v.at("payload").at("details").at("to_stage").at("id").is_int64());
  EXPECT_EQ(v.at("payload").at("candidate").at("name").as_string(), "Grace Hopper");

  ASSERT_EQ(patch("/_sim/ats_candidates/" + id, bj::object{{"disqualified", true}}).status, 200);
  moved = wait_event("candidate_moved", 2);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(body_json(moved[1]).at("event_subtype").as_string(), "disqualified");

  ASSERT_EQ(call(client_, "DELETE", sim_->base_url() + "/_sim/ats_candidates/" + id).status, 200);
  auto deleted = wait_event("candidate_deleted");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(std::to_string(body_json(deleted[0]).at("payload").at("candidate").at("id").as_int64()), id);
  EXPECT_EQ(get("/c/61234/candidates/" + id).status, 404);
}

TEST_F(RecruiteeSimTest, OfferPublishUnpublishAndUpdate) {
  add_webhook("/rt", bj::array{"offer_published", "offer_unpublished", "offer_updated"});
  std::string id(post("/_sim/ats_jobs", bj::object{{"name", "Designer"}, {"status", "DRAFT"}})
                     .json()
                     .at("remote_id")
                     .as_string());
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/publish", bj::object{}).status, 200);
  auto published = wait_event("offer_published");
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(body_json(published[0]).at("payload").at("offer").at("status").as_string(), "published");
  EXPECT_FALSE(post("/_sim/ats_jobs/" + id + "/publish", bj::object{}).json().at("changed").as_bool());
  ASSERT_EQ(post("/_sim/ats_jobs/" + id + "/unpublish", bj::object{}).status, 200);
  auto unpublished = wait_event("offer_unpublished");
  ASSERT_EQ(unpublished.size(), 1u);
  EXPECT_EQ(body_json(unpublished[0]).at("payload").at("offer").at("status").as_string(), "internal");
  ASSERT_EQ(patch("/_sim/ats_jobs/" + id, bj::object{{"name", "Lead Designer"}, {"status", "CLOSED"}}).status,
            200);
  auto updated = wait_event("offer_updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(body_json(updated[0]).at("payload").at("offer").at("title").as_string(), "Lead Designer");
  EXPECT_EQ(body_json(updated[0]).at("payload").at("offer").at("status").as_string(), "closed");
}

TEST_F(RecruiteeSimTest, RetriesWithTheSameRequestIdUntilAccepted) {
  std::string secret = add_webhook("/flaky", bj::array{"candidate_created"});
  receiver_.fail_next("/flaky", 2, 500);
  ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 200);
  auto events = wait_event("candidate_created", 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].body, events[2].body);
  EXPECT_EQ(body_json(events[0]).at("id"), body_json(events[2]).at("id"));
  EXPECT_EQ(header_of(events[2], "X-Recruitee-Signature"), expected_signature(secret, events[2].body));

  bj::array attempts;
  for (int i = 0; i < 100; ++i) {
    attempts.clear();
    bj::value all = get("/_sim/deliveries", {}).json();
    for (const auto& d : all.as_array())
      if (d.at("event").as_string() == "candidate_created") attempts.push_back(d);
    if (attempts.size() >= 3) break;
    receiver_.wait_until([](const auto&) { return false; }, std::chrono::milliseconds{20});
  }
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].at("status").as_int64(), 500);
  EXPECT_EQ(attempts[2].at("status").as_int64(), 200);
  EXPECT_EQ(attempts[2].at("attempt").as_int64(), 3);
}

TEST_F(RecruiteeSimTest, WithoutTheManageWebhooksAbilityNothingIsCreatedOrDelivered) {
  add_webhook("/rt", bj::array{"candidate_created"});
  ASSERT_EQ(post("/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  EXPECT_EQ(post("/_sim/webhooks", bj::object{{"url", receiver_.url("/other")}}).status, 403);
  ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", "Hidden"}}).status, 200);
  ASSERT_EQ(post("/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);
  std::string shown(
      post("/_sim/ats_candidates", bj::object{{"first_name", "Shown"}}).json().at("remote_id").as_string());
  auto events = wait_event("candidate_created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::to_string(body_json(events[0]).at("payload").at("candidate").at("id").as_int64()), shown);
}

TEST_F(RecruiteeSimTest, RecordsNeedABearerToken) {
  Reply none = get("/c/61234/candidates", {});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json().at("error").as_string(), "Unauthorized");
  EXPECT_EQ(get("/c/61234/candidates", {{"Authorization", "Token token=abc"}}).status, 401);
  EXPECT_EQ(get("/c/61234/offers", {{"Authorization", "Bearer "}}).status, 401);
  EXPECT_EQ(get("/c/acme/offers").status, 200);  // a subdomain works as the company id too
}

TEST_F(RecruiteeSimTest, CandidatesPageWithLimitAndOffsetAndGetById) {
  for (const char* name : {"A", "B", "C", "D", "E"})
    ASSERT_EQ(post("/_sim/ats_candidates", bj::object{{"first_name", name}}).status, 200);
  std::vector<std::string> names;
  std::string second_id;
  for (std::size_t offset = 0; offset < 20; offset += 2) {
    Reply page = get("/c/61234/candidates?limit=2&offset=" + std::to_string(offset));
    ASSERT_EQ(page.status, 200) << page.body;
    bj::value doc = page.json();
    const auto& list = doc.at("candidates").as_array();
    for (const auto& c : list)
      names.emplace_back(c.at("name").as_string());
    if (offset == 0) second_id = std::to_string(list.at(1).at("id").as_int64());
    if (list.size() < 2) break;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  EXPECT_EQ(get("/c/61234/candidates").json().at("candidates").as_array().size(), 5u);
  EXPECT_EQ(get("/c/61234/candidates?limit=0").status, 400);
  EXPECT_EQ(get("/c/61234/candidates?updated_after=2020-01-01T00:00:00Z").status, 400);
  EXPECT_EQ(get("/c/61234/candidates?page=2").status, 400);
  EXPECT_TRUE(get("/c/61234/candidates?created_after=2999-01-01T00:00:00Z")
                  .json()
                  .at("candidates")
                  .as_array()
                  .empty());

  Reply one = get("/c/61234/candidates/" + second_id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("candidate").at("name").as_string(), "B");
  EXPECT_TRUE(one.json().at("references").is_array());
  EXPECT_EQ(get("/c/61234/candidates/999").status, 404);
  EXPECT_EQ(get("/c/61234/offers/" + second_id).status, 404);
}

TEST_F(RecruiteeSimTest, OffersListAndGet) {
  std::string open(post("/_sim/ats_jobs", bj::object{{"name", "Open"}, {"status", "OPEN"}})
                       .json()
                       .at("remote_id")
                       .as_string());
  ASSERT_EQ(post("/_sim/ats_jobs", bj::object{{"name", "Old"}, {"status", "ARCHIVED"}}).status, 200);
  Reply all = get("/c/61234/offers");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().at("offers").as_array().size(), 2u);
  Reply active = get("/c/61234/offers?scope=active");
  ASSERT_EQ(active.json().at("offers").as_array().size(), 1u);
  EXPECT_EQ(std::to_string(active.json().at("offers").at(0).at("id").as_int64()), open);
  EXPECT_EQ(get("/c/61234/offers?scope=everything").status, 400);
  Reply one = get("/c/61234/offers/" + open);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("offer").at("title").as_string(), "Open");
  EXPECT_EQ(one.json().at("offer").at("status").as_string(), "published");
  EXPECT_EQ(one.json().at("offer").at("kind").as_string(), "job");
}

TEST_F(RecruiteeSimTest, ControlApiRejectsWhatRecruiteeDoesNotHave) {
  EXPECT_EQ(post("/_sim/hris_absences", bj::object{}).status, 404);
  EXPECT_EQ(post("/_sim/ats_candidates", bj::object{{"frist_name", "A"}}).status, 400);
  EXPECT_EQ(post("/_sim/ats_candidates", bj::object{{"job_remote_id", "1"}}).status, 400);
  std::string id(
      post("/_sim/ats_candidates", bj::object{{"first_name", "A"}}).json().at("remote_id").as_string());
  EXPECT_EQ(patch("/_sim/ats_candidates/" + id, bj::object{{"stage", "Hired"}}).status, 400);  // no placement
  EXPECT_EQ(post("/_sim/ats_jobs", bj::object{{"status", "LIVE"}}).status, 400);
  EXPECT_EQ(post("/_sim/ats_jobs/1/unpublish", bj::object{}).status, 404);
}

TEST(RecruiteeRetrySchedule, NineRetriesOverAboutTwoDays) {
  auto s = retry_schedule();
  EXPECT_EQ(s->max_attempts(), 10u);
  std::int64_t total = 0;
  for (std::size_t n = 2; n <= s->max_attempts(); ++n)
    total += s->delay_before(n, 1.0, 0.5).count();
  EXPECT_NEAR(static_cast<double>(total) / 3'600'000.0, 46.0, 3.0);
  EXPECT_EQ(signature("k", "{}"), crypto::hex_encode(crypto::hmac_sha256("k", "{}")));
}

// Every key the candidate routes answer (envelope and record, recursively) appears in real Recruitee answers
// (connectors/recruitee/testdata/contract/*.sample.json, Recruitee's own sample candidates as a third party
// saved them). No offers answer was found, so the offer routes are not held here.
TEST_F(RecruiteeSimTest, CandidateAnswersHaveTheShapeOfTheVendorsExamples) {
  Reply job = post("/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  Reply cand = post("/_sim/ats_candidates", bj::object{{"first_name", "Ada"},
                                                       {"email", "ada@example.com"},
                                                       {"job_remote_id", job.json().at("remote_id")}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  const std::string id(cand.json().at("remote_id").as_string());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/c/61234/candidates/" + id, "candidate_get_response.sample.json"},
      {"/c/61234/candidates", "candidates_list_response.sample.json"}};
  for (const auto& [path, example] : cases) {
    SCOPED_TRACE(path);
    Reply r = get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(testing::keys_not_in(r.json(), testing::contract_example("recruitee", example)),
              std::set<std::string>{})
        << "keys Recruitee's answer does not have";
  }
  ASSERT_EQ(patch("/_sim/ats_candidates/" + id, bj::object{{"disqualified", true}}).status, 200);
  Reply disqualified = get("/c/61234/candidates/" + id);
  ASSERT_EQ(disqualified.status, 200) << disqualified.body;
  const bj::value answer = disqualified.json();
  const bj::value& placement = answer.at("candidate").at("placements").at(0);
  EXPECT_EQ(placement.at("disqualify_kind").as_string(), "admin");
  EXPECT_TRUE(placement.at("stage_id").is_int64());
  // Against the real disqualified placement (John Doe's, the list example's second candidate).
  const bj::value real = testing::contract_example("recruitee", "candidates_list_response.sample.json");
  EXPECT_EQ(testing::keys_not_in(placement, real.at("candidates").at(1).at("placements").at(0)),
            std::set<std::string>{});
}

}  // namespace
}  // namespace tributary::sim::recruitee
