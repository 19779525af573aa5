// Unified records: the data behind the events, one row per (integration, model, remote id), holding the
// unified record as JSON. `changed_at` moves only when the content hash changes; every content change also
// takes a new `seq` from a monotonic sequence, so the read API can page in (changed_at, seq) order with an
// opaque cursor: a record that changes while a client pages through moves behind the cursor's position and
// is seen again with its new content; records that do not change are never skipped or repeated.
// Thread-safety: stateless functions over the caller's Connection.
#pragma once

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
  std::optional<Millis> updated_after;  // inclusive, on changed_at
  std::optional<RecordCursor> after;    // strictly after this position
  bool include_deleted = false;
  std::vector<std::string> ids;         // empty = any
  std::vector<std::string> remote_ids;  // empty = any
  int limit = 100;
};

namespace records {
// Inserts or updates the record. content_hash is computed here from `data`. changed_at (= now) and a new seq
// are written only when the hash differs from the stored one, or when a deleted record comes back (its
// remote_deleted_at is cleared).
Result<UpsertResult> upsert(Connection& c, const std::string& integration_id, const std::string& model,
                            const std::string& id, const std::string& remote_id, const std::string& data,
                            Millis now);
// Sets remote_deleted_at (and changed_at, seq) when the record exists and is not deleted yet; true when it
// changed something.
Result<bool> mark_deleted(Connection& c, const std::string& integration_id, const std::string& model,
                          const std::string& remote_id, Millis now);
// After a full listing: marks deleted (as mark_deleted does) every live record of the model whose remote id
// is not in `seen`, except records that changed at or after `changed_before` (written by an event while the
// listing ran: the listing may have passed them before they existed). Returns how many it marked.
Result<std::int64_t> mark_missing_deleted(Connection& c, const std::string& integration_id,
                                          const std::string& model, const std::set<std::string>& seen,
                                          Millis changed_before, Millis now);
Result<std::optional<RecordRow>> get(Connection& c, const std::string& integration_id,
                                     const std::string& model, const std::string& remote_id);
// In (changed_at, seq) order.
Result<std::vector<RecordRow>> list(Connection& c, const RecordFilter& filter);

// The opaque cursor of the position after `row`, and back.
std::string encode_cursor(const RecordCursor& cursor);
std::optional<RecordCursor> decode_cursor(const std::string& text);
}  // namespace records

}  // namespace tributary::store
