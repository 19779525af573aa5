// The master key a node starts with, held against the database it starts on. The database keeps the key's
// check value (store/settings_repo.h): a node whose key does not match refuses to start, with a message that
// says what to do, instead of starting with secrets it cannot open (deliveries unsigned, every webhook
// refused). The key comes from `master_key`, else from the key file; a key file is generated only for a
// database that holds no secrets yet. Thread-safety: called once at start-up.
#pragma once

#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "store/database.h"

namespace tributary::app {

// `database` names the database in messages (Database::describe(), never a password).
Result<SecretBox> open_master_key(const Config& config, store::Connection& conn, const std::string& database);

// Binds every value sealed before values were bound to their place (core/secret_box.h) to where it is
// stored, each with a compare-and-set, so nodes starting at once and API calls meanwhile are safe. Returns
// how many it bound; after the first start of this version there are none. Values it cannot open are left
// as they are, and counted in the log.
Result<int> bind_sealed_values(store::Connection& conn, const SecretBox& box);

// A warning when the key file can be read or written by users other than its owner (mode beyond 0600).
std::optional<std::string> key_file_warning(const std::string& path);

}  // namespace tributary::app
