// Lever (ATS, Data API v1). One webhook per event: POST /v1/webhooks {event, url} answers with the webhook's
// own signatureToken (data.configuration.signatureToken). Deliveries carry the signature in the body:
// `signature` = hex HMAC-SHA256(signatureToken, token + triggeredAt), with triggeredAt in milliseconds, which
// is also checked for freshness. The signature does not cover `data`, so nothing in a delivery is trusted
// beyond the ids the targeted fetch then reads. Candidates are Lever opportunities; jobs are postings
// (records only: Lever has no posting webhooks). The API is called with HTTP Basic (the key as user).
// Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include <memory>

#include "connectors/registry.h"
#include "core/clock.h"

namespace tributary::connectors {

void register_lever(Registry& registry);

// The connector reading the time from `clock` (the freshness check of triggeredAt); for tests. The clock must
// outlive the connector.
std::unique_ptr<Connector> make_lever_connector(const Clock& clock);

}  // namespace tributary::connectors
