// The inbox: every upstream request received — accepted, duplicate, ping, rejected — with its redacted
// headers, body, verification result and outcome. Rows with outcome "received" are waiting for the processor.
// Thread-safety: stateless functions over the caller's Connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"
#include "store/states.h"

namespace tributary::store {

struct InboxRow {
  std::int64_t seq = 0;
  std::string id;
  Millis received_at = 0;
  std::optional<std::string> integration_id;
  std::optional<std::string> subscription_id;
  std::optional<std::string> tool;
  std::string method;
  std::string path;
  std::string headers;  // JSON [[name, value], ...], sensitive values redacted
  std::string body;
  std::int64_t body_size = 0;
  int http_status = 0;                      // what we answered
  std::optional<std::string> verification;  // scheme that matched, or why it failed
  InboxOutcome outcome = InboxOutcome::kReceived;
  std::optional<std::string> reason;
  std::optional<std::string> vendor_event;
  std::optional<std::string> delivery_id;
  std::optional<std::string> dedupe_key;
  std::optional<std::string> unified_events;  // JSON array
  std::optional<std::string> warnings;        // JSON array of strings
  std::optional<std::string> event_ids;       // JSON array of downstream event ids
  std::optional<Millis> processed_at;
  std::optional<std::int64_t> failed_deliveries;  // list() only: its downstream deliveries that failed
  // When retention removed the body and headers (both empty since); the rest of the row stays.
  std::optional<Millis> pruned_at;
};

struct InboxFilter {
  std::optional<std::string> integration_id;
  std::optional<std::string> tool;
  std::optional<InboxOutcome> outcome;
  bool with_failed_deliveries = false;  // only requests with a downstream delivery that failed
  std::optional<Millis> since;
  std::optional<Millis> until;
  std::optional<std::int64_t> before_seq;  // cursor: rows older than this
  int limit = 50;
};

namespace inbox {
// Inserts a received request. When its dedupe key was seen before for the integration, the row is stored as
// outcome "duplicate" instead (logged, never forwarded) and true is returned.
// With `same_body_since`, a row of the same integration received since then with the same body (byte for
// byte) also makes it a duplicate.
Result<bool> insert_received(Connection& c, InboxRow row,
                             std::optional<Millis> same_body_since = std::nullopt);
Status insert(Connection& c, const InboxRow& row);  // any other outcome, as given
// Rows waiting for the processor, oldest first: outcome "received" and not claimed by a processor, or claimed
// with a lease that ended before now.
Result<std::vector<InboxRow>> pending(Connection& c, int limit);
// Claims up to `limit` pending rows for this processor until `claimed_until` (a lease: when the node dies,
// the rows are pending again once it ends) and returns them, oldest first. On PostgreSQL rows another node is
// claiming at the same moment are skipped (FOR UPDATE SKIP LOCKED), so no row goes to two processors at once.
Result<std::vector<InboxRow>> claim_pending(Connection& c, int limit, Millis now, Millis claimed_until);
// Extends a claim while its rows are still being processed: the rows of `ids` still "received" and still
// claimed until `claimed_until` (the claim's own value: a row another processor claimed since has another)
// are claimed until `extended_until`. Returns how many were.
Result<std::int64_t> extend_claim(Connection& c, const std::vector<std::string>& ids, Millis claimed_until,
                                  Millis extended_until);
// Puts a row still "received" back until `until` (neither pending nor claimable before), with new warnings
// when given: a row waiting for related deliveries, or one the database refused.
Status hold(Connection& c, const std::string& id, Millis until,
            const std::optional<std::string>& warnings = std::nullopt);
// Whether the integration received (and kept) a delivery with one of the vendor's delivery ids.
Result<bool> has_delivery(Connection& c, const std::string& integration_id,
                          const std::vector<std::string>& delivery_ids);
Status complete(Connection& c, const InboxRow& row);  // outcome, reason, unified_events, warnings, event_ids
// As complete(), only while the row is still "received": false when another processor completed it first
// (its lease ended and the row was claimed again), and then nothing is changed.
Result<bool> complete_received(Connection& c, const InboxRow& row);
// SQLite start-up: rows the last run had claimed are pending again at once. Returns how many.
Result<std::int64_t> release_all_claims(Connection& c);
Result<std::optional<InboxRow>> get(Connection& c, const std::string& id);
// Retention: removes the body and headers of at most `limit` rows received before `before` (oldest first) and
// marks them pruned at `now`; rows still waiting for the processor keep theirs. Returns how many were pruned:
// fewer than `limit` when no more are due.
Result<std::int64_t> prune_bodies(Connection& c, Millis before, int limit, Millis now);
Result<std::vector<InboxRow>> list(Connection& c, const InboxFilter& filter);  // newest first, without bodies

// The rows of an integration still "received" (not processed yet, claimed or not): how many, and when the
// oldest arrived. Every node reads the same from a shared database.
struct Waiting {
  std::int64_t count = 0;
  std::optional<Millis> oldest_received_at;  // none when count is 0
};
Result<Waiting> waiting(Connection& c, const std::string& integration_id);
// The same for every integration with at least one such row.
Result<std::map<std::string, Waiting>> waiting_by_integration(Connection& c);
}  // namespace inbox

}  // namespace tributary::store
