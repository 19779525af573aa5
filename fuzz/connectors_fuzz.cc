// Every connector's handshake(), verify() and parse() on hostile requests, as the ingress calls them.
//
// Input: byte 0 picks the connector (index into the built-in registry, modulo its size); then one line with
// the verification secret, one line with the clock's time (ms since the epoch, decimal), header lines
// "Name: value" up to an empty line, and the body (the rest). verify() and parse() are both called whatever
// verify() says, so parsing is fuzzed on unsigned bodies too.
//
// Seeds: run with TRIBUTARY_FUZZ_WRITE_SEEDS=<dir> to write one seed per signed case of every connector's
// testdata/vectors.json (its secret, time and headers, so the seed verifies) and per example payload in its
// testdata/, then exit. scripts/fuzz.sh does this before fuzzing.
#include <boost/json.hpp>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/registry.h"
#include "fuzz/fuzz_support.h"

namespace tributary::fuzz {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

class FuzzClock final : public Clock {
 public:
  Millis now_ms() const override { return now; }
  Millis now = 1'700'000'000'000;
};

FuzzClock& fuzz_clock() {
  static FuzzClock c;
  return c;
}

const connectors::Registry& registry() {
  static const connectors::Registry* r = [] {
    auto* out = new connectors::Registry;
    connectors::register_builtin(*out, fuzz_clock());
    return out;
  }();
  return *r;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void write_seed(const fs::path& dir, const std::string& name, const std::string& content) {
  std::ofstream(dir / name, std::ios::binary) << content;
}

std::string seed(std::size_t index, std::string_view secret, Millis now, const std::string& headers,
                 const std::string& body) {
  std::string out(1, static_cast<char>(index));
  out += std::string(secret) + "\n" + std::to_string(now) + "\n" + headers + "\n" + body;
  return out;
}

// One seed per signed vector and per example payload of each connector.
void write_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  const auto all = registry().all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string tool(all[i]->tool());
    const fs::path testdata = fs::path(TRIBUTARY_SOURCE_DIR) / "src" / "connectors" / tool / "testdata";
    const bj::value vectors = bj::parse(read_file(testdata / "vectors.json"));
    const std::string secret(vectors.as_object().at("secret").as_string());
    Millis default_now = 1'700'000'000'000;
    if (const auto* now = vectors.as_object().if_contains("now"))
      default_now = parse_iso8601(now->as_string()).value_or(default_now);
    int n = 0;
    for (const auto& c : vectors.as_object().at("cases").as_array()) {
      const auto& obj = c.as_object();
      Millis now = default_now;
      if (const auto* at = obj.if_contains("now")) now = parse_iso8601(at->as_string()).value_or(now);
      std::string headers;
      if (const auto* h = obj.if_contains("headers"))
        for (const auto& [name, value] : h->as_object())
          headers += std::string(name) + ": " + std::string(value.as_string()) + "\n";
      const std::string body = read_file(testdata / std::string(obj.at("body_file").as_string()));
      write_seed(dir, tool + "-vector-" + std::to_string(n++), seed(i, secret, now, headers, body));
    }
    for (const auto& entry : fs::directory_iterator(testdata)) {
      const std::string file = entry.path().filename().string();
      if (entry.path().extension() != ".json" || file == "vectors.json" || file == "declaration.json" ||
          file == "records.json")
        continue;
      write_seed(dir, tool + "-example-" + file,
                 seed(i, secret, default_now, "Content-Type: application/json\n", read_file(entry.path())));
    }
  }
}

}  // namespace
}  // namespace tributary::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("TRIBUTARY_FUZZ_WRITE_SEEDS")) {
    tributary::fuzz::write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tributary;
  using namespace tributary::fuzz;
  if (size < 1) return 0;
  const auto all = registry().all();
  const connectors::Connector& connector = *all[data[0] % all.size()];
  std::string_view in = as_view(data + 1, size - 1);
  const std::string secret(take_line(in));
  const std::string_view now = take_line(in);
  Millis ms = 0;
  if (std::from_chars(now.data(), now.data() + now.size(), ms).ec == std::errc{}) fuzz_clock().now = ms;

  http::Request request;
  request.method = "POST";
  request.target = request.path = "/ingress/fuzz";
  request.remote_address = "127.0.0.1";
  while (!in.empty()) {
    const std::string_view line = take_line(in);
    if (line.empty()) break;
    const auto colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(in);

  (void)connector.handshake(request);
  const connectors::Verification v = connector.verify(request, connectors::VerificationKeys{{secret}});
  // A failure reason is logged and shown: it never carries the secret (unless the connector's own text
  // happens to contain what the input chose as the secret, as it then does under another key too).
  if (!v.ok && secret.size() >= 8 && v.reason.find(secret) != std::string::npos) {
    const auto other = connector.verify(request, connectors::VerificationKeys{{"fuzz-other-key-0123456789"}});
    FUZZ_CHECK(other.reason.find(secret) != std::string::npos);
  }
  // Remote ids are checked where they enter (the ingress refuses what remote_id_problem names); a connector
  // only has to answer.
  (void)connector.parse(request);
  return 0;
}
