// Method + path-pattern routing: "/v1/integrations/{id}/subscriptions/{sid}". A {name} segment matches one
// non-empty path segment; a trailing "{name...}" matches the rest (at least one character). Parameters are
// percent-decoded per segment, so "%2F" inside a segment never splits it. When several patterns match,
// literal segments win over parameters, left to right. HEAD is served by a GET route. Unknown paths answer
// 404, known paths with another method 405 (with Allow), both in the API's error envelope.
//
// Thread-safety: add routes before serving; dispatch is then read-only and safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "http/message.h"

namespace tributary::http {

using Params = std::map<std::string, std::string, std::less<>>;
using RouteHandler = std::function<void(Request, Params, Responder)>;

class Router {
 public:
  void add(std::string method, std::string pattern, RouteHandler handler);
  // Synchronous convenience: the handler returns the response.
  void add_sync(std::string method, std::string pattern,
                std::function<Response(const Request&, const Params&)> handler);
  void dispatch(Request request, Responder respond) const;
  Handler as_handler() const;  // the router must outlive the returned handler

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;

 public:
  // (method, pattern) of every route, in the order added; the pattern as given to add(). For checks that the
  // routes and their documentation (openapi.json) agree.
  std::vector<std::pair<std::string, std::string>> routes() const;
};

// {"status":"error","error":{"code":..,"title":..,"message":..}}
Response error_response(int status, std::string_view code, std::string_view message);
// Short human title for a status code ("Not found"); "Error" for codes without one.
std::string_view status_title(int status);

}  // namespace tributary::http
