// The simulated SmartRecruiters' Webhook Subscriptions API and record reads; see smartrecruiters_sim.h.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <variant>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"
#include "sim/smartrecruiters/smartrecruiters_sim.h"

namespace tributary::sim::smartrecruiters {

namespace bj = boost::json;

namespace {

constexpr std::string_view kBase = "/webhooks-api/v201907";
constexpr std::chrono::milliseconds kHandshakeTimeout{20000};
constexpr std::size_t kMaxLiveKeys = 16;
constexpr Millis kKeyOverlapMs = 24LL * 3600 * 1000;
constexpr std::size_t kDefaultLimit = 10;
constexpr std::size_t kMaxLimit = 100;

constexpr std::string_view kEvents[] = {"job.created",
                                        "job.updated",
                                        "job.status.updated",
                                        "job.ad.created",
                                        "job.ad.updated",
                                        "job.ad.postings.updated",
                                        "candidate.created",
                                        "candidate.updated",
                                        "candidate.deleted",
                                        "application.created",
                                        "application.status.updated"};

http::Response sr_error(int status, std::string_view code, std::string_view message) {
  return json_reply(status,
                    bj::object{{"errors", bj::array{bj::object{{"code", code}, {"message", message}}}}});
}

http::Response no_content() {
  http::Response r;
  r.status = 204;
  return r;
}

std::string path(std::string_view rest) {
  return std::string(kBase) + std::string(rest);
}

http::Response unauthorized() {
  return sr_error(401, "UNAUTHORIZED", "Missing or invalid X-SmartToken");
}

http::Response forbidden() {
  return sr_error(403, "NO_PERMISSION_TO_MANAGE_WEBHOOKS", "The user has no permission to manage webhooks");
}

http::Response not_found() {
  return sr_error(404, "NOT_FOUND", "Subscription not found");
}

struct ListQuery {
  std::size_t limit = kDefaultLimit;
  std::uint64_t after = 0;
  Millis updated_after = -1;  // records updated after this, -1 for all
};

// A list call's limit, pageId and (where the resource has it) updatedAfter, or the 400 answer rejecting them.
std::variant<ListQuery, http::Response> parse_list_query(const http::Request& req, bool updated_filter) {
  ListQuery q;
  if (auto l = req.query_param("limit")) {
    auto n = parse_number<std::size_t>(*l);
    if (!n || *n < 1 || *n > kMaxLimit)
      return sr_error(400, "INVALID_LIMIT", "limit must be between 1 and 100");
    q.limit = *n;
  }
  // pageId is opaque to clients: "<seq>.<updatedAfter ms or -1>".
  if (auto page_id = req.query_param("pageId")) {
    auto raw = crypto::base64url_decode(*page_id);
    auto dot = raw ? raw->find('.') : std::string::npos;
    std::int64_t u = 0;
    if (dot == std::string::npos ||
        std::from_chars(raw->data(), raw->data() + dot, q.after).ec != std::errc{} ||
        std::from_chars(raw->data() + dot + 1, raw->data() + raw->size(), u).ec != std::errc{})
      return sr_error(400, "INVALID_PAGE_ID", "pageId is not valid");
    q.updated_after = u;
  } else if (auto since = req.query_param("updatedAfter"); since && updated_filter) {
    auto ms = parse_iso8601(*since);
    if (!ms) return sr_error(400, "INVALID_PARAMETER", "updatedAfter must be an ISO-8601 date-time");
    q.updated_after = *ms;
  }
  return q;
}

// A listing carries summaries, as the vendor's examples show (connectors/smartrecruiters/testdata/
// contract/list_jobs.json, list_candidates.json): the full record only through GET …/{id}.
bj::object list_summary(const bj::object& record, bool job) {
  static const std::set<std::string_view> kJobSummary = {
      "actions",  "createdOn",     "department", "id",     "language", "lastActivityOn",
      "location", "postingStatus", "refNumber",  "status", "title",    "updatedOn"};
  static const std::set<std::string_view> kCandidateSummary = {"actions",
                                                               "averageRating",
                                                               "consent",
                                                               "createdOn",
                                                               "email",
                                                               "firstName",
                                                               "id",
                                                               "internal",
                                                               "lastName",
                                                               "location",
                                                               "primaryAssignment",
                                                               "secondaryAssignments",
                                                               "tags",
                                                               "updatedOn"};
  const auto& summary = job ? kJobSummary : kCandidateSummary;
  bj::object entry;
  for (const auto& kv : record)
    if (summary.count(kv.key()) > 0) entry[kv.key()] = kv.value();
  return entry;
}

}  // namespace

bool SmartRecruitersSimulator::authorized(const http::Request& request) const {
  auto token = request.header("X-SmartToken");
  return token.has_value() && !token->empty();
}

SmartRecruitersSimulator::Subscription* SmartRecruitersSimulator::find_subscription(std::string_view id) {
  for (auto& s : subscriptions_)
    if (s.id == id) return &s;
  return nullptr;
}

bj::object SmartRecruitersSimulator::subscription_json(const Subscription& s) const {
  bj::object o{{"id", s.id},
               {"callbackUrl", s.callback_url},
               {"events", bj::array{bj::object{{"name", s.event}, {"version", kEventVersion}}}},
               {"status", s.status}};
  if (!s.alerting_email.is_null()) o["alertingEmailAddress"] = s.alerting_email;
  // The callback credentials are write-only: only their type is shown.
  if (s.callback_authentication.is_object())
    if (const auto* type = s.callback_authentication.get_object().if_contains("type"))
      o["callbackAuthentication"] = bj::object{{"type", *type}};
  return o;
}

void SmartRecruitersSimulator::add_subscription_routes() {
  router().add_sync("POST", path("/subscriptions"), [this](const http::Request& req, const http::Params&) {
    return create_subscription(req);
  });
  router().add_sync("GET", path("/subscriptions"), [this](const http::Request& req, const http::Params&) {
    return list_subscriptions(req);
  });
  router().add_sync("GET", path("/subscriptions/{id}"),
                    [this](const http::Request& req, const http::Params& params) {
                      return get_subscription(req, params.at("id"));
                    });
  router().add_sync("DELETE", path("/subscriptions/{id}"),
                    [this](const http::Request& req, const http::Params& params) {
                      return delete_subscription(req, params.at("id"));
                    });
  router().add("PUT", path("/subscriptions/{id}/activation"),
               [this](http::Request req, http::Params params, http::Responder respond) {
                 activate_subscription(req, params.at("id"), std::move(respond));
               });
  router().add_sync("POST", path("/subscriptions/{id}/secret-key"),
                    [this](const http::Request& req, const http::Params& params) {
                      return create_secret_key(req, params.at("id"));
                    });
  router().add_sync("GET", path("/subscriptions/{id}/secret-key"),
                    [this](const http::Request& req, const http::Params& params) {
                      return get_secret_key(req, params.at("id"));
                    });
}

http::Response SmartRecruitersSimulator::create_subscription(const http::Request& req) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  auto body = parse_object_body(req.body);
  if (!body.ok()) return sr_error(400, "BAD_REQUEST", body.error().message);
  const auto* url = body->if_contains("callbackUrl");
  if (url == nullptr || !url->is_string() || !has_http_scheme(url->get_string()) ||
      url->get_string().size() > 2048)
    return sr_error(422, "INVALID_CALLBACK_URL", "callbackUrl must be an absolute URL");
  const auto* events = body->if_contains("events");
  if (events == nullptr || !events->is_array() || events->get_array().size() != 1 ||
      !events->get_array()[0].is_string())
    return sr_error(422, "INVALID_EVENTS", "events must name exactly one event (one subscription per event)");
  std::string_view event = events->get_array()[0].get_string();
  if (std::find(std::begin(kEvents), std::end(kEvents), event) == std::end(kEvents))
    return sr_error(422, "INVALID_EVENTS", "unknown event " + std::string(event));
  Subscription s;
  s.id = new_uuid();
  s.callback_url = std::string(url->get_string());
  s.event = std::string(event);
  if (const auto* e = body->if_contains("alertingEmailAddress"); e != nullptr && e->is_string())
    s.alerting_email = *e;
  if (const auto* a = body->if_contains("callbackAuthentication"); a != nullptr && a->is_object())
    s.callback_authentication = *a;
  subscriptions_.push_back(s);
  spdlog::info("sim smartrecruiters: subscription {} ({}) created, inactive", s.id, s.event);
  return json_reply(201, subscription_json(s));
}

