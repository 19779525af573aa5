#include "subscriptions/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/json.h"
#include "processing/scope.h"

namespace tributary::subscriptions {
namespace {

// How long a node holds an integration it is reconciling (a few remote API calls, each with its timeout).
constexpr Millis kReconcileLeaseMs = 5 * 60 * 1000;

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
      auto next = (*lease)->query(
          "SELECT MIN(reconcile_due_at) FROM integrations WHERE reconcile_due_at > $1", {now});
      if (next && !next->empty() && !next->front().is_null(0))
        next_wake = std::min(next_wake, next->front().int64(0));
    }
    for (const auto& integration : due) {
      if (wakeup_.stopped()) break;
      std::lock_guard lock(reconcile_mu_);
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
  auto row = store::integrations::get(**lease, integration_id, /*include_deleted=*/true);
  if (!row) return row.error();
  if (!*row) return make_error(ErrorKind::kNotFound, "integration " + integration_id + " not found");
  std::lock_guard lock(reconcile_mu_);
  return reconcile_row(**row, /*retry_now=*/true);
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
  connectors::ApiContext ctx;
  ctx.client = &client_;
  ctx.timeout = options_.api_timeout;
  if (auto creds = secrets_.open(integration.credentials)) {
    auto parsed = json::parse(*creds);
    if (parsed && parsed->is_object()) ctx.credentials = parsed->get_object();
  }
  ctx.base_url = integration.remote_base_url.value_or(connector->default_base_url(ctx.credentials));
  while (!ctx.base_url.empty() && ctx.base_url.back() == '/')
    ctx.base_url.pop_back();

  const bool api = connector->subscription_mode() == connectors::SubscriptionMode::kApi;
  std::vector<std::vector<std::string>> desired;
  if (!integration.deleted_at) {
    auto scope = processing::parse_scope(integration.scope, connector->category());
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

  auto create_remote = [&](store::SubscriptionRow& sub) {
    connectors::SubscriptionRequest req;
    req.event_types = sub.event_types;
    req.ingress_url = ingress_url(options_.public_url, integration.tool, sub.ingress_token);
    if (sub.secret) req.secret = secrets_.open(*sub.secret).value_or("");
    auto created = connector->create_subscription(ctx, req);
    sub.updated_at = now;
    if (created) {
      sub.status = "active";
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
    const Error& e = created.error();
    sub.failures += 1;
    Millis backoff = options_.retry_base_ms << std::min(sub.failures - 1, 10);
    sub.next_attempt_at = now + std::min(backoff, options_.recheck_interval_ms);
    next_due = std::min(next_due, *sub.next_attempt_at);
    sub.status = e.kind == ErrorKind::kForbidden ? "missing_permission" : "failed";
    sub.last_error = e.message;
    spdlog::warn("reconciler: {} subscription {}: {}: {}", integration.id, sub.id, sub.status, e.message);
  };

  for (auto sub : *existing) {
    auto set = as_set(sub.event_types);
    std::size_t match = desired.size();
    for (std::size_t i = 0; i < desired.size(); ++i) {
      if (!matched[i] && as_set(desired[i]) == set) {
        match = i;
        break;
      }
    }
    if (match == desired.size()) {
      // Not wanted any more: scope narrowed (remove it), or upstream webhooks turned off / integration
      // deleted (keep it as "disabled" so the operator sees what happened).
      bool gone = remote_delete(sub);
      changed = true;
      if (!gone) {
        sub.status = "failed";
        sub.updated_at = now;
        sub.next_attempt_at = now + options_.retry_base_ms;
        next_due = std::min(next_due, *sub.next_attempt_at);
        to_update.push_back(sub);
      } else if (desired.empty() && !integration.deleted_at) {
        if (sub.status != "disabled") {
          sub.status = "disabled";
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
    bool retry_due = sub.status == "failed" || sub.status == "missing_permission" || sub.status == "disabled";
    if (api && (sub.status == "disabled" ||
                (retry_due && (retry_now || !sub.next_attempt_at || *sub.next_attempt_at <= now)))) {
      create_remote(sub);
      to_update.push_back(sub);
      changed = true;
    } else if (!api && sub.status == "disabled") {
      sub.status = "pending";
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
    changed = true;
    if (api) {
      // Some tools call the ingress URL while the subscription is being created (SmartRecruiters' activation
      // handshake), so the row must already exist, pending, when the remote call is made.
      sub.status = "pending";
      Status inserted =
          writer_.run([&](store::Connection& c) -> Status { return store::subscriptions::insert(c, sub); });
      if (!inserted) return inserted;
      create_remote(sub);
      to_update.push_back(std::move(sub));
      continue;
    }
    sub.status = "pending";
    to_insert.push_back(std::move(sub));
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
    auto r =
        c.execute("UPDATE integrations SET reconcile_due_at = $2 WHERE id = $1", {integration.id, next_due});
    return r ? Status{} : Status{r.error()};
  });
  if (s && changed && on_changed_) on_changed_();
  return s;
}

}  // namespace tributary::subscriptions
