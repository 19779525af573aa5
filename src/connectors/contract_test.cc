// The vendor contract folders: every connector has src/connectors/<tool>/testdata/contract/ with a README
// that names every example in it (and so its source and whether it was copied or reconstructed), and every
// JSON example there is JSON. A file nobody can trace back to the vendor is not evidence.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include "connectors/common/scripted_api.h"
#include "connectors/connector.h"
#include "connectors/model.h"
#include "connectors/registry.h"
#include "http/client.h"
#include "http/message.h"

namespace tributary::connectors {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(VendorContracts, EveryToolHasAContractFolderWhoseReadmeNamesEveryExample) {
  for (const Connector* c : builtin_registry().all()) {
    SCOPED_TRACE(std::string(c->tool()));
    const fs::path dir =
        fs::path(TRIBUTARY_SOURCE_DIR) / "src/connectors" / std::string(c->tool()) / "testdata/contract";
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    const std::string readme = read_file(dir / "README.md");
    ASSERT_FALSE(readme.empty()) << "no README.md with the sources in " << dir;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name == "README.md" || !entry.is_regular_file()) continue;
      EXPECT_NE(readme.find(name), std::string::npos) << name << " is not named in the README";
      // Examples kept byte for byte although the vendor's own text is not valid JSON say so in their name.
      if (entry.path().extension() == ".json" && name.find("vendor-invalid") == std::string::npos) {
        boost::system::error_code ec;
        (void)boost::json::parse(read_file(entry.path()), ec);
        EXPECT_FALSE(ec) << name << " is not JSON: " << ec.message();
      }
    }
  }
}

// The evidence declarations match what each connector does: only API tools subscribe, and only tools with an
// incremental filter list incrementally; every connector declares its own (none left at the default).
TEST(VendorContracts, EveryConnectorDeclaresTheEvidenceOfWhatItDoes) {
  for (const Connector* c : builtin_registry().all()) {
    SCOPED_TRACE(std::string(c->tool()));
    const Fidelity f = c->fidelity();
    EXPECT_EQ(f.subscribe == Evidence::kNotUsed, c->subscription_mode() == SubscriptionMode::kManual);
    bool incremental = false;
    for (Model m : kAllModels)
      incremental = incremental || (c->supports_records(m) && c->lists_changes(m));
    EXPECT_EQ(f.incremental == Evidence::kNotUsed, !incremental);
    for (Evidence e : {f.verify, f.events, f.get, f.list})
      EXPECT_NE(e, Evidence::kNotUsed) << "every tool verifies, parses, gets and lists";
    const Fidelity unset;
    EXPECT_FALSE(f.subscribe == unset.subscribe && f.verify == unset.verify && f.events == unset.events &&
                 f.get == unset.get && f.list == unset.list && f.incremental == unset.incremental)
        << "no evidence declared";
  }
}

// A path of a request against a declared template ({…} = one segment).
bool path_matches(std::string_view path, std::string_view pattern) {
  while (!path.empty() || !pattern.empty()) {
    const auto take = [](std::string_view& s) {
      if (!s.empty() && s.front() == '/') s.remove_prefix(1);
      const auto slash = s.find('/');
      std::string_view seg = s.substr(0, slash);
      s.remove_prefix(slash == std::string_view::npos ? s.size() : slash);
      return seg;
    };
    if (path.empty() != pattern.empty()) return false;
    const std::string_view a = take(path);
    const std::string_view b = take(pattern);
    if (b.size() >= 2 && b.front() == '{' && b.back() == '}') {
      if (a.empty()) return false;
    } else if (a != b) {
      return false;
    }
  }
  return true;
}

std::set<std::string> body_keys(const http::Request& r) {
  std::set<std::string> out;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(r.body, ec);
  if (!ec && doc.is_object()) {
    for (const auto& kv : doc.get_object())
      out.emplace(kv.key());
  } else {
    for (auto& [k, v] : http::parse_query(r.body))
      out.emplace(k);
  }
  return out;
}

