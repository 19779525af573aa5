// Recruitee (ATS). Manual subscriptions: the end customer creates the webhook in Settings › Apps and Plugins
// › Webhooks, where Recruitee shows the webhook's secret; the secret is then stored on the subscription.
// Before the webhook is created Recruitee POSTs {"test":true} (User-Agent Recruitee-Webhooks) and needs a
// 200: that arrives before any secret exists, so handshake() answers every body carrying "test": true without
// verifying it and nothing is forwarded. Deliveries `{event_type, event_subtype, payload:{candidate|offer…}}`
// are signed with `X-Recruitee-Signature: <hex HMAC-SHA256(secret, raw body)>`. Offers are Recruitee's jobs.
// Records are read at /c/{company_id}/candidates and /c/{company_id}/offers with a bearer token.
// Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_recruitee(Registry& registry);

}  // namespace tributary::connectors
