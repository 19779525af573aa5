// Personio (HRIS, API v2). Subscriptions are created through POST /v2/webhooks with a client-credentials
// bearer token; Personio then sends the static token we chose back verbatim in `Authorization` with every
// delivery. Notifications are "dataless" ({company_id, event_name, occurred_at, payload:{id…}}): the record
// is fetched later. Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_personio(Registry& registry);

}  // namespace tributary::connectors
