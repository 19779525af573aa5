#include "connectors/common/api.h"

#include "connectors/common/records.h"
#include "core/json.h"

namespace tributary::connectors::common {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void append_percent(std::string& out, unsigned char c) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out += '%';
  out += kDigits[c >> 4];
  out += kDigits[c & 15];
}

std::string form_component(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      append_percent(out, c);
    }
  }
  return out;
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  std::size_t pos = 0;
  while ((pos = text.find(what, pos)) != std::string::npos) {
    text.replace(pos, what.size(), with);
    pos += with.size();
  }
}

// Message fields of common JSON error shapes: {"errors":[{"title","detail"}]}, {"error":{"message"}},
// {"error":"..","error_description":".."}, {"message":".."}.
std::string json_error_message(std::string_view body) {
  auto parsed = json::parse(body);
  if (!parsed || !parsed->is_object()) return {};
  const auto& doc = *parsed;
  std::string out;
  auto add = [&out](const std::optional<std::string>& part) {
    if (!part || part->empty()) return;
    if (!out.empty()) out += ": ";
    out += *part;
  };
  if (const auto* errors = json::find(doc, "errors"); errors != nullptr && errors->is_array()) {
    const auto& arr = errors->get_array();
    if (!arr.empty()) {
      add(json::get_string(arr[0], "title"));
      add(json::get_string(arr[0], "detail"));
      add(json::get_string(arr[0], "message"));
    }
  }
  if (out.empty()) {
    add(json::get_string(doc, "error.message"));
    add(json::get_string(doc, "error"));
    add(json::get_string(doc, "error_description"));
    add(json::get_string(doc, "message"));
  }
  return out;
}

}  // namespace

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += form_component(name);
    out += '=';
    out += form_component(value);
  }
  return out;
}

std::string encode_path_segment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (unsigned char c : segment) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      append_percent(out, c);
    }
  }
  return out;
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/')
    base.remove_suffix(1);
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  std::string out(base);
  out += '/';
  out += path;
  return out;
}

Result<std::string> credential(const ApiContext& ctx, std::string_view key) {
  auto it = ctx.credentials.find(key);
  if (it == ctx.credentials.end() || !it->value().is_string() || it->value().get_string().empty()) {
    return make_error(ErrorKind::kInvalidArgument, "credentials are missing \"" + std::string(key) + "\"");
  }
  return std::string(it->value().get_string());
}

std::string error_excerpt(std::string_view body, const std::vector<std::string_view>& secrets,
                          std::size_t max_chars) {
  std::string text = json_error_message(body);
  if (text.empty()) text = std::string(body);
  // Redact before truncating so a secret cut in half at the boundary cannot survive.
  for (std::string_view secret : secrets)
    replace_all(text, secret, "[redacted]");
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (text.size() > max_chars) {
    text.resize(max_chars);
    text += "...";
  }
  return text;
}

std::string describe_failure(std::string_view vendor, const http::ClientResponse& response,
                             const std::vector<std::string_view>& secrets) {
  if (response.status == 0) {
    return "could not reach " + std::string(vendor) + ": " +
           error_excerpt(response.error.empty() ? "no response" : response.error, secrets);
  }
  std::string out = std::string(vendor) + " answered " + std::to_string(response.status);
  std::string excerpt = error_excerpt(response.body, secrets);
  if (!excerpt.empty()) out += ": " + excerpt;
  return out;
}

