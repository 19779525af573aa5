// The sync schedule rule: how long after one scheduled sync of an integration the next one is due. An
// integration's own `sync.interval_seconds` wins; otherwise `sync.interval_with_webhooks` (default 3 h) when
// upstream webhooks are on and the tool has webhooks feeding every scoped model it can read, so events keep
// the data fresh and syncs only catch what they missed, and `sync.interval_without_webhooks` (default 10 min)
// otherwise. Thread-safety: stateless functions.
#pragma once

#include <set>
#include <string>

#include "connectors/connector.h"
#include "core/clock.h"
#include "core/config.h"
#include "store/integrations_repo.h"

namespace tributary::sync {

// The scoped models a sync lists: enabled in the scope and readable through the tool's API.
std::set<connectors::Model> synced_models(const store::IntegrationRow& integration,
                                          const connectors::Connector& connector);
// Whether upstream webhooks cover every model in `models`.
bool webhooks_cover(const store::IntegrationRow& integration, const connectors::Connector& connector,
                    const std::set<connectors::Model>& models);
Millis interval_ms(const store::IntegrationRow& integration, const connectors::Connector& connector,
                   const SyncConfig& config);

}  // namespace tributary::sync
