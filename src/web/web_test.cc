// The dashboard's files as the router serves them: byte-identical to web/ on disk, with the right types and
// security headers, reachable without an API key, and only referring to files that are served (so a typo in
// an import or a file left out of the embed fails here, not in a browser).
#include "web/web.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace tributary::web {
namespace {

namespace fs = std::filesystem;

const fs::path kWebDir = fs::path(TRIBUTARY_SOURCE_DIR) / "web";
const std::set<std::string> kEmbeddedExtensions = {".html", ".js", ".mjs", ".css", ".svg"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class WebRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override { add_web_routes(router_); }

  http::Response get(const std::string& path, HeaderList headers = {}, std::string method = "GET") {
    http::Request request;
    request.method = std::move(method);
    request.target = path;
    request.path = path;
    request.headers = std::move(headers);
    http::Response out;
    out.status = -1;
    router_.dispatch(std::move(request), [&out](http::Response r) { out = std::move(r); });
    return out;
  }

  std::set<std::string> served_paths() const {
    std::set<std::string> out;
    for (const auto& a : assets())
      out.insert(a.path);
    return out;
  }

  http::Router router_;
};

TEST_F(WebRoutesTest, ServesEveryFileInWebByteForByte) {
  std::set<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(kWebDir)) {
    if (!entry.is_regular_file() || !kEmbeddedExtensions.count(entry.path().extension().string())) continue;
    std::string path = "/" + fs::relative(entry.path(), kWebDir).generic_string();
    on_disk.insert(path);
    auto r = get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, read_file(entry.path())) << path << " differs from the file on disk (rebuild?)";
  }
  EXPECT_EQ(served_paths(), on_disk);
  EXPECT_TRUE(on_disk.count("/index.html"));
  EXPECT_TRUE(on_disk.count("/app.js"));
  EXPECT_TRUE(on_disk.count("/style.css"));
}

TEST_F(WebRoutesTest, RootIsTheIndexWithStrictHeadersAndNoKey) {
  auto r = get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, read_file(kWebDir / "index.html"));
  EXPECT_EQ(r.header("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-cache");
  EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff");
  std::string csp(r.header("Content-Security-Policy").value_or(""));
  EXPECT_THAT(csp, ::testing::StartsWith("default-src 'self';"));
  EXPECT_THAT(csp, ::testing::HasSubstr("script-src 'self';"));
  EXPECT_THAT(csp, ::testing::HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(csp, ::testing::Not(::testing::HasSubstr("unsafe")));
  EXPECT_EQ(r.header("Content-Security-Policy").value_or(""), content_security_policy());
  EXPECT_FALSE(r.header("ETag").value_or("").empty());
}

TEST_F(WebRoutesTest, ContentTypesFollowTheExtension) {
  EXPECT_EQ(get("/app.js").header("Content-Type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/vendor/preact.mjs").header("Content-Type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/style.css").header("Content-Type").value_or(""), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a/b.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("x.bin"), "application/octet-stream");
  for (const auto& a : assets()) {
    auto r = get(a.path);
    EXPECT_EQ(r.header("Content-Type").value_or(""), a.content_type) << a.path;
    EXPECT_EQ(r.header("Content-Security-Policy").value_or(""), content_security_policy()) << a.path;
    EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff") << a.path;
  }
}

TEST_F(WebRoutesTest, UnchangedFileAnswers304ForItsETag) {
  auto first = get("/app.js");
  std::string etag(first.header("ETag").value_or(""));
  ASSERT_FALSE(etag.empty());
  auto again = get("/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/app.js", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
  EXPECT_EQ(get("/app.js", {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_NE(get("/style.css").header("ETag").value_or(""), etag);
}

TEST_F(WebRoutesTest, UnknownFilesAndOtherMethodsAreRefused) {
  EXPECT_EQ(get("/nope.js").status, 404);
  EXPECT_EQ(get("/vendor/README.md").status, 404);
  EXPECT_EQ(get("/app.js", {}, "POST").status, 405);
}

// Every src=/href= in the HTML and every import in the modules names a served file, and imports are relative
// or absolute paths (a bare specifier such as "preact" would need an import map, i.e. an inline script).
TEST_F(WebRoutesTest, EveryReferenceResolvesToAServedFile) {
  const auto served = served_paths();
  auto resolve = [](const std::string& from, const std::string& spec) {
    if (!spec.empty() && spec[0] == '/') return spec;
    fs::path base = fs::path(from).parent_path();
    return (base / spec).lexically_normal().generic_string();
  };
  const std::regex html_ref(R"re((?:src|href)\s*=\s*"([^"#?]+)")re");
  const std::regex js_import(
      R"re(\b(?:import|export)\b[^'";]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["'])re");
  int checked = 0;
  for (const auto& a : assets()) {
    const std::string& body = *a.body;
    const bool html = a.path.size() > 5 && a.path.substr(a.path.size() - 5) == ".html";
    const bool js = a.content_type.rfind("text/javascript", 0) == 0;
    if (!html && !js) continue;
    const std::regex& re = html ? html_ref : js_import;
    for (std::sregex_iterator it(body.begin(), body.end(), re), end; it != end; ++it) {
      std::string spec = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
      if (html && spec.rfind("http", 0) == 0) {
        ADD_FAILURE() << a.path << " refers to an external URL " << spec;
        continue;
      }
      if (js) {
        EXPECT_TRUE(spec.rfind("./", 0) == 0 || spec.rfind("../", 0) == 0 || spec.rfind("/", 0) == 0)
            << a.path << " imports the bare specifier " << spec;
      }
      EXPECT_TRUE(served.count(resolve(a.path, spec)))
          << a.path << " refers to " << spec << " = " << resolve(a.path, spec) << ", which is not served";
      ++checked;
    }
  }
  EXPECT_GT(checked, 5);
}

// The Content-Security-Policy allows no inline script or style: the HTML must not need them.
TEST_F(WebRoutesTest, IndexNeedsNoInlineScriptOrStyle) {
  const std::string body = read_file(kWebDir / "index.html");
  const std::regex script_tag(R"re(<script\b([^>]*)>)re", std::regex::icase);
  int scripts = 0;
  for (std::sregex_iterator it(body.begin(), body.end(), script_tag), end; it != end; ++it) {
    EXPECT_THAT((*it)[1].str(), ::testing::HasSubstr("src=")) << "inline <script> in index.html";
    ++scripts;
  }
  EXPECT_GE(scripts, 1);
  EXPECT_EQ(body.find("<style"), std::string::npos);
  EXPECT_FALSE(std::regex_search(body, std::regex(R"re(\s(style|on[a-z]+)\s*=)re", std::regex::icase)));
}

}  // namespace
}  // namespace tributary::web
