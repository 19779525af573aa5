// Greenhouse full listings (Harvest v3) against a scripted local Harvest: per_page on the first request only,
// the next page only from the Link header, candidates with their applications, errors mapped.
#include <gtest/gtest.h>

#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/greenhouse/greenhouse.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/message.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

class GreenhouseApiTest : public testing::ConnectorApiTest {
 protected:
  GreenhouseApiTest() : ConnectorApiTest(register_greenhouse, "greenhouse") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    // Greenhouse's authorization host is not the Harvest host: a scripted server of its own.
    ASSERT_TRUE(auth_.start().ok());
    auth_.set("POST /token", 200, R"({"access_token":"tok-123","token_type":"Bearer","expires_in":3600})");
    ctx_.auth_url = auth_.base_url();
    ctx_.base_url = fake_.base_url() + "/v3";
    ctx_.integration_id = "greenhouse:test";
    ctx_.credentials = bj::object{{"client_id", "cid"}, {"client_secret", "csecret"}, {"user_id", "42"}};
  }

  ScriptedApi auth_;
};

// https://harvestdocs.greenhouse.io/docs/authentication (testdata/contract/token_request.txt): POST
// https://auth.greenhouse.io/token, HTTP Basic client_id:client_secret, form grant_type=client_credentials
// and sub=<user id>; then Bearer calls to https://harvest.greenhouse.io/v3/…. The token must be asked of the
// authorization host, never of the Harvest host.
TEST_F(GreenhouseApiTest, TheTokenComesFromTheAuthorizationHostAndHarvestGetsOnlyBearerCalls) {
  EXPECT_EQ(connector_->default_auth_url({}), "https://auth.greenhouse.io");
  EXPECT_EQ(connector_->default_base_url({}), "https://harvest.greenhouse.io/v3");
  fake_.set("GET /v3/jobs", 200, R"([{"id": 11, "name": "Engineer"}])");
  fake_.set("GET /v3/job_posts", 200, "[]");
  auto listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(listed.ok()) << listed.error().message;

  auto tokens = auth_.requests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].method, "POST");
  EXPECT_EQ(tokens[0].path, "/token");
  EXPECT_EQ(tokens[0].header("Authorization"), "Basic " + crypto::base64_encode("cid:csecret"));
  EXPECT_EQ(tokens[0].header("Content-Type"), "application/x-www-form-urlencoded");
  const auto form = http::parse_query(tokens[0].body);
  EXPECT_EQ(form, (std::vector<std::pair<std::string, std::string>>{{"grant_type", "client_credentials"},
                                                                    {"sub", "42"}}));
  for (const auto& r : fake_.requests()) {
    EXPECT_NE(r.path, "/token") << "the token was asked of the Harvest host";
    EXPECT_EQ(r.header("Authorization"), "Bearer tok-123");
  }
}

// Both answers third-party clients report for the token endpoint carry access_token; either works.
TEST_F(GreenhouseApiTest, EitherDocumentedTokenAnswerIsAccepted) {
  fake_.set("GET /v3/jobs", 200, "[]");
  for (const char* file : {"token_response.json", "token_response_expires_at.json"}) {
    auth_.set("POST /token", 200,
              testing::read_testdata(std::string("greenhouse/testdata/contract/") + file));
    auto listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
    EXPECT_TRUE(listed.ok()) << file << ": " << listed.error().message;
  }
  auth_.set("POST /token", 401,
            testing::read_testdata("greenhouse/testdata/contract/token_error_invalid_client.json"));
  auto refused = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
}

TEST_F(GreenhouseApiTest, FollowsTheLinkHeaderAndAsksPerPageOnlyFirst) {
  const std::string next = fake_.base_url() + "/v3/jobs?cursor=abc";
  fake_.set("GET /v3/jobs?per_page=100", 200,
            R"([{"id": 11, "name": "Engineer", "status": "open"}, {"id": 12, "name": "Designer"}])",
            {{"Link", "<" + next + ">; rel=\"next\""}});
  fake_.set("GET /v3/jobs?cursor=abc", 200, R"([{"id": 13, "name": "Writer", "status": "closed"}])");

  auto first = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].at("remote_id"), bj::value("11"));
  EXPECT_EQ(first->records[0].at("status"), bj::value("OPEN"));
  EXPECT_EQ(first->next, next);

  auto second = connector_->list_records(ctx_, Model::kAtsJobs, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->records[0].at("name"), bj::value("Writer"));
  EXPECT_TRUE(second->next.empty());

  std::vector<std::string> targets;
  for (const auto& r : fake_.requests()) {
    if (r.path == "/v3/jobs") {
      targets.push_back(r.target);
      EXPECT_EQ(r.header("Authorization"), "Bearer tok-123");
    }
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/v3/jobs?per_page=100", "/v3/jobs?cursor=abc"}));
}

