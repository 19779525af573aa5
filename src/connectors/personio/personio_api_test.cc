// Personio's subscription and listing calls against a real local HTTP server standing in for the Personio
// API.
#include <gtest/gtest.h>

#include <map>

#include "connectors/common/scripted_api.h"
#include "connectors/personio/personio.h"
#include "core/json.h"
#include "http/client.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    auto eq = pair.find('=');
    std::string key = http::percent_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : http::percent_decode(pair.substr(eq + 1), true);
    out[key] = value;
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
  }
  return out;
}

class PersonioApiTest : public testing::ConnectorApiTest {
 protected:
  PersonioApiTest() : ConnectorApiTest(register_personio, "personio") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /v2/auth/token", 200,
              R"({"access_token":"at-9f8e7d","token_type":"Bearer","expires_in":86400})");
    fake_.set("POST /v2/webhooks", 201,
              R"({"id":"3c9d2f4e-8a1b-4c5d-9e0f-112233445566","url":"https://x","status":"ENABLED"})");
    ctx_.credentials["client_id"] = "papi-client-1";
    ctx_.credentials["client_secret"] = "s3cr+t/&= x";  // needs every kind of form escaping
    request_.event_types = {"person.created", "person.updated", "absence-period.created"};
    request_.ingress_url = "https://relay.example.com/ingress/sub_4f2a";
    request_.secret = "tok_ChosenByUs_123";
  }
};

TEST_F(PersonioApiTest, CreatesTheWebhookWithExactlyTheRequestedEvents) {
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->remote_id, "3c9d2f4e-8a1b-4c5d-9e0f-112233445566");
  EXPECT_EQ(created->secret, request_.secret);

  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  // 1. The token: a form-encoded client-credentials request.
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/v2/auth/token");
  EXPECT_EQ(reqs[0].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(reqs[0].header("Authorization"), "");
  auto form = parse_form(reqs[0].body);
  EXPECT_EQ(form, (std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                      {"client_id", "papi-client-1"},
                                                      {"client_secret", "s3cr+t/&= x"}}));
  // 2. The webhook, with the bearer token from step 1.
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].path, "/v2/webhooks");
  EXPECT_EQ(reqs[1].header("Authorization"), "Bearer at-9f8e7d");
  EXPECT_EQ(reqs[1].header("Content-Type"), "application/json");
  bj::value body = bj::parse(reqs[1].body);
  const auto& obj = body.as_object();
  auto str = [](const bj::value& v) {
    return v.is_string() ? std::string(v.get_string()) : "<not a string>";
  };
  EXPECT_EQ(obj.size(), 6u) << reqs[1].body;
  EXPECT_EQ(str(obj.at("url")), request_.ingress_url);
  EXPECT_EQ(str(obj.at("description")), "Tributary");
  EXPECT_EQ(str(obj.at("status")), "ENABLED");
  EXPECT_EQ(str(obj.at("auth_type")), "TOKEN");
  EXPECT_EQ(str(obj.at("token")), request_.secret);
  bj::array expected_events;
  for (const auto& e : request_.event_types)
    expected_events.emplace_back(e);
  EXPECT_EQ(obj.at("enabled_events").as_array(), expected_events);
}

TEST_F(PersonioApiTest, BaseUrlWithTrailingSlashWorks) {
  ctx_.base_url += "/";
  ASSERT_TRUE(connector_->create_subscription(ctx_, request_).ok());
  EXPECT_EQ(fake_.requests().at(0).path, "/v2/auth/token");
}

TEST_F(PersonioApiTest, ForbiddenTellsTheCustomerWhichPermissionToGrant) {
  fake_.set("POST /v2/webhooks", 403, R"({"errors":[{"title":"Forbidden","detail":"missing scope"}]})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(
      created.error().message,
      "In Personio, open Settings › Integrations › API credentials, edit the credentials used for this "
      "integration and grant the 'Webhooks' permission (scope personio:webhooks:write), then reconnect.");
}

