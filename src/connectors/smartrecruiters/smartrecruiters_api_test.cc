// SmartRecruiters' subscription and record calls against a real local HTTP server standing in for the API.
#include <gtest/gtest.h>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/smartrecruiters/smartrecruiters.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

constexpr std::string_view kSubs = "/webhooks-api/v201907/subscriptions";

std::string route_of(const http::Request& r) {
  std::string path = r.path;
  const std::string subs(kSubs);
  if (path.rfind(subs + "/", 0) == 0) {
    std::string rest = path.substr(subs.size() + 1);
    const auto slash = rest.find('/');
    path = subs + "/{id}" + (slash == std::string::npos ? "" : rest.substr(slash));
  } else if (path.rfind("/candidates/", 0) == 0) {
    path = "/candidates/{id}";
  } else if (path.rfind("/jobs/", 0) == 0) {
    path = "/jobs/{id}";
  }
  return r.method + " " + path;
}

class SmartRecruitersApiTest : public testing::ConnectorApiTest {
 protected:
  SmartRecruitersApiTest() : ConnectorApiTest(register_smartrecruiters, "smartrecruiters", route_of) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /webhooks-api/v201907/subscriptions", 201,
              R"({"id":"sub-8d7c6b5a","callbackUrl":"https://relay.example.com/ingress/sub_1",)"
              R"("events":[{"name":"candidate.created","version":"v201907"}],"status":"inactive"})");
    fake_.set("POST /webhooks-api/v201907/subscriptions/{id}/secret-key", 201,
              R"({"secretKey":"sk-Generated-0001"})");
    fake_.set("PUT /webhooks-api/v201907/subscriptions/{id}/activation", 204, "");
    fake_.set("DELETE /webhooks-api/v201907/subscriptions/{id}", 204, "");
    ctx_.credentials["api_key"] = "DCRA1-smart-token-0123456789abcdef";
    ctx_.integration_id = "int_sr_1";
    request_.event_types = {"candidate.created", "application.created", "job.updated"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_1";
    request_.secret = "ours-unused";
  }
};

TEST_F(SmartRecruitersApiTest, CreatesSetsKeyAndActivates) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "sub-8d7c6b5a");
  EXPECT_EQ(created->secret, "sk-Generated-0001");  // the vendor's key is the one to verify with

  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.header("X-SmartToken"), "DCRA1-smart-token-0123456789abcdef");
    EXPECT_EQ(r.header("Authorization"), "");
  }
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, kSubs);
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  bj::value body = bj::parse(reqs[0].body);
  EXPECT_EQ(body.as_object().size(), 2u) << reqs[0].body;
  EXPECT_EQ(body.at("callbackUrl"), bj::value(request_.ingress_url));
  EXPECT_EQ(body.at("events"), (bj::array{"candidate.created", "application.created", "job.updated"}));
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].path, std::string(kSubs) + "/sub-8d7c6b5a/secret-key");
  EXPECT_EQ(reqs[2].method, "PUT");
  EXPECT_EQ(reqs[2].path, std::string(kSubs) + "/sub-8d7c6b5a/activation");
  EXPECT_EQ(reqs[2].body, "");
}

