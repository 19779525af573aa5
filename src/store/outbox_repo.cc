#include "store/outbox_repo.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "store/value_util.h"

namespace tributary::store {
namespace {

constexpr const char* kEndpointColumns =
    "id, url, description, event_types, enabled, secret, previous_secret, previous_secret_until, "
    "disabled_reason, created_at, updated_at, failing_since, disabled_at, missed_since, missed_until";

EndpointRow to_endpoint(const Row& r) {
  EndpointRow row;
  row.id = r.text(0);
  row.url = r.text(1);
  row.description = r.text(2);
  row.event_types = parse_string_array(r.text(3));
  row.enabled = r.int64(4) != 0;
  row.secret = r.blob(5);
  row.previous_secret = col_opt_text(r, 6);
  row.previous_secret_until = col_opt_int(r, 7);
  row.disabled_reason = col_opt_text(r, 8);
  row.created_at = r.int64(9);
  row.updated_at = r.int64(10);
  row.failing_since = col_opt_int(r, 11);
  row.disabled_at = col_opt_int(r, 12);
  row.missed_since = col_opt_int(r, 13);
  row.missed_until = col_opt_int(r, 14);
  return row;
}

constexpr const char* kEventColumns = "seq, id, type, integration_id, inbox_id, payload, created_at";

EventRow to_event(const Row& r) {
  EventRow row;
  row.seq = r.int64(0);
  row.id = r.text(1);
  row.type = r.text(2);
  row.integration_id = col_opt_text(r, 3);
  row.inbox_id = col_opt_text(r, 4);
  row.payload = r.text(5);
  row.created_at = r.int64(6);
  return row;
}

constexpr const char* kDeliveryColumns =
    "seq, event_id, endpoint_id, status, attempts, retries, next_attempt_at, lease_until, last_status, "
    "last_error, "
    "created_at, updated_at";

DeliveryRow to_delivery(const Row& r) {
  DeliveryRow row;
  row.seq = r.int64(0);
  row.event_id = r.text(1);
  row.endpoint_id = r.text(2);
  row.status = col_state(r, 3, DeliveryStatus::kFailed);
  row.attempts = static_cast<int>(r.int64(4));
  row.retries = static_cast<int>(r.int64(5));
  row.next_attempt_at = col_opt_int(r, 6);
  row.lease_until = col_opt_int(r, 7);
  if (!r.is_null(8)) row.last_status = static_cast<int>(r.int64(8));
  row.last_error = col_opt_text(r, 9);
  row.created_at = r.int64(10);
  row.updated_at = r.int64(11);
  return row;
}

constexpr const char* kAttemptColumns =
    "seq, delivery_seq, event_id, endpoint_id, attempted_at, status_code, latency_ms, response_excerpt, "
    "error, "
    "next_retry_at";

AttemptRow to_attempt(const Row& r) {
  AttemptRow row;
  row.seq = r.int64(0);
  row.delivery_seq = r.int64(1);
  row.event_id = r.text(2);
  row.endpoint_id = r.text(3);
  row.attempted_at = r.int64(4);
  if (!r.is_null(5)) row.status_code = static_cast<int>(r.int64(5));
  row.latency_ms = r.real(6);
  row.response_excerpt = r.text(7);
  row.error = col_opt_text(r, 8);
  row.next_retry_at = col_opt_int(r, 9);
  return row;
}

}  // namespace

bool EndpointRow::wants(const std::string& type) const {
  return event_types.empty() || std::find(event_types.begin(), event_types.end(), type) != event_types.end();
}

namespace endpoints {

Status insert(Connection& c, const EndpointRow& row) {
  return done(
      c.execute("INSERT INTO endpoints (id, url, description, event_types, enabled, secret, previous_secret, "
                "previous_secret_until, disabled_reason, created_at, updated_at, disabled_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                {row.id, row.url, row.description, json_string_array(row.event_types),
                 std::int64_t{row.enabled ? 1 : 0}, Blob{row.secret}, opt_blob(row.previous_secret),
                 opt_int(row.previous_secret_until), opt_text(row.disabled_reason), row.created_at,
                 row.updated_at, opt_int(row.disabled_at)}));
}

Status update(Connection& c, const EndpointRow& row) {
  return done(c.execute(
      "UPDATE endpoints SET url = $2, description = $3, event_types = $4, enabled = $5, secret = $6, "
      "previous_secret = $7, previous_secret_until = $8, disabled_reason = $9, updated_at = $10, disabled_at "
      "= $11, missed_since = $12, missed_until = $13 WHERE id = $1",
      {row.id, row.url, row.description, json_string_array(row.event_types),
       std::int64_t{row.enabled ? 1 : 0}, Blob{row.secret}, opt_blob(row.previous_secret),
       opt_int(row.previous_secret_until), opt_text(row.disabled_reason), row.updated_at,
       opt_int(row.disabled_at), opt_int(row.missed_since), opt_int(row.missed_until)}));
}

Result<std::optional<EndpointRow>> get(Connection& c, const std::string& id) {
  return first_row<EndpointRow>(
      c.query(std::string("SELECT ") + kEndpointColumns + " FROM endpoints WHERE id = $1", {id}),
      to_endpoint);
}

Result<std::vector<EndpointRow>> list(Connection& c) {
  return all_rows<EndpointRow>(
      c.query(std::string("SELECT ") + kEndpointColumns + " FROM endpoints ORDER BY created_at, id"),
      to_endpoint);
}

Status remove(Connection& c, const std::string& id) {
  if (auto s = done(c.execute(
          "DELETE FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending', 'sending')", {id}));
      !s)
    return s;
  return done(c.execute("DELETE FROM endpoints WHERE id = $1", {id}));
}

namespace {

Status fail_waiting_deliveries(Connection& c, const std::string& id, const std::string& reason, Millis now) {
  return done(c.execute(
      "UPDATE deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL, lease_until = NULL, "
      "updated_at = $3 WHERE endpoint_id = $1 AND status IN ('pending', 'sending')",
      {id, "endpoint disabled: " + reason, now}));
}

}  // namespace

Status disable(Connection& c, const std::string& id, const std::string& reason, Millis now) {
  if (auto s = done(c.execute("UPDATE endpoints SET enabled = 0, disabled_reason = $2, updated_at = $3, "
                              "disabled_at = $3 WHERE id "
                              "= $1",
                              {id, reason, now}));
      !s)
    return s;
  return fail_waiting_deliveries(c, id, reason, now);
}

Status record_health(Connection& c, const std::string& id, std::optional<Millis> last_success,
                     std::optional<Millis> first_failure) {
  // Both statements match nothing (and write nothing) while the endpoint's state stays as it was.
  if (last_success) {
    if (auto s =
            done(c.execute("UPDATE endpoints SET failing_since = NULL WHERE id = $1 AND failing_since <= $2",
                           {id, *last_success}));
        !s)
      return s;
  }
  if (!first_failure) return {};
  return done(
      c.execute("UPDATE endpoints SET failing_since = $2 WHERE id = $1 AND (failing_since IS NULL OR "
                "failing_since > $2)",
                {id, *first_failure}));
}

Status clear_failing(Connection& c, const std::string& id) {
  return done(c.execute("UPDATE endpoints SET failing_since = NULL WHERE id = $1", {id}));
}

Status clear_missed(Connection& c, const std::string& id) {
  return done(c.execute("UPDATE endpoints SET missed_since = NULL, missed_until = NULL WHERE id = $1", {id}));
}

Result<std::vector<EndpointRow>> failing_since_before(Connection& c, Millis before) {
  return all_rows<EndpointRow>(
      c.query(std::string("SELECT ") + kEndpointColumns +
                  " FROM endpoints WHERE enabled = 1 AND failing_since < $1 ORDER BY "
                  "failing_since, id",
              {before}),
      to_endpoint);
}

Result<bool> disable_failing(Connection& c, const std::string& id, Millis before, const std::string& reason,
                             Millis now) {
  auto changed = c.execute(
      "UPDATE endpoints SET enabled = 0, disabled_reason = $3, updated_at = $4, disabled_at = $4, "
      "missed_until = NULL WHERE id = $1 AND enabled = 1 AND failing_since < $2",
      {id, before, reason, now});
  if (!changed) return changed.error();
  if (*changed == 0) return false;
  if (auto s = fail_waiting_deliveries(c, id, reason, now); !s) return s.error();
  // Every delivery that failed during the run (its last attempt, or the disabling, came after the run began):
  // the oldest of their events starts the range to recover. An event older than the first failed attempt
  // belongs to it when its earlier attempts were retried into the run.
  auto oldest = c.query(
      "SELECT MIN(e.created_at) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.endpoint_id = "
      "$1 "
      "AND d.status = 'failed' AND d.updated_at >= (SELECT failing_since FROM endpoints WHERE id = $1)",
      {id});
  if (!oldest) return oldest.error();
  const bool none = oldest->empty() || oldest->front().is_null(0);
  if (auto s = done(c.execute(
          "UPDATE endpoints SET missed_since = CASE WHEN CAST($2 AS BIGINT) IS NULL THEN failing_since ELSE "
          "$2 END WHERE id = $1",
          {id, none ? Value{nullptr} : Value{std::min(oldest->front().int64(0), now)}}));
      !s)
    return s.error();
  return true;
}

}  // namespace endpoints

