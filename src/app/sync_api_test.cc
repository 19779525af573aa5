// Syncs through a whole node and its API, against the simulated Greenhouse: the first sync runs when the
// integration is created, the read API answers INTEGRATION.SETUP_SYNC_PENDING (409) until one has succeeded,
// POST /v1/force-sync answers Kombo's shape (already_queued while one waits), and the sync logs show state,
// counts and errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node.h"
#include "sim/simulator.h"
#include "testing/test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

class SyncApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.listen = "127.0.0.1:0";
    config_.database = (dir_.path() / "tributary.db").string();
    config_.api_key = "trib_test_" + crypto::random_token(24);
    config_.master_key = crypto::base64_encode(crypto::random_bytes(32));
    config_.delivery.allow_networks = {"127.0.0.0/8"};
    config_.shutdown_grace_ms = 300;
    client_ = loopback_client();
    sim_ = sim::make_simulator("greenhouse", sim::SimOptions{});
    ASSERT_TRUE(sim_->start().ok());
    node_ = std::make_unique<Node>(config_);
    auto started = node_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void TearDown() override {
    if (node_) node_->stop();
    node_.reset();
    if (sim_) sim_->stop();
  }

  Reply api(const std::string& method, const std::string& path, const std::string& body = {},
            HeaderList extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + config_.api_key);
    return call(*client_, method, node_->base_url() + path, body, std::move(extra));
  }
  void sim_post(const std::string& path, const std::string& body) {
    auto reply = call(*client_, "POST", sim_->base_url() + path, body);
    ASSERT_EQ(reply.status, 200) << reply.body;
  }
  std::string create_integration() {
    auto reply =
        api("POST", "/v1/integrations",
            R"({"tool":"greenhouse","end_user":{"organization_name":"Acme","origin_id":"acme-1"},)"
            R"("credentials":{"client_id":"c","client_secret":"s","user_id":"7"},"remote_base_url":")" +
                sim_->base_url() + R"(","remote_auth_url":")" + sim_->auth_base_url() +
                R"(","scope":{"models":{"ats_jobs":true,"ats_candidates":false}}})");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(bj::parse(reply.body).at("data").at("id").as_string());
  }
  bj::array syncs_of(const std::string& integration) {
    auto reply = api("GET", "/v1/integrations/" + integration + "/syncs");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return bj::parse(reply.body).at("data").at("results").as_array();
  }
  // Waits until the newest sync of the integration has ended; returns it.
  bj::object wait_for_ended_sync(const std::string& integration, std::size_t count) {
    bj::object last;
    EXPECT_TRUE(wait_until(
        [&] {
          auto rows = syncs_of(integration);
          if (rows.size() < count) return false;
          last = rows.front().as_object();
          const auto state = std::string(last.at("state").as_string());
          return state != "QUEUED" && state != "RUNNING";
        },
        std::chrono::seconds(20)));
    return last;
  }
  Reply read_jobs(const std::string& integration) {
    return api("GET", "/v1/ats/jobs", {}, {{"X-Integration-Id", integration}});
  }

  TempDir dir_;
  Config config_;
  std::unique_ptr<http::CurlClient> client_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<Node> node_;
};

TEST_F(SyncApiTest, ReadsAnswerSetupSyncPendingUntilTheFirstSyncSucceeds) {
  sim_post("/_sim/ats_jobs", R"({"name":"Engineer"})");
  sim_post("/_sim/faults", R"({"unauthorized": true})");
  const std::string integration = create_integration();
  auto first = wait_for_ended_sync(integration, 1);
  EXPECT_EQ(first.at("state"), "AUTHENTICATION_FAILED");
  EXPECT_EQ(first.at("type"), "FULL");
  EXPECT_FALSE(first.at("errors").as_array().empty());

  auto pending = read_jobs(integration);
  EXPECT_EQ(pending.status, 409) << pending.body;
  auto error = bj::parse(pending.body);
  EXPECT_EQ(error.at("status"), "error");
  EXPECT_EQ(error.at("error").at("code"), "INTEGRATION.SETUP_SYNC_PENDING");

  sim_post("/_sim/faults", R"({"unauthorized": false})");
  auto forced = api("POST", "/v1/force-sync", R"({"type":"FULL"})", {{"X-Integration-Id", integration}});
  ASSERT_EQ(forced.status, 200) << forced.body;
  auto data = bj::parse(forced.body).at("data");
  EXPECT_EQ(data.at("already_queued"), false);
  EXPECT_EQ(data.at("type"), "FULL");
  const std::string sync_id(data.at("sync_id").as_string());
  auto second = wait_for_ended_sync(integration, 2);
  EXPECT_EQ(second.at("id"), bj::value(sync_id));
  EXPECT_EQ(second.at("state"), "SUCCEEDED");
  EXPECT_EQ(second.at("counts").at("created"), 1);

  auto jobs = read_jobs(integration);
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  auto results = bj::parse(jobs.body).at("data").at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("name"), "Engineer");

  auto one = api("GET", "/v1/syncs/" + sync_id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(bj::parse(one.body).at("data").at("state"), "SUCCEEDED");
  EXPECT_EQ(api("GET", "/v1/syncs/sync_nope").status, 404);
}

TEST_F(SyncApiTest, ForceSyncAnswersAlreadyQueuedWhileOneWaits) {
  // Each request to the tool waits out a Retry-After of 1 s once: the first sync runs long enough for two
  // force-syncs to meet the one queued behind it.
  sim_post("/_sim/faults", R"({"rate_limit": {"count": 1, "retry_after_seconds": 1}})");
  const std::string integration = create_integration();
  ASSERT_TRUE(wait_until([&] {
    auto rows = syncs_of(integration);
    return !rows.empty() && rows.front().at("state") == "RUNNING";
  }));
  auto a = api("POST", "/v1/force-sync", {}, {{"X-Integration-Id", integration}});
  ASSERT_EQ(a.status, 200) << a.body;
  auto b = api("POST", "/v1/force-sync", R"({"type":"DELTA"})", {{"X-Integration-Id", integration}});
  ASSERT_EQ(b.status, 200) << b.body;
  auto da = bj::parse(a.body).at("data");
  auto db = bj::parse(b.body).at("data");
  EXPECT_EQ(da.at("already_queued"), false);
  EXPECT_EQ(db.at("already_queued"), true);
  EXPECT_EQ(db.at("sync_id"), da.at("sync_id"));
  EXPECT_EQ(db.at("type"), "FULL");
  auto last = wait_for_ended_sync(integration, 2);
  EXPECT_EQ(last.at("state"), "SUCCEEDED");

  // Paging through the logs: newest first, a cursor for the older page.
  auto page = api("GET", "/v1/integrations/" + integration + "/syncs?page_size=1");
  ASSERT_EQ(page.status, 200);
  auto next = bj::parse(page.body).at("data").at("next");
  ASSERT_TRUE(next.is_string());
  auto older = api("GET", "/v1/integrations/" + integration +
                              "/syncs?page_size=1&cursor=" + std::string(next.as_string()));
  ASSERT_EQ(older.status, 200);
  EXPECT_NE(bj::parse(older.body).at("data").at("results").at(0).at("id"), da.at("sync_id"));

  EXPECT_EQ(api("POST", "/v1/force-sync", {}, {{"X-Integration-Id", "greenhouse:nope"}}).status, 404);
  EXPECT_EQ(api("POST", "/v1/force-sync").status, 400);
  EXPECT_EQ(
      api("POST", "/v1/force-sync", R"({"type":"SOMETIMES"})", {{"X-Integration-Id", integration}}).status,
      400);
}

}  // namespace
}  // namespace tributary::app
