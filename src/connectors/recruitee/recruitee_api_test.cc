// Recruitee's record calls against a real local HTTP server standing in for the Recruitee API.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/recruitee/recruitee.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

std::string candidate_json(int id) {
  const std::string n = std::to_string(id);
  return R"({"id":)" + n + R"(,"name":"Ada Lovelace )" + n + R"(","emails":["ada)" + n +
         R"(@example.com"],"phones":["+31 20 000 0000"],"social_links":["https://www.linkedin.com/in/ada"],"source":"LinkedIn","tags":["backend"],"created_at":"2026-11-20T10:00:00.000000Z","updated_at":"2026-11-21T10:00:00.000000Z","placements":[{"id":5)" +
         n +
         R"(,"offer_id":812,"stage_id":31,"created_at":"2026-11-20T10:05:00.000000Z","updated_at":"2026-11-21T09:00:00.000000Z","disqualified_at":null,"hired_at":null}]})";
}

const std::string kOffer =
    R"({"id":812,"title":"Backend Engineer","status":"published","kind":"job","description":"<p>Build things</p>","department":"Engineering","city":"Amsterdam","country":"Netherlands","location":"Amsterdam, Netherlands","remote":true,"employment_type":"fulltime","careers_url":"https://example.recruitee.com/o/backend-engineer","created_at":"2026-11-01T09:00:00.000000Z","updated_at":"2026-11-02T09:00:00.000000Z"})";

class RecruiteeApiTest : public testing::ConnectorApiTest {
 protected:
  RecruiteeApiTest() : ConnectorApiTest(register_recruitee, "recruitee") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    ctx_.credentials["api_key"] = "rt-api-key-xyz789";
    ctx_.credentials["company_id"] = "77";
    ctx_.integration_id = "int_rt_1";
  }

  void expect_auth(const testing::ScriptedRequest& r) const {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.header("Authorization"), "Bearer rt-api-key-xyz789");
  }
};

TEST_F(RecruiteeApiTest, FetchesACandidate) {
  fake_.on("*", [](const http::Request& r) {
    if (r.path != "/c/77/candidates/2345") return http::Response::json(404, R"({"error":"not found"})");
    return http::Response::json(200, R"({"candidate":)" + candidate_json(2345) + R"(,"references":[]})");
  });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "2345");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  ASSERT_TRUE(fetched->has_value());
  expect_auth(fake_.requests().at(0));
  const bj::object& c = **fetched;
  EXPECT_EQ(c.at("id").as_string(), common::unified_id("int_rt_1", "ats_candidates", "2345"));
  EXPECT_EQ(c.at("remote_id").as_string(), "2345");
  EXPECT_EQ(c.at("first_name").as_string(), "Ada");
  EXPECT_EQ(c.at("last_name").as_string(), "Lovelace 2345");
  EXPECT_EQ(c.at("email_addresses").as_array().at(0).at("email_address").as_string(), "ada2345@example.com");
  EXPECT_EQ(c.at("phone_numbers").as_array().at(0).at("phone_number").as_string(), "+31 20 000 0000");
  EXPECT_EQ(c.at("source").as_string(), "LinkedIn");
  EXPECT_EQ(c.at("tags").as_array().at(0).at("name").as_string(), "backend");
  EXPECT_EQ(c.at("remote_created_at").as_string(), "2026-11-20T10:00:00.000Z");
  EXPECT_TRUE(c.at("changed_at").is_null());
  const auto& app = c.at("applications").as_array().at(0).as_object();
  EXPECT_EQ(app.at("remote_id").as_string(), "52345");
  EXPECT_EQ(app.at("outcome").as_string(), "PENDING");
  EXPECT_EQ(app.at("job").at("id").as_string(), common::unified_id("int_rt_1", "ats_jobs", "812"));
  EXPECT_EQ(app.at("current_stage").at("remote_id").as_string(), "31");
  EXPECT_EQ(c.size(), 20u);

  // Explicit first/last names win over the split of `name`.
  fake_.on("*", [](const http::Request&) {
    return http::Response::json(
        200, R"({"candidate":{"id":9,"name":"Mary Ann Evans","first_name":"George","last_name":"Eliot"}})");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "9");
  ASSERT_TRUE(fetched.ok() && fetched->has_value());
  EXPECT_EQ((**fetched).at("first_name").as_string(), "George");
  EXPECT_EQ((**fetched).at("last_name").as_string(), "Eliot");
}

