// PostgreSQL backend: one PGconn per Connection, statements prepared once per connection by SQL text
// (PQprepare under generated names, then PQexecPrepared), `$n` parameters passed as they are.
#include "store/postgres.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tributary::store {
namespace {

// Type OIDs from PostgreSQL's catalog (pg_type.dat); they are fixed across versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// As for SQLite: our statements are a fixed set written in code. Past the bound a statement runs unnamed
// (prepared again each time) instead of growing the server's per-connection plan cache.
constexpr std::size_t kMaxCachedStatements = 512;

// Defaults a URL may override; client_encoding comes after the URL and is forced: every string we pass and
// read is UTF-8.
constexpr const char* kConnectTimeoutSeconds = "10";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;  // NAMEDATALEN - 1
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The parts of a URL that are safe to log, and the password so that it can be scrubbed from messages.
struct UrlParts {
  std::string host;
  std::string port;
  std::string dbname;
  std::string password;
};

Result<UrlParts> parse_url(const std::string& url) {
  char* raw_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &raw_error);
  if (options == nullptr) {
    // libpq's message may quote the URL, password and all: say what is wrong in our own words.
    if (raw_error != nullptr) PQfreemem(raw_error);
    return make_error(ErrorKind::kInvalidArgument,
                      "database: not a valid PostgreSQL URL (postgres://user@host:port/dbname)");
  }
  UrlParts parts;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key(o->keyword);
    if (key == "host") {
      parts.host = o->val;
    } else if (key == "hostaddr" && parts.host.empty()) {
      parts.host = o->val;
    } else if (key == "port") {
      parts.port = o->val;
    } else if (key == "dbname") {
      parts.dbname = o->val;
    } else if (key == "password") {
      parts.password = o->val;
    }
  }
  PQconninfoFree(options);
  return parts;
}