// The access token is asked for once per integration and reused; one the tool refuses (401) is dropped and
// the call made once more with a new one.
TEST_F(PersonioApiTest, ReusesTheAccessTokenAndRenewsARefusedOne) {
  fake_.set("GET /v2/webhooks/wh-1", 200, R"({"id":"wh-1"})");
  auto token_requests = [&] {
    int n = 0;
    for (const auto& r : fake_.requests())
      n += r.path == "/v2/auth/token" ? 1 : 0;
    return n;
  };
  for (int i = 0; i < 3; ++i) {
    auto exists = connector_->subscription_exists(ctx_, "wh-1");
    ASSERT_TRUE(exists.ok()) << exists.error().message;
    EXPECT_TRUE(*exists);
  }
  EXPECT_EQ(token_requests(), 1);
  EXPECT_EQ(fake_.requests().size(), 4u);

  fake_.set("POST /v2/auth/token", 200, R"({"access_token":"at-renewed","expires_in":86400})");
  fake_.push("GET /v2/webhooks/wh-1", 401, R"({"error":"invalid_token"})");
  auto exists = connector_->subscription_exists(ctx_, "wh-1");
  ASSERT_TRUE(exists.ok()) << exists.error().message;
  EXPECT_TRUE(*exists);
  EXPECT_EQ(token_requests(), 2);
  EXPECT_EQ(fake_.requests().back().header("Authorization"), "Bearer at-renewed");

  // Other credentials never reuse the token.
  ctx_.credentials["client_secret"] = "another secret";
  ASSERT_TRUE(connector_->subscription_exists(ctx_, "wh-1").ok());
  EXPECT_EQ(token_requests(), 3);
}

TEST_F(PersonioApiTest, RejectedCredentialsAreUnauthorized) {
  fake_.set("POST /v2/auth/token", 401, R"({"error":"invalid_client"})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(created.error().message, "Personio rejected the API credentials");
  EXPECT_EQ(fake_.requests().size(), 1u);  // no webhook call without a token

  fake_.set("POST /v2/auth/token", 200, R"({"access_token":"at-1"})");
  fake_.set("POST /v2/webhooks", 401, "{}");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized);
}

TEST_F(PersonioApiTest, OtherFailuresAreUpstreamWithoutSecrets) {
  // A vendor that echoes what it was sent must not get the token into our error message.
  fake_.set(
      "POST /v2/webhooks", 422,
      R"({"errors":[{"title":"Unprocessable","detail":"token tok_ChosenByUs_123 rejected for at-9f8e7d"}]})");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("422"), std::string::npos) << created.error().message;
  EXPECT_NE(created.error().message.find("Unprocessable"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find("tok_ChosenByUs_123"), std::string::npos) << created.error().message;
  EXPECT_EQ(created.error().message.find("at-9f8e7d"), std::string::npos) << created.error().message;

  // The token endpoint's failures, each for an integration with no token cached yet.
  ctx_.integration_id = "personio:token-500";
  fake_.set("POST /v2/auth/token", 500, "upstream exploded");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("500"), std::string::npos);

  ctx_.integration_id = "personio:no-token";
  fake_.set("POST /v2/auth/token", 200, R"({"token_type":"Bearer"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);

  fake_.set("POST /v2/auth/token", 200, R"({"access_token":"at-1"})");
  fake_.set("POST /v2/webhooks", 201, R"({"url":"https://x"})");
  created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("no webhook id"), std::string::npos);
}

TEST_F(PersonioApiTest, MissingCredentialsFailBeforeAnyCall) {
  ctx_.credentials.erase("client_secret");
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(created.error().message.find("client_secret"), std::string::npos);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(PersonioApiTest, UnreachableApiIsUpstream) {
  fake_.stop();
  auto created = connector_->create_subscription(ctx_, request_);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kUpstream);
  EXPECT_NE(created.error().message.find("could not reach Personio"), std::string::npos)
      << created.error().message;
}

TEST_F(PersonioApiTest, DeletesTheWebhookAndToleratesOneAlreadyGone) {
  fake_.set("DELETE /v2/webhooks/*", 204, "");
  auto deleted = connector_->delete_subscription(ctx_, "3c9d2f4e-8a1b-4c5d-9e0f-112233445566");
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/v2/auth/token");
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].path, "/v2/webhooks/3c9d2f4e-8a1b-4c5d-9e0f-112233445566");
  EXPECT_EQ(reqs[1].header("Authorization"), "Bearer at-9f8e7d");

  fake_.set("DELETE /v2/webhooks/*", 404, R"({"errors":[{"title":"Not found"}]})");
  EXPECT_TRUE(connector_->delete_subscription(ctx_, "3c9d2f4e-8a1b-4c5d-9e0f-112233445566").ok());
}

TEST_F(PersonioApiTest, DeleteFailuresAreMapped) {
  fake_.set("DELETE /v2/webhooks/*", 403, "{}");
  auto deleted = connector_->delete_subscription(ctx_, "abc");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kForbidden);

  fake_.set("DELETE /v2/webhooks/*", 500, "{}");
  deleted = connector_->delete_subscription(ctx_, "abc");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kUpstream);

  ctx_.integration_id = "personio:rejected";  // no token cached yet for it
  fake_.set("POST /v2/auth/token", 401, "{}");
  deleted = connector_->delete_subscription(ctx_, "abc");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::kUnauthorized);

  // An id with path characters stays one path segment.
  fake_.set("POST /v2/auth/token", 200, R"({"access_token":"at-1"})");
  fake_.set("DELETE /v2/webhooks/*", 204, "");
  ASSERT_TRUE(connector_->delete_subscription(ctx_, "../auth/token").ok());
  EXPECT_EQ(fake_.requests().back().method, "DELETE");
  EXPECT_EQ(fake_.requests().back().path.rfind("/v2/webhooks/", 0), 0u);
  EXPECT_FALSE(connector_->delete_subscription(ctx_, "").ok());
}

