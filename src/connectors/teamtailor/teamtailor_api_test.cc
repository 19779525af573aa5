// Teamtailor's record calls against a real local HTTP server standing in for the Teamtailor JSON:API.
#include <gtest/gtest.h>

#include <functional>

#include "connectors/common/records.h"
#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/teamtailor/teamtailor.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

std::string candidate_json(int id) {
  return R"({"id":")" + std::to_string(id) +
         R"(","type":"candidates","links":{"self":"https://api.teamtailor.com/v1/candidates/)" +
         std::to_string(id) + R"("},"attributes":{"first-name":"Ada","last-name":"Lovelace )" +
         std::to_string(id) + R"(","email":"ada)" + std::to_string(id) +
         R"(@example.com","phone":"+46 70 000 00 00","linkedin-url":"https://www.linkedin.com/in/ada","created-at":"2026-11-20T10:00:00.000+01:00","updated-at":"2026-11-21T10:00:00.000+01:00","tags":["backend","senior"],"sourced":false},"relationships":{"job-applications":{"data":[{"id":"9)" +
         std::to_string(id) + R"(","type":"job-applications"}]}}})";
}

std::string application_json(int candidate_id) {
  return R"({"id":"9)" + std::to_string(candidate_id) +
         R"(","type":"job-applications","attributes":{"created-at":"2026-11-20T10:05:00.000+01:00","updated-at":"2026-11-21T09:00:00.000+01:00","rejected-at":null},"relationships":{"candidate":{"data":{"id":")" +
         std::to_string(candidate_id) +
         R"(","type":"candidates"}},"job":{"data":{"id":"2","type":"jobs"}},"stage":{"data":{"id":"31","type":"stages"}}}})";
}

const std::string kJob =
    R"({"data":{"id":"2","type":"jobs","links":{"careersite-job-url":"https://career.example.com/jobs/2-it-designer"},"attributes":{"title":"IT Designer 1","body":"<p>Job description...</p>","status":"archived","internal":false,"remote-status":"hybrid","employment-type":"fulltime","employment-level":"senior","min-salary":40000,"max-salary":50000,"currency":"EUR","salary-time-unit":"yearly","created-at":"2023-02-08T10:10:13.611+01:00","updated-at":"2023-02-22T22:10:48.705+01:00","tags":[]}}})";

class TeamtailorApiTest : public testing::ConnectorApiTest {
 protected:
  TeamtailorApiTest() : ConnectorApiTest(register_teamtailor, "teamtailor") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    ctx_.credentials["api_key"] = "tt-api-key-abc123";
    ctx_.integration_id = "int_tt_1";
  }

  void expect_auth(const testing::ScriptedRequest& r) const {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.header("Authorization"), "Token token=tt-api-key-abc123");
    EXPECT_EQ(r.header("X-Api-Version"), "20240404");
  }
};

