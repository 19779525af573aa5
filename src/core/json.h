// Small helpers over Boost.JSON for reading untrusted documents without exceptions.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tributary::json {

namespace bj = boost::json;

// Parses with a depth limit; never throws.
Result<bj::value> parse(std::string_view text);

// Path lookups: "payload.application.id". Numbers are rendered as text for ids.
const bj::value* find(const bj::value& root, std::string_view dotted_path);
std::optional<std::string> get_string(const bj::value& root, std::string_view dotted_path);
// Strings as-is, integers as decimal text; anything else nullopt. Vendors send ids as either.
std::optional<std::string> get_id(const bj::value& root, std::string_view dotted_path);
std::optional<bool> get_bool(const bj::value& root, std::string_view dotted_path);

std::string serialize(const bj::value& v);

// One member of a JSON object as it was written: the key decoded, the value as its exact bytes.
struct RawMember {
  std::string key;
  std::string_view value;  // into the scanned text
};
// The members of the JSON object in `text`, in order and with duplicated keys kept, each value as the bytes
// written (a signature computed over bytes as sent cannot be checked against a parsed document, which has
// lost them). nullopt when `text` is not an object. The scan follows the structure only: validate `text`
// with parse() first.
std::optional<std::vector<RawMember>> raw_members(std::string_view text);

}  // namespace tributary::json
