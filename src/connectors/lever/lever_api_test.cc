// Lever's webhook and record calls against a real local HTTP server standing in for the Lever API.
#include <gtest/gtest.h>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/lever/lever.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

std::string route_of(const http::Request& r) {
  for (std::string_view prefix : {"/v1/webhooks/", "/v1/opportunities/", "/v1/postings/"})
    if (r.path.rfind(prefix, 0) == 0) return r.method + " " + std::string(prefix) + "{id}";
  return r.method + " " + r.path;
}

class LeverApiTest : public testing::ConnectorApiTest {
 protected:
  LeverApiTest() : ConnectorApiTest(register_lever, "lever", route_of) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /v1/webhooks", 200,
              R"({"data":{"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","event":"applicationCreated",)"
              R"("url":"https://relay.example.com/ingress/sub_l","createdAt":1700000000000,)"
              R"("configuration":{"conditions":null,"signatureToken":"sigtok-5e6f7a8b9c0d"}}})");
    fake_.set("DELETE /v1/webhooks/{id}", 204, "");
    ctx_.credentials["api_key"] = "lever-key-0123456789";
    ctx_.integration_id = "int_lv_1";
    request_.event_types = {"applicationCreated"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_l";
    request_.secret = "ours-unused";
  }

  std::string basic() const { return "Basic " + crypto::base64_encode("lever-key-0123456789:"); }
};

TEST_F(LeverApiTest, CreatesOneWebhookAndKeepsItsSignatureToken) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(created->secret, "sigtok-5e6f7a8b9c0d");
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/v1/webhooks");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/json");
  bj::value body = bj::parse(reqs[0].body);
  EXPECT_EQ(body, (bj::object{{"event", "applicationCreated"}, {"url", request_.ingress_url}}));
}

TEST_F(LeverApiTest, SeveralEventsInOneWebhookAreRefused) {
  request_.event_types = {"applicationCreated", "candidateDeleted"};
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kInvalidArgument);
  request_.event_types = {};
  EXPECT_FALSE(connector_->create_subscription(ctx_, request_).ok());
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(LeverApiTest, MissingSignatureTokenIsReportedAndTheWebhookRemoved) {
  fake_.set("POST /v1/webhooks", 200,
            R"({"data":{"id":"wh-9","event":"applicationCreated","url":"https://x"}})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("cannot be verified"), std::string::npos) << created.error().message;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].path, "/v1/webhooks/wh-9");
}

TEST_F(LeverApiTest, SubscriptionErrors) {
  fake_.set("POST /v1/webhooks", 403,
            R"({"code":"Forbidden","message":"Missing scope webhooks:write:admin"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(created.error().message.find("webhooks:write:admin"), std::string::npos);

  fake_.set("POST /v1/webhooks", 401,
            R"({"code":"Unauthorized","message":"Invalid API key lever-key-0123456789"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(created.error().message.find("Invalid API key"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find("lever-key-0123456789"), std::string::npos)
      << created.error().message;

  fake_.set("POST /v1/webhooks", 400, R"({"code":"BadRequest","message":"url must be https"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("400"), std::string::npos);

  fake_.set("POST /v1/webhooks", 200, R"({"data":{}})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
}

TEST_F(LeverApiTest, DeletesAndToleratesGone) {
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "wh-9").ok());
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].path, "/v1/webhooks/wh-9");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  fake_.set("DELETE /v1/webhooks/{id}", 404, R"({"code":"NotFound"})");
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "wh-9").ok());
  fake_.set("DELETE /v1/webhooks/{id}", 401, R"({"code":"Unauthorized"})");
  auto deleted = connector_->delete_subscription(ctx_, "wh-9");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kUnauthorized);
  EXPECT_FALSE(connector_->delete_subscription(ctx_, "").ok());
}

