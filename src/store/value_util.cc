#include "store/value_util.h"

#include <boost/json.hpp>

namespace tributary::store {

std::string json_string_array(const std::vector<std::string>& items) {
  boost::json::array arr;
  for (const auto& s : items)
    arr.emplace_back(s);
  return boost::json::serialize(arr);
}

std::vector<std::string> parse_string_array(const std::string& json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& el : v.get_array())
    if (el.is_string()) out.emplace_back(el.get_string());
  return out;
}

}  // namespace tributary::store
