#include "processing/scope.h"

#include <boost/json.hpp>

#include "core/json.h"

namespace tributary::processing {
namespace {

Result<Scope> apply(Scope scope, std::string_view json_text, connectors::Category category) {
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
        if (on.get_bool() && connectors::category_of(*model) != category) {
          return make_error(ErrorKind::kInvalidArgument,
                            "scope.models: " + std::string(name) + " is not available for this " +
                                std::string(connectors::to_string(category)) + " tool");
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
  Scope scope;
  for (connectors::Model m : connectors::kAllModels)
    if (connectors::category_of(m) == category) scope.models.insert(m);
  return apply(std::move(scope), json_text, category);
}

Result<Scope> merge_scope(const Scope& base, std::string_view patch_json, connectors::Category category) {
  return apply(base, patch_json, category);
}

}  // namespace tributary::processing
