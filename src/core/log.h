// Logging through spdlog. Call sites use spdlog directly (spdlog::info(...)); this header only configures it
// and offers the redaction used wherever request headers are logged or stored.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary {

void init_logging(const std::string& level);

// True for headers that carry credentials or signatures: Authorization, cookies, anything with
// "signature", "token", "secret", "api-key" or "hook-secret" in its name.
bool is_sensitive_header(std::string_view name);
using HeaderList = std::vector<std::pair<std::string, std::string>>;
HeaderList redact_headers(const HeaderList& headers);

// Text from the network as it may be logged: control characters, DEL and backslashes escaped (\xNN, \\), so
// that a request can never start a forged log line; longer than `max_bytes`, cut and marked with "…".
std::string log_safe(std::string_view text, std::size_t max_bytes = 256);

}  // namespace tributary