http::Response SmartRecruitersSimulator::list_subscriptions(const http::Request& req) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  // A bare array, as the vendor's SDK model `Subscriptions` and the example
  // (connectors/smartrecruiters/testdata/contract/subscriptions_list_response.json) have it.
  bj::array out;
  for (const auto& s : subscriptions_)
    out.push_back(subscription_json(s));
  return json_reply(200, out);
}

http::Response SmartRecruitersSimulator::get_subscription(const http::Request& req, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  auto* s = find_subscription(id);
  return s == nullptr ? not_found() : json_reply(200, subscription_json(*s));
}

http::Response SmartRecruitersSimulator::delete_subscription(const http::Request& req, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const Subscription& s) { return s.id == id; });
  if (it == subscriptions_.end()) return not_found();
  subscriptions_.erase(it);
  return no_content();
}

// Activation: the X-Hook-Secret handshake against the callback URL, answered when it completes.
void SmartRecruitersSimulator::activate_subscription(const http::Request& req, std::string id,
                                                     http::Responder respond) {
  if (!authorized(req)) return respond(unauthorized());
  std::string hook_secret = crypto::hex_encode(crypto::random_bytes(16));
  note_secret("X-Hook-Secret", hook_secret);
  OutboundWebhook handshake;
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted()) return respond(forbidden());
    auto* s = find_subscription(id);
    if (s == nullptr) return respond(not_found());
    if (s->status == "active")
      return respond(sr_error(409, "SUBSCRIPTION_ALREADY_ACTIVE", "The subscription is already active"));
    if (s->activating)
      return respond(sr_error(409, "ACTIVATION_IN_PROGRESS", "The subscription is being activated"));
    s->activating = true;
    handshake.url = s->callback_url;
  }
  handshake.event = "handshake";
  handshake.delivery_id = new_uuid();
  handshake.headers = {{"X-Hook-Secret", hook_secret}};
  sender().send_once(std::move(handshake), kHandshakeTimeout,
                     [this, id, hook_secret, respond](const http::ClientResponse& r) {
                       finish_activation(id, hook_secret, r, respond);
                     });
}

