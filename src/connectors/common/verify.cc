#include "connectors/common/verify.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/crypto.h"

namespace tributary::connectors::common {

Result<std::string_view> single_header(const http::Request& request, std::string_view name) {
  const std::size_t count = request.header_count(name);
  if (count == 0) return make_error(ErrorKind::kUnauthorized, "missing " + std::string(name) + " header");
  if (count > 1) {
    return make_error(ErrorKind::kUnauthorized,
                      "duplicated " + std::string(name) + " header (" + std::to_string(count) + " copies)");
  }
  return *request.header(name);
}

std::optional<std::string_view> strip_prefix(std::string_view value, std::string_view prefix,
                                             bool case_insensitive) {
  if (value.size() < prefix.size()) return std::nullopt;
  std::string_view head = value.substr(0, prefix.size());
  const bool match = case_insensitive ? http::iequals(head, prefix) : head == prefix;
  if (!match) return std::nullopt;
  return value.substr(prefix.size());
}

std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  return value;
}

Result<std::string> decode_hex_digest(std::string_view hex, std::size_t expected_bytes) {
  if (hex.empty()) return make_error(ErrorKind::kUnauthorized, "empty signature");
  if (hex.size() != expected_bytes * 2) {
    return make_error(ErrorKind::kUnauthorized, "signature is " + std::to_string(hex.size()) +
                                                    " hex characters, expected " +
                                                    std::to_string(expected_bytes * 2));
  }
  auto bytes = crypto::hex_decode(hex);
  if (!bytes) return make_error(ErrorKind::kUnauthorized, "signature is not hexadecimal");
  return std::move(*bytes);
}

Result<std::string> decode_base64_digest(std::string_view text, std::size_t expected_bytes) {
  if (text.empty()) return make_error(ErrorKind::kUnauthorized, "empty signature");
  auto bytes = crypto::base64_decode(text);
  if (!bytes) return make_error(ErrorKind::kUnauthorized, "signature is not valid base64");
  if (bytes->size() != expected_bytes) {
    return make_error(ErrorKind::kUnauthorized, "signature decodes to " + std::to_string(bytes->size()) +
                                                    " bytes, expected " + std::to_string(expected_bytes));
  }
  return std::move(*bytes);
}

std::vector<std::string_view> usable_secrets(const VerificationKeys& keys) {
  std::vector<std::string_view> out;
  out.reserve(keys.secrets.size());
  for (const auto& s : keys.secrets)
    if (!s.empty()) out.emplace_back(s);
  return out;
}

bool secure_equal(std::string_view a, std::string_view b) {
  return crypto::constant_time_equal(a, b);
}

bool secure_equal_hashed(std::string_view a, std::string_view b) {
  // Hashing first makes the comparison's time independent of both lengths; equal hashes of SHA-256 mean
  // equal inputs for every practical purpose, and the final check keeps that exact.
  const bool hashes_equal = crypto::constant_time_equal(crypto::sha256(a), crypto::sha256(b));
  return hashes_equal && a.size() == b.size();
}

std::string compute_hmac(DigestAlgorithm algorithm, std::string_view key, std::string_view message) {
  return algorithm == DigestAlgorithm::kSha512 ? crypto::hmac_sha512(key, message)
                                               : crypto::hmac_sha256(key, message);
}

std::size_t digest_size(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha512 ? 64 : 32;
}

