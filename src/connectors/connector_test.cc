#include "connectors/connector.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "connectors/common/scripted_api.h"
#include "connectors/registry.h"

namespace tributary::connectors {
namespace {

// A minimal manual connector to exercise the defaults.
class FakeConnector : public Connector {
 public:
  std::string_view tool() const override { return "fake"; }
  std::string_view display_name() const override { return "Fake"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kManual; }
  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsJobs, Action::kUpdated, {"job.update", "job.touch"}, ""},
        {Model::kAtsCandidates, Action::kCreated, {"cand.new"}, ""},
        {Model::kAtsJobs, Action::kPublished, {"job.touch", "job.live"}, "[inferred]"},
    };
    return kFeeds;
  }
  std::vector<std::string> credential_keys() const override { return {}; }
  std::string default_base_url(const boost::json::object&) const override { return ""; }
  Verification verify(const http::Request&, const VerificationKeys&) const override { return {}; }
  Result<ParsedEvent> parse(const http::Request&) const override { return ParsedEvent{}; }
};

TEST(Connector, SubscriptionModeNames) {
  EXPECT_EQ(to_string(SubscriptionMode::kApi), "api");
  EXPECT_EQ(to_string(SubscriptionMode::kManual), "manual");
}

TEST(Connector, VendorEventsAreDedupedInDeclarationOrder) {
  FakeConnector c;
  using Events = std::vector<std::string>;
  EXPECT_EQ(vendor_events_for(c, {Model::kAtsJobs}), (Events{"job.update", "job.touch", "job.live"}));
  EXPECT_EQ(vendor_events_for(c, {Model::kAtsCandidates}), (Events{"cand.new"}));
  EXPECT_EQ(vendor_events_for(c, {Model::kAtsCandidates, Model::kAtsJobs}),
            (Events{"job.update", "job.touch", "cand.new", "job.live"}));
  EXPECT_TRUE(vendor_events_for(c, {}).empty());
  EXPECT_TRUE(vendor_events_for(c, {Model::kHrisEmployees}).empty());
}

TEST(Connector, DefaultPlanIsOneSubscriptionOrNone) {
  FakeConnector c;
  auto plan = c.plan_subscriptions({Model::kAtsJobs, Model::kAtsCandidates});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0], vendor_events_for(c, {Model::kAtsJobs, Model::kAtsCandidates}));
  EXPECT_TRUE(c.plan_subscriptions({}).empty());
  EXPECT_TRUE(c.plan_subscriptions({Model::kHrisAbsences}).empty());
}

TEST(Connector, Defaults) {
  FakeConnector c;
  http::Request r;
  EXPECT_FALSE(c.handshake(r).has_value());
  EXPECT_EQ(c.accepted_status(), 200);
  EXPECT_TRUE(c.we_choose_secret());

  SubscriptionRequest req{{"job.update", "cand.new"}, "https://relay.example.com/ingress/abc", "shh"};
  const std::string text = c.setup_instructions(req);
  EXPECT_NE(text.find("https://relay.example.com/ingress/abc"), std::string::npos);
  EXPECT_NE(text.find("job.update, cand.new"), std::string::npos);
  EXPECT_EQ(text.find("shh"), std::string::npos);

  auto created = c.create_subscription(ApiContext{}, req);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("not supported for manual tools"), std::string::npos);
  auto deleted = c.delete_subscription(ApiContext{}, "x");
  ASSERT_FALSE(deleted.ok());
  EXPECT_NE(deleted.error().message.find("not supported for manual tools"), std::string::npos);
}

// The fake reading jobs, counting the calls that reach its fetch_record.
class RecordingConnector final : public FakeConnector {
 public:
  bool supports_records(Model model) const override { return model == Model::kAtsJobs; }
  Result<std::optional<boost::json::object>> fetch_record(const ApiContext&, Model,
                                                          const std::string& remote_id) const override {
    ++calls;
    if (remote_id == "gone") return std::optional<boost::json::object>{};
    return std::optional<boost::json::object>(boost::json::object{{"remote_id", remote_id}});
  }
  mutable int calls = 0;
};

