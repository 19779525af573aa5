// The downstream events a sync writes to the outbox: `data-changed` (DESIGN §2: changed_models) and
// `sync-finished` (sync_id, sync_state, times, duration, integration, end_user, log_url), with one delivery
// per enabled endpoint subscribed to the type. Thread-safety: stateless functions over the caller's
// Connection.
#pragma once

#include <string>
#include <vector>

#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "store/syncs_repo.h"

namespace tributary::sync {

store::EventRow data_changed_event(const store::IntegrationRow& integration,
                                   const std::vector<std::string>& models, Millis now);
store::EventRow sync_finished_event(const store::IntegrationRow& integration, const store::SyncRow& sync,
                                    const std::string& public_url);
// Inserts the event and its deliveries; true when some endpoint will receive it.
Result<bool> write_event(store::Connection& c, const store::EventRow& event,
                         const std::vector<store::EndpointRow>& endpoints, Millis now);

}  // namespace tributary::sync
