#include "sim/common/form.h"

#include "core/crypto.h"
#include "http/message.h"

namespace tributary::sim {

FormFields parse_form(std::string_view body) {
  FormFields out;
  std::size_t count = 0;
  while (!body.empty() && count++ < 100) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = http::percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string{} : http::percent_decode(pair.substr(eq + 1), true);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::optional<std::string> form_value(const FormFields& form, std::string_view name) {
  for (const auto& [k, v] : form)
    if (k == name) return v;
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header) {
  if (header.size() < 6 || !http::iequals(header.substr(0, 6), "Basic ")) return std::nullopt;
  std::string_view encoded = header.substr(6);
  while (!encoded.empty() && encoded.front() == ' ')
    encoded.remove_prefix(1);
  auto decoded = crypto::base64_decode(encoded);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool has_basic_credentials(const http::Request& request, bool password_required) {
  auto header = request.header("Authorization");
  auto basic = header ? parse_basic_auth(*header) : std::nullopt;
  return basic && !basic->first.empty() && (!password_required || !basic->second.empty());
}

std::optional<std::string> parse_bearer(std::string_view header) {
  if (header.size() < 7 || !http::iequals(header.substr(0, 7), "Bearer ")) return std::nullopt;
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> bearer_token(const http::Request& request) {
  auto header = request.header("Authorization");
  auto token = header ? parse_bearer(*header) : std::nullopt;
  if (!token || token->empty()) return std::nullopt;
  return token;
}

}  // namespace tributary::sim
