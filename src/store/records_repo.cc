#include "store/records_repo.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "core/crypto.h"
#include "store/value_util.h"

namespace tributary::store {
namespace {

constexpr const char* kColumns =
    "integration_id, model, id, remote_id, data, content_hash, changed_at, remote_deleted_at, seq";

RecordRow to_record(const Row& r) {
  RecordRow row;
  row.integration_id = r.text(0);
  row.model = r.text(1);
  row.id = r.text(2);
  row.remote_id = r.text(3);
  row.data = r.text(4);
  row.content_hash = r.text(5);
  row.changed_at = r.int64(6);
  row.remote_deleted_at = col_opt_int(r, 7);
  row.seq = r.int64(8);
  return row;
}

// The next change sequence number: a PostgreSQL sequence, or on SQLite (one writer at a time) one more than
// the largest in use.
std::string next_seq_sql(const Connection& c) {
  return c.backend() == Backend::kPostgres ? "nextval('records_seq')"
                                           : "(SELECT COALESCE(MAX(seq), 0) + 1 FROM records)";
}

std::string placeholders(std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

// The seqs of the record versions this transaction wrote: stamped again right before its COMMIT.
constexpr std::string_view kStampsKey = "records.stamps";
constexpr std::size_t kStampsPerStatement = 500;

Status stamp_at_commit_now(Connection& c, const std::vector<std::int64_t>& seqs) {
  if (seqs.empty()) return {};
  if (auto s = c.announce_record_write(); !s) return s;
  const Millis now = now_ms();
  for (std::size_t i = 0; i < seqs.size(); i += kStampsPerStatement) {
    const std::size_t n = std::min(kStampsPerStatement, seqs.size() - i);
    std::vector<Value> params{now};
    for (std::size_t j = 0; j < n; ++j)
      params.emplace_back(seqs[i + j]);
    auto done = c.execute(
        "UPDATE records SET changed_at = CASE WHEN changed_at > $1 THEN changed_at ELSE $1 END "
        "WHERE seq IN (" +
            placeholders(2, n) + ")",
        params);
    if (!done) return done.error();
  }
  return {};
}

// Registers a written version for the stamp at commit (store/records_repo.h).
void stamp_at_commit(Connection& c, std::int64_t seq) {
  auto& slot = c.transaction_state(kStampsKey);
  if (!slot) {
    auto seqs = std::make_shared<std::vector<std::int64_t>>();
    slot = seqs;
    c.before_commit([&c, seqs]() { return stamp_at_commit_now(c, *seqs); });
  }
  std::static_pointer_cast<std::vector<std::int64_t>>(slot)->push_back(seq);
}

}  // namespace

namespace records {

Result<Millis> read_horizon(Connection& c, std::chrono::milliseconds timeout) {
  const Millis started = now_ms();
  while (now_ms() <= started)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  const auto waiting = std::chrono::steady_clock::now();
  if (auto s = await_writers(c, timeout); !s) return s.error();
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - waiting);
  if (waited >= std::chrono::milliseconds(100))
    spdlog::info("records read: waited {} ms for transactions writing records to end", waited.count());
  return started + 1;
}

Status await_writers(Connection& c, std::chrono::milliseconds timeout) {
  return c.await_record_writes(timeout);
}

Result<std::optional<RecordRow>> get(Connection& c, const std::string& integration_id,
                                     const std::string& model, const std::string& remote_id) {
  return first_row<RecordRow>(
      c.query(std::string("SELECT ") + kColumns +
                  " FROM records WHERE integration_id = $1 AND model = $2 AND remote_id = $3",
              {integration_id, model, storable_text(c, remote_id)}),
      to_record);
}

Result<UpsertResult> upsert(Connection& c, const std::string& integration_id, const std::string& model,
                            const std::string& id, const std::string& remote_id, const std::string& data,
                            Millis now) {
  const std::string hash = crypto::hex_encode(crypto::sha256(data));
  auto existing = get(c, integration_id, model, remote_id);
  if (!existing) return existing.error();
  UpsertResult out;
  if (!*existing) {
    auto rows = c.query(
        "INSERT INTO records (" + std::string(kColumns) + ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, " +
            next_seq_sql(c) + ") RETURNING " + kColumns,
        {integration_id, model, id, storable_text(c, remote_id), storable_text(c, data), hash, now});
    if (!rows) return rows.error();
    out.created = true;
    out.changed = true;
    out.row = to_record(rows->front());
    stamp_at_commit(c, out.row.seq);
    return out;
  }
  const RecordRow& old = **existing;
  if (old.content_hash == hash && !old.remote_deleted_at) {
    out.row = old;
    return out;
  }
  // changed_at never goes backwards, even if this node's clock is behind the one that wrote last.
  const Millis changed_at = std::max(now, old.changed_at);
  auto rows = c.query(
      "UPDATE records SET data = $4, content_hash = $5, changed_at = $6, "
      "remote_deleted_at = NULL, seq = " +
          next_seq_sql(c) + " WHERE integration_id = $1 AND model = $2 AND remote_id = $3 RETURNING " +
          kColumns,
      {integration_id, model, storable_text(c, remote_id), storable_text(c, data), hash, changed_at});
  if (!rows) return rows.error();
  if (rows->empty()) return make_error(ErrorKind::kInternal, "record vanished during upsert");
  out.changed = true;
  out.row = to_record(rows->front());
  stamp_at_commit(c, out.row.seq);
  return out;
}

Result<bool> mark_deleted(Connection& c, const std::string& integration_id, const std::string& model,
                          const std::string& remote_id, Millis now) {
  auto rows = c.query(
      "UPDATE records SET remote_deleted_at = $4, changed_at = CASE WHEN changed_at > $4 "
      "THEN changed_at ELSE $4 END, seq = " +
          next_seq_sql(c) +
          " WHERE integration_id = $1 AND model = $2 AND remote_id = $3 AND "
          "remote_deleted_at IS NULL RETURNING seq",
      {integration_id, model, storable_text(c, remote_id), now});
  if (!rows) return rows.error();
  if (rows->empty()) return false;
  stamp_at_commit(c, rows->front().int64(0));
  return true;
}

Result<MissingRecords> find_missing(Connection& c, const std::string& integration_id,
                                    const std::string& model, const std::set<std::string>& seen,
                                    Millis changed_before) {
  auto rows = c.query(
      "SELECT remote_id FROM records WHERE integration_id = $1 AND model = $2 AND remote_deleted_at IS NULL "
      "AND changed_at < $3",
      {integration_id, model, changed_before});
  if (!rows) return rows.error();
  MissingRecords out;
  for (const auto& r : *rows) {
    ++out.live;
    std::string remote_id = r.text(0);
    if (seen.count(remote_id) > 0 || seen.count(storable_text(c, remote_id)) > 0) continue;
    out.remote_ids.push_back(std::move(remote_id));
  }
  return out;
}

Result<std::int64_t> mark_all_deleted(Connection& c, const std::string& integration_id,
                                      const std::string& model, const std::vector<std::string>& remote_ids,
                                      Millis now) {
  std::int64_t marked = 0;
  for (const auto& remote_id : remote_ids) {
    auto del = mark_deleted(c, integration_id, model, remote_id, now);
    if (!del) return del.error();
    if (*del) ++marked;
  }
  return marked;
}

Result<std::vector<RecordRow>> list(Connection& c, const RecordFilter& filter) {
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM records WHERE integration_id = $1 AND model = $2";
  std::vector<Value> params = {filter.integration_id, filter.model};
  if (filter.updated_after) {
    params.emplace_back(*filter.updated_after);
    sql += " AND changed_at >= $" + std::to_string(params.size());
  }
  if (filter.visible_before) {
    params.emplace_back(*filter.visible_before);
    sql += " AND changed_at < $" + std::to_string(params.size());
  }
  if (filter.after) {
    params.emplace_back(filter.after->changed_at);
    const std::size_t at = params.size();
    params.emplace_back(filter.after->seq);
    sql += " AND (changed_at > $" + std::to_string(at) + " OR (changed_at = $" + std::to_string(at) +
           " AND seq > $" + std::to_string(at + 1) + "))";
  }
  if (!filter.include_deleted) sql += " AND remote_deleted_at IS NULL";
  if (!filter.ids.empty()) {
    sql += " AND id IN (" + placeholders(params.size() + 1, filter.ids.size()) + ")";
    for (const auto& id : filter.ids)
      params.emplace_back(storable_text(c, id));
  }
  if (!filter.remote_ids.empty()) {
    sql += " AND remote_id IN (" + placeholders(params.size() + 1, filter.remote_ids.size()) + ")";
    for (const auto& id : filter.remote_ids)
      params.emplace_back(storable_text(c, id));
  }
  params.emplace_back(static_cast<std::int64_t>(filter.limit));
  sql += " ORDER BY changed_at, seq LIMIT $" + std::to_string(params.size());
  return all_rows<RecordRow>(c.query(sql, params), to_record);
}

std::string encode_cursor(const RecordCursor& cursor) {
  return crypto::base64url_encode_nopad("r1:" + std::to_string(cursor.changed_at) + ":" +
                                        std::to_string(cursor.seq));
}

std::optional<RecordCursor> decode_cursor(const std::string& text) {
  if (text.size() > 128) return std::nullopt;
  auto raw = crypto::base64url_decode(text);
  if (!raw || raw->rfind("r1:", 0) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(*raw).substr(3);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  RecordCursor out;
  const auto a = rest.substr(0, colon);
  const auto b = rest.substr(colon + 1);
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), out.changed_at);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), out.seq);
  if (ea != std::errc{} || eb != std::errc{} || pa != a.data() + a.size() || pb != b.data() + b.size() ||
      a.empty() || b.empty() || out.changed_at < 0 || out.seq < 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace records
}  // namespace tributary::store
