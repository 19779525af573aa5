#include "store/checkpointer.h"

#include "core/failure_backoff.h"

namespace tributary::store {

Status disable_auto_checkpoint(Connection& conn) {
  if (conn.backend() != Backend::kSqlite) return {};
  auto r = conn.query("PRAGMA wal_autocheckpoint=0");
  return r ? Status{} : Status{r.error()};
}

Status Checkpointer::start() {
  if (db_.backend() != Backend::kSqlite) return {};
  auto conn = db_.connect();
  if (!conn) return conn.error();
  conn_ = std::move(*conn);
  wakeup_.reset();
  thread_ = std::thread([this] {
    // A full disk fails every checkpoint: logged once when they start failing and once when they pass again.
    FailureBackoff failures("checkpoint", interval_, interval_);
    while (!wakeup_.stopped()) {
      wakeup_.wait_until(std::chrono::steady_clock::now() + interval_);
      if (auto r = conn_->query("PRAGMA wal_checkpoint(PASSIVE)"); !r) {
        (void)failures.failed(r.error());
      } else {
        failures.succeeded();
      }
    }
  });
  return {};
}

void Checkpointer::stop() {
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
  if (conn_) {
    // A last full pass, so a cleanly stopped node leaves a short log behind.
    (void)conn_->query("PRAGMA wal_checkpoint(PASSIVE)");
    conn_.reset();
  }
}

}  // namespace tributary::store
