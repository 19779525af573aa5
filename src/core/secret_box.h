// SecretBox seals secrets at rest (tool credentials, subscription secrets, endpoint secrets) with AES-256-GCM
// under the master key. The master key comes from configuration (base64 of 32 bytes) or a key file created
// with mode 0600 on first start; which of them a node uses, and whether it matches the database's, is decided
// at start-up (app/master_key.h). Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tributary {

class SecretBox {
 public:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  // The key given as base64 of 32 bytes; `what` names where it came from, for the error message.
  static Result<SecretBox> from_base64(std::string_view text, const std::string& what);
  // The key in an existing key file (base64 of 32 bytes and an optional line end). An error when it is
  // missing.
  static Result<SecretBox> read_key_file(const std::string& path);
  // A new random key, written to `path` with mode 0600; an error when the file exists already.
  static Result<SecretBox> create_key_file(const std::string& path);

  // The key check value: HMAC-SHA256 of a fixed label under the key, hex. It identifies the key without
  // revealing it, so the database can hold it and a node with another key can be told so at start-up.
  std::string check_value() const;

  std::string seal(std::string_view plaintext) const;
  // nullopt when the ciphertext was tampered with or sealed under another key.
  std::optional<std::string> open(std::string_view sealed) const;

  // Secrets retired by rotations (an endpoint's, a subscription's) stay in force for an overlap each, however
  // often the secret is rotated meanwhile. They are sealed together in one value (the previous_secret
  // column), a JSON list of {"secret", "until"}, with the latest end beside it (previous_secret_until). A
  // value sealed before lists existed holds one secret, in force until `until`.
  struct Retired {
    std::string sealed;
    std::int64_t until = 0;  // unix ms: the latest end of the secrets in it
  };
  // After a rotation at `now`: the current secret (sealed) retired until now + overlap, together with the
  // retired secrets still in force. nullopt when there is none. A value that cannot be opened is left out.
  std::optional<Retired> retire(const std::optional<std::string>& current,
                                const std::optional<std::string>& retired, std::optional<std::int64_t> until,
                                std::int64_t now, std::int64_t overlap) const;
  // The retired secrets in force at `now`, opened (newest first); nullopt when the value cannot be opened.
  std::optional<std::vector<std::string>> retired_in_force(const std::optional<std::string>& retired,
                                                           std::optional<std::int64_t> until,
                                                           std::int64_t now) const;

 private:
  std::string key_;
};

}  // namespace tributary
