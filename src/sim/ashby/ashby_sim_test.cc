#include "sim/ashby/ashby_sim.h"

#include <gtest/gtest.h>

#include <set>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::ashby {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::header_of;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

constexpr std::string_view kSecret = "ashby-secret-Token_1";

// Computed here from Ashby's "Authenticating Webhooks" page, not with the simulator's helper.
std::string expected_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::string action_of(const http::Request& r) {
  auto v = body_json(r);
  return v.is_object() && v.as_object().contains("action") ? std::string(v.at("action").as_string()) : "";
}

std::string basic(std::string_view key) {
  return "Basic " + crypto::base64_encode(std::string(key) + ":");
}

// Vendor delays are scaled by 0.0002 (10 s → 2 ms, 30 s → 6 ms).
class AshbySimTest : public SimFixture<> {
 protected:
  AshbySimTest() : SimFixture(make_ashby_simulator) {}

  Reply rpc(std::string method, const bj::value& body, std::string auth = basic("key-123")) {
    HeaderList headers{{"Content-Type", "application/json"}};
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return call(client_, "POST", sim_->base_url() + "/" + method, bj::serialize(body), std::move(headers));
  }
  Reply control(std::string method, std::string path, const bj::value& body = bj::object{}) {
    return call(client_, std::move(method), sim_->base_url() + path, bj::serialize(body));
  }
  bj::value create_webhook(std::string type, std::string path = "/hook") {
    Reply r =
        rpc("webhook.create",
            bj::object{{"webhookType", type}, {"requestUrl", receiver_.url(path)}, {"secretToken", kSecret}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::vector<http::Request> wait_action(std::string_view action, std::size_t n = 1) {
    return receiver_.wait_matching([&](const http::Request& r) { return action_of(r) == action; }, n);
  }
};

TEST_F(AshbySimTest, WebhookCreatePingsSignedAndDeleteRemovesIt) {
  bj::value created = create_webhook("applicationSubmit");
  ASSERT_TRUE(created.at("success").as_bool()) << bj::serialize(created);
  const auto& results = created.at("results");
  EXPECT_TRUE(results.at("enabled").as_bool());
  EXPECT_EQ(results.at("webhookType").as_string(), "applicationSubmit");
  EXPECT_EQ(results.at("secretToken").as_string(), kSecret);
  std::string id(results.at("id").as_string());

  auto pings = wait_action("ping");
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(header_of(pings[0], "Ashby-Signature"), expected_signature(kSecret, pings[0].body));
  EXPECT_EQ(body_json(pings[0]).at("data").at("webhookActionType").as_string(), "ping");

  Reply subs = control("GET", "/_sim/subscriptions");
  ASSERT_EQ(subs.json().as_array().size(), 1u);

  Reply info = rpc("webhook.info", bj::object{{"webhookId", id}});
  ASSERT_EQ(info.status, 200);
  EXPECT_TRUE(info.json().at("success").as_bool());
  EXPECT_EQ(info.json().at("results").at("id").as_string(), id);
  EXPECT_EQ(info.json().at("results").at("webhookType").as_string(), "applicationSubmit");

  Reply deleted = rpc("webhook.delete", bj::object{{"webhookId", id}});
  ASSERT_EQ(deleted.status, 200);
  EXPECT_TRUE(deleted.json().at("success").as_bool());
  EXPECT_TRUE(control("GET", "/_sim/subscriptions").json().as_array().empty());
  // Deleting it again: Ashby's error envelope with HTTP 200.
  Reply again = rpc("webhook.delete", bj::object{{"webhookId", id}});
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(again.json().at("success").as_bool());
  Reply gone = rpc("webhook.info", bj::object{{"webhookId", id}});
  EXPECT_EQ(gone.status, 200);
  EXPECT_FALSE(gone.json().at("success").as_bool());
}

TEST_F(AshbySimTest, MissingOrMalformedAuthIs401AndMissingPermissionFailsInTheBody) {
  bj::object body{{"webhookType", "applicationSubmit"}, {"requestUrl", receiver_.url()}};
  Reply none = rpc("webhook.create", body, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_FALSE(none.json().at("success").as_bool());
  EXPECT_EQ(rpc("webhook.create", body, "Bearer key-123").status, 401);
  EXPECT_EQ(rpc("webhook.create", body, "Basic !!!notbase64").status, 401);
  EXPECT_EQ(rpc("candidate.list", bj::object{}, "").status, 401);

  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  Reply denied = rpc("webhook.create", body);
  EXPECT_EQ(denied.status, 200);
  EXPECT_FALSE(denied.json().at("success").as_bool());
  EXPECT_EQ(denied.json().at("errorInfo").at("code").as_string(), "missing_endpoint_permission");
  EXPECT_TRUE(receiver_.requests().empty());  // no ping either

  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);
  // jobUpdate is a payload type but not a subscribable webhookType.
  Reply bad_type =
      rpc("webhook.create", bj::object{{"webhookType", "jobUpdate"}, {"requestUrl", receiver_.url()}});
  EXPECT_FALSE(bad_type.json().at("success").as_bool());
  EXPECT_TRUE(rpc("webhook.create", body).json().at("success").as_bool());
}

TEST_F(AshbySimTest, AFailedPingCreatesTheWebhookDisabled) {
  receiver_.fail_next("/broken", 1, 500);
  bj::value broken = create_webhook("applicationSubmit", "/broken");
  EXPECT_FALSE(broken.at("results").at("enabled").as_bool());
  create_webhook("applicationSubmit", "/ok");
  ASSERT_EQ(control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 200);
  auto events = wait_action("applicationSubmit");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/ok");
}

TEST_F(AshbySimTest, CandidateCreateFiresSignedApplicationSubmitAndDeleteFiresCandidateDelete) {
  create_webhook("applicationSubmit");
  create_webhook("candidateDelete");
  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  std::string job_id(job.json().at("remote_id").as_string());
  Reply cand = control("POST", "/_sim/ats_candidates",
                       bj::object{{"first_name", "Ada"},
                                  {"last_name", "Lovelace"},
                                  {"email", "ada@example.com"},
                                  {"job_remote_id", job_id}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  std::string cand_id(cand.json().at("remote_id").as_string());
  std::string app_id(cand.json().at("application_id").as_string());

  auto events = wait_action("applicationSubmit");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(header_of(events[0], "Ashby-Signature"), expected_signature(kSecret, events[0].body));
  bj::value v = body_json(events[0]);
  EXPECT_FALSE(v.at("webhookActionId").as_string().empty());
  const auto& app = v.at("data").at("application");
  EXPECT_EQ(app.at("id").as_string(), app_id);
  EXPECT_EQ(app.at("candidate").at("id").as_string(), cand_id);
  EXPECT_EQ(app.at("candidate").at("name").as_string(), "Ada Lovelace");
  EXPECT_EQ(app.at("candidate").at("primaryEmailAddress").at("value").as_string(), "ada@example.com");
  EXPECT_EQ(app.at("job").at("id").as_string(), job_id);

  ASSERT_EQ(control("DELETE", "/_sim/ats_candidates/" + cand_id).status, 200);
  auto deletes = wait_action("candidateDelete");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(body_json(deletes[0]).at("data").at("candidate").at("id").as_string(), cand_id);
}

TEST_F(AshbySimTest, PublishFiresPublishAndUpdateWithOneWebhookActionId) {
  create_webhook("jobPostingPublish");
  create_webhook("jobPostingUpdate");
  create_webhook("jobPostingUnpublish");
  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Designer"}});
  std::string job_id(job.json().at("remote_id").as_string());
  std::string posting_id(job.json().at("job_posting_id").as_string());

  ASSERT_EQ(control("POST", "/_sim/ats_jobs/" + job_id + "/publish").status, 200);
  auto published = wait_action("jobPostingPublish");
  auto updated = wait_action("jobPostingUpdate");
  ASSERT_EQ(published.size(), 1u);
  ASSERT_EQ(updated.size(), 1u);
  bj::value p = body_json(published[0]);
  EXPECT_EQ(p.at("webhookActionId"), body_json(updated[0]).at("webhookActionId"));
  EXPECT_EQ(p.at("data").at("jobPosting").at("id").as_string(), posting_id);
  EXPECT_EQ(p.at("data").at("jobPosting").at("jobId").as_string(), job_id);
  EXPECT_TRUE(p.at("data").at("jobPosting").at("isListed").as_bool());

  // Closing the job takes the posting down.
  ASSERT_EQ(control("PATCH", "/_sim/ats_jobs/" + job_id, bj::object{{"status", "CLOSED"}}).status, 200);
  auto unpublished = wait_action("jobPostingUnpublish");
  ASSERT_EQ(unpublished.size(), 1u);
  EXPECT_FALSE(body_json(unpublished[0]).at("data").at("jobPosting").at("isListed").as_bool());
  updated = wait_action("jobPostingUpdate", 2);
  ASSERT_EQ(updated.size(), 2u);
  EXPECT_EQ(body_json(updated[1]).at("webhookActionId"), body_json(unpublished[0]).at("webhookActionId"));
}

TEST_F(AshbySimTest, RetriesFailuresWithTheSameActionIdButNotA410) {
  create_webhook("applicationSubmit", "/flaky");
  create_webhook("applicationSubmit", "/gone");
  receiver_.fail_next("/flaky", 2, 500);
  receiver_.fail_next("/gone", 5, 410);
  ASSERT_EQ(control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 200);
  auto on = [](const std::vector<http::Request>& all, std::string_view path) {
    std::vector<http::Request> out;
    for (const auto& r : all)
      if (r.path == path && action_of(r) == "applicationSubmit") out.push_back(r);
    return out;
  };
  ASSERT_TRUE(receiver_.wait_until([&](const auto& all) { return on(all, "/flaky").size() >= 3; }));
  auto flaky = on(receiver_.requests(), "/flaky");
  ASSERT_EQ(flaky.size(), 3u);
  EXPECT_EQ(flaky[0].body, flaky[2].body);
  EXPECT_EQ(body_json(flaky[0]).at("webhookActionId"), body_json(flaky[2]).at("webhookActionId"));
  // The 410 receiver got exactly one attempt (waiting out the flaky retries is enough time for a retry).
  EXPECT_EQ(on(receiver_.requests(), "/gone").size(), 1u);
}

TEST_F(AshbySimTest, ListsPageWithCursorAndSyncTokenAndInfoAnswersNotFound) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Reply r = control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "C" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200);
    ids.emplace_back(r.json().at("remote_id").as_string());
  }
  // The sync started by the first page must begin after the creations (timestamps have 1 ms resolution).
  for (Millis t = now_ms(); now_ms() <= t;) {
  }
  std::vector<std::string> seen;
  bj::object params{{"limit", 2}};
  std::string sync_token;
  for (int page = 0; page < 10; ++page) {
    Reply r = rpc("candidate.list", params);
    ASSERT_EQ(r.status, 200);
    bj::value v = r.json();
    ASSERT_TRUE(v.at("success").as_bool());
    ASSERT_LE(v.at("results").as_array().size(), 2u);
    for (const auto& c : v.at("results").as_array())
      seen.emplace_back(c.at("id").as_string());
    if (!v.at("moreDataAvailable").as_bool()) {
      sync_token = std::string(v.at("syncToken").as_string());
      break;
    }
    params["cursor"] = v.at("nextCursor");
  }
  EXPECT_EQ(seen, ids);

  // An incremental sync returns only what changed since.
  ASSERT_EQ(control("PATCH", "/_sim/ats_candidates/" + ids[3], bj::object{{"last_name", "Changed"}}).status,
            200);
  Reply inc = rpc("candidate.list", bj::object{{"syncToken", sync_token}});
  ASSERT_TRUE(inc.json().at("success").as_bool()) << inc.body;
  ASSERT_EQ(inc.json().at("results").as_array().size(), 1u);
  EXPECT_EQ(inc.json().at("results").at(0).at("name").as_string(), "C3 Changed");
  EXPECT_EQ(rpc("candidate.list", bj::object{{"syncToken", "unknown"}}).json().at("errorInfo").at("code"),
            "sync_token_expired");

  Reply info = rpc("candidate.info", bj::object{{"id", ids[1]}});
  ASSERT_TRUE(info.json().at("success").as_bool());
  EXPECT_EQ(info.json().at("results").at("name").as_string(), "C1");
  Reply missing = rpc("candidate.info", bj::object{{"id", "no-such-id"}});
  EXPECT_EQ(missing.status, 200);
  EXPECT_FALSE(missing.json().at("success").as_bool());

  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "DRAFT"}});
  std::string job_id(job.json().at("remote_id").as_string());
  Reply job_info = rpc("job.info", bj::object{{"id", job_id}});
  EXPECT_EQ(job_info.json().at("results").at("status").as_string(), "Draft");
  EXPECT_EQ(rpc("jobPosting.list", bj::object{}).json().at("results").as_array().size(), 1u);
  EXPECT_TRUE(
      rpc("jobPosting.list", bj::object{{"listedOnly", true}}).json().at("results").as_array().empty());
}

