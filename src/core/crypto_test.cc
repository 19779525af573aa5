#include "core/crypto.h"

#include <gtest/gtest.h>

namespace tributary::crypto {
namespace {

// RFC 4231 test case 2.
TEST(Crypto, HmacSha256Rfc4231) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha512Rfc4231) {
  EXPECT_EQ(hex_encode(hmac_sha512("Jefe", "what do ya want for nothing?")),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
            "caeab1a3"
            "4d4a6b4b636e070a38bce737");
}

TEST(Crypto, Base64RoundTripsAndRejectsMalformed) {
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_FALSE(base64_decode("Zm8"));  // missing padding
  EXPECT_FALSE(base64_decode("Zm9=").has_value() && *base64_decode("Zm9=") != "fo");
  EXPECT_FALSE(base64_decode("Zm*="));  // bad character
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_EQ(base64url_encode_nopad("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
}

TEST(Crypto, HexRejectsOddAndNonHex) {
  EXPECT_EQ(hex_decode("0aFF"), std::string("\x0a\xff", 2));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Crypto, SealOpensOnlyWithTheRightKeyAndIntactCiphertext) {
  std::string key = random_bytes(32);
  std::string sealed = seal(key, "client_secret=hunter2");
  EXPECT_EQ(open(key, sealed), "client_secret=hunter2");
  EXPECT_FALSE(open(random_bytes(32), sealed));
  sealed[14] ^= 1;
  EXPECT_FALSE(open(key, sealed));
  EXPECT_NE(seal(key, "x"), seal(key, "x"));  // random nonce
}

TEST(Crypto, RandomTokenUsesAlphanumerics) {
  std::string t = random_token(64);
  ASSERT_EQ(t.size(), 64u);
  for (char c : t)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

}  // namespace
}  // namespace tributary::crypto
