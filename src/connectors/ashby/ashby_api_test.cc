// Ashby's subscription and record calls against a real local HTTP server standing in for Ashby's RPC API.
#include <gtest/gtest.h>

#include "connectors/ashby/ashby.h"
#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

using testing::ScriptedApi;
using testing::ScriptedRequest;

constexpr std::string_view kApiKey = "ashby-key-7f3e9b";

constexpr std::string_view kCandidate = R"({"success":true,"results":{
  "id":"5b591aed-88e3-4395-b9c6-7d529f93354a","createdAt":"2026-11-19T10:15:03.514Z",
  "updatedAt":"2026-11-20T11:00:00.000Z","name":"Adam Hart",
  "primaryEmailAddress":{"value":"test@ashbyhq.com","type":"Personal","isPrimary":true},
  "emailAddresses":[{"value":"test@ashbyhq.com","type":"Personal","isPrimary":true},
                    {"value":"adam@work.example","type":"Work","isPrimary":false}],
  "primaryPhoneNumber":{"value":"555-555-5555","type":"Personal","isPrimary":true},
  "phoneNumbers":[{"value":"555-555-5555","type":"Personal","isPrimary":true}],
  "socialLinks":[{"type":"LinkedIn","url":"https://linkedin.com/in/user"}],
  "tags":[{"id":"38430ede-5bd2-41fc-b474-87591cb98cbc","title":"Strong","isArchived":false}],
  "position":"Software Engineer","company":"Auction.com","school":"Princeton University",
  "applicationIds":["f5e9a8c6-4b9c-4b1c-8f1e-0b7a1b7b2c11"],
  "customFields":[{"id":"cf1","title":"Referral","value":"Jane"}],
  "profileUrl":"https://app.ashbyhq.com/candidates/5b591aed",
  "source":{"id":"s1","title":"Applied"},
  "location":{"id":"l1","locationSummary":"San Francisco, California, United States",
              "locationComponents":[{"type":"City","name":"San Francisco"},{"type":"Region","name":"California"},
                                    {"type":"Country","name":"United States"}]}}})";

constexpr std::string_view kApplication = R"({"success":true,"results":{
  "id":"f5e9a8c6-4b9c-4b1c-8f1e-0b7a1b7b2c11","createdAt":"2026-11-19T10:15:03.514Z",
  "updatedAt":"2026-11-19T12:00:00.000Z","status":"Archived","archivedAt":"2026-11-21T09:00:00.000Z",
  "archiveReason":{"id":"ar1","text":"Not a fit","reasonType":"RejectedByOrg"},
  "currentInterviewStage":{"id":"st1","title":"Application Review","orderInInterviewPlan":0},
  "job":{"id":"e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55","title":"Software Engineer"}}})";

constexpr std::string_view kJob = R"({"success":true,"results":{
  "id":"e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55","title":"Software Engineer","confidential":false,
  "status":"Open","employmentType":"FullTime","customRequisitionId":"REQ-42",
  "jobPostingIds":["d5a6bc97-4259-4bc5-b3fe-6d3edfd538e3"],
  "customFields":[],"hiringTeam":[{"userId":"u1","firstName":"Rita","lastName":"Cruz","email":"rita@example.com",
  "role":"Recruiter"}],"createdAt":"2026-10-01T09:00:00.000Z","updatedAt":"2026-11-20T08:00:00.000Z",
  "openedAt":"2026-10-02T09:00:00.000Z","closedAt":null,"location":{"id":"l1","name":"Springfield"},
  "department":{"id":"d1","name":"Engineering"}}})";

constexpr std::string_view kPosting = R"({"success":true,"results":{
  "id":"d5a6bc97-4259-4bc5-b3fe-6d3edfd538e3","title":"Posting Title","jobId":"e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55",
  "descriptionHtml":"<p>Join us</p>","isListed":true,"workplaceType":"Remote",
  "externalLink":"https://jobs.ashbyhq.com/x/d5a6bc97","applyLink":"https://jobs.ashbyhq.com/x/d5a6bc97/apply"}})";

