// The logs API: every upstream request received (GET /v1/logs/upstream[/{id}]) and every downstream event
// with its deliveries and attempts (GET /v1/events[/{id}]), linked both ways; manual redelivery.
#include <spdlog/spdlog.h>

#include "api/api.h"
#include "api/respond.h"
#include "core/clock.h"
#include "store/inbox_repo.h"
#include "store/outbox_repo.h"

namespace tributary::api {
namespace {

bj::object inbox_json(const store::InboxRow& row, bool with_body) {
  bj::object o;
  o["id"] = row.id;
  o["received_at"] = format_iso8601(row.received_at);
  o["integration_id"] = row.integration_id ? bj::value(*row.integration_id) : bj::value(nullptr);
  o["subscription_id"] = row.subscription_id ? bj::value(*row.subscription_id) : bj::value(nullptr);
  o["tool"] = row.tool ? bj::value(*row.tool) : bj::value(nullptr);
  o["method"] = row.method;
  o["path"] = row.path;
  o["http_status"] = row.http_status;
  o["verification"] = row.verification ? bj::value(*row.verification) : bj::value(nullptr);
  o["outcome"] = store::to_string(row.outcome);
  o["reason"] = row.reason ? bj::value(*row.reason) : bj::value(nullptr);
  o["vendor_event"] = row.vendor_event ? bj::value(*row.vendor_event) : bj::value(nullptr);
  o["delivery_id"] = row.delivery_id ? bj::value(*row.delivery_id) : bj::value(nullptr);
  o["unified_events"] = json_or_null(row.unified_events);
  o["warnings"] = row.warnings ? json_or_null(row.warnings) : bj::value(bj::array{});
  o["event_ids"] = row.event_ids ? json_or_null(row.event_ids) : bj::value(bj::array{});
  o["processed_at"] = time_or_null(row.processed_at);
  o["body_size"] = row.body_size;
  if (row.failed_deliveries) o["failed_deliveries"] = *row.failed_deliveries;
  // Retention removed the body and headers of an old request: they are null, never an empty body that
  // looks as if the tool had sent nothing.
  o["pruned_at"] = time_or_null(row.pruned_at);
  if (with_body && row.pruned_at) {
    o["headers"] = nullptr;
    o["body"] = nullptr;
  } else if (with_body) {
    auto parsed = json_or_null(row.headers);
    o["headers"] = parsed.is_array() ? parsed : bj::value(bj::array{});
    o["body"] = row.body;
  }
  return o;
}

bj::object attempt_json(const store::AttemptRow& a) {
  bj::object o;
  o["attempted_at"] = format_iso8601(a.attempted_at);
  o["status_code"] = a.status_code ? bj::value(*a.status_code) : bj::value(nullptr);
  o["latency_ms"] = a.latency_ms;
  o["response_excerpt"] = a.response_excerpt;
  o["error"] = a.error ? bj::value(*a.error) : bj::value(nullptr);
  o["next_retry_at"] = time_or_null(a.next_retry_at);
  return o;
}

bj::object event_json(const store::EventRow& e) {
  bj::object o;
  o["id"] = e.id;
  o["type"] = e.type;
  o["integration_id"] = e.integration_id ? bj::value(*e.integration_id) : bj::value(nullptr);
  o["upstream_log_id"] = e.inbox_id ? bj::value(*e.inbox_id) : bj::value(nullptr);
  o["created_at"] = format_iso8601(e.created_at);
  o["payload"] = json_or_null(e.payload);
  return o;
}

Result<bj::array> deliveries_json(store::Connection& c, const std::string& event_id) {
  auto deliveries = store::deliveries::for_event(c, event_id);
  if (!deliveries) return deliveries.error();
  auto attempts = store::attempts::for_event(c, event_id);
  if (!attempts) return attempts.error();
  bj::array out;
  for (const auto& d : *deliveries) {
    bj::object o;
    o["endpoint_id"] = d.endpoint_id;
    o["status"] = store::to_string(d.status);
    o["attempts"] = d.attempts;
    o["retries"] = d.retries;
    o["next_attempt_at"] =
        d.status == store::DeliveryStatus::kPending ? time_or_null(d.next_attempt_at) : bj::value(nullptr);
    o["last_status"] = d.last_status ? bj::value(*d.last_status) : bj::value(nullptr);
    o["last_error"] = d.last_error ? bj::value(*d.last_error) : bj::value(nullptr);
    o["updated_at"] = format_iso8601(d.updated_at);
    bj::array list;
    for (const auto& a : *attempts)
      if (a.delivery_seq == d.seq) list.push_back(attempt_json(a));
    o["attempt_log"] = std::move(list);
    out.push_back(std::move(o));
  }
  return out;
}

// An event with its deliveries and their attempts, as every events answer shows it.
Result<bj::object> event_with_deliveries(store::Connection& c, const store::EventRow& e) {
  auto o = event_json(e);
  auto d = deliveries_json(c, e.id);
  if (!d) return d.error();
  o["deliveries"] = std::move(*d);
  return o;
}

http::Response list_upstream(ApiContext& ctx, const http::Request& req) {
  store::InboxFilter f;
  f.integration_id = req.query_param("integration_id");
  f.tool = req.query_param("tool");
  // "failed" is not an inbox outcome: it selects the requests with a downstream delivery that failed.
  if (auto outcome = req.query_param("outcome"); outcome && *outcome == "failed") {
    f.with_failed_deliveries = true;
  } else if (outcome) {
    f.outcome = store::parse_state<store::InboxOutcome>(*outcome);
    if (!f.outcome) {
      return fail(ErrorKind::kInvalidArgument,
                  "outcome must be one of " + store::allowed_states<store::InboxOutcome>() + ", failed");
    }
  }
  auto since = time_param(req, "since");
  if (!since) return fail(since.error());
  auto until = time_param(req, "until");
  if (!until) return fail(until.error());
  f.since = *since;
  f.until = *until;
  auto cursor = cursor_param(req);
  if (!cursor) return fail(cursor.error());
  f.before_seq = *cursor;
  f.limit = limit_param(req, 50, 250);
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto rows = store::inbox::list(**lease, f);
  if (!rows) return internal_error(rows.error());
  bj::array out;
  for (const auto& r : *rows)
    out.push_back(inbox_json(r, false));
  return list_page(std::move(out), next_cursor(rows->size(), f.limit, rows->empty() ? 0 : rows->back().seq));
}

http::Response get_upstream(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto row = store::inbox::get(**lease, id);
  if (!row) return internal_error(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "upstream log " + id + " not found");
  auto out = inbox_json(**row, true);
  auto events = store::events::for_inbox(**lease, id);
  if (!events) return internal_error(events.error());
  bj::array evs;
  for (const auto& e : *events) {
    auto o = event_with_deliveries(**lease, e);
    if (!o) return internal_error(o.error());
    evs.push_back(std::move(*o));
  }
  out["events"] = std::move(evs);
  return ok(std::move(out));
}

http::Response list_events(ApiContext& ctx, const http::Request& req) {
  store::EventFilter f;
  f.integration_id = req.query_param("integration_id");
  f.type = req.query_param("type");
  auto cursor = cursor_param(req);
  if (!cursor) return fail(cursor.error());
  f.before_seq = *cursor;
  f.limit = limit_param(req, 50, 250);
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto rows = store::events::list(**lease, f);
  if (!rows) return internal_error(rows.error());
  bj::array out;
  for (const auto& e : *rows) {
    auto o = event_with_deliveries(**lease, e);
    if (!o) return internal_error(o.error());
    out.push_back(std::move(*o));
  }
  return list_page(std::move(out), next_cursor(rows->size(), f.limit, rows->empty() ? 0 : rows->back().seq));
}

http::Response get_event(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto row = store::events::get(**lease, id);
  if (!row) return internal_error(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "event " + id + " not found");
  auto out = event_with_deliveries(**lease, **row);
  if (!out) return internal_error(out.error());
  return ok(std::move(*out));
}

http::Response redeliver(ApiContext& ctx, const std::string& id) {
  auto lease = ctx.pool->acquire();
  if (!lease) return internal_error(lease.error());
  auto row = store::events::get(**lease, id);
  if (!row) return internal_error(row.error());
  if (!*row) return fail(ErrorKind::kNotFound, "event " + id + " not found");
  auto endpoints = store::endpoints::list(**lease);
  if (!endpoints) return internal_error(endpoints.error());
  std::int64_t count = 0;
  Millis now = now_ms();
  auto s = ctx.writer->run([&](store::Connection& c) -> Status {
    // Endpoints subscribed now but without a delivery of this event (added later) get one too.
    if (auto added = store::deliveries::insert_for_subscribed(c, id, (*row)->type, *endpoints, now); !added)
      return added.error();
    auto n = store::deliveries::redeliver_event(c, id, now);
    if (!n) return n.error();
    count = *n;
    return store::notify(c, store::kOutboxChannel);
  });
  if (!s) return internal_error(s.error());
  bj::object out;
  out["event_id"] = id;
  out["deliveries_queued"] = count;
  return ok(std::move(out), 202);
}

}  // namespace

void add_log_routes(http::Router& router, ApiContext& ctx) {
  router.add_sync(
      "GET", "/v1/logs/upstream",
      authed(ctx, [&ctx](const http::Request& r, const http::Params&) { return list_upstream(ctx, r); }));
  router.add_sync("GET", "/v1/logs/upstream/{id}",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return get_upstream(ctx, p.at("id"));
                  }));
  router.add_sync("GET", "/v1/events", authed(ctx, [&ctx](const http::Request& r, const http::Params&) {
                    return list_events(ctx, r);
                  }));
  router.add_sync("GET", "/v1/events/{id}", authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return get_event(ctx, p.at("id"));
                  }));
  router.add_sync("POST", "/v1/events/{id}/redeliver",
                  authed(ctx, [&ctx](const http::Request&, const http::Params& p) {
                    return redeliver(ctx, p.at("id"));
                  }));
}

}  // namespace tributary::api
