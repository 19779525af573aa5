// Kombo's general calls and the integration lifecycle through a whole node (SQLite and PostgreSQL), against
// the simulated Greenhouse: GET /v1/check-api-key and GET /v1/tools/{category} answer Kombo's shapes (an
// unknown category is a 400, not a 500); the integration object carries Kombo's fields; PUT .../enabled
// refuses bodies other than {"value": bool} with the reason, and disabling/enabling writes
// integration-state-changed (INACTIVE, ACTIVE) once per change; credentials the tool rejects make the
// integration INVALID and new ones ACTIVE again; create and delete write integration-created and
// integration-deleted.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"
#include "sim/simulator.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

class IntegrationLifecycleTest : public NodeTest, public ::testing::WithParamInterface<store::Backend> {
 protected:
  IntegrationLifecycleTest() : NodeTest(GetParam()) {}

  void SetUp() override {
    NodeTest::SetUp();
    if (IsSkipped()) return;
    sim_ = sim::make_simulator("greenhouse", sim::SimOptions{});
    ASSERT_NE(sim_, nullptr);
    ASSERT_TRUE(sim_->start().ok());
    start_node();
  }
  void TearDown() override {
    NodeTest::TearDown();
    if (sim_) sim_->stop();
  }

  std::string create_integration() {
    auto reply = api("POST", "/v1/integrations",
                     R"({"tool":"greenhouse","end_user":{"organization_name":"Acme","origin_id":"acme-1"},)"
                     R"("credentials":)" +
                         std::string(kGreenhouseCredentials) + R"(,"remote_base_url":")" + sim_->base_url() +
                         R"(","remote_auth_url":")" + sim_->auth_base_url() +
                         R"(","scope":{"models":{"ats_jobs":true,"ats_candidates":false}}})");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(bj::parse(reply.body).at("data").at("id").as_string());
  }

  bj::object integration(const std::string& id) {
    auto reply = api("GET", "/v1/integrations/" + id);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return bj::parse(reply.body).at("data").as_object();
  }

  // The payloads of the integration's events of `type`, oldest first.
  std::vector<bj::object> events(const std::string& id, const std::string& type) {
    auto reply = api("GET", "/v1/events?integration_id=" + id + "&type=" + type);
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<bj::object> out;
    const bj::value parsed = bj::parse(reply.body);
    for (const auto& e : parsed.at("data").at("results").as_array())
      out.insert(out.begin(), e.at("payload").as_object());
    return out;
  }

  std::vector<bj::object> wait_events(const std::string& id, const std::string& type, std::size_t n) {
    std::vector<bj::object> got;
    wait_until([&] { return (got = events(id, type)).size() >= n; }, std::chrono::seconds(15));
    return got;
  }

  void sim_fault(const std::string& body) {
    auto reply = call(*client_, "POST", sim_->base_url() + "/_sim/faults", body);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::unique_ptr<sim::Simulator> sim_;
};

TEST_P(IntegrationLifecycleTest, CheckApiKeyNamesOneEnvironment) {
  auto first = api("GET", "/v1/check-api-key");
  ASSERT_EQ(first.status, 200) << first.body;
  auto parsed = bj::parse(first.body);
  EXPECT_EQ(parsed.at("status"), "success");
  const std::string env(parsed.at("data").at("environment_id").as_string());
  EXPECT_FALSE(env.empty());
  auto second = api("GET", "/v1/check-api-key");
  EXPECT_EQ(bj::parse(second.body).at("data").at("environment_id"), bj::value(env));
  auto unauthenticated = call(*client_, "GET", node_->base_url() + "/v1/check-api-key", "",
                              {{"Authorization", "Bearer trib_wrong"}});
  EXPECT_EQ(unauthenticated.status, 401);
}