TEST_F(SmartRecruitersApiTest, AlreadyActiveIsFine) {
  fake_.set("PUT /webhooks-api/v201907/subscriptions/{id}/activation", 409,
            R"({"message":"already active"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
}

TEST_F(SmartRecruitersApiTest, FailedHandshakeDeletesTheSubscription) {
  fake_.set("PUT /webhooks-api/v201907/subscriptions/{id}/activation", 424,
            R"({"message":"handshake failed"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("handshake"), std::string::npos);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(reqs[3].path, std::string(kSubs) + "/sub-8d7c6b5a");
}

TEST_F(SmartRecruitersApiTest, MissingKeyAnswerIsAnError) {
  fake_.set("POST /webhooks-api/v201907/subscriptions/{id}/secret-key", 201, R"({})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_EQ(fake_.requests().back().method, "DELETE");
}

TEST_F(SmartRecruitersApiTest, ForbiddenNamesThePermission) {
  fake_.set("POST /webhooks-api/v201907/subscriptions", 403,
            R"({"errors":[{"code":"NO_PERMISSION_TO_MANAGE_WEBHOOKS","message":"No permission"}]})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("permission to manage webhook"), std::string::npos);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(SmartRecruitersApiTest, UnauthorizedCarriesTheVendorTextWithoutSecrets) {
  fake_.set("POST /webhooks-api/v201907/subscriptions", 401,
            R"({"message":"Invalid token DCRA1-smart-token-0123456789abcdef"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(created.error().message.find("Invalid token"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find("DCRA1-smart-token"), std::string::npos) << created.error().message;
}

TEST_F(SmartRecruitersApiTest, OtherFailuresAreUpstream) {
  fake_.set("POST /webhooks-api/v201907/subscriptions", 422, R"({"message":"callbackUrl is invalid"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("422"), std::string::npos);

  fake_.set("POST /webhooks-api/v201907/subscriptions", 201, R"({"status":"inactive"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);

  ctx_.credentials.erase("api_key");
  fake_.clear_requests();
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(SmartRecruitersApiTest, DeletesAndToleratesGone) {
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "sub-8d7c6b5a").ok());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].path, std::string(kSubs) + "/sub-8d7c6b5a");
  EXPECT_EQ(reqs[0].header("X-SmartToken"), "DCRA1-smart-token-0123456789abcdef");
  fake_.set("DELETE /webhooks-api/v201907/subscriptions/{id}", 404, R"({"message":"not found"})");
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "sub-8d7c6b5a").ok());
  fake_.set("DELETE /webhooks-api/v201907/subscriptions/{id}", 403, "{}");
  auto deleted = connector_->delete_subscription(ctx_, "sub-8d7c6b5a");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kForbidden);
  // An id with path characters stays one segment.
  fake_.set("DELETE /webhooks-api/v201907/subscriptions/{id}", 204, "");
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "../x").ok());
  EXPECT_NE(fake_.requests().back().target.find("..%2Fx"), std::string::npos);
}

constexpr const char* kCandidate = R"({
  "id": "3b1e2c4d", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
  "phoneNumber": "+44 20 7946 0000",
  "location": {"country": "United Kingdom", "city": "London", "region": "England"},
  "web": {"linkedin": "https://linkedin.com/in/ada"},
  "createdOn": "2026-11-20T10:00:00.000Z", "updatedOn": "2026-11-21T10:00:00.000Z",
  "primaryAssignment": {"job": {"id": "743999693381732", "title": "Analyst"}, "status": "IN_REVIEW"},
  "secondaryAssignments": [{"job": {"id": "743999", "title": "Engineer"}, "status": "REJECTED"}]
})";

constexpr const char* kJob = R"({
  "id": "743999693381732", "title": "Analyst", "refNumber": "REF-7", "status": "SOURCING",
  "postingStatus": "PUBLIC", "department": {"label": "Research"},
  "location": {"city": "Berlin", "country": "Germany"}, "typeOfEmployment": {"id": "permanent", "label": "Full-time"},
  "createdOn": "2026-11-01T08:00:00.000Z", "updatedOn": "2026-11-02T08:00:00.000Z"
})";

TEST_F(SmartRecruitersApiTest, LooksUpWhetherTheSubscriptionStillExists) {
  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 200,
            R"({"id":"sub-8d7c6b5a","callbackUrl":"https://relay.example.com/ingress/sub_1",)"
            R"("events":[{"name":"candidate.created","version":"v201907"}],"status":"active"})");
  auto present = connector_->subscription_exists(ctx_, "sub-8d7c6b5a");
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_TRUE(*present);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/webhooks-api/v201907/subscriptions/sub-8d7c6b5a");
  EXPECT_EQ(reqs[0].header("X-SmartToken"), "DCRA1-smart-token-0123456789abcdef");

  // Still there but inactive: it exists (re-creating would leave it behind and fail the same way).
  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 200,
            R"({"id":"sub-8d7c6b5a","callbackUrl":"https://relay.example.com/ingress/sub_1",)"
            R"("events":[{"name":"candidate.created","version":"v201907"}],"status":"inactive"})");
  auto inactive = connector_->subscription_exists(ctx_, "sub-8d7c6b5a");
  ASSERT_TRUE(inactive.ok());
  EXPECT_TRUE(*inactive);

  // Deleted in SmartRecruiters: 404.
  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 404,
            R"({"errors":[{"code":"NOT_FOUND","message":"Subscription not found"}]})");
  auto absent = connector_->subscription_exists(ctx_, "sub-8d7c6b5a");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);

  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 401,
            R"({"message":"Invalid token DCRA1-smart-token-0123456789abcdef"})");
  auto rejected = connector_->subscription_exists(ctx_, "sub-8d7c6b5a");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(rejected.error().message.find("Invalid token"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(rejected.error().message.find("DCRA1-smart-token"), std::string::npos);

  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 403,
            R"({"errors":[{"code":"NO_PERMISSION_TO_MANAGE_WEBHOOKS","message":"No permission"}]})");
  auto refused = connector_->subscription_exists(ctx_, "sub-8d7c6b5a");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("permission to manage webhook"), std::string::npos);
  fake_.set("GET /webhooks-api/v201907/subscriptions/{id}", 500, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "sub-8d7c6b5a").error().kind, ErrorKind::kUpstream);
}

