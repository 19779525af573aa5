// /v1/integrations: create, list, read, update (scope, credentials, end user), delete; subscriptions (store a
// tool-generated secret); enable or disable (Kombo's PUT .../enabled); reconcile now; the coverage grid.
// The integration object is Kombo's (getIntegrationDetails: tool, status, setup_status, scope_config,
// read_models, ...) with Tributary's own fields beside it (scope, sync, subscriptions, api_budget, ...).
#include <spdlog/spdlog.h>

#include "api/api.h"
#include "api/kombo_shapes.h"
#include "api/respond.h"
#include "connectors/coverage.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "delivery/events.h"
#include "http/client.h"
#include "http/ssrf.h"
#include "processing/scope.h"
#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/syncs_repo.h"
#include "subscriptions/reconciler.h"
#include "sync/schedule.h"

namespace tributary::api {
namespace {

constexpr Millis kSecretOverlapMs = 24 * 3600 * 1000;

Result<bj::object> validate_credentials(const connectors::Connector& connector, const bj::value* value) {
  if (value == nullptr || !value->is_object()) {
    return make_error(ErrorKind::kInvalidArgument, "credentials must be an object");
  }
  bj::object creds = value->get_object();
  for (const auto& key : connector.credential_keys()) {
    auto it = creds.find(key);
    if (it == creds.end() || !it->value().is_string() || it->value().get_string().empty()) {
      std::string all;
      for (const auto& k : connector.credential_keys())
        all += (all.empty() ? "" : ", ") + k;
      return make_error(ErrorKind::kInvalidArgument, "credentials." + key + " is required for " +
                                                         std::string(connector.tool()) + " (needs: " + all +
                                                         ")");
    }
  }
  return creds;
}

Result<std::string> validate_end_user(const bj::value* value) {
  bj::object out;
  out["organization_name"] = nullptr;
  out["creator_email"] = nullptr;
  out["origin_id"] = nullptr;
  if (value == nullptr) return bj::serialize(out);
  if (!value->is_object()) return make_error(ErrorKind::kInvalidArgument, "end_user must be an object");
  for (const auto& [k, v] : value->get_object()) {
    if (k != "organization_name" && k != "creator_email" && k != "origin_id") {
      return make_error(
          ErrorKind::kInvalidArgument,
          "end_user." + std::string(k) + " is not known (organization_name, creator_email, origin_id)");
    }
    if (!v.is_string() && !v.is_null()) {
      return make_error(ErrorKind::kInvalidArgument, "end_user." + std::string(k) + " must be a string");
    }
    out[k] = v;
  }
  return bj::serialize(out);
}

// The SSRF guard's allow list, which also bounds where a tool's API may be called over plain http.
Result<http::NetworkGuard> network_guard(const ApiContext& ctx) {
  return http::NetworkGuard::create(ctx.config != nullptr ? ctx.config->delivery.allow_networks
                                                          : std::vector<std::string>{});
}

// remote_base_url and remote_auth_url: an https URL, an http URL whose host is inside delivery.allow_networks
// (the tool's credentials travel in clear), or null for the tool's own host. Where the URL leads is checked
// again on every call, at connect time (ApiContext::send).
Result<std::optional<std::string>> validate_base_url(const ApiContext& ctx, const bj::value* value,
                                                     std::string_view field = "remote_base_url") {
  if (value == nullptr || value->is_null()) return std::optional<std::string>{};
  if (!value->is_string())
    return make_error(ErrorKind::kInvalidArgument, std::string(field) + " must be a string");
  std::string url(value->get_string());
  const bool plain = url.rfind("http://", 0) == 0;
  const auto host = http::url_host(url);
  if ((!plain && url.rfind("https://", 0) != 0) || !host || host->empty()) {
    return make_error(ErrorKind::kInvalidArgument, std::string(field) + " must be an http(s) URL");
  }
  if (plain) {
    auto guard = network_guard(ctx);
    if (!guard) return guard.error();
    if (auto listed = guard->check_host_listed(*host); !listed) {
      return make_error(
          ErrorKind::kInvalidArgument,
          std::string(field) +
              ": plain http is accepted only for hosts inside delivery.allow_networks, since the "
              "tool's credentials would travel in clear (" +
              listed.error().message + "); use https");
    }
  }
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return std::optional<std::string>(url);
}

Result<std::string> validate_sync(const bj::value* value) {
  if (value == nullptr) return std::string("{}");
  if (!value->is_object()) return make_error(ErrorKind::kInvalidArgument, "sync must be an object");
  for (const auto& [k, v] : value->get_object()) {
    if (k != "interval_seconds")
      return make_error(ErrorKind::kInvalidArgument, "sync." + std::string(k) + " is not known");
    if (!v.is_null() && (!v.is_int64() || v.get_int64() < 60)) {
      return make_error(ErrorKind::kInvalidArgument, "sync.interval_seconds must be an integer ≥ 60");
    }
  }
  return bj::serialize(*value);
}

// rate_limit: the integration's own API limits (pipeline::parse_rate_limit), or null for the connector's
// declared ones. Stored as the JSON the API answers with.
Result<std::optional<std::string>> validate_rate_limit(const connectors::Connector& connector,
                                                       const bj::value* value) {
  if (value == nullptr || value->is_null()) return std::optional<std::string>{};
  auto limits = pipeline::parse_rate_limit(*value, connector.api_limits());
  if (!limits) return limits.error();
  return std::optional<std::string>(bj::serialize(pipeline::rate_limit_json(*limits)));
}

// The integration's API budget as this node sees it: the limit in force (declared or overridden) and the
// figures of this node's budget (zero until it has called the tool).
Result<bj::object> api_budget_json(const ApiContext& ctx, store::Connection& conn,
                                   const store::IntegrationRow& row, const connectors::Connector* connector) {
  bj::object o;
  int configured = 0;
  if (connector != nullptr) {
    const ApiLimits limits = pipeline::effective_limits(*connector, row.rate_limit);
    configured = limits.requests;
    o["limit"] = pipeline::rate_limit_json(limits);
    o["declared"] = pipeline::rate_limit_json(connector->api_limits());
  } else {
    o["limit"] = nullptr;
    o["declared"] = nullptr;
  }
  std::optional<BudgetStats> stats;
  if (ctx.budgets != nullptr) stats = ctx.budgets->stats(row.id);
  const BudgetStats s = stats.value_or(BudgetStats{});
  // What the budget allows now: lower than the limit while it recovers from a 429.
  o["effective_requests"] = stats ? s.effective_requests : configured;
  o["in_use"] = s.in_use;
  o["waiting"] = s.waiting;
  o["requests"] = s.requests;
  o["throttled"] = s.throttled;
  o["paused_until"] = s.paused_until > 0 ? bj::value(format_iso8601(s.paused_until)) : bj::value(nullptr);
  // From the database, so every node answers the same: the integration's received requests not processed yet.
  auto waiting = store::inbox::waiting(conn, row.id);
  if (!waiting) return waiting.error();
  o["fetches_waiting"] = waiting->count;
  o["oldest_wait_seconds"] =
      waiting->oldest_received_at
          ? bj::value(static_cast<double>(std::max<Millis>(0, now_ms() - *waiting->oldest_received_at)) /
                      1000.0)
          : bj::value(nullptr);
  return o;
}

bj::object subscription_json(const ApiContext& ctx, const store::IntegrationRow& integration,
                             const store::SubscriptionRow& sub, const connectors::Connector* connector) {
  bj::object o;
  o["id"] = sub.id;
  o["mode"] = sub.mode;
  o["status"] = store::to_string(sub.status);
  bj::array types;
  for (const auto& t : sub.event_types)
    types.emplace_back(t);
  o["event_types"] = std::move(types);
  std::string url =
      subscriptions::ingress_url(ctx.config->effective_public_url(), integration.tool, sub.ingress_token);
  o["ingress_url"] = url;
  o["remote_id"] = sub.remote_id ? bj::value(*sub.remote_id) : bj::value(nullptr);
  o["last_error"] = sub.last_error ? bj::value(*sub.last_error) : bj::value(nullptr);
  o["next_attempt_at"] = time_or_null(sub.next_attempt_at);
  o["created_at"] = format_iso8601(sub.created_at);
  o["updated_at"] = format_iso8601(sub.updated_at);
  if (sub.mode == "manual" && connector != nullptr) {
    bj::object setup;
    connectors::SubscriptionRequest req{sub.event_types, url, ""};
    setup["instructions"] = connector->setup_instructions(req);
    setup["secret_chosen_by"] = connector->we_choose_secret() ? "tributary" : "tool";
    if (connector->we_choose_secret() && sub.secret) {
      // null rather than an empty string that looks like a secret; the node logs why.
      auto secret = ctx.secrets->open(*sub.secret, SecretBox::secret_of("subscriptions", sub.id));
      if (!secret)
        spdlog::error("api: subscription {}: its secret cannot be opened with this node's master key",
                      sub.id);
      setup["secret"] = secret ? bj::value(*secret) : bj::value(nullptr);
    } else {
      setup["secret"] = nullptr;
      setup["secret_stored"] = sub.secret.has_value();
    }
    o["setup"] = std::move(setup);
  }
  return o;
}

Result<bj::object> integration_json(ApiContext& ctx, store::Connection& conn,
                                    const store::IntegrationRow& row) {
  const connectors::Connector* connector = ctx.registry->find(row.tool);
  const std::string public_url = ctx.config != nullptr ? ctx.config->effective_public_url() : "";
  bj::object o;
  o["id"] = row.id;
  // Kombo's fields first.
  if (connector != nullptr) {
    o["tool"] = kombo_tool(*connector, public_url);
  } else {
    o["tool"] = bj::object{{"id", row.tool},
                           {"label", row.tool},
                           {"internal_label", nullptr},
                           {"logo_url", ""},
                           {"icon_url", ""}};
  }
  o["category"] = row.category;
  o["status"] = store::integration_state(row);
  auto first_sync = store::syncs::first_succeeded_at(conn, row.id);
  if (!first_sync) return first_sync.error();
  o["setup_status"] = first_sync->has_value() ? "COMPLETED" : "FINAL_SYNC_PENDING";
  o["end_user"] = delivery::end_user_of(row);
  // One scope per integration: its id is the integration's.
  o["scope_config"] = bj::object{{"id", row.id}, {"name", nullptr}};
  o["data_expired_at"] = nullptr;
  o["beta"] = false;
  bj::array read_models;
  if (connector != nullptr) {
    auto scope = processing::parse_scope(row.scope, *connector);
    if (scope) read_models = kombo_read_models(*connector, *scope);
  }
  o["read_models"] = std::move(read_models);
  o["write_actions"] = bj::array{};
  // Tributary's own.
  o["enabled"] = row.enabled;
  o["invalid_since"] = time_or_null(row.invalid_since);
  o["remote_base_url"] = row.remote_base_url ? bj::value(*row.remote_base_url) : bj::value(nullptr);
  o["remote_auth_url"] = row.remote_auth_url ? bj::value(*row.remote_auth_url) : bj::value(nullptr);
  o["rate_limit"] = row.rate_limit ? json_or_null(*row.rate_limit) : bj::value(nullptr);
  auto budget = api_budget_json(ctx, conn, row, connector);
  if (!budget) return budget.error();
  o["api_budget"] = std::move(*budget);
  o["scope"] = json_or_null(row.scope);
  o["sync"] = json_or_null(row.sync);
  o["created_at"] = format_iso8601(row.created_at);
  o["updated_at"] = format_iso8601(row.updated_at);
  o["last_event_at"] = time_or_null(row.last_event_at);
  // The newest sync (queued, running or ended), for health at a glance.
  auto syncs = store::syncs::list_for_integration(conn, row.id, std::nullopt, 1);
  if (!syncs) return syncs.error();
  if (syncs->empty()) {
    o["last_sync"] = nullptr;
  } else {
    const auto& last = syncs->front();
    o["last_sync"] = bj::object{{"id", last.id},
                                {"type", last.type},
                                {"state", store::to_string(last.state)},
                                {"started_at", time_or_null(last.started_at)},
                                {"ended_at", time_or_null(last.ended_at)}};
  }
  auto subs = store::subscriptions::list_for_integration(conn, row.id);
  if (!subs) return subs.error();
  bj::array arr;
  for (const auto& s : *subs)
    arr.push_back(subscription_json(ctx, row, s, connector));
  o["subscriptions"] = std::move(arr);
  return o;
}

http::Response respond_integration(ApiContext& ctx, const std::string& id, int status = 200) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto row = store::integrations::get(**lease, id);
  if (!row) return internal_error(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "integration " + id + " not found");
  auto out = integration_json(ctx, **lease, **row);
  if (!out) return internal_error(out.error());
  return ok(std::move(*out), status);
}

http::Response create_integration(ApiContext& ctx, const http::Request& req) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  const bj::value* tool_v = body->if_contains("tool");
  if (tool_v == nullptr || !tool_v->is_string()) return fail(ErrorKind::kInvalidArgument, "tool is required");
  std::string tool(tool_v->get_string());
  const connectors::Connector* connector = ctx.registry->find(tool);
  if (connector == nullptr) {
    std::string known;
    for (const auto* c : ctx.registry->all())
      known += (known.empty() ? "" : ", ") + std::string(c->tool());
    return fail(ErrorKind::kInvalidArgument, "unknown tool '" + tool + "' (known: " + known + ")");
  }
  auto creds = validate_credentials(*connector, body->if_contains("credentials"));
  if (!creds) return fail(creds.error());
  auto end_user = validate_end_user(body->if_contains("end_user"));
  if (!end_user) return fail(end_user.error());
  auto base_url = validate_base_url(ctx, body->if_contains("remote_base_url"));
  if (!base_url) return fail(base_url.error());
  auto auth_url = validate_base_url(ctx, body->if_contains("remote_auth_url"), "remote_auth_url");
  if (!auth_url) return fail(auth_url.error());
  auto sync = validate_sync(body->if_contains("sync"));
  if (!sync) return fail(sync.error());
  auto rate_limit = validate_rate_limit(*connector, body->if_contains("rate_limit"));
  if (!rate_limit) return fail(rate_limit.error());
  std::string scope_text;
  if (const auto* s = body->if_contains("scope")) scope_text = bj::serialize(*s);
  auto scope = processing::parse_scope(scope_text, *connector);
  if (!scope) return fail(scope.error());
  for (const auto& [k, v] : *body) {
    if (k != "tool" && k != "credentials" && k != "end_user" && k != "remote_base_url" &&
        k != "remote_auth_url" && k != "sync" && k != "scope" && k != "rate_limit") {
      return fail(ErrorKind::kInvalidArgument, "unknown field '" + std::string(k) + "'");
    }
  }
  Millis now = now_ms();
  store::IntegrationRow row;
  row.id = new_integration_id(tool);
  row.tool = tool;
  row.category = std::string(connectors::to_string(connector->category()));
  row.end_user = *end_user;
  row.credentials = ctx.secrets->seal(bj::serialize(*creds), SecretBox::credentials_of(row.id));
  row.remote_base_url = *base_url;
  row.remote_auth_url = *auth_url;
  row.rate_limit = *rate_limit;
  row.scope = scope->to_json();
  row.sync = *sync;
  row.created_at = now;
  row.updated_at = now;
  row.reconcile_due_at = now;
  // The first sync is queued with the integration (the read API answers SETUP_SYNC_PENDING until it has
  // succeeded); the schedule takes over after it.
  const SyncConfig sync_config = ctx.config != nullptr ? ctx.config->sync : SyncConfig{};
  const Millis interval = sync::interval_ms(row, *connector, sync_config);
  if (auto s = ctx.writer->run([&](store::Connection& c) -> Status {
        if (auto st = store::integrations::insert(c, row); !st) return st;
        if (auto st = store::syncs::set_next_sync_at(c, row.id, now + interval); !st) return st;
        auto queued = store::syncs::queue(c, row.id, store::kSyncFull, now);
        if (!queued) return queued.error();
        if (auto st = delivery::publish(c, delivery::integration_created(row, now), now); !st) return st;
        return store::notify(c, store::kSyncChannel);
      });
      !s) {
    return internal_error(s.error());
  }
  spdlog::info("integration {} created ({})", row.id, tool);
  // Subscribe before answering, so the answer already lists the subscriptions and their ingress URLs.
  if (ctx.reconcile_now) {
    if (auto s = ctx.reconcile_now(row.id); !s) spdlog::warn("integration {}: {}", row.id, s.error().message);
  }
  return respond_integration(ctx, row.id, 201);
}

