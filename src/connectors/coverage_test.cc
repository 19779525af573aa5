// Tests for the generated coverage grid: the JSON and Markdown views agree with the connectors' declarations,
// and the README's table is exactly the generated one (run `scripts/update-coverage.sh` after changing a
// connector's feeds).
#include "connectors/coverage.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace tributary::connectors {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Coverage, EveryRegisteredToolWithEveryUnifiedEvent) {
  const Registry& registry = builtin_registry();
  auto json = coverage_json(registry);
  const auto& tools = json.at("tools").as_array();
  ASSERT_EQ(tools.size(), registry.all().size());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const Connector& c = *registry.all()[i];
    const auto& t = tools[i].as_object();
    EXPECT_EQ(t.at("tool").as_string(), c.tool());
    const auto& events = t.at("events").as_array();
    ASSERT_EQ(events.size(), unified_event_kinds().size());
    for (std::size_t k = 0; k < events.size(); ++k) {
      const auto& kind = unified_event_kinds()[k];
      std::size_t fed = 0;
      for (const auto& f : c.feeds())
        if (f.model == kind.model && f.action == kind.action) fed += f.vendor_events.size();
      EXPECT_EQ(events[k].at("vendor_events").as_array().size(), fed) << c.tool() << " " << kind.label;
      EXPECT_EQ(events[k].at("supported").as_bool(), fed > 0);
    }
  }
}

TEST(Coverage, MarkdownHasARowPerToolAndAColumnPerEvent) {
  const Registry& registry = builtin_registry();
  const std::string md = coverage_markdown(registry);
  std::istringstream lines(md);
  std::string header;
  std::getline(lines, header);
  for (const auto& kind : unified_event_kinds())
    EXPECT_NE(header.find(std::string(kind.label)), std::string::npos) << kind.label;
  for (const auto* c : registry.all())
    EXPECT_NE(md.find("(`" + std::string(c->tool()) + "`)"), std::string::npos) << c->tool();
  const Connector* greenhouse = registry.find("greenhouse");
  ASSERT_NE(greenhouse, nullptr);
  EXPECT_NE(md.find("`new_candidate_application`"), std::string::npos);
}

TEST(Coverage, TheReadmeTableIsTheGeneratedOne) {
  const std::string readme = read_file(std::string(TRIBUTARY_SOURCE_DIR) + "/README.md");
  const auto begin = readme.find(kCoverageBegin);
  const auto end = readme.find(kCoverageEnd);
  ASSERT_NE(begin, std::string::npos) << "README.md lacks the coverage markers";
  ASSERT_NE(end, std::string::npos);
  const auto start = readme.find('\n', begin) + 1;
  EXPECT_EQ(readme.substr(start, end - start), coverage_markdown(builtin_registry()))
      << "README.md's coverage table is stale: run scripts/update-coverage.sh";
}

}  // namespace
}  // namespace tributary::connectors
