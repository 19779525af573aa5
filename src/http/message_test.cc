#include "http/message.h"

#include <gtest/gtest.h>

namespace tributary::http {
namespace {

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percent_decode("%41%62", false), "Ab");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%e2%82%ac", false), "\xe2\x82\xac");
}

TEST(PercentDecode, LeavesMalformedEscapesAlone) {
  EXPECT_EQ(percent_decode("%", false), "%");
  EXPECT_EQ(percent_decode("%4", false), "%4");
  EXPECT_EQ(percent_decode("%zz", false), "%zz");
  EXPECT_EQ(percent_decode("100%", false), "100%");
  EXPECT_EQ(percent_decode("%%41", false), "%A");
}

TEST(Iequals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("Content-Type", "content-typ"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_TRUE(iequals("", ""));
}

TEST(Request, HeaderLookupIsCaseInsensitiveAndCounts) {
  Request r;
  r.headers = {{"X-Sig", "one"}, {"x-sig", "two"}, {"Host", "h"}};
  ASSERT_TRUE(r.header("X-SIG").has_value());
  EXPECT_EQ(*r.header("x-sig"), "one");
  EXPECT_EQ(r.header_count("X-Sig"), 2u);
  EXPECT_EQ(r.header_count("missing"), 0u);
  EXPECT_FALSE(r.header("missing").has_value());
}

TEST(Request, QueryParamReturnsFirstMatch) {
  Request r;
  r.query = {{"a", "1"}, {"a", "2"}, {"b", ""}};
  EXPECT_EQ(r.query_param("a"), "1");
  EXPECT_EQ(r.query_param("b"), "");
  EXPECT_FALSE(r.query_param("c").has_value());
}

TEST(Response, BuildersSetContentType) {
  auto j = Response::json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.header("content-type"), "application/json");
  auto t = Response::text(200, "hi").with_header("X-A", "b");
  EXPECT_EQ(*t.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(*t.header("x-a"), "b");
  EXPECT_EQ(t.body, "hi");
}

TEST(Target, SplitsPathAndQuery) {
  EXPECT_EQ(target_path("/a/b?x=1"), "/a/b");
  EXPECT_EQ(target_query("/a/b?x=1"), "x=1");
  EXPECT_EQ(target_path("/a/b"), "/a/b");
  EXPECT_EQ(target_query("/a/b"), "");
  EXPECT_EQ(target_path("/a#frag"), "/a");
  EXPECT_EQ(target_query("/a?x=1#frag"), "x=1");
  EXPECT_EQ(target_path("http://example.test/p/q?x"), "/p/q");
  EXPECT_EQ(target_path("http://example.test"), "/");
  EXPECT_EQ(target_path("http://example.test?x=1"), "/");
  EXPECT_EQ(target_path("*"), "*");
  EXPECT_EQ(target_path("/?x"), "/");
}

TEST(ParseQuery, DecodesPairsInOrder) {
  auto q = parse_query("a=1&b=x+y&c&&d=%26%3D&a=2&=v");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"b", "x y"}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"d", "&="}));
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>{"a", "2"}));
  EXPECT_EQ(q[5], (std::pair<std::string, std::string>{"", "v"}));
  EXPECT_TRUE(parse_query("").empty());
}

}  // namespace
}  // namespace tributary::http
