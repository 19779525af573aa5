// The conformance suite every registered connector passes, driven by two files of its testdata/ folder:
//
// declaration.json — what the connector declares: display_name, category ("ATS" | "HRIS"), subscription_mode
//   ("api" | "manual"), we_choose_secret, credential_keys, default_base_url (for the example `credentials`,
//   {} when absent), accepted_status, the models it reads (records) and lists incrementally (lists_changes),
//   and the subscriptions it plans when every model is enabled.
// vectors.json — signed deliveries: the `secret` they were signed with, the time they are verified at (`now`,
//   ISO-8601, per case or for the file), what the signature covers (`signed`: headers, whether every body
//   byte, body fields by dotted path) and the cases: body_file, headers, the Verification scheme, and what
//   parse() makes of it (vendor_event, is_ping, delivery_id or a delivery_id_pattern regex, events). Extra
//   keys are the connector's own tests' business.
// records.json (every connector has one; its answers are vendor examples in contract/) — `credentials` and
//   `examples`: a model, the answers a scripted API gives (route → file under testdata/) and a `remote_id`
//   to fetch, or `list`: true for the first page of a listing. Every record read must be one of the model
//   (check_record: every required field, no key the model does not have).
//
// Besides matching those files, every declaration must be consistent (each fed model is read, plans carry
// exactly the vendor events of the enabled models), every vector must verify and parse as recorded, and every
// tampered copy, wrong key or missing key must be rejected without the secret in the reason. Tool-specific
// edge cases stay in each connector's own tests.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "connectors/common/scripted_api.h"
#include "connectors/common/test_support.h"
#include "connectors/model.h"
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
using testing::post_request;

std::vector<std::string> registered_tools() {
  std::vector<std::string> out;
  for (const Connector* c : builtin_registry().all())
    out.emplace_back(c->tool());
  return out;
}

std::string str(const bj::value& v, std::string_view key) {
  return std::string(v.at(key).as_string());
}

std::vector<std::string> strings(const bj::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array())
    out.emplace_back(s.as_string());
  return out;
}

std::set<Model> models(const bj::value& v) {
  std::set<Model> out;
  for (const auto& name : strings(v)) {
    auto m = parse_model(name);
    EXPECT_TRUE(m.has_value()) << name;
    if (m) out.insert(*m);
  }
  return out;
}

std::set<std::string> flattened(const std::vector<std::vector<std::string>>& plan) {
  std::set<std::string> out;
  for (const auto& group : plan) {
    EXPECT_FALSE(group.empty()) << "a planned subscription carries no event";
    for (const auto& event : group)
      EXPECT_TRUE(out.insert(event).second) << event << " is planned twice";
  }
  return out;
}

// `text` with the letter or digit nearest its middle replaced by another one (in the middle, a base64 or hex
// character carries no padding bits).
std::string altered(std::string text) {
  auto bump = [](char& c) {
    if (c >= '0' && c <= '9') {
      c = c == '9' ? '0' : static_cast<char>(c + 1);
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      c = c == 'z' ? 'a' : c == 'Z' ? 'A' : static_cast<char>(c + 1);
    } else {
      return false;
    }
    return true;
  };
  const std::size_t middle = text.size() / 2;
  for (std::size_t i = middle; i < text.size(); ++i)
    if (bump(text[i])) return text;
  for (std::size_t i = middle; i-- > 0;)
    if (bump(text[i])) return text;
  return text + "x";
}

