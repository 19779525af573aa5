// Conversions between optional fields and store Values, and JSON string arrays, shared by the repositories.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/states.h"

namespace tributary::store {

inline Value opt_text(const std::optional<std::string>& v) {
  return v ? Value{*v} : Value{nullptr};
}
inline Value opt_blob(const std::optional<std::string>& v) {
  return v ? Value{Blob{*v}} : Value{nullptr};
}
inline Value opt_int(const std::optional<std::int64_t>& v) {
  return v ? Value{*v} : Value{nullptr};
}
inline std::optional<std::string> col_opt_text(const Row& r, std::size_t i) {
  return r.is_null(i) ? std::nullopt : std::optional<std::string>(r.text(i));
}
inline std::optional<std::int64_t> col_opt_int(const Row& r, std::size_t i) {
  return r.is_null(i) ? std::nullopt : std::optional<std::int64_t>(r.int64(i));
}

// A state column: its name as stored, and read back. A name this build does not know (a newer version wrote
// it) reads as `unknown`, a state the caller chooses so that the row is left alone.
template <StoredState E>
Value state_value(E state) {
  return Value{std::string(to_string(state))};
}
template <StoredState E>
E col_state(const Row& r, std::size_t i, E unknown) {
  return parse_state<E>(r.text(i)).value_or(unknown);
}

// Text that comes from the network and must be stored whatever it holds (request paths and headers, vendor
// ids, response excerpts cut at a byte limit, error messages quoting a vendor). PostgreSQL text holds only
// valid UTF-8 without NUL bytes and refuses anything else, which would fail the whole write; so on
// PostgreSQL each invalid sequence and each NUL becomes U+FFFD. SQLite keeps the bytes as they are.
std::string storable_text(const Connection& c, std::string s);
inline Value storable_opt_text(const Connection& c, const std::optional<std::string>& v) {
  return v ? Value{storable_text(c, *v)} : Value{nullptr};
}
// Valid UTF-8 without NUL: each byte that does not start a well-formed sequence (overlong forms, surrogates,
// beyond U+10FFFF, truncated) and each NUL replaced by U+FFFD.
std::string valid_utf8_without_nul(std::string_view s);

std::string json_string_array(const std::vector<std::string>& items);
std::vector<std::string> parse_string_array(const std::string& json);

// Turns an execute() result into a Status.
inline Status done(const Result<std::int64_t>& r) {
  return r ? Status{} : Status{r.error()};
}

template <typename T, typename Fn>
Result<std::optional<T>> first_row(Result<std::vector<Row>> rows, Fn convert) {
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<T>{};
  return std::optional<T>(convert(rows->front()));
}

template <typename T, typename Fn>
Result<std::vector<T>> all_rows(Result<std::vector<Row>> rows, Fn convert) {
  if (!rows) return rows.error();
  std::vector<T> out;
  out.reserve(rows->size());
  for (const auto& r : *rows)
    out.push_back(convert(r));
  return out;
}

}  // namespace tributary::store
