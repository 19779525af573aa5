#include "sim/common/fields.h"

#include <algorithm>
#include <cctype>

#include "core/clock.h"

namespace tributary::sim {

namespace {

Error bad(std::string message) {
  return make_error(ErrorKind::kInvalidArgument, std::move(message));
}

}  // namespace

Status check_keys(const boost::json::object& fields, std::string_view model,
                  std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : fields) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed)
      list += (list.empty() ? "" : ", ") + std::string(a);
    return bad("unsupported field '" + std::string(kv.key()) + "' for " + std::string(model) +
               " (supported: " + list + ")");
  }
  return {};
}

Result<std::optional<std::string>> opt_string(const boost::json::object& fields, std::string_view key) {
  const auto* v = fields.if_contains(key);
  if (v == nullptr) return std::optional<std::string>{};
  if (v->is_null()) return std::optional<std::string>{std::string{}};
  if (!v->is_string()) return bad("field '" + std::string(key) + "' must be a string");
  return std::optional<std::string>{std::string(v->get_string())};
}

Result<std::optional<bool>> opt_bool(const boost::json::object& fields, std::string_view key) {
  const auto* v = fields.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return bad("field '" + std::string(key) + "' must be true or false");
  return std::optional<bool>{v->get_bool()};
}

Result<std::optional<std::string>> opt_id(const boost::json::object& fields, std::string_view key) {
  const auto* v = fields.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  if (v->is_string() && !v->get_string().empty())
    return std::optional<std::string>{std::string(v->get_string())};
  if (v->is_int64()) return std::optional<std::string>{std::to_string(v->get_int64())};
  if (v->is_uint64()) return std::optional<std::string>{std::to_string(v->get_uint64())};
  return bad("field '" + std::string(key) + "' must be an id (a non-empty string or an integer)");
}

Result<std::optional<std::string>> opt_enum(const boost::json::object& fields, std::string_view key,
                                            std::initializer_list<std::string_view> values) {
  const auto* v = fields.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  std::string list;
  for (auto a : values)
    list += (list.empty() ? "" : ", ") + std::string(a);
  if (!v->is_string()) return bad("field '" + std::string(key) + "' must be one of " + list);
  std::string up(v->get_string());
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (std::find(values.begin(), values.end(), up) == values.end())
    return bad("field '" + std::string(key) + "' must be one of " + list);
  return std::optional<std::string>{up};
}

Result<std::optional<std::string>> opt_date(const boost::json::object& fields, std::string_view key) {
  const auto* v = fields.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string() || !parse_iso8601(v->get_string()).has_value())
    return bad("field '" + std::string(key) + "' must be a date (YYYY-MM-DD) or an ISO-8601 date-time");
  auto ms = parse_iso8601(v->get_string());
  return std::optional<std::string>{format_iso8601(*ms).substr(0, 10)};
}

bool has_http_scheme(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

bool is_plain_http_url(std::string_view url) {
  return has_http_scheme(url) && url.size() <= 2048 && url.find_first_of(" \t\r\n") == std::string_view::npos;
}

boost::json::value str_or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

boost::json::value str_or_null(const std::optional<std::string>& s) {
  return s ? str_or_null(*s) : boost::json::value(nullptr);
}

boost::json::array string_array(const std::vector<std::string>& strings) {
  boost::json::array out;
  for (const auto& s : strings)
    out.push_back(boost::json::value(s));
  return out;
}

}  // namespace tributary::sim