// The JSON value at a dotted path of `doc`, or nullptr.
bj::value* value_at(bj::value& doc, std::string_view path) {
  bj::value* cur = &doc;
  while (!path.empty()) {
    const auto dot = path.find('.');
    auto* obj = cur->if_object();
    if (obj == nullptr) return nullptr;
    cur = obj->if_contains(path.substr(0, dot));
    if (cur == nullptr) return nullptr;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

struct Tampered {
  std::string what;
  http::Request request;
};

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    register_builtin(registry_, clock_);
    connector_ = registry_.find(GetParam());
    ASSERT_NE(connector_, nullptr);
    declaration_ = testing::read_testdata_json(GetParam() + "/testdata/declaration.json");
    vectors_ = testing::read_testdata_json(GetParam() + "/testdata/vectors.json");
    secret_ = str(vectors_, "secret");
  }

  std::string body_of(const bj::value& c) const {
    return testing::read_testdata(GetParam() + "/testdata/" + str(c, "body_file"));
  }

  // The case's request as the vendor sends it, with the clock set to when it is verified.
  http::Request request_of(const bj::value& c) {
    HeaderList headers;
    for (const auto& [name, value] : c.at("headers").as_object())
      headers.emplace_back(std::string(name), std::string(value.as_string()));
    const bj::value* now = c.as_object().if_contains("now");
    if (now == nullptr) now = vectors_.as_object().if_contains("now");
    if (now != nullptr) {
      auto at = parse_iso8601(now->as_string());
      EXPECT_TRUE(at.has_value()) << "now: " << now->as_string();
      clock_.set(at.value_or(0));
    }
    return post_request(body_of(c), std::move(headers));
  }

  // Copies of `r` with one signed part changed, as vectors.json's `signed` says what the signature covers.
  std::vector<Tampered> tampered(const http::Request& r) const {
    const bj::object& signed_parts = vectors_.at("signed").as_object();
    std::vector<Tampered> out;
    for (const auto& name : strings(signed_parts.at("headers"))) {
      if (r.header_count(name) == 0) continue;
      Tampered t{"header " + name, r};
      for (auto& header : t.request.headers)
        if (http::iequals(header.first, name)) header.second = altered(header.second);
      out.push_back(std::move(t));
    }
    if (signed_parts.at("body").as_bool() && !r.body.empty()) {
      Tampered t{"a body byte", r};
      t.request.body = altered(r.body);
      out.push_back(std::move(t));
    }
    if (const bj::value* fields = signed_parts.if_contains("fields")) {
      for (const auto& path : strings(*fields)) {
        boost::system::error_code ec;
        bj::value doc = bj::parse(r.body, ec);
        if (ec) continue;
        bj::value* v = value_at(doc, path);
        if (v == nullptr) continue;
        if (v->is_string()) {
          *v = altered(std::string(v->get_string()));
        } else if (v->is_int64()) {
          *v = v->get_int64() + 1;
        } else {
          *v = "tampered";
        }
        Tampered t{"body field " + path, r};
        t.request.body = json::serialize(doc);
        out.push_back(std::move(t));
      }
    }
    return out;
  }

  testing::ManualClock clock_;
  Registry registry_;
  const Connector* connector_ = nullptr;
  bj::value declaration_;
  bj::value vectors_;
  std::string secret_;
};

TEST_P(ConformanceTest, DeclarationIsTheOneInTestdata) {
  const Connector& c = *connector_;
  const bj::value& d = declaration_;
  EXPECT_EQ(c.tool(), GetParam());
  EXPECT_EQ(c.display_name(), str(d, "display_name"));
  EXPECT_EQ(to_string(c.category()), str(d, "category"));
  EXPECT_EQ(to_string(c.subscription_mode()), str(d, "subscription_mode"));
  EXPECT_EQ(c.we_choose_secret(), d.at("we_choose_secret").as_bool());
  EXPECT_EQ(c.credential_keys(), strings(d.at("credential_keys")));
  bj::object credentials;
  if (const bj::value* example = d.as_object().if_contains("credentials")) credentials = example->as_object();
  EXPECT_EQ(c.default_base_url(credentials), str(d, "default_base_url"));
  EXPECT_EQ(c.accepted_status(), d.at("accepted_status").to_number<int>());
  const std::set<Model> records = models(d.at("records"));
  const std::set<Model> changes = models(d.at("lists_changes"));
  for (Model m : kAllModels) {
    EXPECT_EQ(c.supports_records(m), records.count(m) > 0) << to_string(m);
    EXPECT_EQ(c.lists_changes(m), changes.count(m) > 0) << to_string(m);
  }
  std::vector<std::vector<std::string>> subscriptions;
  for (const auto& group : d.at("subscriptions").as_array())
    subscriptions.push_back(strings(group));
  EXPECT_EQ(c.plan_subscriptions({std::begin(kAllModels), std::end(kAllModels)}), subscriptions);
}

