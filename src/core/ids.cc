#include "core/ids.h"

#include "core/clock.h"
#include "core/crypto.h"

namespace tributary {

namespace {

// Milliseconds since the epoch in 8 base-62 digits (enough until the year 8900), most significant first, so
// that ids sort by creation time as text.
std::string time_prefix(Millis ms) {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(8, '0');
  auto v = static_cast<std::uint64_t>(ms < 0 ? 0 : ms);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[v % 62];
    v /= 62;
  }
  return out;
}

}  // namespace

std::string new_id(std::string_view prefix) {
  // Time first, then 16 random characters (≈95 bits): unguessable, and new rows append to the id indexes
  // instead of landing on a random page each (which costs a page write per index per insert).
  std::string out(prefix);
  out += '_';
  out += time_prefix(now_ms());
  out += crypto::random_token(16);
  return out;
}

std::string new_integration_id(std::string_view tool) {
  std::string out(tool);
  out += ':';
  out += crypto::random_token(22);
  return out;
}

}  // namespace tributary