class AshbyApiTest : public testing::ConnectorApiTest {
 protected:
  AshbyApiTest() : ConnectorApiTest(register_ashby, "ashby") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    ctx_.credentials["api_key"] = std::string(kApiKey);
    ctx_.integration_id = "int_ashby_1";
    request_.event_types = {"jobPostingPublish"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_9";
    request_.secret = "whsec_ChosenByUs_42";
    fake_.set("/webhook.create", 200,
              R"({"success":true,"results":{"id":"3ae2b801-19f6-41ef-ad28-214bd731948f","enabled":true,
             "requestUrl":"https://relay.example.com/ingress/sub_9","secretToken":"whsec_ChosenByUs_42",
             "webhookType":"jobPostingPublish"}})");
    fake_.set("/webhook.delete", 200, R"({"success":true,"results":{"webhookId":"3ae2b801"}})");
    fake_.set("/candidate.info", 200, std::string(kCandidate));
    fake_.set("/application.info", 200, std::string(kApplication));
    fake_.set("/job.info", 200, std::string(kJob));
    fake_.set("/jobPosting.info", 200, std::string(kPosting));
  }

  std::string basic() const { return "Basic " + crypto::base64_encode(std::string(kApiKey) + ":"); }
};

TEST_F(AshbyApiTest, CreatesOneWebhookWithExactlyTheRequestedType) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "3ae2b801-19f6-41ef-ad28-214bd731948f");
  EXPECT_EQ(created->secret, request_.secret);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/webhook.create");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  EXPECT_EQ(reqs[0].json(), (bj::object{{"webhookType", "jobPostingPublish"},
                                        {"requestUrl", request_.ingress_url},
                                        {"secretToken", request_.secret}}));

  // Several types in one request cannot be one Ashby webhook: refused before any call.
  request_.event_types = {"applicationSubmit", "candidateDelete"};
  auto many = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(AshbyApiTest, MissingPermissionSaysWhichOne) {
  // Ashby answers client errors with HTTP 200 and success: false.
  fake_.set("/webhook.create", 200,
            R"({"success":false,"errorInfo":{"code":"missing_endpoint_permission",
           "message":"The API key is missing the apiKeysWrite permission","requestId":"01J"}})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("apiKeysWrite"), std::string::npos) << created.error().message;
  EXPECT_NE(created.error().message.find("API Keys"), std::string::npos);

  fake_.set("/webhook.create", 403, R"({"success":false})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("apiKeysWrite"), std::string::npos);
}

TEST_F(AshbyApiTest, UnauthorizedCarriesAshbysTextButNoSecret) {
  fake_.set(
      "/webhook.create", 401,
      std::string(R"({"success":false,"errorInfo":{"code":"unauthorized","message":"Invalid API key )") +
          std::string(kApiKey) + R"("}})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(created.error().message.find("Invalid API key"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find(kApiKey), std::string::npos) << created.error().message;

  fake_.set("/webhook.create", 500, R"({"message":"boom, whsec_ChosenByUs_42"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("500"), std::string::npos);
  EXPECT_EQ(created.error().message.find("whsec_ChosenByUs_42"), std::string::npos);

  fake_.set("/webhook.create", 200,
            R"({"success":false,"errorInfo":{"code":"invalid_input","message":"bad url"}})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("bad url"), std::string::npos);

  fake_.set("/webhook.create", 200, R"({"success":true,"results":{}})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);

  fake_.set("/webhook.create", 200, "not json");
  EXPECT_EQ(connector_->create_subscription(ctx_, request_).error().kind, ErrorKind::kUpstream);

  ctx_.credentials.erase("api_key");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(AshbyApiTest, DeletesTheWebhookAndToleratesOneAlreadyGone) {
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "3ae2b801").ok());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/webhook.delete");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[0].json(), (bj::object{{"webhookId", "3ae2b801"}}));

  fake_.set("/webhook.delete", 200,
            R"({"success":false,"errorInfo":{"code":"webhook_not_found","message":"Webhook not found"}})");
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "3ae2b801").ok());

  fake_.set(
      "/webhook.delete", 200,
      R"({"success":false,"errorInfo":{"code":"missing_endpoint_permission","message":"no permission"}})");
  auto deleted = connector_->delete_subscription(ctx_, "3ae2b801");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kForbidden);
  EXPECT_FALSE(connector_->delete_subscription(ctx_, "").ok());
}

