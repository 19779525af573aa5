#include "connectors/common/verify.h"

#include <gtest/gtest.h>

#include "connectors/common/test_support.h"
#include "core/crypto.h"

namespace tributary::connectors::common {
namespace {

using testing::post_request;

TEST(Verify, SingleHeader) {
  // The value is a view into the request: the request must outlive it (ASan caught a temporary here).
  const auto with_header = post_request("", {{"X-Sig", "a"}});
  auto ok = single_header(with_header, "x-sig");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "a");
  auto missing = single_header(post_request("", {}), "X-Sig");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "missing X-Sig header");
  auto dup = single_header(post_request("", {{"X-Sig", "secret-a"}, {"x-sig", "secret-b"}}), "X-Sig");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicated X-Sig header"), std::string::npos);
  EXPECT_EQ(dup.error().message.find("secret"), std::string::npos);
}

TEST(Verify, StripPrefixAndTrim) {
  EXPECT_EQ(strip_prefix("sha256=abc", "sha256="), "abc");
  EXPECT_FALSE(strip_prefix("SHA256=abc", "sha256=").has_value());
  EXPECT_EQ(strip_prefix("SHA256=abc", "sha256=", true), "abc");
  EXPECT_FALSE(strip_prefix("sha", "sha256=").has_value());
  EXPECT_EQ(strip_prefix("", ""), "");
  EXPECT_EQ(trim(" \t a b \t"), "a b");
  EXPECT_EQ(trim("   "), "");
}

TEST(Verify, DecodeDigests) {
  EXPECT_EQ(*decode_hex_digest("00ff", 2), std::string("\x00\xff", 2));
  EXPECT_EQ(*decode_hex_digest("00FF", 2), std::string("\x00\xff", 2));
  EXPECT_NE(decode_hex_digest("00f", 2).error().message.find("3 hex characters, expected 4"),
            std::string::npos);
  EXPECT_NE(decode_hex_digest("0g", 1).error().message.find("not hexadecimal"), std::string::npos);
  EXPECT_NE(decode_hex_digest("", 1).error().message.find("empty"), std::string::npos);

  EXPECT_EQ(*decode_base64_digest("AP8=", 2), std::string("\x00\xff", 2));
  EXPECT_NE(decode_base64_digest("AP8", 2).error().message.find("not valid base64"), std::string::npos);
  EXPECT_NE(decode_base64_digest("AP8A", 2).error().message.find("3 bytes, expected 2"), std::string::npos);
}

TEST(Verify, SecureEqual) {
  EXPECT_TRUE(secure_equal("abc", "abc"));
  EXPECT_FALSE(secure_equal("abc", "abd"));
  EXPECT_FALSE(secure_equal("abc", "abcd"));
  EXPECT_TRUE(secure_equal_hashed("token", "token"));
  EXPECT_FALSE(secure_equal_hashed("token", "token "));
  EXPECT_FALSE(secure_equal_hashed("", "x"));
  EXPECT_TRUE(secure_equal_hashed("", ""));
}

TEST(Verify, MatchSecretTriesEveryUsableSecret) {
  VerificationKeys keys{{"", "first", "second"}};
  EXPECT_EQ(usable_secrets(keys).size(), 2u);
  int calls = 0;
  auto m = match_secret(keys, "digest-of-first", [&](std::string_view s) {
    ++calls;
    return "digest-of-" + std::string(s);
  });
  EXPECT_EQ(m, 0u);
  EXPECT_EQ(calls, 2);  // no early exit
  EXPECT_EQ(match_secret(keys, "digest-of-second",
                         [](std::string_view s) { return "digest-of-" + std::string(s); }),
            1u);
  EXPECT_FALSE(
      match_secret(keys, "digest-of-", [](std::string_view s) { return "digest-of-" + std::string(s); }));
}

// The scheme is shared with other vendors: base64 HMAC-SHA512 without a prefix (HiBob's form).
TEST(Verify, HmacHeaderSchemeBase64Sha512) {
  HmacHeaderScheme scheme{"Bob-Signature",
                          "",
                          false,
                          DigestAlgorithm::kSha512,
                          DigestEncoding::kBase64,
                          "hmac-sha512 base64 in Bob-Signature"};
  const std::string body = R"({"type":"employee.created"})";
  const std::string sig = crypto::base64_encode(crypto::hmac_sha512("k", body));
  Verification v =
      verify_hmac_header(scheme, post_request(body, {{"Bob-Signature", sig}}), VerificationKeys{{"k"}});
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.scheme, "hmac-sha512 base64 in Bob-Signature");
  // A SHA-256-sized digest is refused by length before any comparison.
  const std::string short_sig = crypto::base64_encode(crypto::hmac_sha256("k", body));
  v = verify_hmac_header(scheme, post_request(body, {{"Bob-Signature", short_sig}}), VerificationKeys{{"k"}});
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("32 bytes, expected 64"), std::string::npos) << v.reason;
}