TEST_F(TeamtailorApiTest, FetchesACandidateWithItsApplications) {
  fake_.on("*", [](const http::Request& r) {
    if (r.path != "/v1/candidates/12345") return http::Response::json(404, "{}");
    return http::Response::json(
        200, R"({"data":)" + candidate_json(12345) + R"(,"included":[)" + application_json(12345) + "]}");
  });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsCandidates, "12345");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  ASSERT_TRUE(fetched->has_value());
  const bj::object& c = **fetched;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  expect_auth(reqs[0]);
  EXPECT_EQ(reqs[0].query_param("include").value_or(""), "job-applications");

  EXPECT_EQ(c.at("id").as_string(), common::unified_id("int_tt_1", "ats_candidates", "12345"));
  EXPECT_EQ(c.at("remote_id").as_string(), "12345");
  EXPECT_EQ(c.at("first_name").as_string(), "Ada");
  EXPECT_EQ(c.at("last_name").as_string(), "Lovelace 12345");
  EXPECT_EQ(c.at("email_addresses").as_array().at(0).at("email_address").as_string(), "ada12345@example.com");
  EXPECT_EQ(c.at("phone_numbers").as_array().at(0).at("phone_number").as_string(), "+46 70 000 00 00");
  EXPECT_EQ(c.at("social_media").as_array().at(0).at("link").as_string(), "https://www.linkedin.com/in/ada");
  EXPECT_EQ(c.at("remote_created_at").as_string(), "2026-11-20T09:00:00.000Z");
  EXPECT_EQ(c.at("tags").as_array().size(), 2u);
  EXPECT_TRUE(c.at("changed_at").is_null());
  EXPECT_TRUE(c.at("remote_deleted_at").is_null());
  for (const char* key :
       {"company", "title", "confidential", "source", "location", "custom_fields", "remote_url"})
    EXPECT_TRUE(c.contains(key)) << key;
  const auto& apps = c.at("applications").as_array();
  ASSERT_EQ(apps.size(), 1u);
  const auto& app = apps[0].as_object();
  EXPECT_EQ(app.at("remote_id").as_string(), "912345");
  EXPECT_EQ(app.at("outcome").as_string(), "PENDING");
  EXPECT_EQ(app.at("job").at("id").as_string(), common::unified_id("int_tt_1", "ats_jobs", "2"));
  EXPECT_EQ(app.at("job").at("remote_id").as_string(), "2");
  EXPECT_EQ(app.at("current_stage").at("remote_id").as_string(), "31");
}

TEST_F(TeamtailorApiTest, FetchesAJob) {
  fake_.on("*", [](const http::Request& r) {
    return r.path == "/v1/jobs/2" ? http::Response::json(200, kJob) : http::Response::json(404, "{}");
  });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  ASSERT_TRUE(fetched->has_value());
  const bj::object& j = **fetched;
  expect_auth(fake_.requests().at(0));
  EXPECT_EQ(j.at("id").as_string(), common::unified_id("int_tt_1", "ats_jobs", "2"));
  EXPECT_EQ(j.at("name").as_string(), "IT Designer 1");
  EXPECT_EQ(j.at("status").as_string(), "ARCHIVED");
  EXPECT_EQ(j.at("description").as_string(), "<p>Job description...</p>");
  EXPECT_EQ(j.at("employment_type").as_string(), "FULL_TIME");
  EXPECT_EQ(j.at("remote_work_status").as_string(), "HYBRID");
  EXPECT_EQ(j.at("post_url").as_string(), "https://career.example.com/jobs/2-it-designer");
  EXPECT_EQ(j.at("salary_period").as_string(), "YEAR");
  EXPECT_EQ(j.at("salary_currency").as_string(), "EUR");
  EXPECT_TRUE(j.at("stages").is_array());
  EXPECT_EQ(j.size(), 34u);
}

// Teamtailor's own examples (testdata/contract/get_job.json, list_jobs.json, get_candidate.json): a published
// open job, the list's JSON:API envelope, and a candidate whose relationships carry links only.
TEST_F(TeamtailorApiTest, TheVendorsExamplesMap) {
  fake_.on("*", [](const http::Request& r) {
    if (r.path == "/v1/jobs/7199")
      return http::Response::json(200, testing::read_testdata("teamtailor/testdata/contract/get_job.json"));
    if (r.path == "/v1/jobs")
      return http::Response::json(200, testing::read_testdata("teamtailor/testdata/contract/list_jobs.json"));
    if (r.path.rfind("/v1/candidates/", 0) == 0)
      return http::Response::json(200,
                                  testing::read_testdata("teamtailor/testdata/contract/get_candidate.json"));
    return http::Response::json(404, "{}");
  });
  auto job = connector_->fetch_record(ctx_, Model::kAtsJobs, "7199");
  ASSERT_TRUE(job.ok()) << job.error().message;
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ((**job).at("name").as_string(), "My new job");
  EXPECT_EQ((**job).at("status").as_string(), "OPEN");
  EXPECT_EQ((**job).at("post_url").as_string(), "http://career.teamtailor.com/jobs/7263-yay-horray-3");

  auto listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_FALSE(listed->records.empty());
  for (const auto& r : listed->records)
    EXPECT_FALSE(r.at("remote_id").as_string().empty());

  const bj::value candidate_doc =
      bj::parse(testing::read_testdata("teamtailor/testdata/contract/get_candidate.json"));
  const std::string candidate_id(candidate_doc.at("data").at("id").as_string());
  auto candidate = connector_->fetch_record(ctx_, Model::kAtsCandidates, candidate_id);
  ASSERT_TRUE(candidate.ok()) << candidate.error().message;
  ASSERT_TRUE(candidate->has_value());
  EXPECT_EQ((**candidate).at("remote_id").as_string(), candidate_id);
  EXPECT_TRUE((**candidate).at("first_name").is_string());
}

