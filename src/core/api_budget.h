// The budget of calls Tributary may make to one tool for one integration, so that it stays inside the
// tool's documented API limits: at most `requests` calls in any window of `window_ms` (a sliding window:
// the grants themselves are counted, not fixed intervals), at most `concurrency` at once on this node.
// Every call to the tool takes a grant first (connectors::ApiContext::send); a call that cannot have one
// waits, bounded by its deadline. Targeted fetches for fresh events go first; background traffic (syncs,
// reconciles, subscription checks) waiting behind them still gets one grant in kBackgroundShare, so it is
// never starved. The budget adapts to what the tool says: a 429 (or a 503 with Retry-After) pauses it until
// the tool's Retry-After and halves the rate it uses, a rate-limit header saying nothing is left pauses it
// until the header's reset; the rate then recovers by a quarter of the limit per quiet window.
// Where the grants are counted is a seam (GrantLog): in memory for one node (SQLite), in the database on
// PostgreSQL, so that every node of one database shares one window and one pause per integration.
// Thread-safety: Budget and MemoryGrantLog may be used from any thread; acquire() blocks the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/result.h"

namespace tributary {

// A limit a tool puts on one endpoint beside its overall limit (SmartRecruiters: GET /candidates one at a
// time). Enforced per node by a budget of its own (pipeline::Budgets::for_endpoint) that a call to the
// endpoint takes a grant from besides the integration's.
struct EndpointLimit {
  std::string method;  // "GET"
  std::string path;    // "/candidates": the request's path below the tool's base URL, without its query
  int requests = 0;    // per window_ms; 0: no own rate
  Millis window_ms = 0;
  int concurrency = 0;  // 0: no own concurrency
};

// A tool's API limits as its connector declares them (Connector::api_limits), or an integration's override.
struct ApiLimits {
  int requests = 0;  // calls per window; 0: unlimited
  Millis window_ms = 0;
  int concurrency = 0;  // calls in flight at once; 0: unlimited
  std::vector<EndpointLimit> endpoints;
  bool limited() const { return requests > 0 && window_ms > 0; }
  bool operator==(const ApiLimits& other) const {
    return requests == other.requests && window_ms == other.window_ms && concurrency == other.concurrency;
  }
};

enum class Priority { kFetch, kBackground };

// Where one budget's grants are counted. try_grant records a grant at `now` when fewer than `requests` were
// granted in (now - window_ms, now] and the budget is not paused, and returns 0; otherwise it returns the
// milliseconds until a grant may be possible (at least 1). pause() makes try_grant refuse until `until` (a
// later pause wins; an earlier one changes nothing).
class GrantLog {
 public:
  virtual ~GrantLog() = default;
  virtual Result<Millis> try_grant(const std::string& key, int requests, Millis window_ms, Millis now) = 0;
  virtual Status pause(const std::string& key, Millis until) = 0;
};

// One node's grants, in memory.
class MemoryGrantLog final : public GrantLog {
 public:
  Result<Millis> try_grant(const std::string& key, int requests, Millis window_ms, Millis now) override;
  Status pause(const std::string& key, Millis until) override;

 private:
  struct Window {
    std::deque<Millis> grants;
    Millis paused_until = 0;
  };
  Mutex mu_;
  std::map<std::string, Window> windows_ GUARDED_BY(mu_);
};

struct BudgetStats {
  ApiLimits limits;             // declared or overridden
  int effective_requests = 0;   // what the budget uses now (lower after a 429 while it recovers)
  int in_use = 0;               // calls in flight on this node
  int waiting = 0;              // calls waiting for a grant
  std::uint64_t requests = 0;   // grants given (calls made)
  std::uint64_t throttled = 0;  // 429s (and 503s with Retry-After) received
  std::uint64_t timed_out = 0;  // calls that gave up waiting (deadline reached)
  Millis paused_ms = 0;         // time paused by the tool (Retry-After, exhausted rate-limit headers)
  Millis paused_until = 0;      // 0: not paused
};

class Budget {
 public:
  // Background grants while fetches also wait: one in this many.
  static constexpr int kBackgroundShare = 4;

