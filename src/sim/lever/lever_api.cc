// The simulated Lever's webhooks API and record reads; see lever_sim.h for the contract.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <variant>

#include "core/crypto.h"
#include "core/json.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"
#include "sim/lever/lever_sim.h"

namespace tributary::sim::lever {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxLimit = 100;

// The events a Lever webhook can be created for (one per webhook).
constexpr std::string_view kEvents[] = {"applicationCreated",     "candidateHired",   "candidateStageChange",
                                        "candidateArchiveChange", "candidateDeleted", "interviewCreated",
                                        "interviewUpdated",       "interviewDeleted", "contactCreated",
                                        "contactUpdated",         "contactDeleted"};

http::Response lever_error(int status, std::string_view code, std::string_view message) {
  return json_reply(status, bj::object{{"code", code}, {"message", message}});
}

http::Response no_content() {
  http::Response r;
  r.status = 204;
  return r;
}

// The opaque `offset` token: the creation sequence of the last record returned plus the filters, so a page
// never depends on the caller repeating them.
struct Offset {
  std::uint64_t after = 0;
  Millis updated_from = -1;
  Millis created_from = -1;
  std::string state;
};

std::string encode_offset(const Offset& o) {
  return crypto::base64url_encode_nopad(json::serialize(
      bj::object{{"a", o.after}, {"u", o.updated_from}, {"c", o.created_from}, {"s", o.state}}));
}

std::optional<Offset> decode_offset(std::string_view text) {
  auto raw = crypto::base64url_decode(text);
  if (!raw) return std::nullopt;
  auto parsed = json::parse(*raw);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const auto& o = parsed->get_object();
  const auto* a = o.if_contains("a");
  const auto* u = o.if_contains("u");
  const auto* c = o.if_contains("c");
  const auto* s = o.if_contains("s");
  if (a == nullptr || u == nullptr || c == nullptr || s == nullptr || !u->is_int64() || !c->is_int64() ||
      !s->is_string())
    return std::nullopt;
  Offset out;
  if (a->is_uint64())
    out.after = a->get_uint64();
  else if (a->is_int64() && a->get_int64() >= 0)
    out.after = static_cast<std::uint64_t>(a->get_int64());
  else
    return std::nullopt;
  out.updated_from = u->get_int64();
  out.created_from = c->get_int64();
  out.state = std::string(s->get_string());
  return out;
}

http::Response unauthorized() {
  return lever_error(401, "UnauthorizedError", "Basic authentication with an API key is required");
}

http::Response forbidden(std::string_view scope) {
  return lever_error(403, "ForbiddenError",
                     "The API key does not have the required scope " + std::string(scope));
}

struct ListQuery {
  std::size_t limit = kMaxLimit;
  Offset offset;
};

// A list call's limit and either its offset token or its filters, or the 400 answer rejecting them.
std::variant<ListQuery, http::Response> parse_list_query(const http::Request& req) {
  ListQuery q;
  if (auto l = req.query_param("limit")) {
    auto n = parse_number<std::int64_t>(*l);
    if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxLimit))
      return lever_error(400, "BadRequestError", "limit must be between 1 and 100");
    q.limit = static_cast<std::size_t>(*n);
  }
  Offset& o = q.offset;
  if (auto offset = req.query_param("offset")) {
    auto decoded = decode_offset(*offset);
    if (!decoded) return lever_error(400, "BadRequestError", "Invalid offset token");
    o = *decoded;
    return q;
  }
  for (auto [key, target] :
       {std::pair{"updated_at_start", &o.updated_from}, std::pair{"created_at_start", &o.created_from}}) {
    if (auto v = req.query_param(key)) {
      auto n = parse_number<std::int64_t>(*v);
      if (!n || *n < 0)
        return lever_error(400, "BadRequestError", std::string(key) + " must be a timestamp in ms");
      *target = *n;
    }
  }
  if (auto s = req.query_param("state")) o.state = *s;
  return q;
}

// Whether a record passes the filters the offset carries.
bool matches(const Offset& o, const StoredRecord& r) {
  if (o.updated_from >= 0 && r.updated_at < o.updated_from) return false;
  if (o.created_from >= 0 && r.created_at < o.created_from) return false;
  if (!o.state.empty()) {
    const auto* s = r.data.if_contains("state");
    if (s == nullptr || !s->is_string() || s->get_string() != o.state) return false;
  }
  return true;
}

}  // namespace

bool LeverSimulator::authorized(const http::Request& request) const {
  return has_basic_credentials(request, false);
}

void LeverSimulator::add_api_routes() {
  add_webhook_routes();
  add_record_routes();
}

