// The per-tool and per-model parts of openapi.json, generated from the connectors' own declarations (tools,
// categories, credential keys, the vendor events their feeds subscribe to, subscription modes, evidence) and
// from the unified models (connectors/model.h), the way the README's coverage grid is generated. The rest of
// the document (paths, webhooks, the general schemas) is written by hand and refers to the generated schemas
// by name. `tributary openapi` (scripts/update-openapi.sh) rewrites the generated schemas in place; a test
// fails while openapi.json differs from its regenerated self, so no tool, model or key list is typed twice.
// Thread-safety: pure functions of a read-only registry.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "connectors/registry.h"
#include "core/result.h"

namespace tributary::api {

// Marks a schema under components.schemas as generated: regeneration replaces it, or drops it when the
// declarations no longer produce it. Hand-written schemas never carry it.
inline constexpr std::string_view kGeneratedMark = "x-generated";

// The generated schemas by name, each marked kGeneratedMark, in this order: UnifiedModel, UnifiedAction,
// Category, Tool, SubscriptionMode, Evidence; ScopeModels and ScopeModelsInput; per tool
// <Name>RemoteEventType, then RemoteEventType over them; per tool <Name>Credentials, then Credentials and
// ToolCredentials over them; per model <Model>Record (e.g. HrisEmployeesRecord).
boost::json::object generated_schemas(const connectors::Registry& registry);

// The schema name of a unified model's records: "hris_employees" -> "HrisEmployeesRecord".
std::string record_schema_name(connectors::Model model);

// `document` with components.schemas regenerated: a generated schema replaces the schema of its name where
// that stands (a new one goes right after the generated schema before it, so a generated schema can be moved
// by hand as long as the generated order is kept); a schema marked generated that is no longer generated is
// dropped; everything else is kept as it is. Fails when `document` is not a JSON object with
// components.schemas.
Result<boost::json::value> regenerate_openapi(boost::json::value document,
                                              const connectors::Registry& registry);

// The same, text to text, written as openapi.json is written (pretty_json).
Result<std::string> regenerate_openapi_text(std::string_view document, const connectors::Registry& registry);

// JSON as openapi.json is laid out: two-space indentation, one member or element per line, ": " after
// keys, non-ASCII text as is, "{}" and "[]" when empty, a newline at the end (what Python's
// json.dumps(indent=2, ensure_ascii=False) writes, so a hand edit made with either stays byte-stable).
std::string pretty_json(const boost::json::value& value);

}  // namespace tributary::api
