// The simulated Ashby's RPC routes: the webhooks API and the record reads; see ashby_sim.h for the contract.
#include <spdlog/spdlog.h>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/ashby/ashby_sim.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"

namespace tributary::sim::ashby {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxLimit = 100;
constexpr std::chrono::milliseconds kPingTimeout{10000};

// The webhook types webhook.create accepts (vendors.md: jobCreate/jobUpdate are payloads only).
constexpr std::string_view kWebhookTypes[] = {"applicationSubmit",
                                              "applicationUpdate",
                                              "candidateHire",
                                              "candidateStageChange",
                                              "candidateDelete",
                                              "candidateMerge",
                                              "interviewPlanTransition",
                                              "interviewScheduleCreate",
                                              "interviewScheduleUpdate",
                                              "jobPostingUpdate",
                                              "jobPostingPublish",
                                              "jobPostingUnpublish",
                                              "offerCreate",
                                              "offerUpdate",
                                              "offerDelete",
                                              "pushToHRIS",
                                              "surveySubmit"};

// Ashby answers errors with HTTP 200 and success false (its "Responses & Errors" page).
http::Response ashby_error(std::string_view code, std::string_view message, int status = 200) {
  bj::object body{{"success", false},
                  {"errors", bj::array{bj::value(code)}},
                  {"errorInfo", bj::object{{"code", code}, {"message", message}, {"requestId", new_uuid()}}}};
  return json_reply(status, body);
}

http::Response ashby_ok(bj::value results) {
  return json_reply(200, bj::object{{"success", true}, {"results", std::move(results)}});
}

// An empty body is an empty parameter object; anything but a JSON object is rejected.
Result<bj::object> params_of(const http::Request& req) {
  if (req.body.empty()) return bj::object{};
  return parse_object_body(req.body);
}

struct Cursor {
  std::uint64_t after = 0;
  Millis since = -1;  // records updated at or after this (a sync), -1 for all
  Millis started = 0;
};

std::string encode_cursor(const Cursor& c) {
  return crypto::base64url_encode_nopad(
      json::serialize(bj::object{{"a", c.after}, {"s", c.since}, {"t", c.started}}));
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  auto raw = crypto::base64url_decode(text);
  if (!raw) return std::nullopt;
  auto parsed = json::parse(*raw);
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  const auto& o = parsed->get_object();
  const auto* a = o.if_contains("a");
  const auto* s = o.if_contains("s");
  const auto* t = o.if_contains("t");
  if (a == nullptr || s == nullptr || t == nullptr || !s->is_int64() || !t->is_int64()) return std::nullopt;
  Cursor c;
  if (a->is_uint64())
    c.after = a->get_uint64();
  else if (a->is_int64() && a->get_int64() >= 0)
    c.after = static_cast<std::uint64_t>(a->get_int64());
  else
    return std::nullopt;
  c.since = s->get_int64();
  c.started = t->get_int64();
  return c;
}

std::optional<std::string> string_param(const bj::object& params, std::string_view key) {
  const auto* v = params.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

// webhook.create's parameters.
struct WebhookRequest {
  std::string type;
  std::string url;
  std::string secret;
};

// The error message, when one is missing or malformed, is answered as "invalid_input".
Result<WebhookRequest> parse_webhook_request(const bj::object& params) {
  auto invalid = [](std::string message) {
    return make_error(ErrorKind::kInvalidArgument, std::move(message));
  };
  auto type = string_param(params, "webhookType");
  auto url = string_param(params, "requestUrl");
  const auto* secret_v = params.if_contains("secretToken");
  if (!type ||
      std::find(std::begin(kWebhookTypes), std::end(kWebhookTypes), *type) == std::end(kWebhookTypes))
    return invalid("webhookType is missing or not a webhook type");
  if (!url || !is_plain_http_url(*url)) return invalid("requestUrl must be an absolute URL");
  if (secret_v != nullptr && !secret_v->is_string() && !secret_v->is_null())
    return invalid("secretToken must be a string");
  return WebhookRequest{
      *type, *url,
      secret_v != nullptr && secret_v->is_string() ? std::string(secret_v->get_string()) : std::string{}};
}

// The ping webhook.create sends to a new webhook's URL, signed when the webhook has a secret.
OutboundWebhook ping_for(std::string_view webhook_id, const std::string& url, const std::string& secret) {
  std::string body = json::serialize(
      bj::object{{"action", "ping"},
                 {"webhookActionId", new_uuid()},
                 {"data", bj::object{{"webhookActionType", "ping"}, {"webhookId", webhook_id}}}});
  OutboundWebhook ping;
  ping.url = url;
  ping.event = "ping";
  ping.delivery_id = new_uuid();
  ping.headers = {{"Content-Type", "application/json"}};
  if (!secret.empty()) ping.headers.emplace_back("Ashby-Signature", signature_header(secret, body));
  ping.body = std::move(body);
  return ping;
}

http::Response unauthenticated() {
  return ashby_error("unauthenticated", "Basic authentication with an API key is required", 401);
}

// The page size a list call asks for; the error message is answered as "invalid_input".
Result<std::size_t> page_limit(const bj::object& params) {
  const auto* l = params.if_contains("limit");
  if (l == nullptr) return kMaxLimit;
  if (!l->is_int64() || l->get_int64() < 1)
    return make_error(ErrorKind::kInvalidArgument, "limit must be a positive integer");
  // Ashby documents 100 as the maximum page size; larger values get 100.
  return std::min<std::size_t>(static_cast<std::size_t>(l->get_int64()), kMaxLimit);
}

}  // namespace

bool AshbySimulator::authorized(const http::Request& request) const {
  return has_basic_credentials(request, false);
}

void AshbySimulator::add_api_routes() {
  add_webhook_routes();
  add_record_routes();
}

void AshbySimulator::add_webhook_routes() {
  router().add("POST", "/webhook.create", [this](http::Request req, http::Params, http::Responder respond) {
    create_webhook(req, std::move(respond));
  });
  router().add_sync("POST", "/webhook.delete",
                    [this](const http::Request& req, const http::Params&) { return delete_webhook(req); });
  router().add_sync("POST", "/webhook.info",
                    [this](const http::Request& req, const http::Params&) { return webhook_info(req); });
}

void AshbySimulator::add_record_routes() {
  // Paginated lists: candidate.list, application.list, job.list.
  auto add_list = [this](std::string method, const RecordStore& store) {
    router().add_sync("POST", "/" + method, [this, &store](const http::Request& req, const http::Params&) {
      return list_records(req, store);
    });
  };
  add_list("candidate.list", candidates_);
  add_list("application.list", applications_);
  add_list("job.list", jobs_);

  router().add_sync("POST", "/jobPosting.list",
                    [this](const http::Request& req, const http::Params&) { return list_job_postings(req); });

  auto add_info = [this](std::string method, std::string id_key, const RecordStore& store) {
    router().add_sync("POST", "/" + method,
                      [this, id_key, &store](const http::Request& req, const http::Params&) {
                        return record_info(req, id_key, store);
                      });
  };
  add_info("candidate.info", "id", candidates_);
  add_info("application.info", "applicationId", applications_);
  add_info("job.info", "id", jobs_);
  router().add_sync("POST", "/jobPosting.info",
                    [this](const http::Request& req, const http::Params&) { return job_posting_info(req); });
}

// jobPosting.info answers the full posting: the brief that jobPosting.list and the webhooks carry, with its
// compensation summary moved under `compensation` (Ashby's OpenAPI: jobPosting.info's results.compensation
// {compensationTierSummary, summaryComponents, compensationTiers, shouldDisplayCompensationOnJobBoard}; the
// brief, #/webhooks/jobPostingUpdate, has the two summary keys at the top).
http::Response AshbySimulator::job_posting_info(const http::Request& req) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  auto id = string_param(*params, "jobPostingId");
  if (!id) return ashby_error("invalid_input", "jobPostingId is required");
  MutexLock lock(mu_);
  const auto* r = postings_.find(*id);
  if (r == nullptr) return ashby_error("not_found", "no record with this jobPostingId");
  bj::object full = r->data;
  bj::object compensation{{"compensationTierSummary", nullptr},
                          {"summaryComponents", bj::array{}},
                          {"compensationTiers", bj::array{}},
                          {"shouldDisplayCompensationOnJobBoard", false}};
  for (std::string_view key : {"compensationTierSummary", "shouldDisplayCompensationOnJobBoard"})
    if (const auto* v = full.if_contains(key)) {
      compensation[key] = *v;
      full.erase(key);
    }
  full["compensation"] = std::move(compensation);
  return ashby_ok(std::move(full));
}

