// The connectors' record side against the simulated tools: each fetch maps the tool's record to the unified
// model with every required field present, gone records are nullopt, and 429 / 401 are handled; plus the
// processor's targeted fetch writing records, unified ids in the events and data-changed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/common/records.h"
#include "connectors/registry.h"
#include "sim/simulator.h"
#include "testing/test_support.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

// Every field the Kombo SDK requires (connectors::model_fields, from shared/kombo-models.md) is present, and
// no key the model does not have (a misspelt field would be silently ignored by the SDK).
void expect_keys(const bj::object& record, Model model) {
  for (const ModelField& f : model_fields(model)) {
    if (!f.required) continue;
    EXPECT_TRUE(record.contains(f.name)) << "missing " << f.name << " in " << bj::serialize(record);
  }
  for (const auto& key : check_record(model, record).unknown)
    ADD_FAILURE() << to_string(model) << " has no field " << key << ": " << bj::serialize(record);
}

class RecordFetchTest : public ::testing::Test {
 protected:
  void start(const std::string& tool, std::string_view credentials) {
    sim_ = sim::make_simulator(tool, sim::SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    client_ = loopback_client();
    // The connector is called without an API budget here: the simulated tool's limits are switched off.
    auto off = call(*client_, "POST", sim_->base_url() + "/_sim/limits", R"({"enforce": false})");
    ASSERT_EQ(off.status, 200) << off.body;
    connector_ = builtin_registry().find(tool);
    ASSERT_NE(connector_, nullptr);
    ctx_.client = client_.get();
    ctx_.base_url = sim_->base_url();
    ctx_.auth_url = sim_->auth_base_url();
    ctx_.timeout = std::chrono::milliseconds(5000);
    ctx_.integration_id = tool + ":test";
    ctx_.credentials = bj::parse(credentials).as_object();
  }
  void TearDown() override {
    if (sim_) sim_->stop();
  }
  std::string create(const std::string& model, const std::string& body) {
    auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/" + model, body);
    EXPECT_TRUE(reply.status == 200 || reply.status == 201) << reply.status << reply.body << reply.error;
    auto parsed = bj::parse(reply.body);
    const auto& data = parsed.as_object().contains("data") ? parsed.at("data") : parsed;
    return std::string(data.at("remote_id").as_string());
  }
  bj::object fetch(Model model, const std::string& remote_id) {
    auto got = connector_->fetch_record(ctx_, model, remote_id);
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok() || !*got) {
      ADD_FAILURE() << "no record " << remote_id;
      return {};
    }
    return **got;
  }

  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<http::CurlClient> client_;
  const Connector* connector_ = nullptr;
  ApiContext ctx_;
};

// Personio's connector asks the token endpoint once for an integration's fetches, not before every fetch (the
// endpoint allows 150 requests a minute); another integration gets a token of its own.
TEST_F(RecordFetchTest, PersonioFetchesReuseTheIntegrationsAccessToken) {
  start("personio", kPersonioCredentials);
  auto tokens_issued = [&] {
    auto reply = call(*client_, "GET", sim_->base_url() + "/_sim/secrets");
    EXPECT_EQ(reply.status, 200) << reply.body;
    const bj::value secrets = bj::parse(reply.body);
    int n = 0;
    for (const auto& s : secrets.as_array())
      n += s.at("kind") == bj::value("access token") ? 1 : 0;
    return n;
  };
  std::vector<std::string> people;
  for (int i = 0; i < 3; ++i)
    people.push_back(
        create("hris_employees", R"({"first_name":"P)" + std::to_string(i) + R"(","last_name":"T"})"));
  for (const auto& person : people)
    EXPECT_EQ(fetch(Model::kHrisEmployees, person).at("remote_id"), bj::value(person));
  EXPECT_EQ(tokens_issued(), 1);
  ctx_.integration_id = "personio:another";
  EXPECT_EQ(fetch(Model::kHrisEmployees, people.front()).at("remote_id"), bj::value(people.front()));
  EXPECT_EQ(tokens_issued(), 2);
}

TEST_F(RecordFetchTest, PersonioEmployeeAndAbsenceMapToTheUnifiedModels) {
  start("personio", kPersonioCredentials);
  ASSERT_TRUE(connector_->supports_records(Model::kHrisEmployees));
  ASSERT_FALSE(connector_->supports_records(Model::kAtsJobs));
  const std::string person = create(
      "hris_employees",
      R"({"first_name":"Ada","last_name":"Lovelace","work_email":"ada@acme.test","job_title":"Engineer"})");
  bj::object e = fetch(Model::kHrisEmployees, person);
  expect_keys(e, Model::kHrisEmployees);
  EXPECT_EQ(e.at("id"), bj::value(common::unified_id("personio:test", "hris_employees", person)));
  EXPECT_EQ(e.at("remote_id"), bj::value(person));
  EXPECT_EQ(e.at("first_name"), bj::value("Ada"));
  EXPECT_EQ(e.at("last_name"), bj::value("Lovelace"));
  EXPECT_EQ(e.at("display_full_name"), bj::value("Ada Lovelace"));
  EXPECT_EQ(e.at("work_email"), bj::value("ada@acme.test"));
  EXPECT_EQ(e.at("job_title"), bj::value("Engineer"));
  EXPECT_EQ(e.at("employment_status"), bj::value("ACTIVE"));
  EXPECT_TRUE(e.at("remote_created_at").is_string());

  const std::string absence = create(
      "hris_absences", R"({"employee_remote_id":")" + person +
                           R"(","start_date":"2026-12-01","end_date":"2026-12-03","status":"APPROVED"})");
  bj::object a = fetch(Model::kHrisAbsences, absence);
  expect_keys(a, Model::kHrisAbsences);
  EXPECT_EQ(a.at("employee_id"), e.at("id"));
  EXPECT_EQ(a.at("start_date"), bj::value("2026-12-01"));
  EXPECT_EQ(a.at("end_date"), bj::value("2026-12-03"));
  EXPECT_EQ(a.at("status"), bj::value("APPROVED"));
  ASSERT_TRUE(a.at("type").is_object());
  EXPECT_EQ(a.at("type").at("id"), a.at("type_id"));

  ASSERT_EQ(call(*client_, "DELETE", sim_->base_url() + "/_sim/hris_employees/" + person).status, 200);
  auto gone = connector_->fetch_record(ctx_, Model::kHrisEmployees, person);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_FALSE(*gone);
}

