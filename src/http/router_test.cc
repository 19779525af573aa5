#include "http/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <stdexcept>

namespace tributary::http {
namespace {

Request make_request(std::string method, std::string target) {
  Request r;
  r.method = std::move(method);
  r.target = target;
  r.path = percent_decode(target_path(target), false);
  r.query = parse_query(target_query(target));
  return r;
}

Response call(const Router& router, std::string method, std::string target) {
  std::optional<Response> out;
  router.dispatch(make_request(std::move(method), std::move(target)),
                  [&](Response r) { out = std::move(r); });
  EXPECT_TRUE(out.has_value());
  return out ? *out : Response{};
}

Response echo_params(const Request& request, const Params& params) {
  std::string body = request.method;
  for (const auto& [k, v] : params)
    body += "|" + k + "=" + v;
  return Response::text(200, body);
}

boost::json::object error_of(const Response& r) {
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("status").as_string(), "error");
  return v.at("error").as_object();
}

TEST(Router, MatchesLiteralsAndParams) {
  Router router;
  router.add_sync("GET", "/v1/integrations", echo_params);
  router.add_sync("GET", "/v1/integrations/{id}/subscriptions/{sid}", echo_params);
  EXPECT_EQ(call(router, "GET", "/v1/integrations").body, "GET");
  auto r = call(router, "GET", "/v1/integrations/personio:abc/subscriptions/s1?x=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET|id=personio:abc|sid=s1");
}

TEST(Router, ParamsArePercentDecodedPerSegment) {
  Router router;
  router.add_sync("GET", "/items/{id}", echo_params);
  EXPECT_EQ(call(router, "GET", "/items/a%20b").body, "GET|id=a b");
  // An encoded slash stays inside its segment instead of splitting the path.
  EXPECT_EQ(call(router, "GET", "/items/a%2Fb").body, "GET|id=a/b");
  EXPECT_EQ(call(router, "GET", "/items/a/b").status, 404);
  EXPECT_EQ(call(router, "GET", "/items/").status, 404);  // params match non-empty segments only
  EXPECT_EQ(call(router, "GET", "/items").status, 404);
}

TEST(Router, RestParamTakesTheRemainder) {
  Router router;
  router.add_sync("POST", "/ingress/{integration}/{rest...}", echo_params);
  EXPECT_EQ(call(router, "POST", "/ingress/greenhouse:1/a/b%20c").body,
            "POST|integration=greenhouse:1|rest=a/b c");
  EXPECT_EQ(call(router, "POST", "/ingress/greenhouse:1/x").body, "POST|integration=greenhouse:1|rest=x");
  EXPECT_EQ(call(router, "POST", "/ingress/greenhouse:1").status, 404);
  EXPECT_EQ(call(router, "POST", "/ingress/greenhouse:1/").status, 404);
}

TEST(Router, UnknownPathIs404InEnvelope) {
  Router router;
  router.add_sync("GET", "/a", echo_params);
  auto r = call(router, "GET", "/b");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto e = error_of(r);
  EXPECT_EQ(e.at("code").as_string(), "NOT_FOUND");
  EXPECT_EQ(e.at("title").as_string(), "Not found");
  EXPECT_FALSE(e.at("message").as_string().empty());
}

TEST(Router, OtherMethodIs405WithAllow) {
  Router router;
  router.add_sync("GET", "/v1/things/{id}", echo_params);
  router.add_sync("DELETE", "/v1/things/{id}", echo_params);
  router.add_sync("POST", "/v1/things", echo_params);
  auto r = call(router, "PUT", "/v1/things/7");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, DELETE, HEAD");
  auto e = error_of(r);
  EXPECT_EQ(e.at("code").as_string(), "METHOD_NOT_ALLOWED");
  EXPECT_EQ(e.at("title").as_string(), "Method not allowed");
  EXPECT_EQ(call(router, "GET", "/v1/things").status, 405);
  EXPECT_EQ(call(router, "GET", "/v1/things").header("Allow"), "POST");
}

TEST(Router, HeadIsServedByGet) {
  Router router;
  router.add_sync("GET", "/h", echo_params);
  EXPECT_EQ(call(router, "HEAD", "/h").body, "HEAD");
}

TEST(Router, LiteralSegmentsWinOverParams) {
  Router router;
  router.add_sync("GET", "/v1/events/{id}",
                  [](const Request&, const Params&) { return Response::text(200, "id"); });
  router.add_sync("GET", "/v1/events/search",
                  [](const Request&, const Params&) { return Response::text(200, "search"); });
  router.add_sync("GET", "/v1/{rest...}",
                  [](const Request&, const Params&) { return Response::text(200, "rest"); });
  EXPECT_EQ(call(router, "GET", "/v1/events/search").body, "search");
  EXPECT_EQ(call(router, "GET", "/v1/events/42").body, "id");
  EXPECT_EQ(call(router, "GET", "/v1/other/42").body, "rest");
}

TEST(Router, RootAndTrailingSlashAreDistinct) {
  Router router;
  router.add_sync("GET", "/", [](const Request&, const Params&) { return Response::text(200, "root"); });
  router.add_sync("GET", "/a", [](const Request&, const Params&) { return Response::text(200, "a"); });
  EXPECT_EQ(call(router, "GET", "/").body, "root");
  EXPECT_EQ(call(router, "GET", "/?q=1").body, "root");
  EXPECT_EQ(call(router, "GET", "/a").body, "a");
  EXPECT_EQ(call(router, "GET", "/a/").status, 404);
}

TEST(Router, AsyncHandlerGetsParamsAndResponder) {
  Router router;
  Responder saved;
  Params seen;
  router.add("POST", "/later/{id}", [&](Request, Params params, Responder respond) {
    seen = std::move(params);
    saved = std::move(respond);
  });
  std::optional<Response> out;
  router.as_handler()(make_request("POST", "/later/x1"), [&](Response r) { out = std::move(r); });
  EXPECT_FALSE(out.has_value());
  EXPECT_EQ(seen.at("id"), "x1");
  saved(Response::text(202, "ok"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 202);
}

TEST(Router, RequestWithoutTargetUsesDecodedPath) {
  Router router;
  router.add_sync("GET", "/items/{id}", echo_params);
  Request r;
  r.method = "GET";
  r.path = "/items/a b";
  std::optional<Response> out;
  router.dispatch(r, [&](Response resp) { out = std::move(resp); });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->body, "GET|id=a b");
}

TEST(Router, RejectsMalformedPatterns) {
  Router router;
  auto noop = [](const Request&, const Params&) { return Response{}; };
  EXPECT_THROW(router.add_sync("GET", "no-slash", noop), std::invalid_argument);
  EXPECT_THROW(router.add_sync("GET", "/a/{rest...}/b", noop), std::invalid_argument);
  EXPECT_THROW(router.add_sync("GET", "/a/{}", noop), std::invalid_argument);
}

TEST(ErrorResponse, ProducesTheEnvelope) {
  auto r = error_response(413, "PAYLOAD_TOO_LARGE", "Too \"big\"");
  EXPECT_EQ(r.status, 413);
  auto e = error_of(r);
  EXPECT_EQ(e.at("code").as_string(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(e.at("title").as_string(), "Payload too large");
  EXPECT_EQ(e.at("message").as_string(), "Too \"big\"");
  EXPECT_EQ(status_title(599), "Error");
  EXPECT_EQ(status_title(503), "Service unavailable");
}

}  // namespace
}  // namespace tributary::http