TEST_F(TeamtailorApiTest, GoneUnauthorizedAndRateLimited) {
  fake_.on("*", [](const http::Request&) {
    return http::Response::json(404, R"({"errors":[{"status":"404"}]})");
  });
  auto fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_TRUE(fetched.ok());
  EXPECT_FALSE(fetched->has_value());

  fake_.on("*", [](const http::Request&) {
    return http::Response::json(401,
                                R"({"errors":[{"status":"401","title":"bad token tt-api-key-abc123"}]})");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(fetched.error().message.find("tt-api-key-abc123"), std::string::npos);

  fake_.on("*", [](const http::Request&) {
    return http::Response::json(403, R"({"errors":[{"status":"403"}]})");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kForbidden);

  // 429 twice, then the record.
  int calls = 0;
  fake_.on("*", [&calls](const http::Request&) {
    if (++calls <= 2) return http::Response::json(429, "{}").with_header("Retry-After", "0");
    return http::Response::json(200, kJob);
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_TRUE(fetched->has_value());
  EXPECT_EQ(calls, 3);

  // Always 429: bounded, then kRateLimited.
  fake_.on("*", [](const http::Request&) {
    return http::Response::json(429, "{}").with_header("Retry-After", "0");
  });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kRateLimited);

  fake_.on("*", [](const http::Request&) { return http::Response::json(500, "{}"); });
  fetched = connector_->fetch_record(ctx_, Model::kAtsJobs, "2");
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.error().kind, ErrorKind::kUpstream);

  // Ids that are not Teamtailor's never reach the network.
  const std::size_t before = fake_.requests().size();
  EXPECT_FALSE(connector_->fetch_record(ctx_, Model::kAtsJobs, "../v1/candidates").ok());
  EXPECT_FALSE(connector_->fetch(ctx_, Model::kAtsJobs, "").ok());
  EXPECT_EQ(fake_.requests().size(), before);
  EXPECT_FALSE(connector_->fetch_record(ctx_, Model::kHrisEmployees, "2").ok());
}

TEST_F(TeamtailorApiTest, ListsEveryPage) {
  // Three pages of candidates: 30, 30, 5.
  fake_.on("*", [this](const http::Request& r) {
    if (r.path != "/v1/candidates") return http::Response::json(404, "{}");
    const int number = std::stoi(r.query_param("page[number]").value_or("0"));
    const int size = std::stoi(r.query_param("page[size]").value_or("0"));
    const int count = number < 3 ? size : 5;
    std::string data, included;
    for (int i = 0; i < count; ++i) {
      const int id = number * 1000 + i;
      data += (i ? "," : "") + candidate_json(id);
      included += (i ? "," : "") + application_json(id);
    }
    std::string next = number < 3 ? "\"" + fake_.base_url() +
                                        "/v1/candidates?page%5Bnumber%5D=" + std::to_string(number + 1) + "\""
                                  : "null";
    return http::Response::json(200, R"({"data":[)" + data + R"(],"included":[)" + included +
                                         R"(],"meta":{"page-count":3},"links":{"next":)" + next + "}}");
  });
  std::vector<bj::object> all;
  int calls = 0;
  ASSERT_NO_FATAL_FAILURE(list_all(Model::kAtsCandidates, all, calls));
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(all.size(), 65u);
  // Each candidate carries only its own application from the page's `included`.
  for (const auto& c : all) {
    ASSERT_EQ(c.at("applications").as_array().size(), 1u);
    EXPECT_EQ(c.at("applications").as_array()[0].at("remote_id").as_string(),
              "9" + std::string(c.at("remote_id").as_string()));
  }
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    expect_auth(reqs[i]);
    EXPECT_EQ(reqs[i].query_param("page[size]").value_or(""), "30");
    EXPECT_EQ(reqs[i].query_param("page[number]").value_or(""), std::to_string(i + 1));
  }
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsCandidates, "abc").ok());
  EXPECT_FALSE(connector_->list_records(ctx_, Model::kAtsCandidates, "0").ok());
}

