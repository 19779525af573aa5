// CPU time of a process per thread, from /proc/<pid>/task/*/stat: a cheap profile that needs no perf. Threads
// are listed by creation order ("#1" is the main thread), since Tributary does not name its threads.
// Thread-safety: one instance per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace tributary::bench {

class ThreadCpu {
 public:
  void reset(int pid);
  // "1.63 of 2 cores: #6 0.71, #3 0.40, ..." since the last reset (threads using at least 2% of a core).
  std::string report(int pid) const;

 private:
  static std::map<int, std::int64_t> snapshot(int pid);  // tid -> utime + stime, in clock ticks
  std::map<int, std::int64_t> start_;
  std::int64_t start_ns_ = 0;
};

}  // namespace tributary::bench
