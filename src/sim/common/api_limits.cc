#include "sim/common/api_limits.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "core/clock.h"

namespace tributary::sim {

namespace bj = boost::json;

namespace {

struct RuleState {
  LimitRule rule;
  std::deque<std::int64_t> arrivals;  // monotonic ms of the admitted requests, oldest first
  int in_flight = 0;

  std::int64_t longest_window() const {
    std::int64_t longest = 0;
    for (const auto& w : rule.windows)
      longest = std::max(longest, w.window_ms);
    return longest;
  }
  void trim(std::int64_t now) {
    const std::int64_t longest = longest_window();
    while (!arrivals.empty() && arrivals.front() <= now - longest)
      arrivals.pop_front();
  }
  int count_in(const LimitWindow& w, std::int64_t now) const {
    auto first = std::upper_bound(arrivals.begin(), arrivals.end(), now - w.window_ms);
    return static_cast<int>(arrivals.end() - first);
  }
  // Milliseconds until one more request fits the rule's windows (0: it fits now).
  std::int64_t wait_ms(std::int64_t now) const {
    std::int64_t wait = 0;
    for (const auto& w : rule.windows) {
      const int n = count_in(w, now);
      if (w.requests <= 0 || n < w.requests) continue;
      const std::int64_t oldest = arrivals[arrivals.size() - static_cast<std::size_t>(w.requests)];
      wait = std::max(wait, std::max<std::int64_t>(1, oldest + w.window_ms - now));
    }
    return wait;
  }
  bool matches(std::string_view method, std::string_view path) const {
    return (rule.method.empty() || rule.method == method) &&
           (rule.path.empty() ||
            (rule.exact ? path == rule.path : path.substr(0, rule.path.size()) == rule.path));
  }
};

bj::object rule_json(const LimitRule& rule) {
  bj::array windows;
  for (const auto& w : rule.windows)
    windows.push_back(bj::object{{"requests", w.requests}, {"window_ms", w.window_ms}});
  return bj::object{{"method", rule.method.empty() ? bj::value(nullptr) : bj::value(rule.method)},
                    {"path", rule.path.empty() ? bj::value(nullptr) : bj::value(rule.path)},
                    {"windows", std::move(windows)},
                    {"exact", rule.exact},
                    {"concurrency", rule.concurrency}};
}

std::string_view headers_name(LimitHeaders h) {
  switch (h) {
    case LimitHeaders::kWorkable:
      return "workable";
    case LimitHeaders::kXRateLimit:
      return "x-ratelimit";
    case LimitHeaders::kSmartRecruiters:
      return "smartrecruiters";
    case LimitHeaders::kNone:
      break;
  }
  return "none";
}

std::optional<std::int64_t> int_field(const bj::object& body, std::string_view key, std::int64_t lo,
                                      std::int64_t hi) {
  const auto* v = body.if_contains(key);
  if (v == nullptr || !v->is_int64() || v->get_int64() < lo || v->get_int64() > hi) return std::nullopt;
  return v->get_int64();
}

}  // namespace

ToolLimits unpublished_tool_limits() {
  ToolLimits limits;
  limits.overall.windows = {{5, 1000}};
  return limits;
}

struct ApiLimiter::State {
  Mutex mu;
  ToolLimits defaults GUARDED_BY(mu);
  bool enforce GUARDED_BY(mu) = true;
  bool custom GUARDED_BY(mu) = false;
  LimitHeaders headers GUARDED_BY(mu) = LimitHeaders::kNone;
  int refusal_status GUARDED_BY(mu) = 429;
  RuleState overall GUARDED_BY(mu);
  std::vector<RuleState> endpoints GUARDED_BY(mu);
  std::uint64_t generation GUARDED_BY(mu) = 0;  // a change of rules: slots of older ones release nothing
  std::int64_t total GUARDED_BY(mu) = 0;
  std::int64_t rejected GUARDED_BY(mu) = 0;
  int max_in_flight GUARDED_BY(mu) = 0;

