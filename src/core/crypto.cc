#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <limits>
#include <memory>
#include <stdexcept>

namespace tributary::crypto {
namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out.data(), &len);
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    unsigned v =
        (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::optional<std::string> b64_decode(std::string_view text, std::string_view alphabet, bool padded) {
  std::array<int, 256> rev{};
  rev.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    rev[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  std::size_t data_len = text.size();
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    while (data_len > 0 && text[data_len - 1] == '=' && text.size() - data_len < 2)
      --data_len;
  } else if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(data_len * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    int v = rev[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero (canonical encoding), otherwise the text was not produced by an encoder.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  if (padded && (text.size() - data_len) != (4 - data_len % 4) % 4) return std::nullopt;
  return out;
}

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
  return hmac(EVP_sha256(), key, message);
}
std::string hmac_sha512(std::string_view key, std::string_view message) {
  return hmac(EVP_sha512(), key, message);
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return b64_encode(bytes, kB64, true);
}
std::optional<std::string> base64_decode(std::string_view text) {
  return b64_decode(text, kB64, true);
}
std::string base64url_encode_nopad(std::string_view bytes) {
  return b64_encode(bytes, kB64Url, false);
}
std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  return b64_decode(text, kB64Url, false);
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // the process cannot work safely without randomness
  }
  return out;
}

std::string random_token(std::size_t n) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  // Rejection sampling keeps the distribution uniform over 62 symbols.
  while (out.size() < n) {
    for (unsigned char c : random_bytes(n * 2)) {
      if (c < 248 && out.size() < n) out += kAlphabet[c % 62];
    }
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

// Feeds the associated data to an initialised encryption or decryption (no output buffer: AAD only).
bool add_associated(EVP_CIPHER_CTX* ctx, std::string_view associated, bool encrypting) {
  if (associated.empty()) return true;
  if (associated.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  int len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(associated.data());
  const int size = static_cast<int>(associated.size());
  return (encrypting ? EVP_EncryptUpdate(ctx, nullptr, &len, data, size)
                     : EVP_DecryptUpdate(ctx, nullptr, &len, data, size)) == 1;
}

}  // namespace

std::string seal(std::string_view key, std::string_view plaintext, std::string_view associated) {
  if (key.size() != 32) throw std::invalid_argument("AES-256-GCM key must be 32 bytes");
  if (plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) - 16)
    throw std::invalid_argument("AES-256-GCM plaintext too large");
  std::string nonce = random_bytes(12);
  std::string out = nonce;
  out.resize(12 + plaintext.size() + 16);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + 12);
  int len = 0;
  int fin = 0;
  // Each step is checked: a sealed value that silently holds garbage would be a secret lost for good. These
  // fail only when OpenSSL itself cannot work (no memory, a broken provider), so the failure is an exception.
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      add_associated(ctx.get(), associated, true) &&
      EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &fin) == 1 &&
      static_cast<std::size_t>(len + fin) == plaintext.size() &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + 12 + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> open(std::string_view key, std::string_view sealed, std::string_view associated) {
  if (key.size() != 32 || sealed.size() < 28 ||
      sealed.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return std::nullopt;
  std::string_view nonce = sealed.substr(0, 12);
  std::string_view body = sealed.substr(12, sealed.size() - 28);
  std::string tag(sealed.substr(sealed.size() - 16));
  std::string out(body.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int fin = 0;
  // Any failed step — not only the tag check in the final one — means no plaintext.
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      add_associated(ctx.get(), associated, false) &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                        reinterpret_cast<const unsigned char*>(body.data()),
                        static_cast<int>(body.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) == 1 &&
      static_cast<std::size_t>(len + fin) == body.size();
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace tributary::crypto
