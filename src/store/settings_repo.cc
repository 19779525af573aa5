#include "store/settings_repo.h"

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

Result<std::vector<std::string>> sealed_sample(Connection& c, int per_table) {
  std::vector<std::string> out;
  for (std::string_view sql :
       {"SELECT credentials FROM integrations LIMIT $1", "SELECT secret FROM endpoints LIMIT $1",
        "SELECT secret FROM subscriptions WHERE secret IS NOT NULL LIMIT $1"}) {
    auto rows = c.query(sql, {std::int64_t{per_table}});
    if (!rows) return rows.error();
    for (const auto& r : *rows)
      out.push_back(r.blob(0));
  }
  return out;
}

}  // namespace tributary::store::settings
