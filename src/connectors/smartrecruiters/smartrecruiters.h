// SmartRecruiters (ATS, Webhooks Subscription API v201907). A subscription is created with
// POST /webhooks-api/v201907/subscriptions, given a signing key with POST …/{id}/secret-key and activated
// with PUT …/{id}/activation; during activation SmartRecruiters POSTs an `X-Hook-Secret` header to our
// ingress URL, which handshake() echoes before any verification. Deliveries carry `smartrecruiters-signature:
// v1=<hex>[;v1=<hex>…]` = HMAC-SHA256(key, timestamp.body.event-id.event-name.event-version.link), one value
// per live key, and must be answered 202. The API is called with the `X-SmartToken` header.
// Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include <memory>

#include "connectors/registry.h"
#include "core/clock.h"

namespace tributary::connectors {

void register_smartrecruiters(Registry& registry);

// The connector reading the time from `clock` (the freshness check of smartrecruiters-timestamp); for tests.
// The clock must outlive the connector.
std::unique_ptr<Connector> make_smartrecruiters_connector(const Clock& clock);

}  // namespace tributary::connectors
