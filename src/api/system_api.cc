// Health, readiness, metrics and the OpenAPI document; and the authentication wrapper used by every route.
#include "api/api.h"

#include <spdlog/spdlog.h>
#include "api/respond.h"

namespace tributary::api {

namespace {

// The answer to a request without a valid API key; nullopt when its key is valid.
std::optional<http::Response> refuse_unless_authenticated(ApiContext& ctx, const http::Request& r) {
  auto valid = ctx.auth->check(r);
  if (!valid) {
    spdlog::warn("api: cannot check an API key: {}", valid.error().message);
    return fail(ErrorKind::kUnavailable, "cannot check the API key right now: the database is busy; retry");
  }
  if (!*valid) {
    return fail(ErrorKind::kUnauthorized, "missing or invalid API key: send Authorization: Bearer <api key>");
  }
  return std::nullopt;
}

}  // namespace

SyncHandler authed(ApiContext& ctx, SyncHandler handler) {
  return [&ctx, handler = std::move(handler)](const http::Request& r, const http::Params& p) {
    if (auto refusal = refuse_unless_authenticated(ctx, r)) return std::move(*refusal);
    return handler(r, p);
  };
}

std::optional<http::Response> screen_api_request(ApiContext& ctx, const http::Request& header) {
  if (header.path.rfind("/v1/", 0) != 0 || ctx.auth == nullptr) return std::nullopt;
  return refuse_unless_authenticated(ctx, header);
}

void add_system_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync("GET", "/healthz", [](const http::Request&, const http::Params&) {
    bj::object o;
    o["ok"] = true;
    return ok(std::move(o));
  });
  router.add_sync("GET", "/readyz", [&ctx](const http::Request&, const http::Params&) {
    bool ready = ctx.ready ? ctx.ready() : true;
    bj::object o;
    o["ready"] = ready;
    if (!ready)
      return fail(ErrorKind::kUnavailable, "not ready: the store is not reachable or shutdown has begun");
    if (ctx.storage_failing && ctx.storage_failing()) {
      return fail(
                 ErrorKind::kStorageUnavailable,
                 "not ready: the database refuses writes (disk full or read-only); webhooks are answered 503 "
                 "until it takes them again")
          .with_header("Retry-After", "5");
    }
    return ok(std::move(o));
  });
  router.add_sync("GET", "/metrics", authed(ctx, [&ctx](const http::Request&, const http::Params&) {
                    http::Response r;
                    r.status = 200;
                    r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
                    r.body = ctx.metrics_text ? ctx.metrics_text() : "";
                    return r;
                  }));
  router.add_sync("GET", "/openapi.json", [](const http::Request&, const http::Params&) {
    return http::Response::json(200, openapi_document());
  });
}

}  // namespace tributary::api
