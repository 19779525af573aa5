// The ingress through a whole node: integration and endpoint created over the API, upstream webhooks signed
// as Greenhouse signs them, and what each answer promises checked in the database through a connection of the
// test's own.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <iostream>
#include <thread>

#include "app/node_test_support.h"
#include "core/clock.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

constexpr std::int64_t kIngressLimit = 4096;

class NodeIngressTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    config_.ingress.max_body_bytes = kIngressLimit;
  }
};

TEST_F(NodeIngressTest, SignedWebhookIsDurableBeforeThe200AndRelayedOnce) {
  FakeEndpoint downstream;
  start_node();
  const std::string endpoint_secret = create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("4242");
  auto reply = post_signed(body, event_id);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_FALSE(bj::parse(reply.body).at("data").as_object().contains("duplicate"));

  // Right after the 200, with no waiting: the row is in the database file.
  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].outcome == store::InboxOutcome::kReceived ||
              rows[0].outcome == store::InboxOutcome::kAccepted)
      << rows[0].outcome;
  EXPECT_EQ(rows[0].http_status, 200);
  EXPECT_EQ(rows[0].integration_id, integration_id_);
  EXPECT_EQ(rows[0].tool, "greenhouse");
  EXPECT_EQ(rows[0].vendor_event, "new_candidate_application");
  EXPECT_EQ(rows[0].body, body);
  EXPECT_TRUE(rows[0].verification.has_value());
  // The signature header is stored redacted.
  EXPECT_EQ(rows[0].headers.find(greenhouse_signature(secret_, body)), std::string::npos) << rows[0].headers;

  // Relayed downstream, signed with the endpoint's secret.
  ASSERT_TRUE(downstream.wait_for_count(1));
  const auto request = downstream.received()[0].request;
  auto payload = bj::parse(request.body);
  EXPECT_EQ(payload.at("type"), "remote-event-received");
  EXPECT_EQ(str(payload.at("data").at("integration_id")), integration_id_);
  EXPECT_EQ(payload.at("data").at("integration_tool"), "greenhouse");
  const auto& events = payload.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("model"), "ats_candidates");
  EXPECT_EQ(events[0].at("action"), "created");
  EXPECT_EQ(events[0].at("remote_id"), "4242");
  EXPECT_EQ(std::string(request.header("X-Kombo-Signature").value_or("")),
            crypto::base64url_encode_nopad(crypto::hmac_sha256(endpoint_secret, request.body)));

  // The first verified request activated the manual subscription.
  auto integration = api("GET", "/v1/integrations/" + integration_id_);
  ASSERT_EQ(integration.status, 200);
  EXPECT_EQ(bj::parse(integration.body).at("data").at("subscriptions").at(0).at("status"), "active");
}

TEST_F(NodeIngressTest, RedeliveryWithTheSameEventIdIsADuplicateAndNotRelayedAgain) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  const std::string event_id = "gh-" + crypto::random_token(12);
  const std::string body = candidate_created("77");
  ASSERT_EQ(post_signed(body, event_id).status, 200);
  auto second = post_signed(body, event_id);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(bj::parse(second.body).at("data").at("duplicate"), true);

  auto rows = rows_with_delivery_id(event_id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].outcome, store::InboxOutcome::kDuplicate);
  ASSERT_TRUE(rows[1].reason.has_value());
  EXPECT_NE(rows[1].reason->find("not forwarded"), std::string::npos);

  // A different event right after marks the point by which a second relay of the first would have happened.
  ASSERT_EQ(post_signed(candidate_created("78"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded >= 2; }));
  std::size_t about_77 = 0;
  for (const auto& r : downstream.received())
    if (r.request.body.find(R"("remote_id":"77")") != std::string::npos) ++about_77;
  EXPECT_EQ(about_77, 1u);
  EXPECT_EQ(node_->stats().ingress_duplicates, 1u);
  EXPECT_FALSE(rows[1].event_ids.has_value());
}

