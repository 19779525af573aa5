// The benchmark's view of a running `tributary serve`: management API calls (with the bearer key), the
// Prometheus counters, and the process's memory from /proc. Built on the project's own CurlClient.
// Thread-safety: one Api per thread.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/client.h"

namespace tributary::bench {

class Api {
 public:
  Api(std::string base_url, std::string api_key);
  ~Api();

  // Sends a JSON request; answers the envelope's "data" on 2xx, an error naming the status otherwise.
  Result<boost::json::value> call(const std::string& method, const std::string& path,
                                  const boost::json::value* body = nullptr);
  // True once GET /readyz answers 200, false when `timeout` passes first.
  bool wait_ready(std::chrono::milliseconds timeout);
  // The counters of GET /metrics by name; empty on failure.
  std::map<std::string, double> metrics();

 private:
  std::string base_url_;
  std::string api_key_;
  std::unique_ptr<http::CurlClient> client_;
};

struct ProcessMemory {
  std::int64_t rss_kib = 0;  // VmRSS
  std::int64_t hwm_kib = 0;  // VmHWM, the peak RSS
};
// Reads /proc/<pid>/status; zeros when the process is gone.
ProcessMemory read_memory(int pid);

}  // namespace tributary::bench
