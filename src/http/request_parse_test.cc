// parse_request: the server's request reading on bytes in memory (what fuzz/server_request_fuzz.cc drives).
#include "http/request_parse.h"

#include <gtest/gtest.h>

namespace tributary::http {
namespace {

ParsedRequest parse(std::string_view bytes, std::size_t body_limit = 64) {
  return parse_request(bytes, 1024, [&](std::string_view) { return body_limit; });
}

TEST(ParseRequest, ReadsAComplete) {
  auto p = parse("POST /ingress/a%2Fb?x=1&y=a+b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(p.request.has_value());
  EXPECT_FALSE(p.rejection.has_value());
  EXPECT_EQ(p.request->method, "POST");
  EXPECT_EQ(p.request->path, "/ingress/a/b");
  EXPECT_EQ(p.request->query_param("y"), "a b");
  EXPECT_EQ(p.request->header("host"), "h");
  EXPECT_EQ(p.request->body, "hello");
}

TEST(ParseRequest, ReadsAChunkedBody) {
  auto p = parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n");
  ASSERT_TRUE(p.request.has_value());
  EXPECT_EQ(p.request->body, "hello!!!");
}

TEST(ParseRequest, RefusesWhatTheServerRefuses) {
  auto bad = parse("G@T / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(bad.rejection.has_value());
  EXPECT_EQ(bad.rejection->status, 400);

  auto headers = parse("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(headers.rejection.has_value());
  EXPECT_EQ(headers.rejection->status, 431);
  EXPECT_EQ(headers.partial.path, "/");  // the request line was read before the fields

  auto announced = parse("POST /big HTTP/1.1\r\nContent-Length: 65\r\n\r\n");
  ASSERT_TRUE(announced.rejection.has_value());
  EXPECT_EQ(announced.rejection->status, 413);
  EXPECT_EQ(announced.partial.path, "/big");

  auto chunked = parse("POST /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" +
                       std::string(65, 'a') + "\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked.rejection.has_value());
  EXPECT_EQ(chunked.rejection->status, 413);
}

TEST(ParseRequest, InputEndingMidRequestJustCloses) {
  for (std::string_view cut :
       {"", "GET / HT", "GET / HTTP/1.1\r\nHost: h\r\n", "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab"}) {
    auto p = parse(cut);
    EXPECT_FALSE(p.request.has_value()) << cut;
    EXPECT_FALSE(p.rejection.has_value()) << cut;
  }
}

}  // namespace
}  // namespace tributary::http