TEST_F(RecordFetchTest, GreenhouseCandidateAndJobMapToTheUnifiedModels) {
  start("greenhouse", kGreenhouseCredentials);
  const std::string job = create("ats_jobs", R"({"name":"Platform Engineer","job_code":"ENG-7"})");
  bj::object j = fetch(Model::kAtsJobs, job);
  expect_keys(j, Model::kAtsJobs);
  EXPECT_EQ(j.at("name"), bj::value("Platform Engineer"));
  EXPECT_EQ(j.at("job_code"), bj::value("ENG-7"));
  EXPECT_EQ(j.at("status"), bj::value("OPEN"));

  const std::string candidate =
      create("ats_candidates",
             R"({"first_name":"Grace","last_name":"Hopper","email":"grace@x.test","job_remote_id":")" + job +
                 R"("})");
  bj::object c = fetch(Model::kAtsCandidates, candidate);
  expect_keys(c, Model::kAtsCandidates);
  EXPECT_EQ(c.at("first_name"), bj::value("Grace"));
  ASSERT_EQ(c.at("email_addresses").as_array().size(), 1u);
  EXPECT_EQ(c.at("email_addresses").at(0).at("email_address"), bj::value("grace@x.test"));
  // The application, read from Harvest's applications resource.
  ASSERT_EQ(c.at("applications").as_array().size(), 1u) << bj::serialize(c);
  const auto& app = c.at("applications").at(0).as_object();
  EXPECT_EQ(app.at("outcome"), bj::value("PENDING"));
  EXPECT_EQ(app.at("job").at("remote_id"), bj::value(job));
  EXPECT_EQ(app.at("job").at("id"), j.at("id"));
  EXPECT_TRUE(app.at("current_stage").is_object());
  EXPECT_TRUE(app.contains("changed_at"));
  EXPECT_TRUE(app.at("remote_created_at").is_string());
  EXPECT_TRUE(c.at("source").is_string());

  auto missing = connector_->fetch_record(ctx_, Model::kAtsCandidates, "999999999");
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_FALSE(*missing);
}

TEST(RecordFetchFaultsTest, RetriesAfter429AndReports401) {
  FakeEndpoint tool;
  auto client = loopback_client();
  const Connector* personio = builtin_registry().find("personio");
  ApiContext ctx;
  ctx.client = client.get();
  ctx.base_url = tool.url("");
  ctx.integration_id = "personio:test";
  ctx.credentials = bj::parse(kPersonioCredentials).as_object();
  const std::string token = R"({"access_token":"tok","token_type":"Bearer","expires_in":60})";
  tool.then({200, {}, token})
      .then({429, {{"Retry-After", "0"}}, R"({"error":"slow down"})"})
      .then({200, {}, R"({"id":"7","first_name":"Ada","last_name":null,"email":null,"created_at":null})"})
      .then({200, {}, R"({"_data":[]})"});
  auto got = personio->fetch_record(ctx, Model::kHrisEmployees, "7");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(*got);
  EXPECT_EQ((**got).at("first_name"), bj::value("Ada"));
  EXPECT_EQ(tool.received().size(), 4u);

  // The token is reused; when the tool refuses it, a new one is asked for and the read made once more.
  tool.then({401, {}, R"({"error":"no"})"}).then({200, {}, token}).then({401, {}, R"({"error":"no"})"});
  auto denied = personio->fetch_record(ctx, Model::kHrisEmployees, "7");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(tool.received().size(), 7u);

  tool.then({429, {{"Retry-After", "0"}}, "{}"})
      .then({429, {{"Retry-After", "0"}}, "{}"})
      .then({429, {{"Retry-After", "0"}}, "{}"});
  auto limited = personio->fetch_record(ctx, Model::kHrisEmployees, "7");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().kind, ErrorKind::kRateLimited);
}

TEST(UnifiedIdTest, IsStableAndDistinct) {
  const auto a = common::unified_id("personio:a", "hris_employees", "1");
  EXPECT_EQ(a.size(), 22u);
  EXPECT_EQ(a, common::unified_id("personio:a", "hris_employees", "1"));
  EXPECT_NE(a, common::unified_id("personio:a", "hris_employees", "2"));
  EXPECT_NE(a, common::unified_id("personio:b", "hris_employees", "1"));
  EXPECT_NE(a, common::unified_id("personio:a", "hris_absences", "1"));
}

}  // namespace
}  // namespace tributary::connectors
