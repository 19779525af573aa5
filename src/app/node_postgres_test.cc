// A whole node on PostgreSQL: `tributary migrate`, start-up (migrate, schema check), a Greenhouse webhook
// signed as Greenhouse signs it, durably recorded before the 200 and relayed downstream, a redelivery
// recognised as a duplicate, and a restart on the same database. Runs in a schema of its own in the database
// named by TRIBUTARY_TEST_POSTGRES_URL (scripts/with-postgres.sh sets it); skipped when that is unset.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "app/node_test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

class NodePostgresTest : public NodeTest {
 protected:
  NodePostgresTest() : NodeTest(store::Backend::kPostgres) {}
};

TEST_F(NodePostgresTest, MigrateCreatesTheSchemaOnce) {
  ASSERT_TRUE(migrate(config_).ok());
  auto again = migrate(config_);  // a second run (a second node, an operator) changes nothing
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto db = must(store::open_database(config_.database));
  EXPECT_EQ(db->backend(), store::Backend::kPostgres);
  auto conn = must(db->connect());
  EXPECT_EQ(must(store::current_schema_version(*conn)), store::latest_schema_version());
  EXPECT_TRUE(store::check_schema(*conn).ok());
}

TEST_F(NodePostgresTest, SignedGreenhouseWebhookIsRecordedAndRelayed) {
  FakeEndpoint downstream;
  start_node();
  const std::string endpoint_secret = create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("4242");
  auto reply = post_signed(body, event_id);
  ASSERT_EQ(reply.status, 200) << reply.body;

  // Right after the 200: the row is in PostgreSQL, body intact.
  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].outcome == store::InboxOutcome::kReceived ||
              rows[0].outcome == store::InboxOutcome::kAccepted)
      << rows[0].outcome;
  EXPECT_EQ(rows[0].integration_id, integration_id_);
  EXPECT_EQ(rows[0].tool, "greenhouse");
  EXPECT_EQ(rows[0].body, body);

  // Relayed downstream, signed with the endpoint's secret.
  ASSERT_TRUE(downstream.wait_for_count(1));
  const auto request = downstream.received()[0].request;
  auto payload = bj::parse(request.body);
  EXPECT_EQ(payload.at("type"), "remote-event-received");
  EXPECT_EQ(str(payload.at("data").at("integration_id")), integration_id_);
  const auto& events = payload.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("model"), "ats_candidates");
  EXPECT_EQ(events[0].at("remote_id"), "4242");
  EXPECT_EQ(std::string(request.header("X-Kombo-Signature").value_or("")),
            crypto::base64url_encode_nopad(crypto::hmac_sha256(endpoint_secret, request.body)));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 1; }));

  // A redelivery of the same event is recognised (the partial unique index on the dedupe key) and not
  // relayed again; the next event is.
  auto second = post_signed(body, event_id);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(bj::parse(second.body).at("data").at("duplicate"), true);
  ASSERT_EQ(post_signed(candidate_created("4343"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 2; }));
  std::size_t about_4242 = 0;
  for (const auto& r : downstream.received())
    if (r.request.body.find(R"("remote_id":"4242")") != std::string::npos) ++about_4242;
  EXPECT_EQ(about_4242, 1u);

  // The management API reads the same rows back.
  auto logs = api("GET", "/v1/logs/upstream?integration_id=" + integration_id_);
  ASSERT_EQ(logs.status, 200) << logs.body;
  EXPECT_EQ(bj::parse(logs.body).at("data").at("results").as_array().size(), 3u) << logs.body;
}

// PostgreSQL's text columns refuse bytes that are not UTF-8 (SQLite stores them): a signed webhook whose
// headers carry such bytes, and one whose JSON carries an escaped NUL, are still accepted and relayed.
TEST_F(NodePostgresTest, BytesPostgresTextRefusesDoNotCostAnAcceptedWebhook) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("77");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = call(*client_, "POST", node_->base_url() + ingress_path_, body,
                    {{"Signature", greenhouse_signature(secret_, body)},
                     {"Greenhouse-Event-ID", event_id},
                     {"X-Proxy-Note", std::string("caf\xe9 \xc3\x28")}});
  EXPECT_EQ(reply.status, 200) << reply.body;
  const std::string nul_body =
      R"({"action":"new_candidate_application","payload":{"application":{"id":1002,"note":"a\u0000b",)"
      R"("candidate":{"id":78}}}})";
  auto nul = post_signed(nul_body, "gh-" + crypto::random_token(12));
  EXPECT_EQ(nul.status, 200) << nul.body;
  ASSERT_TRUE(downstream.wait_for_count(2));
}

// What an endpoint answers is kept as an excerpt in PostgreSQL text: a binary answer, one with NUL bytes, and
// one cut by the excerpt limit in the middle of a character are all recorded (as valid text), and the
// delivery's outcome with them, so the event is not sent again and again.
TEST_F(NodePostgresTest, WhateverBytesAnEndpointAnswersTheAttemptIsRecorded) {
  FakeEndpoint downstream;
  downstream.then({500, {}, std::string("\xff\xfe\x00\x01 binary", 11)})
      .then({200, {}, std::string(1023, 'a') + "\xc3\xa9\xc3\xa9 accents cut at the limit"});
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("88"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2, std::chrono::seconds(10)));

  auto db = must(store::open_database(config_.database));
  auto conn = must(db->connect());
  std::vector<store::Row> attempts;
  ASSERT_TRUE(wait_until([&] {
    attempts =
        must(conn->query("SELECT status_code, response_excerpt FROM attempts ORDER BY attempted_at", {}));
    return attempts.size() == 2;
  }));
  EXPECT_EQ(attempts[0].int64(0), 500);
  EXPECT_EQ(attempts[1].int64(0), 200);
  EXPECT_EQ(
      must(conn->query("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'", {})).at(0).int64(0), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(downstream.received().size(), 2u) << "delivered again: the outcome was not recorded";
}

TEST_F(NodePostgresTest, RestartsOnTheSameDatabase) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  node_->stop();
  node_.reset();

  // The schema is there and current; the integration and its ingress URL survive the restart.
  start_node();
  ASSERT_EQ(post_signed(candidate_created("9"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(1));
}

}  // namespace
}  // namespace tributary::app