TEST_P(ConformanceTest, DeclarationIsConsistent) {
  const Connector& c = *connector_;
  EXPECT_EQ(builtin_registry().find(GetParam())->display_name(), c.display_name());
  EXPECT_FALSE(c.display_name().empty());
  const auto keys = c.credential_keys();
  EXPECT_FALSE(keys.empty());
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size()) << "a credential key twice";
  bj::object credentials;
  if (const bj::value* example = declaration_.as_object().if_contains("credentials"))
    credentials = example->as_object();
  const std::string base = c.default_base_url(credentials);
  EXPECT_EQ(base.rfind("https://", 0), 0u) << base;
  EXPECT_NE(base.back(), '/') << base;
  EXPECT_GE(c.accepted_status(), 200);
  EXPECT_LE(c.accepted_status(), 299);

  // Events ↔ models: every model a vendor event feeds is read (the processor fetches the record of each
  // event); a model beyond the tool's category is read only when the tool feeds it.
  std::set<Model> fed;
  for (const EventFeed& feed : c.feeds()) {
    for (const auto& event : feed.vendor_events)
      EXPECT_FALSE(event.empty()) << to_string(feed.model);
    if (!feed.vendor_events.empty()) fed.insert(feed.model);
  }
  EXPECT_FALSE(fed.empty()) << "no vendor event feeds any model";
  for (Model m : kAllModels) {
    SCOPED_TRACE(std::string(to_string(m)));
    EXPECT_TRUE(fed.count(m) == 0 || c.supports_records(m)) << "fed but not read";
    EXPECT_TRUE(!c.supports_records(m) || category_of(m) == c.category() || fed.count(m) > 0)
        << "read beyond the category without being fed";
    EXPECT_TRUE(!c.lists_changes(m) || c.supports_records(m)) << "lists changes of a model it cannot read";
  }

  // Scopes: enabling models subscribes to exactly the vendor events that feed them, each once.
  EXPECT_TRUE(c.plan_subscriptions({}).empty());
  auto events_of = [&](const std::set<Model>& enabled) {
    const auto events = vendor_events_for(c, enabled);
    return std::set<std::string>(events.begin(), events.end());
  };
  const std::set<Model> all(std::begin(kAllModels), std::end(kAllModels));
  EXPECT_EQ(flattened(c.plan_subscriptions(all)), events_of(all));
  for (Model m : kAllModels) {
    SCOPED_TRACE(std::string(to_string(m)));
    EXPECT_EQ(flattened(c.plan_subscriptions({m})), events_of({m}));
    EXPECT_TRUE(fed.count(m) > 0 || c.plan_subscriptions({m}).empty());
  }
}

TEST_P(ConformanceTest, EverySignatureVectorVerifiesAndParses) {
  const auto& cases = vectors_.at("cases").as_array();
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(str(c, "body_file"));
    const http::Request r = request_of(c);
    EXPECT_FALSE(connector_->handshake(r).has_value()) << "a signed delivery was answered as a handshake";
    const Verification v = connector_->verify(r, VerificationKeys{{secret_}});
    EXPECT_TRUE(v.ok) << v.reason;
    EXPECT_EQ(v.scheme, str(c, "scheme"));
    EXPECT_TRUE(v.reason.empty());

    auto parsed = connector_->parse(r);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->vendor_event, str(c, "vendor_event"));
    EXPECT_EQ(parsed->is_ping, c.at("is_ping").as_bool());
    if (const bj::value* pattern = c.as_object().if_contains("delivery_id_pattern")) {
      EXPECT_TRUE(std::regex_match(parsed->delivery_id, std::regex(std::string(pattern->as_string()))))
          << parsed->delivery_id;
    } else {
      EXPECT_EQ(parsed->delivery_id, str(c, "delivery_id"));
    }
    testing::expect_events(parsed->events, c.at("events"));
  }
}

