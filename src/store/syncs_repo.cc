#include "store/syncs_repo.h"

#include "core/ids.h"
#include "store/value_util.h"

namespace tributary::store {
namespace {

constexpr const char* kColumns =
    "seq, id, integration_id, type, state, queued_at, started_at, ended_at, created, updated, deleted, "
    "unchanged, errors, claimed_by, claimed_until, confirm_deletions";

SyncRow to_sync(const Row& r) {
  SyncRow row;
  row.seq = r.int64(0);
  row.id = r.text(1);
  row.integration_id = r.text(2);
  row.type = r.text(3);
  row.state = col_state(r, 4, SyncState::kFailed);
  row.queued_at = r.int64(5);
  row.started_at = col_opt_int(r, 6);
  row.ended_at = col_opt_int(r, 7);
  row.created = r.int64(8);
  row.updated = r.int64(9);
  row.deleted = r.int64(10);
  row.unchanged = r.int64(11);
  row.errors = r.text(12);
  row.claimed_by = col_opt_text(r, 13);
  row.claimed_until = col_opt_int(r, 14);
  row.confirm_deletions = r.int64(15) != 0;
  return row;
}

Result<std::optional<SyncRow>> queued_for(Connection& c, const std::string& integration_id) {
  return first_row<SyncRow>(c.query(std::string("SELECT ") + kColumns +
                                        " FROM syncs WHERE integration_id = $1 AND state = 'QUEUED'",
                                    {integration_id}),
                            to_sync);
}

Result<std::optional<Millis>> optional_millis(Result<std::vector<Row>> rows) {
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().is_null(0)) return std::optional<Millis>{};
  return std::optional<Millis>(rows->front().int64(0));
}

}  // namespace

namespace syncs {

Result<QueuedSync> queue(Connection& c, const std::string& integration_id, std::string_view type, Millis now,
                         bool confirm_deletions) {
  if (type != kSyncFull && type != kSyncDelta)
    return make_error(ErrorKind::kInvalidArgument, "sync type must be FULL or DELTA");
  if (confirm_deletions && type != kSyncFull)
    return make_error(ErrorKind::kInvalidArgument, "only a FULL sync confirms deletions");
  // A queued sync claimed between the insert and the read leaves none queued: then insert again (bounded).
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto inserted = first_row<SyncRow>(
        c.query(
            std::string("INSERT INTO syncs (id, integration_id, type, state, queued_at, confirm_deletions) "
                        "VALUES ($1, $2, $3, 'QUEUED', $4, $5) ON CONFLICT (integration_id) WHERE state = "
                        "'QUEUED' DO NOTHING RETURNING ") +
                kColumns,
            {new_id("sync"), integration_id, std::string(type), now,
             static_cast<std::int64_t>(confirm_deletions ? 1 : 0)}),
        to_sync);
    if (!inserted) return inserted.error();
    if (*inserted) return QueuedSync{false, std::move(**inserted)};
    auto existing = queued_for(c, integration_id);
    if (!existing) return existing.error();
    if (!*existing) continue;
    if (type == kSyncFull && (*existing)->type != kSyncFull) {
      auto up =
          c.execute("UPDATE syncs SET type = 'FULL' WHERE id = $1 AND state = 'QUEUED'", {(*existing)->id});
      if (!up) return up.error();
      if (*up > 0) (*existing)->type = std::string(kSyncFull);
    }
    if (confirm_deletions && !(*existing)->confirm_deletions) {
      auto up = c.execute("UPDATE syncs SET confirm_deletions = 1 WHERE id = $1 AND state = 'QUEUED'",
                          {(*existing)->id});
      if (!up) return up.error();
      if (*up > 0) (*existing)->confirm_deletions = true;
    }
    return QueuedSync{true, std::move(**existing)};
  }
  return make_error(ErrorKind::kConflict, "could not queue a sync: the queue kept changing");
}

Result<std::optional<SyncRow>> claim_next(Connection& c, const std::string& node, Millis now,
                                          Millis lease_until) {
  const bool pg = c.backend() == Backend::kPostgres;
  const std::string due =
      "(s.state = 'QUEUED' AND s.queued_at <= $1 AND NOT EXISTS (SELECT 1 FROM syncs r WHERE "
      "r.integration_id "
      "= s.integration_id AND r.state = 'RUNNING')) OR (s.state = 'RUNNING' AND s.claimed_until < $1)";
  const std::string sql =
      "UPDATE syncs SET state = 'RUNNING', started_at = $1, claimed_by = $2, claimed_until = $3 WHERE id = "
      "(SELECT s.id FROM syncs s WHERE " +
      due + " ORDER BY s.queued_at, s.seq LIMIT 1" + (pg ? " FOR UPDATE SKIP LOCKED" : "") +
      ") AND (state = 'QUEUED' OR (state = 'RUNNING' AND claimed_until < $1)) RETURNING " + kColumns;
  return first_row<SyncRow>(c.query(sql, {now, node, lease_until}), to_sync);
}