// The patched row, and what follows from it, in one transaction.
Status write_patch(store::Connection& c, const store::IntegrationRow& row, bool credentials_changed,
                   Millis next_sync, Millis now) {
  if (auto st = store::integrations::update(c, row); !st) return st;
  // New credentials are worth trying: the integration is no longer INVALID (a sync tells otherwise).
  if (credentials_changed) {
    auto cleared = store::integrations::set_invalid(c, row.id, std::nullopt);
    if (!cleared) return cleared.error();
    if (*cleared && row.enabled) {
      if (auto st = delivery::publish_state_change(c, row.id, now); !st) return st;
    }
  }
  if (!row.enabled) return {};  // a disabled integration has no schedule until it is enabled
  auto current = store::syncs::next_sync_at(c, row.id);
  if (!current) return current.error();
  if (!*current || **current > next_sync) return store::syncs::set_next_sync_at(c, row.id, next_sync);
  return {};
}

http::Response patch_integration(ApiContext& ctx, const http::Request& req, const std::string& id) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto found = store::integrations::get(**lease, id);
  if (!found) return internal_error(found.error());
  if (!*found) return fail(ErrorKind::kNotFound, "integration " + id + " not found");
  store::IntegrationRow row = **found;
  const connectors::Connector* connector = ctx.registry->find(row.tool);
  if (connector == nullptr)
    return internal_error(Error{ErrorKind::kInternal, "no connector for " + row.tool});
  bool credentials_changed = false;
  for (const auto& [k, v] : *body) {
    if (k == "scope") {
      auto base = processing::parse_scope(row.scope, *connector);
      if (!base) return internal_error(base.error());
      auto merged = processing::merge_scope(*base, bj::serialize(v), *connector);
      if (!merged) return fail(merged.error());
      row.scope = merged->to_json();
    } else if (k == "credentials") {
      auto creds = validate_credentials(*connector, &v);
      if (!creds) return fail(creds.error());
      row.credentials = ctx.secrets->seal(bj::serialize(*creds), SecretBox::credentials_of(row.id));
      credentials_changed = true;
    } else if (k == "end_user") {
      auto end_user = validate_end_user(&v);
      if (!end_user) return fail(end_user.error());
      row.end_user = *end_user;
    } else if (k == "remote_base_url" || k == "remote_auth_url") {
      auto url = validate_base_url(ctx, &v, k);
      if (!url) return fail(url.error());
      auto& current = k == "remote_base_url" ? row.remote_base_url : row.remote_auth_url;
      // The stored credentials go wherever these URLs lead: only someone who holds them may move them.
      if (*url != current && !body->contains("credentials")) {
        return fail(ErrorKind::kInvalidArgument,
                    "changing " + std::string(k) +
                        " requires the integration's credentials in the same request (the stored ones would "
                        "be sent to the new host)");
      }
      current = *url;
    } else if (k == "rate_limit") {
      auto rate_limit = validate_rate_limit(*connector, &v);
      if (!rate_limit) return fail(rate_limit.error());
      row.rate_limit = *rate_limit;
    } else if (k == "sync") {
      auto sync = validate_sync(&v);
      if (!sync) return fail(sync.error());
      row.sync = *sync;
    } else {
      return fail(ErrorKind::kInvalidArgument, "field '" + std::string(k) + "' cannot be changed");
    }
  }
  Millis now = now_ms();
  row.updated_at = now;
  row.reconcile_due_at = now;
  // A shorter interval (or one the scope change makes shorter) applies from now, not after the old one.
  const SyncConfig sync_config = ctx.config != nullptr ? ctx.config->sync : SyncConfig{};
  const Millis next_sync = now + sync::interval_ms(row, *connector, sync_config);
  if (auto s = ctx.writer->run(
          [&](store::Connection& c) { return write_patch(c, row, credentials_changed, next_sync, now); });
      !s) {
    return internal_error(s.error());
  }
  if (ctx.reconcile_now) {
    if (auto s = ctx.reconcile_now(row.id); !s) spdlog::warn("integration {}: {}", row.id, s.error().message);
  }
  return respond_integration(ctx, id);
}

