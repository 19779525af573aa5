// SQLite backend: one sqlite3 handle per Connection, prepared statements cached by SQL text, `$n` parameters
// bound by name.
#include "store/sqlite.h"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/mutex.h"

namespace tributary::store {
namespace {

// Our statements are a fixed set written in code, so the cache stays small; the bound only guards against a
// caller that builds SQL text dynamically.
constexpr std::size_t kMaxCachedStatements = 512;

// The pragmas every connection runs. busy_timeout comes first so that switching the file to WAL (which needs
// an exclusive lock the first time) waits for other connections instead of failing.
constexpr std::string_view kConnectionPragmas =
    "PRAGMA busy_timeout=10000;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-8192;";  // KiB: 8 MiB of page cache per connection

ErrorKind kind_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorKind::kConflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kUnavailable;
    // The file system refuses the write (no space, read-only, an I/O error, the journal cannot be opened):
    // not a fault of the statement; it passes when the operator frees space.
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return ErrorKind::kStorageUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

// SQLite's messages name tables, columns and constraints but never the bound values, so they are safe to pass
// on; we add no SQL or parameter text of our own.
Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite ";
  message += what;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return make_error(kind_for(rc), std::move(message));
}

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "$12" → 12; 0 for anything else (anonymous `?`, `:name`, `@name`, `$name`).
std::size_t dollar_number(const char* name) {
  if (name == nullptr || name[0] != '$') return 0;
  std::string_view digits(name + 1);
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return n;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Resets a cached statement and drops its bindings when a query leaves scope, whatever the outcome, so the
// next user finds it clean and no parameter buffer is referenced after the call returns.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// The record-write fence of one SQLite file: the process owns the database, so the transactions that write
// records are counted here, in memory, and a reader waits for those announced before it on a condition
// variable (fair to readers, unlike waiting for SQLite's write lock, which a busy writer can hold on to).
class RecordWriteFence {
 public:
  std::uint64_t enter() {
    MutexLock lock(mu_);
    const std::uint64_t id = ++last_;
    open_.insert(id);
    return id;
  }
  void leave(std::uint64_t id) {
    {
      MutexLock lock(mu_);
      open_.erase(id);
    }
    cv_.notify_all();
  }
  bool await(std::chrono::milliseconds timeout) {
    MutexLock lock(mu_);
    const std::uint64_t horizon = last_;
    return lock.wait_for(cv_, timeout,
                         [&]() REQUIRES(mu_) { return open_.empty() || *open_.begin() > horizon; });
  }

  // One fence per database file in this process, however many Database objects open it.
  static std::shared_ptr<RecordWriteFence> for_path(const std::string& path) {
    static Mutex mu;
    static std::map<std::string, std::weak_ptr<RecordWriteFence>> fences;
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec || key.empty()) key = path;
    MutexLock lock(mu);
    auto& slot = fences[key];
    auto fence = slot.lock();
    if (!fence) {
      fence = std::make_shared<RecordWriteFence>();
      slot = fence;
    }
    return fence;
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  std::uint64_t last_ = 0;
  std::set<std::uint64_t> open_ GUARDED_BY(mu_);
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::shared_ptr<RecordWriteFence> fence)
      : db_(db), fence_(std::move(fence)) {}

  ~SqliteConnection() override {
    end_record_write();
    clear_cache();
    // Rolls back an open transaction, if any.
    sqlite3_close_v2(db_);
  }

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  static Result<std::unique_ptr<Connection>> open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      Error error = sqlite_error(db, rc, "open " + path);
      sqlite3_close_v2(db);  // harmless on nullptr
      return error;
    }
    sqlite3_extended_result_codes(db, 1);
    auto conn = std::make_unique<SqliteConnection>(db, RecordWriteFence::for_path(path));