void LeverSimulator::add_webhook_routes() {
  router().add_sync("POST", "/v1/webhooks",
                    [this](const http::Request& req, const http::Params&) { return create_webhook(req); });
  router().add_sync("GET", "/v1/webhooks",
                    [this](const http::Request& req, const http::Params&) { return list_webhooks(req); });
  router().add_sync("DELETE", "/v1/webhooks/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      return delete_webhook(req, params.at("id"));
                    });
}

void LeverSimulator::add_record_routes() {
  auto add_records = [this](std::string path, std::string noun, const RecordStore& store) {
    router().add_sync("GET", path, [this, &store](const http::Request& req, const http::Params&) {
      return list_records(req, store);
    });
    router().add_sync("GET", path + "/{id}",
                      [this, &store, noun](const http::Request& req, const http::Params& params) {
                        return get_record(req, store, noun, params.at("id"));
                      });
  };
  add_records("/v1/opportunities", "Opportunity", opportunities_);
  add_records("/v1/postings", "Posting", postings_);
}

http::Response LeverSimulator::create_webhook(const http::Request& req) {
  if (!authorized(req)) return unauthorized();
  auto body = parse_object_body(req.body);
  if (!body.ok()) return lever_error(400, "BadRequestError", body.error().message);
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden("webhooks:write:admin");
  const auto* url = body->if_contains("url");
  const auto* event = body->if_contains("event");
  if (url == nullptr || !url->is_string() || !has_http_scheme(url->get_string()) ||
      url->get_string().size() > 2048)
    return lever_error(400, "BadRequestError", "url must be an absolute https URL");
  if (event == nullptr || !event->is_string() ||
      std::find(std::begin(kEvents), std::end(kEvents), std::string_view(event->get_string())) ==
          std::end(kEvents))
    return lever_error(400, "BadRequestError", "event must be one of Lever's webhook events");
  Webhook w;
  w.id = new_uuid();
  w.event = std::string(event->get_string());
  w.url = std::string(url->get_string());
  w.signature_token = crypto::hex_encode(crypto::random_bytes(24));
  note_secret("webhook signatureToken", w.signature_token);
  w.conditions = nullptr;
  if (const auto* cfg = body->if_contains("configuration")) {
    if (!cfg->is_object() && !cfg->is_null())
      return lever_error(400, "BadRequestError", "configuration must be an object");
    if (cfg->is_object())
      if (const auto* cond = cfg->get_object().if_contains("conditions")) w.conditions = *cond;
  }
  w.created_at = now_ms();
  webhooks_.push_back(w);
  spdlog::info("sim lever: webhook {} ({}) created", w.id, w.event);
  return json_reply(201, bj::object{{"data", webhook_json(w, true)}});
}

http::Response LeverSimulator::list_webhooks(const http::Request& req) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden("webhooks:read:admin");
  bj::array data;
  for (const auto& w : webhooks_)
    data.push_back(webhook_json(w, true));
  return json_reply(200, bj::object{{"data", std::move(data)}, {"hasNext", false}});
}

http::Response LeverSimulator::delete_webhook(const http::Request& req, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden("webhooks:write:admin");
  auto it = std::find_if(webhooks_.begin(), webhooks_.end(), [&](const Webhook& w) { return w.id == id; });
  if (it == webhooks_.end()) return lever_error(404, "ResourceNotFound", "Webhook not found");
  webhooks_.erase(it);
  return no_content();
}

http::Response LeverSimulator::list_records(const http::Request& req, const RecordStore& store) {
  if (!authorized(req)) return unauthorized();
  auto query = parse_list_query(req);
  if (const auto* rejected = std::get_if<http::Response>(&query)) return *rejected;
  const auto& q = std::get<ListQuery>(query);
  const Offset& o = q.offset;
  MutexLock lock(mu_);
  bool more = false;
  auto page = store.page(
      o.after, q.limit, [&o](const StoredRecord& r) { return matches(o, r); }, &more);
  bj::array data;
  for (const auto* r : page)
    data.push_back(r->data);
  bj::object out{{"data", std::move(data)}, {"hasNext", more}};
  if (more) {
    Offset next = o;
    next.after = page.back()->seq;
    out["next"] = encode_offset(next);
  }
  return json_reply(200, out);
}

http::Response LeverSimulator::get_record(const http::Request& req, const RecordStore& store,
                                          const std::string& noun, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  const auto* r = store.find(id);
  if (r == nullptr) return lever_error(404, "ResourceNotFound", noun + " not found");
  return json_reply(200, bj::object{{"data", r->data}});
}

}  // namespace tributary::sim::lever
