#include "connectors/smartrecruiters/smartrecruiters.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;
using testing::read_testdata;
using testing::read_testdata_json;

std::string str(const bj::value& v, std::string_view key) {
  return std::string(v.at(key).as_string());
}

class SmartRecruitersTest : public ::testing::Test {
 protected:
  SmartRecruitersTest() {
    vectors_ = read_testdata_json("smartrecruiters/testdata/vectors.json");
    secret_ = str(vectors_, "secret");
    newer_ = str(vectors_, "newer_secret");
    connector_ = make_smartrecruiters_connector(clock_);
    set_now(1574080897 + 10);
  }

  void set_now(std::int64_t seconds) { clock_.set(seconds * 1000); }

  static std::string body_of(std::string_view file) {
    return read_testdata("smartrecruiters/testdata/" + std::string(file));
  }

  // The case of vectors.json named `name`.
  const bj::value& vector(std::string_view name) const {
    for (const auto& c : vectors_.at("cases").as_array())
      if (c.at("name").as_string() == name) return c;
    throw std::runtime_error("no vector " + std::string(name));
  }

  // The request of one vector in vectors.json, with its documented headers.
  http::Request vector_request(std::string_view name) const {
    const bj::value& v = vector(name);
    HeaderList headers;
    for (const auto& [k, value] : v.at("headers").as_object())
      headers.emplace_back(std::string(k), std::string(value.as_string()));
    return post_request(body_of(str(v, "body_file")), std::move(headers));
  }

  // A header of one vector in vectors.json.
  std::string vector_header(std::string_view name, std::string_view header) const {
    return str(vector(name).at("headers"), header);
  }

  // A delivery of `body` signed now under `key` for `event`.
  http::Request signed_request(std::string body, std::string event, const std::string& key) const {
    const std::string ts = std::to_string(clock_.now_ms() / 1000);
    const std::string link = "<https://api.smartrecruiters.com/candidates/x>; rel=self";
    const std::string message = ts + "." + body + ".evt-1." + event + ".v201907." + link;
    const std::string sig = "v1=" + crypto::hex_encode(crypto::hmac_sha256(key, message));
    return post_request(std::move(body), {{"smartrecruiters-signature", sig},
                                          {"smartrecruiters-timestamp", ts},
                                          {"event-id", "evt-1"},
                                          {"event-name", event},
                                          {"event-version", "v201907"},
                                          {"link", link}});
  }

  Verification verify(const http::Request& r) const {
    return connector_->verify(r, VerificationKeys{{secret_}});
  }

  static void set_header(http::Request& r, std::string_view name, std::string value) {
    for (auto& [k, v] : r.headers)
      if (http::iequals(k, name)) v = value;
  }
  static void drop_header(http::Request& r, std::string_view name) {
    std::erase_if(r.headers, [&](const auto& h) { return http::iequals(h.first, name); });
  }

  Result<ParsedEvent> parse(std::string_view file, std::string event, std::string event_id = "evt-1") const {
    return connector_->parse(
        post_request(body_of(file), {{"event-name", std::move(event)}, {"event-id", std::move(event_id)}}));
  }

  testing::ManualClock clock_;
  std::unique_ptr<Connector> connector_;
  bj::value vectors_;
  std::string secret_;
  std::string newer_;
};

TEST_F(SmartRecruitersTest, HandshakeEchoesXHookSecret) {
  auto r = post_request("", {{"X-Hook-Secret", "4jn8fs9011jj8"}});
  auto answer = connector_->handshake(r);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  ASSERT_TRUE(answer->header("X-Hook-Secret").has_value());
  EXPECT_EQ(*answer->header("X-Hook-Secret"), "4jn8fs9011jj8");

  // Not a handshake: a normal delivery.
  EXPECT_FALSE(connector_->handshake(vector_request("documented")).has_value());

  // Duplicated, empty, oversized or header-splitting values are refused.
  auto dup = post_request("", {{"X-Hook-Secret", "a"}, {"x-hook-secret", "b"}});
  ASSERT_TRUE(connector_->handshake(dup).has_value());
  EXPECT_EQ(connector_->handshake(dup)->status, 400);
  EXPECT_EQ(connector_->handshake(post_request("", {{"X-Hook-Secret", ""}}))->status, 400);
  EXPECT_EQ(connector_->handshake(post_request("", {{"X-Hook-Secret", std::string(600, 'a')}}))->status, 400);
  EXPECT_EQ(connector_->handshake(post_request("", {{"X-Hook-Secret", "a\r\nSet-Cookie: x"}}))->status, 400);
}