TEST_F(LeverApiTest, LooksTheWebhookUpAcrossListingPages) {
  const std::string first_page =
      R"({"data":[{"id":"wh-1","event":"candidateHired","url":"https://relay.example.com/ingress/sub_a"}],)"
      R"("hasNext":true,"next":"wh-1"})";
  const std::string last_page =
      R"({"data":[{"id":"wh-9","event":"applicationCreated","url":"https://relay.example.com/ingress/sub_l"}],)"
      R"("hasNext":false})";
  fake_.push("GET /v1/webhooks", 200, first_page);
  fake_.push("GET /v1/webhooks", 200, last_page);
  auto present = connector_->subscription_exists(ctx_, "wh-9");
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_TRUE(*present);
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/v1/webhooks");
  EXPECT_EQ(reqs[0].param("offset"), "");
  EXPECT_EQ(reqs[0].header("Authorization"), basic());
  EXPECT_EQ(reqs[1].param("offset"), "wh-1");

  // Deleted in Lever: on no page.
  fake_.clear_requests();
  fake_.push("GET /v1/webhooks", 200, first_page);
  fake_.push("GET /v1/webhooks", 200, last_page);
  auto absent = connector_->subscription_exists(ctx_, "wh-5");
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);
  EXPECT_EQ(fake_.requests().size(), 2u);

  // A cursor that repeats itself ends the listing.
  fake_.set("GET /v1/webhooks", 200, R"({"data":[{"id":"wh-1"}],"hasNext":true,"next":"wh-1"})");
  auto looping = connector_->subscription_exists(ctx_, "wh-5");
  ASSERT_TRUE(looping.ok()) << looping.error().message;
  EXPECT_FALSE(*looping);

  fake_.set("GET /v1/webhooks", 401,
            R"({"code":"Unauthorized","message":"Invalid API key lever-key-0123456789"})");
  auto rejected = connector_->subscription_exists(ctx_, "wh-9");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(rejected.error().message.find("Invalid API key"), std::string::npos) << rejected.error().message;
  EXPECT_EQ(rejected.error().message.find("lever-key-0123456789"), std::string::npos);

  fake_.set("GET /v1/webhooks", 403, R"({"code":"Forbidden","message":"Missing scope webhooks:read:admin"})");
  auto refused = connector_->subscription_exists(ctx_, "wh-9");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("webhooks:read:admin"), std::string::npos);
  fake_.set("GET /v1/webhooks", 503, "{}");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "wh-9").error().kind, ErrorKind::kUpstream);
  fake_.set("GET /v1/webhooks", 200, R"({"hasNext":false})");
  EXPECT_EQ(connector_->subscription_exists(ctx_, "wh-9").error().kind, ErrorKind::kUpstream);
}

constexpr const char* kOpportunity = R"({"data":{
  "id": "250d8f03", "name": "Ada King Lovelace", "headline": "Analyst", "contact": "7f6e5d4c",
  "emails": ["ada@example.com"], "phones": [{"type": "mobile", "value": "+44 20 7946 0000"}],
  "location": "London", "links": ["https://linkedin.com/in/ada"], "tags": ["math"],
  "sources": ["LinkedIn"], "stage": "applicant-new", "confidentiality": "non-confidential",
  "createdAt": 1700000000000, "updatedAt": 1700000100000, "archived": null,
  "applications": ["cd8f8f8e"], "urls": {"show": "https://hire.lever.co/candidates/250d8f03"}
}})";

constexpr const char* kPosting = R"({"data":{
  "id": "p-1", "text": "Analyst", "state": "published", "confidentiality": "non-confidential",
  "categories": {"team": "Research", "department": "Science", "location": "Berlin", "commitment": "Full-time",
                 "level": "Senior"},
  "content": {"description": "Count things"}, "workplaceType": "hybrid",
  "salaryRange": {"min": 50000, "max": 70000, "currency": "EUR", "interval": "per-year-salary"},
  "urls": {"show": "https://jobs.lever.co/acme/p-1"},
  "createdAt": 1700000000000, "updatedAt": 1700000100000
}})";

TEST_F(LeverApiTest, FetchesAndMapsAnOpportunity) {
  fake_.set("GET /v1/opportunities/{id}", 200, kOpportunity);
  auto rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "250d8f03");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_TRUE(rec->has_value());
  const bj::object& c = **rec;
  EXPECT_EQ(fake_.requests().at(0).path, "/v1/opportunities/250d8f03");
  EXPECT_EQ(fake_.requests().at(0).header("Authorization"), basic());
  EXPECT_EQ(c.at("id"), bj::value(common::unified_id("int_lv_1", "ats_candidates", "250d8f03")));
  EXPECT_EQ(c.at("first_name"), bj::value("Ada"));
  EXPECT_EQ(c.at("last_name"), bj::value("King Lovelace"));
  EXPECT_EQ(c.at("email_addresses").at(0).at("email_address"), bj::value("ada@example.com"));
  EXPECT_EQ(c.at("phone_numbers").at(0).at("type"), bj::value("mobile"));
  EXPECT_EQ(c.at("title"), bj::value("Analyst"));
  EXPECT_EQ(c.at("confidential"), bj::value(false));
  EXPECT_EQ(c.at("source"), bj::value("LinkedIn"));
  EXPECT_EQ(c.at("remote_created_at"), bj::value("2023-11-14T22:13:20.000Z"));
  EXPECT_EQ(c.at("applications").at(0).at("outcome"), bj::value("PENDING"));
  EXPECT_EQ(c.at("tags").at(0).at("name"), bj::value("math"));
  EXPECT_EQ(c.size(), 20u);  // every field of the unified candidate
}