namespace events {

Status insert(Connection& c, const EventRow& row) {
  return done(c.execute(
      "INSERT INTO events (id, type, integration_id, inbox_id, payload, created_at) VALUES ($1, $2, $3, $4, "
      "$5, $6)",
      {row.id, row.type, opt_text(row.integration_id), opt_text(row.inbox_id), row.payload, row.created_at}));
}

Result<std::optional<EventRow>> get(Connection& c, const std::string& id) {
  return first_row<EventRow>(
      c.query(std::string("SELECT ") + kEventColumns + " FROM events WHERE id = $1", {id}), to_event);
}

Result<std::vector<EventRow>> list(Connection& c, const EventFilter& f) {
  return all_rows<EventRow>(
      c.query(std::string("SELECT ") + kEventColumns +
                  " FROM events WHERE (CAST($1 AS TEXT) IS NULL OR integration_id = $1) "
                  "AND (CAST($2 AS TEXT) IS NULL OR type = $2) AND (CAST($3 AS BIGINT) IS NULL OR seq < $3) "
                  "ORDER BY seq DESC LIMIT $4",
              {opt_text(f.integration_id), opt_text(f.type), opt_int(f.before_seq), std::int64_t{f.limit}}),
      to_event);
}

Result<std::vector<EventRow>> for_inbox(Connection& c, const std::string& inbox_id) {
  return all_rows<EventRow>(
      c.query(std::string("SELECT ") + kEventColumns + " FROM events WHERE inbox_id = $1 ORDER BY seq",
              {inbox_id}),
      to_event);
}

Result<bool> insert_with_deliveries(Connection& c, const EventRow& row,
                                    const std::vector<EndpointRow>& endpoints, Millis now) {
  if (auto s = insert(c, row); !s) return s.error();
  return deliveries::insert_for_subscribed(c, row.id, row.type, endpoints, now);
}

}  // namespace events

