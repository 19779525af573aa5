#include "core/api_budget.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tributary {
namespace {

constexpr Millis kMaxPauseMs = 3600 * 1000;  // a tool asking for more than an hour is read as an hour
constexpr Millis kDefaultPauseMs = 1000;     // a 429 without Retry-After (Personio: wait at least 1 s)
constexpr Millis kPollMs = 200;              // longest sleep between looks at a shared window

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<std::string_view> header(const std::vector<std::pair<std::string, std::string>>& headers,
                                       std::initializer_list<std::string_view> names) {
  for (const auto& [name, value] : headers)
    for (std::string_view wanted : names)
      if (iequals(name, wanted)) return std::string_view(value);
  return std::nullopt;
}

std::optional<std::int64_t> integer(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// X-Rate-Limit-Reset: Workable sends the time of the next interval; others send seconds until it. Epoch
// milliseconds, epoch seconds and a number of seconds are told apart by size.
Millis reset_at(std::int64_t value, Millis now) {
  if (value > 100'000'000'000) return value;
  if (value > 1'000'000'000) return value * 1000;
  return now + std::max<std::int64_t>(value, 0) * 1000;
}

}  // namespace

std::optional<Millis> retry_after_ms(std::string_view value) {
  auto seconds = integer(value);
  if (!seconds || *seconds < 0) return std::nullopt;
  return std::min<Millis>(*seconds * 1000, kMaxPauseMs);
}

Result<Millis> MemoryGrantLog::try_grant(const std::string& key, int requests, Millis window_ms, Millis now) {
  MutexLock lock(mu_);
  Window& w = windows_[key];
  while (!w.grants.empty() && w.grants.front() <= now - window_ms)
    w.grants.pop_front();
  if (w.paused_until > now) return w.paused_until - now;
  if (static_cast<int>(w.grants.size()) < requests) {
    w.grants.push_back(now);
    return Millis{0};
  }
  // Over the limit: the oldest grants that must leave the window before one more fits.
  const std::size_t excess = w.grants.size() - static_cast<std::size_t>(std::max(requests, 1)) + 1;
  return std::max<Millis>(1, w.grants[excess - 1] + window_ms - now);
}

Status MemoryGrantLog::pause(const std::string& key, Millis until) {
  MutexLock lock(mu_);
  Window& w = windows_[key];
  w.paused_until = std::max(w.paused_until, until);
  return {};
}

Budget::Grant& Budget::Grant::operator=(Grant&& other) noexcept {
  if (this != &other) {
    if (budget_ != nullptr) budget_->release();
    budget_ = std::exchange(other.budget_, nullptr);
  }
  return *this;
}

Budget::Grant::~Grant() {
  if (budget_ != nullptr) budget_->release();
}

Budget::Budget(std::string key, ApiLimits limits, GrantLog& log, const Clock& clock)
    : key_(std::move(key)), log_(log), clock_(clock) {
  MutexLock lock(mu_);
  limits_ = std::move(limits);
  effective_ = limits_.requests;
}

void Budget::set_limits(const ApiLimits& limits) {
  {
    MutexLock lock(mu_);
    if (limits_ == limits) return;
    limits_ = limits;
    effective_ = limits.requests;
  }
  wake();
}

std::uint64_t Budget::enqueue(Priority priority) {
  MutexLock lock(mu_);
  const std::uint64_t id = next_ticket_++;
  line_.push_back({id, priority});
  return id;
}

void Budget::cancel(std::uint64_t ticket) {
  {
    MutexLock lock(mu_);
    remove_ticket(ticket);
  }
  wake();
}

void Budget::remove_ticket(std::uint64_t ticket) {
  line_.erase(std::remove_if(line_.begin(), line_.end(), [&](const Ticket& t) { return t.id == ticket; }),
              line_.end());
}

std::optional<std::uint64_t> Budget::next_in_line() const {
  const Ticket* fetch = nullptr;
  const Ticket* background = nullptr;
  for (const Ticket& t : line_) {
    if (t.priority == Priority::kFetch && fetch == nullptr) fetch = &t;
    if (t.priority == Priority::kBackground && background == nullptr) background = &t;
  }
  if (fetch == nullptr && background == nullptr) return std::nullopt;
  if (fetch == nullptr) return background->id;
  if (background == nullptr) return fetch->id;
  // Both wait: fetches first, but every kBackgroundShare-th grant goes to the background.
  return fetches_in_a_row_ >= kBackgroundShare - 1 ? background->id : fetch->id;
}

void Budget::recover(Millis now) {
  if (effective_ >= limits_.requests || now < paused_until_ || now - last_change_at_ < limits_.window_ms)
    return;
  effective_ = std::min(limits_.requests, effective_ + std::max(1, limits_.requests / 4));
  last_change_at_ = now;
}

Result<Budget::Grant> Budget::try_take(std::uint64_t ticket, Millis now, Millis* wait_ms) {
  *wait_ms = 0;
  MutexLock lock(mu_);
  recover(now);
  if (paused_until_ > now) {
    *wait_ms = paused_until_ - now;
    return make_error(ErrorKind::kRateLimited, "paused by the tool");
  }
  auto next = next_in_line();
  if (!next || *next != ticket) return make_error(ErrorKind::kRateLimited, "not its turn");
  if (limits_.concurrency > 0 && in_use_ >= limits_.concurrency)
    return make_error(ErrorKind::kRateLimited, "every concurrent call is in use");
  if (limits_.limited()) {
    const Millis window = limits_.window_ms + (jitter_guard_ ? window_guard(limits_.window_ms) : 0);
    auto wait = log_.try_grant(key_, std::max(1, effective_), window, now);
    if (!wait) {
      *wait_ms = kPollMs;
      return wait.error();
    }
    if (*wait > 0) {
      *wait_ms = *wait;
      return make_error(ErrorKind::kRateLimited, "the window is full");
    }
  }
  const bool background = std::find_if(line_.begin(), line_.end(), [&](const Ticket& t) {
                            return t.priority == Priority::kBackground && t.id != ticket;
                          }) != line_.end();
  const bool is_fetch = std::find_if(line_.begin(), line_.end(), [&](const Ticket& t) {
                          return t.id == ticket && t.priority == Priority::kFetch;
                        }) != line_.end();
  fetches_in_a_row_ = is_fetch && background ? fetches_in_a_row_ + 1 : 0;
  remove_ticket(ticket);
  ++in_use_;
  ++requests_;
  return Grant(this);
}

Result<Budget::Grant> Budget::acquire(Priority priority, Millis deadline) {
  const std::uint64_t ticket = enqueue(priority);
  const Millis started = clock_.now_ms();
  for (;;) {
    const Millis now = clock_.now_ms();
    Millis wait = 0;
    const std::uint64_t seen = generation_.load();
    auto grant = try_take(ticket, now, &wait);
    if (grant) {
      wake();  // the next in line may go now
      return grant;
    }
    if (now >= deadline) {
      {
        MutexLock lock(mu_);
        remove_ticket(ticket);
        ++timed_out_;
      }
      wake();
      return make_error(ErrorKind::kRateLimited, "waited " + std::to_string(now - started) +
                                                     " ms for the API budget (" + grant.error().message +
                                                     ")");
    }
    // Woken early by a release, a grant or a change of limits; otherwise look again after `wait`.
    const Millis sleep = std::clamp<Millis>(wait > 0 ? wait : kPollMs, 1, std::min(kPollMs, deadline - now));
    MutexLock lock(mu_);
    lock.wait_for(cv_, std::chrono::milliseconds(sleep), [&] { return generation_.load() != seen; });
  }
}

void Budget::wake() {
  {
    MutexLock lock(mu_);  // a waiter between its check and its wait cannot miss this
    ++generation_;
  }
  cv_.notify_all();
}

void Budget::release() {
  {
    MutexLock lock(mu_);
    --in_use_;
  }
  wake();
}

void Budget::pause_until(Millis until) {
  const Millis now = clock_.now_ms();
  if (until <= now || until <= paused_until_) return;
  paused_ms_ += until - std::max(now, paused_until_);
  paused_until_ = until;
  (void)log_.pause(key_, until);  // shared on PostgreSQL; a failure leaves this node's pause in force
}

void Budget::observe(int status, const std::vector<std::pair<std::string, std::string>>& headers) {
  const Millis now = clock_.now_ms();
  MutexLock lock(mu_);
  const auto retry_after = header(headers, {"Retry-After"});
  if (status == 429 || (status == 503 && retry_after)) {
    ++throttled_;
    Millis pause = kDefaultPauseMs;
    if (retry_after)
      if (auto ms = retry_after_ms(*retry_after)) pause = std::max<Millis>(*ms, 1);
    pause_until(now + pause);
    effective_ = std::max(1, effective_ / 2);
    last_change_at_ = std::max(now, paused_until_);  // recovery starts when the pause ends
    return;
  }
  const auto remaining = header(headers, {"X-Rate-Limit-Remaining", "X-RateLimit-Remaining"});
  if (!remaining) return;
  const auto left = integer(*remaining);
  if (!left || *left > 0) return;
  Millis until = now + std::max<Millis>(limits_.window_ms, kDefaultPauseMs);
  if (auto reset = header(headers, {"X-Rate-Limit-Reset", "X-RateLimit-Reset"}))
    if (auto value = integer(*reset)) until = reset_at(*value, now);
  pause_until(std::min(until, now + kMaxPauseMs));
}

void Budget::set_jitter_guard(bool on) {
  MutexLock lock(mu_);
  jitter_guard_ = on;
}

Millis Budget::window_guard(Millis window_ms) {
  return std::clamp<Millis>(window_ms / 50, 100, 1000);
}

BudgetStats Budget::stats() const {
  const Millis now = clock_.now_ms();
  MutexLock lock(mu_);
  BudgetStats s;
  s.limits = limits_;
  s.effective_requests = effective_;
  s.in_use = in_use_;
  s.waiting = static_cast<int>(line_.size());
  s.requests = requests_;
  s.throttled = throttled_;
  s.timed_out = timed_out_;
  s.paused_ms = paused_ms_;
  s.paused_until = paused_until_ > now ? paused_until_ : 0;
  return s;
}

}  // namespace tributary
