// SmartRecruiters through a whole node: the integration is created over the API, the subscription is created,
// given a signing key and activated against a stand-in SmartRecruiters API whose activation performs the
// X-Hook-Secret handshake against the node's ingress URL (as the real one does before answering); then a
// delivery signed with that key is accepted with 202 and relayed.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "app/node_test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;

constexpr const char* kSecretKey = "sr-generated-key-0f1e2d3c";

// The subscription half of SmartRecruiters' Webhooks API.
class FakeSmartRecruiters {
 public:
  struct Subscription {
    std::string callback_path;
    bj::value events;
    bool handshake_ok = false;
  };

  FakeSmartRecruiters() {
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request r, http::Responder respond) { respond(handle(r)); });
  }
  ~FakeSmartRecruiters() { server_->stop(); }

  Status start() { return server_->start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void set_node(std::string base_url) {
    std::lock_guard lock(mu_);
    node_ = std::move(base_url);
  }
  std::map<std::string, Subscription> subscriptions() const {
    std::lock_guard lock(mu_);
    return subscriptions_;
  }

 private:
  http::Response handle(const http::Request& r) {
    const std::string base = "/webhooks-api/v201907/subscriptions";
    if (r.header("X-SmartToken").value_or("") != "sr-api-key")
      return http::Response::json(401, R"({"message":"Unauthorized"})");
    if (r.method == "POST" && r.path == base) {
      auto body = bj::parse(r.body);
      std::string callback(body.at("callbackUrl").as_string());
      std::lock_guard lock(mu_);
      const std::string id = "sr-sub-" + std::to_string(subscriptions_.size() + 1);
      subscriptions_[id] = {callback.substr(callback.find("/ingress/")), body.at("events"), false};
      return http::Response::json(201, R"({"id":")" + id + R"(","status":"inactive"})");
    }
    if (r.method == "GET" && r.path.rfind("/candidates/", 0) == 0)
      return http::Response::json(200, R"({"id":"cand-77","firstName":"Ada","lastName":"Lovelace"})");
    std::string rest = r.path.rfind(base + "/", 0) == 0 ? r.path.substr(base.size() + 1) : "";
    const std::string id = rest.substr(0, rest.find('/'));
    const std::string action = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/'));
    std::string path;
    std::string node;
    {
      std::lock_guard lock(mu_);
      auto it = subscriptions_.find(id);
      if (it == subscriptions_.end()) return http::Response::json(404, R"({"message":"not found"})");
      path = it->second.callback_path;
      node = node_;
    }
    if (r.method == "POST" && action == "/secret-key")
      return http::Response::json(201, std::string(R"({"secretKey":")") + kSecretKey + R"("})");
    if (r.method == "PUT" && action == "/activation") {
      // The handshake, answered before this call returns.
      const std::string challenge = "hs-" + crypto::random_token(12);
      auto reply = call(client_, "POST", node + path, "", {{"X-Hook-Secret", challenge}});
      std::string echoed;
      for (const auto& [k, v] : reply.headers)
        if (http::iequals(k, "X-Hook-Secret")) echoed = v;
      const bool ok = reply.status == 200 && echoed == challenge;
      {
        std::lock_guard lock(mu_);
        subscriptions_[id].handshake_ok = ok;
      }
      return ok ? http::Response::text(204, "")
                : http::Response::json(424, R"({"message":"handshake failed"})");
    }
    if (r.method == "DELETE" && action.empty()) return http::Response::text(204, "");
    return http::Response::json(404, R"({"message":"not found"})");
  }

  http::CurlClient client_{http::CurlClientOptions{}};
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::string node_;
  std::map<std::string, Subscription> subscriptions_;
};

class NodeSmartRecruitersTest : public node_testing::NodeTest {};

TEST_F(NodeSmartRecruitersTest, ActivationHandshakeThenSignedDeliveryIsAcceptedWith202AndRelayed) {
  FakeSmartRecruiters vendor;
  ASSERT_TRUE(vendor.start().ok());
  FakeEndpoint downstream;
  node_ = std::make_unique<Node>(config_);
  ASSERT_TRUE(node_->start().ok());
  vendor.set_node(node_->base_url());
  // Only the events an upstream webhook causes (the first sync's sync-finished is not what this test reads).
  auto endpoint =
      api("POST", "/v1/webhook-endpoints",
          R"({"url":")" + downstream.url() + R"(","event_types":["remote-event-received","data-changed"]})");
  ASSERT_EQ(endpoint.status, 201) << endpoint.body;

  auto created =
      api("POST", "/v1/integrations",
          R"({"tool":"smartrecruiters","end_user":{"organization_name":"Acme","origin_id":"acme-1"},)"
          R"("credentials":{"api_key":"sr-api-key"},"remote_base_url":")" +
              vendor.url() + R"(","scope":{"upstream_webhooks":true,"models":{"ats_jobs":false}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string integration_id(bj::parse(created.body).at("data").at("id").as_string());

  // One subscription per event, each active only through a handshake the node answered.
  bj::array subscriptions;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool all_active = false;
  while (!all_active && std::chrono::steady_clock::now() < deadline) {
    auto got = api("GET", "/v1/integrations/" + integration_id);
    ASSERT_EQ(got.status, 200) << got.body;
    subscriptions = bj::parse(got.body).at("data").at("subscriptions").as_array();
    all_active = !subscriptions.empty();
    for (const auto& sub : subscriptions)
      if (sub.at("status") != "active") all_active = false;
    if (!all_active) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(all_active) << bj::serialize(subscriptions);
  ASSERT_EQ(subscriptions.size(), 3u);
  std::string candidate_created_path;
  for (const auto& [id, sub] : vendor.subscriptions()) {
    EXPECT_TRUE(sub.handshake_ok) << id;
    ASSERT_EQ(sub.events.as_array().size(), 1u) << id;
    if (sub.events.at(0) == "candidate.created") candidate_created_path = sub.callback_path;
  }
  EXPECT_EQ(vendor.subscriptions().size(), 3u);
  ASSERT_FALSE(candidate_created_path.empty());

  // A delivery signed with the key SmartRecruiters generated.
  const std::string body = R"({"id":"cand-77"})";
  const std::string ts = std::to_string(now_ms() / 1000);
  const std::string link = "<" + vendor.url() + "/candidates/cand-77>; rel=self";
  const std::string signed_string = ts + "." + body + ".evt-1.candidate.created.v201907." + link;
  const std::string signature = "v1=" + crypto::hex_encode(crypto::hmac_sha256(kSecretKey, signed_string));
  auto delivery = call(*client_, "POST", node_->base_url() + candidate_created_path, body,
                       {{"Content-Type", "application/json"},
                        {"smartrecruiters-signature", signature},
                        {"smartrecruiters-timestamp", ts},
                        {"event-id", "evt-1"},
                        {"event-name", "candidate.created"},
                        {"event-version", "v201907"},
                        {"link", link}});
  EXPECT_EQ(delivery.status, 202) << delivery.body;

  // A forged one is refused.
  auto forged = call(*client_, "POST", node_->base_url() + candidate_created_path, body,
                     {{"smartrecruiters-signature", "v1=" + std::string(64, '0')},
                      {"smartrecruiters-timestamp", ts},
                      {"event-id", "evt-2"},
                      {"event-name", "candidate.created"}});
  EXPECT_EQ(forged.status, 401) << forged.body;

  // The fetched candidate is new, so a data-changed goes out beside the relayed event, in either order.
  bj::value payload;
  ASSERT_TRUE(wait_until([&] {
    for (const auto& received : downstream.received()) {
      auto parsed = bj::parse(received.request.body);
      if (parsed.at("type") == "remote-event-received") payload = parsed;
    }
    return !payload.is_null();
  }));
  EXPECT_EQ(payload.at("data").at("integration_tool"), "smartrecruiters");
  const auto& events = payload.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("model"), "ats_candidates");
  EXPECT_EQ(events[0].at("action"), "created");
  EXPECT_EQ(events[0].at("remote_id"), "cand-77");
}

}  // namespace
}  // namespace tributary::app
