#include "pipeline/api_context.h"

#include "core/json.h"

namespace tributary::pipeline {

connectors::ApiContext api_context(const store::IntegrationRow& integration,
                                   const connectors::Connector& connector, const SecretBox& secrets,
                                   http::HttpClient& client, std::chrono::milliseconds timeout,
                                   Budgets* budgets, Priority priority) {
  connectors::ApiContext ctx;
  ctx.client = &client;
  ctx.timeout = timeout;
  ctx.integration_id = integration.id;
  if (auto creds = secrets.open(integration.credentials, SecretBox::credentials_of(integration.id))) {
    auto parsed = json::parse(*creds);
    if (parsed && parsed->is_object()) ctx.credentials = parsed->get_object();
  }
  connectors::resolve_urls(ctx, connector, integration.remote_base_url, integration.remote_auth_url);
  if (budgets != nullptr) {
    const ApiLimits limits = effective_limits(connector, integration.rate_limit);
    ctx.budget = budgets->for_integration(integration.id, limits);
    for (const auto& endpoint : connector.api_limits().endpoints)
      ctx.endpoint_budgets.emplace_back(endpoint, budgets->for_endpoint(integration.id, endpoint));
  }
  ctx.priority = priority;
  return ctx;
}

}  // namespace tributary::pipeline
