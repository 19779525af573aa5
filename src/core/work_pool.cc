#include "core/work_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace tributary {

WorkPool::WorkPool(std::string name, int threads, std::size_t max_queued)
    : name_(std::move(name)), max_queued_(max_queued) {
  const int n = std::max(1, threads);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    threads_.emplace_back([this] { run(); });
}

WorkPool::~WorkPool() {
  stop();
}

bool WorkPool::post(std::function<void()> work) {
  {
    MutexLock lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
  return true;
}

void WorkPool::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::size_t WorkPool::queued() const {
  MutexLock lock(mu_);
  return queue_.size();
}

std::size_t WorkPool::busy() const {
  MutexLock lock(mu_);
  return running_;
}

void WorkPool::run() {
  for (;;) {
    std::function<void()> work;
    {
      MutexLock lock(mu_);
      lock.wait(cv_, [this]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("{}: work failed: {}", name_, e.what());
    } catch (...) {
      spdlog::error("{}: work failed with an unknown exception", name_);
    }
    MutexLock lock(mu_);
    --running_;
  }
}

}  // namespace tributary