TEST_F(RecruiteeApiTest, FetchesAnOfferAsAJob) {
  fake_.on("*", [](const http::Request& r) {
    if (r.path != "/c/77/offers/812") return http::Response::json(404, "{}");
    return http::Response::json(200, R"({"offer":)" + kOffer + "}");
  });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "812");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  ASSERT_TRUE(fetched->has_value());
  expect_auth(fake_.requests().at(0));
  const bj::object& j = **fetched;
  EXPECT_EQ(j.at("id").as_string(), common::unified_id("int_rt_1", "ats_jobs", "812"));
  EXPECT_EQ(j.at("name").as_string(), "Backend Engineer");
  EXPECT_EQ(j.at("status").as_string(), "OPEN");
  EXPECT_EQ(j.at("visibility").as_string(), "PUBLIC");
  EXPECT_EQ(j.at("department").as_string(), "Engineering");
  EXPECT_EQ(j.at("employment_type").as_string(), "FULL_TIME");
  EXPECT_EQ(j.at("remote_work_status").as_string(), "REMOTE");
  EXPECT_EQ(j.at("location").at("city").as_string(), "Amsterdam");
  EXPECT_EQ(j.at("post_url").as_string(), "https://example.recruitee.com/o/backend-engineer");
  EXPECT_EQ(j.size(), 34u);
  for (const auto& [status, expected] : std::vector<std::pair<std::string, std::string>>{
           {"draft", "DRAFT"}, {"closed", "CLOSED"}, {"archived", "ARCHIVED"}, {"internal", "OPEN"}}) {
    fake_.on("*", [status = status](const http::Request&) {
      return http::Response::json(200, R"({"offer":{"id":812,"title":"x","status":")" + status + R"("}})");
    });
    fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "812");
    ASSERT_TRUE(fetched.ok() && fetched->has_value());
    EXPECT_EQ((**fetched).at("status").as_string(), expected) << status;
  }
}

TEST_F(RecruiteeApiTest, GoneUnauthorizedForbiddenAndRateLimited) {
  fake_.on("*", [](const http::Request&) { return http::Response::json(404, R"({"error":"Not found"})"); });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "1");
  ASSERT_TRUE(fetched.ok());
  EXPECT_FALSE(fetched->has_value());

  fake_.on("*", [](const http::Request&) {
    return http::Response::json(401, R"({"error":"Unauthorized rt-api-key-xyz789"})");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "1");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(fetched.error().message.find("rt-api-key-xyz789"), std::string::npos);

  fake_.on("*", [](const http::Request&) { return http::Response::json(403, R"({"error":"Forbidden"})"); });
  fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "1");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kForbidden);

  int calls = 0;
  fake_.on("*", [&calls](const http::Request&) {
    if (++calls == 1) return http::Response::json(429, "{}").with_header("Retry-After", "0");
    return http::Response::json(200, R"({"offer":)" + kOffer + "}");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "812");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_TRUE(fetched->has_value());
  EXPECT_EQ(calls, 2);

  fake_.on("*", [](const http::Request&) {
    return http::Response::json(429, "{}").with_header("Retry-After", "0");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "812");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kRateLimited);

  const std::size_t before = fake_.requests().size();
  EXPECT_FALSE(connector_->fetch_record(ctx_, Model::kAtsJobs, "../offers").ok());
  EXPECT_EQ(fake_.requests().size(), before);
  ctx_.credentials.erase("company_id");
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "812");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(fetched.error().message.find("company_id"), std::string::npos);
}

