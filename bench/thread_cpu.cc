#include "thread_cpu.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "stats.h"

namespace tributary::bench {

std::map<int, std::int64_t> ThreadCpu::snapshot(int pid) {
  std::map<int, std::int64_t> out;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream f(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // "tid (comm) state ..." — comm may contain spaces, so fields are counted after the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    std::int64_t utime = 0;
    std::int64_t stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) {
        stime = std::atoll(field.c_str());
        break;
      }
    }
    out[std::atoi(entry.path().filename().c_str())] = utime + stime;
  }
  return out;
}

void ThreadCpu::reset(int pid) {
  start_ = snapshot(pid);
  start_ns_ = now_ns();
}

std::string ThreadCpu::report(int pid) const {
  auto end = snapshot(pid);
  double seconds = static_cast<double>(now_ns() - start_ns_) / 1e9;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (seconds <= 0 || end.empty()) return "n/a";
  std::vector<std::pair<double, int>> use;  // cores, creation rank
  double total = 0;
  int rank = 0;
  for (const auto& [tid, t] : end) {  // tids ascend in creation order
    ++rank;
    auto it = start_.find(tid);
    double cores = static_cast<double>(t - (it == start_.end() ? 0 : it->second)) / ticks / seconds;
    total += cores;
    use.emplace_back(cores, rank);
  }
  std::sort(use.rbegin(), use.rend());
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << total << " of " << std::thread::hardware_concurrency() << " cores (" << end.size()
     << " threads; by creation order:";
  for (const auto& [cores, r] : use) {
    if (cores < 0.02) break;
    os << " #" << r << " " << cores;
  }
  os << ")";
  return os.str();
}

}  // namespace tributary::bench
