// The ingress: where the tools deliver their webhooks, one URL per subscription:
//   {public_url}/ingress/{tool}/{ingress_token}
// It answers handshakes and pings, verifies the request with the connector's scheme, and writes the raw
// request (sensitive headers redacted), the verification result and the parsed unified events to the inbox
// through the group-commit writer — acknowledging with 2xx only after that write is durable. A redelivery of
// an event already received (same vendor delivery id, or the same body when the tool sends none) is
// acknowledged and logged as a duplicate, never forwarded twice. Unknown URLs (404), bad signatures (401),
// malformed bodies (400) and bodies over the limit (413) are answered at once and never forwarded.
// What anyone on the network can make it do is bounded: requests per source address, and verified requests
// per subscription, are held to token buckets (429 with Retry-After over them); requests answered without
// verification (rejections, handshakes) are written to the upstream log only as a sample — so many per
// source address and in total per minute, headers and body cut to an excerpt — through the writer's bounded
// log queue, and the rest are counted (stats()). Only what gates an acknowledgement waits for the writer.
// Thread-safety: handle() from any server thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "connectors/registry.h"
#include "core/mutex.h"
#include "core/rate_limit.h"
#include "core/secret_box.h"
#include "http/message.h"
#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::ingress {

inline constexpr std::string_view kPathPrefix = "/ingress/";
// How long a body whose delivery id is unsigned (Greenhouse) counts as already received: longer than the
// tool's retry schedule (Greenhouse retries for about 15 hours).
inline constexpr std::int64_t kBodyDedupeWindowMs = 24LL * 3600 * 1000;

struct IngressStats {
  std::uint64_t accepted = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected = 0;                 // every refusal, 429s included
  std::uint64_t limited_by_address = 0;       // 429: the source address's bucket was empty
  std::uint64_t limited_by_subscription = 0;  // 429: the subscription's bucket was empty
  std::uint64_t unlogged_over_sample = 0;     // not written to the upstream log: over the per-minute sample
  std::uint64_t unlogged_queue_full = 0;  // not written to the upstream log: the writer's log queue was full
  std::uint64_t unavailable = 0;  // verified, but answered 503: the write failed (the database refused it)
};

struct IngressOptions {
  RateLimit per_address{1000, 10000};
  RateLimit per_subscription{200, 5000};
  // Requests answered without verification written to the upstream log, per minute (0: none).
  std::int64_t logged_per_address_per_minute = 10;
  std::int64_t logged_per_minute = 120;
};

class Ingress {
 public:
  Ingress(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
          const SecretBox& secrets, IngressOptions options = {});

  void handle(http::Request request, http::Responder respond);
  // Logs a request the HTTP server rejected before it reached handle() (413, 431, 400).
  void log_rejected(const http::Request& request, int status, std::string_view reason);
  // Drops cached subscription lookups: a node calls it when the store's subscriptions channel is notified
  // (store::kSubscriptionsChannel: the reconciler, the API or an activation changed a subscription).
  void invalidate();

  IngressStats stats() const;

 private:
  struct Target {
    store::SubscriptionRow subscription;
    std::string tool;
    std::vector<std::string> secrets;  // opened; current first
    std::int64_t loaded_at_us = 0;
  };

  struct Arrival;
  // The steps of handle(): resolve the URL, verify, parse, record.
  const connectors::Connector* admit(Arrival& a);
  bool recheck(Arrival& a);
  std::optional<connectors::Verification> authenticate(Arrival& a, const connectors::Connector& connector);
  std::optional<connectors::ParsedEvent> parse(Arrival& a, const connectors::Connector& connector,
                                               const std::string& scheme);
  void record_ping(store::InboxRow row, std::optional<std::string> activate, http::Responder respond);
  http::Response not_recorded(const Error& error);
  void record_event(store::InboxRow row, const connectors::ParsedEvent& parsed, int accepted_status,
                    std::optional<std::string> activate, http::Responder respond);

  // fresh: skip the cache (the answer replaces the cached copy).
  // nullopt: no such subscription; an error: the database could not be read (not a verdict on the URL).
  Result<std::optional<Target>> lookup(const std::string& token, bool fresh = false);
  void reject(const http::Request& request, const Target* target, int status, std::string code,
              std::string reason, const http::Responder& respond,
              std::optional<std::string> verification = std::nullopt);
  // 429 when the source address's, or (for a verified request) the subscription's, bucket is empty.
  bool over_address_limit(Arrival& a);
  bool over_subscription_limit(Arrival& a);
  // Writes a row answered without verification to the upstream log, if the sample allows; true if queued.
  bool log_sampled(const http::Request& request, store::InboxRow row);

  store::Pool& pool_;
  store::Writer& writer_;
  const connectors::Registry& registry_;
  const SecretBox& secrets_;
  const IngressOptions options_;
  KeyedRateLimiter address_limiter_;
  KeyedRateLimiter subscription_limiter_;
  KeyedRateLimiter logged_per_address_;
  KeyedRateLimiter logged_total_;

  mutable Mutex mu_;
  std::map<std::string, Target> cache_ GUARDED_BY(mu_);
  IngressStats stats_ GUARDED_BY(mu_);
};

// Splits "/ingress/{tool}/{token}"; nullopt when the path has another shape.
std::optional<std::pair<std::string, std::string>> parse_ingress_path(std::string_view path);

}  // namespace tributary::ingress