  Budget(std::string key, ApiLimits limits, GrantLog& log, const Clock& clock = SystemClock::instance());
  Budget(const Budget&) = delete;
  Budget& operator=(const Budget&) = delete;

  // A call's right to go ahead; releases its concurrency slot when destroyed.
  class Grant {
   public:
    Grant() = default;
    explicit Grant(Budget* budget) : budget_(budget) {}
    Grant(Grant&& other) noexcept : budget_(std::exchange(other.budget_, nullptr)) {}
    Grant& operator=(Grant&& other) noexcept;
    ~Grant();
    explicit operator bool() const { return budget_ != nullptr; }

   private:
    Budget* budget_ = nullptr;
  };

  // Blocks until the call may go ahead, or until `deadline` (clock time): then an error kRateLimited saying
  // how long it waited. An unlimited budget grants at once.
  Result<Grant> acquire(Priority priority, Millis deadline);

  // The non-blocking steps acquire() is made of (tests drive them with their own clock): take a place in
  // line, try to be granted (a grant, or the milliseconds to wait before trying again), leave the line.
  std::uint64_t enqueue(Priority priority);
  Result<Grant> try_take(std::uint64_t ticket, Millis now, Millis* wait_ms);
  void cancel(std::uint64_t ticket);

  // What the tool answered a call: a 429 or a 503 with Retry-After pauses the budget (never shorter than
  // the tool asked) and halves its rate; rate-limit headers (X-Rate-Limit-Remaining / -Reset as Workable
  // sends them, X-RateLimit-* as SmartRecruiters and Greenhouse do) that say nothing is left pause it until
  // the reset. Headers are (name, value) pairs, names compared case-insensitively.
  void observe(int status, const std::vector<std::pair<std::string, std::string>>& headers);

  void set_limits(const ApiLimits& limits);
  // Counts every grant as taking a little longer than its window (window_guard), for the time between a grant
  // here and the request's arrival at the tool, whose window starts there: without it two calls granted one
  // window apart can arrive a few milliseconds less apart and the tool answers 429. On for real tools
  // (pipeline::Budgets); off by default, so that windows are exact where a test drives the clock.
  void set_jitter_guard(bool on);
  // 2 % of the window, at least 100 ms and at most 1 s.
  static Millis window_guard(Millis window_ms);
  BudgetStats stats() const;
  const std::string& key() const { return key_; }

 private:
  struct Ticket {
    std::uint64_t id;
    Priority priority;
  };
  void release();
  void wake();
  void pause_until(Millis until) REQUIRES(mu_);
  void recover(Millis now) REQUIRES(mu_);
  std::optional<std::uint64_t> next_in_line() const REQUIRES(mu_);
  void remove_ticket(std::uint64_t ticket) REQUIRES(mu_);

  const std::string key_;
  GrantLog& log_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> generation_{0};  // changes whenever a waiter might go ahead
  ApiLimits limits_ GUARDED_BY(mu_);
  bool jitter_guard_ GUARDED_BY(mu_) = false;
  int effective_ GUARDED_BY(mu_) = 0;
  Millis last_change_at_ GUARDED_BY(mu_) = 0;  // when effective_ last went down or up
  std::deque<Ticket> line_ GUARDED_BY(mu_);
  std::uint64_t next_ticket_ GUARDED_BY(mu_) = 1;
  int fetches_in_a_row_ GUARDED_BY(mu_) = 0;  // fetch grants since the last background one
  int in_use_ GUARDED_BY(mu_) = 0;
  std::uint64_t requests_ GUARDED_BY(mu_) = 0;
  std::uint64_t throttled_ GUARDED_BY(mu_) = 0;
  std::uint64_t timed_out_ GUARDED_BY(mu_) = 0;
  Millis paused_until_ GUARDED_BY(mu_) = 0;
  Millis paused_ms_ GUARDED_BY(mu_) = 0;
};

// Seconds in a Retry-After header (delta-seconds only; an HTTP date is read as absent), in milliseconds.
std::optional<Millis> retry_after_ms(std::string_view value);

}  // namespace tributary