http::Response delete_integration(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto found = store::integrations::get(**lease, id);
  if (!found) return internal_error(found.error());
  if (!*found) return fail(ErrorKind::kNotFound, "integration " + id + " not found");
  Millis now = now_ms();
  store::IntegrationRow deleted = **found;
  deleted.deleted_at = now;
  // Marking it deleted wakes the reconcilers (they remove its remote subscriptions) and drops the ingress
  // caches.
  if (auto s = ctx.writer->run([&](store::Connection& c) -> Status {
        if (auto st = store::integrations::mark_deleted(c, id, now); !st) return st;
        return delivery::publish(c, delivery::integration_deleted(deleted, now), now);
      });
      !s) {
    return internal_error(s.error());
  }
  bj::object data;
  data["id"] = id;
  data["deleted"] = true;
  return ok(std::move(data));
}

// Kombo's setIntegrationEnabled: {"value": true|false}. Disabling stops the integration's syncs and removes
// its remote subscriptions (the reconciler does, as for a scope without webhooks); enabling restores both and
// syncs at once. Either change publishes integration-state-changed in its transaction.
http::Response set_enabled(ApiContext& ctx, const http::Request& req, const std::string& id) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  const bj::value* value = body->if_contains("value");
  if (value == nullptr || !value->is_bool() || body->size() != 1) {
    return fail(ErrorKind::kInvalidArgument, "expected {\"value\": true} or {\"value\": false}");
  }
  const bool enabled = value->get_bool();
  Millis now = now_ms();
  bool found = false;
  if (auto s = ctx.writer->run([&](store::Connection& c) -> Status {
        auto row = store::integrations::get(c, id);
        if (!row) return row.error();
        found = row->has_value();
        if (!found) return {};
        auto changed = store::integrations::set_enabled(c, id, enabled);
        if (!changed) return changed.error();
        if (!*changed) return {};
        if (auto st =
                store::syncs::set_next_sync_at(c, id, enabled ? std::optional<Millis>(now) : std::nullopt);
            !st) {
          return st;
        }
        if (auto st = delivery::publish_state_change(c, id, now); !st) return st;
        return store::notify(c, store::kSyncChannel);
      });
      !s) {
    return internal_error(s.error());
  }
  if (!found) return fail(ErrorKind::kNotFound, "integration " + id + " not found");
  spdlog::info("integration {} {}", id, enabled ? "enabled" : "disabled");
  if (ctx.reconcile_now) {
    if (auto s = ctx.reconcile_now(id); !s) spdlog::warn("integration {}: {}", id, s.error().message);
  }
  return ok(bj::object{});
}