TEST_P(IntegrationLifecycleTest, ToolsAreListedPerCategoryAndAnUnknownCategoryIsABadRequest) {
  auto ats = api("GET", "/v1/tools/ats");
  ASSERT_EQ(ats.status, 200) << ats.body;
  bool greenhouse = false;
  const bj::value ats_tools = bj::parse(ats.body);
  for (const auto& t : ats_tools.at("data").at("tools").as_array()) {
    const auto& tool = t.as_object();
    EXPECT_TRUE(tool.at("assets").at("logo_url").is_string());
    EXPECT_TRUE(tool.at("coverage").at("write_actions").as_array().empty());
    if (tool.at("id") != "greenhouse") continue;
    greenhouse = true;
    EXPECT_EQ(tool.at("label"), "Greenhouse");
    bool jobs = false;
    for (const auto& m : tool.at("coverage").at("read_models").as_array()) {
      EXPECT_NE(m.at("id"), "hris_absences") << "an ATS tool lists only what it reads";
      if (m.at("id") == "ats_jobs") jobs = m.at("coverage_status") == "SUPPORTED";
    }
    EXPECT_TRUE(jobs);
  }
  EXPECT_TRUE(greenhouse) << ats.body;
  auto hris = api("GET", "/v1/tools/hris");
  ASSERT_EQ(hris.status, 200);
  const bj::value hris_tools = bj::parse(hris.body);
  for (const auto& t : hris_tools.at("data").at("tools").as_array())
    EXPECT_NE(t.at("id"), "greenhouse");
  auto lms = api("GET", "/v1/tools/lms");
  ASSERT_EQ(lms.status, 200);
  EXPECT_TRUE(bj::parse(lms.body).at("data").at("tools").as_array().empty());
  for (const std::string& bad :
       std::vector<std::string>{"crm", "HRIS", "%00", "hris%2F..", std::string(300, 'x')}) {
    auto reply = api("GET", "/v1/tools/" + bad);
    EXPECT_EQ(reply.status, 400) << bad << ": " << reply.body;
    if (reply.status == 400) {
      EXPECT_EQ(bj::parse(reply.body).at("error").at("code"), "PLATFORM.INPUT_INVALID") << reply.body;
    }
  }
}

TEST_P(IntegrationLifecycleTest, TheIntegrationCarriesKombosFieldsAndItsCreationIsAnEvent) {
  const std::string id = create_integration();
  bj::object o = integration(id);
  EXPECT_EQ(o.at("tool").at("id"), "greenhouse");
  EXPECT_EQ(o.at("tool").at("label"), "Greenhouse");
  EXPECT_EQ(o.at("status"), "ACTIVE");
  EXPECT_TRUE(o.at("setup_status") == "FINAL_SYNC_PENDING" || o.at("setup_status") == "COMPLETED");
  EXPECT_EQ(o.at("scope_config").at("id"), bj::value(id));
  EXPECT_EQ(o.at("end_user").at("organization_name"), "Acme");
  EXPECT_FALSE(o.at("beta").as_bool());
  EXPECT_TRUE(o.at("data_expired_at").is_null());
  bool jobs = false;
  for (const auto& m : o.at("read_models").as_array()) {
    if (m.at("id") == "ats_jobs") {
      jobs = m.at("is_available").as_bool() && m.at("scope_config_setting") == "ENABLED";
    }
    if (m.at("id") == "ats_candidates") {
      EXPECT_EQ(m.at("scope_config_setting"), "DISABLED");
    }
  }
  EXPECT_TRUE(jobs) << bj::serialize(o.at("read_models"));
  // Tributary's own fields stay beside Kombo's.
  EXPECT_TRUE(o.contains("subscriptions"));
  EXPECT_TRUE(o.contains("api_budget"));
  EXPECT_EQ(o.at("remote_base_url"), bj::value(sim_->base_url()));

  auto created = events(id, "integration-created");
  ASSERT_EQ(created.size(), 1u);
  const auto& data = created[0].at("data");
  EXPECT_EQ(data.at("id"), bj::value(id));
  EXPECT_EQ(data.at("tool"), "greenhouse");
  EXPECT_EQ(data.at("category"), "ATS");
  EXPECT_EQ(data.at("end_user").at("origin_id"), "acme-1");
}

