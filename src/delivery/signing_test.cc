#include "delivery/signing.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace tributary::delivery {
namespace {

// Expected values below were computed outside this codebase with Python's standard library:
//   kombo:    base64.urlsafe_b64encode(hmac.new(secret.encode(), body, sha256).digest()).rstrip(b"=")
//   standard: "v1," + base64.b64encode(hmac.new(b64decode(secret[6:]), f"{id}.{ts}.{body}", sha256).digest())

// The Standard Webhooks specification's published example; the same vector appears in its reference
// libraries.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// base64 of the bytes 0x00..0x1f.
constexpr std::string_view kOtherSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr std::string_view kEnvelope = R"({"id":"evt_1","type":"data-changed","data":{}})";

std::vector<std::string> secrets(std::initializer_list<std::string_view> list) {
  return {list.begin(), list.end()};
}

std::string header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "<missing>";
}

TEST(Signing, StandardWebhooksMatchesSpecExample) {
  EXPECT_EQ(standard_webhooks_signature(secrets({kSpecSecret}), kSpecId, kSpecTimestamp, kSpecBody),
            kSpecSignature);
}

TEST(Signing, StandardWebhooksSignsIdTimestampAndBody) {
  const auto s = secrets({kSpecSecret});
  EXPECT_EQ(standard_webhooks_signature(s, "evt_1", 1700000000, kEnvelope),
            "v1,Ef8gh8oDvbZ1pICcs6qHeHCJpx9Xr4hYokoBboiyoKs=");
  // Each signed part matters.
  const auto base = standard_webhooks_signature(s, "evt_1", 1700000000, kEnvelope);
  EXPECT_NE(standard_webhooks_signature(s, "evt_2", 1700000000, kEnvelope), base);
  EXPECT_NE(standard_webhooks_signature(s, "evt_1", 1700000001, kEnvelope), base);
  EXPECT_NE(standard_webhooks_signature(s, "evt_1", 1700000000, R"({"id":"evt_1"})"), base);
}

TEST(Signing, KomboKeysWithTheWholeSecretStringAndUsesUnpaddedBase64url) {
  EXPECT_EQ(kombo_signature(kSpecSecret, kSpecBody), "gOyKic480iEzoQZsrstNBP6nRnZXyFFNcX7ELDilyUw");
  // This one contains '_' where standard base64 would have '/': the URL-safe alphabet is used.
  EXPECT_EQ(kombo_signature(kSpecSecret, kEnvelope), "5c5d2KxkGOxhcHsnC_JTcUttzU9bzyADOrhN0g7Tm5U");
  EXPECT_EQ(kombo_signature(kOtherSecret, kEnvelope), "xrGbWimRDQv6KAP2CjdVb0QwV8t2zf_joqa4yEg3zU4");
  // Keyed with the decoded secret would be a different value.
  auto decoded = crypto::base64_decode(kSpecSecret.substr(6));
  ASSERT_TRUE(decoded);
  EXPECT_NE(kombo_signature(kSpecSecret, kSpecBody),
            crypto::base64url_encode_nopad(crypto::hmac_sha256(*decoded, kSpecBody)));
}

TEST(Signing, RotationSignsWithEverySecretInOrder) {
  const std::string first = "v1,Ef8gh8oDvbZ1pICcs6qHeHCJpx9Xr4hYokoBboiyoKs=";
  const std::string second = "v1,82ij9okfnXZAeFITa9vwqb+pieAKc0kcB01VpdWnMX8=";
  EXPECT_EQ(standard_webhooks_signature(secrets({kSpecSecret, kOtherSecret}), "evt_1", 1700000000, kEnvelope),
            first + " " + second);
  EXPECT_EQ(standard_webhooks_signature(secrets({kOtherSecret, kSpecSecret}), "evt_1", 1700000000, kEnvelope),
            second + " " + first);
}

TEST(Signing, MalformedSecretsAreSkipped) {
  const auto good = standard_webhooks_signature(secrets({kSpecSecret}), kSpecId, kSpecTimestamp, kSpecBody);
  for (std::string_view bad :
       {"", "whsec_", "whsec_!!!notbase64!!!", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}) {
    SCOPED_TRACE(std::string(bad));
    EXPECT_EQ(standard_webhooks_signature(secrets({bad}), kSpecId, kSpecTimestamp, kSpecBody), "");
    EXPECT_EQ(standard_webhooks_signature(secrets({bad, kSpecSecret}), kSpecId, kSpecTimestamp, kSpecBody),
              good);
    EXPECT_EQ(standard_webhooks_signature(secrets({kSpecSecret, bad}), kSpecId, kSpecTimestamp, kSpecBody),
              good);
  }
  EXPECT_EQ(standard_webhooks_signature({}, kSpecId, kSpecTimestamp, kSpecBody), "");
}

TEST(Signing, NewEndpointSecretIsWhsecOf32RandomBytes) {
  const auto a = new_endpoint_secret();
  const auto b = new_endpoint_secret();
  ASSERT_TRUE(a.starts_with("whsec_"));
  auto key = crypto::base64_decode(std::string_view(a).substr(6));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 32u);
  EXPECT_NE(a, b);
  // A fresh secret is usable for both schemes.
  EXPECT_EQ(standard_webhooks_signature({a}, "evt_1", 1, "{}").rfind("v1,", 0), 0u);
}

TEST(Signing, SignedHeadersCarryBothSchemes) {
  const auto headers = signed_headers(secrets({kSpecSecret, kOtherSecret}), "evt_1", 1700000000, kEnvelope);
  std::vector<std::string> names;
  for (const auto& h : headers)
    names.push_back(h.first);
  EXPECT_EQ(names, (std::vector<std::string>{"Content-Type", "webhook-id", "webhook-timestamp",
                                             "webhook-signature", "X-Kombo-Signature", "User-Agent"}));
  EXPECT_EQ(header(headers, "Content-Type"), "application/json");
  EXPECT_EQ(header(headers, "webhook-id"), "evt_1");
  EXPECT_EQ(header(headers, "webhook-timestamp"), "1700000000");
  EXPECT_EQ(
      header(headers, "webhook-signature"),
      "v1,Ef8gh8oDvbZ1pICcs6qHeHCJpx9Xr4hYokoBboiyoKs= v1,82ij9okfnXZAeFITa9vwqb+pieAKc0kcB01VpdWnMX8=");
  // The Kombo signature uses the first (current) secret only.
  EXPECT_EQ(header(headers, "X-Kombo-Signature"), "5c5d2KxkGOxhcHsnC_JTcUttzU9bzyADOrhN0g7Tm5U");
  EXPECT_EQ(header(headers, "User-Agent"), "Tributary/0.1");
}

TEST(Signing, SignedHeadersWithoutSecretsCarryNoSignature) {
  const auto headers = signed_headers({}, "evt_1", 1700000000, kEnvelope);
  EXPECT_EQ(header(headers, "webhook-signature"), "<missing>");
  EXPECT_EQ(header(headers, "X-Kombo-Signature"), "<missing>");
  EXPECT_EQ(header(headers, "webhook-id"), "evt_1");
}

}  // namespace
}  // namespace tributary::delivery
