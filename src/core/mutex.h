// Mutex, MutexLock and the thread-safety annotations Clang checks with -Wthread-safety (as leveldb's
// port/thread_annotations.h and port::Mutex do). A member declared `GUARDED_BY(mu_)` may be read or written
// only while `mu_` is held; a function declared `REQUIRES(mu_)` only by a caller that holds it. The compiler
// proves it at every use (scripts/thread-safety.sh runs the check in CI); other compilers ignore the
// annotations. std::mutex itself carries none in libstdc++, hence the thin wrappers.
// Lambdas are checked as functions of their own: a predicate that reads guarded state is declared
// `[&]() REQUIRES(mu_) { ... }`.
// Thread-safety: a Mutex is what makes other things thread-safe; a MutexLock belongs to one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define TRIBUTARY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TRIBUTARY_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) TRIBUTARY_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY TRIBUTARY_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) TRIBUTARY_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) TRIBUTARY_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) TRIBUTARY_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) TRIBUTARY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) TRIBUTARY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TRIBUTARY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS TRIBUTARY_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace tributary {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::unique_lock underneath, so condition variables can wait on it).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Waits on `cv` until `pred` holds, releasing the mutex meanwhile; it is held again on return (and, for the
  // analysis, throughout).
  template <typename Pred>
  void wait(std::condition_variable& cv, Pred pred) {
    cv.wait(lock_, std::move(pred));
  }
  // As wait(), until `deadline`; the value of `pred` on return.
  template <typename Clock, typename Duration, typename Pred>
  bool wait_until(std::condition_variable& cv, const std::chrono::time_point<Clock, Duration>& deadline,
                  Pred pred) {
    return cv.wait_until(lock_, deadline, std::move(pred));
  }
  template <typename Rep, typename Period, typename Pred>
  bool wait_for(std::condition_variable& cv, const std::chrono::duration<Rep, Period>& timeout, Pred pred) {
    return cv.wait_for(lock_, timeout, std::move(pred));
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace tributary