http::Response patch_subscription(ApiContext& ctx, const http::Request& req, const std::string& id,
                                  const std::string& sid) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  const bj::value* secret_v = body->if_contains("secret");
  if (secret_v == nullptr || !secret_v->is_string() || secret_v->get_string().empty() ||
      secret_v->get_string().size() > 1024 || body->size() != 1) {
    return fail(ErrorKind::kInvalidArgument, "expected {\"secret\": \"<the secret the tool shows>\"}");
  }
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto sub = store::subscriptions::get(**lease, sid);
  if (!sub) return internal_error(sub.error());
  if (!*sub || (*sub)->integration_id != id) {
    return fail(ErrorKind::kNotFound, "subscription " + sid + " not found in integration " + id);
  }
  store::SubscriptionRow row = **sub;
  Millis now = now_ms();
  // Keep each old secret valid for a day so requests signed with it during the switch still verify, however
  // often the secret changes meanwhile.
  auto retired = ctx.secrets->retire("subscriptions", row.id, row.secret, row.previous_secret,
                                     row.previous_secret_until, now, kSecretOverlapMs);
  row.previous_secret = retired ? std::optional<std::string>(retired->sealed) : std::nullopt;
  row.previous_secret_until = retired ? std::optional<Millis>(retired->until) : std::nullopt;
  row.secret =
      ctx.secrets->seal(std::string(secret_v->get_string()), SecretBox::secret_of("subscriptions", row.id));
  row.updated_at = now;
  if (row.status == store::SubscriptionStatus::kFailed && row.mode == "manual")
    row.status = store::SubscriptionStatus::kPending;
  if (auto s = ctx.writer->run([&](store::Connection& c) { return store::subscriptions::update(c, row); });
      !s) {
    return internal_error(s.error());
  }
  return respond_integration(ctx, id);
}

