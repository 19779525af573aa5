// The dashboard's static files: everything in web/ (HTML, ES modules, CSS) is embedded in the binary at build
// time (cmake/embed.cmake) and served at its own path, with index.html also at "/". The files hold no data
// and are served without an API key; the pages call the API with the key the operator signs in with, which
// stays in the browser's sessionStorage. Every answer carries a strict Content-Security-Policy (same-origin
// scripts, styles and requests only; no inline script or style), nosniff, and Cache-Control: no-cache with
// an ETag, so a new binary's pages are picked up at once and an unchanged file costs a 304.
// Thread-safety: assets() is built once and read-only afterwards; add routes before serving.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/router.h"

namespace tributary::web {

struct Asset {
  std::string path;               // "/app.js", "/vendor/preact.mjs"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  const std::string* body;        // the embedded bytes
  std::string etag;               // "\"<hex>\"", from the content
};

// Every embedded file, sorted by path.
const std::vector<Asset>& assets();
// The Content-Type for a file name by its extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);
// The Content-Security-Policy sent with every file.
std::string_view content_security_policy();

// GET (and HEAD) routes for every asset, and "/" for index.html.
void add_web_routes(http::Router& router);

}  // namespace tributary::web
