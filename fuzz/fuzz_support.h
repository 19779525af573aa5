// Small helpers shared by the libFuzzer targets in fuzz/ (built only with -DTRIBUTARY_FUZZ=ON, clang).
// A fuzz input is hostile bytes; these split it into the pieces a target feeds to the code under test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The text up to the first '\n' (removed from `in`, with the newline); all of `in` when there is none.
inline std::string_view take_line(std::string_view& in) {
  const auto nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

// Aborts the run (libFuzzer records the input as a crash) when an invariant of the code under test breaks.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      __builtin_printf("fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                               \
    }                                                                                 \
  } while (0)

}  // namespace tributary::fuzz
