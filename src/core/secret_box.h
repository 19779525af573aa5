// SecretBox seals secrets at rest (tool credentials, subscription secrets, endpoint secrets) with AES-256-GCM
// under the master key. The master key comes from configuration (base64 of 32 bytes) or a key file created
// with mode 0600 on first start. Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace tributary {

class SecretBox {
 public:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  // From `master_key` (base64) when given, else from `key_file` (created when missing).
  static Result<SecretBox> load(const std::string& master_key_base64, const std::string& key_file);

  std::string seal(std::string_view plaintext) const;
  // nullopt when the ciphertext was tampered with or sealed under another key.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  std::string key_;
};

}  // namespace tributary
