#include "sync/schedule.h"

#include "core/json.h"
#include "processing/scope.h"

namespace tributary::sync {

std::set<connectors::Model> synced_models(const store::IntegrationRow& integration,
                                          const connectors::Connector& connector) {
  std::set<connectors::Model> out;
  auto scope = processing::parse_scope(integration.scope, connector.category());
  if (!scope) return out;
  for (auto m : scope->models)
    if (connector.supports_records(m)) out.insert(m);
  return out;
}

bool webhooks_cover(const store::IntegrationRow& integration, const connectors::Connector& connector,
                    const std::set<connectors::Model>& models) {
  auto scope = processing::parse_scope(integration.scope, connector.category());
  if (!scope || !scope->upstream_webhooks) return false;
  for (auto m : models) {
    bool fed = false;
    for (const auto& feed : connector.feeds())
      if (feed.model == m && !feed.vendor_events.empty()) fed = true;
    if (!fed) return false;
  }
  return true;
}

Millis interval_ms(const store::IntegrationRow& integration, const connectors::Connector& connector,
                   const SyncConfig& config) {
  if (auto doc = json::parse(integration.sync); doc && doc->is_object()) {
    const auto* v = doc->get_object().if_contains("interval_seconds");
    if (v != nullptr && v->is_int64() && v->get_int64() > 0) return v->get_int64() * 1000;
    if (v != nullptr && v->is_uint64() && v->get_uint64() > 0 && v->get_uint64() < (1ULL << 40))
      return static_cast<Millis>(v->get_uint64()) * 1000;
  }
  const bool covered = webhooks_cover(integration, connector, synced_models(integration, connector));
  return (covered ? config.interval_with_webhooks : config.interval_without_webhooks) * 1000;
}

}  // namespace tributary::sync