TEST_F(AshbySimTest, HostileParametersGetErrorsNotCrashes) {
  Reply garbage = call(client_, "POST", sim_->base_url() + "/candidate.list", "{not json",
                       HeaderList{{"Content-Type", "application/json"}, {"Authorization", basic("k")}});
  EXPECT_EQ(garbage.status, 400);
  EXPECT_FALSE(garbage.json().at("success").as_bool());
  EXPECT_FALSE(rpc("candidate.list", bj::object{{"limit", "ten"}}).json().at("success").as_bool());
  EXPECT_FALSE(rpc("candidate.list", bj::object{{"cursor", "%%%"}}).json().at("success").as_bool());
  EXPECT_FALSE(rpc("candidate.info", bj::object{{"id", 12}}).json().at("success").as_bool());
  EXPECT_FALSE(rpc("webhook.create", bj::array{1, 2}).json().is_null());
  EXPECT_FALSE(
      rpc("webhook.create", bj::object{{"webhookType", "applicationSubmit"}, {"requestUrl", "ftp://x"}})
          .json()
          .at("success")
          .as_bool());
  // A limit above 100 is served as 100.
  EXPECT_TRUE(rpc("job.list", bj::object{{"limit", 1000}}).json().at("success").as_bool());
}

// Every record answer has the shape of Ashby's own example (connectors/ashby/testdata/contract/, from Ashby's
// OpenAPI document): no envelope or record key the vendor's answer does not have. The simulator may leave
// out optional keys (the last page's nextCursor, for one); it must not invent any a connector could come to
// rely on.
TEST_F(AshbySimTest, RecordAnswersHaveTheShapeOfTheVendorsExamples) {
  auto keys = [](const bj::object& o) {
    std::set<std::string> out;
    for (const auto& kv : o)
      out.emplace(kv.key());
    return out;
  };
  auto subset = [](const std::set<std::string>& a, const std::set<std::string>& b) {
    std::set<std::string> extra;
    for (const auto& k : a)
      if (!b.count(k)) extra.insert(k);
    return extra;
  };
  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  const std::string job_id(job.json().at("remote_id").as_string());
  Reply cand = control("POST", "/_sim/ats_candidates",
                       bj::object{{"first_name", "Ada"}, {"last_name", "L"}, {"job_remote_id", job_id}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  const std::string cand_id(cand.json().at("remote_id").as_string());

  struct Case {
    std::string method;
    bj::object params;
    std::string example;
  };
  const std::vector<Case> cases = {{"candidate.info", {{"id", cand_id}}, "candidate_info_response.json"},
                                   {"job.info", {{"id", job_id}}, "job_info_response.json"},
                                   {"candidate.list", {}, "candidate_list_response.json"},
                                   {"job.list", {}, "job_list_response.json"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method);
    const bj::value vendor = testing::contract_example("ashby", c.example);
    Reply r = rpc(c.method, c.params);
    ASSERT_EQ(r.status, 200) << r.body;
    const bj::value got = r.json();
    ASSERT_TRUE(got.at("success").as_bool()) << r.body;
    EXPECT_EQ(subset(keys(got.as_object()), keys(vendor.as_object())), std::set<std::string>{})
        << "envelope keys Ashby's answer does not have";
    EXPECT_TRUE(got.as_object().contains("results"));
    const bj::value& results = got.at("results");
    const bj::value& vendor_results = vendor.at("results");
    const bj::object& record = results.is_array() ? results.at(0).as_object() : results.as_object();
    const bj::object& vendor_record =
        vendor_results.is_array() ? vendor_results.at(0).as_object() : vendor_results.as_object();
    EXPECT_EQ(subset(keys(record), keys(vendor_record)), std::set<std::string>{})
        << "keys Ashby's record does not have";
    EXPECT_TRUE(record.contains("id"));
  }
}

// The other routes with an example of Ashby's (connectors/ashby/testdata/contract/): application and job
// posting reads, the webhooks API and an error answer. jobPosting.list has no example here and is not held.
TEST_F(AshbySimTest, ApplicationPostingWebhookAndErrorAnswersHaveTheShapeOfTheVendorsExamples) {
  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  const std::string job_id(job.json().at("remote_id").as_string());
  const std::string posting_id(job.json().at("job_posting_id").as_string());
  Reply cand = control("POST", "/_sim/ats_candidates",
                       bj::object{{"first_name", "Ada"}, {"last_name", "L"}, {"job_remote_id", job_id}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  const std::string app_id(cand.json().at("application_id").as_string());

  Reply created = rpc("webhook.create", bj::object{{"webhookType", "applicationSubmit"},
                                                   {"requestUrl", receiver_.url("/hook")},
                                                   {"secretToken", kSecret}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string webhook_id(created.json().at("results").at("id").as_string());

  struct Case {
    std::string method;
    bj::object params;
    std::string example;
  };
  const std::vector<Case> cases = {
      {"application.info", {{"applicationId", app_id}}, "application_info_response.json"},
      {"application.list", {}, "application_list_response.json"},
      {"jobPosting.info", {{"jobPostingId", posting_id}}, "jobPosting_info_response.json"},
      {"webhook.info", {{"webhookId", webhook_id}}, "webhook_info_response.json"},
      {"candidate.info", {{"id", "no-such-candidate"}}, "error_response.json"},
      {"webhook.delete", {{"webhookId", webhook_id}}, "webhook_delete_response.json"}};
  EXPECT_TRUE(testing::answers_like_vendor(created.json(), "ashby", "webhook_create_response.json"));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method);
    Reply r = rpc(c.method, c.params);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(testing::answers_like_vendor(r.json(), "ashby", c.example));
  }
}

}  // namespace
}  // namespace tributary::sim::ashby
