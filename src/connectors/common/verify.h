// Shared building blocks for verifying inbound webhooks: single-header extraction (missing and duplicated
// headers are both rejected, so an attacker cannot smuggle a second signature past a proxy that keeps only
// one), prefix parsing, digest decoding with exact length checks, and secret matching across a rotation
// window, and the freshness check of a signed send time. Every comparison of a signature or token goes
// through crypto::constant_time_equal. Thread-safety: stateless free functions (the clock given must be
// thread-safe).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/message.h"

namespace tributary::connectors::common {

// The value of a header that must appear exactly once. The error message names the header and says whether it
// was missing or duplicated; it never contains the header's value.
Result<std::string_view> single_header(const http::Request& request, std::string_view name);

// `value` without `prefix` when it starts with it (ASCII case-insensitive when asked); nullopt otherwise.
std::optional<std::string_view> strip_prefix(std::string_view value, std::string_view prefix,
                                             bool case_insensitive = false);

// Leading and trailing spaces and tabs removed.
std::string_view trim(std::string_view value);

// Decodes a hex digest of exactly `expected_bytes` bytes (upper or lower case). The error says what was wrong
// (empty, wrong length, not hex) without echoing the input.
Result<std::string> decode_hex_digest(std::string_view hex, std::size_t expected_bytes);
// The same for standard base64 with padding.
Result<std::string> decode_base64_digest(std::string_view text, std::size_t expected_bytes);

// Secrets usable for verification: the non-empty ones, in order (an empty secret would make every signature
// forgeable, so it is never used).
std::vector<std::string_view> usable_secrets(const VerificationKeys& keys);

// Constant-time equality (crypto::constant_time_equal).
bool secure_equal(std::string_view a, std::string_view b);
// Constant-time equality that also hides the lengths: both sides are hashed first. For static tokens, whose
// length an attacker must not learn by timing.
bool secure_equal_hashed(std::string_view a, std::string_view b);

// Index (into usable_secrets) of the first secret whose expected digest equals `provided` in constant time;
// every secret is tried so the time does not depend on which one matched.
template <typename ComputeDigest>
std::optional<std::size_t> match_secret(const VerificationKeys& keys, std::string_view provided,
                                        ComputeDigest compute) {
  std::optional<std::size_t> matched;
  std::size_t i = 0;
  for (std::string_view secret : usable_secrets(keys)) {
    const std::string expected = compute(secret);
    if (secure_equal(expected, provided) && !matched) matched = i;
    ++i;
  }
  return matched;
}

enum class DigestAlgorithm { kSha256, kSha512 };
enum class DigestEncoding { kHex, kBase64 };

// "HMAC over the raw body, in one header, with an optional prefix": the scheme of greenhouse, ashby, hibob,
// recruitee and workable.
struct HmacHeaderScheme {
  std::string header;  // "Signature"
  std::string prefix;  // "sha256 " ("" = none)
  bool prefix_case_insensitive = true;
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  DigestEncoding encoding = DigestEncoding::kHex;
  std::string description;  // reported in Verification::scheme on success
};

Verification verify_hmac_header(const HmacHeaderScheme& scheme, const http::Request& request,
                                const VerificationKeys& keys);

std::string compute_hmac(DigestAlgorithm algorithm, std::string_view key, std::string_view message);
std::size_t digest_size(DigestAlgorithm algorithm);

// How a vendor writes the send time it signs.
enum class TimestampFormat {
  kUnixSeconds,       // "1574080897"
  kUnixMilliseconds,  // "1480114256364"
  // Unix seconds (milliseconds from 13 digits on) or an ISO-8601 date-time with an offset ("+00:00" or
  // "+0000"); a bare date is not a send time.
  kUnixOrIso8601,
};

// How far a signed send time may lie from our clock: older than max_age_ms it is a replay (or a retry past
// the vendor's schedule), further ahead than max_ahead_ms it comes from a clock too wrong to trust. Both
// limits are accepted.
struct FreshnessWindow {
  Millis max_age_ms = 0;
  Millis max_ahead_ms = 0;
};

// The send time in `text` (as the vendor sent it; spaces and tabs around it ignored) when it is readable in
// `format` and lies within `window` of clock.now_ms(). Otherwise kUnauthorized, with `what` (the header or
// field) named: "<what> is not a Unix time in seconds", "<what> is older than 5 minutes (301 s old)",
// "<what> is more than 5 minutes in the future (301 s ahead)".
Result<Millis> check_timestamp(const Clock& clock, std::string_view what, std::string_view text,
                               TimestampFormat format, FreshnessWindow window);

// Builds Verification values.
Verification verified(std::string scheme, std::size_t secret_index);
Verification rejected(std::string reason);

}  // namespace tributary::connectors::common