TEST_F(LeverApiTest, FetchesAndMapsAPosting) {
  fake_.set("GET /v1/postings/{id}", 200, kPosting);
  auto rec = connector_->fetch_record(ctx_, Model::kAtsJobs, "p-1");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_TRUE(rec->has_value());
  const bj::object& j = **rec;
  EXPECT_EQ(fake_.requests().at(0).path, "/v1/postings/p-1");
  EXPECT_EQ(j.at("id"), bj::value(common::unified_id("int_lv_1", "ats_jobs", "p-1")));
  EXPECT_EQ(j.at("name"), bj::value("Analyst"));
  EXPECT_EQ(j.at("status"), bj::value("OPEN"));
  EXPECT_EQ(j.at("visibility"), bj::value("PUBLIC"));
  EXPECT_EQ(j.at("employment_type"), bj::value("FULL_TIME"));
  EXPECT_EQ(j.at("remote_work_status"), bj::value("HYBRID"));
  EXPECT_EQ(j.at("salary_period"), bj::value("YEAR"));
  EXPECT_EQ(j.at("department"), bj::value("Science"));
  EXPECT_EQ(j.size(), 34u);
  for (const auto& [state, unified] : std::vector<std::pair<std::string, std::string>>{
           {"closed", "CLOSED"}, {"draft", "DRAFT"}, {"internal", "OPEN"}, {"ARCHIVED", "ARCHIVED"}}) {
    bj::object p = bj::parse(kPosting).as_object();
    p["data"].as_object()["state"] = state;
    fake_.set("GET /v1/postings/{id}", 200, json::serialize(p));
    auto r = connector_->fetch_record(ctx_, Model::kAtsJobs, "p-1");
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((**r).at("status"), bj::value(unified)) << state;
  }
}

// Lever's own "List all postings" example (testdata/contract/postings_list_response.json): the second posting
// is published on the internal job site only.
TEST_F(LeverApiTest, APublishedPostingOffThePublicSiteIsInternal) {
  fake_.set("GET /v1/postings", 200,
            testing::read_testdata("lever/testdata/contract/postings_list_response.json"));
  auto page = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  EXPECT_EQ(page->records[0].at("visibility").as_string(), "PUBLIC");
  EXPECT_EQ(page->records[1].at("visibility").as_string(), "INTERNAL");
  EXPECT_EQ(page->records[1].at("status").as_string(), "OPEN");
}

TEST_F(LeverApiTest, RecordErrors) {
  fake_.set("GET /v1/opportunities/{id}", 404, R"({"code":"ResourceNotFound"})");
  auto rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "gone");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_FALSE(rec->has_value());

  fake_.set("GET /v1/opportunities/{id}", 200, R"({"data":{"id":"x","deletedAt":1700000000000}})");
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "x");
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->has_value());

  fake_.set("GET /v1/opportunities/{id}", 401, R"({"code":"Unauthorized","message":"Invalid key"})");
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "x");
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().kind, ErrorKind::kUnauthorized);

  fake_.set("GET /v1/opportunities/{id}", 200, kOpportunity);
  fake_.push("GET /v1/opportunities/{id}", 429, R"({"code":"TooManyRequests"})", {{"Retry-After", "0"}});
  fake_.clear_requests();
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "250d8f03");
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_TRUE(rec->has_value());
  EXPECT_EQ(fake_.requests().size(), 2u);

  fake_.set("GET /v1/opportunities/{id}", 429, R"({"code":"TooManyRequests"})", {{"Retry-After", "0"}});
  rec = connector_->fetch_record(ctx_, Model::kAtsCandidates, "250d8f03");
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.error().kind, ErrorKind::kRateLimited);

  fake_.set("GET /v1/opportunities/{id}", 200, R"({"id":"no-envelope"})");
  EXPECT_FALSE(connector_->fetch_record(ctx_, Model::kAtsCandidates, "x").ok());
}

TEST_F(LeverApiTest, ListsAcrossPagesWithOffset) {
  fake_.push(
      "GET /v1/opportunities", 200,
      R"({"data":[{"id":"o1","name":"A B"},{"id":"o2","name":"C"}],"hasNext":true,"next":"0.1700000000000.o2"})");
  fake_.push("GET /v1/opportunities", 200,
             R"({"data":[{"id":"o3","name":"E F"},{"id":"o4","deletedAt":1}],"hasNext":false})");
  auto first = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[1].at("first_name"), bj::value("C"));
  EXPECT_TRUE(first->records[1].at("last_name").is_null());
  EXPECT_EQ(first->next, "0.1700000000000.o2");
  auto second = connector_->list_records(ctx_, Model::kAtsCandidates, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);  // the deleted one is skipped
  EXPECT_EQ(second->records[0].at("remote_id"), bj::value("o3"));
  EXPECT_EQ(second->next, "");
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].param("limit"), "100");
  EXPECT_EQ(reqs[0].param("offset"), "");
  EXPECT_EQ(reqs[1].param("offset"), "0.1700000000000.o2");
  EXPECT_EQ(reqs[1].header("Authorization"), basic());

  // hasNext without a next cursor ends the listing.
  fake_.set("GET /v1/postings", 200,
            std::string(R"({"hasNext":true,"data":[)") +
                std::string(bj::serialize(bj::parse(kPosting).at("data"))) + "]}");
  auto jobs = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->records.size(), 1u);
  EXPECT_EQ(jobs->records[0].at("name"), bj::value("Analyst"));
  EXPECT_EQ(jobs->next, "");

  fake_.set("GET /v1/postings", 401, R"({"code":"Unauthorized"})");
  jobs = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.error().kind, ErrorKind::kUnauthorized);
}

}  // namespace
}  // namespace tributary::connectors
