#include "store/pool.h"

#include <algorithm>
#include <string>

namespace tributary::store {

Pool::Pool(Database& db, PoolOptions options) : db_(db), options_(options) {}

Result<Pool::Lease> Pool::acquire() {
  {
    MutexLock lock(mu_);
    const int size = std::max(1, options_.size);
    if (idle_.empty() && open_ >= size) {
      ++waits_;
      const bool got = lock.wait_for(returned_, options_.wait,
                                     [&]() REQUIRES(mu_) { return !idle_.empty() || open_ < size; });
      if (!got) {
        ++timeouts_;
        return make_error(ErrorKind::kUnavailable,
                          "every one of the " + std::to_string(size) +
                              " database connections of this node stayed in use for " +
                              std::to_string(options_.wait.count()) + " ms (database_pool_size)");
      }
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserved while the connection is opened outside the lock
  }
  auto conn = db_.connect();
  if (!conn) {
    {
      MutexLock lock(mu_);
      --open_;
    }
    returned_.notify_one();
    return conn.error();
  }
  return Lease(this, std::move(*conn));
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  {
    MutexLock lock(mu_);
    idle_.push_back(std::move(conn));
  }
  returned_.notify_one();
}

PoolStats Pool::stats() const {
  MutexLock lock(mu_);
  PoolStats s;
  s.open = open_;
  s.in_use = open_ - static_cast<int>(idle_.size());
  s.waits = waits_;
  s.timeouts = timeouts_;
  return s;
}

}  // namespace tributary::store
