// Settings: named values every node of one database shares (the master key's check value), and the sample of
// sealed secrets by which a database set up before the check value existed is matched against a key.
// Thread-safety: functions of one connection; call from the thread that holds it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"

namespace tributary::store::settings {

inline constexpr std::string_view kMasterKeyCheck = "master_key_check";
// Written by the writer's storage probe while the database refuses writes (store/writer.h): when it was last
// written, by whom.
inline constexpr std::string_view kStorageProbe = "storage_probe";

Result<std::optional<std::string>> get(Connection& c, std::string_view name);
// Stores `value` unless the setting exists; returns the value in force afterwards (this one, or the one
// another node stored first).
Result<std::string> put_if_absent(Connection& c, std::string_view name, const std::string& value, Millis now);

// A sealed value (core/secret_box.h) and where it is stored.
struct SealedValue {
  std::string table;
  std::string column;
  std::string row_id;
  std::string value;
};

// Stores `value`, replacing what the setting held.
Status put(Connection& c, std::string_view name, const std::string& value, Millis now);

// The sealed values of every sealed column (integration credentials; subscription and endpoint secrets and
// retired secrets), up to `per_column` of each (all of them when nullopt).
Result<std::vector<SealedValue>> sealed_values(Connection& c, std::optional<int> per_column);
// Replaces a sealed value with `value` where it is still as read (compare-and-set); false when it changed
// meanwhile.
Result<bool> replace_sealed(Connection& c, const SealedValue& was, const std::string& value);

}  // namespace tributary::store::settings
