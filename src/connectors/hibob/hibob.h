// HiBob (Bob, HRIS; webhooks v2). Webhooks are created by the end customer in Bob (System settings ›
// Integrations › Webhooks); Bob generates the signing secret, which is then stored on the subscription. On
// creation Bob POSTs "Ping test" (or {"text":"Ping test"}) before any secret is known: handshake() answers
// it. Deliveries carry Bob-Signature = base64 HMAC-SHA512(secret, raw body); the payload {companyId, type,
// triggeredBy, triggeredAt, version, data} names the employee (data.employeeId) or the time-off request
// (data.timeoffRequestId + data.employeeId). Records are read from https://api.hibob.com/v1/… with HTTP Basic
// (service user id and token). Thread-safety: the connector is stateless; every method may be called from any
// thread.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_hibob(Registry& registry);

}  // namespace tributary::connectors
