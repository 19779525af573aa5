// FailureBackoff: how a background stage waits and logs while the same step keeps failing — the database
// refuses writes (disk full, read-only), the pool is exhausted. The first failure of a spell is logged, and
// so is a change of its kind; repeats are not (a full disk must not also fill the log). The end of a spell
// is logged once. The wait before the next try doubles from `first` up to `max`, so a stage neither spins
// nor takes long to notice that the fault has passed.
// Thread-safety: one owner thread (the stage's).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace tributary {

class FailureBackoff {
 public:
  FailureBackoff(std::string what, std::chrono::milliseconds first, std::chrono::milliseconds max)
      : what_(std::move(what)), first_(first), max_(max) {}

  // A failure: logged when it starts a spell or its kind differs from the last one. Returns how long to
  // wait before trying again.
  std::chrono::milliseconds failed(const Error& error);
  // A success: ends a failing spell, if any (logged with how long it lasted and how often it failed).
  void succeeded();

  bool failing() const { return failures_ > 0; }
  std::uint64_t failures() const { return failures_; }  // in the current spell

 private:
  std::string what_;
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_{0};
  std::uint64_t failures_ = 0;
  std::optional<ErrorKind> kind_;
  std::chrono::steady_clock::time_point since_;
};

}  // namespace tributary