TEST_F(GreenhouseApiTest, CandidatesComeWithTheirApplications) {
  fake_.set("GET /v3/candidates", 200,
            R"([{"id": 1, "first_name": "Ada", "application_ids": [101, 102]},
                     {"id": 2, "first_name": "Bob", "application_ids": []}])");
  fake_.set("GET /v3/applications", 200,
            R"([{"id": 101, "status": "active", "jobs": [{"id": 11, "name": "Engineer"}]},
                     {"id": 102, "status": "rejected"}])");
  auto page = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  const auto& apps = page->records[0].at("applications").as_array();
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].at("outcome"), bj::value("PENDING"));
  EXPECT_EQ(apps[1].at("outcome"), bj::value("DECLINED"));
  EXPECT_TRUE(page->records[1].at("applications").as_array().empty());
  bool asked = false;
  for (const auto& r : fake_.requests())
    if (r.path == "/v3/applications") asked = r.query_param("ids") == std::optional<std::string>("101,102");
  EXPECT_TRUE(asked);
}

// A job's posts are their own resource in Harvest v3: read through the parent-resource filter, one request
// per page of jobs, and mapped to job_postings (live = ACTIVE); job_published follows them.
TEST_F(GreenhouseApiTest, JobsComeWithTheirPostsAndArePublishedWhenAPostIsLive) {
  fake_.set("GET /v3/jobs", 200, R"([{"id": 11, "name": "Engineer"}, {"id": 12, "name": "Designer"}])");
  const std::string more = fake_.base_url() + "/v3/job_posts?cursor=p2";
  fake_.set("GET /v3/job_posts?per_page=100&job_ids=11,12", 200,
            R"([{"id": 501, "job_id": 11, "title": "Engineer, Berlin", "live": true, "external": true,
                 "internal": false, "content": "<p>Build</p>"}])",
            {{"Link", "<" + more + ">; rel=\"next\""}});
  fake_.set("GET /v3/job_posts?cursor=p2", 200,
            R"([{"id": 502, "job_id": 11, "title": "Engineer, internal", "live": false, "external": false,
                 "internal": true},
                {"id": 503, "job_id": 12, "title": "Designer", "live": false, "external": true}])");
  auto page = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  const auto& engineer = page->records[0].at("job_postings").as_array();
  ASSERT_EQ(engineer.size(), 2u);
  EXPECT_EQ(engineer[0].at("remote_id"), bj::value("501"));
  EXPECT_EQ(engineer[0].at("status"), bj::value("ACTIVE"));
  EXPECT_EQ(engineer[0].at("visibility"), bj::value("PUBLIC"));
  EXPECT_EQ(engineer[0].at("description_html"), bj::value("<p>Build</p>"));
  EXPECT_EQ(engineer[1].at("status"), bj::value("INACTIVE"));
  EXPECT_EQ(engineer[1].at("visibility"), bj::value("INTERNAL"));
  EXPECT_NE(engineer[0].at("id"), engineer[1].at("id"));
  const auto& designer = page->records[1].at("job_postings").as_array();
  ASSERT_EQ(designer.size(), 1u);
  EXPECT_EQ(designer[0].at("remote_id"), bj::value("503"));

  EXPECT_EQ(connector_->job_published(page->records[0]), std::optional<bool>(true));
  EXPECT_EQ(connector_->job_published(page->records[1]), std::optional<bool>(false));

  int post_requests = 0;
  for (const auto& r : fake_.requests())
    if (r.path == "/v3/job_posts") ++post_requests;
  EXPECT_EQ(post_requests, 2);

  // One job fetched by id gets its posts the same way; a tool without job posts (404) leaves them empty.
  fake_.set("GET /v3/jobs", 200, R"([{"id": 12, "name": "Designer"}])");
  fake_.set("GET /v3/job_posts?per_page=100&job_ids=12", 404, R"({"error":"not found"})");
  auto one = connector_->fetch_record(ctx_, Model::kAtsJobs, "12");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(one->has_value());
  EXPECT_TRUE((**one).at("job_postings").as_array().empty());
}

TEST_F(GreenhouseApiTest, ErrorsAreMappedAndForeignLinksRefused) {
  fake_.set("GET /v3/jobs", 200, "[]", {{"Link", "<http://198.51.100.7/v3/jobs?cursor=x>; rel=\"next\""}});
  auto foreign = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().kind, ErrorKind::kUpstream);
  auto forged = connector_->list_records(ctx_, Model::kAtsJobs, "http://198.51.100.7/v3/jobs?cursor=x");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, ErrorKind::kInvalidArgument);

  fake_.set("GET /v3/jobs", 401, R"({"error":"bad token"})");
  auto unauthorized = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);

  auth_.set("POST /token", 401, R"({"error":"invalid_client"})");
  auto token = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(token.error().message.find("csecret"), std::string::npos);

  auto unsupported = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace tributary::connectors
