// HTTP/1.1 load generator on raw Asio: a fixed number of keep-alive connections to one loopback address,
// either closed loop (every connection sends its next request as soon as the previous answer is in: the
// maximum rate the server sustains at that concurrency) or open loop (requests are due at a fixed rate and go
// out on whichever connection is free). Every run is bounded twice: by max_requests and by time
// (warm-up + duration to send, then at most `drain` for answers still in flight).
// The same client, the same request bytes and the same concurrency are used for Tributary and for every
// reference server, so the comparison is fair.
// Thread-safety: run_load() blocks; the factory and the hook are called on the generator's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "stats.h"

namespace tributary::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int connections = 64;
  int threads = 1;
  std::chrono::milliseconds warmup{0};  // answers completed before this are not counted
  std::chrono::milliseconds duration{
      5000};                               // the measured window after the warm-up; sending stops at its end
  std::uint64_t max_requests = 1'000'000;  // hard bound on requests sent
  double rate = 0;                         // open loop: requests/s over all connections; 0 = closed loop
  std::chrono::milliseconds drain{10000};  // after sending stops, how long answers may still take
};

// The complete raw request (head and body) for the run's request number `seq` (0, 1, 2, ...).
using RequestFactory = std::function<std::string(std::uint64_t seq)>;
// Called just before request `seq` is written, with its send time (now_ns()).
using SendHook = std::function<void(std::uint64_t seq, std::int64_t send_ns)>;

struct LoadResult {
  std::uint64_t sent = 0;
  std::uint64_t ok = 0;          // 2xx answers, whole run
  std::uint64_t non_2xx = 0;     // other answers, whole run
  std::uint64_t errors = 0;      // connect/read/write failures and unreadable answers
  std::uint64_t unanswered = 0;  // sent but not answered before the drain deadline
  std::uint64_t measured = 0;    // 2xx answers completed inside the measured window
  double measured_seconds = 0;
  int first_bad_status = 0;
  Percentiles rtt;                // send -> complete answer, of the measured answers
  std::uint64_t max_backlog = 0;  // open loop: most requests that were due while every connection was busy
  double wall_seconds = 0;

  double rate() const { return measured_seconds > 0 ? static_cast<double>(measured) / measured_seconds : 0; }
};

LoadResult run_load(const LoadOptions& options, const RequestFactory& make, const SendHook& on_send = {});

}  // namespace tributary::bench
