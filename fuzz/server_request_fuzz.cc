// The server's request reading (http/request_parse.*): Beast's request parser with the server's header
// limit and per-path body limits, on the raw bytes of a connection, and the Request built from what it
// parsed (or, for a refused request, from what it could read). The input is the bytes a client sends.
// Checks: a request comes out complete and within its limits, with header names that are tokens and
// values without CR, LF or NUL; a refusal is one of the server's answers (400, 413, 431).
#include "fuzz/fuzz_support.h"
#include "http/request_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tributary;
  using namespace tributary::fuzz;
  // Small limits, so that inputs of the fuzzer's sizes reach them.
  constexpr std::size_t kHeaderLimit = 2048;
  auto body_limit = [](std::string_view path) -> std::size_t {
    return path.rfind("/ingress/", 0) == 0 ? 1024 : 256;
  };
  const http::ParsedRequest parsed = http::parse_request(as_view(data, size), kHeaderLimit, body_limit);
  FUZZ_CHECK(!(parsed.request && parsed.rejection));
  if (parsed.request) {
    const http::Request& r = *parsed.request;
    FUZZ_CHECK(!r.method.empty() && !r.target.empty());
    FUZZ_CHECK(r.body.size() <= body_limit(r.path));
    FUZZ_CHECK(r.path == http::percent_decode(http::target_path(r.target), false));
    for (const auto& [name, value] : r.headers) {
      FUZZ_CHECK(http::valid_header_name(name));
      FUZZ_CHECK(http::valid_header_value(value));
    }
  }
  if (parsed.rejection) {
    const int status = parsed.rejection->status;
    FUZZ_CHECK(status == 400 || status == 413 || status == 431);
  }
  return 0;
}
