#include "sim/lever/lever_sim.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "sim/common/test_support.h"

namespace tributary::sim::lever {
namespace {

namespace bj = boost::json;
using testing::body_json;
using testing::call;
using testing::Reply;
using testing::SimFixture;
using testing::TestReceiver;

// Lever's documented check, computed here: hex HMAC-SHA256(signatureToken, token + triggeredAt).
std::string expected_signature(std::string_view signature_token, const bj::value& body) {
  std::string message =
      std::string(body.at("token").as_string()) + std::to_string(body.at("triggeredAt").as_int64());
  return crypto::hex_encode(crypto::hmac_sha256(signature_token, message));
}

std::string event_of(const http::Request& r) {
  auto v = body_json(r);
  return v.is_object() && v.as_object().contains("event") ? std::string(v.at("event").as_string()) : "";
}

std::vector<http::Request> with_event(const std::vector<http::Request>& all, std::string_view event) {
  std::vector<http::Request> out;
  for (const auto& r : all)
    if (event_of(r) == event) out.push_back(r);
  return out;
}

std::string basic(std::string_view key) {
  return "Basic " + crypto::base64_encode(std::string(key) + ":");
}

// Vendor delays are scaled by 0.0002 (1 min → 12 ms).
class LeverSimTest : public SimFixture<> {
 protected:
  LeverSimTest() : SimFixture(make_lever_simulator) {}

  Reply api(std::string method, std::string path, std::string body = {}, std::string auth = basic("key-1")) {
    HeaderList headers;
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    if (!auth.empty()) headers.emplace_back("Authorization", auth);
    return call(client_, std::move(method), path.starts_with("http") ? path : sim_->base_url() + path,
                std::move(body), std::move(headers));
  }
  Reply control(std::string method, std::string path, const bj::value& body = bj::object{}) {
    return call(client_, std::move(method), sim_->base_url() + path, bj::serialize(body));
  }
  // Creates a webhook for `event` on the receiver's `path`; returns its data (with the signatureToken).
  bj::value create_webhook(std::string event, std::string path = "/hook") {
    Reply r = api("POST", "/v1/webhooks",
                  bj::serialize(bj::object{{"event", event}, {"url", receiver_.url(path)}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("data");
  }
  std::vector<http::Request> wait_event(std::string_view event, std::size_t n = 1) {
    receiver_.wait_until([&](const auto& all) { return with_event(all, event).size() >= n; });
    return with_event(receiver_.requests(), event);
  }
};

TEST_F(LeverSimTest, WebhooksApiCreatesListsAndDeletesWithAuthAndScopes) {
  std::string body = bj::serialize(bj::object{{"event", "applicationCreated"}, {"url", receiver_.url()}});
  Reply none = api("POST", "/v1/webhooks", body, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.json().at("code").as_string(), "UnauthorizedError");
  EXPECT_EQ(api("POST", "/v1/webhooks", body, "Bearer abc").status, 401);

  bj::value w = create_webhook("applicationCreated");
  std::string id(w.at("id").as_string());
  EXPECT_EQ(w.at("event").as_string(), "applicationCreated");
  EXPECT_FALSE(w.at("configuration").at("signatureToken").as_string().empty());
  Reply list = api("GET", "/v1/webhooks");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json().at("data").as_array().size(), 1u);
  EXPECT_EQ(api("POST", "/v1/webhooks",
                bj::serialize(bj::object{{"event", "postingUpdated"}, {"url", receiver_.url()}}))
                .status,
            400);

  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", false}}).status, 200);
  Reply denied = api("POST", "/v1/webhooks", body);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.json().at("code").as_string(), "ForbiddenError");
  EXPECT_EQ(api("DELETE", "/v1/webhooks/" + id).status, 403);
  ASSERT_EQ(control("POST", "/_sim/permissions", bj::object{{"webhooks", true}}).status, 200);

  EXPECT_EQ(api("DELETE", "/v1/webhooks/" + id).status, 204);
  EXPECT_EQ(api("DELETE", "/v1/webhooks/" + id).status, 404);
  EXPECT_TRUE(api("GET", "/v1/webhooks").json().at("data").as_array().empty());
}

TEST_F(LeverSimTest, CandidateChangesFireSignedWebhooksOnlyForTheirEvent) {
  bj::value created = create_webhook("applicationCreated");
  std::string token(created.at("configuration").at("signatureToken").as_string());
  bj::value updated = create_webhook("contactUpdated", "/contact");
  bj::value deleted = create_webhook("candidateDeleted", "/deleted");
  Reply posting = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}});
  std::string posting_id(posting.json().at("remote_id").as_string());

