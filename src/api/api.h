// The HTTP API: management (integrations, subscriptions, webhook endpoints), logs (upstream requests,
// downstream events with deliveries and attempts), coverage, health, metrics and the OpenAPI document.
// Handlers are synchronous, short, and map errors to HTTP in respond.cc. Thread-safety: handlers run on the
// server's threads; everything they touch is thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "api/auth.h"
#include "connectors/registry.h"
#include "core/config.h"
#include "core/secret_box.h"
#include "http/router.h"
#include "pipeline/budgets.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::api {

struct ApiContext {
  const Config* config = nullptr;
  store::Pool* pool = nullptr;
  store::Writer* writer = nullptr;
  const SecretBox* secrets = nullptr;
  const connectors::Registry* registry = nullptr;
  Authenticator* auth = nullptr;
  pipeline::Budgets* budgets = nullptr;  // the node's API budgets, for their figures (null: none shown)
  // The API wakes the stages through the store (store::notify in its writes); only a reconcile the answer
  // waits for is called directly.
  std::function<Status(const std::string&)> reconcile_now;
  std::function<std::string()> metrics_text;
  std::function<bool()> ready;
  // True while the database refuses writes (disk full, read-only): /readyz answers 503 meanwhile.
  std::function<bool()> storage_failing;
};

using SyncHandler = std::function<http::Response(const http::Request&, const http::Params&)>;
// Wraps a handler with API-key authentication.
SyncHandler authed(ApiContext& ctx, SyncHandler handler);
// For the server's screen (http::ServerOptions::screen): every /v1/ route wants a valid API key, so a /v1/
// request without one is answered 401 (503 when keys cannot be checked now) on its header, before its body
// is read. nullopt for other paths and for a valid key.
std::optional<http::Response> screen_api_request(ApiContext& ctx, const http::Request& header);

void add_integration_routes(http::Router& router, ApiContext& ctx);
void add_endpoint_routes(http::Router& router, ApiContext& ctx);
// GET /v1/webhook-endpoints/{id}/stats: attempts, success rate and latency over a recent window.
void add_endpoint_stats_routes(http::Router& router, ApiContext& ctx);
void add_log_routes(http::Router& router, ApiContext& ctx);
void add_system_routes(http::Router& router, ApiContext& ctx);
// GET /v1/hris/employees, /v1/hris/absences, /v1/ats/candidates, /v1/ats/jobs: the unified records.
void add_record_routes(http::Router& router, ApiContext& ctx);
// POST /v1/force-sync, GET /v1/integrations/{id}/syncs, GET /v1/syncs/{id}.
void add_sync_routes(http::Router& router, ApiContext& ctx);
// Kombo's general calls: GET /v1/check-api-key, GET /v1/tools/{category}.
void add_tool_routes(http::Router& router, ApiContext& ctx);

inline void add_routes(http::Router& router, ApiContext& ctx) {
  add_integration_routes(router, ctx);
  add_endpoint_routes(router, ctx);
  add_endpoint_stats_routes(router, ctx);
  add_log_routes(router, ctx);
  add_system_routes(router, ctx);
  add_record_routes(router, ctx);
  add_sync_routes(router, ctx);
  add_tool_routes(router, ctx);
}

// The OpenAPI 3.1 document served at /openapi.json.
const std::string& openapi_document();

}  // namespace tributary::api
