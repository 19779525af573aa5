#include "delivery/endpoint_health.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "delivery/events.h"
#include "store/outbox_repo.h"

namespace tributary::delivery {
namespace {

// The reason shown on the endpoint, in the dashboard's banner and in the event: how long, and since when.
std::string reason_for(Millis disable_after_ms, Millis failing_since) {
  const Millis s = disable_after_ms / 1000;
  std::string span;
  if (s % 86400 == 0 && s >= 86400) {
    span = std::to_string(s / 86400) + (s == 86400 ? " day" : " days");
  } else if (s % 3600 == 0 && s >= 3600) {
    span = std::to_string(s / 3600) + (s == 3600 ? " hour" : " hours");
  } else if (s >= 1) {
    span = std::to_string(s) + (s == 1 ? " second" : " seconds");
  } else {
    span = std::to_string(disable_after_ms) + " ms";
  }
  return "every delivery attempt failed for more than " + span + " (failing since " +
         format_iso8601(failing_since) + ")";
}

}  // namespace

std::chrono::milliseconds health_check_interval(Millis disable_after_ms) {
  return std::chrono::milliseconds(std::clamp<Millis>(disable_after_ms / 10, 100, 60000));
}

EndpointHealth::EndpointHealth(store::Pool& pool, store::Writer& writer, EndpointHealthOptions options,
                               const Clock& clock)
    : pool_(pool), writer_(writer), options_(options), clock_(clock) {}

EndpointHealth::~EndpointHealth() {
  stop();
}

void EndpointHealth::start() {
  if (options_.disable_after_ms <= 0) return;
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void EndpointHealth::stop() {
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
}

void EndpointHealth::run() {
  while (!wakeup_.stopped()) {
    if (auto checked = check_now(); !checked) {
      (void)failures_.failed(checked.error());
    } else {
      failures_.succeeded();
    }
    wakeup_.wait_until(std::chrono::steady_clock::now() + options_.check_interval);
  }
}

Result<int> EndpointHealth::check_now() {
  if (options_.disable_after_ms <= 0) return 0;
  const Millis now = clock_.now_ms();
  const Millis before = now - options_.disable_after_ms;
  std::vector<store::EndpointRow> failing;
  {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    auto rows = store::endpoints::failing_since_before(**lease, before);
    if (!rows) return rows.error();
    failing = std::move(*rows);
  }
  int disabled = 0;
  for (const auto& candidate : failing) {
    bool done = false;
    const std::string reason = reason_for(options_.disable_after_ms, candidate.failing_since.value_or(now));
    auto s = writer_.run([&](store::Connection& c) -> Status {
      done = false;
      auto changed = store::endpoints::disable_failing(c, candidate.id, before, reason, now);
      if (!changed) return changed.error();
      if (!*changed) return {};                    // another node did, or an attempt succeeded meanwhile
      auto endpoints = store::endpoints::list(c);  // the disabled one is no longer enabled: not sent to it
      if (!endpoints) return endpoints.error();
      auto self = std::find_if(endpoints->begin(), endpoints->end(),
                               [&](const store::EndpointRow& e) { return e.id == candidate.id; });
      if (self == endpoints->end()) return {};
      auto event = endpoint_disabled(*self, now);
      if (auto sent = store::events::insert_with_deliveries(c, event, *endpoints, now); !sent)
        return sent.error();
      done = true;
      return store::notify(c, store::kOutboxChannel);
    });
    if (!s) return s.error();
    if (!done) continue;
    ++disabled;
    disabled_.fetch_add(1);
    spdlog::warn("endpoint {} disabled: {}", candidate.id, reason);
  }
  return disabled;
}

}  // namespace tributary::delivery