// Removes every occurrence of the password from a message (libpq does not put it in its messages; this keeps
// it that way whatever a server or a future libpq says).
std::string scrub(std::string message, const std::string& password) {
  if (password.empty()) return message;
  for (std::size_t at = message.find(password); at != std::string::npos; at = message.find(password, at))
    message.replace(at, password.size(), "[redacted]");
  return message;
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

ErrorKind kind_for_sqlstate(std::string_view state) {
  if (starts_with(state, "23")) return ErrorKind::kConflict;                 // integrity constraint violation
  if (state == "40001" || state == "40P01") return ErrorKind::kUnavailable;  // serialization, deadlock
  if (starts_with(state, "08")) return ErrorKind::kUnavailable;              // connection exception
  // Server shutting down or not accepting connections yet, too many connections, lock not available: all
  // pass when retried later.
  if (state == "57P01" || state == "57P02" || state == "57P03" || state == "53300" || state == "55P03")
    return ErrorKind::kUnavailable;
  // The server refuses writes: disk full (could not extend a file), a read-only transaction (a standby, or
  // default_transaction_read_only), an I/O error. They pass when the operator frees space or lifts it.
  if (state == "53100" || state == "25006" || state == "58030") return ErrorKind::kStorageUnavailable;
  return ErrorKind::kInternal;
}

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, std::string password) : conn_(conn), password_(std::move(password)) {
    // Notices ("relation already exists, skipping", "there is no transaction in progress") are expected
    // answers here, not something to print on stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }

  ~PgConnection() override { PQfinish(conn_); }  // the server rolls back an open transaction

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Status exec_script(std::string_view sql) override {
    if (auto s = ensure_connected(); !s) return s;
    const std::string script(sql);  // PQexec wants a NUL-terminated string
    PgResult res(PQexec(conn_, script.c_str()));
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return {};
    return error(res.get(), "exec");
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    auto res = run(sql, params);
    if (!res) return res.error();
    PGresult* r = res->get();
    const int rows = PQntuples(r);
    const int columns = PQnfields(r);
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      Row row;
      row.columns.reserve(static_cast<std::size_t>(columns));
      for (int j = 0; j < columns; ++j)
        row.columns.push_back(column(r, i, j));
      out.push_back(std::move(row));
    }
    return out;
  }

  Result<std::int64_t> execute(std::string_view sql, const std::vector<Value>& params) override {
    auto res = run(sql, params);
    if (!res) return res.error();
    // "Rows changed", as on SQLite: a SELECT changes none, though libpq counts the rows it returned.
    if (starts_with(PQcmdStatus(res->get()), "SELECT")) return std::int64_t{0};
    const char* tuples = PQcmdTuples(res->get());
    std::int64_t n = 0;
    std::string_view digits(tuples != nullptr ? tuples : "");
    (void)std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
  }

  Status begin() override {
    if (auto s = ensure_connected(); !s) return s;
    end_transaction_state();  // whatever a lost or abandoned transaction left
    if (auto s = command("BEGIN ISOLATION LEVEL READ COMMITTED"); !s) return s;
    in_transaction_ = true;
    return {};
  }

  Status commit() override {
    if (auto s = run_before_commit(); !s) {
      (void)rollback();
      return s;
    }
    end_transaction_state();
    // COMMIT ends the transaction block whatever its outcome (a deferred constraint failing, a lost
    // connection), so there is nothing left to roll back afterwards.
    in_transaction_ = false;
    PgResult res(PQexec(conn_, "COMMIT"));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) return error(res.get(), "commit");
    // A transaction that hit an error earlier is rolled back by COMMIT, which then answers "ROLLBACK".
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
      return make_error(ErrorKind::kInternal,
                        "postgres commit: the transaction was rolled back after an earlier error");
    }
    return {};
  }

  Status rollback() override {
    end_transaction_state();
    in_transaction_ = false;
    // As on SQLite, nothing to undo is not a failure: no transaction open, or the connection (and with it
    // the transaction) is gone.
    if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
    return command("ROLLBACK");
  }

  Status savepoint(std::string_view name) override { return named("SAVEPOINT ", name); }
  Status release(std::string_view name) override { return named("RELEASE SAVEPOINT ", name); }
  Status rollback_to(std::string_view name) override { return named("ROLLBACK TO SAVEPOINT ", name); }
  Backend backend() const override { return Backend::kPostgres; }

  // A shared transaction-level advisory lock (released when the transaction ends, on any node), keyed by the
  // schema so that databases sharing a server through schemas do not wait for each other.
  Status announce_record_write() override {
    if (!in_transaction_)
      return make_error(ErrorKind::kInternal, "a record write must be announced inside a transaction");
    auto r = query(std::string("SELECT pg_advisory_xact_lock_shared(") + kRecordWriteLockClass + ", " +
                       kRecordWriteLockObject + ")",
                   {});
    if (!r) return r.error();
    return {};
  }

  // Polls pg_locks for the transactions holding the lock when it was called: a waiter never queues on the
  // lock itself, so it can neither stall nor deadlock the writers.
  Status await_record_writes(std::chrono::milliseconds timeout) override {
    const std::string holders =
        std::string("FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ") +
        kRecordWriteLockClass + "::oid AND objsubid = 2 AND objid::text::int8 = (" + kRecordWriteLockObject +
        "::int8 & 4294967295) AND database = (SELECT oid FROM pg_database WHERE datname = "
        "current_database()) AND pid <> pg_backend_pid()";
    auto first = query("SELECT COALESCE(string_agg(virtualtransaction, ','), '') " + holders, {});
    if (!first) return first.error();
    const std::string waiting_for = first->empty() ? std::string() : first->front().text(0);
    if (waiting_for.empty()) return {};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(250);
    for (;;) {
      auto left =
          query("SELECT count(*) " + holders + " AND virtualtransaction = ANY(string_to_array($1, ','))",
                {waiting_for});
      if (!left) return left.error();
      if (left->empty() || left->front().int64(0) == 0) return {};
      if (std::chrono::steady_clock::now() >= deadline)
        return make_error(ErrorKind::kUnavailable, "a transaction writing records has not ended in time");
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(10000));
    }
  }

 private:
  // LockSpace::kRecordWrites (store/advisory_lock.h) and the schema.
  static constexpr const char* kRecordWriteLockClass = "3";
  static constexpr const char* kRecordWriteLockObject = "hashtext(current_schema() || ':records')";

  struct Prepared {
    std::string name;
    int params = 0;
  };

  // A connection that broke outside a transaction is re-established; inside one, the transaction is lost
  // and the caller has to know: it gets kUnavailable until it rolls back.
  Status ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    if (in_transaction_) {
      return make_error(ErrorKind::kUnavailable, "postgres: connection lost during a transaction");
    }
    cache_.clear();  // prepared statements died with the old session
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return connection_error("reconnect");
    return {};
  }

  Status command(const char* sql) {
    PgResult res(PQexec(conn_, sql));
    if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK) return {};
    return error(res.get(), "exec");
  }

  Status named(std::string_view verb, std::string_view name) {
    if (!is_identifier(name)) {
      return make_error(ErrorKind::kInvalidArgument, "savepoint names are [A-Za-z0-9_]{1,63}");
    }
    if (auto s = ensure_connected(); !s) return s;
    std::string sql(verb);
    sql += '"';
    sql += name;
    sql += '"';
    return command(sql.c_str());
  }

  // The declared type of a parameter, from the value given when the statement is first prepared: integers as
  // BIGINT and doubles as DOUBLE PRECISION (so `$1 + 1` or a comparison never narrows them), blobs as BYTEA
  // (they travel in binary). Text and NULL leave the type to the server, which infers it from the context.
  static Oid declared_type(const Value& v) {
    if (std::holds_alternative<std::int64_t>(v)) return kInt8Oid;
    if (std::holds_alternative<double>(v)) return kFloat8Oid;
    if (std::holds_alternative<Blob>(v)) return kByteaOid;
    return 0;
  }

  Result<Prepared> prepare(std::string_view sql, const std::vector<Value>& params) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;

    Prepared p;
    const bool cache = cache_.size() < kMaxCachedStatements;
    if (cache) p.name = "tributary_" + std::to_string(++next_statement_);
    std::vector<Oid> types;
    types.reserve(params.size());
    for (const Value& v : params)
      types.push_back(declared_type(v));
    const std::string text(sql);
    PgResult res(PQprepare(conn_, p.name.c_str(), text.c_str(), static_cast<int>(types.size()),
                           types.empty() ? nullptr : types.data()));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) return error(res.get(), "prepare");
    // The number of parameters the statement takes, for a clear message when too few are given.
    PgResult described(PQdescribePrepared(conn_, p.name.c_str()));
    if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK)
      return error(described.get(), "prepare");
    p.params = PQnparams(described.get());
    if (cache) cache_.emplace(text, p);
    return p;
  }

  Result<PgResult> run(std::string_view sql, const std::vector<Value>& params) {
    if (auto s = ensure_connected(); !s) return s.error();
    auto prepared = prepare(sql, params);
    if (!prepared) return prepared.error();
    const int n = prepared->params;
    if (static_cast<std::size_t>(n) > params.size()) {
      return make_error(ErrorKind::kInternal, "postgres bind: statement uses $" + std::to_string(n) +
                                                  " but " + std::to_string(params.size()) +
                                                  " parameters were given");
    }

    // Text for numbers and strings, binary for blobs. `storage` owns the formatted numbers; strings and
    // blobs are passed without a copy (params outlive the call).
    std::vector<std::string> storage(static_cast<std::size_t>(n));
    std::vector<const char*> values(static_cast<std::size_t>(n), nullptr);
    std::vector<int> lengths(static_cast<std::size_t>(n), 0);
    std::vector<int> formats(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const Value& v = params[k];
      if (const auto* x = std::get_if<std::int64_t>(&v)) {
        storage[k] = std::to_string(*x);
        values[k] = storage[k].c_str();
      } else if (const auto* d = std::get_if<double>(&v)) {
        // %.17g, without the locale's say in the decimal point: reads back as the same double.
        char buf[40];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d, std::chars_format::general, 17);
        storage[k] = ec == std::errc() ? std::string(buf, end) : std::string("NaN");
        values[k] = storage[k].c_str();
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // A text parameter ends at its first NUL, and PostgreSQL text cannot hold one: refuse rather than
        // store a silently shortened value.
        if (s->find('\0') != std::string::npos) {
          return make_error(ErrorKind::kInvalidArgument, "postgres bind: text parameter $" +
                                                             std::to_string(i + 1) + " contains a NUL byte");
        }
        values[k] = s->c_str();
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        values[k] = b->bytes.data();
        lengths[k] = static_cast<int>(b->bytes.size());
        formats[k] = 1;
      }
    }
    PgResult res(PQexecPrepared(conn_, prepared->name.c_str(), n, values.data(), lengths.data(),
                                formats.data(), /*resultFormat=*/0));
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return res;
    if (status == PGRES_EMPTY_QUERY) return make_error(ErrorKind::kInternal, "postgres: empty statement");
    return error(res.get(), "query");
  }

  static Value column(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col) != 0) return nullptr;
    const char* p = PQgetvalue(r, row, col);
    const std::string_view text(p, static_cast<std::size_t>(PQgetlength(r, row, col)));
    switch (PQftype(r, col)) {
      case kInt8Oid:
      case kInt4Oid:
      case kInt2Oid:
      case kOidOid: {
        std::int64_t v = 0;
        (void)std::from_chars(text.data(), text.data() + text.size(), v);
        return v;
      }
      case kFloat8Oid:
      case kFloat4Oid:
      case kNumericOid: {
        double v = 0;
        (void)std::from_chars(text.data(), text.data() + text.size(), v);
        return v;
      }
      case kBoolOid:  // `x IS NULL` and friends: 1/0 as SQLite answers them
        return std::int64_t{text == "t" ? 1 : 0};
      case kByteaOid: {
        std::size_t n = 0;
        unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(p), &n);
        if (bytes == nullptr) return Blob{};
        Blob blob{std::string(reinterpret_cast<const char*>(bytes), n)};
        PQfreemem(bytes);
        return blob;
      }
      default:
        return std::string(text);
    }
  }

  Error connection_error(std::string_view what) const {
    return make_error(ErrorKind::kUnavailable, scrub("postgres " + std::string(what) + ": " +
                                                         trim_trailing_newlines(PQerrorMessage(conn_)),
                                                     password_));
  }

  // The server's primary message and SQLSTATE. Never the DETAIL, which quotes key values and whole rows;
  // and for data exceptions (class 22, e.g. "invalid input syntax for type bigint: "…"") not even the
  // primary message, which quotes the offending input.
  Error error(PGresult* res, std::string_view what) const {
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr) {
      if (PQstatus(conn_) != CONNECTION_OK) return connection_error(what);
      std::string message = trim_trailing_newlines(PQerrorMessage(conn_));
      return make_error(ErrorKind::kInternal, scrub("postgres " + std::string(what) + ": " +
                                                        (message.empty() ? "no result" : message),
                                                    password_));
    }
    const std::string_view sqlstate(state);
    std::string message = "postgres " + std::string(what) + ": ";
    if (starts_with(sqlstate, "22")) {
      message += "a value does not fit its column type or format";
    } else {
      const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
      message += primary != nullptr ? primary : "error";
    }
    message += " (SQLSTATE ";
    message += sqlstate;
    message += ')';
    return make_error(kind_for_sqlstate(sqlstate), scrub(std::move(message), password_));
  }

  PGconn* conn_;
  std::string password_;
  bool in_transaction_ = false;
  std::uint64_t next_statement_ = 0;
  std::unordered_map<std::string, Prepared, StringHash, std::equal_to<>> cache_;
};

