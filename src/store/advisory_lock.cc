#include "store/advisory_lock.h"

#include <spdlog/spdlog.h>

namespace tributary::store {

AdvisoryLock::AdvisoryLock(std::optional<Pool::Lease> lease, LockSpace space, std::string name)
    : lease_(std::move(lease)), space_(space), name_(std::move(name)) {}

AdvisoryLock::AdvisoryLock(AdvisoryLock&& other) noexcept
    : lease_(std::move(other.lease_)), space_(other.space_), name_(std::move(other.name_)) {
  other.lease_.reset();  // a moved-from optional stays engaged; the lock now belongs to this one alone
}

AdvisoryLock::~AdvisoryLock() {
  if (!lease_) return;
  auto r = (*lease_)->query("SELECT pg_advisory_unlock($1::int4, hashtext(current_schema() || ':' || $2))",
                            {static_cast<std::int64_t>(space_), name_});
  if (!r) spdlog::warn("advisory lock {}: unlock failed: {}", name_, r.error().message);
}

Result<std::optional<AdvisoryLock>> AdvisoryLock::try_lock(Pool& pool, LockSpace space,
                                                           std::string_view name) {
  auto lease = pool.acquire();
  if (!lease) return lease.error();
  if ((*lease)->backend() != Backend::kPostgres)
    return std::optional<AdvisoryLock>(AdvisoryLock(std::nullopt, space, std::string(name)));
  auto rows = (*lease)->query(
      "SELECT CASE WHEN pg_try_advisory_lock($1::int4, hashtext(current_schema() || ':' || $2)) THEN 1 ELSE "
      "0 END",
      {static_cast<std::int64_t>(space), std::string(name)});
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().int64(0) != 1) return std::optional<AdvisoryLock>();
  return std::optional<AdvisoryLock>(AdvisoryLock(std::move(*lease), space, std::string(name)));
}

}  // namespace tributary::store
