// Keeps openapi.json and the connectors' declarations from drifting apart: the document must be its own
// regeneration (scripts/update-openapi.sh), each tool's credentials must be the keys the API checks, the
// subscriptions' event types the events the connectors subscribe to, the record routes must answer their
// model's record schema, and no hand-written part may list what is generated.
#include "api/openapi_generated.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api/api.h"
#include "connectors/registry.h"

namespace tributary::api {
namespace {

namespace bj = boost::json;
using connectors::builtin_registry;
using connectors::Model;

constexpr std::string_view kRefPrefix = "#/components/schemas/";

bj::value document() {
  boost::system::error_code ec;
  bj::value doc = bj::parse(openapi_document(), ec);
  EXPECT_FALSE(ec) << "openapi.json does not parse: " << ec.message();
  return doc;
}

const bj::object& schemas(const bj::value& doc) {
  return doc.at("components").at("schemas").as_object();
}

// The schema a {"$ref": "#/components/schemas/X"} names.
const bj::object& deref(const bj::value& doc, const bj::value& ref) {
  std::string_view target = ref.at("$ref").as_string();
  EXPECT_EQ(target.substr(0, kRefPrefix.size()), kRefPrefix);
  return schemas(doc).at(target.substr(kRefPrefix.size())).as_object();
}

std::vector<std::string> strings(const bj::value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.as_array())
    out.emplace_back(v.as_string());
  return out;
}

TEST(OpenApiGenerated, TheDocumentIsItsOwnRegeneration) {
  const bj::value doc = document();
  const bj::object generated = generated_schemas(builtin_registry());
  for (const auto& [name, schema] : generated) {
    const bj::value* documented = schemas(doc).if_contains(name);
    ASSERT_NE(documented, nullptr) << "openapi.json lacks the generated schema " << std::string_view(name)
                                   << ": run scripts/update-openapi.sh";
    EXPECT_EQ(*documented, schema) << "components.schemas." << std::string_view(name)
                                   << " differs from the connectors' declarations: run "
                                      "scripts/update-openapi.sh";
  }
  for (const auto& [name, schema] : schemas(doc)) {
    if (schema.as_object().contains(kGeneratedMark)) {
      EXPECT_TRUE(generated.contains(name))
          << "components.schemas." << std::string_view(name) << " is marked " << kGeneratedMark
          << " but nothing generates it: run scripts/update-openapi.sh";
    }
  }
  auto regenerated = regenerate_openapi_text(openapi_document(), builtin_registry());
  ASSERT_TRUE(regenerated.ok()) << regenerated.error().message;
  EXPECT_TRUE(*regenerated == openapi_document())
      << "openapi.json is not laid out as scripts/update-openapi.sh writes it: run the script";
}

TEST(OpenApiGenerated, EachToolTakesTheCredentialKeysTheApiChecks) {
  const bj::value doc = document();
  const auto& by_tool = schemas(doc).at("ToolCredentials").at("oneOf").as_array();
  const auto& any = schemas(doc).at("Credentials").at("anyOf").as_array();
  std::vector<std::string> tools;
  for (const auto* c : builtin_registry().all()) {
    tools.emplace_back(c->tool());
    const bj::object* branch = nullptr;
    for (const auto& b : by_tool)
      if (b.at("properties").at("tool").at("const").as_string() == c->tool()) branch = &b.as_object();
    ASSERT_NE(branch, nullptr) << "ToolCredentials has no alternative for " << c->tool();
    const bj::value& ref = branch->at("properties").at("credentials");
    EXPECT_NE(std::find(any.begin(), any.end(), ref), any.end()) << c->tool();
    const bj::object& credentials = deref(doc, ref);
    EXPECT_EQ(strings(credentials.at("required")), c->credential_keys()) << c->tool();
    for (const auto& key : c->credential_keys()) {
      const auto& property = credentials.at("properties").at(key).as_object();
      EXPECT_EQ(property.at("type"), "string") << c->tool() << "." << key;
      EXPECT_EQ(property.at("writeOnly"), true) << c->tool() << "." << key << " is never returned";
    }
  }
  EXPECT_EQ(strings(schemas(doc).at("Tool").at("enum")), tools);
  EXPECT_EQ(by_tool.size(), tools.size());
  // Creating an integration pairs the tool with its credentials.
  const auto& create = schemas(doc).at("IntegrationCreate").as_object();
  EXPECT_EQ(create.at("allOf"), (bj::array{bj::object{{"$ref", "#/components/schemas/ToolCredentials"}}}));
}

// Subscription.event_types lists what plan_subscriptions asks the tool for: every such event must be in the
// tool's RemoteEventType, also for connectors that plan their own subscriptions.
TEST(OpenApiGenerated, SubscriptionEventTypesAreTheToolsDeclaredEvents) {
  const bj::value doc = document();
  const auto& items = schemas(doc).at("Subscription").at("properties").at("event_types").at("items");
  EXPECT_EQ(items.at("$ref"), "#/components/schemas/RemoteEventType");
  const std::set<Model> all(std::begin(connectors::kAllModels), std::end(connectors::kAllModels));
  for (const auto* c : builtin_registry().all()) {
    const bj::object* per_tool = nullptr;
    for (const auto& ref : schemas(doc).at("RemoteEventType").at("anyOf").as_array()) {
      const bj::object& schema = deref(doc, ref);
      if (schema.at("title").as_string() == c->display_name()) per_tool = &schema;
    }
    std::set<std::string> declared;
    if (per_tool != nullptr)
      for (const auto& e : strings(per_tool->at("enum")))
        declared.insert(e);
    for (const auto& group : c->plan_subscriptions(all))
      for (const auto& event : group)
        EXPECT_TRUE(declared.count(event))
            << c->tool() << " subscribes to " << event << ", which its RemoteEventType does not list";
  }
}

TEST(OpenApiGenerated, RecordRoutesAnswerTheirModelsRecords) {
  const bj::value doc = document();
  for (Model m : connectors::kAllModels) {
    std::string path = "/v1/" + std::string(connectors::to_string(m));
    path[path.find('_')] = '/';  // hris_employees -> /v1/hris/employees
    const bj::value* item = doc.at("paths").as_object().if_contains(path);
    ASSERT_NE(item, nullptr) << path;
    const auto& results = item->at("get")
                              .at("responses")
                              .at("200")
                              .at("content")
                              .at("application/json")
                              .at("schema")
                              .at("properties")
                              .at("data")
                              .at("properties")
                              .at("results");
    EXPECT_EQ(std::string_view(results.at("items").at("$ref").as_string()),
              std::string(kRefPrefix) + record_schema_name(m))
        << path;
    // The store's fields are UnifiedRecord's, which every record schema includes.
    std::set<std::string> store;
    for (const auto& field : connectors::model_fields(m))
      if (field.kind == connectors::FieldKind::kStore) store.emplace(field.name);
    std::set<std::string> common;
    for (const auto& [name, schema] : schemas(doc).at("UnifiedRecord").at("properties").as_object())
      common.emplace(name);
    EXPECT_EQ(common, store) << connectors::to_string(m);
  }
}

// Every enum value and const a generated schema declares (tools, models, actions, categories, modes,
// evidence, vendor events) is written once: a hand-written part refers to the generated schema instead of
// listing it.
void collect_declared(const bj::value& v, std::set<std::string>& out) {
  if (const auto* object = v.if_object()) {
    for (const auto& [key, child] : *object) {
      if (key == "enum")
        for (const auto& e : child.as_array())
          if (e.is_string()) out.emplace(e.as_string());
      if (key == "const" && child.is_string()) out.emplace(child.as_string());
      collect_declared(child, out);
    }
  } else if (const auto* array = v.if_array()) {
    for (const auto& child : *array)
      collect_declared(child, out);
  }
}

void find_repeats(const bj::value& v, const std::set<std::string>& declared, const std::string& where,
                  std::vector<std::string>& out) {
  if (const auto* object = v.if_object()) {
    for (const auto& [key, child] : *object) {
      const std::string at = where + "/" + std::string(key);
      if (key == "enum" || key == "const") {
        const bj::array values = child.is_array() ? child.as_array() : bj::array{child};
        for (const auto& e : values)
          if (e.is_string() && declared.count(std::string(e.as_string())))
            out.push_back(at + ": " + std::string(e.as_string()));
      }
      find_repeats(child, declared, at, out);
    }
  } else if (const auto* array = v.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i)
      find_repeats((*array)[i], declared, where + "/" + std::to_string(i), out);
  }
}

