// Management API keys, stored as SHA-256 hashes (hex). The plaintext key is shown once, on creation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"

namespace tributary::store::api_keys {

struct ApiKeyRow {
  std::string id;
  std::string name;
  std::string key_hash;
  Millis created_at = 0;
  std::optional<Millis> revoked_at;
};

Status insert(Connection& c, const ApiKeyRow& row);
// The active key with this hash, if any.
Result<std::optional<ApiKeyRow>> find_active(Connection& c, const std::string& key_hash);
Result<std::vector<ApiKeyRow>> list(Connection& c);
Result<std::int64_t> revoke(Connection& c, const std::string& id, Millis now);

}  // namespace tributary::store::api_keys
