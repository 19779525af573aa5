// Syncs: full and delta listings of an integration's scoped models, and each integration's sync schedule
// (integrations.next_sync_at, first_sync_succeeded_at). A sync is QUEUED, then RUNNING (claimed by one node
// with a lease, renewed by heartbeats and taken over when it expires), then SUCCEEDED, FAILED,
// PARTIALLY_FAILED or AUTHENTICATION_FAILED. The schema guarantees at most one QUEUED and one RUNNING sync
// per integration (partial unique indexes), and claims never start a second sync of an integration that has
// one RUNNING, on any node: on PostgreSQL claims skip rows another node is claiming (FOR UPDATE SKIP LOCKED);
// on SQLite the claim is one statement under the database's write lock. Thread-safety: stateless functions
// over the caller's Connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"
#include "store/states.h"

namespace tributary::store {

inline constexpr std::string_view kSyncFull = "FULL";
inline constexpr std::string_view kSyncDelta = "DELTA";

struct SyncRow {
  std::int64_t seq = 0;
  std::string id;  // "sync_…"
  std::string integration_id;
  std::string type;  // FULL | DELTA
  SyncState state = SyncState::kQueued;
  Millis queued_at = 0;
  std::optional<Millis> started_at;
  std::optional<Millis> ended_at;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t deleted = 0;
  std::int64_t unchanged = 0;
  std::string errors = "[]";  // JSON array of {"model"?, "message"}
  std::optional<std::string> claimed_by;
  std::optional<Millis> claimed_until;
  // Queued by the operator to apply the deletions the mass-deletion guard held back (sync/sync_runner.h).
  bool confirm_deletions = false;
};

struct QueuedSync {
  bool already_queued = false;  // a sync was queued before; it is returned instead of a new one
  SyncRow row;
};

struct DueSchedule {
  std::string integration_id;
  Millis next_sync_at = 0;
};

namespace syncs {
// Queues a sync unless one is QUEUED for the integration already: then that one comes back with
// already_queued (a queued DELTA becomes FULL when FULL is asked for: a full listing covers a delta).
// confirm_deletions (FULL only) also marks a sync already queued.
Result<QueuedSync> queue(Connection& c, const std::string& integration_id, std::string_view type, Millis now,
                         bool confirm_deletions = false);
// Claims the oldest due sync — a QUEUED one of an integration with no RUNNING sync, or a RUNNING one whose
// lease expired (its node died) — for `node`, until `lease_until`.
Result<std::optional<SyncRow>> claim_next(Connection& c, const std::string& node, Millis now,
                                          Millis lease_until);
// Renews the lease and stores the counts so far; false when the claim was lost (taken over).
Result<bool> heartbeat(Connection& c, const SyncRow& row, Millis lease_until);
// Ends a RUNNING sync with row.state, counts, errors and ended_at; false when the claim was lost. A SUCCEEDED
// or PARTIALLY_FAILED sync (data was listed, some models may have failed) sets the integration's
// first_sync_succeeded_at (once): the setup sync is over, as Kombo's SETUP_SYNC_PENDING means "the initial
// sync is still running"; a FAILED or AUTHENTICATION_FAILED one leaves it unset.
Result<bool> finish(Connection& c, const SyncRow& row);
// SQLite start-up: syncs the last run left RUNNING have their lease ended, so they are taken up again at
// once.
Result<std::int64_t> release_all_running(Connection& c);
Result<std::optional<SyncRow>> get(Connection& c, const std::string& id);
// Newest first; `before_seq` continues a listing.
Result<std::vector<SyncRow>> list_for_integration(Connection& c, const std::string& integration_id,
                                                  std::optional<std::int64_t> before_seq, int limit);

// The schedule.
Status set_next_sync_at(Connection& c, const std::string& integration_id, std::optional<Millis> at);
Result<std::optional<Millis>> next_sync_at(Connection& c, const std::string& integration_id);
Result<std::optional<Millis>> first_succeeded_at(Connection& c, const std::string& integration_id);
// When the integration's latest SUCCEEDED sync (every scoped model listed) started, if it had one: a delta
// sync lists what changed since then.
Result<std::optional<Millis>> last_succeeded_start(Connection& c, const std::string& integration_id);
// Live integrations whose next sync is due, earliest first (at most `limit`).
Result<std::vector<DueSchedule>> due(Connection& c, Millis now, int limit);
// Moves an integration's next sync from `expected` to `next`; false when another node moved it first.
Result<bool> advance(Connection& c, const std::string& integration_id, Millis expected, Millis next);
// The earliest next_sync_at of a live integration, if any.
Result<std::optional<Millis>> earliest_due(Connection& c);
}  // namespace syncs

}  // namespace tributary::store