TEST_F(NodeIngressTest, BadSignatureIs401AndLoggedAsRejected) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("5");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_ingress(
      ingress_path_, body,
      {{"Signature", greenhouse_signature("not-the-secret", body)}, {"Greenhouse-Event-ID", event_id}});
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_EQ(bj::parse(reply.body).at("status"), "error");

  auto missing = post_ingress(ingress_path_, body, {{"Greenhouse-Event-ID", event_id}});
  EXPECT_EQ(missing.status, 401) << missing.body;

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("integration_id = $1 AND outcome = 'rejected'", {integration_id_});
    return rows.size() == 2;
  }));
  for (const auto& row : rows) {
    EXPECT_EQ(row.http_status, 401);
    ASSERT_TRUE(row.reason.has_value());
    EXPECT_NE(row.reason->find("signature"), std::string::npos) << *row.reason;
    EXPECT_EQ(row.reason->find(secret_), std::string::npos);
    EXPECT_FALSE(row.event_ids.has_value());
  }
  // Nothing was accepted: the subscription is still waiting for its first verified request.
  auto integration = api("GET", "/v1/integrations/" + integration_id_);
  EXPECT_EQ(bj::parse(integration.body).at("data").at("subscriptions").at(0).at("status"), "pending");
  EXPECT_EQ(node_->stats().ingress_accepted, 0u);
}

// Another node (or this node's reconciler, a moment before it drops its cache) stores a new secret: the
// request signed with it is accepted at once, not refused until the cached subscription expires.
TEST_F(NodeIngressTest, ASecretStoredElsewhereIsUsedByTheNextRequestTheCachedCopyRefuses) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("5");
  // The first verified request activates the subscription; the second finds it in this node's cache.
  EXPECT_EQ(post_signed(body, "gh-" + crypto::random_token(12)).status, 200);
  EXPECT_EQ(post_signed(body, "gh-" + crypto::random_token(12)).status, 200);

  const std::string rotated = "rotated-" + crypto::random_token(16);
  {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    auto subs =
        must(conn->query("SELECT id FROM subscriptions WHERE integration_id = $1", {integration_id_}));
    ASSERT_EQ(subs.size(), 1u);
    const std::string sub_id = subs.front().text(0);
    auto sealed = must(SecretBox::from_base64(config_.master_key, "master_key"))
                      .seal(rotated, SecretBox::secret_of("subscriptions", sub_id));
    must(conn->execute("UPDATE subscriptions SET secret = $1 WHERE id = $2", {store::Blob{sealed}, sub_id}));
  }
  const std::string old_secret = secret_;
  secret_ = rotated;
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_signed(body, event_id);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(rows_with_delivery_id(event_id).size(), 1u);
  // And the old secret no longer verifies (the fresh copy replaced the cached one).
  EXPECT_EQ(post_ingress(ingress_path_, body,
                         {{"Signature", greenhouse_signature(old_secret, body)},
                          {"Greenhouse-Event-ID", "gh-" + crypto::random_token(12)}})
                .status,
            401);
}

// A signed request naming a record id no fetch URL or index should hold is refused with the reason and
// logged, rather than accepted and left to fail the processor's batch over and over.
TEST_F(NodeIngressTest, ASignedEventWithAnUnusableRemoteIdIs400AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string body = candidate_created("\"" + std::string(300, '7') + "\"");
  const std::string event_id = "gh-" + crypto::random_token(12);
  auto reply = post_signed(body, event_id);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("300 bytes"), std::string::npos) << reply.body;
  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("integration_id = $1 AND outcome = 'rejected'", {integration_id_});
    return rows.size() == 1;
  }));
  EXPECT_EQ(rows[0].http_status, 400);
  EXPECT_EQ(rows[0].body, body);  // kept for the operator to see
  // A usable id right after is accepted and relayed as usual.
  EXPECT_EQ(post_signed(candidate_created("5"), "gh-" + crypto::random_token(12)).status, 200);
}

TEST_F(NodeIngressTest, UnknownTokenIs404AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string path = "/ingress/greenhouse/" + crypto::random_token(32);
  const std::string body = candidate_created("5");
  auto reply = post_ingress(path, body, {{"Signature", greenhouse_signature(secret_, body)}});
  EXPECT_EQ(reply.status, 404) << reply.body;

  // The right token under another tool's name is unknown too.
  auto wrong_tool = ingress_path_;
  wrong_tool.replace(wrong_tool.find("greenhouse"), std::string("greenhouse").size(), "personio");
  EXPECT_EQ(post_ingress(wrong_tool, body, {{"Signature", greenhouse_signature(secret_, body)}}).status, 404);

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("outcome = 'rejected' AND http_status = 404", {});
    return rows.size() == 2;
  }));
  EXPECT_EQ(rows[0].path, path);
  EXPECT_FALSE(rows[0].integration_id.has_value());
}

