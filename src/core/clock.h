// Time in Tributary: milliseconds since the Unix epoch (UTC) as int64, and ISO-8601 text at the edges.
// Clock is a seam for tests; SystemClock is the real one. Both are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis now_ms() const override;
  static const SystemClock& instance();
};

Millis now_ms();  // SystemClock
std::int64_t monotonic_us();

// "2026-11-27T10:00:00.000Z"
std::string format_iso8601(Millis ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]" and a bare date "YYYY-MM-DD".
std::optional<Millis> parse_iso8601(std::string_view text);

}  // namespace tributary
