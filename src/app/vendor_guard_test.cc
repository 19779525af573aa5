// An integration's remote_base_url and remote_auth_url are set by API callers, and the tool's credentials go
// wherever they lead. Through a whole node: calls to the tool are held to the SSRF guard at connect time like
// deliveries (a sync against a loopback host fails, saying why, unless delivery.allow_networks lists it);
// plain http is accepted only for allow-listed hosts; and moving an integration to another host takes its
// credentials in the same request.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"
#include "sim/simulator.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using pipeline_testing::Reply;
using pipeline_testing::wait_until;

// Long enough not to occur in an error message (messages are redacted of the credentials).
constexpr const char* kCredentials =
    R"("credentials":{"client_id":"vendor-guard-client","client_secret":"vendor-guard-secret","user_id":"7"})";

class VendorGuardTest : public node_testing::NodeTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(NodeTest::SetUp());
    sim_ = sim::make_simulator("greenhouse", sim::SimOptions{});
    ASSERT_TRUE(sim_->start().ok());
  }
  void TearDown() override {
    NodeTest::TearDown();
    if (sim_) sim_->stop();
  }

  // The node with this allow list (none: the guard refuses loopback).
  void start_node(std::vector<std::string> allow_networks) {
    config_.delivery.allow_networks = std::move(allow_networks);
    NodeTest::start_node();
  }

  Reply create(const std::string& base_url, const std::string& auth_url) {
    return api("POST", "/v1/integrations",
               std::string(R"({"tool":"greenhouse",)") + kCredentials + R"(,"remote_base_url":")" + base_url +
                   R"(","remote_auth_url":")" + auth_url +
                   R"(","scope":{"models":{"ats_jobs":true,"ats_candidates":false}}})");
  }
  static std::string id_of(const Reply& reply) {
    return std::string(bj::parse(reply.body).at("data").at("id").as_string());
  }
  static std::string error_of(const Reply& reply) {
    return std::string(bj::parse(reply.body).at("error").at("message").as_string());
  }
  // The integration's first sync, once it has ended.
  bj::object first_sync(const std::string& integration) {
    bj::object sync;
    EXPECT_TRUE(wait_until(
        [&] {
          auto reply = api("GET", "/v1/integrations/" + integration + "/syncs");
          const bj::value parsed = bj::parse(reply.body);
          const auto& rows = parsed.at("data").at("results").as_array();
          if (rows.empty()) return false;
          sync = rows.back().as_object();
          const auto state = std::string(sync.at("state").as_string());
          return state != "QUEUED" && state != "RUNNING";
        },
        std::chrono::seconds(20)));
    return sync;
  }
  // "https://127.0.0.1:<port>" of the simulator's API and authorization hosts: https passes the API's check
  // wherever it points, so what stops the call is the guard at connect time.
  std::string https_of(const std::string& url) {
    return "https://" + url.substr(std::string("http://").size());
  }

  std::unique_ptr<sim::Simulator> sim_;
};

TEST_F(VendorGuardTest, CallsToAToolOnLoopbackAreRefusedAtConnectTimeAndTheSyncSaysWhy) {
  ASSERT_NO_FATAL_FAILURE(start_node({}));  // no allow list: the guard refuses loopback
  auto created = create(https_of(sim_->base_url()), https_of(sim_->auth_base_url()));
  ASSERT_EQ(created.status, 201) << created.body;

  bj::object sync = first_sync(id_of(created));
  EXPECT_EQ(sync.at("state"), "FAILED") << bj::serialize(sync);
  const std::string errors = bj::serialize(sync.at("errors"));
  EXPECT_NE(errors.find("blocked by SSRF guard: loopback address 127.0.0.1"), std::string::npos) << errors;
}

TEST_F(VendorGuardTest, PlainHttpIsAcceptedOnlyForAllowListedHosts) {
  ASSERT_NO_FATAL_FAILURE(start_node({}));
  auto refused = create(sim_->base_url(), sim_->auth_base_url());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(
      error_of(refused),
      "remote_base_url: plain http is accepted only for hosts inside delivery.allow_networks, since the "
      "tool's credentials would travel in clear (host '127.0.0.1' resolves to 127.0.0.1, which is not "
      "in the allow list); use https");
  // The other spellings of loopback are read as curl reads them.
  for (std::string host : {"localhost", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]"}) {
    auto spelled = create("http://" + host + ":1", https_of(sim_->auth_base_url()));
    EXPECT_EQ(spelled.status, 400) << host << ": " << spelled.body;
  }
  auto auth = create(https_of(sim_->base_url()), sim_->auth_base_url());
  EXPECT_EQ(auth.status, 400) << auth.body;
  EXPECT_EQ(error_of(auth).rfind("remote_auth_url: plain http is accepted only", 0), 0u) << auth.body;
}

TEST_F(VendorGuardTest, AnAllowListedToolIsCalledOverPlainHttp) {
  ASSERT_NO_FATAL_FAILURE(start_node({"127.0.0.0/8"}));
  auto created = create(sim_->base_url(), sim_->auth_base_url());
  ASSERT_EQ(created.status, 201) << created.body;
  bj::object sync = first_sync(id_of(created));
  EXPECT_EQ(sync.at("state"), "SUCCEEDED") << bj::serialize(sync);
}

TEST_F(VendorGuardTest, MovingAnIntegrationToAnotherHostTakesItsCredentials) {
  ASSERT_NO_FATAL_FAILURE(start_node({"127.0.0.0/8"}));
  auto created = create(sim_->base_url(), sim_->auth_base_url());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string path = "/v1/integrations/" + id_of(created);

  auto moved = api("PATCH", path, R"({"remote_base_url":"https://tools.example.com"})");
  EXPECT_EQ(moved.status, 400) << moved.body;
  EXPECT_EQ(error_of(moved),
            "changing remote_base_url requires the integration's credentials in the same request (the stored "
            "ones would be sent to the new host)");
  auto auth_moved = api("PATCH", path, R"({"remote_auth_url":null})");
  EXPECT_EQ(auth_moved.status, 400) << auth_moved.body;
  EXPECT_EQ(error_of(auth_moved).rfind("changing remote_auth_url requires", 0), 0u) << auth_moved.body;
  auto read = bj::parse(api("GET", path).body).at("data");
  EXPECT_EQ(read.at("remote_base_url").as_string(), sim_->base_url());
  EXPECT_EQ(read.at("remote_auth_url").as_string(), sim_->auth_base_url());

  // The same URL again (trailing slash aside) is no move.
  auto same = api("PATCH", path, R"({"remote_base_url":")" + sim_->base_url() + R"(/","sync":{}})");
  EXPECT_EQ(same.status, 200) << same.body;
  // With the credentials, the move is made.
  auto with_credentials = api(
      "PATCH", path, std::string(R"({"remote_base_url":"https://tools.example.com",)") + kCredentials + "}");
  EXPECT_EQ(with_credentials.status, 200) << with_credentials.body;
  EXPECT_EQ(bj::parse(with_credentials.body).at("data").at("remote_base_url"), "https://tools.example.com");
}

}  // namespace
}  // namespace tributary::app