TEST_F(NodeIngressTest, BodyOverTheIngressLimitIs413AndLogged) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  std::string body =
      R"({"action":"new_candidate_application","padding":")" + std::string(kIngressLimit, 'x') + R"("})";
  auto reply = post_ingress(ingress_path_, body, {{"Signature", greenhouse_signature(secret_, body)}});
  EXPECT_EQ(reply.status, 413) << reply.body << reply.error;

  std::vector<store::InboxRow> rows;
  ASSERT_TRUE(wait_until([&] {
    rows = inbox_rows("outcome = 'rejected' AND http_status = 413", {});
    return rows.size() == 1;
  }));
  EXPECT_EQ(rows[0].path, ingress_path_);
  EXPECT_EQ(rows[0].integration_id, integration_id_);  // the URL was known, the body too large
  EXPECT_EQ(node_->stats().ingress_accepted, 0u);

  // The API's own limit is not the ingress limit: a larger API body is accepted.
  auto patch = api("PATCH", "/v1/integrations/" + integration_id_,
                   R"({"end_user":{"organization_name":")" + std::string(kIngressLimit, 'a') + R"("}})");
  EXPECT_EQ(patch.status, 200) << patch.body.substr(0, 300);
}

TEST_F(NodeIngressTest, DeliveryInFlightAtStopIsSentAfterTheRestart) {
  FakeEndpoint downstream;
  downstream.then(FakeEndpoint::Reply{200, {}, "{}", /*hold=*/true});
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("9"), "gh-" + crypto::random_token(12)).status, 200);
  ASSERT_TRUE(downstream.wait_for_count(1));

  node_->stop();  // the request is still unanswered when the grace period ends
  node_.reset();
  downstream.release_held(200);

  start_node();
  ASSERT_TRUE(downstream.wait_for_count(2));
  ASSERT_TRUE(wait_until([&] { return node_->stats().delivery_succeeded == 1; }));
  auto events = api("GET", "/v1/events?type=remote-event-received&integration_id=" + integration_id_);
  ASSERT_EQ(events.status, 200) << events.body;
  auto results = bj::parse(events.body).at("data").at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  auto event = api("GET", "/v1/events/" + std::string(results[0].at("id").as_string()));
  auto deliveries = bj::parse(event.body).at("data").at("deliveries").as_array();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].at("status"), "succeeded");
}

TEST_F(NodeIngressTest, ARequestClaimedWhenTheProcessCrashedIsProcessedAtOnceAfterTheRestart) {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string event_id = "gh-" + crypto::random_token(12);
  ASSERT_EQ(post_signed(candidate_created("11"), event_id).status, 200);
  ASSERT_TRUE(wait_until([&] {
    auto rows = rows_with_delivery_id(event_id);
    return rows.size() == 1 && rows[0].outcome != store::InboxOutcome::kReceived;
  }));
  node_->stop();
  node_.reset();
  // As if the process had died right after the processor claimed the row: received, claimed for an hour.
  {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    must(conn->execute("UPDATE inbox SET outcome = 'received', claimed_until = $2 WHERE delivery_id = $1",
                       {event_id, now_ms() + 3600 * 1000}));
  }
  start_node();
  // Processed again well before the claim would have run out (wait_until's deadline is seconds).
  EXPECT_TRUE(wait_until([&] {
    auto rows = rows_with_delivery_id(event_id);
    return rows.size() == 1 && rows[0].outcome != store::InboxOutcome::kReceived;
  }));
}