// LISTEN on a connection of its own, outside any transaction; wait() polls its socket.
class PgListener final : public Listener {
 public:
  PgListener(PGconn* conn, std::vector<std::string> channels, std::string password)
      : conn_(conn), channels_(std::move(channels)), password_(std::move(password)) {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~PgListener() override { PQfinish(conn_); }
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  Status subscribe() {
    for (const auto& channel : channels_) {
      const std::string sql = "LISTEN \"" + channel + "\"";
      PgResult res(PQexec(conn_, sql.c_str()));
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) return failure("listen");
    }
    return {};
  }

  Result<std::vector<std::string>> wait(std::chrono::milliseconds timeout) override {
    if (PQstatus(conn_) != CONNECTION_OK) {
      // Reconnect and listen again; what was sent meanwhile is lost, so report every channel.
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) return failure("listener reconnect");
      if (auto s = subscribe(); !s) return s.error();
      return channels_;
    }
    std::vector<std::string> got;
    if (auto s = drain(got); !s) return s.error();
    if (!got.empty()) return got;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return failure("listener");
    const int ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 60'000));
    const int ready = ::poll(&fd, 1, ms);
    if (ready < 0 && errno != EINTR)
      return make_error(ErrorKind::kUnavailable, "postgres listener: poll failed");
    if (ready > 0) {
      if (auto s = drain(got); !s) return s.error();
    }
    return got;
  }

 private:
  // Reads what the socket holds and collects the notified channels, each once.
  Status drain(std::vector<std::string>& got) {
    if (PQconsumeInput(conn_) == 0) return failure("listener");
    while (PGnotify* n = PQnotifies(conn_)) {
      std::string channel(n->relname);
      PQfreemem(n);
      if (std::find(got.begin(), got.end(), channel) == got.end()) got.push_back(std::move(channel));
    }
    return {};
  }

  Error failure(std::string_view what) const {
    return make_error(ErrorKind::kUnavailable, scrub("postgres " + std::string(what) + ": " +
                                                         trim_trailing_newlines(PQerrorMessage(conn_)),
                                                     password_));
  }

  PGconn* conn_;
  std::vector<std::string> channels_;
  std::string password_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, UrlParts parts) : url_(std::move(url)), parts_(std::move(parts)) {}

  Result<std::unique_ptr<Connection>> connect() override {
    auto conn = open();
    if (!conn) return conn.error();
    return std::unique_ptr<Connection>(std::make_unique<PgConnection>(*conn, parts_.password));
  }

  Result<std::unique_ptr<Listener>> listen(const std::vector<std::string>& channels) override {
    for (const auto& channel : channels) {
      if (!is_identifier(channel))
        return make_error(ErrorKind::kInvalidArgument, "channel names are [A-Za-z0-9_]{1,63}");
    }
    auto conn = open();
    if (!conn) return conn.error();
    auto listener = std::make_unique<PgListener>(*conn, channels, parts_.password);
    if (auto s = listener->subscribe(); !s) return s.error();
    return std::unique_ptr<Listener>(std::move(listener));
  }

  Backend backend() const override { return Backend::kPostgres; }

  std::string describe() const override {
    std::string host = parts_.host.empty() ? "localhost" : parts_.host;
    if (host.find(':') != std::string::npos && host.front() != '/') host = "[" + host + "]";
    return "postgres://" + host + ":" + (parts_.port.empty() ? "5432" : parts_.port) + "/" + parts_.dbname;
  }

 private:
  Result<PGconn*> open() const {
    // Keywords are applied in order and the URL (expanded from dbname) overrides what comes before it.
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", "client_encoding", nullptr};
    const char* values[] = {kConnectTimeoutSeconds, "tributary", url_.c_str(), "UTF8", nullptr};
    PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn == nullptr) return make_error(ErrorKind::kUnavailable, "postgres connect: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = trim_trailing_newlines(PQerrorMessage(conn));
      PQfinish(conn);
      return make_error(ErrorKind::kUnavailable,
                        scrub("postgres connect to " + describe() + ": " + message, parts_.password));
    }
    return conn;
  }

  std::string url_;
  UrlParts parts_;
};

}  // namespace

Result<std::unique_ptr<Database>> open_postgres_database(const std::string& url) {
  auto parts = parse_url(url);
  if (!parts) return parts.error();
  auto db = std::make_unique<PostgresDatabase>(url, std::move(*parts));
  auto probe = db->connect();
  if (!probe) return probe.error();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace tributary::store
