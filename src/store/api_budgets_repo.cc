#include "store/api_budgets_repo.h"

#include <algorithm>

#include "store/value_util.h"

namespace tributary::store::api_budgets {
namespace {

// The integration's row, created when missing, locked until the transaction ends (PostgreSQL; SQLite's
// write transaction already excludes every other writer).
Result<Millis> lock_paused_until(Connection& c, const std::string& integration_id) {
  auto made = c.execute(
      "INSERT INTO api_budgets (integration_id, paused_until) VALUES ($1, 0) ON CONFLICT (integration_id) "
      "DO NOTHING",
      {integration_id});
  if (!made) return made.error();
  auto rows = c.query(std::string("SELECT paused_until FROM api_budgets WHERE integration_id = $1") +
                          (c.backend() == Backend::kPostgres ? " FOR UPDATE" : ""),
                      {integration_id});
  if (!rows) return rows.error();
  if (rows->empty()) return make_error(ErrorKind::kInternal, "api_budgets row missing");
  return (*rows)[0].int64(0);
}

}  // namespace

Result<Millis> try_grant(Connection& c, const std::string& integration_id, int requests, Millis window_ms,
                         Millis now) {
  Millis wait = 0;
  auto status = in_transaction(c, [&]() -> Status {
    auto paused_until = lock_paused_until(c, integration_id);
    if (!paused_until) return paused_until.error();
    if (*paused_until > now) {
      wait = *paused_until - now;
      return {};
    }
    auto old = c.execute("DELETE FROM api_budget_grants WHERE integration_id = $1 AND granted_at <= $2",
                         {integration_id, now - window_ms});
    if (!old) return old.error();
    auto rows =
        c.query("SELECT granted_at FROM api_budget_grants WHERE integration_id = $1 ORDER BY granted_at",
                {integration_id});
    if (!rows) return rows.error();
    const int in_window = static_cast<int>(rows->size());
    if (in_window >= std::max(requests, 1)) {
      // The oldest grants that must leave the window before one more fits.
      const auto& last_to_leave = (*rows)[static_cast<std::size_t>(in_window - std::max(requests, 1))];
      wait = std::max<Millis>(1, last_to_leave.int64(0) + window_ms - now);
      return {};
    }
    return done(c.execute("INSERT INTO api_budget_grants (integration_id, granted_at) VALUES ($1, $2)",
                          {integration_id, now}));
  });
  if (!status) return status.error();
  return wait;
}

Status pause(Connection& c, const std::string& integration_id, Millis until) {
  return in_transaction(c, [&]() -> Status {
    auto paused_until = lock_paused_until(c, integration_id);
    if (!paused_until) return paused_until.error();
    if (*paused_until >= until) return {};
    return done(c.execute("UPDATE api_budgets SET paused_until = $2 WHERE integration_id = $1",
                          {integration_id, until}));
  });
}

Status forget(Connection& c, const std::string& integration_id) {
  if (auto s = done(c.execute("DELETE FROM api_budget_grants WHERE integration_id = $1", {integration_id}));
      !s)
    return s;
  return done(c.execute("DELETE FROM api_budgets WHERE integration_id = $1", {integration_id}));
}

}  // namespace tributary::store::api_budgets
