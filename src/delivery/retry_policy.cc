#include "delivery/retry_policy.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace tributary::delivery {

namespace {

constexpr Millis kMaxDelayMs = 24LL * 60 * 60 * 1000;
// Delta-seconds beyond this (~31,700 years) are saturated rather than overflowing; the caller caps far lower
// anyway.
constexpr std::int64_t kMaxDeltaSeconds = 1'000'000'000'000LL;

constexpr std::array<std::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDayNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                           "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Exactly n decimal digits at s[pos, pos+n).
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

int month_number(std::string_view s) {
  auto it = std::find(kMonthNames.begin(), kMonthNames.end(), s);
  return it == kMonthNames.end() ? 0 : static_cast<int>(it - kMonthNames.begin()) + 1;
}

// "HH:MM:SS" at s[pos, pos+8).
bool read_time(std::string_view s, std::size_t pos, int& h, int& m, int& sec) {
  if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
  if (!read_digits(s, pos, 2, h) || !read_digits(s, pos + 3, 2, m) || !read_digits(s, pos + 6, 2, sec))
    return false;
  return h <= 23 && m <= 59 && sec <= 60;  // 60: leap second
}

std::optional<Millis> to_epoch_ms(int year, int month, int day, int h, int m, int sec) {
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = sys_days{ymd}.time_since_epoch().count();
  return ((static_cast<Millis>(days) * 24 + h) * 60 + m) * 60000 + static_cast<Millis>(sec) * 1000;
}

// IMF-fixdate, the preferred form: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<Millis> parse_imf_fixdate(std::string_view s) {
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s.substr(25) != " GMT")
    return std::nullopt;
  if (!one_of(s.substr(0, 3), kDayNames)) return std::nullopt;
  int day, year, h, m, sec;
  const int month = month_number(s.substr(8, 3));
  if (!read_digits(s, 5, 2, day) || month == 0 || !read_digits(s, 12, 4, year) ||
      !read_time(s, 17, h, m, sec))
    return std::nullopt;
  return to_epoch_ms(year, month, day, h, m, sec);
}

// Obsolete RFC 850 form, which recipients must still accept: "Sunday, 06-Nov-94 08:49:37 GMT".
std::optional<Millis> parse_rfc850(std::string_view s, Millis now) {
  const auto comma = s.find(", ");
  if (comma == std::string_view::npos || !one_of(s.substr(0, comma), kLongDayNames)) return std::nullopt;
  const auto rest = s.substr(comma + 2);  // "06-Nov-94 08:49:37 GMT"
  if (rest.size() != 22 || rest[2] != '-' || rest[6] != '-' || rest[9] != ' ' || rest.substr(18) != " GMT")
    return std::nullopt;
  int day, yy, h, m, sec;
  const int month = month_number(rest.substr(3, 3));
  if (!read_digits(rest, 0, 2, day) || month == 0 || !read_digits(rest, 7, 2, yy) ||
      !read_time(rest, 10, h, m, sec))
    return std::nullopt;
  // RFC 9110 §5.6.7: a two-digit year that would lie more than 50 years in the future is in the past century.
  const auto now_days = std::chrono::sys_days{std::chrono::days{now / 86400000}};
  const int this_year = static_cast<int>(std::chrono::year_month_day{now_days}.year());
  int year = this_year - this_year % 100 + yy;
  if (year > this_year + 50) year -= 100;
  return to_epoch_ms(year, month, day, h, m, sec);
}

// Obsolete asctime form: "Sun Nov  6 08:49:37 1994".
std::optional<Millis> parse_asctime(std::string_view s) {
  if (s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ') return std::nullopt;
  if (!one_of(s.substr(0, 3), kDayNames)) return std::nullopt;
  const int month = month_number(s.substr(4, 3));
  int day, year, h, m, sec;
  if (s[8] == ' ') {
    if (!read_digits(s, 9, 1, day)) return std::nullopt;
  } else if (!read_digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  if (month == 0 || !read_time(s, 11, h, m, sec) || !read_digits(s, 20, 4, year)) return std::nullopt;
  return to_epoch_ms(year, month, day, h, m, sec);
}

}  // namespace

AttemptVerdict classify(int http_status) {
  if (http_status >= 200 && http_status <= 299) return AttemptVerdict::kSucceeded;
  // 410 is the one answer that means "stop sending"; every other failure (including redirects, which are not
  // followed, and 4xx that may be a transient misconfiguration on the receiver) is worth another try.
  if (http_status == 410) return AttemptVerdict::kDisableEndpoint;
  return AttemptVerdict::kRetry;
}

std::optional<Millis> parse_retry_after(std::string_view value, Millis now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (all_digits(value)) {
    std::int64_t secs = 0;
    for (char c : value) {
      secs = secs * 10 + (c - '0');
      if (secs > kMaxDeltaSeconds) {
        secs = kMaxDeltaSeconds;
        break;
      }
    }
    return secs * 1000;
  }
  std::optional<Millis> at = parse_imf_fixdate(value);
  if (!at) at = parse_rfc850(value, now);
  if (!at) at = parse_asctime(value);
  if (!at || *at < now) return std::nullopt;
  return *at - now;
}

std::optional<Millis> RetryPolicy::delay(int retry, double unit_random,
                                         std::optional<Millis> retry_after) const {
  if (retry < 1 || retry > config_.max_retries) return std::nullopt;
  // Out-of-range or NaN randomness must not push the delay outside the ±jitter band.
  double u = unit_random;
  if (!(u >= 0.0)) u = 0.0;
  if (u > 1.0) u = 1.0;
  const double jitter = std::clamp(config_.jitter, 0.0, 1.0);
  const double spread = 1.0 + jitter * (2.0 * u - 1.0);
  const double base = static_cast<double>(std::max<std::int64_t>(config_.base_ms, 0));
  double computed = base * std::pow(std::max(config_.factor, 0.0), retry - 1) * spread;
  if (!(computed >= 0.0)) computed = 0.0;  // 0 × inf
  // Also guards the conversion below against inf from an extreme configuration.
  Millis delay = computed >= static_cast<double>(kMaxDelayMs) ? kMaxDelayMs : std::llround(computed);
  if (retry_after && *retry_after > delay) delay = std::min(*retry_after, kMaxDelayMs);
  return delay;
}

}  // namespace tributary::delivery