TEST_F(AshbyApiTest, LooksTheWebhookUpWithWebhookInfo) {
  fake_.set("/webhook.info", 200,
            R"({"success":true,"results":{"id":"3ae2b801","enabled":true,
           "requestUrl":"https://relay.example.com/ingress/sub_9","webhookType":"jobPostingPublish"}})");
  auto present = connector_->subscription_exists(ctx_, "3ae2b801");
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_TRUE(*present);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/webhook.info");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[0].json(), (bj::object{{"webhookId", "3ae2b801"}}));

  // Deleted in Ashby: HTTP 200 with success: false and a not-found code, or a 404.
  fake_.set("/webhook.info", 200,
            R"({"success":false,"errorInfo":{"code":"webhook_not_found","message":"Webhook not found"}})");
  auto absent = connector_->subscription_exists(ctx_, "3ae2b801");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);
  fake_.set("/webhook.info", 404, R"({"success":false})");
  absent = connector_->subscription_exists(ctx_, "3ae2b801");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);

  fake_.set(
      "/webhook.info", 401,
      std::string(R"({"success":false,"errorInfo":{"code":"unauthorized","message":"Invalid API key )") +
          std::string(kApiKey) + R"("}})");
  auto rejected = connector_->subscription_exists(ctx_, "3ae2b801");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(rejected.error().message.find("Invalid API key"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(rejected.error().message.find(kApiKey), std::string::npos) << rejected.error().message;

  fake_.set(
      "/webhook.info", 200,
      R"({"success":false,"errorInfo":{"code":"missing_endpoint_permission","message":"no permission"}})");
  auto refused = connector_->subscription_exists(ctx_, "3ae2b801");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("apiKeysRead"), std::string::npos) << refused.error().message;
  fake_.set("/webhook.info", 502, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "3ae2b801").error().kind, ErrorKind::kUpstream);
}

TEST_F(AshbyApiTest, FetchesACandidateWithApplications) {
  auto record = connector_->fetch_record(ctx_, Model::kAtsCandidates, "5b591aed-88e3-4395-b9c6-7d529f93354a");
  ASSERT_TRUE(record.ok()) << record.error().message;
  ASSERT_TRUE(record->has_value());
  const bj::object& c = **record;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/candidate.info");
  EXPECT_EQ(reqs[0].json(), (bj::object{{"id", "5b591aed-88e3-4395-b9c6-7d529f93354a"}}));
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[1].path, "/application.info");
  EXPECT_EQ(reqs[1].json(), (bj::object{{"applicationId", "f5e9a8c6-4b9c-4b1c-8f1e-0b7a1b7b2c11"}}));

  EXPECT_EQ(c.at("id"), bj::value(common::unified_id("int_ashby_1", "ats_candidates",
                                                     "5b591aed-88e3-4395-b9c6-7d529f93354a")));
  EXPECT_EQ(c.at("remote_id"), bj::value("5b591aed-88e3-4395-b9c6-7d529f93354a"));
  EXPECT_EQ(c.at("first_name"), bj::value("Adam"));
  EXPECT_EQ(c.at("last_name"), bj::value("Hart"));
  EXPECT_EQ(c.at("company"), bj::value("Auction.com"));
  EXPECT_EQ(c.at("title"), bj::value("Software Engineer"));
  EXPECT_EQ(c.at("source"), bj::value("Applied"));
  const auto& emails = c.at("email_addresses").as_array();
  ASSERT_EQ(emails.size(), 2u);
  EXPECT_EQ(emails[0].at("email_address"), bj::value("test@ashbyhq.com"));
  EXPECT_EQ(emails[1].at("email_address"), bj::value("adam@work.example"));
  EXPECT_EQ(c.at("phone_numbers").as_array().size(), 1u);
  EXPECT_EQ(c.at("location").at("city"), bj::value("San Francisco"));
  EXPECT_EQ(c.at("custom_fields").at("Referral"), bj::value("Jane"));
  EXPECT_EQ(c.at("remote_created_at"), bj::value("2026-11-19T10:15:03.514Z"));
  EXPECT_EQ(c.at("tags").as_array().size(), 1u);
  const auto& apps = c.at("applications").as_array();
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].at("outcome"), bj::value("DECLINED"));
  EXPECT_EQ(apps[0].at("rejection_reason_name"), bj::value("Not a fit"));
  EXPECT_EQ(apps[0].at("job").at("id"),
            bj::value(common::unified_id("int_ashby_1", "ats_jobs", "e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55")));
  EXPECT_EQ(apps[0].at("current_stage").at("name"), bj::value("Application Review"));
  // Every field of the unified model is present.
  for (std::string_view key : {"id",
                               "remote_id",
                               "first_name",
                               "last_name",
                               "company",
                               "title",
                               "confidential",
                               "source",
                               "phone_numbers",
                               "email_addresses",
                               "social_media",
                               "location",
                               "custom_fields",
                               "remote_url",
                               "remote_created_at",
                               "remote_updated_at",
                               "changed_at",
                               "remote_deleted_at",
                               "applications",
                               "tags"})
    EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(c.size(), 20u);
}