TEST_F(SmartRecruitersTest, SeveralV1ValuesAcceptAnyMatchingKey) {
  auto r = vector_request("documented");
  const std::string doc_sig = vector_header("documented", "smartrecruiters-signature");
  const std::string newer_sig = str(vector("documented"), "newer_key_signature");
  // The header of a rotation: the newer key's value first, the old one second.
  set_header(r, "smartrecruiters-signature", newer_sig + ";" + doc_sig);
  EXPECT_TRUE(connector_->verify(r, VerificationKeys{{secret_}}).ok);
  auto v = connector_->verify(r, VerificationKeys{{newer_, secret_}});
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.scheme.find("previous"), std::string::npos);  // the current key matched
  v = connector_->verify(r, VerificationKeys{{"unrelated", secret_}});
  EXPECT_TRUE(v.ok);
  EXPECT_NE(v.scheme.find("previous"), std::string::npos);
  // Spaces, unknown schemes and an empty segment are tolerated; upper-case hex too.
  std::string upper = doc_sig.substr(3);
  for (auto& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  set_header(r, "smartrecruiters-signature", "v2=abcdef; ;v1=" + upper + " ");
  EXPECT_TRUE(verify(r).ok);
  // Only the newer key's value while we hold only the old key: rejected.
  set_header(r, "smartrecruiters-signature", newer_sig);
  EXPECT_FALSE(verify(r).ok);
}

TEST_F(SmartRecruitersTest, RejectsTamperingAndMalformedHeaders) {
  struct Case {
    std::string name;
    std::function<void(http::Request&)> mutate;
  };
  const std::string sig = vector_header("documented", "smartrecruiters-signature");
  std::vector<Case> cases = {
      {"tampered body", [](http::Request& r) { r.body = R"({"job_id":"jid","candidate_id":"other"})"; }},
      {"body with a space", [](http::Request& r) { r.body = R"({"job_id":"jid","candidate_id": "cid"})"; }},
      {"changed event-name", [](http::Request& r) { set_header(r, "event-name", "candidate.deleted"); }},
      {"changed event-id", [](http::Request& r) { set_header(r, "event-id", "124"); }},
      {"changed version", [](http::Request& r) { set_header(r, "event-version", "v201911"); }},
      {"changed link", [](http::Request& r) { set_header(r, "link", "<http://evil.example>; rel=self"); }},
      {"dropped link", [](http::Request& r) { drop_header(r, "link"); }},
      {"changed timestamp",
       [](http::Request& r) { set_header(r, "smartrecruiters-timestamp", "1574080898"); }},
      {"missing signature", [](http::Request& r) { drop_header(r, "smartrecruiters-signature"); }},
      {"missing timestamp", [](http::Request& r) { drop_header(r, "smartrecruiters-timestamp"); }},
      {"non-numeric timestamp",
       [](http::Request& r) { set_header(r, "smartrecruiters-timestamp", "2019-11-18T12:41:37Z"); }},
      {"duplicated signature",
       [sig](http::Request& r) { r.headers.emplace_back("smartrecruiters-signature", sig); }},
      {"duplicated event-id", [](http::Request& r) { r.headers.emplace_back("event-id", "123"); }},
      {"duplicated link", [](http::Request& r) { r.headers.emplace_back("Link", "<x>; rel=self"); }},
      {"wrong prefix",
       [sig](http::Request& r) { set_header(r, "smartrecruiters-signature", "v2=" + sig.substr(3)); }},
      {"no prefix", [sig](http::Request& r) { set_header(r, "smartrecruiters-signature", sig.substr(3)); }},
      {"sha256= prefix",
       [sig](http::Request& r) { set_header(r, "smartrecruiters-signature", "sha256=" + sig.substr(3)); }},
      {"truncated hex",
       [sig](http::Request& r) {
         set_header(r, "smartrecruiters-signature", sig.substr(0, sig.size() - 2));
       }},
      {"not hex",
       [sig](http::Request& r) {
         set_header(r, "smartrecruiters-signature", sig.substr(0, sig.size() - 1) + "g");
       }},
      {"empty header", [](http::Request& r) { set_header(r, "smartrecruiters-signature", ""); }},
      {"only separators", [](http::Request& r) { set_header(r, "smartrecruiters-signature", ";;;"); }},
      {"too many values",
       [sig](http::Request& r) {
         std::string many;
         for (int i = 0; i < 100; ++i)
           many += "v2=x;";
         set_header(r, "smartrecruiters-signature", many + sig);
       }},
  };
  for (const auto& c : cases) {
    auto r = vector_request("documented");
    c.mutate(r);
    auto v = verify(r);
    EXPECT_FALSE(v.ok) << c.name;
    EXPECT_FALSE(v.reason.empty()) << c.name;
    EXPECT_EQ(v.reason.find(secret_), std::string::npos) << c.name;
  }
  // Wrong key, and no key at all.
  auto r = vector_request("documented");
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{"HeBVky2bccvvkcXPimH8d"}}).ok);
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{}}).ok);
  EXPECT_FALSE(connector_->verify(r, VerificationKeys{{""}}).ok);
}