  Reply cand =
      control("POST", "/_sim/ats_candidates",
              bj::object{{"first_name", "Ada"}, {"email", "ada@example.com"}, {"job_remote_id", posting_id}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  std::string id(cand.json().at("remote_id").as_string());
  auto events = wait_event("applicationCreated");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path, "/hook");
  bj::value v = body_json(events[0]);
  EXPECT_EQ(v.at("signature").as_string(), expected_signature(token, v));
  EXPECT_NE(v.at("signature").as_string(), expected_signature("other-token", v));
  EXPECT_EQ(v.at("data").at("opportunityId").as_string(), id);
  EXPECT_EQ(v.at("data").at("postingId").as_string(), posting_id);
  EXPECT_EQ(v.at("data").at("contactId").as_string(), cand.json().at("contact_id").as_string());

  ASSERT_EQ(control("PATCH", "/_sim/ats_candidates/" + id, bj::object{{"last_name", "Lovelace"}}).status,
            200);
  auto contact = wait_event("contactUpdated");
  ASSERT_EQ(contact.size(), 1u);
  bj::value c = body_json(contact[0]);
  EXPECT_EQ(c.at("signature").as_string(),
            expected_signature(updated.at("configuration").at("signatureToken").as_string(), c));

  ASSERT_EQ(control("DELETE", "/_sim/ats_candidates/" + id).status, 200);
  auto gone = wait_event("candidateDeleted");
  ASSERT_EQ(gone.size(), 1u);
  bj::value g = body_json(gone[0]);
  EXPECT_EQ(g.at("data").at("opportunityId").as_string(), id);
  EXPECT_EQ(g.at("signature").as_string(),
            expected_signature(deleted.at("configuration").at("signatureToken").as_string(), g));
  // Postings fire nothing, and each webhook received only its own event.
  EXPECT_EQ(receiver_.requests().size(), 3u);
}

TEST_F(LeverSimTest, RetriesAFailingReceiverWithTheSameBody) {
  create_webhook("applicationCreated", "/flaky");
  receiver_.fail_next("/flaky", 2, 503);
  ASSERT_EQ(control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "Ada"}}).status, 200);
  ASSERT_TRUE(receiver_.wait_for_count(3));
  auto all = receiver_.requests();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].body, all[2].body);
  // The third attempt is logged once its answer arrives: wait for it (bounded).
  Reply log;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
       std::chrono::steady_clock::now() < deadline;) {
    log = control("GET", "/_sim/deliveries");
    if (log.json().as_array().size() >= 3) break;
  }
  ASSERT_EQ(log.json().as_array().size(), 3u);
  EXPECT_EQ(log.json().at(0).at("status").as_int64(), 503);
  EXPECT_EQ(log.json().at(2).at("status").as_int64(), 200);
}

