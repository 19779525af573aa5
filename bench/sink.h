// The benchmark's downstream endpoint: a small keep-alive HTTP/1.1 server on 127.0.0.1 (raw Asio, one I/O
// thread) that answers every request with 200 and counts arrivals per slot ("/e/<slot>"). A slot can be put
// on hold (requests wait unanswered, so the sender's concurrency window stays full and everything else queues
// up in Tributary) and released (every held request is answered at once). A slot can also record, per
// upstream request, the arrival time of the downstream request that carries its remote_id, with the same
// clock as the load generator (now_ns()). Thread-safety: every public function may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tributary::bench {

class Sink {
 public:
  static constexpr int kSlots = 8;

  Sink();
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  bool start();  // binds 127.0.0.1:0 and starts the I/O thread
  void stop();
  std::uint16_t port() const;
  std::string url(int slot) const;  // http://127.0.0.1:<port>/e/<slot>

  std::uint64_t count(int slot) const;
  std::int64_t first_arrival_ns(int slot) const;  // 0 before the first request
  std::int64_t last_arrival_ns(int slot) const;
  void reset(int slot);

  void hold(int slot);
  void release(int slot);
  std::size_t held(int slot) const;

  // Requests to `slot` whose body has "remote_id":"<n>" with base <= n < base + arrivals->size() store their
  // arrival time in (*arrivals)[n - base] (first arrival wins). `arrivals` must outlive the recording; pass
  // nullptr to stop.
  void record_arrivals(int slot, std::uint64_t base, std::vector<std::atomic<std::int64_t>>* arrivals);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::bench
