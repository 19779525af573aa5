#include "delivery/signing.h"

#include <optional>

#include "core/crypto.h"

namespace tributary::delivery {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::size_t kSecretBytes = 32;

// The HMAC key of a Standard Webhooks secret: the base64-decoded part after "whsec_". A secret without the
// prefix, with malformed base64 or with an empty key cannot produce a signature any receiver would accept.
std::optional<std::string> standard_webhooks_key(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
  auto key = crypto::base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->empty()) return std::nullopt;
  return key;
}

}  // namespace

std::string new_endpoint_secret() {
  return std::string(kSecretPrefix) + crypto::base64_encode(crypto::random_bytes(kSecretBytes));
}

std::string kombo_signature(std::string_view secret, std::string_view body) {
  // Kombo keys the HMAC with the secret string itself (prefix included, not decoded); receivers written
  // against Kombo's docs do exactly that, so we must too.
  return crypto::base64url_encode_nopad(crypto::hmac_sha256(secret, body));
}

std::string standard_webhooks_signature(const std::vector<std::string>& secrets, std::string_view id,
                                        std::int64_t timestamp_s, std::string_view body) {
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);

  std::string out;
  for (const auto& secret : secrets) {
    auto key = standard_webhooks_key(secret);
    if (!key) continue;
    if (!out.empty()) out += ' ';
    out += "v1,";
    out += crypto::base64_encode(crypto::hmac_sha256(*key, message));
  }
  return out;
}

HeaderList signed_headers(const std::vector<std::string>& secrets, std::string_view event_id,
                          std::int64_t timestamp_s, std::string_view body) {
  HeaderList headers;
  headers.reserve(6);
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("webhook-id", std::string(event_id));
  headers.emplace_back("webhook-timestamp", std::to_string(timestamp_s));
  // Without a usable secret there is nothing to sign with; sending an empty or made-up signature header would
  // only look like a verification failure on the receiver's side, so the header is left out instead.
  auto standard = standard_webhooks_signature(secrets, event_id, timestamp_s, body);
  if (!standard.empty()) headers.emplace_back("webhook-signature", std::move(standard));
  if (!secrets.empty()) headers.emplace_back("X-Kombo-Signature", kombo_signature(secrets.front(), body));
  headers.emplace_back("User-Agent", "Tributary/0.1");
  return headers;
}

}  // namespace tributary::delivery
