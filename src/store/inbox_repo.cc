#include "store/inbox_repo.h"

#include <algorithm>

#include "store/value_util.h"

namespace tributary::store {
namespace {

constexpr const char* kColumns =
    "seq, id, received_at, integration_id, subscription_id, tool, method, path, headers, body, body_size, "
    "http_status, verification, outcome, reason, vendor_event, delivery_id, dedupe_key, unified_events, "
    "warnings, "
    "event_ids, processed_at, pruned_at";
constexpr int kColumnCount = 23;  // the columns above

InboxRow to_row(const Row& r) {
  InboxRow row;
  row.seq = r.int64(0);
  row.id = r.text(1);
  row.received_at = r.int64(2);
  row.integration_id = col_opt_text(r, 3);
  row.subscription_id = col_opt_text(r, 4);
  row.tool = col_opt_text(r, 5);
  row.method = r.text(6);
  row.path = r.text(7);
  row.headers = r.text(8);
  row.body = r.blob(9);
  row.body_size = r.int64(10);
  row.http_status = static_cast<int>(r.int64(11));
  row.verification = col_opt_text(r, 12);
  row.outcome = col_state(r, 13, InboxOutcome::kIgnored);
  row.reason = col_opt_text(r, 14);
  row.vendor_event = col_opt_text(r, 15);
  row.delivery_id = col_opt_text(r, 16);
  row.dedupe_key = col_opt_text(r, 17);
  row.unified_events = col_opt_text(r, 18);
  row.warnings = col_opt_text(r, 19);
  row.event_ids = col_opt_text(r, 20);
  row.processed_at = col_opt_int(r, 21);
  row.pruned_at = col_opt_int(r, 22);
  return row;
}

// Everything but our own id and outcome may carry bytes from the request (path, headers, vendor ids).
std::vector<Value> insert_params(const Connection& c, const InboxRow& row) {
  auto text = [&](const std::string& v) -> Value { return storable_text(c, v); };
  auto opt = [&](const std::optional<std::string>& v) { return storable_opt_text(c, v); };
  return {row.id,
          row.received_at,
          opt(row.integration_id),
          opt(row.subscription_id),
          opt(row.tool),
          text(row.method),
          text(row.path),
          text(row.headers),
          Blob{row.body},
          row.body_size,
          std::int64_t{row.http_status},
          opt(row.verification),
          state_value(row.outcome),
          opt(row.reason),
          opt(row.vendor_event),
          opt(row.delivery_id),
          opt(row.dedupe_key),
          opt(row.unified_events),
          opt(row.warnings),
          opt(row.event_ids),
          opt_int(row.processed_at)};
}

constexpr const char* kInsert =
    "INSERT INTO inbox (id, received_at, integration_id, subscription_id, tool, method, path, headers, body, "
    "body_size, http_status, verification, outcome, reason, vendor_event, delivery_id, dedupe_key, "
    "unified_events, warnings, event_ids, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    "$11, "
    "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

}  // namespace

namespace inbox {

namespace {

// The id of a request of the integration received since `since` whose body is `body`, if any. Candidates
// are narrowed by size in SQL and compared byte for byte here; rejected requests and pings never count.
Result<std::optional<std::string>> same_body(Connection& c, const InboxRow& row, Millis since) {
  if (!row.integration_id) return std::optional<std::string>{};
  auto rows = c.query(
      "SELECT id, body FROM inbox WHERE integration_id = $1 AND received_at >= $2 AND body_size = $3 AND "
      "outcome IN ('received', 'accepted', 'ignored') ORDER BY seq DESC",
      {*row.integration_id, since, row.body_size});
  if (!rows) return rows.error();
  for (const auto& r : *rows) {
    if (!r.is_null(1) && r.text(1) == row.body) return std::optional<std::string>{r.text(0)};
  }
  return std::optional<std::string>{};
}

}  // namespace

Result<bool> insert_received(Connection& c, InboxRow row, std::optional<Millis> same_body_since) {
  std::string why;
  if (same_body_since) {
    auto earlier = same_body(c, row, *same_body_since);
    if (!earlier) return earlier.error();
    if (*earlier) why = "the same body as " + **earlier;
  }
  if (why.empty()) {
    auto changed = c.execute(std::string(kInsert) +
                                 " ON CONFLICT (integration_id, dedupe_key) WHERE dedupe_key IS NOT NULL "
                                 "DO NOTHING",
                             insert_params(c, row));
    if (!changed) return changed.error();
    if (*changed == 1) return false;
    why = row.dedupe_key.value_or("");
  }
  row.outcome = InboxOutcome::kDuplicate;
  row.reason = "redelivery of an event already received (" + why + "): not forwarded again";
  row.dedupe_key.reset();
  row.processed_at = row.received_at;
  if (auto s = insert(c, row); !s) return s.error();
  return true;
}

Status insert(Connection& c, const InboxRow& row) {
  return done(c.execute(kInsert, insert_params(c, row)));
}

Result<std::vector<InboxRow>> pending(Connection& c, int limit) {
  return all_rows<InboxRow>(c.query(std::string("SELECT ") + kColumns +
                                        " FROM inbox WHERE outcome = 'received' AND (claimed_until IS NULL "
                                        "OR claimed_until < $2) ORDER BY seq LIMIT $1",
                                    {std::int64_t{limit}, now_ms()}),
                            to_row);
}

Result<std::vector<InboxRow>> claim_pending(Connection& c, int limit, Millis now, Millis claimed_until) {
  // The subquery walks the partial index of received rows in seq order. On PostgreSQL FOR UPDATE SKIP LOCKED
  // passes over rows a concurrent claim holds, and re-checks the condition on rows changed since the
  // statement began, so two nodes claiming together get disjoint rows; SQLite runs one writer at a time.
  std::string sql = std::string("UPDATE inbox SET claimed_until = $3 WHERE seq IN (SELECT seq FROM inbox ") +
                    "WHERE outcome = 'received' AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY "
                    "seq LIMIT $1" +
                    (c.backend() == Backend::kPostgres ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " +
                    kColumns;
  auto rows = all_rows<InboxRow>(c.query(sql, {std::int64_t{limit}, now, claimed_until}), to_row);
  if (!rows) return rows;
  // RETURNING yields rows in no defined order: restore the order of arrival.
  std::sort(rows->begin(), rows->end(), [](const InboxRow& a, const InboxRow& b) { return a.seq < b.seq; });
  return rows;
}

Result<std::int64_t> extend_claim(Connection& c, const std::vector<std::string>& ids, Millis claimed_until,
                                  Millis extended_until) {
  if (ids.empty()) return std::int64_t{0};
  std::string sql =
      "UPDATE inbox SET claimed_until = $2 WHERE outcome = 'received' AND claimed_until = $1 AND id IN (";
  std::vector<Value> params = {claimed_until, extended_until};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    sql += (i == 0 ? "$" : ", $") + std::to_string(i + 3);
    params.emplace_back(ids[i]);
  }
  sql += ")";
  return c.execute(sql, params);
}

Status hold(Connection& c, const std::string& id, Millis until, const std::optional<std::string>& warnings) {
  return done(c.execute(
      "UPDATE inbox SET claimed_until = $2, warnings = COALESCE($3, warnings) WHERE id = $1 AND outcome = "
      "'received'",
      {id, until, storable_opt_text(c, warnings)}));
}

Result<bool> has_delivery(Connection& c, const std::string& integration_id,
                          const std::vector<std::string>& delivery_ids) {
  // The ingress keeps a vendor's delivery id as dedupe_key "id:<id>" (unique per integration, indexed).
  for (const auto& id : delivery_ids) {
    auto rows = c.query("SELECT 1 FROM inbox WHERE integration_id = $1 AND dedupe_key = $2",
                        {integration_id, "id:" + id});
    if (!rows) return rows.error();
    if (!rows->empty()) return true;
  }
  return false;
}

Status complete(Connection& c, const InboxRow& row) {
  return done(c.execute(
      "UPDATE inbox SET outcome = $2, reason = $3, unified_events = $4, warnings = $5, event_ids = $6, "
      "processed_at = $7, claimed_until = NULL WHERE id = $1",
      {row.id, state_value(row.outcome), storable_opt_text(c, row.reason),
       storable_opt_text(c, row.unified_events), storable_opt_text(c, row.warnings),
       storable_opt_text(c, row.event_ids), opt_int(row.processed_at)}));
}

Result<bool> complete_received(Connection& c, const InboxRow& row) {
  auto changed = c.execute(
      "UPDATE inbox SET outcome = $2, reason = $3, unified_events = $4, warnings = $5, event_ids = $6, "
      "processed_at = $7, claimed_until = NULL WHERE id = $1 AND outcome = 'received'",
      {row.id, state_value(row.outcome), storable_opt_text(c, row.reason),
       storable_opt_text(c, row.unified_events), storable_opt_text(c, row.warnings),
       storable_opt_text(c, row.event_ids), opt_int(row.processed_at)});
  if (!changed) return changed.error();
  return *changed > 0;
}

Result<std::int64_t> release_all_claims(Connection& c) {
  return c.execute(
      "UPDATE inbox SET claimed_until = NULL WHERE outcome = 'received' AND claimed_until IS NOT NULL");
}

Result<std::optional<InboxRow>> get(Connection& c, const std::string& id) {
  return first_row<InboxRow>(c.query(std::string("SELECT ") + kColumns + " FROM inbox WHERE id = $1", {id}),
                             to_row);
}

Result<std::int64_t> prune_bodies(Connection& c, Millis before, int limit, Millis now) {
  // The subquery walks the partial index of unpruned rows by time, so a pass finds the old rows without
  // reading the young ones; on PostgreSQL SKIP LOCKED passes over rows a processor holds right now.
  const std::string sql =
      std::string(
          "UPDATE inbox SET body = NULL, headers = '[]', pruned_at = $3 WHERE seq IN (SELECT seq FROM inbox "
          "WHERE pruned_at IS NULL AND received_at < $1 AND outcome <> 'received' ORDER BY received_at "
          "LIMIT $2") +
      (c.backend() == Backend::kPostgres ? " FOR UPDATE SKIP LOCKED" : "") + ")";
  return c.execute(sql, {before, std::int64_t{limit}, now});
}

Result<std::vector<InboxRow>> list(Connection& c, const InboxFilter& f) {
  // One statement for every filter combination: a NULL parameter disables its condition, so the statement is
  // prepared once and cached. The CASTs give PostgreSQL a type for a parameter that is NULL when the
  // statement is prepared (it cannot infer one from `$1 IS NULL`); SQLite takes them as they are. Lists carry
  // no bodies (NULL in the body column); GET /v1/logs/upstream/{id} has it.
  // with_failed_deliveries selects the requests whose downstream events have a delivery that failed (every
  // retry used), counted per row in failed_deliveries.
  std::string columns = kColumns;
  columns.replace(columns.find(" body,"), 6, " NULL,");
  const std::string failed =
      "(SELECT COUNT(*) FROM events e JOIN deliveries d ON d.event_id = e.id "
      "WHERE e.inbox_id = inbox.id AND d.status = 'failed')";
  std::string sql =
      "SELECT " + columns + ", " + failed +
      " FROM inbox WHERE (CAST($1 AS TEXT) IS NULL OR integration_id = $1) "
      "AND (CAST($2 AS TEXT) IS NULL OR tool = $2) AND (CAST($3 AS TEXT) IS NULL OR outcome = $3) "
      "AND ($8 = 0 OR " +
      failed +
      " > 0) "
      "AND (CAST($4 AS BIGINT) IS NULL OR received_at >= $4) "
      "AND (CAST($5 AS BIGINT) IS NULL OR received_at < $5) "
      "AND (CAST($6 AS BIGINT) IS NULL OR seq < $6) ORDER BY seq DESC LIMIT $7";
  auto rows = c.query(
      sql, {opt_text(f.integration_id), opt_text(f.tool),
            f.outcome ? state_value(*f.outcome) : Value{nullptr}, opt_int(f.since), opt_int(f.until),
            opt_int(f.before_seq), std::int64_t{f.limit}, std::int64_t{f.with_failed_deliveries ? 1 : 0}});
  return all_rows<InboxRow>(std::move(rows), [](const Row& r) {
    InboxRow row = to_row(r);
    row.failed_deliveries = r.int64(kColumnCount);
    return row;
  });
}

// Both walk the partial index of received rows (inbox_pending).
Result<Waiting> waiting(Connection& c, const std::string& integration_id) {
  auto rows = c.query(
      "SELECT count(*), min(received_at) FROM inbox WHERE outcome = 'received' AND "
      "integration_id = $1",
      {integration_id});
  if (!rows) return rows.error();
  Waiting w;
  if (rows->empty()) return w;
  w.count = rows->front().int64(0);
  if (w.count > 0 && !rows->front().is_null(1)) w.oldest_received_at = rows->front().int64(1);
  return w;
}

Result<std::map<std::string, Waiting>> waiting_by_integration(Connection& c) {
  auto rows = c.query(
      "SELECT integration_id, count(*), min(received_at) FROM inbox WHERE outcome = 'received' GROUP BY "
      "integration_id");
  if (!rows) return rows.error();
  std::map<std::string, Waiting> out;
  for (const auto& r : *rows)
    out[r.text(0)] = Waiting{r.int64(1), r.is_null(2) ? std::nullopt : std::optional<Millis>(r.int64(2))};
  return out;
}

}  // namespace inbox
}  // namespace tributary::store
