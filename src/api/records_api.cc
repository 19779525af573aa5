// The Kombo-compatible read API: GET /v1/hris/employees, /v1/hris/absences, /v1/ats/candidates, /v1/ats/jobs
// for the integration named by X-Integration-Id. Records are the unified records the processor's targeted
// fetch keeps (store/records_repo.h); pages run in (changed_at, seq) order with an opaque cursor.
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/respond.h"
#include "connectors/connector.h"
#include "connectors/model.h"
#include "core/clock.h"
#include "core/json.h"
#include "store/integrations_repo.h"
#include "store/records_repo.h"
#include "store/syncs_repo.h"

namespace tributary::api {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 250;
constexpr std::size_t kMaxIdFilter = 250;
// How long a read waits for transactions writing records to end before answering 503; they take milliseconds.
constexpr std::chrono::milliseconds kWriterWait{10000};

http::Response kombo_error(int status, std::string_view code, std::string_view message) {
  return http::error_response(status, code, message);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

// The stored record with the fields the store owns filled in.
bj::value render(const store::RecordRow& row) {
  auto parsed = json::parse(row.data);
  bj::object record = parsed && parsed->is_object() ? parsed->get_object() : bj::object{};
  const bj::value changed_at = bj::value(format_iso8601(row.changed_at));
  record["id"] = row.id;
  record["remote_id"] = row.remote_id;
  record["changed_at"] = changed_at;
  record["remote_deleted_at"] = time_or_null(row.remote_deleted_at);
  // Nested objects that carry their own changed_at (an absence's type, a candidate's applications) change
  // with their record.
  if (auto* type = record.if_contains("type"); type != nullptr && type->is_object()) {
    type->get_object()["changed_at"] = changed_at;
  }
  if (auto* apps = record.if_contains("applications"); apps != nullptr && apps->is_array()) {
    for (auto& app : apps->get_array())
      if (app.is_object()) app.get_object()["changed_at"] = changed_at;
  }
  return record;
}

// The list's query parameters into `filter` and `page_size`; a 400 naming the first bad one.
std::optional<http::Response> read_list_query(const http::Request& req, store::RecordFilter& filter,
                                              int& page_size) {
  auto updated_after = time_param(req, "updated_after");
  if (!updated_after) return kombo_error(400, "PLATFORM.INPUT_INVALID", updated_after.error().message);
  filter.updated_after = *updated_after;
  if (auto cursor = req.query_param("cursor"); cursor && !cursor->empty()) {
    auto decoded = store::records::decode_cursor(*cursor);
    if (!decoded) return kombo_error(400, "PLATFORM.INPUT_INVALID", "cursor is not a cursor this API issued");
    filter.after = decoded;
  }
  if (auto text = req.query_param("page_size"); text && !text->empty()) {
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), page_size);
    if (ec != std::errc{} || ptr != text->data() + text->size() || page_size < 1 ||
        page_size > kMaxPageSize) {
      return kombo_error(400, "PLATFORM.INPUT_INVALID",
                         "page_size must be a whole number from 1 to " + std::to_string(kMaxPageSize));
    }
  }
  if (auto text = req.query_param("include_deleted"); text && !text->empty()) {
    if (*text != "true" && *text != "false")
      return kombo_error(400, "PLATFORM.INPUT_INVALID", "include_deleted must be true or false");
    filter.include_deleted = *text == "true";
  }
  if (auto text = req.query_param("ids")) filter.ids = split_list(*text);
  if (auto text = req.query_param("remote_ids")) filter.remote_ids = split_list(*text);
  if (filter.ids.size() > kMaxIdFilter || filter.remote_ids.size() > kMaxIdFilter) {
    return kombo_error(400, "PLATFORM.INPUT_INVALID",
                       "ids and remote_ids take at most " + std::to_string(kMaxIdFilter) + " values");
  }
  return std::nullopt;
}

http::Response list_records(ApiContext& ctx, const http::Request& req, connectors::Model model) {
  auto integration_id = req.header("X-Integration-Id");
  if (!integration_id || integration_id->empty()) {
    return kombo_error(400, "PLATFORM.INPUT_INVALID", "the X-Integration-Id header is required");
  }
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto integration = store::integrations::get(**lease, std::string(*integration_id));
  if (!integration) return internal_error(integration.error());
  if (!*integration) {
    return kombo_error(404, "PLATFORM.INTEGRATION_NOT_FOUND",
                       "no integration with the id given in X-Integration-Id");
  }
  // The integration's category's models, and any other model its tool reads (Workable's employees).
  const std::string category(connectors::to_string(connectors::category_of(model)));
  const connectors::Connector* connector = ctx.registry->find((*integration)->tool);
  const bool readable = connector != nullptr && connector->supports_records(model);
  if ((*integration)->category != category && !readable) {
    return kombo_error(400, "INTEGRATION.MODEL_NOT_AVAILABLE",
                       std::string(connectors::to_string(model)) + " is not available for a " +
                           (*integration)->category + " integration");
  }
  // Kombo's rule: no data until the first sync has succeeded, at least partly (409 since 2026-05-19, was 503:
  // https://kombo.mintlify.app/ats/important-changes). A sync-finished webhook announces it.
  auto first_sync = store::syncs::first_succeeded_at(**lease, (*integration)->id);
  if (!first_sync) return internal_error(first_sync.error());
  if (!*first_sync) {
    return kombo_error(409, "INTEGRATION.SETUP_SYNC_PENDING",
                       "the first sync of this integration has not finished yet; a sync-finished webhook "
                       "announces it");
  }

  store::RecordFilter filter;
  filter.integration_id = (*integration)->id;
  filter.model = std::string(connectors::to_string(model));
  int page_size = kDefaultPageSize;
  if (auto refused = read_list_query(req, filter, page_size)) return std::move(*refused);
  filter.limit = page_size + 1;  // one more tells whether there is a next page

  // Every change stamped before this read started is visible to it, and nothing stamped later is returned
  // yet, so "updated_after = when my previous read started" (and the cursor) never skips a change that was
  // still committing (store/records_repo.h).
  auto horizon = store::records::read_horizon(**lease, kWriterWait);
  if (!horizon) return internal_error(horizon.error());
  filter.visible_before = *horizon;
  auto rows = store::records::list(**lease, filter);
  if (!rows) return internal_error(rows.error());
  std::optional<std::string> next;
  if (rows->size() > static_cast<std::size_t>(page_size)) {
    rows->resize(static_cast<std::size_t>(page_size));
    next = store::records::encode_cursor({rows->back().changed_at, rows->back().seq});
  }
  bj::array results;
  results.reserve(rows->size());
  for (const auto& row : *rows)
    results.push_back(render(row));
  return list_page(std::move(results), next);
}

}  // namespace

void add_record_routes(http::Router& router, ApiContext& ctx) {
  const std::pair<const char*, connectors::Model> kRoutes[] = {
      {"/v1/hris/employees", connectors::Model::kHrisEmployees},
      {"/v1/hris/absences", connectors::Model::kHrisAbsences},
      {"/v1/ats/candidates", connectors::Model::kAtsCandidates},
      {"/v1/ats/jobs", connectors::Model::kAtsJobs},
  };
  for (const auto& [path, model] : kRoutes) {
    router.add_sync("GET", path,
                    authed(ctx, [&ctx, model = model](const http::Request& r, const http::Params&) {
                      return list_records(ctx, r, model);
                    }));
  }
}

}  // namespace tributary::api
