// Rotating an endpoint's secret through the API, with a whole node: every secret replaced less than 24 h ago
// keeps signing deliveries, however often the secret was rotated meanwhile.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

std::string standard_signature(const std::string& secret, const std::string& id, const std::string& ts,
                               const std::string& body) {
  auto key = crypto::base64_decode(secret.substr(std::string("whsec_").size()));
  return "v1," + crypto::base64_encode(crypto::hmac_sha256(key.value_or(""), id + "." + ts + "." + body));
}

class EndpointRotationTest : public NodeTest {};

TEST_F(EndpointRotationTest, ASecondRotationWithinTheOverlapKeepsTheFirstSecretSigning) {
  FakeEndpoint downstream;
  start_node();
  const std::string first = create_endpoint(downstream.url());
  auto listed = bj::parse(api("GET", "/v1/webhook-endpoints").body);
  const std::string id(listed.at("data").at("results").at(0).at("id").as_string());
  std::vector<std::string> secrets{first};
  for (int i = 0; i < 2; ++i) {
    auto reply = api("POST", "/v1/webhook-endpoints/" + id + "/rotate-secret");
    ASSERT_EQ(reply.status, 200) << reply.body;
    secrets.emplace_back(bj::parse(reply.body).at("data").at("secret").as_string());
  }
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("77"), "gh-" + crypto::random_token(12)).status, 200);

  ASSERT_TRUE(downstream.wait_for_count(1));
  const auto request = downstream.received()[0].request;
  const std::string event_id(request.header("webhook-id").value_or(""));
  const std::string ts(request.header("webhook-timestamp").value_or(""));
  // The current secret first, then those retired, newest first.
  EXPECT_EQ(std::string(request.header("webhook-signature").value_or("")),
            standard_signature(secrets[2], event_id, ts, request.body) + " " +
                standard_signature(secrets[1], event_id, ts, request.body) + " " +
                standard_signature(secrets[0], event_id, ts, request.body));
}

}  // namespace
}  // namespace tributary::app
