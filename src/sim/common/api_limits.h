// The API limits a simulated tool enforces, by default the ones the tool documents (the same figures its
// connector declares in Connector::api_limits), so that the node, the demo and the tests meet what production
// meets: a vendor request beyond a limit is refused (429, or the tool's own status) with Retry-After, and the
// tool's rate-limit headers go on every answer where the tool sends them.
//
// A tool's limits are an overall rule (every vendor request counts) and endpoint rules (a method and a path
// prefix); an endpoint rule marked `own` replaces the overall rule for its requests, one that is not counts
// beside it (SmartRecruiters' GET /candidates, one at a time, also counts towards the 10 per second). A rule
// has sliding windows ("N requests in W ms", several for a burst and a steady rate) and a concurrency
// (requests in the tool at once; 0: none). A refused request is not counted. Control: POST /_sim/limits
// (sim_base.h).
//
// Thread-safety: every method may be called from any thread; an Admission's slot may outlive the limiter.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"

namespace tributary::sim {

struct LimitWindow {
  int requests = 0;
  std::int64_t window_ms = 0;
};

struct LimitRule {
  std::string method;  // "" = any method
  std::string path;    // "" = any path; else a prefix of the request path (the whole path with `exact`)
  bool exact = false;
  std::vector<LimitWindow> windows;
  int concurrency = 0;  // 0: not limited
  bool own = false;     // true: the overall rule does not count this rule's requests
};

// Which rate-limit headers a tool puts on its answers.
enum class LimitHeaders {
  kNone,
  kWorkable,         // X-Rate-Limit-Limit / -Remaining / -Reset (Unix time of the next interval)
  kXRateLimit,       // X-RateLimit-Limit / -Remaining / -Reset (Greenhouse)
  kSmartRecruiters,  // X-RateLimit-Limit / -Remaining, X-RateLimit-Concurrent-Limit / -Remaining
};

struct ToolLimits {
  LimitRule overall;
  std::vector<LimitRule> endpoints;
  LimitHeaders headers = LimitHeaders::kNone;
  int refusal_status = 429;  // BambooHR answers 503
};

// What a tool that publishes no number gets: the conservative figure its connector declares
// (connectors::unpublished_limits: 5 requests per second); no concurrency limit, as none is published.
ToolLimits unpublished_tool_limits();

class ApiLimiter {
 public:
  // The outcome for one vendor request. While `slot` lives the request counts as in the tool (concurrency).
  struct Admission {
    int retry_after_seconds = 0;  // > 0: refused
    int refusal_status = 429;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<void> slot;
  };

  ApiLimiter();
  // The tool's documented limits; also what POST /_sim/limits {"enforce": true} goes back to.
  void set_defaults(ToolLimits limits);
  Admission admit(std::string_view method, std::string_view path);

  // POST /_sim/limits: {"enforce": false} switches enforcement off; {"enforce": true} (or {}) restores the
  // documented limits; {"requests": N, "window_ms": W, "concurrency": C} replaces them with one overall rule
  // (no endpoint rules). Every change starts the counts again. Answers the new state (to_json).
  Result<boost::json::object> control(const boost::json::object& body);
  boost::json::object to_json() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tributary::sim
