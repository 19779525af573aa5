#include "connectors/common/api.h"

#include <gtest/gtest.h>

namespace tributary::connectors::common {
namespace {

TEST(Api, FormEncode) {
  EXPECT_EQ(form_encode(
                {{"grant_type", "client_credentials"}, {"client_id", "a b"}, {"client_secret", "x+y/&=z~."}}),
            "grant_type=client_credentials&client_id=a+b&client_secret=x%2By%2F%26%3Dz~.");
  EXPECT_EQ(form_encode({}), "");
  EXPECT_EQ(form_encode({{"k", "\xc3\xa9"}}), "k=%C3%A9");
}

TEST(Api, PathSegmentsAndUrls) {
  EXPECT_EQ(encode_path_segment("3c9d-AZ_az.~"), "3c9d-AZ_az.~");
  EXPECT_EQ(encode_path_segment("../a b?c#"), "..%2Fa%20b%3Fc%23");
  EXPECT_EQ(join_url("https://api.personio.de", "/v2/webhooks"), "https://api.personio.de/v2/webhooks");
  EXPECT_EQ(join_url("https://api.personio.de//", "v2/webhooks"), "https://api.personio.de/v2/webhooks");
}

TEST(Api, Credential) {
  ApiContext ctx;
  ctx.credentials["client_id"] = "abc";
  ctx.credentials["empty"] = "";
  ctx.credentials["number"] = 5;
  EXPECT_EQ(*credential(ctx, "client_id"), "abc");
  for (const char* key : {"empty", "number", "absent"}) {
    auto r = credential(ctx, key);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find(key), std::string::npos);
  }
}

TEST(Api, ErrorExcerptPrefersJsonMessagesAndRedacts) {
  EXPECT_EQ(error_excerpt(R"({"errors":[{"title":"Forbidden","detail":"scope missing"}]})", {}),
            "Forbidden: scope missing");
  EXPECT_EQ(error_excerpt(R"({"error":"invalid_client","error_description":"bad"})", {}),
            "invalid_client: bad");
  EXPECT_EQ(error_excerpt(R"({"error":{"message":"nope"}})", {}), "nope");
  EXPECT_EQ(error_excerpt("plain\ntext\x01", {}), "plain text ");
  EXPECT_EQ(error_excerpt("token=abc123 rejected", {"abc123"}), "token=[redacted] rejected");
  std::string long_body(1000, 'x');
  EXPECT_EQ(error_excerpt(long_body, {}, 50).size(), 53u);
  // A secret straddling the truncation point is still removed.
  std::string body = std::string(48, 'y') + "SECRETVALUE";
  EXPECT_EQ(error_excerpt(body, {"SECRETVALUE"}, 50).find("SECRET"), std::string::npos);
}

TEST(Api, DescribeFailure) {
  http::ClientResponse none;
  none.error = "Connection refused";
  EXPECT_EQ(describe_failure("Personio", none, {}), "could not reach Personio: Connection refused");
  http::ClientResponse resp;
  resp.status = 500;
  resp.body = "boom";
  EXPECT_EQ(describe_failure("Personio", resp, {}), "Personio answered 500: boom");
  resp.body = "";
  EXPECT_EQ(describe_failure("Personio", resp, {}), "Personio answered 500");
}

TEST(Api, FetchTokenWithoutClientIsInternal) {
  ApiContext ctx;
  auto r = fetch_access_token(ctx, "Personio", TokenRequest{"http://127.0.0.1:1/token", {}, {}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
}

}  // namespace
}  // namespace tributary::connectors::common

namespace tributary::connectors::common {
namespace {

TEST(Api, LinkNextAndOrigins) {
  EXPECT_EQ(link_next(R"(<https://h.test/v3/jobs?cursor=a>; rel="next")"), "https://h.test/v3/jobs?cursor=a");
  EXPECT_EQ(link_next(R"(<https://h/p?c=1>; rel="prev", <https://h/n?c=2>; REL="Next")"), "https://h/n?c=2");
  EXPECT_EQ(link_next(R"(<https://h/x>; rel="last next")"), "https://h/x");
  EXPECT_EQ(link_next(R"(<https://h/x>; rel="prev")"), "");
  EXPECT_EQ(link_next("garbage"), "");
  EXPECT_EQ(link_next("<unterminated; rel=next"), "");
  EXPECT_EQ(link_next(""), "");
  EXPECT_TRUE(same_origin("http://127.0.0.1:81/v3/jobs?cursor=x", "http://127.0.0.1:81/v3"));
  EXPECT_TRUE(same_origin("HTTPS://API.test/a", "https://api.test"));
  EXPECT_FALSE(same_origin("http://127.0.0.1:82/v3", "http://127.0.0.1:81/v3"));
  EXPECT_FALSE(same_origin("http://evil.test@127.0.0.1:81/", "http://127.0.0.1:81/"));
  EXPECT_FALSE(same_origin("/relative", "/relative"));
  EXPECT_FALSE(same_origin("ftp://h/", "ftp://h/"));
}

}  // namespace
}  // namespace tributary::connectors::common