TEST(Verify, CheckTimestampAcceptsAFreshSendTime) {
  testing::ManualClock clock(1'700'000'000'000);
  const FreshnessWindow window{.max_age_ms = 5 * 60 * 1000, .max_ahead_ms = 60 * 1000};
  auto at = check_timestamp(clock, "X-Time", " 1700000000 ", TimestampFormat::kUnixSeconds, window);
  ASSERT_TRUE(at.ok()) << at.error().message;
  EXPECT_EQ(*at, 1'700'000'000'000);
  // Both limits are accepted.
  EXPECT_TRUE(check_timestamp(clock, "X-Time", "1699999700", TimestampFormat::kUnixSeconds, window).ok());
  EXPECT_TRUE(check_timestamp(clock, "X-Time", "1700000060", TimestampFormat::kUnixSeconds, window).ok());
  EXPECT_EQ(*check_timestamp(clock, "X-Time", "1699999999123", TimestampFormat::kUnixMilliseconds, window),
            1'699'999'999'123);
  // Unix or ISO-8601: 13 digits and more are milliseconds; "+0000" is an offset.
  EXPECT_EQ(*check_timestamp(clock, "X-Time", "1700000000", TimestampFormat::kUnixOrIso8601, window),
            1'700'000'000'000);
  EXPECT_EQ(*check_timestamp(clock, "X-Time", "1700000000001", TimestampFormat::kUnixOrIso8601, window),
            1'700'000'000'001);
  EXPECT_EQ(
      *check_timestamp(clock, "X-Time", "2023-11-14T22:13:20+0000", TimestampFormat::kUnixOrIso8601, window),
      1'700'000'000'000);
  EXPECT_EQ(
      *check_timestamp(clock, "X-Time", "2023-11-14T23:13:20+01:00", TimestampFormat::kUnixOrIso8601, window),
      1'700'000'000'000);
}

TEST(Verify, CheckTimestampRejectsTooOldAndTooFarInTheFuture) {
  testing::ManualClock clock(1'700'000'000'000);
  const FreshnessWindow window{.max_age_ms = 72LL * 3600 * 1000, .max_ahead_ms = 5 * 60 * 1000};
  auto old =
      check_timestamp(clock, "triggeredAt", "1699740799999", TimestampFormat::kUnixMilliseconds, window);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(old.error().message, "triggeredAt is older than 72 hours (259200 s old)");
  auto ahead =
      check_timestamp(clock, "triggeredAt", "1700000301000", TimestampFormat::kUnixMilliseconds, window);
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(ahead.error().message, "triggeredAt is more than 5 minutes in the future (301 s ahead)");
  // The clock moves on: what was fresh goes stale.
  ASSERT_TRUE(check_timestamp(clock, "t", "1700000000000", TimestampFormat::kUnixMilliseconds, window).ok());
  clock.advance(73LL * 3600 * 1000);
  EXPECT_FALSE(check_timestamp(clock, "t", "1700000000000", TimestampFormat::kUnixMilliseconds, window).ok());
  // A window that is not whole minutes is said in seconds.
  auto odd = check_timestamp(clock, "t", "1", TimestampFormat::kUnixSeconds, {.max_age_ms = 90'000});
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("older than 90 s"), std::string::npos) << odd.error().message;
}

TEST(Verify, CheckTimestampRejectsUnparsableText) {
  testing::ManualClock clock(1'700'000'000'000);
  const FreshnessWindow window{.max_age_ms = 300'000, .max_ahead_ms = 300'000};
  struct Case {
    std::string text;
    TimestampFormat format;
    std::string message;
  };
  const Case cases[] = {
      {"", TimestampFormat::kUnixSeconds, "X-Time is not a Unix time in seconds"},
      {"yesterday", TimestampFormat::kUnixSeconds, "X-Time is not a Unix time in seconds"},
      {"-1700000000", TimestampFormat::kUnixSeconds, "X-Time is not a Unix time in seconds"},
      {"1700000000.5", TimestampFormat::kUnixSeconds, "X-Time is not a Unix time in seconds"},
      {"1700000000000", TimestampFormat::kUnixSeconds, "X-Time is not a Unix time in seconds"},
      {"12a", TimestampFormat::kUnixMilliseconds, "X-Time is not a Unix time in milliseconds"},
      {std::string(17, '1'), TimestampFormat::kUnixMilliseconds, "X-Time is not a Unix time in milliseconds"},
      {"2023-11-14", TimestampFormat::kUnixOrIso8601, "X-Time is not a Unix time or ISO-8601 date-time"},
      {"2023-11-14T22:13:20+0", TimestampFormat::kUnixOrIso8601,
       "X-Time is not a Unix time or ISO-8601 date-time"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = check_timestamp(clock, "X-Time", c.text, c.format, window);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized);
    EXPECT_EQ(got.error().message, c.message);
  }
}

}  // namespace
}  // namespace tributary::connectors::common
