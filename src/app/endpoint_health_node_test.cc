// A whole node, on SQLite and on PostgreSQL, with a small delivery.disable_after: an endpoint on 127.0.0.1
// that answers every delivery with 500 is disabled once its failures have lasted that long; the operator's
// other endpoint receives a signed `endpoint-disabled` event about it; re-enabling offers the missed range,
// and recovering it sends the failed deliveries and the events written while it was disabled. A retention in
// seconds prunes the request bodies, and the logs API says so.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/node_test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

class EndpointHealthNodeTest : public NodeTest {
 protected:
  explicit EndpointHealthNodeTest(store::Backend backend = store::Backend::kSqlite) : NodeTest(backend) {}

  bj::value endpoint(const std::string& id) {
    auto reply = api("GET", "/v1/webhook-endpoints/" + id);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return bj::parse(reply.body).at("data");
  }

  std::string add_endpoint(const std::string& url, const std::string& types) {
    auto reply =
        api("POST", "/v1/webhook-endpoints", R"({"url":")" + url + R"(","event_types":)" + types + "}");
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(bj::parse(reply.body).at("data").at("id").as_string());
  }

  void disables_the_failing_endpoint_and_tells_the_others();
};

void EndpointHealthNodeTest::disables_the_failing_endpoint_and_tells_the_others() {
  FakeEndpoint failing;
  failing.set_default(FakeEndpoint::Reply{500, {}, R"({"error":"down"})"});
  FakeEndpoint other;
  config_.delivery.disable_after_ms = 1500;
  start_node();
  const std::string failing_id = add_endpoint(failing.url(), R"(["remote-event-received"])");
  const std::string other_id = add_endpoint(other.url(), R"(["endpoint-disabled"])");
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  ASSERT_EQ(post_signed(candidate_created("1"), "gh-1").status, 200);
  ASSERT_TRUE(failing.wait_for_count(1));
  // Failing, not yet for disable_after: still enabled, with the run's beginning recorded.
  auto first = endpoint(failing_id);
  EXPECT_EQ(first.at("enabled"), true);
  ASSERT_TRUE(wait_until([&] { return endpoint(failing_id).at("failing_since").is_string(); }));

  // The other endpoint hears about it once the failures have lasted 1.5 s.
  ASSERT_TRUE(other.wait_for_count(1, std::chrono::milliseconds(15000))) << "no endpoint-disabled event";
  auto disabled = endpoint(failing_id);
  EXPECT_EQ(disabled.at("enabled"), false);
  EXPECT_NE(str(disabled.at("disabled_reason")).find("every delivery attempt failed"), std::string::npos)
      << disabled;
  ASSERT_TRUE(disabled.at("missed").is_object()) << disabled;
  EXPECT_TRUE(disabled.at("missed").at("until").is_null());

  const auto got = other.received().front().request;
  auto event = bj::parse(got.body);
  EXPECT_EQ(event.at("type"), "endpoint-disabled");
  EXPECT_EQ(str(event.at("data").at("endpoint_id")), failing_id);
  EXPECT_EQ(str(event.at("data").at("endpoint_url")), failing.url());
  EXPECT_EQ(event.at("data").at("failing_since"), disabled.at("failing_since"));
  EXPECT_TRUE(got.header("webhook-signature").has_value());
  EXPECT_TRUE(got.header("X-Kombo-Signature").has_value());
  EXPECT_EQ(got.header("webhook-id").value_or(""), str(event.at("id")));

  // While disabled nothing is sent to it; an event written now is missed.
  const std::size_t attempts_before = failing.count();
  ASSERT_EQ(post_signed(candidate_created("2"), "gh-2").status, 200);
  ASSERT_TRUE(wait_until([&] {
    auto rows = rows_with_delivery_id("gh-2");
    return rows.size() == 1 && rows[0].outcome == store::InboxOutcome::kAccepted;
  }));

  // Enabled again (the receiver works now): the answer offers the missed range.
  failing.set_default(FakeEndpoint::Reply{200});
  auto enabled = api("PATCH", "/v1/webhook-endpoints/" + failing_id, R"({"enabled":true})");
  ASSERT_EQ(enabled.status, 200) << enabled.body;
  auto data = bj::parse(enabled.body).at("data");
  EXPECT_TRUE(data.at("failing_since").is_null());
  ASSERT_TRUE(data.at("recovery").is_object()) << data;
  EXPECT_EQ(data.at("recovery").at("since"), disabled.at("missed").at("since"));
  EXPECT_EQ(data.at("recovery").at("include_undelivered"), true);
  auto recovered =
      api("POST", "/v1/webhook-endpoints/" + failing_id + "/recover", bj::serialize(data.at("recovery")));
  ASSERT_EQ(recovered.status, 202) << recovered.body;
  auto r = bj::parse(recovered.body).at("data");
  EXPECT_EQ(r.at("recovered"), 2) << r;  // the failed one and the one written while disabled
  EXPECT_EQ(r.at("undelivered"), 1) << r;
  ASSERT_TRUE(failing.wait_for_count(attempts_before + 2));
  std::set<std::string> remote_ids;
  for (std::size_t i = attempts_before; i < failing.count(); ++i) {
    auto body = bj::parse(failing.received()[i].request.body);
    remote_ids.insert(str(body.at("data").at("events").at(0).at("remote_id")));
  }
  EXPECT_EQ(remote_ids, (std::set<std::string>{"1", "2"}));
  // Recovered: the endpoint has nothing more to offer, and only one endpoint-disabled went out.
  ASSERT_TRUE(wait_until([&] { return endpoint(failing_id).at("missed").is_null(); }));
  EXPECT_EQ(other.count(), 1u);
  EXPECT_EQ(endpoint(other_id).at("enabled"), true);
}