namespace deliveries {

Status insert(Connection& c, const std::string& event_id, const std::string& endpoint_id, Millis now) {
  return done(
      c.execute("INSERT INTO deliveries (event_id, endpoint_id, status, attempts, retries, next_attempt_at, "
                "created_at, "
                "updated_at) VALUES ($1, $2, 'pending', 0, 0, $3, $3, $3) ON CONFLICT (event_id, "
                "endpoint_id) DO NOTHING",
                {event_id, endpoint_id, now}));
}

Result<bool> insert_for_subscribed(Connection& c, const std::string& event_id, const std::string& event_type,
                                   const std::vector<EndpointRow>& endpoints, Millis now) {
  bool subscribed = false;
  for (const auto& ep : endpoints) {
    if (!ep.enabled || !ep.wants(event_type)) continue;
    if (auto s = insert(c, event_id, ep.id, now); !s) return s.error();
    subscribed = true;
  }
  return subscribed;
}

Result<std::vector<DeliveryRow>> for_event(Connection& c, const std::string& event_id) {
  return all_rows<DeliveryRow>(
      c.query(std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE event_id = $1 ORDER BY seq",
              {event_id}),
      to_delivery);
}

Result<std::vector<DeliveryRow>> claim_due(Connection& c, const std::string& endpoint_id, Millis now,
                                           Millis lease_until, int limit) {
  // Two statements, each walking the (endpoint_id, status, next_attempt_at) index in order with no sort,
  // however many deliveries wait: first leases that are over (a lease ends at lease_until, as next_due_at
  // reports it), then pending deliveries that are due, oldest due first.
  // On PostgreSQL, FOR UPDATE SKIP LOCKED passes over deliveries another node is claiming in the same moment
  // and re-checks the condition on rows changed since the statement began: nodes claim disjoint deliveries.
  const char* lock = c.backend() == Backend::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
  auto claim = [&](const char* where, int n) {
    return all_rows<DeliveryRow>(
        c.query(std::string("UPDATE deliveries SET status = 'sending', lease_until = $3, updated_at = $2 "
                            "WHERE seq IN (SELECT seq FROM deliveries WHERE endpoint_id = $1 AND ") +
                    where + " LIMIT $4" + lock + ") RETURNING " + kDeliveryColumns,
                {endpoint_id, now, lease_until, std::int64_t{n}}),
        to_delivery);
  };
  auto rows = claim("status = 'sending' AND lease_until <= $2 ORDER BY lease_until", limit);
  if (!rows) return rows;
  int left = limit - static_cast<int>(rows->size());
  if (left > 0) {
    auto due = claim("status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at", left);
    if (!due) return due;
    rows->insert(rows->end(), due->begin(), due->end());
  }
  // RETURNING yields rows in no defined order (SQLite gives table order). The dispatcher sends in the order
  // returned, so restore the due order the subqueries selected by.
  std::sort(rows->begin(), rows->end(), [](const DeliveryRow& a, const DeliveryRow& b) {
    return std::tie(a.next_attempt_at, a.seq) < std::tie(b.next_attempt_at, b.seq);
  });
  return rows;
}

Result<std::optional<Millis>> next_due_at(Connection& c) {
  return next_due_after(c, std::numeric_limits<Millis>::min());
}

Result<std::optional<Millis>> next_due_after(Connection& c, Millis after) {
  // Only deliveries that can be claimed count: those of a disabled or deleted endpoint stay pending (recover
  // on a disabled endpoint, PATCH enabled=false) and would otherwise keep the dispatcher's wait at zero. One
  // MIN per enabled endpoint, each answered from the (endpoint_id, status, next_attempt_at) index without a
  // scan.
  auto rows = c.query(
      "SELECT MIN(t) FROM ("
      "SELECT (SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.endpoint_id = e.id "
      "AND d.status = 'pending' AND d.next_attempt_at > $1) AS t FROM endpoints e WHERE e.enabled = 1 "
      "UNION ALL "
      "SELECT (SELECT MIN(d.lease_until) FROM deliveries d WHERE d.endpoint_id = e.id "
      "AND d.status = 'sending' AND d.lease_until > $1) AS t FROM endpoints e WHERE e.enabled = 1) AS due",
      {after});
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().is_null(0)) return std::optional<Millis>{};
  return std::optional<Millis>(rows->front().int64(0));
}

