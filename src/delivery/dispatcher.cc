#include "delivery/dispatcher.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "delivery/signing.h"

namespace tributary::delivery {
namespace {

// A lease long enough for the request's own timeout plus the time to record its outcome (a group commit:
// milliseconds, seconds under heavy load). A dead node's deliveries are sent again once it ends.
Millis lease_for(std::chrono::milliseconds timeout) {
  return timeout.count() + 10000;
}

constexpr std::string_view kUnopenableSecret =
    "the endpoint's signing secret cannot be opened with this node's master key; not sent unsigned (rotate "
    "the endpoint's secret to send again)";

std::string excerpt(const std::string& body, std::size_t limit) {
  if (body.size() <= limit) return body;
  return body.substr(0, limit);
}

// What one round's attempts say about each endpoint's health: the latest attempt that succeeded, and the
// earliest failed one after it.
struct RoundHealth {
  std::optional<Millis> last_success;
  std::optional<Millis> first_failure;
};

template <class Outcomes>
std::map<std::string, RoundHealth> health_of(const Outcomes& outcomes) {
  std::map<std::string, RoundHealth> out;
  for (const auto& o : outcomes) {
    if (o.delivery.status != store::DeliveryStatus::kSucceeded) continue;
    auto& h = out[o.delivery.endpoint_id];
    h.last_success = std::max(h.last_success.value_or(o.attempt.attempted_at), o.attempt.attempted_at);
  }
  for (const auto& o : outcomes) {
    if (o.delivery.status == store::DeliveryStatus::kSucceeded) continue;
    auto& h = out[o.delivery.endpoint_id];
    const Millis at = o.attempt.attempted_at;
    if (h.last_success && at <= *h.last_success) continue;
    h.first_failure = std::min(h.first_failure.value_or(at), at);
  }
  return out;
}

}  // namespace

Dispatcher::Dispatcher(store::Pool& pool, store::Writer& writer, http::HttpClient& client,
                       const SecretBox& secrets, DispatcherOptions options)
    : pool_(pool),
      writer_(writer),
      client_(client),
      secrets_(secrets),
      options_(options),
      policy_(options.retry) {}

Dispatcher::~Dispatcher() {
  stop(std::chrono::milliseconds(0));
}

void Dispatcher::start() {
  stopping_ = false;
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void Dispatcher::stop(std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return;
  // The thread first: once joined it claims nothing more, and what its last round claimed has been handed to
  // the client (counted in flight). Waiting on in_flight() while it ran missed a round claimed but not yet
  // sent: those requests reached their receivers while the node stopped without recording them, and were
  // sent again after a restart.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  stopping_ = true;
  wakeup_.stop();
  thread_.join();
  // Then record what completes within the grace; a request still in flight after it keeps its claim until
  // the lease ends and is sent again then (at least once, as after a crash).
  for (;;) {
    cycle(/*claim=*/false);
    if (in_flight() == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

DispatcherStats Dispatcher::stats() const {
  MutexLock lock(mu_);
  return stats_;
}

int Dispatcher::in_flight() const {
  MutexLock lock(mu_);
  return total_in_flight_;
}

void Dispatcher::run() {
  while (!wakeup_.stopped()) {
    const Millis claimed_at = now_ms();
    cycle(/*claim=*/!stopping_);
    // Sleep until the next delivery is due, a completion arrives, or new events are written (notify), at most
    // 1 s.
    auto wait = std::chrono::milliseconds(1000);
    if (pause_.count() > 0) {
      // The last round could not be stored: wait it out, whatever is due meanwhile.
      wakeup_.wait_until(std::chrono::steady_clock::now() + pause_);
      continue;
    }
    if (auto lease = pool_.acquire()) {
      auto next = store::deliveries::next_due_after(**lease, claimed_at);
      if (next && *next) {
        Millis delta = **next - now_ms();
        if (delta < wait.count()) wait = std::chrono::milliseconds(std::max<Millis>(delta, 0));
      }
    }
    bool has_completions;
    {
      MutexLock lock(mu_);
      has_completions = !completions_.empty();
    }
    if (!has_completions && wait.count() > 0) wakeup_.wait_until(std::chrono::steady_clock::now() + wait);
  }
}

std::optional<std::vector<std::string>> Dispatcher::signing_secrets(const store::EndpointRow& endpoint,
                                                                    Millis now) const {
  std::vector<std::string> out;
  auto current = secrets_.open(endpoint.secret, SecretBox::secret_of("endpoints", endpoint.id));
  if (!current) return std::nullopt;
  out.push_back(std::move(*current));
  auto previous = secrets_.retired_in_force("endpoints", endpoint.id, endpoint.previous_secret,
                                            endpoint.previous_secret_until, now);
  if (!previous) return std::nullopt;
  for (auto& s : *previous)
    out.push_back(std::move(s));
  return out;
}

void Dispatcher::send(const store::DeliveryRow& delivery, const store::EndpointRow& endpoint,
                      const std::string& payload) {
  Millis now = now_ms();
  auto secrets = signing_secrets(endpoint, now);
  {
    MutexLock lock(mu_);
    ++in_flight_[endpoint.id];
    ++total_in_flight_;
  }
  if (!secrets) {
    // Never sent unsigned: the receiver could not tell the request from a forgery. The attempt is recorded as
    // failed (retried on the usual schedule, so a rotated secret lets it through) and shown with its reason.
    spdlog::error("dispatcher: delivery of event {} to endpoint {} not sent: {}", delivery.event_id,
                  endpoint.id, kUnopenableSecret);
    http::ClientResponse refused;
    refused.error = std::string(kUnopenableSecret);
    {
      MutexLock lock(mu_);
      completions_.push_back(Completion{delivery, now, std::move(refused)});
    }
    wakeup_.notify();
    return;
  }
  http::ClientRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.body = payload;
  request.headers = signed_headers(*secrets, delivery.event_id, now / 1000, payload);
  request.timeout = options_.timeout;
  request.guard_ssrf = true;
  request.max_response_bytes = options_.response_excerpt_bytes;
  client_.send(std::move(request), [this, delivery, now](http::ClientResponse response) {
    {
      MutexLock lock(mu_);
      completions_.push_back(Completion{delivery, now, std::move(response)});
    }
    wakeup_.notify();
  });
}

std::vector<Dispatcher::Outcome> Dispatcher::take_outcomes(DispatcherStats& delta) {
  std::deque<Completion> batch;
  {
    MutexLock lock(mu_);
    batch.swap(completions_);
  }
  std::vector<Outcome> outcomes;
  outcomes.reserve(batch.size());
  Millis now = now_ms();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (auto& c : batch) {
    Outcome o{c.delivery, {}, std::nullopt};
    auto& d = o.delivery;
    const auto& r = c.response;
    d.attempts += 1;
    d.updated_at = now;
    d.lease_until.reset();
    d.last_status = r.status == 0 ? std::nullopt : std::optional<int>(r.status);
    d.last_error = r.error.empty() ? std::nullopt : std::optional<std::string>(r.error);
    o.attempt.delivery_seq = d.seq;
    o.attempt.event_id = d.event_id;
    o.attempt.endpoint_id = d.endpoint_id;
    o.attempt.attempted_at = c.attempted_at;
    o.attempt.status_code = d.last_status;
    o.attempt.latency_ms = static_cast<double>(r.latency_us) / 1000.0;
    o.attempt.response_excerpt = excerpt(r.body, options_.response_excerpt_bytes);
    o.attempt.error = d.last_error;
    ++delta.attempts;
    switch (classify(r.status)) {
      case AttemptVerdict::kSucceeded:
        d.status = store::DeliveryStatus::kSucceeded;
        d.next_attempt_at.reset();
        ++delta.succeeded;
        break;
      case AttemptVerdict::kDisableEndpoint:
        d.status = store::DeliveryStatus::kFailed;
        d.next_attempt_at.reset();
        d.last_error = "410 Gone: the endpoint asked to be disabled";
        o.disable_reason = "the endpoint answered 410 Gone";
        ++delta.failed_attempts;
        break;
      case AttemptVerdict::kRetry: {
        ++delta.failed_attempts;
        std::optional<Millis> retry_after;
        if (auto h = r.header("Retry-After")) retry_after = parse_retry_after(*h, now);
        auto wait = policy_.delay(d.retries + 1, unit(rng_), retry_after);
        if (wait) {
          d.status = store::DeliveryStatus::kPending;
          d.retries += 1;
          d.next_attempt_at = now + *wait;
          o.attempt.next_retry_at = d.next_attempt_at;
        } else {
          d.status = store::DeliveryStatus::kFailed;
          d.next_attempt_at.reset();
        }
        if (!d.last_error) d.last_error = "HTTP " + std::to_string(r.status);
        break;
      }
    }
    outcomes.push_back(std::move(o));
  }

  return outcomes;
}

void Dispatcher::cycle(bool claim) {
  DispatcherStats delta;
  std::vector<Outcome> outcomes = take_outcomes(delta);
  const Millis now = now_ms();
  auto lease = pool_.acquire();
  if (!lease) {
    pause_ = backoff_.failed(lease.error());
    return;
  }
  pause_ = std::chrono::milliseconds(0);  // set again below if this round cannot be stored either
  std::vector<store::EndpointRow> endpoints;
  if (claim) {
    auto list = store::endpoints::list(**lease);
    if (!list) {
      spdlog::error("dispatcher: {}", list.error().message);
    } else {
      endpoints = std::move(*list);
    }
  }
  const std::vector<Wanted> wanted = free_capacity(outcomes, endpoints);
  if (outcomes.empty() && wanted.empty()) return;

  auto claimed = record_and_claim(outcomes, wanted, now);
  if (!claimed) {
    // Nothing of the round is stored: the completed deliveries stay claimed until their lease ends and are
    // sent again then (at least once), and nothing new was claimed. Logged once per spell of failures; the
    // next round waits (a database that refuses writes refuses every round).
    pause_ =
        backoff_.failed(Error{claimed.error().kind, "recording attempts and claiming deliveries failed: " +
                                                        claimed.error().message});
  } else {
    backoff_.succeeded();
  }
  settle(outcomes, delta, /*recorded=*/claimed.ok());
  if (!claimed) return;
  for (const auto& [ep, delivery] : *claimed) {
    auto event = store::events::get(**lease, delivery.event_id);
    if (!event || !*event) {
      spdlog::error("dispatcher: event {} of a claimed delivery is missing", delivery.event_id);
      continue;
    }
    send(delivery, *ep, (*event)->payload);
  }
}

// Free capacity per endpoint, counting the completions about to be recorded as already freed.
std::vector<Dispatcher::Wanted> Dispatcher::free_capacity(const std::vector<Outcome>& outcomes,
                                                          const std::vector<store::EndpointRow>& endpoints) {
  std::vector<Wanted> wanted;
  MutexLock lock(mu_);
  std::map<std::string, int> finishing;
  for (const auto& o : outcomes)
    ++finishing[o.delivery.endpoint_id];
  int global_free = options_.max_in_flight - total_in_flight_ + static_cast<int>(outcomes.size());
  for (const auto& ep : endpoints) {
    if (!ep.enabled || global_free <= 0) continue;
    auto it = in_flight_.find(ep.id);
    const int busy = (it == in_flight_.end() ? 0 : it->second) - finishing[ep.id];
    const int free = std::min(options_.per_endpoint_concurrency - busy, global_free);
    if (free <= 0) continue;
    wanted.push_back(Wanted{&ep, free});
    global_free -= free;
  }
  return wanted;
}

// One transaction per round: the outcomes of the attempts that completed, and the claim of what to send next.
Result<std::vector<Dispatcher::Claimed>> Dispatcher::record_and_claim(const std::vector<Outcome>& outcomes,
                                                                      const std::vector<Wanted>& wanted,
                                                                      Millis now) {
  std::vector<Claimed> claimed;
  Status s = writer_.run([&](store::Connection& c) -> Status {
    claimed.clear();
    for (const auto& o : outcomes) {
      if (auto st = store::attempts::insert(c, o.attempt); !st) return st;
      if (auto st = store::deliveries::record_result(c, o.delivery); !st) return st;
      if (o.disable_reason) {
        if (auto st = store::endpoints::disable(c, o.delivery.endpoint_id, *o.disable_reason, now); !st)
          return st;
      }
    }
    // Once per endpoint and round: whether its attempts keep failing (EndpointHealth disables it when they
    // have for delivery.disable_after).
    for (const auto& [endpoint_id, health] : health_of(outcomes)) {
      if (auto st =
              store::endpoints::record_health(c, endpoint_id, health.last_success, health.first_failure);
          !st)
        return st;
    }
    for (const auto& [ep, free] : wanted) {
      auto rows = store::deliveries::claim_due(c, ep->id, now, now + lease_for(options_.timeout), free);
      if (!rows) return rows.error();
      for (auto& r : *rows)
        claimed.push_back(Claimed{ep, std::move(r)});
    }
    return {};
  });
  if (!s) return s.error();
  return claimed;
}

// The completed attempts no longer count as in flight, whether or not their outcomes could be recorded.
void Dispatcher::settle(const std::vector<Outcome>& outcomes, const DispatcherStats& delta, bool recorded) {
  MutexLock lock(mu_);
  for (const auto& o : outcomes) {
    auto it = in_flight_.find(o.delivery.endpoint_id);
    if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
    --total_in_flight_;
    if (recorded && o.disable_reason)
      spdlog::warn("endpoint {} disabled: {}", o.delivery.endpoint_id, *o.disable_reason);
  }
  stats_.attempts += delta.attempts;
  stats_.succeeded += delta.succeeded;
  stats_.failed_attempts += delta.failed_attempts;
}

}  // namespace tributary::delivery
