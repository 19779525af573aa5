// Webhook endpoints, downstream events (the outbox), their deliveries (one per event and endpoint) and every
// delivery attempt. A delivery is "pending" (due at next_attempt_at), "sending" (claimed until lease_until,
// so a crashed node's claims are taken over when the lease expires), "succeeded" or "failed". Thread-safety:
// stateless functions over the caller's Connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"
#include "store/states.h"

namespace tributary::store {

struct EndpointRow {
  std::string id;
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // empty = every type
  bool enabled = true;
  std::string secret;                          // sealed
  std::optional<std::string> previous_secret;  // sealed
  std::optional<Millis> previous_secret_until;
  std::optional<std::string> disabled_reason;
  Millis created_at = 0;
  Millis updated_at = 0;
  // Health, written by the dispatcher (failing_since) and by disabling: the first attempt that failed since
  // the last one that succeeded (none while the last attempt succeeded); when the endpoint was disabled; and,
  // after an automatic disabling for lasting failures, the creation times of the events it left undelivered:
  // from missed_since up to missed_until (its re-enabling; none while still disabled).
  std::optional<Millis> failing_since;
  std::optional<Millis> disabled_at;
  std::optional<Millis> missed_since;
  std::optional<Millis> missed_until;

  bool wants(const std::string& type) const;
};

struct EventRow {
  std::int64_t seq = 0;
  std::string id;
  std::string type;
  std::optional<std::string> integration_id;
  std::optional<std::string> inbox_id;
  std::string payload;  // the exact JSON body sent downstream
  Millis created_at = 0;
};

struct DeliveryRow {
  std::int64_t seq = 0;
  std::string event_id;
  std::string endpoint_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;  // attempts made, all rounds
  int retries = 0;   // retries used in the current round (manual redelivery starts a new round)
  std::optional<Millis> next_attempt_at;
  std::optional<Millis> lease_until;
  std::optional<int> last_status;
  std::optional<std::string> last_error;
  Millis created_at = 0;
  Millis updated_at = 0;
};

struct AttemptRow {
  std::int64_t seq = 0;
  std::int64_t delivery_seq = 0;
  std::string event_id;
  std::string endpoint_id;
  Millis attempted_at = 0;
  std::optional<int> status_code;
  double latency_ms = 0;
  std::string response_excerpt;  // ≤ 16 KiB
  std::optional<std::string> error;
  std::optional<Millis> next_retry_at;
};

struct EventFilter {
  std::optional<std::string> integration_id;
  std::optional<std::string> type;
  std::optional<std::int64_t> before_seq;
  int limit = 50;
};

namespace endpoints {
Status insert(Connection& c, const EndpointRow& row);
// Everything but failing_since, which only attempts (record_health) and re-enabling (clear_failing) change.
Status update(Connection& c, const EndpointRow& row);
Result<std::optional<EndpointRow>> get(Connection& c, const std::string& id);
Result<std::vector<EndpointRow>> list(Connection& c);
Status remove(Connection& c, const std::string& id);
// Disables the endpoint and fails its pending deliveries with the reason.
Status disable(Connection& c, const std::string& id, const std::string& reason, Millis now);
// One dispatcher round's attempts to the endpoint: `last_success`, the latest that succeeded, ends the
// failing run that began before it; `first_failure`, the earliest failed one after it, begins one (or leaves
// an earlier beginning as it is). Writes only when the endpoint's state changes.
Status record_health(Connection& c, const std::string& id, std::optional<Millis> last_success,
                     std::optional<Millis> first_failure);
// A re-enabled endpoint starts with a clean record: its failures before are not held against it.
Status clear_failing(Connection& c, const std::string& id);
// The missed range was recovered: nothing left to offer.
Status clear_missed(Connection& c, const std::string& id);
// Enabled endpoints whose every attempt since `before` or earlier has failed.
Result<std::vector<EndpointRow>> failing_since_before(Connection& c, Millis before);
// Disables the endpoint when it is still enabled and still failing since before `before` (false when another
// node did, or an attempt succeeded meanwhile), fails its pending deliveries, and records the range it
// missed: from the creation of the oldest event whose delivery failed during the failing run.
Result<bool> disable_failing(Connection& c, const std::string& id, Millis before, const std::string& reason,
                             Millis now);
}  // namespace endpoints

namespace events {
Status insert(Connection& c, const EventRow& row);
Result<std::optional<EventRow>> get(Connection& c, const std::string& id);
Result<std::vector<EventRow>> list(Connection& c, const EventFilter& filter);  // newest first
Result<std::vector<EventRow>> for_inbox(Connection& c, const std::string& inbox_id);
// Inserts the event and a delivery to every enabled endpoint subscribed to its type; true when there is one.
Result<bool> insert_with_deliveries(Connection& c, const EventRow& row,
                                    const std::vector<EndpointRow>& endpoints, Millis now);
}  // namespace events

namespace deliveries {
Status insert(Connection& c, const std::string& event_id, const std::string& endpoint_id, Millis now);
// A delivery of the event to every enabled endpoint subscribed to `event_type` that has none yet; true when
// some endpoint is subscribed.
Result<bool> insert_for_subscribed(Connection& c, const std::string& event_id, const std::string& event_type,
                                   const std::vector<EndpointRow>& endpoints, Millis now);
Result<std::vector<DeliveryRow>> for_event(Connection& c, const std::string& event_id);
// Claims up to `limit` due deliveries of one endpoint (pending and due, or sending with an expired lease).
Result<std::vector<DeliveryRow>> claim_due(Connection& c, const std::string& endpoint_id, Millis now,
                                           Millis lease_until, int limit);
// The earliest time any delivery becomes due (pending next_attempt_at or an expired lease), if any.
Result<std::optional<Millis>> next_due_at(Connection& c);
// The earliest time after `after` at which a delivery of an enabled endpoint becomes due (its retry time or
// the end of its lease). The dispatcher asks for what comes after its last claim: deliveries already due then
// and still unclaimed wait for capacity, which a completion brings with a wake-up; counting them would keep
// its wait at zero.
Result<std::optional<Millis>> next_due_after(Connection& c, Millis after);
// Endpoints with at least one delivery due now.
Result<std::vector<std::string>> endpoints_with_due(Connection& c, Millis now);
Status record_result(Connection& c, const DeliveryRow& row);  // status, attempts, retries, next, last_*
// How many of the endpoint's deliveries are pending, sending and failed now (0 for a state with none).
Result<std::map<DeliveryStatus, std::int64_t>> count_waiting(Connection& c, const std::string& endpoint_id);
// SQLite start-up (one process owns the file): every delivery left "sending" by the last run is pending
// again, due at once unless it had a due time. Returns how many.
Result<std::int64_t> release_all_sending(Connection& c, Millis now);
// Manual redelivery: every delivery of the event back to pending, due now, in a new round of retries.
Result<std::int64_t> redeliver_event(Connection& c, const std::string& event_id, Millis now);
// Failed deliveries of an endpoint whose event was created in [since, until) back to pending.
Result<std::int64_t> recover(Connection& c, const std::string& endpoint_id, Millis since, Millis until,
                             Millis now);
// New pending deliveries, due now, of the events created in [since, until) that the endpoint has none of
// (it was disabled when they were written) and whose type is one of `types` (empty: every type).
Result<std::int64_t> insert_undelivered(Connection& c, const std::string& endpoint_id,
                                        const std::vector<std::string>& types, Millis since, Millis until,
                                        Millis now);
}  // namespace deliveries

namespace attempts {
Status insert(Connection& c, const AttemptRow& row);
Result<std::vector<AttemptRow>> for_event(Connection& c, const std::string& event_id);
// The endpoint's attempts made in [since, until]: how many, how many got a 2xx, and their latency.
struct WindowStats {
  std::int64_t attempts = 0;
  std::int64_t succeeded = 0;
  double avg_ms = 0, p50_ms = 0, p95_ms = 0, max_ms = 0;  // 0 without attempts
};
Result<WindowStats> window_stats(Connection& c, const std::string& endpoint_id, Millis since, Millis until);
// Retention: deletes at most `limit` attempts made before `before`, oldest first; returns how many.
Result<std::int64_t> prune(Connection& c, Millis before, int limit);
}  // namespace attempts

}  // namespace tributary::store