TEST_P(IntegrationLifecycleTest, EnabledTakesOnlyABooleanValue) {
  const std::string id = create_integration();
  for (const std::string bad : {"", "not json", "[]", "{}", R"({"value":"false"})", R"({"value":0})",
                                R"({"value":null})", R"({"value":true,"extra":1})"}) {
    auto reply = api("PUT", "/v1/integrations/" + id + "/enabled", bad);
    EXPECT_EQ(reply.status, 400) << bad << ": " << reply.body;
    if (reply.status == 400) {
      EXPECT_FALSE(bj::parse(reply.body).at("error").at("message").as_string().empty());
    }
  }
  auto missing = api("PUT", "/v1/integrations/greenhouse:nope/enabled", R"({"value":false})");
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(integration(id).at("status"), "ACTIVE");
  EXPECT_TRUE(events(id, "integration-state-changed").empty());
}

TEST_P(IntegrationLifecycleTest, DisablingAndEnablingAreStateChanges) {
  const std::string id = create_integration();
  auto off = api("PUT", "/v1/integrations/" + id + "/enabled", R"({"value":false})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(bj::parse(off.body), bj::parse(R"({"status":"success","data":{}})"));
  bj::object o = integration(id);
  EXPECT_EQ(o.at("status"), "INACTIVE");
  EXPECT_FALSE(o.at("enabled").as_bool());
  // Said twice, it changes nothing and tells nothing.
  ASSERT_EQ(api("PUT", "/v1/integrations/" + id + "/enabled", R"({"value":false})").status, 200);
  auto changes = events(id, "integration-state-changed");
  ASSERT_EQ(changes.size(), 1u);
  const auto& data = changes[0].at("data");
  EXPECT_EQ(data.at("state"), "INACTIVE");
  EXPECT_EQ(data.at("integration_id"), bj::value(id));
  EXPECT_EQ(data.at("integration_tool"), "greenhouse");
  EXPECT_EQ(data.at("qa_status"), "PASSED");
  EXPECT_TRUE(data.at("updated_at").is_string());

  ASSERT_EQ(api("PUT", "/v1/integrations/" + id + "/enabled", R"({"value":true})").status, 200);
  EXPECT_EQ(integration(id).at("status"), "ACTIVE");
  changes = events(id, "integration-state-changed");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].at("data").at("state"), "ACTIVE");
}

TEST_P(IntegrationLifecycleTest, RejectedCredentialsMakeItInvalidAndNewOnesActive) {
  sim_fault(R"({"unauthorized": true})");
  const std::string id = create_integration();
  auto changes = wait_events(id, "integration-state-changed", 1);
  ASSERT_EQ(changes.size(), 1u) << "the first sync answered 401";
  EXPECT_EQ(changes[0].at("data").at("state"), "INVALID");
  EXPECT_EQ(changes[0].at("data").at("setup_status"), "FINAL_SYNC_PENDING");
  bj::object o = integration(id);
  EXPECT_EQ(o.at("status"), "INVALID");
  EXPECT_TRUE(o.at("invalid_since").is_string());

  sim_fault(R"({"unauthorized": false})");
  auto patched = api("PATCH", "/v1/integrations/" + id,
                     R"({"credentials":)" + std::string(kGreenhouseCredentials) + "}");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(bj::parse(patched.body).at("data").at("status"), "ACTIVE");
  changes = events(id, "integration-state-changed");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].at("data").at("state"), "ACTIVE");
}

TEST_P(IntegrationLifecycleTest, DeletionIsAnEvent) {
  const std::string id = create_integration();
  auto reply = api("DELETE", "/v1/integrations/" + id);
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto deleted = events(id, "integration-deleted");
  ASSERT_EQ(deleted.size(), 1u);
  const auto& data = deleted[0].at("data");
  EXPECT_EQ(data.at("id"), bj::value(id));
  EXPECT_EQ(data.at("end_user").at("organization_name"), "Acme");
  EXPECT_TRUE(data.at("deleted_at").is_string());
  EXPECT_EQ(api("PUT", "/v1/integrations/" + id + "/enabled", R"({"value":false})").status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, IntegrationLifecycleTest, store::testing_db::kBackends,
                         store::testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::app
