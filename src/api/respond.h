// The API's envelope and error mapping, in one place:
//   success {"status": "success", "data": …}
//   error   {"status": "error", "error": {"code", "title", "message"}}
// ErrorKind → HTTP status is decided here (fail() in respond.cc) for every route that fails with an
// Error. The Kombo-compatible read routes (records_api.cc, and the force-sync answers of syncs_api.cc) reply
// with Kombo's own error codes, whose statuses are Kombo's contract and are named beside each code.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace tributary::api {

namespace bj = boost::json;

http::Response ok(bj::value data, int status = 200);
http::Response list_page(bj::array results, std::optional<std::string> next_cursor);
http::Response fail(const Error& error);
http::Response fail(ErrorKind kind, std::string message);
// Logs the error and answers 500 without its text (it may describe our storage).
http::Response internal_error(const Error& error);

// Request body helpers: an object or a 400 with the reason.
Result<bj::object> body_object(const http::Request& request);

// Opaque cursors over a sequence number.
std::string encode_cursor(std::int64_t seq);
std::optional<std::int64_t> decode_cursor(std::string_view cursor);
// The `cursor` query parameter of a newest-first list: rows older than the sequence number it names.
Result<std::optional<std::int64_t>> cursor_param(const http::Request& request);
// The `next` of a page: a cursor after its last row when the page is full, none on the last page.
std::optional<std::string> next_cursor(std::size_t rows, int limit, std::int64_t last_seq);

// Optional ISO-8601 query parameter; error on a malformed value.
Result<std::optional<std::int64_t>> time_param(const http::Request& request, std::string_view name);
int limit_param(const http::Request& request, int fallback, int max);

bj::value json_or_null(const std::optional<std::string>& text);
bj::value time_or_null(const std::optional<std::int64_t>& ms);

}  // namespace tributary::api