// An API request without a key is refused on its header: the body it announces is never waited for.
TEST_F(NodeIngressTest, AnApiRequestWithoutAKeyIs401BeforeItsBodyIsRead) {
  start_node();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(node_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string head =
      "POST /v1/integrations HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 500000\r\n\r\n{\"tool\":";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string answer;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       answer.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 401") << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_EQ(node_->stats().http_screened, 1u);
  // With the key, the same route works as before.
  EXPECT_EQ(api("GET", "/v1/integrations").status, 200);
}

// A flood from one address — to unknown URLs, forged to subscription A, and genuinely signed to A faster
// than A's limit — while subscription B's tool sends its genuine webhooks: every one of B's is acknowledged
// and recorded, A gets 429 over its limit, and the refusals leave only a sample in the inbox.
class NodeIngressFloodTest : public NodeTest {
 protected:
  explicit NodeIngressFloodTest(store::Backend backend = store::Backend::kSqlite) : NodeTest(backend) {}

  void SetUp() override {
    NodeTest::SetUp();
    if (IsSkipped()) return;
    config_.ingress.max_body_bytes = 128 * 1024;
    config_.ingress.rate_per_subscription = 5;
    config_.ingress.burst_per_subscription = 10;
    config_.processing.targeted_fetch = false;
  }

  std::int64_t count(const std::string& where) {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    return must(conn->query("SELECT COUNT(*) FROM inbox WHERE " + where))[0].int64(0);
  }

  void flood_one_subscription_while_another_sends();
};

class NodeIngressFloodPostgresTest : public NodeIngressFloodTest {
 protected:
  NodeIngressFloodPostgresTest() : NodeIngressFloodTest(store::Backend::kPostgres) {}
};

TEST_F(NodeIngressFloodTest, AFloodOnOneSubscriptionAndUnknownUrlsLeavesAnotherAcknowledgedAndRecorded) {
  flood_one_subscription_while_another_sends();
}

TEST_F(NodeIngressFloodPostgresTest,
       AFloodOnOneSubscriptionAndUnknownUrlsLeavesAnotherAcknowledgedAndRecorded) {
  flood_one_subscription_while_another_sends();
}

void NodeIngressFloodTest::flood_one_subscription_while_another_sends() {
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string path_a = ingress_path_, secret_a = secret_, integration_a = integration_id_;
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());  // B: ingress_path_, secret_ from here on
  const std::int64_t rows_before = count("1 = 1");

  constexpr int kPerThread = 1000;                       // the flood is bounded in count …
  constexpr auto kFloodTime = std::chrono::seconds(30);  // … and in time
  constexpr int kGenuine = 8;                            // within B's burst: no 429 expected for B
  const std::string padding(64 * 1024, ' ');
  std::atomic<int> sent{0}, unknown_404{0}, forged_401{0}, a_accepted{0}, a_limited{0}, unexpected{0};
  const auto flood_started = std::chrono::steady_clock::now();
  auto flood = [&](int kind) {
    auto client = loopback_client();
    for (int i = 0; i < kPerThread && std::chrono::steady_clock::now() - flood_started < kFloodTime; ++i) {
      const std::string body = candidate_created(std::to_string(10000 + i));
      Reply r;
      if (kind == 0) {
        r = call(*client, "POST", node_->base_url() + "/ingress/greenhouse/" + crypto::random_token(32),
                 body + padding, {{"Signature", greenhouse_signature(secret_a, body)}});
        (r.status == 404 ? unknown_404 : unexpected)++;
      } else if (kind == 1) {
        r = call(*client, "POST", node_->base_url() + path_a, body + padding,
                 {{"Signature", greenhouse_signature("forged", body)}});
        (r.status == 401 ? forged_401 : unexpected)++;
      } else {
        r = call(*client, "POST", node_->base_url() + path_a, body,
                 {{"Signature", greenhouse_signature(secret_a, body)},
                  {"Greenhouse-Event-ID", "flood-" + std::to_string(i)}});
        (r.status == 200 ? a_accepted : r.status == 429 ? a_limited : unexpected)++;
      }
      ++sent;
    }
  };
  std::vector<std::thread> flooders;
  for (int kind = 0; kind < 3; ++kind)
    flooders.emplace_back(flood, kind);

  // B's tool sends while the flood runs: webhook i once the flood has sent 350·i requests.
  std::vector<std::string> genuine_ids;
  int b_acknowledged = 0;
  for (int i = 0; i < kGenuine; ++i) {
    wait_until([&] { return sent.load() >= 350 * (i + 1); }, std::chrono::seconds(30));
    genuine_ids.push_back("gh-b-" + crypto::random_token(12));
    auto reply = post_signed(candidate_created(std::to_string(500 + i)), genuine_ids.back());
    EXPECT_EQ(reply.status, 200) << reply.body << reply.error;
    if (reply.status == 200) ++b_acknowledged;
  }
  const int sent_while_b = sent.load();
  for (auto& t : flooders)  // each runs to its bound
    t.join();
  const double flood_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - flood_started).count();

  // Every genuine webhook of B is recorded, and so is every one of A's that was acknowledged.
  for (const auto& id : genuine_ids)
    EXPECT_EQ(rows_with_delivery_id(id).size(), 1u) << id;
  EXPECT_EQ(count("integration_id = '" + integration_a + "' AND outcome <> 'rejected'"), a_accepted.load());
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(a_limited.load(), 0);

  // The refusals (all from 127.0.0.1) are a sample: 10 at once, then 10 a minute.
  const auto stats = node_->stats();
  const auto logged = static_cast<std::int64_t>(stats.ingress_rejected - stats.ingress_unlogged_over_sample -
                                                stats.ingress_unlogged_queue_full);
  ASSERT_TRUE(wait_until([&] { return count("outcome = 'rejected'") == logged; }));
  EXPECT_LE(logged, 10 + static_cast<std::int64_t>(flood_seconds / 6) + 1);
  EXPECT_EQ(stats.ingress_rejected,
            static_cast<std::uint64_t>(unknown_404.load() + forged_401.load() + a_limited.load()));
  const std::int64_t grown = count("1 = 1") - rows_before;
  auto metrics = api("GET", "/metrics");
  EXPECT_NE(metrics.body.find("tributary_ingress_unlogged_total{reason=\"sample\"} " +
                              std::to_string(stats.ingress_unlogged_over_sample)),
            std::string::npos);
  std::cout << "[ flood   ] " << sent.load() << " flood requests in " << flood_seconds << " s ("
            << unknown_404.load() << " to unknown URLs, " << forged_401.load() << " forged to A, "
            << a_accepted.load() + a_limited.load() << " signed to A: " << a_accepted.load() << " accepted, "
            << a_limited.load() << " answered 429); B's tool sent while the first " << sent_while_b
            << " were sent; inbox grew by " << grown << " rows (" << logged << " rejected rows kept, "
            << stats.ingress_unlogged_over_sample << " refusals counted only); B: " << b_acknowledged
            << " of " << kGenuine << " acknowledged 2xx and recorded\n";
}