namespace {

// Digits only, at most 16 of them (milliseconds until the year 318857): nullopt otherwise.
std::optional<std::int64_t> parse_unix(std::string_view text) {
  if (text.empty() || text.size() > 16 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
    return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Unix seconds must fit 12 digits (year 33658); more is a misread unit.
constexpr std::size_t kMaxSecondsDigits = 12;
constexpr std::size_t kMinMillisecondsDigits = 13;

std::optional<Millis> parse_send_time(std::string_view text, TimestampFormat format) {
  switch (format) {
    case TimestampFormat::kUnixSeconds: {
      if (text.size() > kMaxSecondsDigits) return std::nullopt;
      auto seconds = parse_unix(text);
      return seconds ? std::optional<Millis>(*seconds * 1000) : std::nullopt;
    }
    case TimestampFormat::kUnixMilliseconds:
      return parse_unix(text);
    case TimestampFormat::kUnixOrIso8601:
      if (auto number = parse_unix(text))
        return text.size() >= kMinMillisecondsDigits ? *number : *number * 1000;
      if (text.find('T') == std::string_view::npos) return std::nullopt;  // a bare date is not a send time
      return parse_iso8601(text);
  }
  return std::nullopt;
}

std::string_view format_name(TimestampFormat format) {
  switch (format) {
    case TimestampFormat::kUnixSeconds:
      return "a Unix time in seconds";
    case TimestampFormat::kUnixMilliseconds:
      return "a Unix time in milliseconds";
    case TimestampFormat::kUnixOrIso8601:
      return "a Unix time or ISO-8601 date-time";
  }
  return "a time";
}

// "72 hours", "5 minutes", "90 s".
std::string duration_text(Millis ms) {
  constexpr Millis kHour = 3600 * 1000;
  constexpr Millis kMinute = 60 * 1000;
  auto plural = [](Millis n, std::string_view unit) {
    return std::to_string(n) + " " + std::string(unit) + (n == 1 ? "" : "s");
  };
  if (ms >= kHour && ms % kHour == 0) return plural(ms / kHour, "hour");
  if (ms >= kMinute && ms % kMinute == 0) return plural(ms / kMinute, "minute");
  return std::to_string(ms / 1000) + " s";
}

}  // namespace

Result<Millis> check_timestamp(const Clock& clock, std::string_view what, std::string_view text,
                               TimestampFormat format, FreshnessWindow window) {
  const auto sent = parse_send_time(trim(text), format);
  if (!sent)
    return make_error(ErrorKind::kUnauthorized,
                      std::string(what) + " is not " + std::string(format_name(format)));
  const Millis age = clock.now_ms() - *sent;
  if (age > window.max_age_ms)
    return make_error(ErrorKind::kUnauthorized, std::string(what) + " is older than " +
                                                    duration_text(window.max_age_ms) + " (" +
                                                    std::to_string(age / 1000) + " s old)");
  if (-age > window.max_ahead_ms)
    return make_error(ErrorKind::kUnauthorized, std::string(what) + " is more than " +
                                                    duration_text(window.max_ahead_ms) + " in the future (" +
                                                    std::to_string(-age / 1000) + " s ahead)");
  return *sent;
}

Verification verified(std::string scheme, std::size_t secret_index) {
  Verification v;
  v.ok = true;
  v.scheme = std::move(scheme);
  if (secret_index > 0) v.scheme += " (matched a previous secret still valid during rotation)";
  return v;
}

Verification rejected(std::string reason) {
  Verification v;
  v.ok = false;
  v.reason = std::move(reason);
  return v;
}

Verification verify_hmac_header(const HmacHeaderScheme& scheme, const http::Request& request,
                                const VerificationKeys& keys) {
  if (usable_secrets(keys).empty()) return rejected("no secret is configured for this subscription yet");

  auto header = single_header(request, scheme.header);
  if (!header) return rejected(header.error().message);
  std::string_view value = trim(*header);

  if (!scheme.prefix.empty()) {
    auto rest = strip_prefix(value, scheme.prefix, scheme.prefix_case_insensitive);
    if (!rest) return rejected(scheme.header + " header does not start with \"" + scheme.prefix + "\"");
    value = *rest;
  }

  const std::size_t size = digest_size(scheme.algorithm);
  auto provided = scheme.encoding == DigestEncoding::kHex ? decode_hex_digest(value, size)
                                                          : decode_base64_digest(value, size);
  if (!provided) return rejected(scheme.header + ": " + provided.error().message);

  auto matched = match_secret(keys, *provided, [&](std::string_view secret) {
    return compute_hmac(scheme.algorithm, secret, request.body);
  });
  if (!matched)
    return rejected(scheme.header + " does not match the body signed with the subscription's secret");
  return verified(scheme.description, *matched);
}

}  // namespace tributary::connectors::common