TEST(Connector, FetchGuardsOnceForEveryToolAndCompletesTheRecord) {
  RecordingConnector c;
  http::CurlClient client{http::CurlClientOptions{}};
  ApiContext ctx;
  ctx.client = &client;

  auto unsupported = c.fetch(ctx, Model::kAtsCandidates, "7");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(unsupported.error().message, "Fake: reading ats_candidates records is not supported");
  auto empty = c.fetch(ctx, Model::kAtsJobs, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(empty.error().message, "Fake: empty record id");
  auto no_client = c.fetch(ApiContext{}, Model::kAtsJobs, "7");
  ASSERT_FALSE(no_client.ok());
  EXPECT_EQ(no_client.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(c.calls, 0) << "a guarded call reached the connector";

  auto gone = c.fetch(ctx, Model::kAtsJobs, "gone");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto got = c.fetch(ctx, Model::kAtsJobs, "7");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(check_record(Model::kAtsJobs, **got).missing.empty());
  EXPECT_EQ(c.calls, 2);
}

// An integration's hosts are whatever an API caller set: every call to the tool is held to the SSRF guard at
// connect time, and a plain-http one (credentials in clear) to the allow list.
TEST(ApiContext, EveryCallToTheToolGoesThroughTheSsrfGuard) {
  testing::ScriptedApi tool;
  tool.set("*", 200, "{}");
  ASSERT_TRUE(tool.start().ok());
  ApiContext ctx;
  http::CurlClient unlisted{http::CurlClientOptions{}};  // no allow list: loopback is refused
  ctx.client = &unlisted;
  http::ClientRequest request;
  request.url = tool.base_url() + "/v1/employees";
  http::ClientResponse refused = ctx.send(request);
  EXPECT_TRUE(refused.blocked_by_guard);
  EXPECT_EQ(refused.error, "blocked by SSRF guard: loopback address 127.0.0.1");
  EXPECT_TRUE(tool.requests().empty());

  // A public address passes the guard, but not over plain http unless it is allow-listed: refused before
  // any packet is sent.
  request.url = "http://93.184.216.34:9/v1/employees";
  request.timeout = std::chrono::milliseconds(2000);
  refused = ctx.send(request);
  EXPECT_TRUE(refused.blocked_by_guard);
  EXPECT_EQ(refused.error, "blocked by SSRF guard: address 93.184.216.34 is not in the allow list");

  http::CurlClientOptions loopback;
  loopback.guard = http::NetworkGuard::create({"127.0.0.0/8"}).value();
  http::CurlClient listed{loopback};
  ctx.client = &listed;
  request.url = tool.base_url() + "/v1/employees";
  http::ClientResponse answered = ctx.send(request);
  EXPECT_EQ(answered.status, 200) << answered.error;
  EXPECT_EQ(tool.requests().size(), 1u);
}

TEST(Registry, AddFindAll) {
  Registry r;
  EXPECT_EQ(r.find("fake"), nullptr);
  r.add(std::make_unique<FakeConnector>());
  ASSERT_NE(r.find("fake"), nullptr);
  EXPECT_EQ(r.find("fake")->display_name(), "Fake");
  EXPECT_EQ(r.find("Fake"), nullptr);
  EXPECT_EQ(r.all().size(), 1u);
}

TEST(Registry, BuiltinRegistryHasTheConnectors) {
  const Registry& r = builtin_registry();
  EXPECT_EQ(&r, &builtin_registry());
  ASSERT_NE(r.find("greenhouse"), nullptr);
  ASSERT_NE(r.find("personio"), nullptr);
  EXPECT_EQ(r.find("unknown"), nullptr);
  EXPECT_GE(r.all().size(), 2u);
}

// The coverage grid is generated from these declarations, so they must stay inside the promised vocabulary.
TEST(Registry, EveryFeedIsAPromisedUnifiedEventOfTheConnectorsCategory) {
  for (const Connector* c : builtin_registry().all()) {
    SCOPED_TRACE(std::string(c->tool()));
    EXPECT_FALSE(c->feeds().empty());
    EXPECT_FALSE(c->credential_keys().empty());
    EXPECT_EQ(builtin_registry().find(c->tool()), c);  // tools are unique
    for (const EventFeed& feed : c->feeds()) {
      // A tool may carry models beyond its category (Workable is an ATS with employees and time off) when it
      // also reads them.
      EXPECT_TRUE(category_of(feed.model) == c->category() || c->supports_records(feed.model))
          << to_string(feed.model);
      // A feed without vendor events declares a change the tool sends no webhook for; it must say how the
      // change is found instead (the coverage grid prints that note).
      EXPECT_TRUE(!feed.vendor_events.empty() || !feed.note.empty());
      const auto& kinds = unified_event_kinds();
      EXPECT_NE(std::find_if(kinds.begin(), kinds.end(),
                             [&](const UnifiedEventKind& k) {
                               return k.model == feed.model && k.action == feed.action;
                             }),
                kinds.end())
          << to_string(feed.model) << " " << to_string(feed.action);
    }
  }
}

}  // namespace
}  // namespace tributary::connectors

namespace tributary::connectors {
namespace {

TEST(RemoteIdProblem, ShortPrintableIdsAreUsableOthersSayWhyNot) {
  EXPECT_FALSE(remote_id_problem("12345"));
  EXPECT_FALSE(remote_id_problem("a1b2-c3/d4"));  // encoded wherever it goes into a URL
  EXPECT_FALSE(remote_id_problem(std::string(kMaxRemoteIdBytes, '9')));
  EXPECT_EQ(remote_id_problem(""), std::optional<std::string>("the remote id is empty"));
  auto long_id = remote_id_problem(std::string(kMaxRemoteIdBytes + 1, '9'));
  ASSERT_TRUE(long_id);
  EXPECT_NE(long_id->find("257 bytes"), std::string::npos) << *long_id;
  EXPECT_TRUE(remote_id_problem(std::string("12\n34")));
  EXPECT_TRUE(remote_id_problem(std::string("12\x7f")));
  EXPECT_TRUE(
      remote_id_problem(std::string("12\0"
                                    "3",
                                    4)));
}

}  // namespace
}  // namespace tributary::connectors
