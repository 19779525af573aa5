// Syncs through the API: POST /v1/force-sync (Kombo's shape: X-Integration-Id, optional {"type": "FULL" |
// "DELTA"}, answer {already_queued, sync_id, type}), the sync logs of an integration (GET
// /v1/integrations/{id}/syncs, newest first, cursor) and one sync (GET /v1/syncs/{id}) with its state, times,
// counts and errors; POST /v1/integrations/{id}/confirm-deletions queues a FULL sync that applies the
// deletions the mass-deletion guard held back (sync/sync_runner.h).
#include <spdlog/spdlog.h>

#include "api/api.h"
#include "api/respond.h"
#include "core/clock.h"
#include "core/json.h"
#include "store/integrations_repo.h"
#include "store/syncs_repo.h"

namespace tributary::api {
namespace {

bj::object sync_json(const store::SyncRow& s) {
  bj::object o;
  o["id"] = s.id;
  o["integration_id"] = s.integration_id;
  o["type"] = s.type;
  o["state"] = store::to_string(s.state);
  o["queued_at"] = format_iso8601(s.queued_at);
  o["started_at"] = time_or_null(s.started_at);
  o["ended_at"] = time_or_null(s.ended_at);
  o["duration_seconds"] = s.started_at && s.ended_at
                              ? bj::value(static_cast<double>(*s.ended_at - *s.started_at) / 1000.0)
                              : bj::value(nullptr);
  o["counts"] = bj::object{
      {"created", s.created}, {"updated", s.updated}, {"deleted", s.deleted}, {"unchanged", s.unchanged}};
  auto errors = json::parse(s.errors);
  o["errors"] = errors && errors->is_array() ? *errors : bj::value(bj::array{});
  o["confirm_deletions"] = s.confirm_deletions;
  return o;
}

// Queues a sync of an existing integration (404 otherwise) and wakes the runners.
http::Response queue_sync(ApiContext& ctx, const std::string& id, const std::string& type,
                          bool confirm_deletions, std::string_view not_found_reason) {
  {
    auto lease = ctx.pool->acquire();
    if (!lease) return internal_error(lease.error());
    auto integration = store::integrations::get(**lease, id);
    if (!integration) return internal_error(integration.error());
    if (!*integration)
      return http::error_response(404, "PLATFORM.INTEGRATION_NOT_FOUND", std::string(not_found_reason));
  }
  std::optional<store::QueuedSync> queued;
  Status s = ctx.writer->run([&](store::Connection& c) -> Status {
    auto q = store::syncs::queue(c, id, type, now_ms(), confirm_deletions);
    if (!q) return q.error();
    queued = std::move(*q);
    return store::notify(c, store::kSyncChannel);
  });
  if (!s) return internal_error(s.error());
  spdlog::info("{} of {}: {} {}{}", confirm_deletions ? "confirm-deletions" : "force-sync", id,
               queued->row.type, queued->row.id, queued->already_queued ? " (already queued)" : "");
  bj::object out{
      {"already_queued", queued->already_queued}, {"sync_id", queued->row.id}, {"type", queued->row.type}};
  if (confirm_deletions) out["confirm_deletions"] = true;
  return ok(std::move(out));
}

http::Response force_sync(ApiContext& ctx, const http::Request& req) {
  auto integration_id = req.header("X-Integration-Id");
  if (!integration_id || integration_id->empty())
    return http::error_response(400, "PLATFORM.INPUT_INVALID", "the X-Integration-Id header is required");
  std::string type(store::kSyncFull);
  if (!req.body.empty()) {
    auto body = body_object(req);
    if (!body) return http::error_response(400, "PLATFORM.INPUT_INVALID", body.error().message);
    for (const auto& [k, v] : *body) {
      if (k != "type")
        return http::error_response(400, "PLATFORM.INPUT_INVALID", "unknown field '" + std::string(k) + "'");
      if (!v.is_string() || (v.get_string() != store::kSyncFull && v.get_string() != store::kSyncDelta))
        return http::error_response(400, "PLATFORM.INPUT_INVALID", "type must be \"FULL\" or \"DELTA\"");
      type = std::string(v.get_string());
    }
  }
  return queue_sync(ctx, std::string(*integration_id), type, false,
                    "no integration with the id given in X-Integration-Id");
}

http::Response list_syncs(ApiContext& ctx, const http::Request& req, const std::string& integration_id) {
  auto cursor = cursor_param(req);
  if (!cursor) return fail(cursor.error());
  const int limit = limit_param(req, 50, 250);
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto integration = store::integrations::get(**lease, integration_id, /*include_deleted=*/true);
  if (!integration) return internal_error(integration.error());
  if (!*integration) return fail(ErrorKind::kNotFound, "integration " + integration_id + " not found");
  auto rows = store::syncs::list_for_integration(**lease, integration_id, *cursor, limit);
  if (!rows) return internal_error(rows.error());
  bj::array out;
  for (const auto& r : *rows)
    out.push_back(sync_json(r));
  return list_page(std::move(out), next_cursor(rows->size(), limit, rows->empty() ? 0 : rows->back().seq));
}

http::Response get_sync(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto row = store::syncs::get(**lease, id);
  if (!row) return internal_error(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "sync " + id + " not found");
  return ok(sync_json(**row));
}

}  // namespace

void add_sync_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync("POST", "/v1/force-sync", authed(ctx, [&ctx](const http::Request& r, const http::Params&) {
                    return force_sync(ctx, r);
                  }));
  router.add_sync("GET", "/v1/integrations/{id}/syncs",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return list_syncs(ctx, r, p.at("id"));
                  }));
  router.add_sync("POST", "/v1/integrations/{id}/confirm-deletions",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    if (!r.body.empty()) {
                      auto body = body_object(r);
                      if (!body) return fail(body.error());
                      if (!body->empty())
                        return fail(ErrorKind::kInvalidArgument, "the body must be empty or {}");
                    }
                    return queue_sync(ctx, p.at("id"), std::string(store::kSyncFull), true,
                                      "no integration with id " + p.at("id"));
                  }));
  router.add_sync("GET", "/v1/syncs/{id}", authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return get_sync(ctx, p.at("id"));
                  }));
}

}  // namespace tributary::api