  void install(const ToolLimits& limits) REQUIRES(mu) {
    headers = limits.headers;
    refusal_status = limits.refusal_status;
    overall = RuleState{limits.overall, {}, 0};
    endpoints.clear();
    for (const auto& e : limits.endpoints)
      endpoints.push_back(RuleState{e, {}, 0});
    ++generation;
    total = rejected = 0;
    max_in_flight = 0;
  }
  RuleState* rule_at(int index) REQUIRES(mu) {
    return index < 0 ? &overall : &endpoints[static_cast<std::size_t>(index)];
  }
};

// The tool's rate-limit headers for an answer: they describe the rule the request's rate counts against (its
// own endpoint rule, else the overall one) and, for concurrency, the strictest matched rule that has one.
static std::vector<std::pair<std::string, std::string>> rate_headers(ApiLimiter::State& s,
                                                                     const std::vector<int>& matched,
                                                                     std::int64_t now) REQUIRES(s.mu) {
  std::vector<std::pair<std::string, std::string>> out;
  if (s.headers == LimitHeaders::kNone) return out;
  const RuleState* primary =
      s.rule_at(matched.front() >= 0 && s.rule_at(matched.front())->rule.own ? matched.front() : -1);
  if (primary->rule.windows.empty()) return out;
  const LimitWindow& w = primary->rule.windows.front();
  const int used = primary->count_in(w, now);
  // The next interval starts when the oldest request in the window leaves it.
  auto oldest = std::upper_bound(primary->arrivals.begin(), primary->arrivals.end(), now - w.window_ms);
  const std::int64_t reset_in = oldest == primary->arrivals.end() ? w.window_ms : *oldest + w.window_ms - now;
  const std::string limit = std::to_string(w.requests);
  const std::string remaining = std::to_string(std::max(0, w.requests - used));
  const std::string reset = std::to_string((now_ms() + reset_in + 999) / 1000);
  switch (s.headers) {
    case LimitHeaders::kWorkable:
      out = {{"X-Rate-Limit-Limit", limit},
             {"X-Rate-Limit-Remaining", remaining},
             {"X-Rate-Limit-Reset", reset}};
      break;
    case LimitHeaders::kXRateLimit:
      out = {
          {"X-RateLimit-Limit", limit}, {"X-RateLimit-Remaining", remaining}, {"X-RateLimit-Reset", reset}};
      break;
    case LimitHeaders::kSmartRecruiters: {
      out = {{"X-RateLimit-Limit", limit}, {"X-RateLimit-Remaining", remaining}};
      const RuleState* conc = nullptr;
      for (int index : matched) {
        const RuleState* r = s.rule_at(index);
        if (r->rule.concurrency > 0 && (conc == nullptr || r->rule.concurrency < conc->rule.concurrency))
          conc = r;
      }
      if (conc != nullptr) {
        out.emplace_back("X-RateLimit-Concurrent-Limit", std::to_string(conc->rule.concurrency));
        out.emplace_back("X-RateLimit-Concurrent-Remaining",
                         std::to_string(std::max(0, conc->rule.concurrency - conc->in_flight)));
      }
      break;
    }
    case LimitHeaders::kNone:
      break;
  }
  return out;
}

ApiLimiter::ApiLimiter() : state_(std::make_shared<State>()) {
  set_defaults(unpublished_tool_limits());
}

void ApiLimiter::set_defaults(ToolLimits limits) {
  MutexLock lock(state_->mu);
  state_->defaults = std::move(limits);
  state_->enforce = true;
  state_->custom = false;
  state_->install(state_->defaults);
}

ApiLimiter::Admission ApiLimiter::admit(std::string_view method, std::string_view path) {
  Admission out;
  State& s = *state_;
  MutexLock lock(s.mu);
  if (!s.enforce) return out;
  out.refusal_status = s.refusal_status;
  const std::int64_t now = monotonic_us() / 1000;
  std::vector<int> matched;  // endpoint indexes, -1: the overall rule
  bool own = false;
  for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
    if (!s.endpoints[i].matches(method, path)) continue;
    matched.push_back(static_cast<int>(i));
    own = own || s.endpoints[i].rule.own;
  }
  if (!own) matched.push_back(-1);

