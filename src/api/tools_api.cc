// Kombo's general calls that are not about one integration: GET /v1/check-api-key and GET
// /v1/tools/{category} (the tools Tributary connects, with their coverage built from the connectors'
// declarations).
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/kombo_shapes.h"
#include "api/respond.h"
#include "connectors/common/api.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/settings_repo.h"

namespace tributary::api {
namespace {

// Names one deployment (one database) the way Kombo's environment id names one environment: created on the
// first check, the same on every node and after restarts.
constexpr std::string_view kEnvironmentId = "environment_id";

std::string_view model_label(connectors::Model m) {
  switch (m) {
    case connectors::Model::kHrisEmployees:
      return "Employees";
    case connectors::Model::kHrisAbsences:
      return "Absences";
    case connectors::Model::kAtsCandidates:
      return "Candidates";
    case connectors::Model::kAtsJobs:
      return "Jobs";
  }
  return "Unknown";
}

// The models a tool's read models list: those of its category, and any other it reads.
std::vector<connectors::Model> listed_models(const connectors::Connector& connector) {
  std::vector<connectors::Model> out;
  for (connectors::Model m : connectors::kAllModels)
    if (connectors::category_of(m) == connector.category() || connector.supports_records(m)) out.push_back(m);
  return out;
}

std::string_view coverage_of(const connectors::Connector& connector, connectors::Model m) {
  return connector.supports_records(m) ? "SUPPORTED" : "NOT_IMPLEMENTED";
}

std::string asset_url(std::string_view public_url) {
  return connectors::common::join_url(public_url, "favicon.svg");
}

bj::object tool_listing(const connectors::Connector& connector, std::string_view public_url) {
  bj::array read_models;
  for (connectors::Model m : listed_models(connector)) {
    read_models.push_back(bj::object{{"id", connectors::to_string(m)},
                                     {"label", model_label(m)},
                                     {"coverage_status", coverage_of(connector, m)},
                                     {"fields", bj::array{}}});
  }
  const bool webhooks = !connector.feeds().empty();
  bj::array features{bj::object{{"id", "upstream_webhooks"},
                                {"label", "Upstream webhooks"},
                                {"coverage_status", webhooks ? "SUPPORTED" : "UNSUPPORTED"}}};
  const std::string asset = asset_url(public_url);
  return bj::object{
      {"id", connector.tool()},
      {"label", connector.display_name()},
      {"internal_label", nullptr},
      {"assets", bj::object{{"logo_url", asset}, {"icon_url", asset}, {"icon_black_url", asset}}},
      {"paid_api_details_markdown", nullptr},
      {"fast_track_details_markdown", nullptr},
      {"partner_only_details_markdown", nullptr},
      {"connection_guide_url", nullptr},
      {"coverage", bj::object{{"read_models", std::move(read_models)},
                              {"write_actions", bj::array{}},
                              {"features", std::move(features)}}}};
}

http::Response tools(ApiContext& ctx, const std::string& category) {
  // Kombo's categories; Tributary connects HRIS and ATS tools, so the other two list none.
  static constexpr std::string_view kCategories[] = {"hris", "ats", "assessment", "lms"};
  if (std::find(std::begin(kCategories), std::end(kCategories), category) == std::end(kCategories)) {
    return http::error_response(
        400, "PLATFORM.INPUT_INVALID",
        "unknown category '" + category.substr(0, 64) + "' (expected hris, ats, assessment or lms)");
  }
  const std::string public_url = ctx.config != nullptr ? ctx.config->effective_public_url() : "";
  bj::array out;
  for (const auto* c : ctx.registry->all()) {
    std::string own(connectors::to_string(c->category()));
    std::transform(own.begin(), own.end(), own.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (own == category) out.push_back(tool_listing(*c, public_url));
  }
  return ok(bj::object{{"tools", std::move(out)}});
}

http::Response check_api_key(ApiContext& ctx) {
  std::string id;
  if (auto s = ctx.writer->run([&](store::Connection& c) -> Status {
        auto stored = store::settings::put_if_absent(c, kEnvironmentId, new_id("env"), now_ms());
        if (!stored) return stored.error();
        id = std::move(*stored);
        return {};
      });
      !s) {
    return internal_error(s.error());
  }
  return ok(bj::object{{"environment_id", id}});
}

}  // namespace

bj::object kombo_tool(const connectors::Connector& connector, std::string_view public_url) {
  const std::string asset = asset_url(public_url);
  return bj::object{{"id", connector.tool()},
                    {"label", connector.display_name()},
                    {"internal_label", nullptr},
                    {"logo_url", asset},
                    {"icon_url", asset}};
}

bj::array kombo_read_models(const connectors::Connector& connector, const processing::Scope& scope) {
  bj::array out;
  for (connectors::Model m : listed_models(connector)) {
    const bool enabled = scope.enabled(m);
    out.push_back(bj::object{{"id", connectors::to_string(m)},
                             {"label", model_label(m)},
                             {"is_available", enabled && connector.supports_records(m)},
                             {"coverage_status", coverage_of(connector, m)},
                             {"scope_config_setting", enabled ? "ENABLED" : "DISABLED"},
                             {"opted_out_by_customer", false},
                             {"fields", bj::array{}}});
  }
  return out;
}

void add_tool_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync("GET", "/v1/check-api-key", authed(ctx, [&ctx](const http::Request&, const http::Params&) {
                    return check_api_key(ctx);
                  }));
  router.add_sync("GET", "/v1/tools/{category}",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return tools(ctx, p.at("category"));
                  }));
}

}  // namespace tributary::api