// webhook.create: answers after the ping, like Ashby's "send a ping on create".
void AshbySimulator::create_webhook(const http::Request& req, http::Responder respond) {
  if (!authorized(req)) return respond(unauthenticated());
  auto params = params_of(req);
  if (!params.ok()) return respond(ashby_error("invalid_input", params.error().message, 400));
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted())
      return respond(
          ashby_error("missing_endpoint_permission", "The API key is missing the apiKeysWrite permission"));
  }
  auto request = parse_webhook_request(*params);
  if (!request.ok()) return respond(ashby_error("invalid_input", request.error().message));
  Webhook w;
  w.id = new_uuid();
  w.type = std::move(request->type);
  w.url = std::move(request->url);
  w.secret = std::move(request->secret);
  sender().send_once(ping_for(w.id, w.url, w.secret), kPingTimeout,
                     [this, w, respond](const http::ClientResponse& r) mutable {
                       // "If it gets no answer or a status above 400, the webhook is created disabled."
                       w.enabled = r.status != 0 && r.status <= 400;
                       {
                         MutexLock lock(mu_);
                         webhooks_.push_back(w);
                       }
                       spdlog::info("sim ashby: webhook {} ({}) created, enabled {}", w.id, w.type,
                                    w.enabled);
                       respond(ashby_ok(webhook_json(w)));
                     });
}

