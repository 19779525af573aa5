// Unified records: the data behind the events, one row per (integration, model, remote id), holding the
// unified record as JSON. `changed_at` moves only when the content hash changes; every content change also
// takes a new `seq` from a monotonic sequence, so the read API can page in (changed_at, seq) order with an
// opaque cursor: a record that changes while a client pages through moves behind the cursor's position and
// is seen again with its new content; records that do not change are never skipped or repeated.
//
// Reading by position never misses a change. A version stamped before its transaction commits is invisible to
// a read that runs in between, and the next read ("updated_after = when my previous read started", the Kombo
// pattern) would pass over it for good. So:
//   - every version upsert() or mark_deleted() writes inside a transaction is stamped again right before that
//     transaction's COMMIT (Connection::before_commit), after announcing the write to readers
//     (Connection::announce_record_write: PostgreSQL, a shared transaction-level advisory lock; SQLite, an
//     in-process fence per database file). The announcement is held only from that last statement to the
//     commit. Record writes outside a transaction (autocommit) are not fenced: production writes none.
//   - a positional read calls read_horizon() first, which waits for the millisecond to pass and for every
//   write
//     announced before it to end, and lists only versions stamped up to the millisecond it began
//     (RecordFilter::visible_before).
// So every version stamped before a read's start is committed and visible to that read, and every later one
// is stamped at or after it and returned by the next read that starts from it. Readers never take a lock
// writers queue behind (PostgreSQL: pg_locks is polled), so a reader cannot stall or deadlock the writers.
// The guarantee is in the server's clock; nodes and clients are assumed to keep their clocks in sync (NTP).
// Thread-safety: stateless functions over the caller's Connection.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/database.h"

namespace tributary::store {

struct RecordRow {
  std::string integration_id;
  std::string model;  // "hris_employees", ...
  std::string id;     // the stable unified id
  std::string remote_id;
  std::string data;          // JSON object: the unified record
  std::string content_hash;  // hex SHA-256 of `data`
  Millis changed_at = 0;
  std::optional<Millis> remote_deleted_at;
  std::int64_t seq = 0;
};

struct UpsertResult {
  bool created = false;
  bool changed = false;  // content changed (or the record was created, or undeleted)
  RecordRow row;         // as stored afterwards
};

struct RecordCursor {
  Millis changed_at = 0;
  std::int64_t seq = 0;
};

struct RecordFilter {
  std::string integration_id;
  std::string model;
  std::optional<Millis> updated_after;   // inclusive, on changed_at
  std::optional<Millis> visible_before;  // exclusive, on changed_at: from read_horizon()
  std::optional<RecordCursor> after;     // strictly after this position
  bool include_deleted = false;
  std::vector<std::string> ids;         // empty = any
  std::vector<std::string> remote_ids;  // empty = any
  int limit = 100;
};

namespace records {
// Before a positional read, outside any transaction: waits until every transaction that was writing records
// when it was called has ended. kUnavailable after `timeout`.
Status await_writers(Connection& c, std::chrono::milliseconds timeout);
// The horizon of a positional read that starts now: waits for the millisecond to pass (so that whatever
// stamps later stamps a later millisecond), then await_writers(); returns the RecordFilter::visible_before
// under which every record version is committed and visible. Takes at most a millisecond plus the wait.
Result<Millis> read_horizon(Connection& c, std::chrono::milliseconds timeout);
// Inserts or updates the record. content_hash is computed here from `data`. changed_at (= now, and again the
// commit's time when in a transaction) and a new seq are written only when the hash differs from the stored
// one, or when a deleted record comes back (its remote_deleted_at is cleared).
Result<UpsertResult> upsert(Connection& c, const std::string& integration_id, const std::string& model,
                            const std::string& id, const std::string& remote_id, const std::string& data,
                            Millis now);
// Sets remote_deleted_at (and changed_at, seq) when the record exists and is not deleted yet; true when it
// changed something.
Result<bool> mark_deleted(Connection& c, const std::string& integration_id, const std::string& model,
                          const std::string& remote_id, Millis now);
struct MissingRecords {
  std::int64_t live = 0;                // live records of the model that changed before `changed_before`
  std::vector<std::string> remote_ids;  // those of them whose remote id is not in `seen`
};
// After a full listing: the live records of the model a listing that saw `seen` no longer lists, except
// records that changed at or after `changed_before` (written by an event while the listing ran: the listing
// may have passed them before they existed).
Result<MissingRecords> find_missing(Connection& c, const std::string& integration_id,
                                    const std::string& model, const std::set<std::string>& seen,
                                    Millis changed_before);
// Marks each of the records deleted, as mark_deleted does (after a full listing: what find_missing() names).
// Returns how many it marked.
Result<std::int64_t> mark_all_deleted(Connection& c, const std::string& integration_id,
                                      const std::string& model, const std::vector<std::string>& remote_ids,
                                      Millis now);
Result<std::optional<RecordRow>> get(Connection& c, const std::string& integration_id,
                                     const std::string& model, const std::string& remote_id);
// In (changed_at, seq) order.
Result<std::vector<RecordRow>> list(Connection& c, const RecordFilter& filter);

// The opaque cursor of the position after `row`, and back.
std::string encode_cursor(const RecordCursor& cursor);
std::optional<RecordCursor> decode_cursor(const std::string& text);
}  // namespace records

}  // namespace tributary::store
