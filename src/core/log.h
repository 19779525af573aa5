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

}  // namespace tributary
