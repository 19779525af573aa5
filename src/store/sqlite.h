// The SQLite backend of the Database seam (private to store/: other code goes through open_database()).
// Each connect() opens its own sqlite3 handle in WAL mode with synchronous=FULL, so one Database can hand a
// connection to every thread that needs one; SQLite serialises the writers with its file lock.
// Thread-safety: SqliteDatabase is safe to share; each connection is used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/database.h"

namespace tributary::store {

// Opens (creating if needed) the SQLite database at `path`; its parent directory must exist. Opens one
// connection up front so a bad path or a file that refuses WAL fails here, at start-up.
Result<std::unique_ptr<Database>> open_sqlite_database(const std::string& path);

}  // namespace tributary::store
