#include "subscriptions/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "delivery/events.h"
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
    // Due times written elsewhere (an explicit reconcile, another node) are read at least this often: once a
    // minute, or once per re-check interval when that is shorter.
    Millis next_wake = now + std::min<Millis>(60 * 1000, options_.recheck_interval_ms);
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
      MutexLock lock(reconcile_mu_);
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
  MutexLock lock(reconcile_mu_);
  // One reconcile of an integration at a time across every node: wait (bounded) for one running elsewhere.
  const auto deadline = std::chrono::steady_clock::now() + kExplicitLockWait;
  for (bool waited = false;; waited = true) {
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
    if (!waited)
      spdlog::info("reconciler: integration {}: waiting for the reconcile running on another node",
                   integration_id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

enum class RemoteCheck { kPresent, kVanished, kFailed, kUnknown };

// One reconcile of one integration: pairs its stored subscriptions with the event groups its scope wants,
// acts on the tool for each (create, check, delete), and collects the rows to write in one transaction.
class Pass {
 public:
  Pass(const store::IntegrationRow& integration, const connectors::Connector& connector,
       const connectors::ApiContext& ctx, const SecretBox& secrets, const ReconcilerOptions& options,
       bool retry_now)
      : integration_(integration),
        connector_(connector),
        ctx_(ctx),
        secrets_(secrets),
        options_(options),
        retry_now_(retry_now),
        api_(connector.subscription_mode() == connectors::SubscriptionMode::kApi),
        now_(now_ms()),
        next_due_(now_ + options.recheck_interval_ms) {}

  // The event groups to subscribe: one per subscription the connector plans for the enabled models; none
  // when upstream webhooks are off or the integration is deleted or disabled.
  Status plan() {
    if (integration_.deleted_at || !integration_.enabled) return {};
    auto scope = processing::parse_scope(integration_.scope, connector_);
    if (!scope) return scope.error();
    if (!scope->upstream_webhooks) return {};
    for (auto& group : connector_.plan_subscriptions(scope->models))
      if (!group.empty()) desired_.push_back(std::move(group));
    return {};
  }

  // Settles every stored subscription against the plan.
  void settle(const std::vector<store::SubscriptionRow>& existing) {
    const std::vector<std::size_t> match_of = pair(existing);
    matched_.assign(desired_.size(), false);
    for (std::size_t k = 0; k < existing.size(); ++k) {
      store::SubscriptionRow sub = existing[k];
      const std::size_t match = match_of[k];
      if (match == desired_.size()) {
        settle_unwanted(std::move(sub));
        continue;
      }
      matched_[match] = true;
      if (as_set(sub.event_types) != as_set(desired_[match])) {
        sub.event_types = desired_[match];
        sub.updated_at = now_;
        spdlog::info("reconciler: {} subscription {}: events now {}", integration_.id, sub.id,
                     sub.event_types.size());
        settle_wanted(std::move(sub), /*changed=*/true);
      } else {
        settle_wanted(std::move(sub), /*changed=*/false);
      }
    }
  }

  // Creates a subscription for every planned group no stored one took. An API tool's row is written before
  // the tool is asked (`write_now`): tools ping the URL while the subscription is being created (Ashby's
  // ping, SmartRecruiters' activation handshake), and the ingress must know it by then.
  Status create_missing(const std::function<Status(const store::SubscriptionRow&)>& write_now) {
    for (std::size_t i = 0; i < desired_.size(); ++i) {
      if (matched_[i]) continue;
      store::SubscriptionRow sub = new_subscription(desired_[i]);
      if (!api_) {
        to_insert_.push_back(std::move(sub));
        continue;
      }
      if (auto st = write_now(sub); !st) return st;
      create_remote(sub);
      to_update_.push_back(std::move(sub));
    }
    return {};
  }

  // Writes what the pass decided; a deleted integration whose remote subscriptions are all gone goes too.
  Status write(store::Connection& c) const {
    for (const auto& sub : to_insert_)
      if (auto st = store::subscriptions::insert(c, sub); !st) return st;
    for (const auto& sub : to_update_)
      if (auto st = store::subscriptions::update(c, sub); !st) return st;
    for (const auto& id : to_remove_)
      if (auto st = store::subscriptions::remove(c, id); !st) return st;
    if (integration_.deleted_at && to_update_.empty())
      return store::integrations::hard_delete(c, integration_.id);
    // What the tool said about the credentials: rejected (INVALID), or accepted by every call it answered
    // (ACTIVE again); integration-state-changed goes with a change.
    if (credentials_rejected_ || credentials_accepted_) {
      auto changed = store::integrations::set_invalid(
          c, integration_.id, credentials_rejected_ ? std::optional<Millis>(now_) : std::nullopt);
      if (!changed) return changed.error();
      if (*changed && integration_.enabled) {
        if (auto st = delivery::publish_state_change(c, integration_.id, now_); !st) return st;
      }
    }
    return store::integrations::set_reconcile_due(c, integration_.id, next_due_);
  }

 private:
  // Pairs stored subscriptions with the planned groups (the index of its group, or desired_.size() for
  // none): exact matches first; then, for manual tools, a subscription whose events changed keeps its ingress
  // URL and secret and only takes the new event list (the end customer's webhook in the tool keeps working;
  // events out of scope are ignored at processing).
  std::vector<std::size_t> pair(const std::vector<store::SubscriptionRow>& existing) const {
    std::vector<bool> taken(desired_.size(), false);
    std::vector<std::size_t> match_of(existing.size(), desired_.size());
    for (std::size_t k = 0; k < existing.size(); ++k) {
      const auto set = as_set(existing[k].event_types);
      for (std::size_t i = 0; i < desired_.size(); ++i) {
        if (taken[i] || as_set(desired_[i]) != set) continue;
        match_of[k] = i;
        taken[i] = true;
        break;
      }
    }
    if (api_) return match_of;
    for (std::size_t k = 0; k < existing.size(); ++k) {
      if (match_of[k] != desired_.size()) continue;
      for (std::size_t i = 0; i < desired_.size(); ++i) {
        if (taken[i]) continue;
        match_of[k] = i;
        taken[i] = true;
        break;
      }
    }
    return match_of;
  }

  // Not wanted any more: scope narrowed (remove it), or upstream webhooks turned off / integration deleted
  // (keep it as "disabled" so the operator sees what happened).
  void settle_unwanted(store::SubscriptionRow sub) {
    if (!remote_delete(sub)) {
      sub.status = store::SubscriptionStatus::kFailed;
      sub.updated_at = now_;
      sub.next_attempt_at = now_ + options_.retry_base_ms;
      next_due_ = std::min(next_due_, *sub.next_attempt_at);
      to_update_.push_back(std::move(sub));
    } else if (desired_.empty() && !integration_.deleted_at) {
      if (sub.status != store::SubscriptionStatus::kDisabled) {
        sub.status = store::SubscriptionStatus::kDisabled;
        sub.last_error = integration_.enabled ? "upstream webhooks are disabled in the scope config"
                                              : "the integration is disabled";
        sub.updated_at = now_;
        to_update_.push_back(std::move(sub));
      }
    } else {
      to_remove_.push_back(sub.id);
    }
  }

  // A wanted subscription: checked at the tool when it should be live, created again where it is not.
  // `changed`: its row changed already (new event list) and is written whatever happens here.
  void settle_wanted(store::SubscriptionRow sub, bool changed) {
    const bool retry_due = sub.status == store::SubscriptionStatus::kFailed ||
                           sub.status == store::SubscriptionStatus::kMissingPermission ||
                           sub.status == store::SubscriptionStatus::kDisabled;
    const bool attempt_due = retry_now_ || !sub.next_attempt_at || *sub.next_attempt_at <= now_;
    if (api_ && sub.remote_id &&
        (sub.status == store::SubscriptionStatus::kActive || (retry_due && attempt_due))) {
      // Still there? A subscription deleted at the tool (by hand, or by the tool after failed deliveries) is
      // created again; credentials that stopped working turn it `failed` with the tool's answer.
      switch (check_remote(sub)) {
        case RemoteCheck::kPresent:
          credentials_accepted_ = true;
          if (sub.status != store::SubscriptionStatus::kActive) {
            mark_active(sub);
            changed = true;
          }
          if (changed) to_update_.push_back(std::move(sub));
          return;
        case RemoteCheck::kVanished:
          sub.remote_id.reset();
          create_remote(sub);
          to_update_.push_back(std::move(sub));
          return;
        case RemoteCheck::kFailed:
          to_update_.push_back(std::move(sub));
          return;
        case RemoteCheck::kUnknown:
          break;
      }
    }
    if (api_ && (sub.status == store::SubscriptionStatus::kDisabled || (retry_due && attempt_due))) {
      create_remote(sub);
      changed = true;
    } else if (!api_ && sub.status == store::SubscriptionStatus::kDisabled) {
      sub.status = store::SubscriptionStatus::kPending;
      sub.last_error.reset();
      sub.updated_at = now_;
      changed = true;
    } else if (sub.next_attempt_at) {
      next_due_ = std::min(next_due_, *sub.next_attempt_at);
    }
    if (changed) to_update_.push_back(std::move(sub));
  }

  store::SubscriptionRow new_subscription(const std::vector<std::string>& event_types) const {
    store::SubscriptionRow sub;
    sub.id = new_id("sub");
    sub.integration_id = integration_.id;
    sub.ingress_token = crypto::random_token(32);
    sub.mode = std::string(connectors::to_string(connector_.subscription_mode()));
    sub.event_types = event_types;
    sub.created_at = now_;
    sub.updated_at = now_;
    if (connector_.we_choose_secret())
      sub.secret = secrets_.seal(crypto::base64_encode(crypto::random_bytes(32)),
                                 SecretBox::secret_of("subscriptions", sub.id));
    sub.status = store::SubscriptionStatus::kPending;
    return sub;
  }

  void mark_active(store::SubscriptionRow& sub) const {
    sub.status = store::SubscriptionStatus::kActive;
    sub.last_error.reset();
    sub.failures = 0;
    sub.next_attempt_at.reset();
    sub.updated_at = now_;
  }

  // True when the tool no longer has the subscription (or never had one).
  bool remote_delete(store::SubscriptionRow& sub) const {
    if (!api_ || !sub.remote_id) return true;
    Status s = connector_.delete_subscription(ctx_, *sub.remote_id);
    if (s) {
      sub.remote_id.reset();
      return true;
    }
    sub.last_error = "could not delete the subscription in " + std::string(connector_.display_name()) + ": " +
                     s.error().message;
    spdlog::warn("reconciler: {} subscription {}: {}", integration_.id, sub.id, *sub.last_error);
    return false;
  }

  // A subscription the tool refused: `missing_permission` for a 403 (the end customer must grant something),
  // `failed` otherwise; retried with backoff doubling from retry_base_ms up to the hourly re-check.
  void record_failure(store::SubscriptionRow& sub, ErrorKind kind, std::string message) {
    sub.failures += 1;
    const Millis backoff = options_.retry_base_ms << std::min(sub.failures - 1, 10);
    sub.next_attempt_at = now_ + std::min(backoff, options_.recheck_interval_ms);
    next_due_ = std::min(next_due_, *sub.next_attempt_at);
    sub.status = kind == ErrorKind::kForbidden ? store::SubscriptionStatus::kMissingPermission
                                               : store::SubscriptionStatus::kFailed;
    sub.last_error = std::move(message);
    spdlog::warn("reconciler: {} subscription {}: {}: {}", integration_.id, sub.id,
                 store::to_string(sub.status), *sub.last_error);
  }

  void create_remote(store::SubscriptionRow& sub) {
    connectors::SubscriptionRequest req;
    req.event_types = sub.event_types;
    req.ingress_url = ingress_url(options_.public_url, integration_.tool, sub.ingress_token);
    if (sub.secret)
      req.secret = secrets_.open(*sub.secret, SecretBox::secret_of("subscriptions", sub.id)).value_or("");
    auto created = connector_.create_subscription(ctx_, req);
    sub.updated_at = now_;
    if (!created) {
      if (created.error().kind == ErrorKind::kUnauthorized) credentials_rejected_ = true;
      record_failure(sub, created.error().kind, created.error().message);
      return;
    }
    credentials_accepted_ = true;
    mark_active(sub);
    sub.remote_id = created->remote_id;
    if (!created->secret.empty() && created->secret != req.secret)
      sub.secret = secrets_.seal(created->secret, SecretBox::secret_of("subscriptions", sub.id));
    spdlog::info("reconciler: {} subscribed to {} event types (remote id {})", integration_.id,
                 sub.event_types.size(), sub.remote_id.value_or(""));
  }

  RemoteCheck check_remote(store::SubscriptionRow& sub) {
    auto exists = connector_.subscription_exists(ctx_, *sub.remote_id);
    if (exists) {
      if (*exists) return RemoteCheck::kPresent;
      spdlog::warn("reconciler: {} subscription {}: deleted at {} (remote id {}); creating it again",
                   integration_.id, sub.id, connector_.display_name(), *sub.remote_id);
      return RemoteCheck::kVanished;
    }
    const Error& e = exists.error();
    if (e.kind != ErrorKind::kUnauthorized && e.kind != ErrorKind::kForbidden) {
      // A transient failure says nothing about the subscription: leave it as it is until the next check.
      spdlog::warn("reconciler: {} subscription {}: could not check it at {}: {}", integration_.id, sub.id,
                   connector_.display_name(), e.message);
      return RemoteCheck::kUnknown;
    }
    // The tool no longer accepts these credentials for a subscription that worked: the integration is
    // INVALID.
    credentials_rejected_ = true;
    record_failure(
        sub, e.kind,
        std::string(connector_.display_name()) +
            (e.kind == ErrorKind::kUnauthorized ? " rejected the credentials: " : " refused access: ") +
            e.message);
    sub.updated_at = now_;
    return RemoteCheck::kFailed;
  }

  const store::IntegrationRow& integration_;
  const connectors::Connector& connector_;
  const connectors::ApiContext& ctx_;
  const SecretBox& secrets_;
  const ReconcilerOptions& options_;
  const bool retry_now_;
  const bool api_;
  const Millis now_;
  Millis next_due_;
  std::vector<std::vector<std::string>> desired_;
  std::vector<bool> matched_;
  std::vector<store::SubscriptionRow> to_insert_;
  std::vector<store::SubscriptionRow> to_update_;
  std::vector<std::string> to_remove_;
  bool credentials_rejected_ = false;  // a 401 (or 403 to a check) from the tool: the integration is INVALID
  bool credentials_accepted_ = false;  // a check or a creation the tool answered with success
};

}  // namespace

Status Reconciler::reconcile_row(const store::IntegrationRow& integration, bool retry_now) {
  ++runs_;
  const connectors::Connector* connector = registry_.find(integration.tool);
  if (connector == nullptr) return make_error(ErrorKind::kInternal, "no connector for " + integration.tool);
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  auto existing = store::subscriptions::list_for_integration(**lease, integration.id);
  if (!existing) return existing.error();

  const connectors::ApiContext ctx =
      pipeline::api_context(integration, *connector, secrets_, client_, options_.api_timeout,
                            options_.budgets, Priority::kBackground);
  Pass pass(integration, *connector, ctx, secrets_, options_, retry_now);
  if (auto s = pass.plan(); !s) return s;
  pass.settle(*existing);
  if (auto s = pass.create_missing([this](const store::SubscriptionRow& sub) {
        return writer_.run([&sub](store::Connection& c) { return store::subscriptions::insert(c, sub); });
      });
      !s)
    return s;
  return writer_.run([&pass](store::Connection& c) { return pass.write(c); });
}

}  // namespace tributary::subscriptions
