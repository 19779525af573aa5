#include "ingress/ingress.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/log.h"
#include "http/router.h"
#include "store/inbox_repo.h"

namespace tributary::ingress {
namespace {

namespace bj = boost::json;

// Subscriptions change rarely; a short cache keeps the hot path free of a lookup per request, and
// invalidate() makes changes visible at once on this node.
constexpr std::int64_t kCacheMicros = 5'000'000;
// Requests answered without verification are logged with an excerpt of their body and headers: enough to
// see what came, not a way to fill the disk.
constexpr std::size_t kExcerptBodyBytes = 2048;
constexpr std::size_t kExcerptHeaders = 32;
constexpr std::size_t kExcerptHeaderBytes = 256;

// At most `max` bytes of `text`, not cutting a UTF-8 sequence in two.
std::string excerpt(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
    --n;
  return std::string(text.substr(0, n));
}

std::string headers_json(const HeaderList& headers, bool cut = false) {
  bj::array arr;
  for (const auto& [k, v] : redact_headers(headers)) {
    if (cut && arr.size() == kExcerptHeaders) break;
    arr.push_back(bj::array{bj::value(cut ? excerpt(k, kExcerptHeaderBytes) : k),
                            bj::value(cut ? excerpt(v, kExcerptHeaderBytes) : v)});
  }
  return bj::serialize(arr);
}

// A row for a request answered without verification: headers and body cut to an excerpt.
store::InboxRow excerpt_row(const http::Request& request);

// A limit of `n` per minute, with a burst of n.
RateLimit per_minute(std::int64_t n) {
  return RateLimit{static_cast<double>(n) / 60.0, static_cast<double>(n)};
}

// Retry-After for a bucket refilled in `retry_us`: whole seconds, at least one.
std::string retry_after(std::int64_t retry_us) {
  return std::to_string(std::max<std::int64_t>(1, (retry_us + 999'999) / 1'000'000));
}

std::string events_json(const std::vector<connectors::UnifiedEvent>& events) {
  bj::array arr;
  for (const auto& e : events) {
    bj::object o;
    o["model"] = connectors::to_string(e.model);
    o["action"] = connectors::to_string(e.action);
    o["remote_id"] = e.remote_id;
    if (!e.fetch_hint.empty()) o["fetch_hint"] = e.fetch_hint;
    arr.push_back(std::move(o));
  }
  return bj::serialize(arr);
}

// A request's path as logged: never the ingress token (a credential: whoever has it can post events), the
// subscription's id instead when the URL was resolved; whatever else, escaped.
std::string path_for_log(std::string_view path, const std::string* subscription_id) {
  auto parsed = parse_ingress_path(path);
  if (!parsed) return log_safe(path);
  std::string out = "/ingress/" + log_safe(parsed->first, 64) + "/…";
  if (subscription_id != nullptr) out += " (subscription " + *subscription_id + ")";
  return out;
}

store::InboxRow base_row(const http::Request& request) {
  store::InboxRow row;
  row.id = new_id("in");
  row.received_at = now_ms();
  row.method = request.method;
  row.path = request.path;
  row.headers = headers_json(request.headers);
  row.body_size = static_cast<std::int64_t>(request.body.size());
  return row;
}

store::InboxRow excerpt_row(const http::Request& request) {
  store::InboxRow row = base_row(request);
  row.headers = headers_json(request.headers, /*cut=*/true);
  row.body = excerpt(request.body, kExcerptBodyBytes);
  return row;
}

std::string error_code_for(int status) {
  switch (status) {
    case 400:
      return "INGRESS.MALFORMED";
    case 401:
      return "INGRESS.SIGNATURE_INVALID";
    case 404:
      return "INGRESS.UNKNOWN_URL";
    case 413:
      return "INGRESS.PAYLOAD_TOO_LARGE";
    case 429:
      return "INGRESS.RATE_LIMITED";
    default:
      return "INGRESS.ERROR";
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_ingress_path(std::string_view path) {
  if (path.substr(0, kPathPrefix.size()) != kPathPrefix) return std::nullopt;
  std::string_view rest = path.substr(kPathPrefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  std::string_view tool = rest.substr(0, slash);
  std::string_view token = rest.substr(slash + 1);
  if (token.empty() || token.find('/') != std::string_view::npos || token.size() > 128) return std::nullopt;
  return std::make_pair(std::string(tool), std::string(token));
}

Ingress::Ingress(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
                 const SecretBox& secrets, IngressOptions options)
    : pool_(pool),
      writer_(writer),
      registry_(registry),
      secrets_(secrets),
      options_(options),
      address_limiter_(options.per_address),
      subscription_limiter_(options.per_subscription),
      logged_per_address_(per_minute(options.logged_per_address_per_minute)),
      logged_total_(per_minute(options.logged_per_minute)) {}

IngressStats Ingress::stats() const {
  MutexLock lock(mu_);
  return stats_;
}

void Ingress::invalidate() {
  MutexLock lock(mu_);
  cache_.clear();
}

Result<std::optional<Ingress::Target>> Ingress::lookup(const std::string& token, bool fresh) {
  std::int64_t now_us = monotonic_us();
  if (!fresh) {
    MutexLock lock(mu_);
    auto it = cache_.find(token);
    if (it != cache_.end() && now_us - it->second.loaded_at_us < kCacheMicros)
      return std::optional<Target>(it->second);
  }
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  auto sub = store::subscriptions::get_by_token(**lease, token);
  if (!sub) return sub.error();
  if (!*sub) return std::optional<Target>{};
  auto integration = store::integrations::get(**lease, (*sub)->integration_id);
  if (!integration) return integration.error();
  if (!*integration) return std::optional<Target>{};
  Target target{**sub, (*integration)->tool, {}, now_us};
  Millis now = now_ms();
  // A stored secret this node cannot open is an error of the node, not of the tool: said in the log, since
  // the tool only sees the 401 its unverifiable request gets.
  auto unopenable = [&] {
    spdlog::error("ingress: subscription {}: a stored secret cannot be opened with this node's master key",
                  target.subscription.id);
  };
  if (target.subscription.secret) {
    if (auto s = secrets_.open(*target.subscription.secret,
                               SecretBox::secret_of("subscriptions", target.subscription.id))) {
      target.secrets.push_back(std::move(*s));
    } else {
      unopenable();
    }
  }
  auto previous =
      secrets_.retired_in_force("subscriptions", target.subscription.id, target.subscription.previous_secret,
                                target.subscription.previous_secret_until, now);
  if (!previous) unopenable();
  for (auto& s : previous.value_or(std::vector<std::string>{}))
    target.secrets.push_back(std::move(s));
  MutexLock lock(mu_);
  if (cache_.size() > 10000) cache_.clear();
  cache_[token] = target;
  return std::optional<Target>(std::move(target));
}

void Ingress::reject(const http::Request& request, const Target* target, int status, std::string code,
                     std::string reason, const http::Responder& respond,
                     std::optional<std::string> verification) {
  store::InboxRow row = excerpt_row(request);
  row.http_status = status;
  row.outcome = store::InboxOutcome::kRejected;
  row.reason = reason;
  row.verification = std::move(verification);
  row.processed_at = row.received_at;
  if (target != nullptr) {
    row.integration_id = target->subscription.integration_id;
    row.subscription_id = target->subscription.id;
    row.tool = target->tool;
  }
  {
    MutexLock lock(mu_);
    ++stats_.rejected;
  }
  // Logged (the row and the line) without waiting for durability — nothing was accepted, so nothing can be
  // lost — and only as a sample: a flood of refusals is counted, not written out.
  if (log_sampled(request, std::move(row))) {
    spdlog::warn("ingress {} {} rejected {}: {}", log_safe(request.method, 16),
                 path_for_log(request.path, target != nullptr ? &target->subscription.id : nullptr), status,
                 log_safe(reason));
  }
  respond(http::error_response(status, code, reason));
}

bool Ingress::log_sampled(const http::Request& request, store::InboxRow row) {
  const std::int64_t now = monotonic_us();
  const bool sampled = options_.logged_per_address_per_minute > 0 && options_.logged_per_minute > 0 &&
                       logged_per_address_.allow(source_key(request.remote_address), now) &&
                       logged_total_.allow("", now);
  if (!sampled) {
    MutexLock lock(mu_);
    ++stats_.unlogged_over_sample;
    return false;
  }
  const bool queued = writer_.submit_log(
      [row = std::move(row)](store::Connection& c) { return store::inbox::insert(c, row); },
      [](Status s) {
        // A database that refuses writes is logged by the writer, once.
        if (!s && s.error().kind != ErrorKind::kStorageUnavailable)
          spdlog::error("ingress: logging a request answered unverified failed: {}", s.error().message);
      });
  if (!queued) {
    MutexLock lock(mu_);
    ++stats_.unlogged_queue_full;
  }
  return queued;
}

void Ingress::log_rejected(const http::Request& request, int status, std::string_view reason) {
  auto path = parse_ingress_path(request.path);
  std::optional<Target> target;
  if (path) {
    if (auto found = lookup(path->second)) target = std::move(*found);
  }
  reject(request, target ? &*target : nullptr, status, error_code_for(status), std::string(reason),
         [](auto) {});
}

// One request on its way through handle(): what its URL names and the subscription that resolves to.
struct Ingress::Arrival {
  http::Request request;
  http::Responder respond;
  std::optional<std::pair<std::string, std::string>> path;  // tool, token
  std::optional<Target> target;
  std::int64_t started_us = 0;
};

// Every request spends from its source address's bucket, before anything else is done for it.
bool Ingress::over_address_limit(Arrival& a) {
  std::int64_t retry_us = 0;
  if (address_limiter_.allow(source_key(a.request.remote_address), monotonic_us(), &retry_us)) return false;
  {
    MutexLock lock(mu_);
    ++stats_.limited_by_address;
  }
  reject(a.request, nullptr, 429, "INGRESS.RATE_LIMITED", "too many requests from this address; retry later",
         [respond = a.respond, after = retry_after(retry_us)](http::Response r) {
           respond(std::move(r.with_header("Retry-After", after)));
         });
  return true;
}

// Verified requests spend from their subscription's bucket: a forger cannot spend a tool's budget.
bool Ingress::over_subscription_limit(Arrival& a) {
  std::int64_t retry_us = 0;
  if (subscription_limiter_.allow(a.target->subscription.id, monotonic_us(), &retry_us)) return false;
  {
    MutexLock lock(mu_);
    ++stats_.limited_by_subscription;
  }
  reject(a.request, &*a.target, 429, "INGRESS.RATE_LIMITED",
         "too many requests for this subscription; retry later",
         [respond = a.respond, after = retry_after(retry_us)](http::Response r) {
           respond(std::move(r.with_header("Retry-After", after)));
         });
  return true;
}

void Ingress::handle(http::Request request, http::Responder respond) {
  Arrival a{std::move(request), std::move(respond)};
  if (over_address_limit(a)) return;
  if (a.request.method != "POST") {
    // Some tools probe the URL with GET/HEAD when it is saved; answer without recording anything.
    if (a.request.method == "GET" || a.request.method == "HEAD") {
      a.respond(http::Response::json(200, R"({"status":"success","data":{"ingress":"ready"}})"));
      return;
    }
    a.respond(http::error_response(405, "INGRESS.METHOD_NOT_ALLOWED", "ingress URLs accept POST only"));
    return;
  }
  a.started_us = monotonic_us();
  a.path = parse_ingress_path(a.request.path);
  const connectors::Connector* connector = admit(a);
  if (connector == nullptr) return;

  if (auto handshake = connector->handshake(a.request)) {
    // Answered before any verification: logged like a rejection, as a sample with an excerpt.
    store::InboxRow row = excerpt_row(a.request);
    row.integration_id = a.target->subscription.integration_id;
    row.subscription_id = a.target->subscription.id;
    row.tool = a.target->tool;
    row.http_status = handshake->status;
    row.outcome = store::InboxOutcome::kPing;
    row.reason = "handshake answered";
    row.processed_at = row.received_at;
    log_sampled(a.request, std::move(row));
    a.respond(std::move(*handshake));
    return;
  }
  auto verification = authenticate(a, *connector);
  if (!verification) return;
  if (over_subscription_limit(a)) return;
  auto parsed = parse(a, *connector, verification->scheme);
  if (!parsed) return;

  store::InboxRow row = base_row(a.request);
  row.integration_id = a.target->subscription.integration_id;
  row.subscription_id = a.target->subscription.id;
  row.tool = a.target->tool;
  row.verification = verification->scheme;
  row.body = std::move(a.request.body);
  row.vendor_event = parsed->vendor_event;
  if (!parsed->delivery_id.empty()) row.delivery_id = parsed->delivery_id;
  // The first verified request activates a pending subscription.
  const std::optional<std::string> activate =
      a.target->subscription.status == store::SubscriptionStatus::kPending
          ? std::optional<std::string>(a.target->subscription.id)
          : std::nullopt;
  if (parsed->is_ping) {
    record_ping(std::move(row), activate, std::move(a.respond));
  } else {
    record_event(std::move(row), *parsed, connector->accepted_status(), activate, std::move(a.respond));
  }
}

// Resolves the URL to an enabled subscription of a known tool, or answers (and logs) the request.
const connectors::Connector* Ingress::admit(Arrival& a) {
  if (a.path) {
    auto found = lookup(a.path->second);
    if (!found) {
      // Not a verdict on the URL: a 404 could make the tool give up on the webhook, a 503 is retried.
      spdlog::warn("ingress {} {}: cannot look the subscription up: {}", a.request.method,
                   path_for_log(a.request.path, nullptr), found.error().message);
      a.respond(http::error_response(503, "INGRESS.UNAVAILABLE", "cannot look the subscription up now; retry")
                    .with_header("Retry-After", "1"));
      return nullptr;
    }
    a.target = std::move(*found);
  }
  if (a.target && a.target->subscription.status == store::SubscriptionStatus::kDisabled) recheck(a);
  if (!a.target || a.target->tool != a.path->first) {
    reject(a.request, nullptr, 404, "INGRESS.UNKNOWN_URL", "no subscription has this ingress URL", a.respond);
    return nullptr;
  }
  const connectors::Connector* connector = registry_.find(a.target->tool);
  if (connector == nullptr) {
    reject(a.request, &*a.target, 404, "INGRESS.UNKNOWN_URL", "no connector for tool " + a.target->tool,
           a.respond);
    return nullptr;
  }
  if (a.target->subscription.status == store::SubscriptionStatus::kDisabled) {
    reject(a.request, &*a.target, 404, "INGRESS.UNKNOWN_URL", "the subscription is disabled", a.respond);
    return nullptr;
  }
  return connector;
}

// A request the cached subscription refuses (no secret, wrong key, disabled) is judged again against a fresh
// read, once: another node, or this node's reconciler a moment before the store's notification drops the
// cache, may have stored the tool's key since. A refusal costs a write to the log anyway, so the extra read
// adds little to a flood of forged requests. True when a fresh read replaced the target.
bool Ingress::recheck(Arrival& a) {
  if (!a.target || a.target->loaded_at_us >= a.started_us) return false;
  auto again = lookup(a.path->second, /*fresh=*/true);
  if (!again || !*again || (*again)->tool != a.path->first) return false;
  a.target = std::move(*again);
  return true;
}

// Verifies the request with the subscription's keys (current and, during a rotation, previous).
std::optional<connectors::Verification> Ingress::authenticate(Arrival& a,
                                                              const connectors::Connector& connector) {
  if (a.target->secrets.empty()) recheck(a);
  if (a.target->secrets.empty()) {
    reject(a.request, &*a.target, 401, "INGRESS.SECRET_MISSING",
           "this subscription has no secret yet: store the secret the tool shows with PATCH "
           "/v1/integrations/{id}/subscriptions/{sid}",
           a.respond);
    return std::nullopt;
  }
  connectors::Verification verification =
      connector.verify(a.request, connectors::VerificationKeys{a.target->secrets});
  if (!verification.ok && recheck(a) && !a.target->secrets.empty())
    verification = connector.verify(a.request, connectors::VerificationKeys{a.target->secrets});
  if (!verification.ok) {
    reject(a.request, &*a.target, 401, "INGRESS.SIGNATURE_INVALID",
           "signature verification failed: " + verification.reason, a.respond, verification.reason);
    return std::nullopt;
  }
  return verification;
}

// The connector's reading of a verified body; a body it cannot read, or an event whose record id could not be
// stored, is refused whole.
std::optional<connectors::ParsedEvent> Ingress::parse(Arrival& a, const connectors::Connector& connector,
                                                      const std::string& scheme) {
  auto parsed = connector.parse(a.request);
  if (!parsed) {
    reject(a.request, &*a.target, 400, "INGRESS.MALFORMED", parsed.error().message, a.respond, scheme);
    return std::nullopt;
  }
  for (auto& event : parsed->events) {
    if (auto problem = connectors::remote_id_problem(event.remote_id)) {
      reject(a.request, &*a.target, 400, "INGRESS.MALFORMED",
             std::string(connectors::to_string(event.model)) + " event: " + *problem, a.respond, scheme);
      return std::nullopt;
    }
    // A hint the rule refuses is only a shortcut lost: the record is then read by its id alone.
    if (connectors::remote_id_problem(event.fetch_hint)) event.fetch_hint.clear();
  }
  return std::move(*parsed);
}

// A request the writer could not make durable is never acknowledged: 503, which the tools retry. A database
// that refuses writes (disk full, read-only) is logged once by the writer; anything else here, per request.
http::Response Ingress::not_recorded(const Error& error) {
  {
    MutexLock lock(mu_);
    ++stats_.unavailable;
  }
  if (error.kind == ErrorKind::kStorageUnavailable) {
    return http::error_response(503, "INGRESS.STORAGE_UNAVAILABLE",
                                "the relay's database refuses writes (disk full or read-only); nothing was "
                                "recorded; retry later")
        .with_header("Retry-After", "5");
  }
  spdlog::error("ingress: could not record a request: {}", error.message);
  return http::error_response(503, "INGRESS.UNAVAILABLE", "could not record the request durably; retry")
      .with_header("Retry-After", "1");
}

void Ingress::record_ping(store::InboxRow row, std::optional<std::string> activate, http::Responder respond) {
  row.http_status = 200;
  row.outcome = store::InboxOutcome::kPing;
  row.reason = "ping answered";
  row.processed_at = row.received_at;
  writer_.submit(
      [row = std::move(row), activate](store::Connection& c) -> Status {
        if (auto s = store::inbox::insert(c, row); !s) return s;
        if (!activate) return {};
        return store::subscriptions::activate_if_pending(c, *activate);
      },
      [this, respond = std::move(respond)](Status s) {
        if (!s) {
          respond(not_recorded(s.error()));
          return;
        }
        respond(http::Response::json(200, R"({"status":"success","data":{"ping":"ok"}})"));
      });
}

// Writes the event to the inbox and acknowledges it once the write is durable.
void Ingress::record_event(store::InboxRow row, const connectors::ParsedEvent& parsed, int accepted_status,
                           std::optional<std::string> activate, http::Responder respond) {
  // De-duplication: the vendor's delivery id when it sends one, else the body's hash (a redelivery repeats
  // it).
  row.dedupe_key = parsed.delivery_id.empty() ? "sha256:" + crypto::hex_encode(crypto::sha256(row.body))
                                              : "id:" + parsed.delivery_id;
  // An id from an unsigned header proves nothing: the same signed body under a new id is a redelivery too.
  std::optional<Millis> same_body_since;
  if (!parsed.delivery_id.empty() && !parsed.delivery_id_signed)
    same_body_since = row.received_at - kBodyDedupeWindowMs;
  row.unified_events = events_json(parsed.events);
  row.outcome = store::InboxOutcome::kReceived;
  row.http_status = accepted_status;
  auto duplicate = std::make_shared<bool>(false);
  writer_.submit(
      [row = std::move(row), activate, duplicate, same_body_since](store::Connection& c) -> Status {
        auto dup = store::inbox::insert_received(c, row, same_body_since);
        if (!dup) return dup.error();
        *duplicate = *dup;
        // Wakes a processor when the batch commits: this node's through the writer, others' through NOTIFY.
        if (!*dup) {
          if (auto s = store::notify(c, store::kInboxChannel); !s) return s;
        }
        if (!activate) return {};
        return store::subscriptions::activate_if_pending(c, *activate);
      },
      [this, respond = std::move(respond), accepted_status, duplicate](Status s) {
        if (!s) {
          respond(not_recorded(s.error()));
          return;
        }
        {
          MutexLock lock(mu_);
          if (*duplicate) {
            ++stats_.duplicates;
          } else {
            ++stats_.accepted;
          }
        }
        respond(http::Response::json(accepted_status,
                                     *duplicate ? R"({"status":"success","data":{"duplicate":true}})"
                                                : R"({"status":"success","data":{}})"));
      });
}

}  // namespace tributary::ingress
