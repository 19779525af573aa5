// Teamtailor (ATS). Manual subscriptions: the end customer adds a company webhook in Settings › Integrations
// › Webhooks, which shows an auto-generated signature key; the key is then stored on the subscription. Every
// delivery is `{"payload":{"event_name","data":{id,type,attributes}},"signature":"<base64>"}` (the signature
// may also come in a `TT-Signature` header). Two signature versions exist:
//   v1 (deprecated): base64(hex HMAC-SHA256(key, payload.data.id)) — it signs only the record id, so nothing
//      else in a v1 delivery is trusted: the event is relayed as an update of that id, which the targeted
//      fetch then confirms (or records as deleted when Teamtailor answers 404).
//   v2: base64("t=<unix>,v2=<hex HMAC-SHA256(key, t + "." + JSON(payload))>"), with a freshness window.
// Records are read through the JSON:API at /v1/candidates and /v1/jobs (`Authorization: Token token=<key>`,
// `X-Api-Version`). Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include <memory>

#include "connectors/registry.h"
#include "core/clock.h"

namespace tributary::connectors {

void register_teamtailor(Registry& registry);

// The connector measuring the v2 freshness window against `clock` (which must outlive it), for tests.
std::unique_ptr<Connector> make_teamtailor_connector(const Clock& clock);

}  // namespace tributary::connectors
