// The dispatcher: sends outbox events to the operator's endpoints. One thread claims due deliveries endpoint
// by endpoint — never more than the per-endpoint concurrency limit in flight to one endpoint, so a slow or
// dead endpoint cannot take the capacity healthy ones need — signs each request, and hands it to the libcurl
// multi client (many requests in flight at once, keep-alive connections reused). Completions come back on the
// client's thread, are queued, and the dispatcher records each attempt and its outcome (succeeded, retry at a
// time set by the RetryPolicy, failed, or endpoint disabled on 410) in batched transactions. Claims are
// leases in the database (status "sending" until lease_until), so work claimed by a process that died is
// taken over when the lease expires; on start the lease of this node's earlier life is released at once.
// Thread-safety: start()/stop() from the owner; notify() from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "core/config.h"
#include "core/failure_backoff.h"
#include "core/mutex.h"
#include "core/secret_box.h"
#include "core/wakeup.h"
#include "delivery/retry_policy.h"
#include "http/client.h"
#include "store/outbox_repo.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::delivery {

struct DispatcherOptions {
  RetryConfig retry;
  std::chrono::milliseconds timeout{15000};
  int max_in_flight = 512;
  int per_endpoint_concurrency = 16;
  std::size_t response_excerpt_bytes = 16 * 1024;
};

struct DispatcherStats {
  std::uint64_t attempts = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed_attempts = 0;
};

class Dispatcher {
 public:
  Dispatcher(store::Pool& pool, store::Writer& writer, http::HttpClient& client, const SecretBox& secrets,
             DispatcherOptions options);
  ~Dispatcher();

  void start();
  // Stops claiming, waits up to `grace` for requests in flight and records their outcome; what is still in
  // flight afterwards stays claimed and is retried when its lease expires (or at the next start).
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  void notify() { wakeup_.notify(); }

  DispatcherStats stats() const;
  int in_flight() const;

 private:
  struct Completion {
    store::DeliveryRow delivery;
    Millis attempted_at = 0;
    http::ClientResponse response;
  };

  struct Outcome {
    store::DeliveryRow delivery;
    store::AttemptRow attempt;
    std::optional<std::string> disable_reason;
  };

  void run();
  // One round: records the attempts that completed and claims what to send next, in one transaction, then
  // sends what it claimed.
  void cycle(bool claim);
  struct Wanted {
    const store::EndpointRow* endpoint;
    int free;  // deliveries it may take now
  };
  struct Claimed {
    const store::EndpointRow* endpoint;
    store::DeliveryRow delivery;
  };
  std::vector<Wanted> free_capacity(const std::vector<Outcome>& outcomes,
                                    const std::vector<store::EndpointRow>& endpoints);
  Result<std::vector<Claimed>> record_and_claim(const std::vector<Outcome>& outcomes,
                                                const std::vector<Wanted>& wanted, Millis now);
  void settle(const std::vector<Outcome>& outcomes, const DispatcherStats& delta, bool recorded);
  std::vector<Outcome> take_outcomes(DispatcherStats& delta);
  void send(const store::DeliveryRow& delivery, const store::EndpointRow& endpoint,
            const std::string& payload);
  // The endpoint's secrets in force, opened; nullopt when one of them cannot be opened.
  std::optional<std::vector<std::string>> signing_secrets(const store::EndpointRow& endpoint,
                                                          Millis now) const;

  store::Pool& pool_;
  store::Writer& writer_;
  http::HttpClient& client_;
  const SecretBox& secrets_;
  DispatcherOptions options_;
  RetryPolicy policy_;
  Wakeup wakeup_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable Mutex mu_;
  std::deque<Completion> completions_ GUARDED_BY(mu_);
  std::map<std::string, int> in_flight_ GUARDED_BY(mu_);  // endpoint id → requests in flight
  int total_in_flight_ GUARDED_BY(mu_) = 0;
  DispatcherStats stats_ GUARDED_BY(mu_);
  std::mt19937_64 rng_{std::random_device{}()};  // dispatcher thread only
  // Rounds whose record-and-claim failed (the database refusing writes, above all): logged once per spell,
  // the next round after a backoff rather than at once (dispatcher thread only).
  FailureBackoff backoff_{"dispatcher", std::chrono::milliseconds(500), std::chrono::seconds(10)};
  std::chrono::milliseconds pause_{0};
};

}  // namespace tributary::delivery
