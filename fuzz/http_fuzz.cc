// The HTTP request path after Beast: request-target splitting (target_path, target_query), percent
// decoding, query parsing and router matching, over every route openapi.json documents (plus the ingress
// and dashboard routes), as the server fills a Request.
//
// Input: the method on the first line, the request-target on the second, the rest ignored.
// Checks: the router answers exactly once, with a status it may give; decoding never grows the text;
// a target's path and query are pieces of the target.
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "http/router.h"

namespace tributary::fuzz {
namespace {

http::Router* make_router() {
  auto* router = new http::Router;
  std::ifstream in(std::filesystem::path(TRIBUTARY_SOURCE_DIR) / "openapi.json");
  std::ostringstream os;
  os << in.rdbuf();
  const auto doc = boost::json::parse(os.str());
  auto echo = [](const http::Request&, const http::Params& params) {
    std::string body;
    for (const auto& [k, v] : params)
      body += k + "=" + v + "\n";
    return http::Response::text(200, body);
  };
  for (const auto& [path, item] : doc.as_object().at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      for (auto& ch : m)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      router->add_sync(m, std::string(path), echo);
    }
  }
  router->add_sync("POST", "/ingress/{token}", echo);
  router->add_sync("GET", "/ingress/{token}", echo);
  router->add_sync("GET", "/assets/{file...}", echo);
  router->add_sync("GET", "/", echo);
  return router;
}

const http::Router& router() {
  static const http::Router* r = make_router();
  return *r;
}

}  // namespace
}  // namespace tributary::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tributary;
  using namespace tributary::fuzz;
  std::string_view in = as_view(data, size);
  const std::string_view method = take_line(in);
  const std::string_view target = take_line(in);

  const std::string_view path = http::target_path(target);
  const std::string_view query = http::target_query(target);
  FUZZ_CHECK(path == "/" || target.find(path) != std::string_view::npos);
  FUZZ_CHECK(query.empty() || target.find(query) != std::string_view::npos);
  const std::string decoded = http::percent_decode(path, false);
  FUZZ_CHECK(decoded.size() <= path.size());
  FUZZ_CHECK(http::percent_decode(target, true).size() <= target.size());

  http::Request request;
  request.method = std::string(method);
  request.target = std::string(target);
  request.path = decoded;
  request.query = http::parse_query(query);
  for (const auto& [k, v] : request.query)
    FUZZ_CHECK(k.size() + v.size() <= query.size());
  (void)request.query_param("cursor");

  int answers = 0;
  int status = 0;
  router().dispatch(std::move(request), [&](http::Response response) {
    ++answers;
    status = response.status;
  });
  FUZZ_CHECK(answers == 1);
  FUZZ_CHECK(status == 200 || status == 404 || status == 405);
  return 0;
}
