// /v1/webhook-endpoints: the operator's receivers. The secret is returned on create and rotate (and on the
// explicit reveal call); rotation keeps each previous secret signing for 24 h after it was replaced.
#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

#include "api/api.h"
#include "api/respond.h"
#include "core/clock.h"
#include "core/ids.h"
#include "delivery/events.h"
#include "delivery/signing.h"
#include "store/outbox_repo.h"

namespace tributary::api {
namespace {

constexpr Millis kRotationOverlapMs = 24 * 3600 * 1000;

Result<std::string> validate_url(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return make_error(ErrorKind::kInvalidArgument, "url is required");
  std::string url(v->get_string());
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") || parsed->host().empty()) {
    return make_error(ErrorKind::kInvalidArgument, "url must be an absolute http(s) URL");
  }
  if (parsed->has_userinfo())
    return make_error(ErrorKind::kInvalidArgument, "url must not contain credentials");
  if (url.size() > 2048) return make_error(ErrorKind::kInvalidArgument, "url is longer than 2048 characters");
  return url;
}

Result<std::vector<std::string>> validate_types(const bj::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) return make_error(ErrorKind::kInvalidArgument, "event_types must be an array");
  for (const auto& el : v->get_array()) {
    if (!el.is_string() || !delivery::parse_event_type(el.get_string())) {
      std::string known;
      for (const auto t : delivery::kAllEventTypes)
        known += (known.empty() ? "" : ", ") + std::string(delivery::to_string(t));
      return make_error(ErrorKind::kInvalidArgument, "event_types: expected some of " + known);
    }
    out.emplace_back(el.get_string());
  }
  return out;
}

bj::object endpoint_json(const store::EndpointRow& row) {
  bj::object o;
  o["id"] = row.id;
  o["url"] = row.url;
  o["description"] = row.description;
  bj::array types;
  for (const auto& t : row.event_types)
    types.emplace_back(t);
  o["event_types"] = std::move(types);
  o["enabled"] = row.enabled;
  o["disabled_reason"] = row.disabled_reason ? bj::value(*row.disabled_reason) : bj::value(nullptr);
  o["disabled_at"] = time_or_null(row.disabled_at);
  o["failing_since"] = time_or_null(row.failing_since);
  // After an automatic disabling: the events it left undelivered, to recover (until: its re-enabling).
  o["missed"] = row.missed_since ? bj::value(bj::object{{"since", format_iso8601(*row.missed_since)},
                                                        {"until", time_or_null(row.missed_until)}})
                                 : bj::value(nullptr);
  o["created_at"] = format_iso8601(row.created_at);
  o["updated_at"] = format_iso8601(row.updated_at);
  return o;
}

// The recover request that sends what an automatic disabling left undelivered, offered when the endpoint is
// enabled again.
bj::object recovery_offer(const store::EndpointRow& row) {
  return bj::object{{"since", format_iso8601(*row.missed_since)},
                    {"until", format_iso8601(row.missed_until.value_or(now_ms()) + 1)},
                    {"include_undelivered", true}};
}

Result<store::EndpointRow> load(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return lease.error();
  auto row = store::endpoints::get(**lease, id);
  if (!row) return row.error();
  if (!*row) return make_error(ErrorKind::kNotFound, "webhook endpoint " + id + " not found");
  return **row;
}

http::Response fail_or_internal(const Error& e) {
  return e.kind == ErrorKind::kNotFound ? fail(e) : internal_error(e);
}

http::Response create(ApiContext& ctx, const http::Request& req) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  auto url = validate_url(body->if_contains("url"));
  if (!url) return fail(url.error());
  auto types = validate_types(body->if_contains("event_types"));
  if (!types) return fail(types.error());
  store::EndpointRow row;
  row.id = new_id("ep");
  row.url = *url;
  row.event_types = *types;
  if (const auto* e = body->if_contains("enabled")) {
    if (!e->is_bool()) return fail(ErrorKind::kInvalidArgument, "enabled must be a boolean");
    row.enabled = e->get_bool();
  }
  if (const auto* d = body->if_contains("description")) {
    if (!d->is_string()) return fail(ErrorKind::kInvalidArgument, "description must be a string");
    row.description = std::string(d->get_string());
  }
  std::string secret = delivery::new_endpoint_secret();
  row.secret = ctx.secrets->seal(secret, SecretBox::secret_of("endpoints", row.id));
  row.created_at = row.updated_at = now_ms();
  if (auto s = ctx.writer->run([&](store::Connection& c) { return store::endpoints::insert(c, row); }); !s) {
    return internal_error(s.error());
  }
  auto out = endpoint_json(row);
  out["secret"] = secret;  // shown once here; later through rotate-secret or the explicit secret call
  return ok(std::move(out), 201);
}

