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

  // Where a sealed value is stored: its table, column and row. A value is bound to its place (the AES-GCM
  // associated data), so one copied elsewhere — another endpoint's secret, or a tool's credentials put where
  // an endpoint's secret is read back — does not open.
  struct Place {
    std::string_view table;
    std::string_view column;
    std::string_view row;
  };
  static Place credentials_of(std::string_view integration_id) {
    return {"integrations", "credentials", integration_id};
  }
  static Place secret_of(std::string_view table, std::string_view row) { return {table, "secret", row}; }

  std::string seal(std::string_view plaintext, const Place& place) const;
  // nullopt when the ciphertext was tampered with, sealed under another key, or sealed for another place.
  std::optional<std::string> open(std::string_view sealed, const Place& place) const;
  // Whether `sealed` carries the mark of a value bound to its place (one sealed before places existed does
  // not).
  static bool is_bound(std::string_view sealed);
  // A value sealed before places existed. Only for the start-up check of the key and the re-sealing that
  // binds every such value to where it is (app/master_key.h); open() refuses them.
  std::optional<std::string> open_unbound(std::string_view sealed) const;

  // Secrets retired by rotations (an endpoint's, a subscription's) stay in force for an overlap each, however
  // often the secret is rotated meanwhile. They are sealed together in one value (the previous_secret
  // column), a JSON list of {"secret", "until"}, with the latest end beside it (previous_secret_until). A
  // value sealed before lists existed holds one secret, in force until `until`.
  struct Retired {
    std::string sealed;
    std::int64_t until = 0;  // unix ms: the latest end of the secrets in it
  };
  // After a rotation at `now` of the secret of row `row` of `table` (endpoints, subscriptions): the current
  // secret (sealed) retired until now + overlap, together with the retired secrets still in force. nullopt
  // when there is none. A value that cannot be opened is left out.
  std::optional<Retired> retire(std::string_view table, std::string_view row,
                                const std::optional<std::string>& current,
                                const std::optional<std::string>& retired, std::optional<std::int64_t> until,
                                std::int64_t now, std::int64_t overlap) const;
  // The retired secrets in force at `now`, opened (newest first); nullopt when the value cannot be opened.
  std::optional<std::vector<std::string>> retired_in_force(std::string_view table, std::string_view row,
                                                           const std::optional<std::string>& retired,
                                                           std::optional<std::int64_t> until,
                                                           std::int64_t now) const;

 private:
  std::string key_;
};

}  // namespace tributary
