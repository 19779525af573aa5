#include "api/openapi_generated.h"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace tributary::api {

namespace bj = boost::json;
using connectors::Action;
using connectors::Connector;
using connectors::Evidence;
using connectors::FieldKind;
using connectors::Model;
using connectors::SubscriptionMode;

namespace {

// Every value of the declaration enums, in declaration order. The switches have no default, so a new
// enumerator is a compile error (-Wswitch) until it is placed here, and then it is in the document.
std::optional<Action> after(Action a) {
  switch (a) {
    case Action::kCreated:
      return Action::kUpdated;
    case Action::kUpdated:
      return Action::kDeleted;
    case Action::kDeleted:
      return Action::kPublished;
    case Action::kPublished:
      return Action::kUnpublished;
    case Action::kUnpublished:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Evidence> after(Evidence e) {
  switch (e) {
    case Evidence::kVendorExample:
      return Evidence::kVendorSchema;
    case Evidence::kVendorSchema:
      return Evidence::kOfficialSdk;
    case Evidence::kOfficialSdk:
      return Evidence::kThirdParty;
    case Evidence::kThirdParty:
      return Evidence::kInferred;
    case Evidence::kInferred:
      return Evidence::kNotUsed;
    case Evidence::kNotUsed:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<SubscriptionMode> after(SubscriptionMode m) {
  switch (m) {
    case SubscriptionMode::kApi:
      return SubscriptionMode::kManual;
    case SubscriptionMode::kManual:
      return std::nullopt;
  }
  return std::nullopt;
}

// The names of every value from `first` on, as the API writes them.
template <typename E>
bj::array names_from(E first) {
  bj::array out;
  for (std::optional<E> v = first; v; v = after(*v))
    out.emplace_back(connectors::to_string(*v));
  return out;
}

const std::string kRefPrefix = "#/components/schemas/";

bj::object ref(const std::string& name) {
  return {{"$ref", kRefPrefix + name}};
}

// A schema marked generated, its members after the mark.
bj::object generated(std::initializer_list<std::pair<bj::string_view, bj::value_ref>> members) {
  bj::object out;
  out[kGeneratedMark] = true;
  for (const auto& [key, value] : bj::object(members))
    out[key] = value;
  return out;
}

// "BambooHR" -> "BambooHR", "hris_employees" -> "HrisEmployees": letters and digits, each word capitalised.
std::string pascal_case(std::string_view text) {
  std::string out;
  bool word_start = true;
  for (char ch : text) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0) {
      word_start = true;
      continue;
    }
    out += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    word_start = false;
  }
  return out;
}

std::string tool_schema_name(const Connector& c, std::string_view suffix) {
  return pascal_case(c.display_name()) + std::string(suffix);
}

bj::array unified_models() {
  bj::array out;
  for (Model m : connectors::kAllModels)
    out.emplace_back(connectors::to_string(m));
  return out;
}

bj::array categories() {
  bj::array out;
  std::set<std::string_view> seen;
  for (Model m : connectors::kAllModels) {
    std::string_view name = connectors::to_string(connectors::category_of(m));
    if (seen.insert(name).second) out.emplace_back(name);
  }
  return out;
}

// The vendor events a tool's feeds subscribe to, for every model it relays.
bj::array vendor_events(const Connector& c) {
  const std::set<Model> all(std::begin(connectors::kAllModels), std::end(connectors::kAllModels));
  bj::array out;
  for (const auto& event : connectors::vendor_events_for(c, all))
    out.emplace_back(event);
  return out;
}

void add_vocabulary(bj::object& out, const connectors::Registry& registry) {
  out["UnifiedModel"] = generated({{"type", "string"}, {"enum", unified_models()}});
  out["UnifiedAction"] = generated({{"type", "string"}, {"enum", names_from(Action::kCreated)}});
  out["Category"] = generated({{"type", "string"}, {"enum", categories()}});
  bj::array tools;
  for (const auto* c : registry.all())
    tools.emplace_back(c->tool());
  out["Tool"] = generated({{"type", "string"},
                           {"enum", std::move(tools)},
                           {"description", "A tool with a connector in this build (see GET /v1/coverage)."}});
  out["SubscriptionMode"] = generated(
      {{"type", "string"},
       {"enum", names_from(SubscriptionMode::kApi)},
       {"description",
        "api: Tributary creates the tool's webhooks through the tool's API. manual: the end customer creates "
        "them in the tool, following the subscription's setup instructions."}});
  out["Evidence"] =
      generated({{"type", "string"},
                 {"enum", names_from(Evidence::kVendorExample)},
                 {"description",
                  "The strongest evidence held that a part of a connector does what the real tool expects; "
                  "\"–\": the connector does not do it."}});
}

void add_remote_event_types(bj::object& out, const connectors::Registry& registry) {
  bj::array per_tool;
  for (const auto* c : registry.all()) {
    bj::array events = vendor_events(*c);
    if (events.empty()) continue;  // a tool without webhooks: nothing is ever subscribed
    const std::string name = tool_schema_name(*c, "RemoteEventType");
    out[name] = generated({{"title", c->display_name()},
                           {"description", "The " + std::string(c->display_name()) +
                                               " webhook events Tributary subscribes to (GET /v1/coverage "
                                               "says which unified event each one feeds)."},
                           {"type", "string"},
                           {"enum", std::move(events)}});
    per_tool.push_back(ref(name));
  }
  bj::object any =
      generated({{"description", "A tool's own name for a webhook event Tributary subscribes to."}});
  if (per_tool.empty()) {
    any["type"] = "string";
  } else {
    any["anyOf"] = std::move(per_tool);
  }
  out["RemoteEventType"] = std::move(any);
}

// Each credential key is a non-empty string (what POST /v1/integrations checks) that is stored encrypted and
// never returned, hence writeOnly.
bj::object tool_credentials(const Connector& c) {
  bj::array required;
  bj::object properties;
  for (const auto& key : c.credential_keys()) {
    required.emplace_back(key);
    properties[key] = {{"type", "string"}, {"minLength", 1}, {"writeOnly", true}};
  }
  return generated({{"title", c.display_name()},
                    {"description", "The credentials of a " + std::string(c.display_name()) +
                                        " integration (tool \"" + std::string(c.tool()) + "\")."},
                    {"type", "object"},
                    {"required", std::move(required)},
                    {"properties", std::move(properties)}});
}

void add_credentials(bj::object& out, const connectors::Registry& registry) {
  bj::array any;
  bj::array by_tool;
  for (const auto* c : registry.all()) {
    const std::string name = tool_schema_name(*c, "Credentials");
    out[name] = tool_credentials(*c);
    any.push_back(ref(name));
    by_tool.push_back(
        bj::object{{"title", c->display_name()},
                   {"type", "object"},
                   {"required", {"tool", "credentials"}},
                   {"properties", {{"tool", {{"const", c->tool()}}}, {"credentials", ref(name)}}}});
  }
  // Several tools take the same keys (an api_key alone), so the credentials object alone cannot say whose
  // they are: Credentials is anyOf, and ToolCredentials, keyed by `tool`, is the oneOf.
  out["Credentials"] = generated(
      {{"description",
        "The tool's API credentials: the keys of the integration's tool (see ToolCredentials). Every "
        "key is required; a missing or empty one is a 400 naming it. Stored encrypted, never "
        "returned."},
       {"anyOf", std::move(any)}});
  out["ToolCredentials"] = generated(
      {{"description",
        "The credentials each tool takes: `tool` selects the alternative `credentials` must match."},
       {"oneOf", std::move(by_tool)}});
}

void add_scope_models(bj::object& out) {
  bj::object flags;
  for (Model m : connectors::kAllModels)
    flags[connectors::to_string(m)] = {{"type", "boolean"}};
  out["ScopeModels"] = generated({{"type", "object"}, {"required", unified_models()}, {"properties", flags}});
  out["ScopeModelsInput"] =
      generated({{"type", "object"}, {"additionalProperties", false}, {"properties", std::move(flags)}});
}

bj::object field_schema(FieldKind kind) {
  switch (kind) {
    case FieldKind::kList:
      return {{"type", "array"}};
    case FieldKind::kCustomFields:
      return {{"type", "object"}};
    case FieldKind::kValue:
    case FieldKind::kStore:
      break;
  }
  return {};
}

// The store's fields (id, remote_id, changed_at, remote_deleted_at) are UnifiedRecord's, written by hand.
void add_records(bj::object& out) {
  for (Model m : connectors::kAllModels) {
    bj::array required;
    bj::object properties;
    for (const auto& field : connectors::model_fields(m)) {
      if (field.kind == FieldKind::kStore) continue;
      if (field.required) required.emplace_back(field.name);
      properties[field.name] = field_schema(field.kind);
    }
    out[record_schema_name(m)] = generated(
        {{"description", "A " + std::string(connectors::to_string(m)) +
                             " record, with the model's top-level fields as the Kombo SDK validates them: a "
                             "required field is always present (null where the tool cannot fill it, [] for a "
                             "list, {} for custom_fields); an optional one may be left out."},
         {"allOf", {ref("UnifiedRecord")}},
         {"required", std::move(required)},
         {"properties", std::move(properties)}});
  }
}

bool is_generated(const bj::value& schema) {
  const auto* object = schema.if_object();
  if (object == nullptr) return false;
  const auto* mark = object->if_contains(kGeneratedMark);
  return mark != nullptr && mark->is_bool() && mark->get_bool();
}

// `current` with the generated schemas in place: each one where the schema of its name stands, a new one
// right after the generated schema before it (or before the one after it), in generated order; schemas
// marked generated that are no longer generated are left out.
bj::object place_generated(const bj::object& current, const bj::object& generated) {
  std::map<std::string, std::size_t, std::less<>> position;
  for (const auto& [name, schema] : generated)
    position.emplace(std::string(name), position.size());
  bj::object out;
  std::size_t written = 0;  // generated schemas [0, written) are in `out`
  auto write = [&] {
    const auto& entry = *(generated.begin() + static_cast<std::ptrdiff_t>(written++));
    out[entry.key()] = entry.value();
  };
  for (const auto& [name, schema] : current) {
    auto it = position.find(std::string_view(name));
    if (it == position.end()) {
      if (!is_generated(schema)) out[name] = schema;
      continue;
    }
    if (it->second < written) continue;  // written already, out of generated order
    while (written <= it->second)
      write();
    while (written < generated.size() && !current.contains((generated.begin() + written)->key()))
      write();
  }
  while (written < generated.size())
    write();
  return out;
}

void write_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void write_double(std::string& out, double d) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // 1.0 stays a float, as Python writes it
  out += text;
}

void write_value(std::string& out, const bj::value& v, int depth) {
  const std::string indent(2 * (depth + 1), ' ');
  const std::string close(2 * depth, ' ');
  switch (v.kind()) {
    case bj::kind::object: {
      const auto& object = v.get_object();
      if (object.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (const auto& [key, child] : object) {
        out += first ? indent : ",\n" + indent;
        first = false;
        write_string(out, key);
        out += ": ";
        write_value(out, child, depth + 1);
      }
      out += "\n" + close + "}";
      return;
    }
    case bj::kind::array: {
      const auto& array = v.get_array();
      if (array.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (std::size_t i = 0; i < array.size(); ++i) {
        out += i == 0 ? indent : ",\n" + indent;
        write_value(out, array[i], depth + 1);
      }
      out += "\n" + close + "]";
      return;
    }
    case bj::kind::string:
      write_string(out, v.get_string());
      return;
    case bj::kind::double_:
      write_double(out, v.get_double());
      return;
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::bool_:
    case bj::kind::null:
      out += bj::serialize(v);
      return;
  }
}

}  // namespace

std::string record_schema_name(Model model) {
  return pascal_case(connectors::to_string(model)) + "Record";
}

bj::object generated_schemas(const connectors::Registry& registry) {
  bj::object out;
  add_vocabulary(out, registry);
  add_scope_models(out);
  add_remote_event_types(out, registry);
  add_credentials(out, registry);
  add_records(out);
  return out;
}

Result<bj::value> regenerate_openapi(bj::value document, const connectors::Registry& registry) {
  bj::object* schemas = nullptr;
  if (auto* root = document.if_object()) {
    if (auto* components = root->if_contains("components"); components && components->is_object())
      if (auto* s = components->get_object().if_contains("schemas"); s && s->is_object())
        schemas = &s->get_object();
  }
  if (schemas == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "the document has no components.schemas object");

  *schemas = place_generated(*schemas, generated_schemas(registry));
  return document;
}

Result<std::string> regenerate_openapi_text(std::string_view document, const connectors::Registry& registry) {
  boost::system::error_code ec;
  bj::value parsed = bj::parse(document, ec);
  if (ec) return make_error(ErrorKind::kInvalidArgument, "the document is not JSON: " + ec.message());
  auto regenerated = regenerate_openapi(std::move(parsed), registry);
  if (!regenerated) return regenerated.error();
  return pretty_json(*regenerated);
}

std::string pretty_json(const bj::value& value) {
  std::string out;
  write_value(out, value, 0);
  out += "\n";
  return out;
}

}  // namespace tributary::api
