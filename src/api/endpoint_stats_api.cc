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

  auto stats = store::attempts::window_stats(c, id, since, until);
  if (!stats) return internal_error(stats.error());
  const std::int64_t attempts = stats->attempts;
  const std::int64_t succeeded = stats->succeeded;
  bj::object latency{{"avg", nullptr}, {"p50", nullptr}, {"p95", nullptr}, {"max", nullptr}};
  if (attempts > 0) {
    latency["avg"] = round_tenth(stats->avg_ms);
    latency["p50"] = round_tenth(stats->p50_ms);
    latency["p95"] = round_tenth(stats->p95_ms);
    latency["max"] = round_tenth(stats->max_ms);
  }

  auto waiting = store::deliveries::count_waiting(c, id);
  if (!waiting) return internal_error(waiting.error());
  bj::object deliveries;
  for (const auto& [status, count] : *waiting)
    deliveries[store::to_string(status)] = count;

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