// Teamtailor's examples show relationships with links only: an included application need not name its
// candidate. The candidates' linkage (relationships.job-applications.data, which a compound document carries
// for every included resource) still gives each candidate exactly its own applications.
TEST_F(TeamtailorApiTest, IncludedApplicationsGoToTheCandidateThatLinksThem) {
  auto links_only = [](int candidate_id) {
    const std::string id = "9" + std::to_string(candidate_id);
    const std::string self = "https://api.teamtailor.com/v1/job-applications/" + id;
    return R"({"id":")" + id +
           R"(","type":"job-applications","attributes":{"created-at":"2026-11-20T10:05:00.000+01:00"},"relationships":{"candidate":{"links":{"self":")" +
           self + R"(/relationships/candidate","related":")" + self + R"(/candidate"}}}})";
  };
  fake_.on("*", [&](const http::Request& r) {
    if (r.path != "/v1/candidates") return http::Response::json(404, "{}");
    return http::Response::json(200, R"({"data":[)" + candidate_json(1) + "," + candidate_json(2) +
                                         R"(],"included":[)" + links_only(1) + "," + links_only(2) +
                                         R"(],"meta":{"page-count":1},"links":{"next":null}})");
  });
  auto page = connector_->list_records(ctx_, Model::kAtsCandidates, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 2u);
  for (const auto& c : page->records) {
    ASSERT_EQ(c.at("applications").as_array().size(), 1u) << json::serialize(c);
    EXPECT_EQ(c.at("applications").as_array()[0].at("remote_id").as_string(),
              "9" + std::string(c.at("remote_id").as_string()));
  }
}

TEST_F(TeamtailorApiTest, ListErrors) {
  fake_.on("*", [](const http::Request&) { return http::Response::json(401, "{}"); });
  auto listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kUnauthorized);
  fake_.on("*", [](const http::Request&) { return http::Response::json(200, R"({"data":{}})"); });
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kUpstream);
  fake_.on("*", [](const http::Request& r) {
    EXPECT_EQ(r.path, "/v1/jobs");
    return http::Response::json(200, R"({"data":[],"links":{}})");
  });
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->records.empty());
  EXPECT_TRUE(listed->next.empty());
  // Without links, meta.page-count tells whether another page follows.
  fake_.on("*", [](const http::Request& r) {
    const std::string number = r.query_param("page[number]").value_or("");
    return http::Response::json(200, R"({"data":[{"id":")" + number +
                                         R"(","type":"jobs","attributes":{}}],"meta":{"page-count":2}})");
  });
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->next, "2");
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "2");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->records.size(), 1u);
  EXPECT_EQ(listed->records[0].at("remote_id").as_string(), "2");
  EXPECT_TRUE(listed->next.empty());
  ctx_.credentials.erase("api_key");
  listed = connector_->list_records(ctx_, Model::kAtsJobs, "");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace tributary::connectors
