#include "core/failure_backoff.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tributary {

std::chrono::milliseconds FailureBackoff::failed(const Error& error) {
  if (failures_ == 0) {
    since_ = std::chrono::steady_clock::now();
    next_ = first_;
    spdlog::error("{}: {}; retrying with backoff (logged again when it recovers)", what_, error.message);
  } else if (kind_ != error.kind) {
    spdlog::error("{}: still failing, now: {}", what_, error.message);
  }
  kind_ = error.kind;
  ++failures_;
  const auto wait = next_;
  next_ = std::min(max_, next_ * 2);
  return wait;
}

void FailureBackoff::succeeded() {
  if (failures_ == 0) return;
  const auto lasted =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - since_);
  spdlog::warn("{}: working again after {} s ({} failed tries)", what_, lasted.count(), failures_);
  failures_ = 0;
  kind_.reset();
  next_ = first_;
}

}  // namespace tributary