TEST(OpenApiGenerated, NoHandWrittenPartListsWhatIsGenerated) {
  bj::value doc = document();
  std::set<std::string> declared;
  collect_declared(generated_schemas(builtin_registry()), declared);
  ASSERT_TRUE(declared.count("greenhouse"));
  ASSERT_TRUE(declared.count("hris_absences"));
  auto& all = doc.at("components").at("schemas").as_object();
  bj::object hand_written;
  for (const auto& [name, schema] : all)
    if (!schema.as_object().contains(kGeneratedMark)) hand_written[name] = schema;
  all = std::move(hand_written);
  std::vector<std::string> repeats;
  find_repeats(doc, declared, "#", repeats);
  for (const auto& r : repeats)
    ADD_FAILURE() << "openapi.json lists a generated value by hand (refer to the generated schema): " << r;
}

TEST(OpenApiGenerated, AHandEditOfAGeneratedSchemaIsUndone) {
  bj::value doc = document();
  auto& personio = doc.at("components").at("schemas").at("PersonioCredentials").as_object();
  personio.at("required").as_array().pop_back();
  auto regenerated = regenerate_openapi(doc, builtin_registry());
  ASSERT_TRUE(regenerated.ok());
  EXPECT_TRUE(*regenerated != doc);
  EXPECT_TRUE(*regenerated == document()) << "regeneration restores the declared keys";
}

