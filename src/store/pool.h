// A small pool of read connections for request handlers and stages that read while the writer writes
// (SQLite WAL lets readers run beside the one writer).
// Thread-safety: acquire() from any thread; a Lease is used by one thread and returns the connection on
// release.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "store/database.h"

namespace tributary::store {

class Pool {
 public:
  explicit Pool(Database& db) : db_(db) {}

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

 private:
  void give_back(std::unique_ptr<Connection> conn);

  Database& db_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace tributary::store
