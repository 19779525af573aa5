// Shared helpers for the record side of connectors: stable unified ids, reading one record from a tool's API
// with bounded retries on 429, and the small conversions every mapping to a unified model needs.
// Thread-safety: stateless free functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/result.h"
#include "http/client.h"

namespace tributary::connectors::common {

// The stable unified id of a record: base62 of the first 128 bits of SHA-256(integration id, model,
// remote id), 22 characters. The same remote record of one integration always gets the same id. `model` may
// also name a nested kind (e.g. "hris_absence_types").
std::string unified_id(std::string_view integration_id, std::string_view model, std::string_view remote_id);

// A GET that is retried on 429 at most `max_attempts` times in all; the last response is returned as it is.
// With an API budget (ApiContext::budget) the retry waits in the budget, which the 429 paused until the
// tool's Retry-After: never sooner than the tool asked, bounded by the call's budget wait, and a refusal of
// the budget itself is not retried. Without one, each wait honours Retry-After capped at `max_wait`.
http::ClientResponse get_with_retry(const ApiContext& ctx, http::ClientRequest request, int max_attempts = 3,
                                    std::chrono::milliseconds max_wait = std::chrono::milliseconds(2000));

// The outcome of reading one record: 404 → nullopt (gone), 401 → kUnauthorized, 403 → kForbidden, 429 after
// the retries → kRateLimited, anything else not 2xx or not JSON → kUpstream. Messages never contain secrets.
Result<std::optional<boost::json::value>> json_or_gone(std::string_view vendor,
                                                       const http::ClientResponse& response,
                                                       const std::vector<std::string_view>& secrets);

// GETs `request` with get_with_retry and reads the answer as json_or_gone does, except that a 401 is
// rejected_credential(vendor, credential, ...) with the vendor's own text.
Result<std::optional<boost::json::value>> get_record_json(const ApiContext& ctx, std::string_view vendor,
                                                          http::ClientRequest request,
                                                          std::string_view credential,
                                                          const std::vector<std::string_view>& secrets);

// The first non-empty id (string or number, as json::get_id reads it) at one of `paths` ("data.id") in `doc`.
std::optional<std::string> first_id(const boost::json::value& doc,
                                    std::initializer_list<std::string_view> paths);

// `s` with ASCII letters lower-cased / upper-cased (vendor enum values are compared case-insensitively).
std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);

// An ISO-8601 date-time with an offset ("2026-11-27T10:00:00.000Z") from whatever the tool sent (a date-time
// with or without offset, or a bare date); null when absent or unparseable.
boost::json::value iso_or_null(const boost::json::value* v);
// A string, or a number rendered as a string; null otherwise.
boost::json::value string_or_null(const boost::json::value* v);
// The number, or null.
boost::json::value number_or_null(const boost::json::value* v);

}  // namespace tributary::connectors::common
