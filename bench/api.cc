#include "api.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "core/json.h"

namespace tributary::bench {

Api::Api(std::string base_url, std::string api_key)
    : base_url_(std::move(base_url)),
      api_key_(std::move(api_key)),
      client_(std::make_unique<http::CurlClient>(http::CurlClientOptions{})) {}

Api::~Api() = default;

Result<boost::json::value> Api::call(const std::string& method, const std::string& path,
                                     const boost::json::value* body) {
  http::ClientRequest request;
  request.method = method;
  request.url = base_url_ + path;
  request.headers.emplace_back("Authorization", "Bearer " + api_key_);
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = boost::json::serialize(*body);
  }
  request.timeout = std::chrono::milliseconds(30000);
  auto response = client_->send_sync(std::move(request));
  if (response.status == 0)
    return make_error(ErrorKind::kUnavailable, method + " " + path + ": " + response.error);
  if (response.status < 200 || response.status >= 300) {
    return make_error(ErrorKind::kInternal, method + " " + path + " answered " +
                                                std::to_string(response.status) + ": " +
                                                response.body.substr(0, 500));
  }
  auto parsed = json::parse(response.body);
  if (!parsed) return make_error(ErrorKind::kInternal, method + " " + path + ": answer is not JSON");
  const auto* data = json::find(*parsed, "data");
  return data != nullptr ? *data : *parsed;
}

bool Api::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    http::ClientRequest request;
    request.url = base_url_ + "/readyz";
    request.timeout = std::chrono::milliseconds(1000);
    if (client_->send_sync(std::move(request)).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::map<std::string, double> Api::metrics() {
  http::ClientRequest request;
  request.url = base_url_ + "/metrics";
  request.headers.emplace_back("Authorization", "Bearer " + api_key_);
  request.timeout = std::chrono::milliseconds(10000);
  auto response = client_->send_sync(std::move(request));
  std::map<std::string, double> out;
  if (response.status != 200) return out;
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // not a sample line
    }
  }
  return out;
}

ProcessMemory read_memory(int pid) {
  ProcessMemory out;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    auto value = [&line] { return std::atoll(line.c_str() + line.find(':') + 1); };
    if (line.rfind("VmRSS:", 0) == 0) out.rss_kib = value();
    if (line.rfind("VmHWM:", 0) == 0) out.hwm_kib = value();
  }
  return out;
}

}  // namespace tributary::bench
