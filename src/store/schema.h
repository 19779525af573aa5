// Schema migrations, one ordered list per backend. `migrate` applies the missing ones in a transaction each;
// `check_schema` refuses a database whose schema is newer than this binary knows (a newer node migrated it).
// Thread-safety: call from one thread at start-up.
#pragma once

#include "store/database.h"

namespace tributary::store {

int latest_schema_version();
Result<int> current_schema_version(Connection& conn);
Status migrate(Connection& conn);
Status check_schema(Connection& conn);  // ok when current == latest

}  // namespace tributary::store
