// application/x-www-form-urlencoded bodies (OAuth token requests) and HTTP Basic credentials, as a tool's
// token endpoint reads them. Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::http {
struct Request;
}

namespace tributary::sim {

using FormFields = std::vector<std::pair<std::string, std::string>>;

FormFields parse_form(std::string_view body);
std::optional<std::string> form_value(const FormFields& form, std::string_view name);

// "Basic <base64(user:password)>" → {user, password}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header);
// Whether the request's Authorization header carries Basic credentials with a user (the API key) and, when
// `password_required`, a password too. Any key is accepted, as the simulators check no real accounts.
bool has_basic_credentials(const http::Request& request, bool password_required);
// "Bearer <token>" → token; nullopt when malformed. The scheme is case-insensitive.
std::optional<std::string> parse_bearer(std::string_view header);
// The request's non-empty Bearer token, if its Authorization header carries one.
std::optional<std::string> bearer_token(const http::Request& request);

}  // namespace tributary::sim