TEST_F(AshbyApiTest, FetchesAJobWithItsPostings) {
  auto record = connector_->fetch_record(ctx_, Model::kAtsJobs, "e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55");
  ASSERT_TRUE(record.ok()) << record.error().message;
  ASSERT_TRUE(record->has_value());
  const bj::object& j = **record;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/job.info");
  EXPECT_EQ(reqs[0].json(), (bj::object{{"id", "e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55"}}));
  EXPECT_EQ(reqs[1].path, "/jobPosting.info");
  EXPECT_EQ(reqs[1].json(), (bj::object{{"jobPostingId", "d5a6bc97-4259-4bc5-b3fe-6d3edfd538e3"}}));
  EXPECT_EQ(j.at("name"), bj::value("Software Engineer"));
  EXPECT_EQ(j.at("status"), bj::value("OPEN"));
  EXPECT_EQ(j.at("employment_type"), bj::value("FULL_TIME"));
  EXPECT_EQ(j.at("job_code"), bj::value("REQ-42"));
  EXPECT_EQ(j.at("confidential"), bj::value(false));
  EXPECT_EQ(j.at("department"), bj::value("Engineering"));
  EXPECT_EQ(j.at("remote_work_status"), bj::value("REMOTE"));
  EXPECT_EQ(j.at("post_url"), bj::value("https://jobs.ashbyhq.com/x/d5a6bc97"));
  const auto& postings = j.at("job_postings").as_array();
  ASSERT_EQ(postings.size(), 1u);
  EXPECT_EQ(postings[0].at("status"), bj::value("ACTIVE"));
  EXPECT_EQ(postings[0].at("description_html"), bj::value("<p>Join us</p>"));
  const auto& team = j.at("hiring_team").as_array();
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].at("hiring_team_roles"), (bj::array{"RECRUITER"}));
  EXPECT_EQ(j.size(), 34u);

  fake_.set("/job.info", 200,
            R"({"success":true,"results":{"id":"j2","title":"Draft role","status":"Draft"}})");
  record = connector_->fetch_record(ctx_, Model::kAtsJobs, "j2");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ((**record).at("status"), bj::value("DRAFT"));
  EXPECT_TRUE((**record).at("job_postings").as_array().empty());
}

TEST_F(AshbyApiTest, GoneUnauthorizedAndRateLimitedRecords) {
  fake_.set(
      "/candidate.info", 200,
      R"({"success":false,"errorInfo":{"code":"candidate_not_found","message":"Candidate not found"}})");
  auto gone = connector_->fetch_record(ctx_, Model::kAtsCandidates, "nope");
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_FALSE(gone->has_value());

  fake_.set("/job.info", 404, "{}");
  gone = connector_->fetch_record(ctx_, Model::kAtsJobs, "nope");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());

  fake_.set("/candidate.info", 401,
            R"({"success":false,"errorInfo":{"code":"unauthorized","message":"bad key"}})");
  auto unauthorized = connector_->fetch_record(ctx_, Model::kAtsCandidates, "c1");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);

  fake_.set(
      "/candidate.info", 200,
      R"({"success":false,"errorInfo":{"code":"missing_endpoint_permission","message":"missing candidatesRead"}})");
  auto forbidden = connector_->fetch_record(ctx_, Model::kAtsCandidates, "c1");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(forbidden.error().message.find("candidatesRead"), std::string::npos);

  // 429 twice, then the record: retried with Retry-After honoured.
  int calls = 0;
  fake_.on("/job.info", [&calls](const ScriptedRequest&) {
    ++calls;
    if (calls <= 2) return ScriptedApi::response(429, R"({"success":false})", {{"Retry-After", "0"}});
    return ScriptedApi::response(200, std::string(kJob), {});
  });
  auto limited = connector_->fetch_record(ctx_, Model::kAtsJobs, "e1f3c9b0-7c0a-4b0e-9a3e-0c8c6d0e7f55");
  ASSERT_TRUE(limited.ok()) << limited.error().message;
  EXPECT_TRUE(limited->has_value());
  EXPECT_EQ(calls, 3);
  fake_.on("/job.info", [](const ScriptedRequest&) {
    return ScriptedApi::response(429, "{}", {{"Retry-After", "0"}});
  });
  auto exhausted = connector_->fetch_record(ctx_, Model::kAtsJobs, "j");
  ASSERT_FALSE(exhausted.ok());
  EXPECT_EQ(exhausted.error().kind, ErrorKind::kRateLimited);

  EXPECT_FALSE(connector_->fetch(ctx_, Model::kHrisEmployees, "x").ok());
}

