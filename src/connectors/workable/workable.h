// Workable (ATS, with employees and time off). Subscriptions through the SPI: POST
// https://{subdomain}.workable.com/spi/v3/subscriptions {target, event} — one event per subscription — and
// DELETE /spi/v3/subscriptions/{id}, with the account token as a bearer token. Workable signs every delivery
// with that same account token (its docs: "the key for the signature will be either the account token or the
// oauth application secret"), so the subscription's verification secret is the integration's api_key:
// `X-Workable-Signature` = HMAC-SHA256(token, raw body), hex [3rd] (base64 accepted too).
//
// Deliveries are `{id, event_type, resource_type, fired_at, data}` where `id` is the resource's id; Workable
// sends no delivery id, so event, resource and fired_at together identify a delivery.
//
// Thread-safety: the connector is stateless; every method may be called from any thread.
#pragma once

#include "connectors/registry.h"

namespace tributary::connectors {

void register_workable(Registry& registry);

}  // namespace tributary::connectors
