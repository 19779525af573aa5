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

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    ++i;
  return i;
}

// One past the closing quote of the string starting at s[i] == '"'; npos when unterminated.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '"') return i + 1;
  }
  return npos;
}

// One past the end of the value starting at s[i]; npos when it does not end.
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    std::size_t depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        if (i == npos) return npos;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return npos;
  }
  const std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r')
    ++i;
  return i == start ? npos : i;
}

}  // namespace

std::optional<std::vector<RawMember>> raw_members(std::string_view text) {
  std::size_t i = skip_ws(text, 0);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  std::vector<RawMember> out;
  i = skip_ws(text, i + 1);
  if (i < text.size() && text[i] == '}') return out;
  while (i < text.size()) {
    if (text[i] != '"') return std::nullopt;
    const std::size_t key_end = skip_string(text, i);
    if (key_end == npos) return std::nullopt;
    auto key = parse(text.substr(i, key_end - i));
    if (!key || !key->is_string()) return std::nullopt;
    i = skip_ws(text, key_end);
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = skip_ws(text, i + 1);
    const std::size_t value_end = skip_value(text, i);
    if (value_end == npos) return std::nullopt;
    out.push_back({std::string(key->get_string()), text.substr(i, value_end - i)});
    i = skip_ws(text, value_end);
    if (i < text.size() && text[i] == ',') {
      i = skip_ws(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == '}') return out;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace tributary::json
