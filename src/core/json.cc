#include "core/json.h"

namespace tributary::json {

Result<bj::value> parse(std::string_view text) {
  bj::parse_options opts;
  opts.max_depth = 64;
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec, {}, opts);
  if (ec) return make_error(ErrorKind::kInvalidArgument, "malformed JSON: " + ec.message());
  return v;
}

const bj::value* find(const bj::value& root, std::string_view path) {
  const bj::value* cur = &root;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    const auto* obj = cur->if_object();
    if (obj == nullptr) return nullptr;
    auto it = obj->find(part);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}

std::optional<std::string> get_string(const bj::value& root, std::string_view path) {
  const auto* v = find(root, path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::string> get_id(const bj::value& root, std::string_view path) {
  const auto* v = find(root, path);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return std::nullopt;
}

std::optional<bool> get_bool(const bj::value& root, std::string_view path) {
  const auto* v = find(root, path);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

std::string serialize(const bj::value& v) {
  return bj::serialize(v);
}

}  // namespace tributary::json
