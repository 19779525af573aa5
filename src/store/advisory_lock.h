// A lock on one named piece of work (an integration's reconcile, …) that holds across every node sharing the
// database: on PostgreSQL a session advisory lock on a connection kept for the lock's lifetime, so a node
// that dies releases it with its connection, without waiting for a lease to run out; on SQLite, where one
// process owns the database, the lock is always granted (the callers serialise within the process).
// Thread-safety: a lock is used by one thread; try_lock() from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/pool.h"

namespace tributary::store {

// The kinds of work locked this way; each has its own key space. kRecordWrites is taken per transaction by
// the record stamps at commit (store/records_repo.h), not through this class.
enum class LockSpace : int { kReconcile = 1, kSync = 2, kRecordWrites = 3, kRetention = 4 };

class AdvisoryLock {
 public:
  AdvisoryLock(AdvisoryLock&& other) noexcept;
  AdvisoryLock& operator=(AdvisoryLock&&) = delete;
  ~AdvisoryLock();

  // nullopt when another node holds the lock.
  static Result<std::optional<AdvisoryLock>> try_lock(Pool& pool, LockSpace space, std::string_view name);

 private:
  AdvisoryLock(std::optional<Pool::Lease> lease, LockSpace space, std::string name);

  std::optional<Pool::Lease> lease_;  // PostgreSQL only
  LockSpace space_;
  std::string name_;
};

}  // namespace tributary::store
