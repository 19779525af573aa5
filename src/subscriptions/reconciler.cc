#include "subscriptions/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "pipeline/api_context.h"
#include "processing/scope.h"
#include "store/advisory_lock.h"

namespace tributary::subscriptions {
namespace {

// How long a node holds an integration it is reconciling (a few remote API calls, each with its timeout).
constexpr Millis kReconcileLeaseMs = 5 * 60 * 1000;
// How long an explicit reconcile waits for one of the same integration running on another node.
constexpr auto kExplicitLockWait = std::chrono::seconds(30);

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

std::string ingress_url(const std::string& public_url, const std::string& tool, const std::string& token) {
  return public_url + "/ingress/" + tool + "/" + token;
}

Reconciler::Reconciler(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
                       const SecretBox& secrets, http::HttpClient& client, ReconcilerOptions options)
    : pool_(pool),
      writer_(writer),
      registry_(registry),
      secrets_(secrets),
      client_(client),
      options_(std::move(options)) {}

Reconciler::~Reconciler() {
  stop();
}

void Reconciler::start() {
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void Reconciler::stop() {
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::run() {
  // At start-up every integration is checked once: subscriptions may have vanished or credentials stopped
  // working while no node was running.
  if (auto s = writer_.run(
          [](store::Connection& c) -> Status { return store::integrations::make_all_due(c, now_ms()); });
      !s)
    spdlog::error("reconciler: start-up check: {}", s.error().message);
  while (!wakeup_.stopped()) {
    Millis now = now_ms();
    std::vector<store::IntegrationRow> due;
    Millis next_wake = now + 60 * 1000;
    if (auto lease = pool_.acquire()) {
      // Claimed: on PostgreSQL the due time moves a lease ahead, so another node does not reconcile the same
      // integration meanwhile; reconcile_row() sets the next due time, and a dead node's claim runs out.
      auto rows = store::integrations::claim_due_for_reconcile(**lease, now, now + kReconcileLeaseMs);
      if (rows) {
        due = std::move(*rows);
      } else {
        spdlog::error("reconciler: {}", rows.error().message);
      }
      auto next = store::integrations::next_reconcile_due(**lease, now);
      if (next && *next) next_wake = std::min(next_wake, **next);
    }
    for (const auto& integration : due) {
      if (wakeup_.stopped()) break;
      std::lock_guard lock(reconcile_mu_);
      auto held = store::AdvisoryLock::try_lock(pool_, store::LockSpace::kReconcile, integration.id);
      if (!held) {
        spdlog::error("reconciler: integration {}: {}", integration.id, held.error().message);
        continue;
      }
      if (!*held) continue;  // another node is reconciling it right now (an explicit "reconcile now")
      if (auto s = reconcile_row(integration, /*retry_now=*/false); !s) {
        spdlog::error("reconciler: integration {}: {}", integration.id, s.error().message);
      }
    }
    if (!due.empty()) continue;
    wakeup_.wait_until(std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(std::max<Millis>(next_wake - now, 0)));
  }
}

Status Reconciler::reconcile(const std::string& integration_id) {
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  std::lock_guard lock(reconcile_mu_);
  // One reconcile of an integration at a time across every node: wait (bounded) for one running elsewhere.
  const auto deadline = std::chrono::steady_clock::now() + kExplicitLockWait;
  for (;;) {
    auto held = store::AdvisoryLock::try_lock(pool_, store::LockSpace::kReconcile, integration_id);
    if (!held) return held.error();
    if (*held) {
      // Read under the lock: another node may have changed the subscriptions while this one waited.
      auto fresh = store::integrations::get(**lease, integration_id, /*include_deleted=*/true);
      if (!fresh) return fresh.error();
      if (!*fresh) return make_error(ErrorKind::kNotFound, "integration " + integration_id + " not found");
      return reconcile_row(**fresh, /*retry_now=*/true);
    }
    if (std::chrono::steady_clock::now() >= deadline || wakeup_.stopped())
      return make_error(ErrorKind::kUnavailable, "a reconcile of integration " + integration_id +
                                                     " is running on another node; try again");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status Reconciler::reconcile_row(const store::IntegrationRow& integration, bool retry_now) {
  ++runs_;
  const connectors::Connector* connector = registry_.find(integration.tool);
  if (connector == nullptr) return make_error(ErrorKind::kInternal, "no connector for " + integration.tool);
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  auto existing = store::subscriptions::list_for_integration(**lease, integration.id);
  if (!existing) return existing.error();

  Millis now = now_ms();
  const connectors::ApiContext ctx =
      pipeline::api_context(integration, *connector, secrets_, client_, options_.api_timeout);

  const bool api = connector->subscription_mode() == connectors::SubscriptionMode::kApi;
  std::vector<std::vector<std::string>> desired;
  if (!integration.deleted_at) {
    auto scope = processing::parse_scope(integration.scope, *connector);
    if (!scope) return scope.error();
    if (scope->upstream_webhooks) {
      for (auto& group : connector->plan_subscriptions(scope->models)) {
        if (!group.empty()) desired.push_back(std::move(group));
      }
    }
  }

  std::vector<store::SubscriptionRow> to_update;
  std::vector<std::string> to_remove;
  std::vector<store::SubscriptionRow> to_insert;
  std::vector<bool> matched(desired.size(), false);
  Millis next_due = now + options_.recheck_interval_ms;
  bool changed = false;

  auto remote_delete = [&](store::SubscriptionRow& sub) -> bool {
    if (!api || !sub.remote_id) return true;
    Status s = connector->delete_subscription(ctx, *sub.remote_id);
    if (s) {
      sub.remote_id.reset();
      return true;
    }
    sub.last_error = "could not delete the subscription in " + std::string(connector->display_name()) + ": " +
                     s.error().message;
    spdlog::warn("reconciler: {} subscription {}: {}", integration.id, sub.id, *sub.last_error);
    return false;
  };

  // A subscription the tool refused: `missing_permission` for a 403 (the end customer must grant something),
  // `failed` otherwise; retried with backoff doubling from retry_base_ms up to the hourly re-check.
  auto record_failure = [&](store::SubscriptionRow& sub, ErrorKind kind, std::string message) {
    sub.failures += 1;
    Millis backoff = options_.retry_base_ms << std::min(sub.failures - 1, 10);
    sub.next_attempt_at = now + std::min(backoff, options_.recheck_interval_ms);
    next_due = std::min(next_due, *sub.next_attempt_at);
    sub.status = kind == ErrorKind::kForbidden ? store::SubscriptionStatus::kMissingPermission
                                               : store::SubscriptionStatus::kFailed;
    sub.last_error = std::move(message);
    spdlog::warn("reconciler: {} subscription {}: {}: {}", integration.id, sub.id,
                 store::to_string(sub.status), *sub.last_error);
  };

  auto create_remote = [&](store::SubscriptionRow& sub) {
    connectors::SubscriptionRequest req;
    req.event_types = sub.event_types;
    req.ingress_url = ingress_url(options_.public_url, integration.tool, sub.ingress_token);
    if (sub.secret) req.secret = secrets_.open(*sub.secret).value_or("");
    auto created = connector->create_subscription(ctx, req);
    sub.updated_at = now;
    if (created) {
      sub.status = store::SubscriptionStatus::kActive;
      sub.remote_id = created->remote_id;
      if (!created->secret.empty() && created->secret != req.secret)
        sub.secret = secrets_.seal(created->secret);
      sub.last_error.reset();
      sub.failures = 0;
      sub.next_attempt_at.reset();
      spdlog::info("reconciler: {} subscribed to {} event types (remote id {})", integration.id,
                   sub.event_types.size(), sub.remote_id.value_or(""));
      return;
    }
    record_failure(sub, created.error().kind, created.error().message);
  };

  enum class RemoteCheck { kPresent, kVanished, kFailed, kUnknown };
  auto check_remote = [&](store::SubscriptionRow& sub) -> RemoteCheck {
    auto exists = connector->subscription_exists(ctx, *sub.remote_id);
    if (exists) {
      if (*exists) return RemoteCheck::kPresent;
      spdlog::warn("reconciler: {} subscription {}: deleted at {} (remote id {}); creating it again",
                   integration.id, sub.id, connector->display_name(), *sub.remote_id);
      return RemoteCheck::kVanished;
    }
    const Error& e = exists.error();
    if (e.kind != ErrorKind::kUnauthorized && e.kind != ErrorKind::kForbidden) {
      // A transient failure says nothing about the subscription: leave it as it is until the next check.
      spdlog::warn("reconciler: {} subscription {}: could not check it at {}: {}", integration.id, sub.id,
                   connector->display_name(), e.message);
      return RemoteCheck::kUnknown;
    }
    record_failure(
        sub, e.kind,
        std::string(connector->display_name()) +
            (e.kind == ErrorKind::kUnauthorized ? " rejected the credentials: " : " refused access: ") +
            e.message);
    sub.updated_at = now;
    return RemoteCheck::kFailed;
  };

  // Pair existing subscriptions with the desired groups: exact matches first; then, for manual tools, a
  // subscription whose events changed keeps its ingress URL and secret and only takes the new event list (the
  // end customer's webhook in the tool keeps working; events out of scope are ignored at processing).
  std::vector<std::size_t> match_of(existing->size(), desired.size());
  for (std::size_t k = 0; k < existing->size(); ++k) {
    auto set = as_set((*existing)[k].event_types);
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!matched[i] && as_set(desired[i]) == set) {
        match_of[k] = i;
        matched[i] = true;
        break;
      }
    }
  }
  std::vector<bool> retyped(existing->size(), false);
  if (!api) {
    for (std::size_t k = 0; k < existing->size(); ++k) {
      if (match_of[k] != desired.size()) continue;
      for (std::size_t i = 0; i < desired.size(); ++i) {
        if (matched[i]) continue;
        match_of[k] = i;
        matched[i] = true;
        retyped[k] = true;
        break;
      }
    }
  }
  std::fill(matched.begin(), matched.end(), false);

  for (std::size_t k = 0; k < existing->size(); ++k) {
    auto sub = (*existing)[k];
    const std::size_t match = match_of[k];
    if (retyped[k]) {
      sub.event_types = desired[match];
      sub.updated_at = now;
      to_update.push_back(sub);
      changed = true;
      spdlog::info("reconciler: {} subscription {}: events now {}", integration.id, sub.id,
                   sub.event_types.size());
    }
    if (match == desired.size()) {
      // Not wanted any more: scope narrowed (remove it), or upstream webhooks turned off / integration
      // deleted (keep it as "disabled" so the operator sees what happened).
      bool gone = remote_delete(sub);
      changed = true;
      if (!gone) {
        sub.status = store::SubscriptionStatus::kFailed;
        sub.updated_at = now;
        sub.next_attempt_at = now + options_.retry_base_ms;
        next_due = std::min(next_due, *sub.next_attempt_at);
        to_update.push_back(sub);
      } else if (desired.empty() && !integration.deleted_at) {
        if (sub.status != store::SubscriptionStatus::kDisabled) {
          sub.status = store::SubscriptionStatus::kDisabled;
          sub.last_error = "upstream webhooks are disabled in the scope config";
          sub.updated_at = now;
          to_update.push_back(sub);
        }
      } else {
        to_remove.push_back(sub.id);
      }
      continue;
    }
    matched[match] = true;
    bool retry_due = sub.status == store::SubscriptionStatus::kFailed ||
                     sub.status == store::SubscriptionStatus::kMissingPermission ||
                     sub.status == store::SubscriptionStatus::kDisabled;
    const bool attempt_due = retry_now || !sub.next_attempt_at || *sub.next_attempt_at <= now;
    if (api && sub.remote_id &&
        (sub.status == store::SubscriptionStatus::kActive || (retry_due && attempt_due))) {
      // Still there? A subscription deleted at the tool (by hand, or by the tool after failed deliveries) is
      // created again; credentials that stopped working turn it `failed` with the tool's answer.
      switch (check_remote(sub)) {
        case RemoteCheck::kPresent:
          if (sub.status != store::SubscriptionStatus::kActive) {
            sub.status = store::SubscriptionStatus::kActive;
            sub.last_error.reset();
            sub.failures = 0;
            sub.next_attempt_at.reset();
            sub.updated_at = now;
            to_update.push_back(sub);
            changed = true;
          }
          continue;
        case RemoteCheck::kVanished:
          sub.remote_id.reset();
          create_remote(sub);
          to_update.push_back(sub);
          changed = true;
          continue;
        case RemoteCheck::kFailed:
          to_update.push_back(sub);
          changed = true;
          continue;
        case RemoteCheck::kUnknown:
          break;
      }
    }
    if (api && (sub.status == store::SubscriptionStatus::kDisabled || (retry_due && attempt_due))) {
      create_remote(sub);
      to_update.push_back(sub);
      changed = true;
    } else if (!api && sub.status == store::SubscriptionStatus::kDisabled) {
      sub.status = store::SubscriptionStatus::kPending;
      sub.last_error.reset();
      sub.updated_at = now;
      to_update.push_back(sub);
      changed = true;
    } else if (sub.next_attempt_at) {
      next_due = std::min(next_due, *sub.next_attempt_at);
    }
  }

  for (std::size_t i = 0; i < desired.size(); ++i) {
    if (matched[i]) continue;
    store::SubscriptionRow sub;
    sub.id = new_id("sub");
    sub.integration_id = integration.id;
    sub.ingress_token = crypto::random_token(32);
    sub.mode = std::string(connectors::to_string(connector->subscription_mode()));
    sub.event_types = desired[i];
    sub.created_at = now;
    sub.updated_at = now;
    if (connector->we_choose_secret())
      sub.secret = secrets_.seal(crypto::base64_encode(crypto::random_bytes(32)));
    sub.status = store::SubscriptionStatus::kPending;
    if (api) {
      // The row (and its ingress URL) exists before the tool is asked: tools ping the URL while the
      // subscription is being created (Ashby's ping, SmartRecruiters' activation handshake), and the ingress
      // must know it by then.
      if (auto st = writer_.run([&](store::Connection& c) { return store::subscriptions::insert(c, sub); });
          !st)
        return st;
      if (on_changed_) on_changed_();
      create_remote(sub);
      to_update.push_back(std::move(sub));
    } else {
      to_insert.push_back(std::move(sub));
    }
    changed = true;
  }

  const bool hard_delete = integration.deleted_at && to_update.empty();
  Status s = writer_.run([&](store::Connection& c) -> Status {
    for (const auto& sub : to_insert)
      if (auto st = store::subscriptions::insert(c, sub); !st) return st;
    for (const auto& sub : to_update)
      if (auto st = store::subscriptions::update(c, sub); !st) return st;
    for (const auto& id : to_remove)
      if (auto st = store::subscriptions::remove(c, id); !st) return st;
    if (hard_delete) return store::integrations::hard_delete(c, integration.id);
    return store::integrations::set_reconcile_due(c, integration.id, next_due);
  });
  if (s && changed && on_changed_) on_changed_();
  return s;
}

}  // namespace tributary::subscriptions
