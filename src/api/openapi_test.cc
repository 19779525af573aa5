// Keeps openapi.json honest: the document must parse, describe exactly the routes the API router serves (plus
// the ingress, which is served in front of the router), mark exactly the routes that answer without an API
// key as open, resolve every $ref, and describe the downstream webhooks with both signature schemes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "delivery/events.h"
#include "http/router.h"
#include "store/database.h"
#include "store/pool.h"
#include "store/states.h"

namespace tributary::api {
namespace {

namespace bj = boost::json;

using Route = std::pair<std::string, std::string>;  // (METHOD, pattern)

const std::set<std::string> kHttpMethods = {"get",     "put",  "post",  "delete",
                                            "options", "head", "patch", "trace"};
constexpr std::string_view kIngressPrefix = "/ingress/";

std::string upper(std::string s) {
  for (auto& ch : s)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

bj::value parse_document() {
  boost::system::error_code ec;
  bj::value doc = bj::parse(openapi_document(), ec);
  EXPECT_FALSE(ec) << "openapi.json does not parse: " << ec.message();
  return doc;
}

// (METHOD, path) of every operation in the document.
std::set<Route> documented_routes(const bj::object& doc) {
  std::set<Route> out;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [key, op] : item.as_object()) {
      if (kHttpMethods.count(std::string(key))) out.emplace(upper(std::string(key)), std::string(path));
    }
  }
  return out;
}

const bj::object& operation(const bj::object& doc, const Route& route) {
  std::string method = route.first;
  for (auto& ch : method)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return doc.at("paths").at(route.second).at(method).as_object();
}

// "{id}" names in a path pattern.
std::set<std::string> path_params(const std::string& pattern) {
  std::set<std::string> out;
  std::size_t pos = 0;
  while ((pos = pattern.find('{', pos)) != std::string::npos) {
    auto end = pattern.find('}', pos);
    if (end == std::string::npos) break;
    out.insert(pattern.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

const bj::value* resolve(const bj::value& root, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  const bj::value* at = &root;
  std::size_t pos = 2;
  while (at != nullptr && pos <= ref.size()) {
    auto slash = ref.find('/', pos);
    std::string token = ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    for (auto i = token.find("~1"); i != std::string::npos; i = token.find("~1", i + 1))
      token.replace(i, 2, "/");
    for (auto i = token.find("~0"); i != std::string::npos; i = token.find("~0", i + 1))
      token.replace(i, 2, "~");
    at = at->is_object() ? at->as_object().if_contains(token) : nullptr;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return at;
}

void collect_refs(const bj::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (k == "$ref" && child.is_string()) out.emplace_back(child.as_string());
      collect_refs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array())
      collect_refs(child, out);
  }
}

// Parameters of an operation and its path item, with $refs resolved.
std::vector<bj::object> parameters_of(const bj::value& root, const bj::object& path_item,
                                      const bj::object& op) {
  std::vector<bj::object> out;
  for (const bj::object* holder : {&path_item, &op}) {
    const auto* params = holder->if_contains("parameters");
    if (params == nullptr) continue;
    for (const auto& p : params->as_array()) {
      const bj::value* target = &p;
      if (const auto* ref = p.as_object().if_contains("$ref"))
        target = resolve(root, std::string(ref->as_string()));
      if (target != nullptr && target->is_object()) out.push_back(target->as_object());
    }
  }
  return out;
}

// An API router built the way the node builds it, with an authenticator that has no keys: every route that
// needs an API key answers 401 before its handler touches anything else.
class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = ::testing::TempDir() + "/tributary_openapi_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter.fetch_add(1));
    auto db = store::open_database(dir_ + "/api.db");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    pool_ = std::make_unique<store::Pool>(*db_);
    auth_ = std::make_unique<Authenticator>(*pool_, "");
    ctx_.auth = auth_.get();
    add_routes(router_, ctx_);
    doc_ = parse_document();
    ASSERT_TRUE(doc_.is_object());
  }

  void TearDown() override {
    pool_.reset();
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Dispatches METHOD pattern (parameters filled in) without credentials; returns the status answered.
  int status_without_key(const Route& route) {
    std::string path = route.second;
    for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      auto close = path.find('}', open);
      if (close == std::string::npos) break;
      path.replace(open, close - open + 1, "x");
    }
    http::Request request;
    request.method = route.first;
    request.target = path;
    request.path = path;
    int status = -1;
    router_.dispatch(std::move(request), [&status](http::Response r) { status = r.status; });
    return status;
  }

  const bj::object& doc() const { return doc_.as_object(); }

  std::string dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Pool> pool_;
  std::unique_ptr<Authenticator> auth_;
  ApiContext ctx_;
  http::Router router_;
  bj::value doc_;
};

TEST_F(OpenApiTest, IsAnOpenApi31Document) {
  EXPECT_EQ(doc().at("openapi").as_string(), "3.1.0");
  EXPECT_TRUE(doc().at("info").as_object().contains("title"));
  EXPECT_TRUE(doc().at("info").as_object().contains("version"));
}

TEST_F(OpenApiTest, DocumentsExactlyTheRoutesTheRouterServes) {
  std::set<Route> served;
  for (const auto& [method, pattern] : router_.routes()) {
    EXPECT_TRUE(served.emplace(method, pattern).second) << "route added twice: " << method << " " << pattern;
  }
  ASSERT_FALSE(served.empty());
  std::set<Route> documented;
  for (const auto& route : documented_routes(doc())) {
    // The ingress is served in front of the API router (app/node.cc); it is documented but not routed here.
    if (route.second.rfind(kIngressPrefix, 0) == 0) continue;
    documented.insert(route);
  }
  for (const auto& r : served)
    EXPECT_TRUE(documented.count(r)) << "served but not documented: " << r.first << " " << r.second;
  for (const auto& r : documented)
    EXPECT_TRUE(served.count(r)) << "documented but not served: " << r.first << " " << r.second;
}

TEST_F(OpenApiTest, DocumentsTheIngress) {
  auto routes = documented_routes(doc());
  EXPECT_TRUE(routes.count({"POST", "/ingress/{tool}/{token}"}));
  const auto& post = operation(doc(), {"POST", "/ingress/{tool}/{token}"});
  const auto& responses = post.at("responses").as_object();
  for (const char* status : {"200", "400", "401", "404", "413", "429", "503"}) {
    EXPECT_TRUE(responses.contains(status)) << "ingress response " << status << " is not documented";
  }
  for (const auto& route : routes) {
    if (route.second.rfind(kIngressPrefix, 0) != 0) continue;
    EXPECT_EQ(route.second, "/ingress/{tool}/{token}");
    const auto* security = operation(doc(), route).if_contains("security");
    ASSERT_NE(security, nullptr) << route.first << " " << route.second << " must declare security: []";
    EXPECT_TRUE(security->as_array().empty()) << "the ingress is authenticated by signatures, not API keys";
  }
}

TEST_F(OpenApiTest, OpenRoutesAreExactlyThoseWithoutBearerAuth) {
  // Bearer auth is the global default; an operation opts out with `security: []`.
  const auto& scheme = doc().at("components").at("securitySchemes").at("bearerAuth").as_object();
  EXPECT_EQ(scheme.at("type").as_string(), "http");
  EXPECT_EQ(scheme.at("scheme").as_string(), "bearer");
  const auto& global = doc().at("security").as_array();
  ASSERT_EQ(global.size(), 1u);
  EXPECT_TRUE(global[0].as_object().contains("bearerAuth"));

  std::set<std::string> open;
  for (const auto& route : router_.routes()) {
    if (!documented_routes(doc()).count(route))
      continue;  // reported by DocumentsExactlyTheRoutesTheRouterServes
    const int status = status_without_key(route);
    const auto* security = operation(doc(), route).if_contains("security");
    const bool documented_open = security != nullptr && security->as_array().empty();
    if (status == 401) {
      EXPECT_FALSE(documented_open) << route.first << " " << route.second
                                    << " needs an API key but is documented open";
      EXPECT_TRUE(operation(doc(), route).at("responses").as_object().contains("401"))
          << route.first << " " << route.second << " does not document its 401";
    } else {
      EXPECT_TRUE(documented_open) << route.first << " " << route.second << " answers " << status
                                   << " without an API key but is documented as needing one";
      open.insert(route.second);
    }
  }
  EXPECT_EQ(open, (std::set<std::string>{"/healthz", "/readyz", "/openapi.json"}));
}

TEST_F(OpenApiTest, PathParametersMatchTheTemplates) {
  const bj::value& root = doc_;
  for (const auto& [path, item] : doc().at("paths").as_object()) {
    for (const auto& [key, op] : item.as_object()) {
      if (!kHttpMethods.count(std::string(key))) continue;
      std::set<std::string> declared;
      for (const auto& p : parameters_of(root, item.as_object(), op.as_object())) {
        if (p.at("in").as_string() != "path") continue;
        declared.insert(std::string(p.at("name").as_string()));
        EXPECT_TRUE(p.contains("required") && p.at("required").as_bool())
            << path << ": path parameters are required";
      }
      EXPECT_EQ(declared, path_params(std::string(path))) << std::string(key) << " " << path;
      EXPECT_TRUE(op.as_object().contains("responses")) << std::string(key) << " " << path;
    }
  }
}

TEST_F(OpenApiTest, EveryRefResolves) {
  std::vector<std::string> refs;
  collect_refs(doc_, refs);
  EXPECT_FALSE(refs.empty());
  for (const auto& ref : refs)
    EXPECT_NE(resolve(doc_, ref), nullptr) << "unresolved $ref " << ref;
}

TEST_F(OpenApiTest, ErrorsAndListsUseTheEnvelope) {
  const auto& error = doc().at("components").at("schemas").at("Error").as_object();
  EXPECT_EQ(error.at("properties").at("status").at("const").as_string(), "error");
  const auto& fields = error.at("properties").at("error").at("required").as_array();
  EXPECT_EQ(fields, (bj::array{"code", "title", "message"}));

  // A paginated list: data.next and data.results.
  const auto& ok = operation(doc(), {"GET", "/v1/logs/upstream"}).at("responses").at("200").as_object();
  const auto& schema = ok.at("content").at("application/json").at("schema").as_object();
  EXPECT_EQ(schema.at("properties").at("status").at("const").as_string(), "success");
  const auto& data = schema.at("properties").at("data").as_object();
  EXPECT_TRUE(data.at("properties").as_object().contains("next"));
  EXPECT_TRUE(data.at("properties").as_object().contains("results"));
  std::set<std::string> query;
  for (const auto& p : parameters_of(doc_, doc().at("paths").at("/v1/logs/upstream").as_object(),
                                     operation(doc(), {"GET", "/v1/logs/upstream"}))) {
    if (p.at("in").as_string() == "query") query.insert(std::string(p.at("name").as_string()));
  }
  for (const char* name : {"integration_id", "tool", "outcome", "since", "until", "cursor", "page_size"}) {
    EXPECT_TRUE(query.count(name)) << "GET /v1/logs/upstream query parameter " << name;
  }
}

TEST_F(OpenApiTest, DescribesTheDownstreamWebhooks) {
  const auto& webhooks = doc().at("webhooks").as_object();
  for (const auto event_type : delivery::kAllEventTypes) {
    const std::string type(delivery::to_string(event_type));
    ASSERT_TRUE(webhooks.contains(type)) << type;
    const auto& post = webhooks.at(type).at("post").as_object();
    std::set<std::string> headers;
    for (const auto& p : parameters_of(doc_, webhooks.at(type).as_object(), post)) {
      if (p.at("in").as_string() == "header") headers.insert(std::string(p.at("name").as_string()));
    }
    for (const char* h : {"webhook-id", "webhook-timestamp", "webhook-signature", "X-Kombo-Signature"}) {
      EXPECT_TRUE(headers.count(h)) << type << " does not describe the " << h << " header";
    }
  }
  const auto& payload = doc().at("components").at("schemas").at("RemoteEventReceivedPayload").as_object();
  EXPECT_EQ(payload.at("properties").at("type").at("const").as_string(), "remote-event-received");
  const auto& data = payload.at("properties").at("data").as_object();
  const auto& item = data.at("properties").at("events").at("items").as_object();
  for (const char* field : {"model", "action", "id", "remote_id"}) {
    EXPECT_TRUE(item.at("properties").as_object().contains(field)) << "data.events[]." << field;
  }
}

template <store::StoredState E>
std::vector<std::string> names_of() {
  std::vector<std::string> out;
  for (E value : store::all_states<E>())
    out.emplace_back(store::to_string(value));
  return out;
}

std::vector<std::string> enum_of(const bj::value& schema) {
  std::vector<std::string> out;
  for (const auto& v : schema.at("enum").as_array())
    out.emplace_back(v.as_string());
  return out;
}

// The states the document lists are the store's, value for value.
TEST_F(OpenApiTest, StateEnumsAreTheStoresStates) {
  const auto& schemas = doc().at("components").at("schemas");
  EXPECT_EQ(enum_of(schemas.at("UpstreamLog").at("properties").at("outcome")),
            names_of<store::InboxOutcome>());
  EXPECT_EQ(enum_of(schemas.at("Delivery").at("properties").at("status")), names_of<store::DeliveryStatus>());
  EXPECT_EQ(enum_of(schemas.at("Subscription").at("properties").at("status")),
            names_of<store::SubscriptionStatus>());
  EXPECT_EQ(enum_of(schemas.at("SyncState")), names_of<store::SyncState>());
  EXPECT_EQ(enum_of(schemas.at("Integration").at("properties").at("last_sync").at("properties").at("state")),
            names_of<store::SyncState>());
  // The upstream log's filter takes every outcome and "failed" (requests with a failed downstream delivery).
  auto filter = names_of<store::InboxOutcome>();
  filter.emplace_back("failed");
  bool found = false;
  for (const auto& p : doc().at("paths").at("/v1/logs/upstream").at("get").at("parameters").as_array()) {
    const bj::value* name = p.as_object().if_contains("name");
    if (name == nullptr || *name != "outcome") continue;
    found = true;
    EXPECT_EQ(enum_of(p.at("schema")), filter);
  }
  EXPECT_TRUE(found);
}

TEST(RouterRoutesTest, ListsMethodAndPatternInOrder) {
  http::Router router;
  auto nothing = [](const http::Request&, const http::Params&) { return http::Response{}; };
  router.add_sync("GET", "/", nothing);
  router.add_sync("POST", "/v1/things/{id}/sub/{sid}", nothing);
  router.add_sync("GET", "/files/{path...}", nothing);
  router.add_sync("GET", "/trailing/", nothing);
  EXPECT_THAT(router.routes(),
              ::testing::ElementsAre(Route{"GET", "/"}, Route{"POST", "/v1/things/{id}/sub/{sid}"},
                                     Route{"GET", "/files/{path...}"}, Route{"GET", "/trailing/"}));
}

}  // namespace
}  // namespace tributary::api