std::string link_next(std::string_view header) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
      v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
      v.remove_suffix(1);
    return v;
  };
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  std::string_view rest = header;
  for (int guard = 0; guard < 64 && !rest.empty(); ++guard) {
    rest = trim(rest);
    if (rest.empty() || rest.front() != '<') return {};
    auto close = rest.find('>');
    if (close == std::string_view::npos) return {};
    std::string_view url = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    // Parameters up to the next link (a ',' outside quotes).
    std::size_t end = 0;
    bool quoted = false;
    while (end < rest.size() && (quoted || rest[end] != ',')) {
      if (rest[end] == '"') quoted = !quoted;
      ++end;
    }
    std::string_view params = rest.substr(0, end);
    rest = end < rest.size() ? rest.substr(end + 1) : std::string_view();
    while (!params.empty()) {
      auto semi = params.find(';');
      std::string_view param = trim(params.substr(0, semi));
      params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
      auto eq = param.find('=');
      if (eq == std::string_view::npos || lower(trim(param.substr(0, eq))) != "rel") continue;
      std::string_view value = trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      std::string names = lower(value);
      std::string_view list = names;
      while (!list.empty()) {
        auto space = list.find(' ');
        if (list.substr(0, space) == "next") return std::string(url);
        list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
      }
    }
  }
  return {};
}

std::string url_origin(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string out;
  for (char c : url.substr(0, scheme_end + 3))
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (out != "http://" && out != "https://") return {};
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
  for (char c : authority)
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

bool same_origin(std::string_view url, std::string_view base) {
  const std::string a = url_origin(url);
  return !a.empty() && a == url_origin(base);
}

http::ClientRequest authorized_request(const ApiContext& ctx, std::string method, std::string url,
                                       std::pair<std::string, std::string> auth, std::string accept) {
  http::ClientRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers.push_back(std::move(auth));
  req.headers.emplace_back("Accept", std::move(accept));
  req.timeout = ctx.timeout;
  return req;
}

Error rejected_credential(std::string_view vendor, std::string_view credential,
                          const http::ClientResponse& response,
                          const std::vector<std::string_view>& secrets) {
  return make_error(ErrorKind::kUnauthorized, std::string(vendor) + " rejected the " +
                                                  std::string(credential) + " (" +
                                                  describe_failure(vendor, response, secrets) + ")");
}

Result<std::string> fetch_access_token(const ApiContext& ctx, std::string_view vendor,
                                       const TokenRequest& request,
                                       const std::vector<std::string_view>& secrets) {
  auto got = fetch_access_token_with_lifetime(ctx, vendor, request, secrets);
  if (!got) return got.error();
  return std::move(got->token);
}

Result<AccessToken> fetch_access_token_with_lifetime(const ApiContext& ctx, std::string_view vendor,
                                                     const TokenRequest& request,
                                                     const std::vector<std::string_view>& secrets) {
  if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
  http::ClientRequest req;
  req.method = "POST";
  req.url = request.url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  for (const auto& h : request.extra_headers)
    req.headers.push_back(h);
  req.body = form_encode(request.form);
  req.timeout = ctx.timeout;
  http::ClientResponse resp = get_with_retry(ctx, std::move(req));

  if (resp.status == 401) {
    return make_error(ErrorKind::kUnauthorized, std::string(vendor) + " rejected the API credentials");
  }
  if (resp.status == 403) {
    return make_error(ErrorKind::kForbidden, describe_failure(vendor, resp, secrets));
  }
  if (resp.status == 429) {
    return make_error(ErrorKind::kRateLimited, std::string(vendor) + " kept answering 429 (rate limited)");
  }
  if (resp.status < 200 || resp.status > 299) {
    return make_error(ErrorKind::kUpstream,
                      "token request failed: " + describe_failure(vendor, resp, secrets));
  }
  auto parsed = json::parse(resp.body);
  std::optional<std::string> token;
  if (parsed) token = json::get_string(*parsed, "access_token");
  if (!token || token->empty()) {
    return make_error(ErrorKind::kUpstream,
                      std::string(vendor) + " answered the token request without an access_token");
  }
  AccessToken out{std::move(*token), std::nullopt};
  const boost::json::value* expires =
      parsed->is_object() ? parsed->get_object().if_contains("expires_in") : nullptr;
  if (expires != nullptr && expires->is_int64()) out.expires_in = expires->get_int64();
  return out;
}

}  // namespace tributary::connectors::common
