#include "core/json.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tributary::json {
namespace {

std::vector<std::pair<std::string, std::string>> members_of(std::string_view text) {
  auto members = raw_members(text);
  EXPECT_TRUE(members.has_value()) << text;
  std::vector<std::pair<std::string, std::string>> out;
  if (members)
    for (const auto& m : *members)
      out.emplace_back(m.key, std::string(m.value));
  return out;
}

using Members = std::vector<std::pair<std::string, std::string>>;

TEST(JsonRawMembers, ValuesKeepTheBytesAsWritten) {
  const std::string text =
      "{ \"payload\" : {\"b\":1,  \"a\":[1, 2 ,\"x\"]} ,\n\t\"n\":-1.50e3,\"s\":\"a\\u00e9\\\"}\",\"t\":true,"
      "\"z\":null}";
  EXPECT_EQ(members_of(text), (Members{{"payload", R"({"b":1,  "a":[1, 2 ,"x"]})"},
                                       {"n", "-1.50e3"},
                                       {"s", R"("a\u00e9\"}")"},
                                       {"t", "true"},
                                       {"z", "null"}}));
}

TEST(JsonRawMembers, BracketsInsideStringsDoNotEndAValue) {
  EXPECT_EQ(members_of(R"({"a":{"k":"}]{[\\"},"b":["]"]})"),
            (Members{{"a", R"({"k":"}]{[\\"})"}, {"b", R"(["]"])"}}));
}

TEST(JsonRawMembers, KeysAreDecodedAndDuplicatesKept) {
  EXPECT_EQ(members_of(R"({"id":1,"\u0069d":2})"), (Members{{"id", "1"}, {"id", "2"}}));
  EXPECT_EQ(members_of(" {} "), Members{});
  // The raw value points into the scanned text.
  const std::string text = R"({"k":"v"})";
  auto members = raw_members(text);
  ASSERT_TRUE(members.has_value());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().value.data(), text.data() + 5);
}

TEST(JsonRawMembers, WhatIsNotAnObjectIsNothing) {
  for (std::string_view text :
       {"", "   ", "[]", "\"{}\"", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}",
        "{a:1}", "{\"a\":\"unterminated}", "{\"a\":[1,2}", "{\"a\":1"}) {
    EXPECT_FALSE(raw_members(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace tributary::json