http::Response patch(ApiContext& ctx, const http::Request& req, const std::string& id) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  auto row = load(ctx, id);
  if (!row) return fail_or_internal(row.error());
  const Millis now = now_ms();
  bool enabling = false;
  bool offer_recovery = false;
  for (const auto& [k, v] : *body) {
    if (k == "url") {
      auto url = validate_url(&v);
      if (!url) return fail(url.error());
      row->url = *url;
    } else if (k == "event_types") {
      auto types = validate_types(&v);
      if (!types) return fail(types.error());
      row->event_types = *types;
    } else if (k == "enabled") {
      if (!v.is_bool()) return fail(ErrorKind::kInvalidArgument, "enabled must be a boolean");
      enabling = v.get_bool() && !row->enabled;
      if (v.get_bool() != row->enabled) row->disabled_at = v.get_bool() ? std::nullopt : std::optional(now);
      row->enabled = v.get_bool();
      if (row->enabled) row->disabled_reason.reset();
      // Re-enabled after an automatic disabling: what it missed ends now, and its recovery is offered.
      offer_recovery = enabling && row->missed_since && !row->missed_until;
      if (offer_recovery) row->missed_until = now;
    } else if (k == "description") {
      if (!v.is_string()) return fail(ErrorKind::kInvalidArgument, "description must be a string");
      row->description = std::string(v.get_string());
    } else {
      return fail(ErrorKind::kInvalidArgument, "field '" + std::string(k) + "' cannot be changed");
    }
  }
  row->updated_at = now;
  // A re-enabled endpoint's waiting deliveries are due: the dispatchers are woken. Its failures before are
  // not held against it (the health check would disable it again at once).
  if (auto s = ctx.writer->run([&](store::Connection& c) -> Status {
        if (auto st = store::endpoints::update(c, *row); !st) return st;
        if (enabling)
          if (auto st = store::endpoints::clear_failing(c, row->id); !st) return st;
        return store::notify(c, store::kOutboxChannel);
      });
      !s) {
    return internal_error(s.error());
  }
  if (enabling) row->failing_since.reset();
  auto out = endpoint_json(*row);
  if (offer_recovery) out["recovery"] = recovery_offer(*row);
  return ok(std::move(out));
}

http::Response rotate(ApiContext& ctx, const std::string& id) {
  auto row = load(ctx, id);
  if (!row) return fail_or_internal(row.error());
  Millis now = now_ms();
  std::string secret = delivery::new_endpoint_secret();
  // Every secret retired less than the overlap ago keeps signing, however often the secret is rotated.
  auto retired = ctx.secrets->retire("endpoints", row->id, row->secret, row->previous_secret,
                                     row->previous_secret_until, now, kRotationOverlapMs);
  row->previous_secret = retired ? std::optional<std::string>(retired->sealed) : std::nullopt;
  row->previous_secret_until = retired ? std::optional<Millis>(retired->until) : std::nullopt;
  row->secret = ctx.secrets->seal(secret, SecretBox::secret_of("endpoints", row->id));
  row->updated_at = now;
  if (auto s = ctx.writer->run([&](store::Connection& c) { return store::endpoints::update(c, *row); }); !s) {
    return internal_error(s.error());
  }
  auto out = endpoint_json(*row);
  out["secret"] = secret;
  out["previous_secret_valid_until"] = format_iso8601(now + kRotationOverlapMs);
  return ok(std::move(out));
}

