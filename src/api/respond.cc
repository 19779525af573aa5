#include "api/respond.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/router.h"

namespace tributary::api {
namespace {

std::string_view code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "INVALID_REQUEST";
    case ErrorKind::kUnauthorized:
      return "UNAUTHORIZED";
    case ErrorKind::kForbidden:
      return "FORBIDDEN";
    case ErrorKind::kNotFound:
      return "NOT_FOUND";
    case ErrorKind::kConflict:
      return "CONFLICT";
    case ErrorKind::kPayloadTooLarge:
      return "PAYLOAD_TOO_LARGE";
    case ErrorKind::kRateLimited:
      return "RATE_LIMITED";
    case ErrorKind::kUpstream:
      return "UPSTREAM_ERROR";
    case ErrorKind::kUnavailable:
      return "UNAVAILABLE";
    case ErrorKind::kStorageUnavailable:
      return "STORAGE_UNAVAILABLE";
    case ErrorKind::kInternal:
      return "INTERNAL_ERROR";
  }
  return "INTERNAL_ERROR";
}

}  // namespace

http::Response ok(bj::value data, int status) {
  bj::object out;
  out["status"] = "success";
  out["data"] = std::move(data);
  return http::Response::json(status, bj::serialize(out));
}

http::Response list_page(bj::array results, std::optional<std::string> next_cursor) {
  bj::object data;
  data["next"] = next_cursor ? bj::value(*next_cursor) : bj::value(nullptr);
  data["results"] = std::move(results);
  return ok(std::move(data));
}

http::Response fail(const Error& error) {
  // Internal errors are logged by the caller; their text may describe our storage, so callers pass a safe
  // one.
  return http::error_response(http_status(error.kind), code_for(error.kind), error.message);
}

http::Response internal_error(const Error& error) {
  if (error.kind == ErrorKind::kUnavailable) {
    // The database pool was exhausted (or shutdown began): a retry will do.
    spdlog::warn("api: {}", error.message);
    return fail(ErrorKind::kUnavailable, "the database is busy; retry").with_header("Retry-After", "1");
  }
  if (error.kind == ErrorKind::kStorageUnavailable) {
    // Disk full or a read-only database: the writer logs the fault once, not per request.
    return fail(ErrorKind::kStorageUnavailable,
                "the database refuses writes (disk full or read-only); nothing was changed; retry later")
        .with_header("Retry-After", "5");
  }
  spdlog::error("api: {}", error.message);
  return fail(ErrorKind::kInternal, "internal error; see the server log");
}

http::Response fail(ErrorKind kind, std::string message) {
  return fail(Error{kind, std::move(message)});
}

Result<bj::object> body_object(const http::Request& request) {
  if (request.body.empty()) return bj::object{};
  auto parsed = json::parse(request.body);
  if (!parsed) return parsed.error();
  if (!parsed->is_object())
    return make_error(ErrorKind::kInvalidArgument, "the request body must be a JSON object");
  return std::move(parsed->get_object());
}

std::string encode_cursor(std::int64_t seq) {
  return crypto::base64url_encode_nopad("s:" + std::to_string(seq));
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  auto raw = crypto::base64url_decode(cursor);
  if (!raw || raw->rfind("s:", 0) != 0 || raw->size() > 22) return std::nullopt;
  try {
    std::size_t used = 0;
    long long v = std::stoll(raw->substr(2), &used);
    if (used != raw->size() - 2 || v < 0) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

Result<std::optional<std::int64_t>> cursor_param(const http::Request& request) {
  auto cursor = request.query_param("cursor");
  if (!cursor) return std::optional<std::int64_t>{};
  auto seq = decode_cursor(*cursor);
  if (!seq) return make_error(ErrorKind::kInvalidArgument, "cursor is not valid");
  return seq;
}

std::optional<std::string> next_cursor(std::size_t rows, int limit, std::int64_t last_seq) {
  if (static_cast<int>(rows) < limit) return std::nullopt;
  return encode_cursor(last_seq);
}

Result<std::optional<std::int64_t>> time_param(const http::Request& request, std::string_view name) {
  auto text = request.query_param(name);
  if (!text || text->empty()) return std::optional<std::int64_t>{};
  auto t = parse_iso8601(*text);
  if (!t) {
    return make_error(ErrorKind::kInvalidArgument,
                      std::string(name) + " must be an ISO-8601 date-time, e.g. 2026-11-27T10:00:00Z");
  }
  return std::optional<std::int64_t>(*t);
}

int limit_param(const http::Request& request, int fallback, int max) {
  auto text = request.query_param("page_size");
  if (!text) text = request.query_param("limit");
  if (!text) return fallback;
  int v = std::atoi(text->c_str());
  if (v <= 0) return fallback;
  return std::min(v, max);
}

bj::value json_or_null(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto parsed = json::parse(*text);
  return parsed ? *parsed : bj::value(*text);
}

bj::value time_or_null(const std::optional<std::int64_t>& ms) {
  return ms ? bj::value(format_iso8601(*ms)) : bj::value(nullptr);
}

}  // namespace tributary::api

namespace tributary::embedded {
const std::string& openapi_json();
}  // namespace tributary::embedded

namespace tributary::api {
const std::string& openapi_document() {
  return embedded::openapi_json();
}
}  // namespace tributary::api
