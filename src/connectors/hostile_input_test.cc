// Every connector against hostile webhook input. Each vendor example body in a connector's testdata/ is sent
// again with every value in it replaced, in turn, by values of every other JSON type and by extreme ones
// (huge numbers, long and invalid strings, deep nesting); then random bytes and documents nested past the
// parser's depth limit. handshake(), verify() and parse() must answer (an error, or events) without throwing;
// nothing unsigned verifies; and every relayed event names a remote id short and plain enough to go into a
// URL path and the database.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "connectors/common/test_support.h"
#include "connectors/registry.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
using testing::post_request;

std::vector<bj::value> replacements() {
  bj::value deep = bj::array{};
  for (int i = 0; i < 20; ++i)
    deep = bj::array{deep};
  std::vector<bj::value> out;
  out.emplace_back(nullptr);
  out.emplace_back(true);
  out.emplace_back(0);
  out.emplace_back(-1);
  out.emplace_back(1e300);
  out.emplace_back(std::numeric_limits<std::uint64_t>::max());
  out.emplace_back("");
  out.emplace_back(std::string(100000, '9'));
  out.emplace_back(std::string("\xff\xfe\xc3", 3));
  out.emplace_back("../../admin?x=1#");
  out.emplace_back(bj::array{});
  out.emplace_back(bj::object{});
  out.emplace_back(bj::object{{"id", bj::object{}}});
  out.push_back(std::move(deep));
  return out;
}

// Calls fn with `doc` where the value at each position (every member and element, depth first) has been
// replaced by each of `values` in turn.
void for_each_mutation(bj::value& doc, const std::vector<bj::value>& values,
                       const std::function<void()>& fn) {
  auto visit = [&](bj::value& slot) {
    bj::value original = slot;
    for (const auto& v : values) {
      slot = v;
      fn();
    }
    slot = std::move(original);
    for_each_mutation(slot, values, fn);
  };
  if (doc.is_object()) {
    for (auto& member : doc.get_object())
      visit(member.value());
  } else if (doc.is_array()) {
    for (auto& element : doc.get_array())
      visit(element);
  }
}

std::vector<HeaderList> header_variants(const Connector& connector) {
  std::vector<HeaderList> out = {{}, {{"Content-Type", "application/x-www-form-urlencoded"}}};
  // SmartRecruiters names the event in a header; every connector gets every name (the others ignore it).
  for (const auto& feed : connector.feeds())
    for (const auto& event : feed.vendor_events)
      out.push_back({{"event-name", event}, {"event-id", "e-1"}, {"Content-Type", "application/json"}});
  return out;
}

class HostileInputTest : public ::testing::TestWithParam<const Connector*> {
 protected:
  // One request through everything the ingress calls; counts what was checked.
  void check(const std::string& body, const HeaderList& headers, const std::string& what) {
    const Connector& c = *GetParam();
    http::Request request = post_request(body, headers);
    ++checked_;
    try {
      (void)c.handshake(request);
      Verification v = c.verify(request, VerificationKeys{{"not-the-secret"}});
      if (v.ok) ADD_FAILURE() << c.tool() << ": an unsigned request verified (" << v.scheme << "): " << what;
      (void)c.parse(request);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << c.tool() << " threw '" << ex.what() << "' on " << what;
    }
  }

  std::size_t checked_ = 0;
};

TEST_P(HostileInputTest, MutatedVendorExamplesAreAnsweredWithoutThrowing) {
  const Connector& connector = *GetParam();
  const fs::path dir =
      fs::path(TRIBUTARY_SOURCE_DIR) / "src" / "connectors" / std::string(connector.tool()) / "testdata";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  const auto values = replacements();
  const auto headers = header_variants(connector);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    // vectors.json, declaration.json and records.json describe the connector and its examples
    // (conformance_test.cc); they are not payloads.
    const std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".json" || file == "vectors.json" || file == "declaration.json" ||
        file == "records.json")
      continue;
    const std::string name = entry.path().filename().string();
    boost::system::error_code ec;
    bj::value doc =
        bj::parse(testing::read_testdata(std::string(connector.tool()) + "/testdata/" + name), ec);
    if (ec) continue;
    ++files;
    for (const auto& h : headers) {
      for_each_mutation(doc, values, [&] { check(bj::serialize(doc), h, name + " (mutated)"); });
      if (::testing::Test::HasFailure()) return;  // one report per connector is enough to act on
    }
  }
  EXPECT_GT(files, 0u) << "no vendor examples in " << dir;
  RecordProperty("requests", static_cast<int>(checked_));
}

TEST_P(HostileInputTest, RandomBytesAndDeepNestingAreAnsweredWithoutThrowing) {
  const Connector& connector = *GetParam();
  std::mt19937 rng(20261127);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 2048);
  for (int i = 0; i < 300; ++i) {
    std::string body(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& ch : body)
      ch = static_cast<char>(byte(rng));
    for (const auto& h : header_variants(connector))
      check(body, h, "random bytes #" + std::to_string(i));
  }
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  const std::string nested_objects = [] {
    std::string s;
    for (int i = 0; i < 20000; ++i)
      s += R"({"data":)";
    s += "1";
    s += std::string(20000, '}');
    return s;
  }();
  for (const auto& h : header_variants(connector)) {
    check(nested, h, "100000 nested arrays");
    check(nested_objects, h, "20000 nested objects");
    check(std::string("{\"action\":\"") + std::string(1 << 20, 'a') + "\"}", h, "a 1 MiB string");
  }
}

INSTANTIATE_TEST_SUITE_P(Connectors, HostileInputTest, ::testing::ValuesIn(builtin_registry().all()),
                         [](const ::testing::TestParamInfo<const Connector*>& info) {
                           return std::string(info.param->tool());
                         });

}  // namespace
}  // namespace tributary::connectors
