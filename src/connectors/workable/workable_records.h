// Workable's SPI v3 for the connector: authorised GETs (bearer account token, bounded 429 retries), the
// URL layout under https://{subdomain}.workable.com, and the mapping of candidates, jobs, employees and
// time-off requests to the unified models. Thread-safety: stateless free functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "core/result.h"
#include "http/client.h"

namespace tributary::connectors::workable {

inline constexpr std::string_view kVendor = "Workable";
inline constexpr std::string_view kApiRoot = "/spi/v3";

// A request to <base>/spi/v3<path_and_query> with the integration's bearer token; kInvalidArgument when the
// api_key is missing.
Result<http::ClientRequest> request(const ApiContext& ctx, std::string method,
                                    std::string_view path_and_query);

// GET <base>/spi/v3<path_and_query> (429 retried): the JSON answer, nullopt on 404; kUnauthorized on 401
// (with Workable's text, never the token), kForbidden on 403, kRateLimited, kUpstream otherwise.
Result<std::optional<boost::json::value>> get(const ApiContext& ctx, std::string_view path_and_query);

// Workable → unified records.
boost::json::object map_candidate(const ApiContext& ctx, const boost::json::object& c,
                                  const std::string& remote_id);
boost::json::object map_job(const ApiContext& ctx, const boost::json::object& j,
                            const std::string& remote_id);
boost::json::object map_employee(const ApiContext& ctx, const boost::json::object& e,
                                 const std::string& remote_id);
boost::json::object map_absence(const ApiContext& ctx, const boost::json::object& r,
                                const std::string& remote_id);

// The employee a time-off request belongs to: `employee_id`, or `employee.id`.
std::optional<std::string> absence_employee_id(const boost::json::object& r);

}  // namespace tributary::connectors::workable