http::Response coverage(ApiContext& ctx) {
  return ok(connectors::coverage_json(*ctx.registry));
}

}  // namespace

void add_integration_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync("POST", "/v1/integrations",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params&) {
                    return create_integration(ctx, r);
                  }));
  router.add_sync("GET", "/v1/integrations", authed(ctx, [&ctx](const http::Request&, const http::Params&) {
                    auto lease = ctx.pool->acquire();
                    if (!lease) return internal_error(lease.error());
                    auto rows = store::integrations::list(**lease);
                    if (!rows) return internal_error(rows.error());
                    bj::array out;
                    for (const auto& row : *rows) {
                      auto o = integration_json(ctx, **lease, row);
                      if (!o) return internal_error(o.error());
                      out.push_back(std::move(*o));
                    }
                    return list_page(std::move(out), std::nullopt);
                  }));
  router.add_sync("GET", "/v1/integrations/{id}",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return respond_integration(ctx, p.at("id"));
                  }));
  router.add_sync("PATCH", "/v1/integrations/{id}",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return patch_integration(ctx, r, p.at("id"));
                  }));
  router.add_sync("DELETE", "/v1/integrations/{id}",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return delete_integration(ctx, p.at("id"));
                  }));
  router.add_sync("PUT", "/v1/integrations/{id}/enabled",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return set_enabled(ctx, r, p.at("id"));
                  }));
  router.add_sync("PATCH", "/v1/integrations/{id}/subscriptions/{sid}",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return patch_subscription(ctx, r, p.at("id"), p.at("sid"));
                  }));
  router.add_sync("POST", "/v1/integrations/{id}/reconcile",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    const std::string& id = p.at("id");
                    if (!ctx.reconcile_now)
                      return fail(ErrorKind::kUnavailable, "the reconciler is not running");
                    if (auto s = ctx.reconcile_now(id); !s) {
                      if (s.error().kind == ErrorKind::kNotFound) return fail(s.error());
                      return internal_error(s.error());
                    }
                    return respond_integration(ctx, id);
                  }));
  router.add_sync("GET", "/v1/coverage",
                  authed(ctx, [&ctx](const http::Request&, const http::Params&) { return coverage(ctx); }));
}

}  // namespace tributary::api
