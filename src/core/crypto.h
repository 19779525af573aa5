// Cryptographic helpers over OpenSSL 3: HMAC, SHA-2, encodings, randomness, constant-time comparison and
// AES-256-GCM for secrets at rest. All functions are thread-safe and take/return byte strings (std::string).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tributary::crypto {

std::string hmac_sha256(std::string_view key, std::string_view message);
std::string hmac_sha512(std::string_view key, std::string_view message);
std::string sha256(std::string_view data);

std::string hex_encode(std::string_view bytes);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view hex);
std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; nullopt on any malformed input (wrong length, bad character, bad padding).
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode_nopad(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

std::string random_bytes(std::size_t n);
// n random characters from [A-Za-z0-9]; used for identifiers and URL tokens.
std::string random_token(std::size_t n);

// Constant-time equality: the time taken depends only on the lengths, never on where the inputs differ.
// Every comparison of a secret, token, signature or API key must go through this function.
bool constant_time_equal(std::string_view a, std::string_view b);

// AES-256-GCM with a random 96-bit nonce. Output: nonce || ciphertext || tag. `key` must be 32 bytes.
// `associated` is authenticated, not encrypted: open() needs the same bytes.
std::string seal(std::string_view key, std::string_view plaintext, std::string_view associated = {});
std::optional<std::string> open(std::string_view key, std::string_view sealed,
                                std::string_view associated = {});

}  // namespace tributary::crypto
