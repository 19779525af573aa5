// The PostgreSQL backend of the Database seam (private to store/: other code goes through open_database()).
// Each connect() opens its own libpq connection; statements are prepared once per connection (cached by SQL
// text) and run with text parameters (blobs as binary BYTEA parameters) and text results, converted by column
// type. Transactions are READ COMMITTED. Errors never carry parameter values or the password.
// Thread-safety: PostgresDatabase is safe to share; each connection is used by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/database.h"

namespace tributary::store {

// Opens a PostgreSQL database from a libpq URL ("postgres://user[:password]@host[:port]/dbname[?params]",
// "postgresql://" too). Opens one connection up front so a wrong URL or an unreachable server fails here, at
// start-up, with kUnavailable.
Result<std::unique_ptr<Database>> open_postgres_database(const std::string& url);

}  // namespace tributary::store
