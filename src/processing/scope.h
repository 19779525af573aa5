// An integration's scope config: which unified models are synced and whether upstream webhooks are enabled.
// JSON: {"models": {"hris_employees": true, …}, "upstream_webhooks": true}. Models left out default to
// enabled when they belong to the tool's category; upstream webhooks default to off, as the operator turns
// them on explicitly in the scope config.
#pragma once

#include <set>
#include <string>

#include "connectors/model.h"
#include "core/result.h"

namespace tributary::connectors {
class Connector;
}

namespace tributary::processing {

struct Scope {
  std::set<connectors::Model> models;
  bool upstream_webhooks = false;

  bool enabled(connectors::Model m) const { return models.count(m) > 0; }
  std::string to_json() const;
};

// Validates unknown model names and types; only models of `category` can be enabled.
Result<Scope> parse_scope(std::string_view json, connectors::Category category);
// Applies a partial scope document (PATCH) on top of `base`.
Result<Scope> merge_scope(const Scope& base, std::string_view patch_json, connectors::Category category);
// The same for one tool: its category's models (on by default) and any other model it relays or reads (off
// by default, e.g. Workable's employees).
Result<Scope> parse_scope(std::string_view json_text, const connectors::Connector& connector);
Result<Scope> merge_scope(const Scope& base, std::string_view patch_json,
                          const connectors::Connector& connector);

}  // namespace tributary::processing