// Full listings (API v2): `_meta.links.next.href` followed until absent, persons with their employment,
// absence periods, errors mapped.
class PersonioListTest : public testing::ConnectorApiTest {
 protected:
  PersonioListTest() : ConnectorApiTest(register_personio, "personio") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ConnectorApiTest::SetUp());
    fake_.set("POST /v2/auth/token", 200,
              R"({"access_token":"at-1","token_type":"Bearer","expires_in":86400})");
    ctx_.integration_id = "personio:test";
    ctx_.credentials = bj::object{{"client_id", "cid"}, {"client_secret", "csecret"}};
  }
};

TEST_F(PersonioListTest, PersonsPageThroughNextHrefWithTheirEmployment) {
  const std::string next = fake_.base_url() + "/v2/persons?limit=50&cursor=c2";
  fake_.set("GET /v2/persons?limit=50", 200,
            R"({"_data": [{"id": "1000001", "first_name": "Ada", "last_name": "L", "email": "ada@x.test"}],
                "_meta": {"links": {"self": {"href": "x"}, "next": {"href": ")" +
                next + R"("}}}})");
  fake_.set("GET /v2/persons?limit=50&cursor=c2", 200,
            R"({"_data": [{"id": "1000002", "first_name": "Bob"}], "_meta": {"links": {}}})");
  fake_.set("GET /v2/persons/1000001/employments", 200,
            R"({"_data": [{"id": "e1", "status": "ACTIVE", "position": {"title": "CTO"}}]})");
  fake_.set("GET /v2/persons/1000002/employments", 200, R"({"_data": []})");

  auto first = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->records[0].at("job_title"), bj::value("CTO"));
  EXPECT_EQ(first->records[0].at("employment_status"), bj::value("ACTIVE"));
  EXPECT_EQ(first->records[0].at("display_full_name"), bj::value("Ada L"));
  EXPECT_EQ(first->next, next);

  auto second = connector_->list_records(ctx_, Model::kHrisEmployees, first->next);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_TRUE(second->records[0].at("job_title").is_null());
  EXPECT_TRUE(second->next.empty());
}

TEST_F(PersonioListTest, AbsencePeriodsList) {
  fake_.set("GET /v2/absence-periods?limit=100", 200,
            R"({"_data": [{"id": "a1", "person": {"id": "1000001"}, "approval": {"status": "APPROVED"},
                                "starts_from": {"date_time": "2026-12-01T00:00:00"}}], "_meta": {"links": {}}})");
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].at("status"), bj::value("APPROVED"));
  EXPECT_EQ(page->records[0].at("start_date"), bj::value("2026-12-01"));
  EXPECT_TRUE(page->next.empty());
}

TEST_F(PersonioListTest, ErrorsAndForeignLinks) {
  fake_.set(
      "GET /v2/absence-periods", 200,
      R"({"_data": [], "_meta": {"links": {"next": {"href": "http://203.0.113.9/v2/absence-periods"}}}})");
  auto foreign = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().kind, ErrorKind::kUpstream);

  fake_.set("GET /v2/absence-periods", 200, R"({"data": []})");
  auto shapeless = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  ASSERT_FALSE(shapeless.ok());
  EXPECT_EQ(shapeless.error().kind, ErrorKind::kUpstream);

  fake_.set("GET /v2/persons", 401, R"({"errors":[{"title":"Unauthorized"}]})");
  auto unauthorized = connector_->list_records(ctx_, Model::kHrisEmployees, "");
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().kind, ErrorKind::kUnauthorized);
}

TEST_F(PersonioListTest, RateLimitedListWaitsForRetryAfter) {
  // Two 429s with Retry-After: 1 and then the page: the listing waits about two seconds and succeeds.
  fake_.set("GET /v2/absence-periods", 200, R"({"_data": [], "_meta": {"links": {}}})");
  for (int i = 0; i < 2; ++i)
    fake_.push("GET /v2/absence-periods", 429, R"({"errors":[{"title":"Too Many Requests"}]})",
               {{"Retry-After", "1"}});
  const auto started = std::chrono::steady_clock::now();
  auto page = connector_->list_records(ctx_, Model::kHrisAbsences, "");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(1900));
  int asked = 0;
  for (const auto& r : fake_.requests())
    if (r.path == "/v2/absence-periods") ++asked;
  EXPECT_EQ(asked, 3);
}

}  // namespace
}  // namespace tributary::connectors
