// Turning what Beast's request parser read into a Request, and deciding which parse failures get an answer.
// Shared by the server (server.cc, reading from a socket) and parse_request below, which runs the same steps
// on bytes in memory for the fuzz target (fuzz/server_request_fuzz.cc) and the tests. Internal to http/:
// Beast types appear in these signatures, so only http/*.cc and fuzz/ include this header.
//
// Thread-safety: free functions on their arguments only.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace tributary::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

bool is_token_char(char c);
bool valid_header_name(std::string_view name);
bool valid_header_value(std::string_view value);

// Sets target, the percent-decoded path and the query of `request` from a raw request-target.
void fill_target(Request& request, std::string_view target);
// The request line and headers as parsed by Beast; the body comes later.
Request request_from_header(const BeastRequest& message, const std::string& remote);
// Best effort for a request Beast refused before finishing its header: the request line, if it looks sane,
// and any header fields parsed before the error. `buffer` holds the bytes not consumed by the parser.
Request request_from_raw(const boost::beast::flat_buffer& buffer, const BeastRequest& message,
                         const std::string& remote);

struct Rejection {
  int status;
  std::string_view code;
  std::string_view message;
};
// Which parse failures deserve an answer; the rest (client gone, timeout, reset) just close the connection.
std::optional<Rejection> rejection_for(const boost::beast::error_code& ec);
// The answer to a body announced (Content-Length) or sent over the limit.
Rejection payload_too_large();

// The server's reading of one request (Server::Impl::read_request) on `bytes` instead of a socket: the header
// within `max_header_bytes`, then the body within body_limit(path). Exactly one of `request` (complete, the
// rest of `bytes` left over as the next request would be) and `rejection` (with `partial`: what the server
// would log and answer) is set, or neither when the connection would just close (input ended mid-request).
struct ParsedRequest {
  std::optional<Request> request;
  std::optional<Rejection> rejection;
  Request partial;
};
ParsedRequest parse_request(std::string_view bytes, std::size_t max_header_bytes,
                            const std::function<std::size_t(std::string_view path)>& body_limit);

}  // namespace tributary::http
