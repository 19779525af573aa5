#include "processing/scope.h"

#include <boost/json.hpp>

#include "connectors/connector.h"
#include "core/json.h"

namespace tributary::processing {
namespace {

struct ModelSet {
  std::set<connectors::Model> available;   // may be enabled
  std::set<connectors::Model> by_default;  // enabled unless the scope says otherwise
};

ModelSet of_category(connectors::Category category) {
  ModelSet set;
  for (connectors::Model m : connectors::kAllModels)
    if (connectors::category_of(m) == category) {
      set.available.insert(m);
      set.by_default.insert(m);
    }
  return set;
}

// The tool's category's models, plus models of the other category the connector relays or reads (Workable
// is an ATS with employees and time off); those are off unless enabled.
ModelSet of_connector(const connectors::Connector& connector) {
  ModelSet set = of_category(connector.category());
  for (const auto& feed : connector.feeds())
    set.available.insert(feed.model);
  for (connectors::Model m : connectors::kAllModels)
    if (connector.supports_records(m)) set.available.insert(m);
  return set;
}

Result<Scope> apply(Scope scope, std::string_view json_text, const ModelSet& available) {
  if (json_text.empty()) return scope;
  auto parsed = json::parse(json_text);
  if (!parsed) return parsed.error();
  const auto* obj = parsed->if_object();
  if (obj == nullptr) return make_error(ErrorKind::kInvalidArgument, "scope must be an object");
  for (const auto& [key, value] : *obj) {
    if (key == "upstream_webhooks") {
      if (!value.is_bool())
        return make_error(ErrorKind::kInvalidArgument, "scope.upstream_webhooks must be a boolean");
      scope.upstream_webhooks = value.get_bool();
    } else if (key == "models") {
      const auto* models = value.if_object();
      if (models == nullptr) return make_error(ErrorKind::kInvalidArgument, "scope.models must be an object");
      for (const auto& [name, on] : *models) {
        auto model = connectors::parse_model(name);
        if (!model) {
          return make_error(ErrorKind::kInvalidArgument,
                            "scope.models: unknown model '" + std::string(name) +
                                "' (known: hris_employees, hris_absences, ats_candidates, ats_jobs)");
        }
        if (!on.is_bool()) {
          return make_error(ErrorKind::kInvalidArgument,
                            "scope.models." + std::string(name) + " must be a boolean");
        }
        if (on.get_bool() && available.available.count(*model) == 0) {
          std::string list;
          for (connectors::Model m : available.available)
            list += (list.empty() ? "" : ", ") + std::string(connectors::to_string(m));
          return make_error(ErrorKind::kInvalidArgument,
                            "scope.models: " + std::string(name) +
                                " is not available for this tool (available: " + list + ")");
        }
        if (on.get_bool()) {
          scope.models.insert(*model);
        } else {
          scope.models.erase(*model);
        }
      }
    } else {
      return make_error(ErrorKind::kInvalidArgument, "scope: unknown key '" + std::string(key) + "'");
    }
  }
  return scope;
}

Result<Scope> parse_with(std::string_view json_text, const ModelSet& set) {
  Scope scope;
  scope.models = set.by_default;
  return apply(std::move(scope), json_text, set);
}

}  // namespace

std::string Scope::to_json() const {
  boost::json::object models_obj;
  for (connectors::Model m : connectors::kAllModels) {
    models_obj[connectors::to_string(m)] = enabled(m);
  }
  boost::json::object out;
  out["models"] = std::move(models_obj);
  out["upstream_webhooks"] = upstream_webhooks;
  return boost::json::serialize(out);
}

Result<Scope> parse_scope(std::string_view json_text, connectors::Category category) {
  return parse_with(json_text, of_category(category));
}

Result<Scope> merge_scope(const Scope& base, std::string_view patch_json, connectors::Category category) {
  return apply(base, patch_json, of_category(category));
}

Result<Scope> parse_scope(std::string_view json_text, const connectors::Connector& connector) {
  return parse_with(json_text, of_connector(connector));
}

Result<Scope> merge_scope(const Scope& base, std::string_view patch_json,
                          const connectors::Connector& connector) {
  return apply(base, patch_json, of_connector(connector));
}

}  // namespace tributary::processing