TEST_F(RecruiteeApiTest, ListsCandidatesByOffset) {
  // 100, 100, then 20 candidates.
  fake_.on("*", [](const http::Request& r) {
    if (r.path != "/c/77/candidates") return http::Response::json(404, "{}");
    const int limit = std::stoi(r.query_param("limit").value_or("0"));
    const int offset = std::stoi(r.query_param("offset").value_or("-1"));
    const int total = 220;
    std::string items;
    for (int i = offset; i < std::min(total, offset + limit); ++i)
      items += (i == offset ? "" : ",") + candidate_json(1000 + i);
    return http::Response::json(200, R"({"candidates":[)" + items + "]}");
  });
  std::vector<bj::object> all;
  int calls = 0;
  ASSERT_NO_FATAL_FAILURE(list_all(Model::kAtsCandidates, all, calls));
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(all.size(), 220u);
  EXPECT_EQ(all.front().at("remote_id").as_string(), "1000");
  EXPECT_EQ(all.back().at("remote_id").as_string(), "1219");
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    expect_auth(reqs[i]);
    EXPECT_EQ(reqs[i].query_param("limit").value_or(""), "100");
    EXPECT_EQ(reqs[i].query_param("offset").value_or(""), std::to_string(i * 100));
  }
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsCandidates, "x1").ok());
}

// A real answer (Recruitee's sample candidates, testdata/contract/candidates_list_response.sample.json): John
// Doe's placement is disqualified (disqualify_kind, disqualify_reason, no disqualified_at), Wilma
// Roelendsen's hired.
TEST_F(RecruiteeApiTest, ReadsOutcomesOfARealAnswer) {
  fake_.set("GET /c/77/candidates", 200,
            testing::read_testdata("recruitee/testdata/contract/candidates_list_response.sample.json"));
  auto page = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 3u);
  std::map<std::string, bj::object> application_of;
  for (const auto& c : page->records)
    application_of[std::string(c.at("remote_id").as_string())] = c.at("applications").at(0).as_object();
  EXPECT_EQ(application_of["46044144"].at("outcome").as_string(), "HIRED");
  EXPECT_EQ(application_of["46044126"].at("outcome").as_string(), "DECLINED");
  EXPECT_EQ(application_of["46044126"].at("rejection_reason_name").as_string(), "Wrong skill set");
  EXPECT_EQ(application_of["46044140"].at("outcome").as_string(), "PENDING");
  // Stage and job names come from the answer's "references".
  EXPECT_EQ(application_of["46044144"].at("current_stage").at("name").as_string(), "Hired");
  EXPECT_EQ(application_of["46044144"].at("job").at("name").as_string(), "Recruiter (Sample)");
  EXPECT_EQ(application_of["46044126"].at("current_stage").at("name").as_string(), "Applied");
  EXPECT_EQ(application_of["46044126"].at("job").at("name").as_string(), "Senior Marketer (Sample)");
}

TEST_F(RecruiteeApiTest, ListsOffers) {
  fake_.on("*", [](const http::Request& r) {
    if (r.path != "/c/77/offers") return http::Response::json(404, "{}");
    return http::Response::json(
        200, R"({"offers":[)" + kOffer + R"(,{"id":813,"title":"Designer","status":"draft"},{"no":"id"}]})");
  });
  auto listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->records.size(), 2u);
  EXPECT_EQ(listed->records[1].at("status").as_string(), "DRAFT");
  EXPECT_TRUE(listed->next.empty());
  expect_auth(fake_.requests().at(0));

  fake_.on("*", [](const http::Request&) { return http::Response::json(401, "{}"); });
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kUnauthorized);
  fake_.on("*", [](const http::Request&) { return http::Response::json(200, R"({"offers":{}})"); });
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kUpstream);
}

}  // namespace
}  // namespace tributary::connectors
