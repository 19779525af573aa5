#include "store/pool.h"

namespace tributary::store {

Result<Pool::Lease> Pool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  auto conn = db_.connect();
  if (!conn) return conn.error();
  return Lease(this, std::move(*conn));
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(conn));
}

}  // namespace tributary::store