TEST_F(AshbyApiTest, ListsAcrossPagesWithTheCursor) {
  fake_.on("/job.list", [](const ScriptedRequest& r) {
    const bj::object body = r.json();
    if (!body.contains("cursor"))
      return ScriptedApi::response(200,
                                   R"({"success":true,"results":[{"id":"j1","title":"One","status":"Open"},
                       {"id":"j2","title":"Two","status":"Closed"}],"moreDataAvailable":true,"nextCursor":"c2"})",
                                   {});
    if (body.at("cursor") == bj::value("c2"))
      return ScriptedApi::response(
          200,
          R"({"success":true,"results":[{"id":"j3","title":"Three","status":"Archived"}],
                       "moreDataAvailable":false,"syncToken":"s1"})",
          {});
    return ScriptedApi::response(
        200, R"({"success":false,"errorInfo":{"code":"invalid_cursor","message":"bad cursor"}})", {});
  });
  auto first = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].at("remote_id"), bj::value("j1"));
  EXPECT_EQ(first->records[1].at("status"), bj::value("CLOSED"));
  EXPECT_EQ(first->next, "c2");
  auto second = connector_->list_records(ctx_, Model::kAtsJobs, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->records[0].at("status"), bj::value("ARCHIVED"));
  EXPECT_EQ(second->next, "");
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/job.list");
  EXPECT_EQ(reqs[0].json(), (bj::object{{"limit", 100}}));
  EXPECT_EQ(reqs[1].json(), (bj::object{{"limit", 100}, {"cursor", "c2"}}));
  EXPECT_EQ(reqs[1].header("Authorization"), basic());

  // A cursor that does not advance would loop forever: an error instead.
  fake_.set("/candidate.list", 200,
            R"({"success":true,"results":[],"moreDataAvailable":true,"nextCursor":"same"})");
  auto stuck = connector_->list_records(ctx_, Model::kAtsCandidates, "same");
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.error().kind, ErrorKind::kUpstream);

  fake_.set("/candidate.list", 401, "{}");
  auto unauthorized = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);
}

TEST_F(AshbyApiTest, ListedCandidatesAreMappedLikeFetchedOnes) {
  fake_.set("/candidate.list", 200,
            R"({"success":true,"results":[{"id":"c1","name":"Solo","applicationIds":[]},
              {"id":"c2","name":"Ana Maria Lopez","primaryEmailAddress":{"value":"ana@x.example","type":"Work"}}],
              "moreDataAvailable":false})");
  auto page = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].at("first_name"), bj::value("Solo"));
  EXPECT_TRUE(page->records[0].at("last_name").is_null());
  EXPECT_EQ(page->records[1].at("first_name"), bj::value("Ana"));
  EXPECT_EQ(page->records[1].at("last_name"), bj::value("Maria Lopez"));
  EXPECT_EQ(page->records[1].at("email_addresses").as_array()[0].at("email_address"),
            bj::value("ana@x.example"));
  EXPECT_EQ(page->records[1].size(), 20u);
}

TEST_F(AshbyApiTest, UnreachableApiIsUpstream) {
  fake_.stop();
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("could not reach Ashby"), std::string::npos)
      << created.error().message;
}

}  // namespace
}  // namespace tributary::connectors
