// Greenhouse Recruiting (ATS). Manual subscriptions: the end customer creates one web hook per event in
// Configure › Dev Center › Web Hooks, with our ingress URL and the secret we generated. Deliveries are signed
// with `Signature: sha256 <hex HMAC-SHA256(secret, raw body)>` and carry a per-delivery
// `Greenhouse-Event-ID`. Thread-safety: the connector is stateless; every method may be called from any
// thread.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_greenhouse(Registry& registry);

}  // namespace tributary::connectors
