// The Database seam: connections that run parameterised SQL and return plain rows. SQLite is the embedded
// default; PostgreSQL (libpq) is the backend for operators who outgrow one machine.
// Portable SQL: `$1 … $n` placeholders, INSERT … ON CONFLICT, RETURNING. In SQLite `$n` are named parameters,
// bound by name (sqlite3_bind_parameter_index(stmt, "$n")), so a query may mention `$2` before `$1`.
// Thread-safety: a Database is shared by all threads; each Connection is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace tributary::store {

struct Blob {
  std::string bytes;
};

// A parameter or a column value. Text is UTF-8; Blob is raw bytes (request bodies, sealed secrets).
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

struct Row {
  std::vector<Value> columns;

  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(columns.at(i)); }
  std::int64_t int64(std::size_t i) const;  // 0 for NULL; text is parsed
  double real(std::size_t i) const;
  std::string text(std::size_t i) const;  // "" for NULL; blobs as their bytes; numbers as decimal
  std::string blob(std::size_t i) const { return text(i); }
};

enum class Backend { kSqlite, kPostgres };

class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one or more statements without parameters (migrations, pragmas).
  virtual Status exec_script(std::string_view sql) = 0;
  // Runs one statement; rows are returned for SELECT and RETURNING. Statements are prepared once and cached.
  virtual Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs one statement; returns the number of rows changed.
  virtual Result<std::int64_t> execute(std::string_view sql, const std::vector<Value>& params = {}) = 0;

  virtual Status
  begin() = 0;  // BEGIN IMMEDIATE on SQLite (take the write lock up front); READ COMMITTED on PG
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  virtual Status savepoint(std::string_view name) = 0;
  virtual Status release(std::string_view name) = 0;
  virtual Status rollback_to(std::string_view name) = 0;
  virtual Backend backend() const = 0;

  // The record-write fence (store/records_repo.h). Inside a transaction: announces that it writes records;
  // the announcement ends with the transaction. Outside one: waits until every transaction announced before
  // the call has ended, on every connection to the database (every node on PostgreSQL); kUnavailable after
  // `timeout`. Waiting never blocks a writer.
  virtual Status announce_record_write() = 0;
  virtual Status await_record_writes(std::chrono::milliseconds timeout) = 0;

  // State that lives as long as the current transaction, by key (empty until set; dropped when the
  // transaction commits or rolls back), and actions run inside it right before its COMMIT, in the order
  // added. An action that fails fails the commit (the transaction is rolled back). Used by store functions
  // that must act last in a transaction whatever else it holds (the record stamps, store/records_repo.h).
  std::shared_ptr<void>& transaction_state(std::string_view key) { return tx_state_[std::string(key)]; }
  void before_commit(std::function<Status()> action) { before_commit_.push_back(std::move(action)); }

  // The channels store::notify named since the last take_notified(), each once, in the order first named:
  // the writer takes them after each job and wakes its in-process subscribers once the batch has committed.
  std::vector<std::string> take_notified() { return std::exchange(notified_, {}); }
  void add_notified(std::string_view channel);

 protected:
  // For the backends: run by commit() before COMMIT; the first failure is returned.
  Status run_before_commit() {
    auto actions = std::move(before_commit_);
    before_commit_.clear();
    for (auto& action : actions)
      if (auto s = action(); !s) return s;
    return {};
  }
  // For the backends: when the transaction has ended, however it ended.
  void end_transaction_state() {
    tx_state_.clear();
    before_commit_.clear();
    notified_.clear();
  }

 private:
  std::map<std::string, std::shared_ptr<void>> tx_state_;
  std::vector<std::function<Status()>> before_commit_;
  std::vector<std::string> notified_;
};

// Wake-ups between nodes: notifications on named channels (PostgreSQL LISTEN/NOTIFY), on a connection of the
// listener's own. Thread-safety: used by one thread at a time.
class Listener {
 public:
  virtual ~Listener() = default;
  // Waits up to `timeout` for notifications and returns the channels that were notified (each once), empty
  // when none was. A lost connection is re-established here: kUnavailable while that fails; once it is back,
  // every channel is returned, since notifications sent meanwhile are lost.
  virtual Result<std::vector<std::string>> wait(std::chrono::milliseconds timeout) = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Result<std::unique_ptr<Connection>> connect() = 0;
  // A listener on `channels` ([A-Za-z0-9_] names), or nullptr when the backend has none: SQLite serves one
  // node, whose stages wake each other in-process.
  virtual Result<std::unique_ptr<Listener>> listen(const std::vector<std::string>& channels) {
    (void)channels;
    return std::unique_ptr<Listener>();
  }
  virtual Backend backend() const = 0;
  virtual std::string describe() const = 0;  // for logs: the path or host/db, never a password
};

// "postgres://…" / "postgresql://…" selects PostgreSQL (a libpq URL; an unreachable server is kUnavailable);
// anything else is a SQLite file path (its directory is created). SQLite connections use WAL,
// synchronous=FULL, foreign keys on, a busy timeout, and cached prepared statements. PostgreSQL connections
// use READ COMMITTED transactions and cached prepared statements.
Result<std::unique_ptr<Database>> open_database(const std::string& url);

// The channels the stages wake each other on, in-process (Writer::subscribe) and between nodes (Listener):
// new inbox rows for the processors, new or re-opened deliveries for the dispatchers.
inline constexpr std::string_view kInboxChannel = "tributary_inbox";
inline constexpr std::string_view kOutboxChannel = "tributary_outbox";
// Syncs queued (force-sync, schedule, failed fetches) for the sync runners.
inline constexpr std::string_view kSyncChannel = "tributary_sync";
// Subscriptions inserted, changed or removed (store/subscriptions_repo.h notifies it itself): the ingress
// drops its cache of them.
inline constexpr std::string_view kSubscriptionsChannel = "tributary_subscriptions";
// Integrations whose remote subscriptions need reconciling (a deleted integration) for the reconcilers.
inline constexpr std::string_view kIntegrationsChannel = "tributary_integrations";
// Every channel above, for a node's listener.
inline constexpr std::string_view kAllChannels[] = {kInboxChannel, kOutboxChannel, kSyncChannel,
                                                    kSubscriptionsChannel, kIntegrationsChannel};

// Notifies the subscribers of `channel`: on this node through the Writer that commits the transaction
// (Writer::subscribe), on every node through PostgreSQL NOTIFY. Inside a transaction the notification is
// sent when it commits, and dropped if it (or the writer's job) rolls back.
Status notify(Connection& conn, std::string_view channel);

// Runs `fn` in a transaction on `conn`: commit when it returns ok, roll back otherwise.
template <typename Fn>
Status in_transaction(Connection& conn, Fn&& fn) {
  if (auto s = conn.begin(); !s) return s;
  Status result = fn();
  if (!result) {
    (void)conn.rollback();
    return result;
  }
  return conn.commit();
}

}  // namespace tributary::store