TEST_P(ConformanceTest, TamperedVectorsAndWrongOrMissingKeysAreRejected) {
  for (const auto& c : vectors_.at("cases").as_array()) {
    SCOPED_TRACE(str(c, "body_file"));
    const http::Request r = request_of(c);
    auto rejected = [&](const http::Request& request, const VerificationKeys& keys, const std::string& what) {
      const Verification v = connector_->verify(request, keys);
      EXPECT_FALSE(v.ok) << what << " verified";
      EXPECT_FALSE(v.reason.empty()) << what;
      EXPECT_EQ(v.reason.find(secret_), std::string::npos) << what << ": the reason shows the secret";
    };
    const auto copies = tampered(r);
    EXPECT_FALSE(copies.empty()) << "vectors.json's \"signed\" names nothing this case carries";
    for (const auto& t : copies)
      rejected(t.request, VerificationKeys{{secret_}}, "tampered " + t.what);
    rejected(r, VerificationKeys{{altered(secret_)}}, "another key");
    rejected(r, VerificationKeys{}, "no key");
    rejected(r, VerificationKeys{{""}}, "an empty key");
    // During a rotation the previous secret still verifies, and the scheme says so.
    const Verification rotated = connector_->verify(r, VerificationKeys{{altered(secret_), secret_}});
    EXPECT_TRUE(rotated.ok) << rotated.reason;
    EXPECT_NE(rotated.scheme.find("previous secret"), std::string::npos) << rotated.scheme;
  }
}

// The guards of Connector::fetch hold for every tool: a model it does not read, no HTTP client, an empty id.
TEST_P(ConformanceTest, FetchRefusesWhatNoToolCanRead) {
  testing::GuardedLoopbackClient client;
  ApiContext ctx;
  ctx.client = &client;
  for (Model m : kAllModels) {
    SCOPED_TRACE(std::string(to_string(m)));
    if (!connector_->supports_records(m)) {
      auto got = connector_->fetch(ctx, m, "1");
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.error().kind, ErrorKind::kInvalidArgument);
      continue;
    }
    auto no_client = connector_->fetch(ApiContext{}, m, "1");
    ASSERT_FALSE(no_client.ok());
    EXPECT_EQ(no_client.error().kind, ErrorKind::kInternal);
    auto empty = connector_->fetch(ctx, m, "");
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().kind, ErrorKind::kInvalidArgument);
  }
}

TEST_P(ConformanceTest, VendorExampleRecordsAreRecordsOfTheirModel) {
  const std::string file = GetParam() + "/testdata/records.json";
  ASSERT_TRUE(std::filesystem::exists(std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "src/connectors" / file))
      << "every connector reads vendor example answers: " << file << " is missing";
  const bj::value table = testing::read_testdata_json(file);
  for (const auto& example : table.at("examples").as_array()) {
    SCOPED_TRACE(bj::serialize(example));
    testing::ScriptedApi api;
    ASSERT_TRUE(api.start().ok());
    for (const auto& [route, answer] : example.at("answers").as_object())
      api.set(std::string(route), 200,
              testing::read_testdata(GetParam() + "/testdata/" + std::string(answer.as_string())));
    testing::GuardedLoopbackClient client;
    ApiContext ctx;
    ctx.client = &client;
    ctx.timeout = std::chrono::milliseconds(5000);
    ctx.integration_id = "int_conformance";
    ctx.credentials = table.at("credentials").as_object();
    ctx.base_url = api.base_url();
    ctx.auth_url = api.base_url();
    const auto model = parse_model(str(example, "model"));
    ASSERT_TRUE(model.has_value());

    // As the connector maps them, before Connector::fetch and list complete them.
    std::vector<bj::object> records;
    if (const bj::value* id = example.as_object().if_contains("remote_id")) {
      auto got = connector_->fetch_record(ctx, *model, std::string(id->as_string()));
      ASSERT_TRUE(got.ok()) << got.error().message;
      ASSERT_TRUE(got->has_value()) << "the example was read as gone";
      EXPECT_EQ((**got).at("remote_id"), *id);
      records.push_back(std::move(**got));
    } else {
      auto page = connector_->list_records(ctx, *model, "");
      ASSERT_TRUE(page.ok()) << page.error().message;
      ASSERT_FALSE(page->records.empty()) << "the example listed nothing";
      records = std::move(page->records);
    }
    for (const auto& record : records) {
      const RecordShape shape = check_record(*model, record);
      EXPECT_TRUE(shape.missing.empty()) << "missing " << shape.missing.front();
      EXPECT_TRUE(shape.unknown.empty()) << "not in the model: " << shape.unknown.front();
      for (std::string_view key : {"id", "remote_id"}) {
        const bj::value* v = record.if_contains(key);
        EXPECT_TRUE(v != nullptr && v->is_string() && !v->as_string().empty()) << key;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Connectors, ConformanceTest, ::testing::ValuesIn(registered_tools()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace tributary::connectors