TEST_F(LeverSimTest, RecordsPageWithNextOffsetAndGetAnswers404ForUnknownIds) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Reply r = control("POST", "/_sim/ats_candidates", bj::object{{"first_name", "C" + std::to_string(i)}});
    ASSERT_EQ(r.status, 200);
    ids.emplace_back(r.json().at("remote_id").as_string());
  }
  EXPECT_EQ(api("GET", "/v1/opportunities", "", "").status, 401);
  EXPECT_EQ(api("GET", "/v1/opportunities?limit=101").status, 400);
  std::vector<std::string> seen;
  std::string url = "/v1/opportunities?limit=2";
  for (int page = 0; page < 10; ++page) {
    Reply r = api("GET", url);
    ASSERT_EQ(r.status, 200) << r.body;
    bj::value v = r.json();
    ASSERT_LE(v.at("data").as_array().size(), 2u);
    for (const auto& o : v.at("data").as_array())
      seen.emplace_back(o.at("id").as_string());
    if (!v.at("hasNext").as_bool()) break;
    url = "/v1/opportunities?limit=2&offset=" + std::string(v.at("next").as_string());
  }
  EXPECT_EQ(seen, ids);

  Reply one = api("GET", "/v1/opportunities/" + ids[2]);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("data").at("name").as_string(), "C2");
  Reply missing = api("GET", "/v1/opportunities/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("code").as_string(), "ResourceNotFound");

  Reply posting = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Designer"}, {"status", "DRAFT"}});
  std::string pid(posting.json().at("remote_id").as_string());
  Reply p = api("GET", "/v1/postings/" + pid);
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(p.json().at("data").at("text").as_string(), "Designer");
  EXPECT_EQ(p.json().at("data").at("state").as_string(), "draft");
  EXPECT_EQ(api("GET", "/v1/postings?state=published").json().at("data").as_array().size(), 0u);
  EXPECT_EQ(api("GET", "/v1/postings?state=draft").json().at("data").as_array().size(), 1u);
}

TEST_F(LeverSimTest, HostileParametersGetErrorsNotCrashes) {
  EXPECT_EQ(api("POST", "/v1/webhooks", "{not json").status, 400);
  EXPECT_EQ(api("POST", "/v1/webhooks", "[1,2]").status, 400);
  EXPECT_EQ(
      api("POST", "/v1/webhooks", bj::serialize(bj::object{{"event", 5}, {"url", receiver_.url()}})).status,
      400);
  EXPECT_EQ(api("GET", "/v1/opportunities?limit=abc").status, 400);
  EXPECT_EQ(api("GET", "/v1/opportunities?offset=%25%25").status, 400);
  EXPECT_EQ(api("GET", "/v1/opportunities?updated_at_start=yesterday").status, 400);
}

// Every key the simulator answers (envelope and record, recursively) appears in Lever's own examples
// (connectors/lever/testdata/contract/, copied from Lever's API reference). The list envelope may also carry
// hasNext and next, which the reference's pagination section documents though its list examples leave them
// out.
TEST_F(LeverSimTest, RecordAnswersHaveTheShapeOfTheVendorsExamples) {
  Reply job = control("POST", "/_sim/ats_jobs", bj::object{{"name", "Engineer"}, {"status", "OPEN"}});
  ASSERT_EQ(job.status, 200) << job.body;
  const std::string job_id(job.json().at("remote_id").as_string());
  Reply cand =
      control("POST", "/_sim/ats_candidates",
              bj::object{{"first_name", "Ada"}, {"email", "ada@example.com"}, {"job_remote_id", job_id}});
  ASSERT_EQ(cand.status, 200) << cand.body;
  const std::string cand_id(cand.json().at("remote_id").as_string());

  const bj::value opportunity = testing::contract_example("lever", "opportunity_get_response.json");
  const bj::value posting = testing::contract_example("lever", "posting_get_response.json");
  bj::value opportunities =
      bj::object{{"data", bj::array{opportunity.at("data")}}, {"hasNext", false}, {"next", ""}};
  bj::value postings = testing::contract_example("lever", "postings_list_response.json");
  postings.as_object()["hasNext"] = false;
  postings.as_object()["next"] = "";
  const std::vector<std::pair<std::string, const bj::value*>> cases = {
      {"/v1/opportunities/" + cand_id, &opportunity},
      {"/v1/postings/" + job_id, &posting},
      {"/v1/opportunities?limit=1", &opportunities},
      {"/v1/postings", &postings}};
  for (const auto& [path, vendor] : cases) {
    SCOPED_TRACE(path);
    Reply r = api("GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(testing::keys_not_in(r.json(), *vendor), std::set<std::string>{})
        << "keys Lever's answer does not have";
  }
}

}  // namespace
}  // namespace tributary::sim::lever