// The canned answers that carry each tool's operations past their first call (nothing here is asserted on).
std::string canned_answer(std::string_view tool, const http::Request& r) {
  if (r.path == "/token") return R"({"access_token":"tok","token_type":"Bearer","expires_in":3600})";
  if (tool == "bamboohr") {
    if (r.path == "/api/v1/employees/changed")
      return R"({"latest":null,"employees":{"1":{"id":"1","action":"Updated"}}})";
    if (r.path == "/api/v1/webhooks/monitor_fields") return R"({"fields":[{"alias":"firstName"}]})";
    if (r.method == "POST") return R"({"id":"1","privateKey":"pk"})";
    if (r.path == "/api/v1/time_off/requests") return "[]";
    return R"({"id":"1"})";
  }
  if (tool == "greenhouse") return "[]";
  if (tool == "workable") {
    if (r.path == "/spi/v3/employees") return R"({"employees":[{"id":"e1"}]})";
    if (r.path == "/spi/v3/timeoff/requests") return R"({"requests":[]})";
    if (r.method == "POST") return R"({"id":"1"})";
    if (r.path == "/spi/v3/subscriptions") return R"({"subscriptions":[]})";
    return "{}";
  }
  if (tool == "personio") {
    if (r.path == "/v2/auth/token")
      return R"({"access_token":"tok","token_type":"Bearer","expires_in":86400})";
    if (r.path == "/v2/persons" || r.path == "/v2/absence-periods") return R"({"_data":[{"id":"1"}]})";
    return R"({"id":"1","_data":[]})";
  }
  if (tool == "hibob") {
    if (r.path == "/v1/people/search") return R"({"employees":[{"id":"1"}]})";
    if (r.path == "/v1/timeoff/requests/changes")
      return R"({"changes":[{"requestId":"1","employeeId":"e1","changeType":"Created"}]})";
    return R"({"id":"1"})";
  }
  if (tool == "ashby") {
    const std::string record = R"({"id":"1","applicationIds":["a1"],"jobPostingIds":["p1"]})";
    if (r.path == "/candidate.list" || r.path == "/job.list")
      return R"({"success":true,"moreDataAvailable":false,"results":[)" + record + "]}";
    return R"({"success":true,"results":)" + record + "}";
  }
  if (tool == "lever") {
    if (r.method == "POST") return R"({"data":{"id":"1","configuration":{"signatureToken":"t"}}})";
    if (r.path == "/v1/webhooks") return R"({"data":[],"hasNext":false})";
    if (r.path == "/v1/opportunities" || r.path == "/v1/postings")
      return R"({"data":[{"id":"1"}],"hasNext":false})";
    return R"({"data":{"id":"1"}})";
  }
  if (tool == "smartrecruiters") {
    if (r.path == "/candidates" || r.path == "/jobs") return R"({"content":[{"id":"1"}],"totalFound":1})";
    if (r.path.ends_with("/secret-key")) return R"({"secretKey":"k"})";
    return R"({"id":"1"})";
  }
  if (tool == "recruitee") {
    if (r.path.ends_with("/candidates")) return R"({"candidates":[{"id":1}]})";
    if (r.path.ends_with("/offers")) return R"({"offers":[{"id":1}]})";
    if (r.path.find("/candidates/") != std::string::npos) return R"({"candidate":{"id":1}})";
    return R"({"offer":{"id":1}})";
  }
  if (tool == "teamtailor") {
    if (r.path == "/v1/candidates" || r.path == "/v1/jobs")
      return R"({"data":[{"id":"1","type":"x","attributes":{}}],"links":{}})";
    return R"({"data":{"id":"1","type":"x","attributes":{}}})";
  }
  return "{}";
}