// Handlers that wait on a tool — "reconcile now" against a tool that does not answer, and the reconciles
// queued behind it — run off the I/O threads: while ten of them hang, the ingress acknowledges webhooks and
// the API answers, and no reconcile has returned by then (on the I/O threads, the first two would hold every
// connection until they end).
TEST_F(NodeIngressTest, TenHangingReconcilesLeaveIngressAndApiAnswering) {
  constexpr int kReconciles = 10;
  config_.server.api_threads = kReconciles + 2;
  FakeEndpoint tool;  // answers {"ok":true} at first: the integrations are created, their subscriptions fail
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  std::vector<std::string> ids;
  for (int i = 0; i < kReconciles; ++i) {
    auto made =
        api("POST", "/v1/integrations",
            R"({"tool":"personio","end_user":{"organization_name":"Slow )" + std::to_string(i) +
                R"("},"credentials":{"client_id":"c","client_secret":"s"},"remote_base_url":")" + tool.url() +
                R"(","remote_auth_url":")" + tool.url() + R"(","scope":{"upstream_webhooks":true}})");
    ASSERT_EQ(made.status, 201) << made.body;
    ids.emplace_back(bj::parse(made.body).at("data").at("id").as_string());
  }
  const std::size_t before = tool.count();
  tool.hold_everything();
  std::atomic<int> returned{0};
  std::vector<std::thread> reconciles;
  for (const auto& id : ids) {
    reconciles.emplace_back([&, id] {
      api("POST", "/v1/integrations/" + id + "/reconcile");
      ++returned;
    });
  }
  // One reconcile waits on the tool, the others on it (a node reconciles one integration at a time).
  EXPECT_TRUE(pipeline_testing::wait_until([&] { return tool.held() >= 1; })) << tool.count() - before;

  for (int i = 0; i < 5; ++i) {
    auto reply = post_signed(candidate_created(std::to_string(500 + i)), "gh-" + crypto::random_token(12));
    EXPECT_EQ(reply.status, 200) << reply.body << reply.error;
    auto listed = api("GET", "/v1/integrations");
    EXPECT_EQ(listed.status, 200) << listed.body << listed.error;
  }
  EXPECT_EQ(returned.load(), 0) << "a reconcile returned although the tool held every request";
  tool.release_held();
  for (auto& t : reconciles)
    t.join();
  EXPECT_EQ(returned.load(), kReconciles);
}

}  // namespace
}  // namespace tributary::app
