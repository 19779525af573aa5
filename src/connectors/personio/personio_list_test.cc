// Personio full listings (API v2) against a scripted local Personio: `_meta.links.next.href` followed until
// absent, persons with their employment, absence periods, errors mapped.
#include <gtest/gtest.h>

#include "connectors/common/scripted_api.h"
#include "connectors/personio/personio.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::ScriptedApi;

class PersonioListTest : public testing::ConnectorApiTest {
 protected:
  PersonioListTest() : ConnectorApiTest(register_personio, "personio") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /v2/auth/token", 200,
              R"({"access_token":"at-1","token_type":"Bearer","expires_in":86400})");
    ctx_.integration_id = "personio:test";
    ctx_.credentials = bj::object{{"client_id", "cid"}, {"client_secret", "csecret"}};
  }
};

TEST_F(PersonioListTest, PersonsPageThroughNextHrefWithTheirEmployment) {
  const std::string next = fake_.base_url() + "/v2/persons?limit=50&cursor=c2";
  fake_.set("GET /v2/persons?limit=50", 200,
            R"({"_data": [{"id": "1000001", "first_name": "Ada", "last_name": "L", "email": "ada@x.test"}],
                "_meta": {"links": {"self": {"href": "x"}, "next": {"href": ")" +
                next + R"("}}}})");
  fake_.set("GET /v2/persons?limit=50&cursor=c2", 200,
            R"({"_data": [{"id": "1000002", "first_name": "Bob"}], "_meta": {"links": {}}})");
  fake_.set("GET /v2/persons/1000001/employments", 200,
            R"({"_data": [{"id": "e1", "status": "ACTIVE", "position": {"title": "CTO"}}]})");
  fake_.set("GET /v2/persons/1000002/employments", 200, R"({"_data": []})");

  auto first = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->records[0].at("job_title"), bj::value("CTO"));
  EXPECT_EQ(first->records[0].at("employment_status"), bj::value("ACTIVE"));
  EXPECT_EQ(first->records[0].at("display_full_name"), bj::value("Ada L"));
  EXPECT_EQ(first->next, next);

  auto second = connector_->list_records(ctx_, Model::kHrisEmployees, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_TRUE(second->records[0].at("job_title").is_null());
  EXPECT_TRUE(second->next.empty());
}

TEST_F(PersonioListTest, AbsencePeriodsList) {
  fake_.set("GET /v2/absence-periods?limit=100", 200,
            R"({"_data": [{"id": "a1", "person": {"id": "1000001"}, "approval": {"status": "APPROVED"},
                                "starts_from": {"date_time": "2026-12-01T00:00:00"}}], "_meta": {"links": {}}})");
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].at("status"), bj::value("APPROVED"));
  EXPECT_EQ(page->records[0].at("start_date"), bj::value("2026-12-01"));
  EXPECT_TRUE(page->next.empty());
}

TEST_F(PersonioListTest, ErrorsAndForeignLinks) {
  fake_.set(
      "GET /v2/absence-periods", 200,
      R"({"_data": [], "_meta": {"links": {"next": {"href": "http://203.0.113.9/v2/absence-periods"}}}})");
  auto foreign = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().kind, ErrorKind::kUpstream);

  fake_.set("GET /v2/absence-periods", 200, R"({"data": []})");
  auto shapeless = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_FALSE(shapeless.ok());
  EXPECT_EQ(shapeless.error().kind, ErrorKind::kUpstream);

  fake_.set("GET /v2/persons", 401, R"({"errors":[{"title":"Unauthorized"}]})");
  auto unauthorized = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);
}

TEST_F(PersonioListTest, RateLimitedListWaitsForRetryAfter) {
  // Two 429s with Retry-After: 1 and then the page: the listing waits about two seconds and succeeds.
  fake_.set("GET /v2/absence-periods", 200, R"({"_data": [], "_meta": {"links": {}}})");
  for (int i = 0; i < 2; ++i)
    fake_.push("GET /v2/absence-periods", 429, R"({"errors":[{"title":"Too Many Requests"}]})",
               {{"Retry-After", "1"}});
  const auto started = std::chrono::steady_clock::now();
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(1900));
  int asked = 0;
  for (const auto& r : fake_.requests())
    if (r.path == "/v2/absence-periods") ++asked;
  EXPECT_EQ(asked, 3);
}

}  // namespace
}  // namespace tributary::connectors
