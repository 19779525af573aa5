// Signing of downstream webhooks (shared/DESIGN.md §2). Every request carries both:
//   X-Kombo-Signature: base64url (no padding) of HMAC-SHA256(key = the secret string "whsec_…" as shown,
//                      message = raw body) — what receivers written for Kombo verify.
//   Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256(key =
//                      base64-decoded part after "whsec_", message = id.timestamp.body)>", space-separated
//                      when several secrets sign during a rotation.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"

namespace tributary::delivery {

// "whsec_" + base64 of 32 random bytes.
std::string new_endpoint_secret();

std::string kombo_signature(std::string_view secret, std::string_view body);
// One "v1,<sig>" per secret, space-separated, in the order given. Secrets that are not well-formed whsec_
// values are skipped.
std::string standard_webhooks_signature(const std::vector<std::string>& secrets, std::string_view id,
                                        std::int64_t timestamp_s, std::string_view body);

// All headers of one delivery attempt: Content-Type, webhook-id, webhook-timestamp, webhook-signature,
// X-Kombo-Signature (signed with the first secret: the current one), User-Agent.
HeaderList signed_headers(const std::vector<std::string>& secrets, std::string_view event_id,
                          std::int64_t timestamp_s, std::string_view body);

}  // namespace tributary::delivery
