// A bounded pool of read connections for request handlers and stages that read while the writer writes
// (SQLite WAL lets readers run beside the one writer; on PostgreSQL every node's pool counts against the
// server's max_connections).
// At most `size` connections are open at once; an acquire() that finds them all in use waits up to `wait`
// for one to come back, then fails with kUnavailable (so a burst degrades to 503s and retries, never to an
// unbounded number of database connections).
// Thread-safety: acquire() from any thread; a Lease is used by one thread and returns the connection on
// release. The pool must outlive its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/mutex.h"
#include "store/database.h"

namespace tributary::store {

struct PoolOptions {
  int size = 16;                         // connections open at most
  std::chrono::milliseconds wait{5000};  // how long acquire() waits when all are in use
};

struct PoolStats {
  int open = 0;                // connections open (in use + idle)
  int in_use = 0;              // leased out now
  std::uint64_t waits = 0;     // acquires that had to wait for a connection
  std::uint64_t timeouts = 0;  // acquires that gave up waiting
};

class Pool {
 public:
  explicit Pool(Database& db, PoolOptions options = {});

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (pool_ && conn_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Result<Lease> acquire();
  PoolStats stats() const;

 private:
  void give_back(std::unique_ptr<Connection> conn);

  Database& db_;
  const PoolOptions options_;
  mutable Mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
  int open_ GUARDED_BY(mu_) = 0;  // includes connections being opened
  std::uint64_t waits_ GUARDED_BY(mu_) = 0;
  std::uint64_t timeouts_ GUARDED_BY(mu_) = 0;
};

}  // namespace tributary::store
