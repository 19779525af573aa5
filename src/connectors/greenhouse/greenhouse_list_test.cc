// Greenhouse full listings (Harvest v3) against a scripted local Harvest: per_page on the first request only,
// the next page only from the Link header, candidates with their applications, errors mapped.
#include <gtest/gtest.h>

#include "connectors/common/scripted_api.h"
#include "connectors/greenhouse/greenhouse.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

class GreenhouseListTest : public testing::ConnectorApiTest {
 protected:
  GreenhouseListTest() : ConnectorApiTest(register_greenhouse, "greenhouse") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /token", 200, R"({"access_token":"tok-123","token_type":"Bearer","expires_in":3600})");
    ctx_.base_url = fake_.base_url() + "/v3";
    ctx_.integration_id = "greenhouse:test";
    ctx_.credentials = bj::object{{"client_id", "cid"}, {"client_secret", "csecret"}, {"user_id", "42"}};
  }
};

TEST_F(GreenhouseListTest, FollowsTheLinkHeaderAndAsksPerPageOnlyFirst) {
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

TEST_F(GreenhouseListTest, CandidatesComeWithTheirApplications) {
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

TEST_F(GreenhouseListTest, ErrorsAreMappedAndForeignLinksRefused) {
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

  fake_.set("POST /token", 401, R"({"error":"invalid_client"})");
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