void SmartRecruitersSimulator::finish_activation(const std::string& id, const std::string& hook_secret,
                                                 const http::ClientResponse& r,
                                                 const http::Responder& respond) {
  auto echoed = r.header("X-Hook-Secret");
  bool ok = r.status == 200 && echoed.has_value() && crypto::constant_time_equal(*echoed, hook_secret);
  {
    MutexLock lock(mu_);
    auto* s = find_subscription(id);
    if (s == nullptr) return respond(not_found());
    s->activating = false;
    if (ok) s->status = "active";
  }
  spdlog::info("sim smartrecruiters: activation of {} {}", id, ok ? "succeeded" : "failed");
  if (ok) return respond(no_content());
  respond(
      sr_error(424, "HANDSHAKE_FAILED", "The callback did not answer 200 echoing X-Hook-Secret within 20 s"));
}

http::Response SmartRecruitersSimulator::create_secret_key(const http::Request& req, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  auto* s = find_subscription(id);
  if (s == nullptr) return not_found();
  Millis now = now_ms();
  if (live_keys(*s, now).size() >= kMaxLiveKeys)
    return sr_error(409, "TOO_MANY_SECRET_KEYS", "A subscription can have at most 16 live secret keys");
  // The previous keys stay valid for 24 h, so a receiver can roll over without losing deliveries.
  for (auto& k : s->keys)
    if (k.retires_at == 0) k.retires_at = now + kKeyOverlapMs;
  SecretKey key{crypto::random_token(32), now, 0};
  note_secret("subscription secretKey", key.key);
  s->keys.push_back(key);
  return json_reply(201, bj::object{{"secretKey", key.key}});
}