http::Response recover(ApiContext& ctx, const http::Request& req, const std::string& id) {
  auto body = body_object(req);
  if (!body) return fail(body.error());
  auto row = load(ctx, id);
  if (!row) return fail_or_internal(row.error());
  auto time_field = [&](const char* name, Millis fallback) -> Result<Millis> {
    const auto* v = body->if_contains(name);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_string())
      return make_error(ErrorKind::kInvalidArgument, std::string(name) + " must be an ISO-8601 string");
    auto t = parse_iso8601(v->get_string());
    if (!t)
      return make_error(ErrorKind::kInvalidArgument, std::string(name) + " must be an ISO-8601 date-time");
    return *t;
  };
  auto since = time_field("since", 0);
  if (!since) return fail(since.error());
  auto until = time_field("until", now_ms() + 1);
  if (!until) return fail(until.error());
  if (*since >= *until) return fail(ErrorKind::kInvalidArgument, "since must be before until");
  bool include_undelivered = false;
  if (const auto* v = body->if_contains("include_undelivered"); v != nullptr && !v->is_null()) {
    if (!v->is_bool()) return fail(ErrorKind::kInvalidArgument, "include_undelivered must be a boolean");
    include_undelivered = v->get_bool();
  }
  std::int64_t count = 0;
  std::int64_t undelivered = 0;
  Millis now = now_ms();
  // Recovering all of the range an automatic disabling left undelivered settles it: nothing more to offer.
  const bool settles = include_undelivered && row->enabled && row->missed_since && row->missed_until &&
                       *since <= *row->missed_since && *until > *row->missed_until;
  auto s = ctx.writer->run([&](store::Connection& c) -> Status {
    auto n = store::deliveries::recover(c, id, *since, *until, now);
    if (!n) return n.error();
    count = *n;
    if (include_undelivered) {
      auto added = store::deliveries::insert_undelivered(c, id, row->event_types, *since, *until, now);
      if (!added) return added.error();
      undelivered = *added;
    }
    if (settles)
      if (auto st = store::endpoints::clear_missed(c, id); !st) return st;
    return store::notify(c, store::kOutboxChannel);
  });
  if (!s) return internal_error(s.error());
  bj::object out;
  out["endpoint_id"] = id;
  out["recovered"] = count + undelivered;
  out["undelivered"] = undelivered;
  if (!row->enabled)
    out["warning"] = "the endpoint is disabled: enable it for the recovered deliveries to be sent";
  return ok(std::move(out), 202);
}

}  // namespace

void add_endpoint_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync(
      "POST", "/v1/webhook-endpoints",
      authed(ctx, [&ctx](const http::Request& r, const http::Params&) { return create(ctx, r); }));
  router.add_sync("GET", "/v1/webhook-endpoints",
                  authed(ctx, [&ctx](const http::Request&, const http::Params&) {
                    auto lease = ctx.pool->acquire();
                    if (!lease) return internal_error(lease.error());
                    auto rows = store::endpoints::list(**lease);
                    if (!rows) return internal_error(rows.error());
                    bj::array out;
                    for (const auto& row : *rows)
                      out.push_back(endpoint_json(row));
                    return list_page(std::move(out), std::nullopt);
                  }));
  router.add_sync("GET", "/v1/webhook-endpoints/{id}",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    auto row = load(ctx, p.at("id"));
                    if (!row) return fail_or_internal(row.error());
                    return ok(endpoint_json(*row));
                  }));
  router.add_sync("PATCH", "/v1/webhook-endpoints/{id}",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return patch(ctx, r, p.at("id"));
                  }));
  router.add_sync(
      "DELETE", "/v1/webhook-endpoints/{id}",
      authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
        auto row = load(ctx, p.at("id"));
        if (!row) return fail_or_internal(row.error());
        auto s = ctx.writer->run([&](store::Connection& c) { return store::endpoints::remove(c, row->id); });
        if (!s) return internal_error(s.error());
        bj::object out;
        out["id"] = row->id;
        out["deleted"] = true;
        return ok(std::move(out));
      }));
  router.add_sync(
      "GET", "/v1/webhook-endpoints/{id}/secret",
      authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
        auto row = load(ctx, p.at("id"));
        if (!row) return fail_or_internal(row.error());
        auto secret = ctx.secrets->open(row->secret, SecretBox::secret_of("endpoints", row->id));
        if (!secret) {
          // Never an empty string that looks like a secret.
          spdlog::error("api: endpoint {}: its secret cannot be opened with this node's master key", row->id);
          return fail(ErrorKind::kInternal,
                      "the endpoint's secret cannot be opened with this node's master key; rotate it");
        }
        bj::object out;
        out["secret"] = std::move(*secret);
        return ok(std::move(out));
      }));
  router.add_sync(
      "POST", "/v1/webhook-endpoints/{id}/rotate-secret",
      authed(ctx, [&ctx](const http::Request&, const http::Params& p) { return rotate(ctx, p.at("id")); }));
  router.add_sync("POST", "/v1/webhook-endpoints/{id}/recover",
                  authed(ctx, [&ctx](const http::Request& r, const http::Params& p) {
                    return recover(ctx, r, p.at("id"));
                  }));
}

}  // namespace tributary::api
