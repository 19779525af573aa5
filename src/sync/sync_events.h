// The downstream events a sync writes to the outbox: `data-changed` (DESIGN §2: changed_models) and
// `sync-finished` (sync_id, sync_state, times, duration, integration, end_user, log_url); written with
// store::events::insert_with_deliveries. Thread-safety: stateless functions.
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

}  // namespace tributary::sync