http::Response SmartRecruitersSimulator::get_secret_key(const http::Request& req, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  if (!webhooks_permitted()) return forbidden();
  auto* s = find_subscription(id);
  if (s == nullptr) return not_found();
  if (s->keys.empty()) return sr_error(404, "NOT_FOUND", "The subscription has no secret key");
  return json_reply(200, bj::object{{"secretKey", s->keys.back().key}});
}

void SmartRecruitersSimulator::add_record_routes() {
  auto add = [this](std::string route, std::string noun, const RecordStore& store, bool job) {
    router().add_sync("GET", route, [this, &store, job](const http::Request& req, const http::Params&) {
      return list_records(req, store, job);
    });
    router().add_sync("GET", route + "/{id}",
                      [this, &store, noun](const http::Request& req, const http::Params& params) {
                        return get_record(req, store, noun, params.at("id"));
                      });
  };
  add("/candidates", "Candidate", candidates_, false);
  add("/jobs", "Job", jobs_, true);
}

// Jobs take updatedAfter and list job summaries; candidates list candidate summaries.
http::Response SmartRecruitersSimulator::list_records(const http::Request& req, const RecordStore& store,
                                                      bool job) {
  if (!authorized(req)) return unauthorized();
  auto query = parse_list_query(req, job);
  if (const auto* rejected = std::get_if<http::Response>(&query)) return *rejected;
  const auto& q = std::get<ListQuery>(query);
  auto matches = [updated_after = q.updated_after](const StoredRecord& r) {
    return updated_after < 0 || r.updated_at > updated_after;
  };
  MutexLock lock(mu_);
  bool more = false;
  auto page = store.page(q.after, q.limit, matches, &more);
  std::size_t total = store.page(0, SIZE_MAX, matches, nullptr).size();
  bj::array content;
  for (const auto* r : page)
    content.push_back(list_summary(r->data, job));
  bj::object out{{"totalFound", total}, {"offset", 0}, {"limit", q.limit}, {"content", std::move(content)}};
  if (more)
    out["nextPageId"] = crypto::base64url_encode_nopad(std::to_string(page.back()->seq) + "." +
                                                       std::to_string(q.updated_after));
  return json_reply(200, out);
}

http::Response SmartRecruitersSimulator::get_record(const http::Request& req, const RecordStore& store,
                                                    const std::string& noun, std::string_view id) {
  if (!authorized(req)) return unauthorized();
  MutexLock lock(mu_);
  const auto* r = store.find(id);
  if (r == nullptr) return sr_error(404, "NOT_FOUND", noun + " not found");
  // As the vendor's examples of a full record have it (connectors/smartrecruiters/testdata/contract/
  // get_job.json, get_candidate.json): the job ad's id is the simulator's own bookkeeping (its postings
  // events name it), and a candidate's actions link no `details` (only a listing's summary does).
  bj::object out = r->data;
  out.erase("jobAdId");
  if (noun == "Candidate")
    if (auto* actions = out.if_contains("actions"); actions != nullptr && actions->is_object())
      actions->get_object().erase("details");
  return json_reply(200, out);
}

}  // namespace tributary::sim::smartrecruiters