// The declared calls are the vendor's table (testdata/contract/endpoints.json), and every request the
// connector sends — for every operation it has — is one of them: method, path, required query parameters and
// body keys, auth scheme, and the host (the authorization host only for the calls declared on it).
TEST(VendorContracts, EveryDeclaredCallIsTheVendorsAndEveryRequestADeclaredCall) {
  int declared_tools = 0;
  for (const Connector* c : builtin_registry().all()) {
    const auto calls = c->api_calls();
    if (calls.empty()) continue;
    ++declared_tools;
    const std::string tool(c->tool());
    SCOPED_TRACE(tool);
    const boost::json::value table = boost::json::parse(read_file(
        fs::path(TRIBUTARY_SOURCE_DIR) / "src/connectors" / tool / "testdata/contract/endpoints.json"));
    auto row_of = [](const ApiCall& a) {
      std::string q, b;
      for (const auto& x : a.query)
        q += x + ",";
      for (const auto& x : a.body)
        b += x + ",";
      return a.method + " " + a.host + a.path + " ?" + q + " {" + b + "} " + a.auth;
    };
    std::set<std::string> vendor;
    for (const auto& r : table.as_array()) {
      ApiCall a;
      a.method = std::string(r.at("method").as_string());
      a.host = std::string(r.at("host").as_string());
      a.path = std::string(r.at("path").as_string());
      for (const auto& x : r.at("query").as_array())
        a.query.emplace_back(x.as_string());
      for (const auto& x : r.at("body").as_array())
        a.body.emplace_back(x.as_string());
      a.auth = std::string(r.at("auth").as_string());
      EXPECT_FALSE(r.at("source").as_string().empty());
      vendor.insert(row_of(a));
    }
    std::set<std::string> ours;
    for (const auto& a : calls)
      ours.insert(row_of(a));
    EXPECT_EQ(ours, vendor);

    // The connector's default hosts are the declared ones.
    const std::string auth_host = c->default_auth_url({});
    for (const auto& a : calls) {
      if (!auth_host.empty() && a.host == auth_host) continue;
      boost::json::object creds{{"company_domain", "acme"}, {"subdomain", "acme"}};
      std::string host = a.host;
      for (const char* var : {"{companyDomain}", "{subdomain}"})
        if (auto at = host.find(var); at != std::string::npos)
          host.replace(at, std::string_view(var).size(), "acme");
      EXPECT_EQ(c->default_base_url(creds).rfind(host, 0), 0u) << a.path << " is declared on " << a.host;
    }

    // Every request of every operation, against scripted servers for the API host and the authorization host.
    auto classify = [](const http::Request&) { return std::string("*"); };
    testing::ScriptedApi api(classify);
    testing::ScriptedApi auth(classify);
    ASSERT_TRUE(api.start().ok());
    ASSERT_TRUE(auth.start().ok());
    api.on("*", [&](const http::Request& r) { return http::Response::json(200, canned_answer(tool, r)); });
    auth.on("*", [&](const http::Request& r) { return http::Response::json(200, canned_answer(tool, r)); });
    testing::GuardedLoopbackClient client;
    ApiContext ctx;
    ctx.client = &client;
    ctx.timeout = std::chrono::milliseconds(5000);
    ctx.integration_id = "int_1";
    ctx.credentials = boost::json::object{
        {"api_key", "key-123"}, {"company_domain", "acme"},  {"subdomain", "acme"},
        {"client_id", "cid"},   {"client_secret", "secret"}, {"user_id", "42"},
        {"company_id", "42"},   {"service_user_id", "su"},   {"service_user_token", "sut"}};
    ctx.base_url = api.base_url();
    ctx.auth_url = auth.base_url();
    for (Model m : kAllModels) {
      if (!c->supports_records(m)) continue;
      (void)c->fetch_record(ctx, m, "1");
      (void)c->list_records(ctx, m, "");
      if (c->lists_changes(m)) (void)c->list_changed_records(ctx, m, "", 0);
    }
    if (c->subscription_mode() == SubscriptionMode::kApi) {
      SubscriptionRequest request;
      request.ingress_url = "https://relay.example.com/ingress/x";
      request.secret = "s";
      for (const auto& feed : c->feeds())
        if (!feed.vendor_events.empty()) request.event_types = {feed.vendor_events.front()};
      (void)c->create_subscription(ctx, request);
      (void)c->subscription_exists(ctx, "1");
      (void)c->delete_subscription(ctx, "1");
    }
    auto check = [&](const testing::ScriptedRequest& r, bool on_auth_host) {
      SCOPED_TRACE(r.method + " " + r.target);
      const ApiCall* match = nullptr;
      for (const auto& a : calls)
        if (a.method == r.method && (on_auth_host == (a.host == auth_host)) && path_matches(r.path, a.path))
          match = &a;
      ASSERT_NE(match, nullptr) << "a request no declared call covers";
      for (const auto& q : match->query)
        EXPECT_TRUE(r.has_param(q)) << "required query parameter " << q;
      const auto keys = body_keys(r);
      for (const auto& k : match->body)
        EXPECT_TRUE(keys.count(k) > 0) << "required body key " << k;
      // "header:<Name>": the tool takes its key in a header of its own instead of Authorization.
      if (constexpr std::string_view kHeader = "header:"; match->auth.rfind(kHeader, 0) == 0) {
        const std::string name = match->auth.substr(kHeader.size());
        EXPECT_FALSE(r.header(name).empty()) << "no " << name << " header";
        return;
      }
      const std::string authorization = r.header("Authorization");
      // "none": the vendor's scheme is no Authorization header (an OAuth token request whose credentials
      // are required body keys).
      if (match->auth == "none") {
        EXPECT_TRUE(authorization.empty()) << authorization;
        return;
      }
      const std::string_view prefix = match->auth == "basic"   ? "Basic "
                                      : match->auth == "token" ? "Token token="
                                                               : "Bearer ";
      EXPECT_EQ(authorization.rfind(prefix, 0), 0u) << authorization;
    };
    const auto sent = api.requests();
    EXPECT_FALSE(sent.empty());
    for (const auto& r : sent)
      check(r, false);
    for (const auto& r : auth.requests())
      check(r, true);
  }
  EXPECT_GE(declared_tools, 10);  // every tool
}

}  // namespace
}  // namespace tributary::connectors
