#include "web/web.h"

#include <algorithm>
#include <utility>

#include "core/crypto.h"

namespace tributary::embedded {
const std::vector<std::pair<std::string, const std::string& (*)()>>& web_assets();
}  // namespace tributary::embedded

namespace tributary::web {
namespace {

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Whether an If-None-Match header names this ETag ("*", one tag, or a comma-separated list; W/ is ignored as
// the files are compared byte for byte).
bool matches_etag(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

http::Response serve(const Asset& asset, const http::Request& request) {
  http::Response r;
  r.headers.emplace_back("Content-Type", std::string(asset.content_type));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", asset.etag);
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  auto if_none_match = request.header("If-None-Match");
  if (if_none_match && matches_etag(*if_none_match, asset.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.body = *asset.body;
  return r;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js") || ends_with(path, ".mjs")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  if (ends_with(path, ".json")) return "application/json";
  if (ends_with(path, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string_view content_security_policy() {
  return kCsp;
}

const std::vector<Asset>& assets() {
  static const std::vector<Asset> all = [] {
    std::vector<Asset> out;
    for (const auto& [name, body] : embedded::web_assets()) {
      const std::string& bytes = body();
      std::string etag = "\"" + crypto::hex_encode(crypto::sha256(bytes)).substr(0, 32) + "\"";
      out.push_back(Asset{"/" + name, content_type_for(name), &bytes, std::move(etag)});
    }
    std::sort(out.begin(), out.end(), [](const Asset& a, const Asset& b) { return a.path < b.path; });
    return out;
  }();
  return all;
}

void add_web_routes(http::Router& router) {
  for (const Asset& asset : assets()) {
    const Asset* a = &asset;
    auto handler = [a](const http::Request& r, const http::Params&) { return serve(*a, r); };
    router.add_sync("GET", asset.path, handler);
    if (asset.path == "/index.html") router.add_sync("GET", "/", handler);
  }
}

}  // namespace tributary::web
