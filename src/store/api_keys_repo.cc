#include "store/api_keys_repo.h"

#include "store/value_util.h"

namespace tributary::store::api_keys {
namespace {

ApiKeyRow to_row(const Row& r) {
  return ApiKeyRow{r.text(0), r.text(1), r.text(2), r.int64(3), col_opt_int(r, 4)};
}

}  // namespace

Status insert(Connection& c, const ApiKeyRow& row) {
  return done(c.execute("INSERT INTO api_keys (id, name, key_hash, created_at) VALUES ($1, $2, $3, $4)",
                        {row.id, row.name, row.key_hash, row.created_at}));
}

Result<std::optional<ApiKeyRow>> find_active(Connection& c, const std::string& key_hash) {
  return first_row<ApiKeyRow>(c.query("SELECT id, name, key_hash, created_at, revoked_at FROM api_keys "
                                      "WHERE key_hash = $1 AND revoked_at IS NULL",
                                      {key_hash}),
                              to_row);
}

Result<std::vector<ApiKeyRow>> list(Connection& c) {
  return all_rows<ApiKeyRow>(
      c.query("SELECT id, name, key_hash, created_at, revoked_at FROM api_keys ORDER BY created_at"), to_row);
}

Result<std::int64_t> revoke(Connection& c, const std::string& id, Millis now) {
  return c.execute("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", {id, now});
}

}  // namespace tributary::store::api_keys
