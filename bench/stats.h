// Small statistics helpers for the benchmark: percentiles of nanosecond samples, reported in milliseconds.
// Thread-safety: stateless functions.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace tributary::bench {

struct Percentiles {
  std::size_t samples = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Nearest-rank percentiles; sorts `ns` in place.
inline Percentiles percentiles(std::vector<std::int64_t>& ns) {
  Percentiles out;
  out.samples = ns.size();
  if (ns.empty()) return out;
  std::sort(ns.begin(), ns.end());
  auto at = [&ns](double q) {
    auto rank = static_cast<std::size_t>(q * static_cast<double>(ns.size()));
    if (rank >= ns.size()) rank = ns.size() - 1;
    return static_cast<double>(ns[rank]) / 1e6;
  };
  out.p50_ms = at(0.50);
  out.p90_ms = at(0.90);
  out.p99_ms = at(0.99);
  out.max_ms = static_cast<double>(ns.back()) / 1e6;
  return out;
}

// steady_clock nanoseconds: one clock for every timestamp in the benchmark process.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace tributary::bench