TEST_F(SmartRecruitersTest, StaleOrFutureTimestampsAreRejected) {
  auto r = vector_request("documented");
  set_now(1574080897 + 299);
  EXPECT_TRUE(verify(r).ok);
  set_now(1574080897 + 301);
  auto v = verify(r);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("5 minutes"), std::string::npos) << v.reason;
  set_now(1574080897 - 301);
  EXPECT_FALSE(verify(r).ok);
  // The real clock: the 2019 example is long stale.
  Registry registry;
  register_smartrecruiters(registry);
  EXPECT_FALSE(registry.find("smartrecruiters")->verify(r, VerificationKeys{{secret_}}).ok);
}

TEST_F(SmartRecruitersTest, FreshSignedDeliveryVerifies) {
  set_now(1790000000);
  auto r = signed_request(body_of("candidate_created.json"), "candidate.created", secret_);
  EXPECT_TRUE(verify(r).ok) << verify(r).reason;
}

TEST_F(SmartRecruitersTest, ParsesEveryFedEvent) {
  struct Case {
    std::string file;
    std::string event;
    Model model;
    Action action;
    std::string remote_id;
  };
  const std::vector<Case> cases = {
      {"candidate_created.json", "candidate.created", Model::kAtsCandidates, Action::kCreated,
       "3b1e2c4d-5f60-4a7b-8c9d-0e1f2a3b4c5d"},
      {"application_created.json", "application.created", Model::kAtsCandidates, Action::kCreated,
       "3b1e2c4d-5f60-4a7b-8c9d-0e1f2a3b4c5d"},
      {"candidate_deleted.json", "candidate.deleted", Model::kAtsCandidates, Action::kDeleted,
       "3b1e2c4d-5f60-4a7b-8c9d-0e1f2a3b4c5d"},
      {"job_updated.json", "job.updated", Model::kAtsJobs, Action::kUpdated, "743999693381732"},
      {"job_status_updated.json", "job.status.updated", Model::kAtsJobs, Action::kUpdated, "743999693381732"},
      {"job_ad_postings_updated.json", "job.ad.postings.updated", Model::kAtsJobs, Action::kPublished,
       "743999693381732"},
      {"doc_application_created.json", "application.created", Model::kAtsCandidates, Action::kCreated, "cid"},
  };
  for (const auto& c : cases) {
    auto parsed = parse(c.file, c.event, "evt-" + c.event);
    ASSERT_TRUE(parsed.ok()) << c.event << ": " << parsed.error().message;
    EXPECT_EQ(parsed->vendor_event, c.event);
    EXPECT_EQ(parsed->delivery_id, "evt-" + c.event);
    EXPECT_FALSE(parsed->is_ping);
    ASSERT_EQ(parsed->events.size(), 1u) << c.event;
    EXPECT_EQ(parsed->events[0].model, c.model) << c.event;
    EXPECT_EQ(parsed->events[0].action, c.action) << c.event;
    EXPECT_EQ(parsed->events[0].remote_id, c.remote_id) << c.event;
  }
}

