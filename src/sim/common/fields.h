// Reading the partial unified records sent to the control API: unknown keys and wrong types are rejected with
// a reason (400), so a test that misspells a field fails loudly instead of silently creating an empty record.
// Thread-safety: stateless functions.
#pragma once

#include <boost/json.hpp>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tributary::sim {

Status check_keys(const boost::json::object& fields, std::string_view model,
                  std::initializer_list<std::string_view> allowed);

// Absent → nullopt; a string → its value; null → "" (cleared); anything else → 400.
Result<std::optional<std::string>> opt_string(const boost::json::object& fields, std::string_view key);
// Absent or null → nullopt; a bool → its value; anything else → 400.
Result<std::optional<bool>> opt_bool(const boost::json::object& fields, std::string_view key);
// A string or an integer id (as text). Absent or null → nullopt.
Result<std::optional<std::string>> opt_id(const boost::json::object& fields, std::string_view key);
// Upper-cases and checks against the allowed values. Absent or null → nullopt.
Result<std::optional<std::string>> opt_enum(const boost::json::object& fields, std::string_view key,
                                            std::initializer_list<std::string_view> values);
// "YYYY-MM-DD" or an ISO-8601 date-time (its date part is kept). Absent or null → nullopt.
Result<std::optional<std::string>> opt_date(const boost::json::object& fields, std::string_view key);

// The whole of `text` as a decimal number (query parameters, cursors); nullopt when it is anything else.
template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T n{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

// Webhook target URLs: an http:// or https:// scheme (the simulators accept http where the vendor requires
// https, so tests can receive on loopback).
bool has_http_scheme(std::string_view url);
// That scheme, at most 2048 bytes and no white space.
bool is_plain_http_url(std::string_view url);
// Building vendor records: an empty (or absent) string is stored as null.
boost::json::value str_or_null(const std::string& s);
boost::json::value str_or_null(const std::optional<std::string>& s);
// The strings as a JSON array, in order.
boost::json::array string_array(const std::vector<std::string>& strings);

}  // namespace tributary::sim
