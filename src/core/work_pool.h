// WorkPool: a fixed number of threads running posted work in order, with a bounded queue. post() refuses
// work once the queue is full instead of letting it grow, so a caller can answer "busy" at once. For work
// that may block — database waits, calls to the tools — and so must not run on the HTTP server's I/O threads,
// where it would hold up every other connection.
// Thread-safety: post(), busy() and queued() from any thread; stop() from the owner (the destructor stops).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace tributary {

class WorkPool {
 public:
  // `name` names the pool in log lines (work that throws is logged, and the thread goes on).
  WorkPool(std::string name, int threads, std::size_t max_queued);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // False when the queue holds max_queued items already, or the pool is stopping: the work is not run.
  bool post(std::function<void()> work);
  // Runs what is queued, then joins the threads; post() refuses from the start of the call. Idempotent.
  void stop();

  std::size_t queued() const;  // waiting for a thread
  std::size_t busy() const;    // running now

 private:
  void run();

  const std::string name_;
  const std::size_t max_queued_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  std::size_t running_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tributary