  std::int64_t wait = 0;
  for (int index : matched) {
    RuleState* r = s.rule_at(index);
    r->trim(now);
    wait = std::max(wait, r->wait_ms(now));
    if (r->rule.concurrency > 0 && r->in_flight >= r->rule.concurrency)
      wait = std::max<std::int64_t>(wait, 1);
  }
  ++s.total;
  if (wait > 0) {
    ++s.rejected;
    out.retry_after_seconds = static_cast<int>((wait + 999) / 1000);
  } else {
    for (int index : matched) {
      RuleState* r = s.rule_at(index);
      r->arrivals.push_back(now);
      ++r->in_flight;
      s.max_in_flight = std::max(s.max_in_flight, r->in_flight);
    }
    std::weak_ptr<State> weak = state_;
    const std::uint64_t generation = s.generation;
    out.slot = std::shared_ptr<void>(static_cast<void*>(state_.get()), [weak, generation, matched](void*) {
      auto state = weak.lock();
      if (!state) return;
      MutexLock lock(state->mu);
      if (state->generation != generation) return;
      for (int index : matched)
        --state->rule_at(index)->in_flight;
    });
  }

  out.headers = rate_headers(s, matched, now);
  return out;
}

Result<bj::object> ApiLimiter::control(const bj::object& body) {
  const auto* enforce = body.if_contains("enforce");
  if (enforce != nullptr && !enforce->is_bool())
    return make_error(ErrorKind::kInvalidArgument, "enforce must be a boolean");
  const bool has_custom =
      body.contains("requests") || body.contains("window_ms") || body.contains("concurrency");
  if (has_custom && enforce != nullptr && !enforce->get_bool())
    return make_error(ErrorKind::kInvalidArgument, "limits with \"enforce\": false make no sense");
  ToolLimits custom;
  if (has_custom) {
    auto requests = int_field(body, "requests", 1, 1000000);
    auto window = int_field(body, "window_ms", 1, 3600000);
    std::optional<std::int64_t> concurrency = 0;
    if (body.contains("concurrency")) concurrency = int_field(body, "concurrency", 0, 10000);
    if (!requests || !window || !concurrency)
      return make_error(
          ErrorKind::kInvalidArgument,
          "limits must be {\"requests\": 1..1000000, \"window_ms\": 1..3600000, \"concurrency\": "
          "0..10000} or {\"enforce\": true|false}");
    custom.overall.windows = {{static_cast<int>(*requests), *window}};
    custom.overall.concurrency = static_cast<int>(*concurrency);
  }
  {
    State& s = *state_;
    MutexLock lock(s.mu);
    s.enforce = enforce == nullptr || enforce->get_bool();
    s.custom = has_custom;
    if (has_custom) {
      custom.headers = s.defaults.headers;
      custom.refusal_status = s.defaults.refusal_status;
      s.install(custom);
    } else {
      s.install(s.defaults);
    }
  }
  return to_json();
}

bj::object ApiLimiter::to_json() const {
  State& s = *state_;
  MutexLock lock(s.mu);
  bj::array endpoints;
  int in_flight = s.overall.in_flight;
  for (const auto& e : s.endpoints) {
    bj::object rule = rule_json(e.rule);
    rule["own"] = e.rule.own;
    endpoints.push_back(std::move(rule));
  }
  return bj::object{{"enforce", s.enforce},
                    {"custom", s.custom},
                    {"overall", rule_json(s.overall.rule)},
                    {"endpoints", std::move(endpoints)},
                    {"headers", headers_name(s.headers)},
                    {"refusal_status", s.refusal_status},
                    {"total", s.total},
                    {"rejected", s.rejected},
                    {"in_flight", in_flight},
                    {"max_in_flight", s.max_in_flight}};
}

}  // namespace tributary::sim
