// Shared helpers for connectors that call a tool's API: URL building, form encoding, client-credentials token
// fetches, and turning a vendor's error response into a short, secret-free message.
// Thread-safety: stateless free functions; the HTTP client they are given must be usable from this thread
// (ApiContext::send blocks: it is never called from the client's own thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "core/result.h"
#include "http/client.h"

namespace tributary::connectors::common {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded: unreserved characters kept, space as '+', everything else %XX.
std::string form_encode(const FormFields& fields);
// One path segment: unreserved characters kept, everything else (including '/') %XX.
std::string encode_path_segment(std::string_view segment);
// base + path with exactly one '/' between them.
std::string join_url(std::string_view base, std::string_view path);

// A credential string from the integration's credentials; kInvalidArgument naming the key when it is missing,
// empty or not a string.
Result<std::string> credential(const ApiContext& ctx, std::string_view key);

// At most `max_chars` of a vendor response body for an error message: control characters become spaces and
// every occurrence of each string in `secrets` is replaced by "[redacted]" (vendors sometimes echo what they
// were sent). When the body is a JSON error document, its message fields are preferred over raw text.
std::string error_excerpt(std::string_view body, const std::vector<std::string_view>& secrets,
                          std::size_t max_chars = 200);

// The description of a response that did not arrive or was not what we expected, e.g.
// "Personio answered 500: internal error" / "could not reach Personio: Connection refused".
std::string describe_failure(std::string_view vendor, const http::ClientResponse& response,
                             const std::vector<std::string_view>& secrets);

// The URL of the `rel="next"` link of an RFC 8288 Link header (`<url>; rel="next", <url>; rel="prev"`), or
// "" when there is none. Relation names are compared case-insensitively; `rel` may list several names.
std::string link_next(std::string_view link_header);
// "scheme://host[:port]" of an absolute http(s) URL (lower-cased scheme and host), or "" when it is not one.
std::string url_origin(std::string_view url);
// Whether `url` is on the same origin as `base`: pagination links a tool sends back are followed only then,
// so a forged link cannot carry our bearer token to another host.
bool same_origin(std::string_view url, std::string_view base);

// A request to a tool's API carrying the credential header `auth` (name, value), then `Accept: <accept>`,
// with the context's timeout.
http::ClientRequest authorized_request(const ApiContext& ctx, std::string method, std::string url,
                                       std::pair<std::string, std::string> auth,
                                       std::string accept = "application/json");

// kUnauthorized "<vendor> rejected the <credential> (<what the vendor answered, secrets removed>)", e.g.
// "Lever rejected the API key (Lever answered 401: Invalid API key)".
Error rejected_credential(std::string_view vendor, std::string_view credential,
                          const http::ClientResponse& response, const std::vector<std::string_view>& secrets);

struct TokenRequest {
  std::string url;
  FormFields form;
  HeaderList extra_headers;  // e.g. HTTP Basic for vendors that authenticate the client that way
};

// POSTs a client-credentials form and returns `access_token` from the JSON answer; a 429 is retried (bounded,
// honouring Retry-After) like record reads. Errors: 401 →
// kUnauthorized, 403 → kForbidden, anything else (including no response and a 2xx without a token) →
// kUpstream. Messages never contain the credentials or the token.
Result<std::string> fetch_access_token(const ApiContext& ctx, std::string_view vendor,
                                       const TokenRequest& request,
                                       const std::vector<std::string_view>& secrets);

// As fetch_access_token, with the token's lifetime when the answer states it (`expires_in`, seconds).
struct AccessToken {
  std::string token;
  std::optional<std::int64_t> expires_in;
};
Result<AccessToken> fetch_access_token_with_lifetime(const ApiContext& ctx, std::string_view vendor,
                                                     const TokenRequest& request,
                                                     const std::vector<std::string_view>& secrets);

}  // namespace tributary::connectors::common