TEST(OpenApiGenerated, RegenerationReplacesInPlaceAndKeepsWhatIsWrittenByHand) {
  const bj::value before = bj::parse(R"({"components": {"schemas": {
      "Error": {"type": "object"},
      "UnifiedModel": {"type": "string", "enum": ["hris_employees"]},
      "Retired": {"x-generated": true, "type": "string"},
      "Endpoint": {"description": "by hand"}}}, "paths": {}})");
  auto after = regenerate_openapi(before, builtin_registry());
  ASSERT_TRUE(after.ok()) << after.error().message;
  const bj::object generated = generated_schemas(builtin_registry());
  std::vector<std::string> names;
  for (const auto& [name, schema] : schemas(*after))
    names.emplace_back(name);
  // UnifiedModel is generated first, so it stays where it stood and the new schemas generated after it
  // follow it; the retired one is gone.
  std::vector<std::string> expected = {"Error"};
  for (const auto& [name, schema] : generated)
    expected.emplace_back(name);
  expected.emplace_back("Endpoint");
  EXPECT_EQ(names, expected);
  EXPECT_EQ(schemas(*after).at("UnifiedModel"), generated.at("UnifiedModel"));
  EXPECT_EQ(schemas(*after).at("Endpoint"), schemas(before).at("Endpoint"));
  EXPECT_EQ(after->at("paths"), before.at("paths"));
  auto again = regenerate_openapi(*after, builtin_registry());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(pretty_json(*again), pretty_json(*after));

  EXPECT_FALSE(regenerate_openapi(bj::parse("[]"), builtin_registry()).ok());
  EXPECT_FALSE(regenerate_openapi_text("{", builtin_registry()).ok());
}

TEST(OpenApiGenerated, PrettyJsonIsLaidOutAsOpenApiJson) {
  const bj::value v =
      bj::parse(R"({"a": [1, -2, true, null, 1.5], "b": {}, "c": [], "d": {"e": "x\"\\\n\u0001–"}})");
  EXPECT_EQ(pretty_json(v),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    -2,\n"
            "    true,\n"
            "    null,\n"
            "    1.5\n"
            "  ],\n"
            "  \"b\": {},\n"
            "  \"c\": [],\n"
            "  \"d\": {\n"
            "    \"e\": \"x\\\"\\\\\\n\\u0001–\"\n"
            "  }\n"
            "}\n");
}

}  // namespace
}  // namespace tributary::api
