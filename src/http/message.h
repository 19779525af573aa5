// Plain HTTP request/response values shared by the server, the router and every handler. No Beast types here:
// the rest of the code sees these small structs, so Beast/Asio headers stay inside http/*.cc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"

namespace tributary::http {

struct Request {
  std::string method;                                      // "GET", "POST", ... (upper case as received)
  std::string target;                                      // raw request-target, with the query string
  std::string path;                                        // percent-decoded path, without the query string
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order
  HeaderList headers;                                      // as received, in order, names as sent
  std::string body;
  std::string remote_address;

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> header(std::string_view name) const;
  std::size_t header_count(std::string_view name) const;
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
  Response& with_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

// A handler answers by calling the Responder exactly once, from any thread, possibly later (the ingress
// answers only after the group commit is durable). The server posts the answer back to the connection's
// strand.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

bool iequals(std::string_view a, std::string_view b);
std::string percent_decode(std::string_view in, bool plus_is_space);

// Pieces of a raw request-target, not decoded. target_path("/a/b?x=1") is "/a/b"; an absolute-form target
// ("http://host/a?x") gives "/a"; a fragment is dropped. target_query gives what follows '?' ("x=1"), or "".
std::string_view target_path(std::string_view target);
std::string_view target_query(std::string_view target);
// "a=1&b=x+y&c" -> {a,1},{b,"x y"},{c,""}: percent-decoded, '+' as space, empty pieces skipped, order kept.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace tributary::http