TEST_F(SmartRecruitersApiTest, FetchesAndMapsACandidate) {
  fake_.set("GET /candidates/{id}", 200, kCandidate);
  auto rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "3b1e2c4d");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_TRUE(rec->has_value());
  const bj::object& c = **rec;
  EXPECT_EQ(fake_.requests().at(0).path, "/candidates/3b1e2c4d");
  EXPECT_EQ(fake_.requests().at(0).header("X-SmartToken"), "DCRA1-smart-token-0123456789abcdef");
  EXPECT_EQ(c.at("id"), bj::value(common::unified_id("int_sr_1", "ats_candidates", "3b1e2c4d")));
  EXPECT_EQ(c.at("remote_id"), bj::value("3b1e2c4d"));
  EXPECT_EQ(c.at("first_name"), bj::value("Ada"));
  EXPECT_EQ(c.at("last_name"), bj::value("Lovelace"));
  EXPECT_EQ(c.at("email_addresses").at(0).at("email_address"), bj::value("ada@example.com"));
  EXPECT_EQ(c.at("phone_numbers").at(0).at("phone_number"), bj::value("+44 20 7946 0000"));
  EXPECT_EQ(c.at("location").at("city"), bj::value("London"));
  EXPECT_EQ(c.at("remote_created_at"), bj::value("2026-11-20T10:00:00.000Z"));
  EXPECT_EQ(c.at("location").at("raw"), bj::value("London, England, United Kingdom"));
  ASSERT_EQ(c.at("applications").as_array().size(), 2u);
  EXPECT_EQ(c.at("applications").at(0).at("job").at("id"),
            bj::value(common::unified_id("int_sr_1", "ats_jobs", "743999693381732")));
  EXPECT_EQ(c.at("applications").at(0).at("outcome"), bj::value("PENDING"));
  EXPECT_EQ(c.at("applications").at(1).at("outcome"), bj::value("DECLINED"));
  for (const char* key : {"company", "title", "confidential", "source", "custom_fields", "remote_url",
                          "changed_at", "remote_deleted_at", "tags", "social_media", "remote_updated_at"})
    EXPECT_TRUE(c.contains(key)) << key;
}

TEST_F(SmartRecruitersApiTest, FetchesAndMapsAJob) {
  fake_.set("GET /jobs/{id}", 200, kJob);
  auto rec = connector_->fetch_record(ctx_, Model::kAtsJobs, "743999693381732");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_TRUE(rec->has_value());
  const bj::object& j = **rec;
  EXPECT_EQ(fake_.requests().at(0).path, "/jobs/743999693381732");
  EXPECT_EQ(j.at("id"), bj::value(common::unified_id("int_sr_1", "ats_jobs", "743999693381732")));
  EXPECT_EQ(j.at("name"), bj::value("Analyst"));
  EXPECT_EQ(j.at("status"), bj::value("OPEN"));
  EXPECT_EQ(j.at("visibility"), bj::value("PUBLIC"));
  EXPECT_EQ(j.at("job_code"), bj::value("REF-7"));
  EXPECT_EQ(j.at("department"), bj::value("Research"));
  EXPECT_EQ(j.at("employment_type"), bj::value("FULL_TIME"));
  EXPECT_EQ(j.at("location").at("raw"), bj::value("Berlin, Germany"));
  EXPECT_EQ(j.size(), 34u);  // every field of the unified job
  for (const auto& [status, unified] : std::vector<std::pair<std::string, std::string>>{
           {"CREATED", "DRAFT"}, {"FILLED", "CLOSED"}, {"CANCELLED", "ARCHIVED"}, {"CLOSED", "CLOSED"}}) {
    bj::object job = bj::parse(kJob).as_object();
    job["status"] = status;
    fake_.set("GET /jobs/{id}", 200, json::serialize(job));
    auto r = connector_->fetch_record(ctx_, Model::kAtsJobs, "743999693381732");
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((**r).at("status"), bj::value(unified)) << status;
  }
}

