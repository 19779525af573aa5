// BambooHR (HRIS). Subscriptions are "permissioned webhooks" created through the webhooks API on the
// company's host (https://{company_domain}.bamboohr.com/api/v1/webhooks, as BambooHR's OpenAPI document gives
// it); BambooHR generates the webhook's privateKey and returns it once, in the create answer. Deliveries are
// signed with X-BambooHR-Signature = hex HMAC-SHA256(privateKey, raw body + X-BambooHR-Timestamp); the
// timestamp must be fresh. Event-based payloads ({type, timestamp, data:{companyId, employeeId,
// changedFields}}) and the older field-based ones ({employees:[{action, id, …}]}) are both understood.
// Records are read from https://{company_domain}.bamboohr.com/api/v1/… with HTTP Basic (the API key as user,
// "x" as password): employees are enumerated through /api/v1/employees/changed?since=… and each is read like
// a targeted fetch. Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include <memory>

#include "connectors/registry.h"
#include "core/clock.h"

namespace tributary::connectors {

void register_bamboohr(Registry& registry);

// The connector reading the time from `clock` (the freshness check of X-BambooHR-Timestamp); for tests. The
// clock must outlive the connector.
std::unique_ptr<Connector> make_bamboohr_connector(const Clock& clock);

}  // namespace tributary::connectors
