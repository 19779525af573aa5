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

Result<std::optional<std::string>> get(Connection& c, std::string_view name);
// Stores `value` unless the setting exists; returns the value in force afterwards (this one, or the one
// another node stored first).
Result<std::string> put_if_absent(Connection& c, std::string_view name, const std::string& value, Millis now);

// Up to `per_table` sealed values of each sealed column (integration credentials, endpoint and subscription
// secrets): what a master key must open when no check value is stored yet.
Result<std::vector<std::string>> sealed_sample(Connection& c, int per_table);

}  // namespace tributary::store::settings