TEST_F(SmartRecruitersApiTest, RecordErrors) {
  fake_.set("GET /candidates/{id}", 404, R"({"message":"Candidate not found"})");
  auto rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "gone");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_FALSE(rec->has_value());

  fake_.set("GET /candidates/{id}", 401, R"({"message":"Unauthorized"})");
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "x");
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().kind, ErrorKind::kUnauthorized);

  // 429 with Retry-After is retried, within bounds.
  fake_.set("GET /candidates/{id}", 200, kCandidate);
  fake_.push("GET /candidates/{id}", 429, R"({"message":"slow down"})", {{"Retry-After", "0"}});
  fake_.clear_requests();
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "3b1e2c4d");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_TRUE(rec->has_value());
  EXPECT_EQ(fake_.requests().size(), 2u);

  fake_.set("GET /candidates/{id}", 429, R"({"message":"slow down"})", {{"Retry-After", "0"}});
  fake_.clear_requests();
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "3b1e2c4d");
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().kind, ErrorKind::kRateLimited);
  EXPECT_LE(fake_.requests().size(), 3u);

  EXPECT_FALSE(connector_->fetch(ctx_, Model::kHrisEmployees, "x").ok());
}

// Listings are summaries (the vendor's examples, testdata/contract/list_jobs.json and list_candidates.json):
// the listing enumerates ids across pages and each record is read like a webhook's fetch, so a synced record
// is the fetched one.
TEST_F(SmartRecruitersApiTest, ListsAcrossPagesAndReadsEachRecordLikeAFetch) {
  fake_.push("GET /candidates", 200,
             R"({"totalFound":3,"nextPageId":"page-2","content":[{"id":"c1","firstName":"A"},{"id":"c2"}]})");
  fake_.push("GET /candidates", 200, R"({"totalFound":3,"content":[{"id":"c3","lastName":"C"}]})");
  fake_.on("GET /candidates/{id}", [](const http::Request& r) {
    const std::string id = r.path.substr(r.path.rfind('/') + 1);
    if (id == "c2") return http::Response::json(404, R"({"message":"not found"})");  // gone since the listing
    return http::Response::json(200, R"({"id":")" + id + R"(","firstName":"F)" + id +
                                         R"(","lastName":"L","web":{"linkedin":"https://linkedin.example/)" +
                                         id + R"("}})");
  });
  auto first = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->records[0].at("remote_id"), bj::value("c1"));
  EXPECT_EQ(first->records[0].at("first_name"), bj::value("Fc1"));  // from the record, not the summary
  EXPECT_EQ(first->next, "page-2");
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "c1");
  ASSERT_TRUE(fetched.ok() && fetched->has_value());
  EXPECT_EQ(first->records[0], **fetched);
  auto second = connector_->list_records(ctx_, Model::kAtsCandidates, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->next, "");
  std::vector<std::string> listings;
  for (const auto& r : fake_.requests()) {
    if (r.path == "/candidates") listings.push_back(r.param("pageId"));
    EXPECT_EQ(r.header("X-SmartToken"), "DCRA1-smart-token-0123456789abcdef");
  }
  EXPECT_EQ(listings, (std::vector<std::string>{"", "page-2"}));

  // The vendor's job list example: its summaries lack what the full job carries.
  fake_.set("GET /jobs", 200, testing::read_testdata("smartrecruiters/testdata/contract/list_jobs.json"));
  fake_.set("GET /jobs/{id}", 200, kJob);
  auto jobs = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_FALSE(jobs->records.empty());
  EXPECT_EQ(jobs->records[0].at("name"), bj::value("Analyst"));
  EXPECT_FALSE(jobs->records[0].at("employment_type").is_null());

  fake_.set("GET /jobs", 401, R"({"message":"bad key"})");
  jobs = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.error().kind, ErrorKind::kUnauthorized);
  fake_.set("GET /jobs", 200, R"({"items":[]})");
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsJobs, "").ok());
}

}  // namespace
}  // namespace tributary::connectors
