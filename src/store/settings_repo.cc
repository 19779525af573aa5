#include "store/settings_repo.h"

#include <algorithm>
#include <array>
#include <limits>

#include "store/value_util.h"

namespace tributary::store::settings {

Result<std::optional<std::string>> get(Connection& c, std::string_view name) {
  auto rows = c.query("SELECT value FROM settings WHERE name = $1", {std::string(name)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows->front().text(0));
}

Result<std::string> put_if_absent(Connection& c, std::string_view name, const std::string& value,
                                  Millis now) {
  // ON CONFLICT DO NOTHING: of nodes storing the setting at once, the first wins and the others read its
  // value.
  auto ins = c.execute(
      "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
      {std::string(name), value, now});
  if (!ins) return ins.error();
  auto got = get(c, name);
  if (!got) return got.error();
  if (!*got) return make_error(ErrorKind::kInternal, "setting " + std::string(name) + " was not stored");
  return **got;
}

Status put(Connection& c, std::string_view name, const std::string& value, Millis now) {
  auto upserted = c.execute(
      "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
      "value = excluded.value, updated_at = excluded.updated_at",
      {std::string(name), value, now});
  if (!upserted) return upserted.error();
  return {};
}

namespace {

struct SealedColumn {
  std::string_view table;
  std::string_view column;
};

// Every column that holds sealed values; the names are ours, never a caller's.
constexpr std::array<SealedColumn, 5> kSealedColumns = {{{"integrations", "credentials"},
                                                         {"subscriptions", "secret"},
                                                         {"subscriptions", "previous_secret"},
                                                         {"endpoints", "secret"},
                                                         {"endpoints", "previous_secret"}}};

}  // namespace

Result<std::vector<SealedValue>> sealed_values(Connection& c, std::optional<int> per_column) {
  std::vector<SealedValue> out;
  for (const auto& [table, column] : kSealedColumns) {
    const std::string sql = "SELECT id, " + std::string(column) + " FROM " + std::string(table) + " WHERE " +
                            std::string(column) + " IS NOT NULL ORDER BY id LIMIT $1";
    auto rows = c.query(sql, {std::int64_t{per_column.value_or(std::numeric_limits<int>::max())}});
    if (!rows) return rows.error();
    for (const auto& r : *rows)
      out.push_back(SealedValue{std::string(table), std::string(column), r.text(0), r.blob(1)});
  }
  return out;
}

Result<bool> replace_sealed(Connection& c, const SealedValue& was, const std::string& value) {
  const auto known = std::find_if(kSealedColumns.begin(), kSealedColumns.end(), [&](const SealedColumn& s) {
    return s.table == was.table && s.column == was.column;
  });
  if (known == kSealedColumns.end())
    return make_error(ErrorKind::kInvalidArgument, "not a sealed column: " + was.table + "." + was.column);
  const std::string sql =
      "UPDATE " + was.table + " SET " + was.column + " = $1 WHERE id = $2 AND " + was.column + " = $3";
  auto changed = c.execute(sql, {Blob{value}, was.row_id, Blob{was.value}});
  if (!changed) return changed.error();
  return *changed == 1;
}

}  // namespace tributary::store::settings