    if (auto s = conn->exec_script(kConnectionPragmas); !s) return s.error();
    // journal_mode answers with the mode actually in force: a file system or VFS that cannot do WAL silently
    // keeps the old mode, and then "durable after one fsync per batch" would no longer hold.
    auto mode = conn->query("PRAGMA journal_mode=WAL", {});
    if (!mode) return mode.error();
    std::string got = mode->empty() ? std::string() : mode->front().text(0);
    if (got != "wal") {
      return make_error(ErrorKind::kInternal,
                        "sqlite open " + path + ": could not enable WAL (journal_mode is '" + got + "')");
    }
    return std::unique_ptr<Connection>(std::move(conn));
  }

  Status exec_script(std::string_view sql) override {
    std::string script(sql);  // sqlite3_exec wants a NUL-terminated string
    char* raw_message = nullptr;
    int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &raw_message);
    if (rc == SQLITE_OK) return {};
    std::string message = "sqlite exec: ";
    message += raw_message != nullptr ? raw_message : sqlite3_errstr(rc);
    sqlite3_free(raw_message);
    return make_error(kind_for(rc), std::move(message));
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    std::vector<Row> rows;
    auto stmt = prepare(sql);
    if (!stmt) return stmt.error();
    StatementUse use(*stmt);
    if (auto s = bind(*stmt, params); !s) return s.error();
    const int columns = sqlite3_column_count(*stmt);
    for (;;) {
      int rc = sqlite3_step(*stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "step");
      Row row;
      row.columns.reserve(columns);
      for (int i = 0; i < columns; ++i)
        row.columns.push_back(column(*stmt, i));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<std::int64_t> execute(std::string_view sql, const std::vector<Value>& params) override {
    auto stmt = prepare(sql);
    if (!stmt) return stmt.error();
    StatementUse use(*stmt);
    if (auto s = bind(*stmt, params); !s) return s.error();
    // sqlite3_changes64() keeps the count of the last INSERT/UPDATE/DELETE, which is stale after DDL or a
    // SELECT; the total only moves when this statement changed rows.
    const std::int64_t total_before = sqlite3_total_changes64(db_);
    for (;;) {
      int rc = sqlite3_step(*stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return sqlite_error(db_, rc, "step");
    }
    if (sqlite3_total_changes64(db_) == total_before) return std::int64_t{0};
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  Status begin() override {
    end_transaction_state();  // whatever an abandoned transaction (or autocommit writes) left
    return run("BEGIN IMMEDIATE");
  }
  Status commit() override {
    if (auto s = run_before_commit(); !s) {
      (void)rollback();
      return s;
    }
    Status s = run("COMMIT");
    if (s || sqlite3_get_autocommit(db_) != 0) {  // committed, or rolled back by SQLite
      end_record_write();
      end_transaction_state();
    }
    return s;
  }
  Status rollback() override {
    end_transaction_state();
    // SQLite rolls back by itself after some errors (I/O, out of memory, disk full); there is nothing left
    // to undo then, and that is not a failure of rollback().
    if (sqlite3_get_autocommit(db_) != 0) {
      end_record_write();
      return {};
    }
    Status s = run("ROLLBACK");
    end_record_write();
    return s;
  }
  Status announce_record_write() override {
    if (sqlite3_get_autocommit(db_) != 0)
      return make_error(ErrorKind::kInternal, "a record write must be announced inside a transaction");
    if (!announced_) announced_ = fence_->enter();
    return {};
  }
  Status await_record_writes(std::chrono::milliseconds timeout) override {
    if (announced_) return make_error(ErrorKind::kInternal, "a reader cannot wait for its own record write");
    if (!fence_->await(timeout))
      return make_error(ErrorKind::kUnavailable, "a transaction writing records has not ended in time");
    return {};
  }
  Status savepoint(std::string_view name) override { return named("SAVEPOINT ", name); }
  Status release(std::string_view name) override { return named("RELEASE SAVEPOINT ", name); }
  Status rollback_to(std::string_view name) override { return named("ROLLBACK TO SAVEPOINT ", name); }
  Backend backend() const override { return Backend::kSqlite; }

 private:
  void end_record_write() {
    if (announced_) fence_->leave(*announced_);
    announced_.reset();
  }

  Status run(std::string_view sql) {
    auto changed = execute(sql, {});
    if (!changed) return changed.error();
    return {};
  }

  Status named(std::string_view verb, std::string_view name) {
    if (!is_identifier(name)) {
      return make_error(ErrorKind::kInvalidArgument, "savepoint names are [A-Za-z0-9_]{1,64}");
    }
    std::string sql(verb);
    sql += '"';
    sql += name;
    sql += '"';
    return run(sql);
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;

    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return sqlite_error(db_, rc, "prepare");
    }
    if (stmt == nullptr) return make_error(ErrorKind::kInternal, "sqlite prepare: empty statement");
    // One statement per query(): anything after it other than whitespace and comments would be silently
    // ignored otherwise.
    const char* end = sql.data() + sql.size();
    if (tail != nullptr && tail < end) {
      sqlite3_stmt* extra = nullptr;
      int extra_rc = sqlite3_prepare_v3(db_, tail, static_cast<int>(end - tail), 0, &extra, nullptr);
      sqlite3_finalize(extra);
      if (extra_rc != SQLITE_OK || extra != nullptr) {
        sqlite3_finalize(stmt);
        return make_error(ErrorKind::kInternal,
                          "sqlite prepare: query() runs one statement; use exec_script() for several");
      }
    }
    if (cache_.size() >= kMaxCachedStatements) clear_cache();
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  // Each parameter slot of the statement is named `$n` and takes params[n-1]: SQLite numbers slots by first
  // appearance, so a statement that mentions $2 before $1 has "$2" in slot 1, and a repeated $1 is one slot.
  Status bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
    const int slots = sqlite3_bind_parameter_count(stmt);
    for (int slot = 1; slot <= slots; ++slot) {
      const char* name = sqlite3_bind_parameter_name(stmt, slot);
      const std::size_t n = dollar_number(name);
      if (n == 0) {
        return make_error(ErrorKind::kInternal, std::string("sqlite bind: unsupported placeholder '") +
                                                    (name != nullptr ? name : "?") + "'; use $1…$n");
      }
      if (n > params.size()) {
        return make_error(ErrorKind::kInternal, "sqlite bind: statement uses $" + std::to_string(n) +
                                                    " but " + std::to_string(params.size()) +
                                                    " parameters were given");
      }
      if (int rc = bind_value(stmt, slot, params[n - 1]); rc != SQLITE_OK)
        return sqlite_error(db_, rc, "bind");
    }
    return {};
  }

  // Parameters outlive the statement's use (StatementUse clears the bindings before query() returns), so
  // text and blobs are bound without a copy.
  static int bind_value(sqlite3_stmt* stmt, int slot, const Value& value) {
    struct Binder {
      sqlite3_stmt* stmt;
      int slot;
      int operator()(std::nullptr_t) const { return sqlite3_bind_null(stmt, slot); }
      int operator()(std::int64_t v) const { return sqlite3_bind_int64(stmt, slot, v); }
      int operator()(double v) const { return sqlite3_bind_double(stmt, slot, v); }
      int operator()(const std::string& v) const {
        return sqlite3_bind_text64(stmt, slot, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      int operator()(const Blob& v) const {
        return sqlite3_bind_blob64(stmt, slot, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
      }
    };
    return std::visit(Binder{stmt, slot}, value);
  }

  static Value column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(stmt, i)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, i);
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        return p != nullptr ? std::string(p, static_cast<std::size_t>(n)) : std::string();
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        return Blob{p != nullptr ? std::string(p, static_cast<std::size_t>(n)) : std::string()};
      }
      default:
        return nullptr;
    }
  }

  void clear_cache() {
    for (auto& [sql, stmt] : cache_)
      sqlite3_finalize(stmt);
    cache_.clear();
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
  std::shared_ptr<RecordWriteFence> fence_;
  std::optional<std::uint64_t> announced_;  // this transaction's place in the fence, while it writes records
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}

  Result<std::unique_ptr<Connection>> connect() override { return SqliteConnection::open(path_); }
  Backend backend() const override { return Backend::kSqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

 private:
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite_database(const std::string& path) {
  auto db = std::make_unique<SqliteDatabase>(path);
  auto probe = db->connect();
  if (!probe) return probe.error();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace tributary::store
