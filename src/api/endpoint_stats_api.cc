// GET /v1/webhook-endpoints/{id}/stats: how an endpoint has been doing — attempts, success rate and latency
// over a recent window (the last hour unless `since` says otherwise), and how many of its deliveries wait now
// (pending, in flight, or failed and waiting for a manual redelivery). Read-only; the attempt figures are
// aggregated in the database over the attempts_endpoint index, so the answer stays small however busy the
// endpoint is.
#include <cmath>

#include "api/api.h"
#include "api/respond.h"
#include "core/clock.h"
#include "store/outbox_repo.h"

namespace tributary::api {
namespace {

constexpr Millis kDefaultWindowMs = 3600 * 1000;

double round_tenth(double v) {
  return std::round(v * 10.0) / 10.0;
}

// The latency at rank `offset` (0-based, ascending) among the window's attempts.
Result<double> latency_at(store::Connection& c, const std::string& id, Millis since, Millis until,
                          std::int64_t offset) {
  auto rows = c.query(
      "SELECT latency_ms FROM attempts WHERE endpoint_id = $1 AND attempted_at >= $2 AND attempted_at <= $3 "
      "ORDER BY latency_ms LIMIT 1 OFFSET $4",
      {id, since, until, offset});
  if (!rows) return rows.error();
  return rows->empty() ? 0.0 : rows->front().real(0);
}

http::Response endpoint_stats(ApiContext& ctx, const http::Request& req, const std::string& id) {
  auto since_param = time_param(req, "since");
  if (!since_param) return fail(since_param.error());
  const Millis until = now_ms();
  const Millis since = since_param->value_or(until - kDefaultWindowMs);
  if (since >= until) return fail(ErrorKind::kInvalidArgument, "since must be in the past");

  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  store::Connection& c = **lease;
  auto endpoint = store::endpoints::get(c, id);
  if (!endpoint) return internal_error(endpoint.error());
  if (!*endpoint) return fail(ErrorKind::kNotFound, "webhook endpoint " + id + " not found");

  auto totals = c.query(
      "SELECT COUNT(*), SUM(CASE WHEN status_code >= 200 AND status_code <= 299 THEN 1 ELSE 0 END), "
      "AVG(latency_ms), MAX(latency_ms) FROM attempts "
      "WHERE endpoint_id = $1 AND attempted_at >= $2 AND attempted_at <= $3",
      {id, since, until});
  if (!totals) return internal_error(totals.error());
  const store::Row& t = totals->front();
  const std::int64_t attempts = t.int64(0);
  const std::int64_t succeeded = t.is_null(1) ? 0 : t.int64(1);

  bj::object latency;
  latency["avg"] = nullptr;
  latency["p50"] = nullptr;
  latency["p95"] = nullptr;
  latency["max"] = nullptr;
  if (attempts > 0) {
    auto p50 = latency_at(c, id, since, until, (attempts - 1) / 2);
    if (!p50) return internal_error(p50.error());
    auto p95 = latency_at(c, id, since, until, (attempts - 1) * 95 / 100);
    if (!p95) return internal_error(p95.error());
    latency["avg"] = round_tenth(t.real(2));
    latency["p50"] = round_tenth(*p50);
    latency["p95"] = round_tenth(*p95);
    latency["max"] = round_tenth(t.real(3));
  }

  auto waiting = c.query(
      "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending', 'sending', "
      "'failed') GROUP BY status",
      {id});
  if (!waiting) return internal_error(waiting.error());
  bj::object deliveries;
  deliveries["pending"] = 0;
  deliveries["sending"] = 0;
  deliveries["failed"] = 0;
  for (const auto& row : *waiting)
    deliveries[row.text(0)] = row.int64(1);

  bj::object out;
  out["endpoint_id"] = id;
  out["since"] = format_iso8601(since);
  out["until"] = format_iso8601(until);
  out["attempts"] = attempts;
  out["succeeded"] = succeeded;
  out["failed"] = attempts - succeeded;
  out["success_rate"] =
      attempts > 0 ? bj::value(static_cast<double>(succeeded) / static_cast<double>(attempts)) : nullptr;
  out["latency_ms"] = std::move(latency);
  out["deliveries"] = std::move(deliveries);
  return ok(std::move(out));
}

}  // namespace

void add_endpoint_stats_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync("GET", "/v1/webhook-endpoints/{id}/stats",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return endpoint_stats(ctx, r, p.at("id"));
                  }));
}

}  // namespace tributary::api
