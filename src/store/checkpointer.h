// The checkpointer copies SQLite's write-ahead log back into the database file on its own thread and
// connection, so the group-commit writer (whose connection has automatic checkpoints turned off) never pays
// for a checkpoint inside a commit. A PASSIVE checkpoint never blocks the writer or readers; once every
// reader has moved past the log, the writer starts it over from the beginning, so the log does not grow
// without bound. Thread-safety: start()/stop() from the owner.
#pragma once

#include <chrono>
#include <thread>

#include "core/wakeup.h"
#include "store/database.h"

namespace tributary::store {

class Checkpointer {
 public:
  explicit Checkpointer(Database& db, std::chrono::milliseconds interval = std::chrono::milliseconds(500))
      : db_(db), interval_(interval) {}
  ~Checkpointer() { stop(); }

  Status start();
  void stop();

 private:
  Database& db_;
  std::chrono::milliseconds interval_;
  std::unique_ptr<Connection> conn_;
  Wakeup wakeup_;
  std::thread thread_;
};

// Turns automatic checkpoints off on the writer's connection (SQLite only; a no-op elsewhere).
Status disable_auto_checkpoint(Connection& conn);

}  // namespace tributary::store