TEST_F(EndpointHealthNodeTest, AnEndpointFailingForDisableAfterIsDisabledAndTheOthersAreTold) {
  disables_the_failing_endpoint_and_tells_the_others();
}

TEST_F(EndpointHealthNodeTest, RetentionPrunesBodiesAndTheLogsApiSaysSo) {
  FakeEndpoint downstream;
  config_.retention.max_age_ms = 1000;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  ASSERT_EQ(post_signed(candidate_created("1"), "gh-1").status, 200);
  ASSERT_TRUE(downstream.wait_for_count(1));
  auto rows = rows_with_delivery_id("gh-1");
  ASSERT_EQ(rows.size(), 1u);
  const std::string log_path = "/v1/logs/upstream/" + rows[0].id;
  auto whole = bj::parse(api("GET", log_path).body).at("data");
  EXPECT_TRUE(whole.at("pruned_at").is_null());
  EXPECT_EQ(str(whole.at("body")), candidate_created("1"));

  ASSERT_TRUE(
      wait_until([&] { return !bj::parse(api("GET", log_path).body).at("data").at("pruned_at").is_null(); },
                 std::chrono::milliseconds(10000)));
  auto pruned = bj::parse(api("GET", log_path).body).at("data");
  EXPECT_TRUE(pruned.at("body").is_null());
  EXPECT_TRUE(pruned.at("headers").is_null());
  // The metadata and links stay.
  EXPECT_EQ(pruned.at("outcome"), "accepted");
  EXPECT_EQ(pruned.at("verification"), whole.at("verification"));
  EXPECT_EQ(pruned.at("event_ids"), whole.at("event_ids"));
  EXPECT_EQ(pruned.at("body_size"), whole.at("body_size"));
  // The delivery's attempts went with it; the event and its delivery stay.
  auto event_id = str(whole.at("event_ids").at(0));
  ASSERT_TRUE(wait_until([&] {
    auto e = bj::parse(api("GET", "/v1/events/" + event_id).body).at("data");
    return e.at("deliveries").at(0).at("attempt_log").as_array().empty();
  }));
  auto event = bj::parse(api("GET", "/v1/events/" + event_id).body).at("data");
  EXPECT_EQ(event.at("deliveries").at(0).at("status"), "succeeded");
  EXPECT_NE(api("GET", "/metrics").body.find("tributary_retention_bodies_pruned_total 1"), std::string::npos);
}

class EndpointHealthNodePostgresTest : public EndpointHealthNodeTest {
 protected:
  EndpointHealthNodePostgresTest() : EndpointHealthNodeTest(store::Backend::kPostgres) {}
};

TEST_F(EndpointHealthNodePostgresTest, AnEndpointFailingForDisableAfterIsDisabledAndTheOthersAreTold) {
  disables_the_failing_endpoint_and_tells_the_others();
}

}  // namespace
}  // namespace tributary::app