TEST_F(SmartRecruitersTest, PostingsStateInTheBodyDecidesPublishOrUnpublish) {
  auto parse_body = [&](std::string body) {
    return connector_->parse(post_request(std::move(body), {{"event-name", "job.ad.postings.updated"}}));
  };
  auto p = parse_body(R"({"job_id":"j1","job_ad_id":"a1","postingStatus":"NOT_PUBLISHED"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->events.at(0).action, Action::kUnpublished);
  p = parse_body(R"({"job_id":"j1","job_ad_id":"a1","postingStatus":"PUBLIC"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->events.at(0).action, Action::kPublished);
  p = parse_body(R"({"job_id":"j1","published":false})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->events.at(0).action, Action::kUnpublished);
  p = parse_body(R"({"job_id":12345,"job_ad_id":"a1"})");  // numeric ids are accepted
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->events.at(0).remote_id, "12345");
}

// The body rarely says: the job's postingStatus (mapped to a visibility) tells the processor whether it is
// published, before and after the postings update.
TEST_F(SmartRecruitersTest, AJobIsPublishedWhileItsPostingStatusGivesItAVisibility) {
  for (const char* visibility : {"PUBLIC", "INTERNAL", "UNLISTED"})
    EXPECT_EQ(connector_->job_published(boost::json::object{{"visibility", visibility}}),
              std::optional<bool>(true))
        << visibility;
  EXPECT_EQ(connector_->job_published(boost::json::object{{"visibility", nullptr}}),
            std::optional<bool>(false));
  EXPECT_EQ(connector_->job_published(boost::json::object{}), std::optional<bool>(false));
}

TEST_F(SmartRecruitersTest, UnfedEventsMapToNothing) {
  for (const char* event : {"candidate.updated", "application.status.updated", "job.created",
                            "job.ad.created", "position.created", "something.new"}) {
    auto parsed = parse("candidate_updated.json", event);
    ASSERT_TRUE(parsed.ok()) << event;
    EXPECT_EQ(parsed->vendor_event, event);
    EXPECT_TRUE(parsed->events.empty()) << event;
  }
}

TEST_F(SmartRecruitersTest, MalformedDeliveriesAreErrors) {
  auto p = connector_->parse(post_request("{}", {}));
  EXPECT_FALSE(p.ok());  // no event-name
  p = connector_->parse(post_request("{}", {{"event-name", "a"}, {"event-name", "b"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request("not json", {{"event-name", "candidate.created"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request("[1]", {{"event-name", "candidate.created"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request(R"({"id":{"x":1}})", {{"event-name", "candidate.created"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request(R"({"candidate_id":""})", {{"event-name", "application.created"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request(R"({"job_ad_id":"a"})", {{"event-name", "job.ad.postings.updated"}}));
  EXPECT_FALSE(p.ok());
  p = connector_->parse(post_request(R"({"id":"c1"})", {{"event-name", std::string(300, 'x')}}));
  EXPECT_FALSE(p.ok());
  // A hostile event-id is not used as a dedupe key.
  p = connector_->parse(post_request(
      R"({"id":"c1"})", {{"event-name", "candidate.created"}, {"event-id", std::string(500, 'x')}}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delivery_id, "");
}

}  // namespace
}  // namespace tributary::connectors
