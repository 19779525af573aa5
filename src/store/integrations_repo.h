// Integrations and their subscriptions. Plain rows; credentials and secrets are stored sealed (AES-256-GCM)
// and opened by the services that need them, never here. Thread-safety: functions are stateless; each call
// uses the caller's Connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "store/database.h"
#include "store/states.h"

namespace tributary::store {

struct IntegrationRow {
  std::string id;
  std::string tool;
  std::string category;     // "HRIS" | "ATS"
  std::string end_user;     // JSON object
  std::string credentials;  // sealed JSON object
  std::optional<std::string> remote_base_url;
  // The tool's authorization host where it has its own (Greenhouse's token endpoint), for simulators and
  // self-hosted tools; unset = the connector's default_auth_url().
  std::optional<std::string> remote_auth_url;
  // The integration's own API limits, JSON {"requests", "window_ms", "concurrency"}, for a customer on a
  // higher plan or a self-hosted tool; unset = the connector's declared api_limits().
  std::optional<std::string> rate_limit;
  std::string scope;  // JSON {"models": {...}, "upstream_webhooks": bool}
  std::string sync;   // JSON {"interval_seconds": n}
  Millis created_at = 0;
  Millis updated_at = 0;
  std::optional<Millis> deleted_at;
  std::optional<Millis> reconcile_due_at;
  std::optional<Millis> last_event_at;
  // The state Kombo's API and webhooks name (integration_state()): INACTIVE while the operator has disabled
  // it (no syncs, no remote subscriptions), INVALID from when the tool rejected its credentials (401/403 to a
  // sync or a subscription check) until a sync succeeds or new credentials are stored, ACTIVE otherwise.
  bool enabled = true;
  std::optional<Millis> invalid_since;
};

// "ACTIVE" | "INVALID" | "INACTIVE"; disabled wins over invalid credentials.
inline std::string_view integration_state(const IntegrationRow& row) {
  if (!row.enabled) return "INACTIVE";
  return row.invalid_since ? "INVALID" : "ACTIVE";
}

struct SubscriptionRow {
  std::string id;
  std::string integration_id;
  std::string ingress_token;
  std::string mode;  // "api" | "manual"
  SubscriptionStatus status = SubscriptionStatus::kPending;
  std::vector<std::string> event_types;
  std::optional<std::string> secret;           // sealed
  std::optional<std::string> previous_secret;  // sealed, valid until previous_secret_until
  std::optional<Millis> previous_secret_until;
  std::optional<std::string> remote_id;
  std::optional<std::string> last_error;
  int failures = 0;
  std::optional<Millis> next_attempt_at;
  Millis created_at = 0;
  Millis updated_at = 0;
};

namespace integrations {
Status insert(Connection& c, const IntegrationRow& row);
Status update(Connection& c, const IntegrationRow& row);
Result<std::optional<IntegrationRow>> get(Connection& c, const std::string& id, bool include_deleted = false);
Result<std::vector<IntegrationRow>> list(Connection& c);
Status mark_deleted(Connection& c, const std::string& id, Millis now);
// Deletes the row and its API budget's rows (api_budgets, api_budget_grants).
Status hard_delete(Connection& c, const std::string& id);
// Enables or disables a live integration; true when it changed (false: it was so already, or is gone). A
// change makes the integration due for reconcile at once.
Result<bool> set_enabled(Connection& c, const std::string& id, bool enabled);
// Marks the credentials rejected from `since` (kept when already marked), or accepted again (nullopt); true
// when the mark changed. Single statements, so two nodes never both see the change.
Result<bool> set_invalid(Connection& c, const std::string& id, std::optional<Millis> since);
Status request_reconcile(Connection& c, const std::string& id, Millis at);
Result<std::vector<IntegrationRow>> due_for_reconcile(Connection& c, Millis now);
// Claims the integrations due for reconcile (at most 100, earliest due first) by moving their due time to
// `lease_until` in the same statement, and returns them with their due time as it was. The reconcile sets the
// next due time; if the node dies first, the integration is due again when the lease ends. On PostgreSQL rows
// another node is claiming at the same moment are skipped (FOR UPDATE SKIP LOCKED), so no integration is
// reconciled by two nodes at once. SQLite (one node) selects without claiming, as due_for_reconcile().
Result<std::vector<IntegrationRow>> claim_due_for_reconcile(Connection& c, Millis now, Millis lease_until);
Status touch_last_event(Connection& c, const std::string& id, Millis at);
// Every integration due later than `now` becomes due at `now` (a start-up check of all of them).
Status make_all_due(Connection& c, Millis now);
// The earliest reconcile due time after `now`, if any integration has one.
Result<std::optional<Millis>> next_reconcile_due(Connection& c, Millis now);
// Sets the due time as given, later or earlier (request_reconcile only ever brings it forward).
Status set_reconcile_due(Connection& c, const std::string& id, Millis at);
}  // namespace integrations

namespace subscriptions {
Status insert(Connection& c, const SubscriptionRow& row);
Status update(Connection& c, const SubscriptionRow& row);
Status remove(Connection& c, const std::string& id);
Result<std::optional<SubscriptionRow>> get(Connection& c, const std::string& id);
Result<std::optional<SubscriptionRow>> get_by_token(Connection& c, const std::string& ingress_token);
Result<std::vector<SubscriptionRow>> list_for_integration(Connection& c, const std::string& integration_id);
// A pending subscription that has just received its first verified request becomes active (its last error
// cleared); any other status is left as it is.
Status activate_if_pending(Connection& c, const std::string& id);
}  // namespace subscriptions

}  // namespace tributary::store
