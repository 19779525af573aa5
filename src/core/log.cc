#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace tributary {

void init_logging(const std::string& level) {
  // Logs go to stderr: stdout is for what a command prints (a created API key, a simulator's URL).
  spdlog::set_default_logger(spdlog::stderr_color_mt("tributary"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%t] %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

bool is_sensitive_header(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::string_view kExact[] = {"authorization", "proxy-authorization", "cookie",
                                                "set-cookie", "x-api-key"};
  for (auto e : kExact)
    if (lower == e) return true;
  static constexpr std::string_view kParts[] = {"signature", "token",  "secret",
                                                "api-key",   "apikey", "password"};
  for (auto p : kParts)
    if (lower.find(p) != std::string::npos) return true;
  return false;
}

HeaderList redact_headers(const HeaderList& headers) {
  HeaderList out;
  out.reserve(headers.size());
  for (const auto& [k, v] : headers)
    out.emplace_back(k, is_sensitive_header(k) ? "[redacted]" : v);
  return out;
}

std::string log_safe(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut) out += "…";
  return out;
}

}  // namespace tributary
