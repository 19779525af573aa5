#include "store/integrations_repo.h"

#include <algorithm>
#include <string_view>

#include "store/api_budgets_repo.h"
#include "store/value_util.h"

namespace tributary::store {
namespace {

constexpr const char* kIntegrationColumns =
    "id, tool, category, end_user, credentials, remote_base_url, scope, sync, created_at, updated_at, "
    "deleted_at, "
    "reconcile_due_at, last_event_at, remote_auth_url, rate_limit, enabled, invalid_since";

IntegrationRow to_integration(const Row& r) {
  IntegrationRow row;
  row.id = r.text(0);
  row.tool = r.text(1);
  row.category = r.text(2);
  row.end_user = r.text(3);
  row.credentials = r.blob(4);
  row.remote_base_url = col_opt_text(r, 5);
  row.scope = r.text(6);
  row.sync = r.text(7);
  row.created_at = r.int64(8);
  row.updated_at = r.int64(9);
  row.deleted_at = col_opt_int(r, 10);
  row.reconcile_due_at = col_opt_int(r, 11);
  row.last_event_at = col_opt_int(r, 12);
  row.remote_auth_url = col_opt_text(r, 13);
  row.rate_limit = col_opt_text(r, 14);
  row.enabled = r.int64(15) != 0;
  row.invalid_since = col_opt_int(r, 16);
  return row;
}

constexpr const char* kSubscriptionColumns =
    "id, integration_id, ingress_token, mode, status, event_types, secret, previous_secret, "
    "previous_secret_until, "
    "remote_id, last_error, failures, next_attempt_at, created_at, updated_at";

SubscriptionRow to_subscription(const Row& r) {
  SubscriptionRow row;
  row.id = r.text(0);
  row.integration_id = r.text(1);
  row.ingress_token = r.text(2);
  row.mode = r.text(3);
  row.status = col_state(r, 4, SubscriptionStatus::kFailed);
  row.event_types = parse_string_array(r.text(5));
  row.secret = col_opt_text(r, 6);
  row.previous_secret = col_opt_text(r, 7);
  row.previous_secret_until = col_opt_int(r, 8);
  row.remote_id = col_opt_text(r, 9);
  row.last_error = col_opt_text(r, 10);
  row.failures = static_cast<int>(r.int64(11));
  row.next_attempt_at = col_opt_int(r, 12);
  row.created_at = r.int64(13);
  row.updated_at = r.int64(14);
  return row;
}

// A change the ingress must see at once: its cached subscriptions are dropped, on every node.
Status subscriptions_changed(Connection& c, const Status& written) {
  if (!written) return written;
  return notify(c, kSubscriptionsChannel);
}

}  // namespace

namespace integrations {

Status insert(Connection& c, const IntegrationRow& row) {
  return done(c.execute(
      "INSERT INTO integrations (id, tool, category, end_user, credentials, remote_base_url, scope, sync, "
      "created_at, updated_at, deleted_at, reconcile_due_at, last_event_at, remote_auth_url, rate_limit, "
      "enabled, invalid_since) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
      {row.id, row.tool, row.category, row.end_user, Blob{row.credentials}, opt_text(row.remote_base_url),
       row.scope, row.sync, row.created_at, row.updated_at, opt_int(row.deleted_at),
       opt_int(row.reconcile_due_at), opt_int(row.last_event_at), opt_text(row.remote_auth_url),
       opt_text(row.rate_limit), std::int64_t{row.enabled ? 1 : 0}, opt_int(row.invalid_since)}));
}

Status update(Connection& c, const IntegrationRow& row) {
  return done(c.execute(
      "UPDATE integrations SET end_user = $2, credentials = $3, remote_base_url = $4, scope = $5, sync = $6, "
      "updated_at = $7, reconcile_due_at = $8, remote_auth_url = $9, rate_limit = $10 WHERE id = $1",
      {row.id, row.end_user, Blob{row.credentials}, opt_text(row.remote_base_url), row.scope, row.sync,
       row.updated_at, opt_int(row.reconcile_due_at), opt_text(row.remote_auth_url),
       opt_text(row.rate_limit)}));
}

Result<std::optional<IntegrationRow>> get(Connection& c, const std::string& id, bool include_deleted) {
  std::string sql = std::string("SELECT ") + kIntegrationColumns + " FROM integrations WHERE id = $1";
  if (!include_deleted) sql += " AND deleted_at IS NULL";
  return first_row<IntegrationRow>(c.query(sql, {id}), to_integration);
}

Result<std::vector<IntegrationRow>> list(Connection& c) {
  return all_rows<IntegrationRow>(
      c.query(std::string("SELECT ") + kIntegrationColumns +
              " FROM integrations WHERE deleted_at IS NULL ORDER BY created_at DESC, id"),
      to_integration);
}

Status mark_deleted(Connection& c, const std::string& id, Millis now) {
  Status s = subscriptions_changed(
      c, done(c.execute("UPDATE integrations SET deleted_at = $2, reconcile_due_at = $2 WHERE id = $1",
                        {id, now})));
  if (!s) return s;
  return notify(c, kIntegrationsChannel);  // the reconcilers remove its remote subscriptions
}

Result<bool> set_enabled(Connection& c, const std::string& id, bool enabled) {
  auto n =
      c.execute("UPDATE integrations SET enabled = $2 WHERE id = $1 AND deleted_at IS NULL AND enabled <> $2",
                {id, std::int64_t{enabled ? 1 : 0}});
  if (!n) return n.error();
  if (*n == 0) return false;
  // The reconcilers remove (disabled) or restore (enabled) its remote subscriptions.
  if (auto s = request_reconcile(c, id, 0); !s) return s.error();
  if (auto s = notify(c, kIntegrationsChannel); !s) return s.error();
  return true;
}

Result<bool> set_invalid(Connection& c, const std::string& id, std::optional<Millis> since) {
  auto n = since ? c.execute(
                       "UPDATE integrations SET invalid_since = $2 WHERE id = $1 AND deleted_at IS NULL "
                       "AND invalid_since IS NULL",
                       {id, *since})
                 : c.execute(
                       "UPDATE integrations SET invalid_since = NULL WHERE id = $1 AND deleted_at IS NULL "
                       "AND invalid_since IS NOT NULL",
                       {id});
  if (!n) return n.error();
  return *n > 0;
}

Status hard_delete(Connection& c, const std::string& id) {
  // Its API budget's window goes with it: nothing would ever read or trim those rows again.
  if (auto s = api_budgets::forget(c, id); !s) return s;
  return subscriptions_changed(c, done(c.execute("DELETE FROM integrations WHERE id = $1", {id})));
}

Status request_reconcile(Connection& c, const std::string& id, Millis at) {
  return done(
      c.execute("UPDATE integrations SET reconcile_due_at = CASE WHEN reconcile_due_at IS NULL OR "
                "reconcile_due_at > $2 "
                "THEN $2 ELSE reconcile_due_at END WHERE id = $1",
                {id, at}));
}

Result<std::vector<IntegrationRow>> due_for_reconcile(Connection& c, Millis now) {
  return all_rows<IntegrationRow>(c.query(std::string("SELECT ") + kIntegrationColumns +
                                              " FROM integrations WHERE reconcile_due_at IS NOT NULL AND "
                                              "reconcile_due_at <= $1 ORDER BY reconcile_due_at LIMIT 100",
                                          {now}),
                                  to_integration);
}

Result<std::vector<IntegrationRow>> claim_due_for_reconcile(Connection& c, Millis now, Millis lease_until) {
  if (c.backend() != Backend::kPostgres) return due_for_reconcile(c, now);
  // The old due time comes back through a self-join on the locked rows (RETURNING sees the new values).
  std::string columns;
  for (std::string_view rest = kIntegrationColumns; !rest.empty();) {
    auto comma = rest.find(", ");
    std::string_view name = rest.substr(0, comma);
    if (!columns.empty()) columns += ", ";
    columns += name == "reconcile_due_at" ? std::string("due.old_due") : "i." + std::string(name);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  auto rows = all_rows<IntegrationRow>(
      c.query("UPDATE integrations i SET reconcile_due_at = $2 FROM (SELECT id, reconcile_due_at AS old_due "
              "FROM integrations WHERE reconcile_due_at IS NOT NULL AND reconcile_due_at <= $1 "
              "ORDER BY reconcile_due_at LIMIT 100 FOR UPDATE SKIP LOCKED) due WHERE i.id = due.id "
              "RETURNING " +
                  columns,
              {now, lease_until}),
      to_integration);
  if (!rows) return rows;
  std::sort(rows->begin(), rows->end(), [](const IntegrationRow& a, const IntegrationRow& b) {
    return a.reconcile_due_at < b.reconcile_due_at;
  });
  return rows;
}

Status touch_last_event(Connection& c, const std::string& id, Millis at) {
  return done(c.execute("UPDATE integrations SET last_event_at = $2 WHERE id = $1", {id, at}));
}

Status make_all_due(Connection& c, Millis now) {
  return done(c.execute("UPDATE integrations SET reconcile_due_at = $1 WHERE reconcile_due_at > $1", {now}));
}

Result<std::optional<Millis>> next_reconcile_due(Connection& c, Millis now) {
  auto rows = c.query("SELECT MIN(reconcile_due_at) FROM integrations WHERE reconcile_due_at > $1", {now});
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().is_null(0)) return std::optional<Millis>{};
  return std::optional<Millis>(rows->front().int64(0));
}

Status set_reconcile_due(Connection& c, const std::string& id, Millis at) {
  return done(c.execute("UPDATE integrations SET reconcile_due_at = $2 WHERE id = $1", {id, at}));
}

}  // namespace integrations

namespace subscriptions {

Status insert(Connection& c, const SubscriptionRow& row) {
  return subscriptions_changed(
      c,
      done(c.execute(
          "INSERT INTO subscriptions (id, integration_id, ingress_token, mode, status, event_types, secret, "
          "previous_secret, previous_secret_until, remote_id, last_error, failures, next_attempt_at, "
          "created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
          {row.id, row.integration_id, row.ingress_token, row.mode, state_value(row.status),
           json_string_array(row.event_types), opt_blob(row.secret), opt_blob(row.previous_secret),
           opt_int(row.previous_secret_until), storable_opt_text(c, row.remote_id),
           storable_opt_text(c, row.last_error), std::int64_t{row.failures}, opt_int(row.next_attempt_at),
           row.created_at, row.updated_at})));
}

Status update(Connection& c, const SubscriptionRow& row) {
  return subscriptions_changed(
      c, done(c.execute(
             "UPDATE subscriptions SET status = $2, event_types = $3, secret = $4, previous_secret = $5, "
             "previous_secret_until = $6, remote_id = $7, last_error = $8, failures = $9, next_attempt_at = "
             "$10, "
             "updated_at = $11 WHERE id = $1",
             {row.id, state_value(row.status), json_string_array(row.event_types), opt_blob(row.secret),
              opt_blob(row.previous_secret), opt_int(row.previous_secret_until),
              storable_opt_text(c, row.remote_id), storable_opt_text(c, row.last_error),
              std::int64_t{row.failures}, opt_int(row.next_attempt_at), row.updated_at})));
}

Status remove(Connection& c, const std::string& id) {
  return subscriptions_changed(c, done(c.execute("DELETE FROM subscriptions WHERE id = $1", {id})));
}

Result<std::optional<SubscriptionRow>> get(Connection& c, const std::string& id) {
  return first_row<SubscriptionRow>(
      c.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = $1", {id}),
      to_subscription);
}

Result<std::optional<SubscriptionRow>> get_by_token(Connection& c, const std::string& token) {
  return first_row<SubscriptionRow>(
      c.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE ingress_token = $1",
              {token}),
      to_subscription);
}

Result<std::vector<SubscriptionRow>> list_for_integration(Connection& c, const std::string& integration_id) {
  return all_rows<SubscriptionRow>(
      c.query(std::string("SELECT ") + kSubscriptionColumns +
                  " FROM subscriptions WHERE integration_id = $1 ORDER BY created_at, id",
              {integration_id}),
      to_subscription);
}

Status activate_if_pending(Connection& c, const std::string& id) {
  return subscriptions_changed(c, done(c.execute("UPDATE subscriptions SET status = 'active', last_error = "
                                                 "NULL WHERE id = $1 AND status = 'pending'",
                                                 {id})));
}

}  // namespace subscriptions
}  // namespace tributary::store