http::Response AshbySimulator::delete_webhook(const http::Request& req) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  MutexLock lock(mu_);
  if (!webhooks_permitted())
    return ashby_error("missing_endpoint_permission", "The API key is missing the apiKeysWrite permission");
  auto id = string_param(*params, "webhookId");
  if (!id) return ashby_error("invalid_input", "webhookId is required");
  auto it = find_webhook(*id);
  if (it == webhooks_.end()) return ashby_error("not_found", "no webhook with this id");
  webhooks_.erase(it);
  return ashby_ok(bj::object{{"webhookId", *id}});
}

// webhook.info {webhookId} (permission apiKeysRead): the webhook as webhook.create answered it.
http::Response AshbySimulator::webhook_info(const http::Request& req) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  MutexLock lock(mu_);
  if (!webhooks_permitted())
    return ashby_error("missing_endpoint_permission", "The API key is missing the apiKeysRead permission");
  auto id = string_param(*params, "webhookId");
  if (!id) return ashby_error("invalid_input", "webhookId is required");
  auto it = find_webhook(*id);
  if (it == webhooks_.end()) return ashby_error("not_found", "no webhook with this id");
  // webhook.info answers without the secret token (Ashby's example, connectors/ashby/testdata/contract/
  // webhook_info_response.json: id, enabled, requestUrl, webhookType); only webhook.create echoes it.
  bj::object info = webhook_json(*it);
  info.erase("secretToken");
  return ashby_ok(std::move(info));
}

std::vector<AshbySimulator::Webhook>::iterator AshbySimulator::find_webhook(std::string_view id) {
  return std::find_if(webhooks_.begin(), webhooks_.end(), [&](const Webhook& w) { return w.id == id; });
}

bj::object AshbySimulator::webhook_json(const Webhook& w) {
  return bj::object{{"id", w.id},
                    {"enabled", w.enabled},
                    {"requestUrl", w.url},
                    {"secretToken", w.secret},
                    {"webhookType", w.type}};
}

http::Response AshbySimulator::list_records(const http::Request& req, const RecordStore& store) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  auto limit = page_limit(*params);
  if (!limit.ok()) return ashby_error("invalid_input", limit.error().message);
  MutexLock lock(mu_);
  Cursor c;
  c.started = now_ms();
  if (auto cursor = string_param(*params, "cursor")) {
    auto decoded = decode_cursor(*cursor);
    if (!decoded) return ashby_error("invalid_cursor", "the cursor is not valid");
    c = *decoded;
  } else if (auto token = string_param(*params, "syncToken")) {
    auto it = sync_tokens_.find(*token);
    if (it == sync_tokens_.end())
      return ashby_error("sync_token_expired", "the sync token expired; run a full sync");
    c.since = it->second;
  }
  bool more = false;
  Millis since = c.since;
  auto page = store.page(
      c.after, *limit, [since](const StoredRecord& r) { return since < 0 || r.updated_at >= since; }, &more);
  bj::array results;
  for (const auto* r : page)
    results.push_back(r->data);
  bj::object out{{"success", true}, {"results", std::move(results)}, {"moreDataAvailable", more}};
  if (more) {
    Cursor next = c;
    next.after = page.back()->seq;
    out["nextCursor"] = encode_cursor(next);
  } else {
    // The last page carries the token for the next incremental sync: changes since this sync started.
    std::string token = crypto::random_token(24);
    sync_tokens_[token] = c.started;
    out["syncToken"] = token;
  }
  return json_reply(200, out);
}

http::Response AshbySimulator::list_job_postings(const http::Request& req) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  bool listed_only = false;
  if (const auto* v = params->if_contains("listedOnly"); v != nullptr && v->is_bool())
    listed_only = v->get_bool();
  MutexLock lock(mu_);
  bj::array results;
  for (const auto* p : postings_.all())
    if (!listed_only || p->data.at("isListed").as_bool()) results.push_back(p->data);
  return json_reply(
      200, bj::object{{"success", true}, {"results", std::move(results)}, {"moreDataAvailable", false}});
}

http::Response AshbySimulator::record_info(const http::Request& req, const std::string& id_key,
                                           const RecordStore& store) {
  if (!authorized(req)) return unauthenticated();
  auto params = params_of(req);
  if (!params.ok()) return ashby_error("invalid_input", params.error().message, 400);
  auto id = string_param(*params, id_key);
  if (!id) return ashby_error("invalid_input", id_key + " is required");
  MutexLock lock(mu_);
  const auto* r = store.find(*id);
  if (r == nullptr) return ashby_error("not_found", "no record with this " + id_key);
  return ashby_ok(r->data);
}

}  // namespace tributary::sim::ashby
