#include "sim/common/retry_schedule.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace tributary::sim {

double retry_scale_from_env() {
  const char* raw = std::getenv(kRetryScaleEnv);
  if (raw == nullptr || *raw == '\0') return kDefaultRetryScale;
  char* end = nullptr;
  double value = std::strtod(raw, &end);
  if (end == raw || *end != '\0' || !std::isfinite(value) || value <= 0.0) {
    spdlog::warn("sim: ignoring {}='{}' (not a positive number); using {}", kRetryScaleEnv, raw,
                 kDefaultRetryScale);
    return kDefaultRetryScale;
  }
  return value;
}

std::chrono::milliseconds RetrySchedule::delay_before(std::size_t next_attempt, double scale,
                                                      double unit) const {
  if (next_attempt < 2 || next_attempt - 2 >= delays.size()) return std::chrono::milliseconds{0};
  double base = static_cast<double>(delays[next_attempt - 2].count()) * scale;
  double factor = 1.0 + jitter * (2.0 * unit - 1.0);
  double ms = std::max(0.0, base * factor);
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(ms))};
}

std::shared_ptr<const RetrySchedule> make_retry_schedule(std::vector<std::chrono::milliseconds> delays,
                                                         double jitter, std::chrono::milliseconds timeout,
                                                         RetryPredicate should_retry) {
  auto s = std::make_shared<RetrySchedule>();
  s->delays = std::move(delays);
  s->jitter = jitter;
  s->timeout = timeout;
  s->should_retry = std::move(should_retry);
  return s;
}

std::vector<std::chrono::milliseconds> delays_in_minutes(std::initializer_list<int> minutes) {
  std::vector<std::chrono::milliseconds> out;
  for (int m : minutes)
    out.push_back(std::chrono::minutes{m});
  return out;
}

}  // namespace tributary::sim