Result<std::vector<std::string>> endpoints_with_due(Connection& c, Millis now) {
  auto rows = c.query(
      "SELECT DISTINCT endpoint_id FROM deliveries WHERE ((status = 'pending' AND next_attempt_at <= $1) OR "
      "(status = 'sending' AND lease_until <= $1)) AND endpoint_id IN (SELECT id FROM endpoints WHERE "
      "enabled = 1)",
      {now});
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : *rows)
    out.push_back(r.text(0));
  return out;
}

Status record_result(Connection& c, const DeliveryRow& row) {
  return done(c.execute(
      "UPDATE deliveries SET status = $2, attempts = $3, retries = $4, next_attempt_at = $5, lease_until = "
      "NULL, "
      "last_status = $6, last_error = $7, updated_at = $8 WHERE seq = $1",
      {row.seq, state_value(row.status), std::int64_t{row.attempts}, std::int64_t{row.retries},
       opt_int(row.next_attempt_at), row.last_status ? Value{std::int64_t{*row.last_status}} : Value{nullptr},
       storable_opt_text(c, row.last_error), row.updated_at}));
}

Result<std::map<DeliveryStatus, std::int64_t>> count_waiting(Connection& c, const std::string& endpoint_id) {
  auto rows = c.query(
      "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status IN ('pending', 'sending', "
      "'failed') GROUP BY status",
      {endpoint_id});
  if (!rows) return rows.error();
  std::map<DeliveryStatus, std::int64_t> out{
      {DeliveryStatus::kPending, 0}, {DeliveryStatus::kSending, 0}, {DeliveryStatus::kFailed, 0}};
  for (const auto& row : *rows)
    if (auto status = parse_state<DeliveryStatus>(row.text(0))) out[*status] = row.int64(1);
  return out;
}

Result<std::int64_t> release_all_sending(Connection& c, Millis now) {
  return c.execute(
      "UPDATE deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = "
      "COALESCE(next_attempt_at, "
      "$1) WHERE status = 'sending'",
      {now});
}

Result<std::int64_t> redeliver_event(Connection& c, const std::string& event_id, Millis now) {
  return c.execute(
      "UPDATE deliveries SET status = 'pending', retries = 0, next_attempt_at = $2, lease_until = NULL, "
      "updated_at = $2 WHERE event_id = $1 AND status <> 'sending' AND endpoint_id IN (SELECT id FROM "
      "endpoints)",
      {event_id, now});
}

