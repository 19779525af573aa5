// Ashby's RPC API for the connector: one POST per method, the answer's `success` flag interpreted (Ashby
// answers most client errors with HTTP 200 and `success: false`), and the mapping of Ashby's candidates,
// applications and jobs to the unified models. Thread-safety: stateless free functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/result.h"

namespace tributary::connectors::ashby {

inline constexpr std::string_view kVendor = "Ashby";

// POSTs `body` to <base>/<method> with the integration's API key. Answers: the `results` value of a
// successful call; nullopt when the record does not exist (HTTP 404, or `success: false` with a *_not_found
// code). Errors: kUnauthorized (401 or an authentication error code, with Ashby's text), kForbidden (403 or a
// permission error code; the message is Ashby's, the caller replaces it with the permission to grant),
// kRateLimited (429 after bounded retries), kUpstream (anything else). Messages never contain the key or any
// string in `extra_secrets`.
Result<std::optional<boost::json::value>> call(const ApiContext& ctx, std::string_view method,
                                               const boost::json::object& body,
                                               const std::vector<std::string_view>& extra_secrets = {});

// A full `call` answer for list methods: results plus Ashby's pagination fields.
struct ListPage {
  boost::json::array results;
  bool more = false;
  std::string next_cursor;
};
Result<ListPage> call_list(const ApiContext& ctx, std::string_view method, const boost::json::object& body);

// Ashby → unified records. `applications` and `postings` are the raw Ashby objects read separately.
boost::json::object map_candidate(const ApiContext& ctx, const boost::json::object& candidate,
                                  const std::string& remote_id,
                                  const std::vector<boost::json::object>& applications);
boost::json::object map_job(const ApiContext& ctx, const boost::json::object& job,
                            const std::string& remote_id, const std::vector<boost::json::object>& postings);

// "Adam Hart" → {"Adam", "Hart"}; one word → {word, null}; Ashby stores one name field.
std::pair<boost::json::value, boost::json::value> split_name(const boost::json::value* name);

}  // namespace tributary::connectors::ashby
