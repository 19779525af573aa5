// The vendor contract folders: every connector has src/connectors/<tool>/testdata/contract/ with a README
// that names every example in it (and so its source and whether it was copied or reconstructed), and every
// JSON example there is JSON. A file nobody can trace back to the vendor is not evidence.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "connectors/model.h"
#include "connectors/registry.h"

namespace tributary::connectors {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(VendorContracts, EveryToolHasAContractFolderWhoseReadmeNamesEveryExample) {
  for (const Connector* c : builtin_registry().all()) {
    SCOPED_TRACE(std::string(c->tool()));
    const fs::path dir =
        fs::path(TRIBUTARY_SOURCE_DIR) / "src/connectors" / std::string(c->tool()) / "testdata/contract";
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    const std::string readme = read_file(dir / "README.md");
    ASSERT_FALSE(readme.empty()) << "no README.md with the sources in " << dir;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name == "README.md" || !entry.is_regular_file()) continue;
      EXPECT_NE(readme.find(name), std::string::npos) << name << " is not named in the README";
      // Examples kept byte for byte although the vendor's own text is not valid JSON say so in their name.
      if (entry.path().extension() == ".json" && name.find("vendor-invalid") == std::string::npos) {
        boost::system::error_code ec;
        (void)boost::json::parse(read_file(entry.path()), ec);
        EXPECT_FALSE(ec) << name << " is not JSON: " << ec.message();
      }
    }
  }
}

// The evidence declarations match what each connector does: only API tools subscribe, and only tools with an
// incremental filter list incrementally; every connector declares its own (none left at the default).
TEST(VendorContracts, EveryConnectorDeclaresTheEvidenceOfWhatItDoes) {
  for (const Connector* c : builtin_registry().all()) {
    SCOPED_TRACE(std::string(c->tool()));
    const Fidelity f = c->fidelity();
    EXPECT_EQ(f.subscribe == Evidence::kNotUsed, c->subscription_mode() == SubscriptionMode::kManual);
    bool incremental = false;
    for (Model m : kAllModels)
      incremental = incremental || (c->supports_records(m) && c->lists_changes(m));
    EXPECT_EQ(f.incremental == Evidence::kNotUsed, !incremental);
    for (Evidence e : {f.verify, f.events, f.get, f.list})
      EXPECT_NE(e, Evidence::kNotUsed) << "every tool verifies, parses, gets and lists";
    const Fidelity unset;
    EXPECT_FALSE(f.subscribe == unset.subscribe && f.verify == unset.verify && f.events == unset.events &&
                 f.get == unset.get && f.list == unset.list && f.incremental == unset.incremental)
        << "no evidence declared";
  }
}

}  // namespace
}  // namespace tributary::connectors