Result<bool> heartbeat(Connection& c, const SyncRow& row, Millis lease_until) {
  auto n = c.execute(
      "UPDATE syncs SET claimed_until = $3, created = $4, updated = $5, deleted = $6, unchanged = $7, "
      "errors = $8 WHERE id = $1 AND claimed_by = $2 AND state = 'RUNNING'",
      {row.id, row.claimed_by.value_or(""), lease_until, row.created, row.updated, row.deleted, row.unchanged,
       storable_text(c, row.errors)});
  if (!n) return n.error();
  return *n > 0;
}

Result<std::int64_t> release_all_running(Connection& c) {
  return c.execute("UPDATE syncs SET claimed_until = 0 WHERE state = 'RUNNING'");
}

Result<bool> finish(Connection& c, const SyncRow& row) {
  auto n = c.execute(
      "UPDATE syncs SET state = $3, ended_at = $4, created = $5, updated = $6, deleted = $7, unchanged = $8, "
      "errors = $9, claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND state = 'RUNNING'",
      {row.id, row.claimed_by.value_or(""), state_value(row.state), opt_int(row.ended_at), row.created,
       row.updated, row.deleted, row.unchanged, storable_text(c, row.errors)});
  if (!n) return n.error();
  if (*n == 0) return false;
  if (row.state == SyncState::kSucceeded || row.state == SyncState::kPartiallyFailed) {
    auto up = c.execute(
        "UPDATE integrations SET first_sync_succeeded_at = $2 WHERE id = $1 AND first_sync_succeeded_at IS "
        "NULL",
        {row.integration_id, row.ended_at.value_or(now_ms())});
    if (!up) return up.error();
  }
  return true;
}

Result<std::optional<SyncRow>> get(Connection& c, const std::string& id) {
  return first_row<SyncRow>(c.query(std::string("SELECT ") + kColumns + " FROM syncs WHERE id = $1", {id}),
                            to_sync);
}

Result<std::vector<SyncRow>> list_for_integration(Connection& c, const std::string& integration_id,
                                                  std::optional<std::int64_t> before_seq, int limit) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM syncs WHERE integration_id = $1";
  std::vector<Value> params = {integration_id};
  if (before_seq) {
    params.emplace_back(*before_seq);
    sql += " AND seq < $2";
  }
  params.emplace_back(static_cast<std::int64_t>(limit));
  sql += " ORDER BY seq DESC LIMIT $" + std::to_string(params.size());
  return all_rows<SyncRow>(c.query(sql, params), to_sync);
}

Status set_next_sync_at(Connection& c, const std::string& integration_id, std::optional<Millis> at) {
  return done(
      c.execute("UPDATE integrations SET next_sync_at = $2 WHERE id = $1", {integration_id, opt_int(at)}));
}

Result<std::optional<Millis>> next_sync_at(Connection& c, const std::string& integration_id) {
  return optional_millis(c.query("SELECT next_sync_at FROM integrations WHERE id = $1", {integration_id}));
}

Result<std::optional<Millis>> first_succeeded_at(Connection& c, const std::string& integration_id) {
  return optional_millis(
      c.query("SELECT first_sync_succeeded_at FROM integrations WHERE id = $1", {integration_id}));
}

Result<std::optional<Millis>> last_succeeded_start(Connection& c, const std::string& integration_id) {
  return optional_millis(
      c.query("SELECT MAX(started_at) FROM syncs WHERE integration_id = $1 AND state = 'SUCCEEDED'",
              {integration_id}));
}

Result<std::vector<DueSchedule>> due(Connection& c, Millis now, int limit) {
  auto rows = c.query(
      "SELECT id, next_sync_at FROM integrations WHERE deleted_at IS NULL AND next_sync_at IS NOT NULL AND "
      "next_sync_at <= $1 ORDER BY next_sync_at LIMIT $2",
      {now, static_cast<std::int64_t>(limit)});
  return all_rows<DueSchedule>(std::move(rows), [](const Row& r) {
    return DueSchedule{r.text(0), r.int64(1)};
  });
}

Result<bool> advance(Connection& c, const std::string& integration_id, Millis expected, Millis next) {
  auto n = c.execute("UPDATE integrations SET next_sync_at = $3 WHERE id = $1 AND next_sync_at = $2",
                     {integration_id, expected, next});
  if (!n) return n.error();
  return *n > 0;
}

Result<std::optional<Millis>> earliest_due(Connection& c) {
  return optional_millis(c.query(
      "SELECT MIN(next_sync_at) FROM integrations WHERE deleted_at IS NULL AND next_sync_at IS NOT NULL"));
}

}  // namespace syncs

}  // namespace tributary::store