Result<std::int64_t> recover(Connection& c, const std::string& endpoint_id, Millis since, Millis until,
                             Millis now) {
  return c.execute(
      "UPDATE deliveries SET status = 'pending', retries = 0, next_attempt_at = $4, lease_until = NULL, "
      "updated_at = $4 WHERE endpoint_id = $1 AND status = 'failed' AND event_id IN "
      "(SELECT id FROM events WHERE created_at >= $2 AND created_at < $3)",
      {endpoint_id, since, until, now});
}

Result<std::int64_t> insert_undelivered(Connection& c, const std::string& endpoint_id,
                                        const std::vector<std::string>& types, Millis since, Millis until,
                                        Millis now) {
  // The events of the range without a delivery to the endpoint, through the events' creation order: the
  // (event_id, endpoint_id) unique index answers each NOT EXISTS.
  std::string sql =
      "INSERT INTO deliveries (event_id, endpoint_id, status, attempts, retries, next_attempt_at, "
      "created_at, "
      "updated_at) SELECT e.id, $1, 'pending', 0, 0, $4, $4, $4 FROM events e WHERE e.created_at >= $2 AND "
      "e.created_at < $3 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND "
      "d.endpoint_id = $1)";
  std::vector<Value> params = {endpoint_id, since, until, now};
  if (!types.empty()) {
    sql += " AND e.type IN (";
    for (std::size_t i = 0; i < types.size(); ++i) {
      sql += (i == 0 ? "$" : ", $") + std::to_string(i + 5);
      params.emplace_back(types[i]);
    }
    sql += ")";
  }
  return c.execute(sql + " ON CONFLICT (event_id, endpoint_id) DO NOTHING", params);
}

}  // namespace deliveries

namespace attempts {

Status insert(Connection& c, const AttemptRow& row) {
  return done(c.execute(
      "INSERT INTO attempts (delivery_seq, event_id, endpoint_id, attempted_at, status_code, latency_ms, "
      "response_excerpt, error, next_retry_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {row.delivery_seq, row.event_id, row.endpoint_id, row.attempted_at,
       row.status_code ? Value{std::int64_t{*row.status_code}} : Value{nullptr}, row.latency_ms,
       storable_text(c, row.response_excerpt), storable_opt_text(c, row.error), opt_int(row.next_retry_at)}));
}

Result<std::vector<AttemptRow>> for_event(Connection& c, const std::string& event_id) {
  return all_rows<AttemptRow>(
      c.query(std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE event_id = $1 ORDER BY seq",
              {event_id}),
      to_attempt);
}

namespace {

// The latency at rank `offset` (0-based, ascending) among the window's attempts.
Result<double> latency_at(Connection& c, const std::string& endpoint_id, Millis since, Millis until,
                          std::int64_t offset) {
  auto rows = c.query(
      "SELECT latency_ms FROM attempts WHERE endpoint_id = $1 AND attempted_at >= $2 AND attempted_at <= $3 "
      "ORDER BY latency_ms LIMIT 1 OFFSET $4",
      {endpoint_id, since, until, offset});
  if (!rows) return rows.error();
  return rows->empty() ? 0.0 : rows->front().real(0);
}

}  // namespace

Result<WindowStats> window_stats(Connection& c, const std::string& endpoint_id, Millis since, Millis until) {
  auto totals = c.query(
      "SELECT COUNT(*), SUM(CASE WHEN status_code >= 200 AND status_code <= 299 THEN 1 ELSE 0 END), "
      "AVG(latency_ms), MAX(latency_ms) FROM attempts "
      "WHERE endpoint_id = $1 AND attempted_at >= $2 AND attempted_at <= $3",
      {endpoint_id, since, until});
  if (!totals) return totals.error();
  const Row& t = totals->front();
  WindowStats out;
  out.attempts = t.int64(0);
  if (out.attempts == 0) return out;
  out.succeeded = t.is_null(1) ? 0 : t.int64(1);
  out.avg_ms = t.real(2);
  out.max_ms = t.real(3);
  auto p50 = latency_at(c, endpoint_id, since, until, (out.attempts - 1) / 2);
  if (!p50) return p50.error();
  auto p95 = latency_at(c, endpoint_id, since, until, (out.attempts - 1) * 95 / 100);
  if (!p95) return p95.error();
  out.p50_ms = *p50;
  out.p95_ms = *p95;
  return out;
}

Result<std::int64_t> prune(Connection& c, Millis before, int limit) {
  return c.execute(
      "DELETE FROM attempts WHERE seq IN (SELECT seq FROM attempts WHERE attempted_at < $1 ORDER BY "
      "attempted_at LIMIT $2)",
      {before, std::int64_t{limit}});
}

}  // namespace attempts
}  // namespace tributary::store
