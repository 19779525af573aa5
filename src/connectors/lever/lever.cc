#include "connectors/lever/lever.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "Lever";
// Bounds the pages read when looking a webhook up (Lever pages its listings).
constexpr int kMaxWebhookPages = 50;
constexpr std::string_view kPermissionMessage =
    "Lever refused to manage webhooks: in Lever, open Settings › Integrations and API › API credentials "
    "and give the API key used for this integration the webhook permissions (OAuth apps: the scopes "
    "webhooks:read:admin and webhooks:write:admin), then reconnect.";
// triggeredAt is when the event happened, and a retry repeats it: Lever publishes no retry schedule, so a
// retry hours later must still be accepted. Replays are stopped by the dedupe key instead, which is the
// signed pair token + triggeredAt (a captured delivery resent with other data has the same key and is a
// duplicate); the window only bounds how long that key must be remembered.
constexpr common::FreshnessWindow kFreshness{.max_age_ms = 72LL * 3600 * 1000, .max_ahead_ms = 5 * 60 * 1000};
constexpr std::size_t kMaxTokenLength = 512;
constexpr std::size_t kMaxDeliveryIdLength = 200;
constexpr int kPageSize = 100;

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Lever: " + std::move(reason));
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c <= 0x7e;
  });
}

// The decimal text of triggeredAt (an integer of milliseconds; a string of digits is tolerated), which is
// what the signature covers.
std::optional<std::string> triggered_at(const bj::object& body) {
  const bj::value* v = body.if_contains("triggeredAt");
  if (v == nullptr) return std::nullopt;
  std::string text;
  if (v->is_int64()) {
    text = std::to_string(v->get_int64());
  } else if (v->is_uint64()) {
    text = std::to_string(v->get_uint64());
  } else if (v->is_string()) {
    text = std::string(v->get_string());
  } else {
    return std::nullopt;
  }
  if (text.empty() || text.size() > 16 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return text;
}

Error api_error(std::string_view what, const http::ClientResponse& response,
                const std::vector<std::string_view>& secrets) {
  if (response.status == 401) return common::rejected_credential(kVendor, "API key", response, secrets);
  if (response.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
  return make_error(ErrorKind::kUpstream,
                    std::string(what) + " failed: " + common::describe_failure(kVendor, response, secrets));
}

const bj::object* object_at(const bj::object* o, std::string_view key) {
  if (o == nullptr) return nullptr;
  const auto* v = o->if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

bj::value string_at(const bj::object* o, std::string_view key) {
  return o == nullptr ? bj::value(nullptr) : common::string_or_null(o->if_contains(key));
}

// Lever's timestamps are milliseconds since the epoch; ISO strings are tolerated.
bj::value time_of(const bj::value* v) {
  if (v == nullptr) return nullptr;
  if (v->is_int64() && v->get_int64() > 0) return bj::value(format_iso8601(v->get_int64()));
  if (v->is_uint64()) return bj::value(format_iso8601(static_cast<Millis>(v->get_uint64())));
  return common::iso_or_null(v);
}

// Posting states (published, internal, closed, draft, pending, rejected) → Kombo's job status; the unified
// names themselves pass through.
bj::value job_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "published" || s == "internal" || s == "open") return "OPEN";
  if (s == "closed") return "CLOSED";
  if (s == "draft" || s == "pending") return "DRAFT";
  if (s == "archived" || s == "rejected") return "ARCHIVED";
  return nullptr;
}

// A published posting is public only when it is on the public job site: Lever's own example
// (testdata/contract/postings_list_response.json) has a published posting whose distributionChannels are
// ["internal"], and its reference says list requests for published postings return those with "public" only.
bj::value visibility(const bj::value* v, const bj::value* channels) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "internal") return "INTERNAL";
  if (s != "published") return nullptr;
  if (channels == nullptr || !channels->is_array()) return "PUBLIC";
  for (const auto& c : channels->get_array())
    if (c.is_string() && c.get_string() == "public") return "PUBLIC";
  return "INTERNAL";
}

bj::value employment_type(const bj::value& commitment) {
  if (!commitment.is_string()) return nullptr;
  std::string s = common::ascii_lower(commitment.get_string());
  std::replace(s.begin(), s.end(), '-', ' ');
  if (s.find("full time") != std::string::npos) return "FULL_TIME";
  if (s.find("part time") != std::string::npos) return "PART_TIME";
  if (s.find("intern") != std::string::npos) return "INTERNSHIP";
  if (s.find("contract") != std::string::npos || s.find("temporary") != std::string::npos) return "CONTRACT";
  if (s.find("seasonal") != std::string::npos) return "SEASONAL";
  return nullptr;
}

bj::value remote_work_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "remote") return "REMOTE";
  if (s == "hybrid") return "HYBRID";
  if (s == "onsite" || s == "on-site") return "ON_SITE";
  return nullptr;
}

bj::value salary_period(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "per-year-salary" || s == "year") return "YEAR";
  if (s == "per-month-salary" || s == "month") return "MONTH";
  if (s == "per-week-salary" || s == "week") return "WEEK";
  if (s == "per-day-salary" || s == "day") return "DAY";
  if (s == "per-hour-wage" || s == "hour") return "HOUR";
  return nullptr;
}

bj::value confidential(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "confidential") return true;
  if (s == "non-confidential") return false;
  return nullptr;
}

// "Ada King Lovelace" → ("Ada", "King Lovelace"); Lever keeps one name field.
std::pair<bj::value, bj::value> split_name(const bj::value& name) {
  if (!name.is_string()) return {nullptr, nullptr};
  std::string_view n = common::trim(name.get_string());
  if (n.empty()) return {nullptr, nullptr};
  const auto space = n.find(' ');
  if (space == std::string_view::npos) return {bj::value(std::string(n)), nullptr};
  return {bj::value(std::string(n.substr(0, space))),
          bj::value(std::string(common::trim(n.substr(space + 1))))};
}

// An application: an id (the opportunity as Lever lists it) or an expanded object {id, posting, createdAt…}.
std::optional<bj::object> map_application(const ApiContext& ctx, const bj::value& a, const bj::object& opp) {
  bj::value id = a.is_object() ? string_at(&a.get_object(), "id") : common::string_or_null(&a);
  if (!id.is_string() || id.get_string().empty()) return std::nullopt;
  const bj::object* app = a.is_object() ? &a.get_object() : nullptr;
  bj::value job = nullptr;
  const bj::value posting = string_at(app, "posting");
  if (posting.is_string() && !posting.get_string().empty())
    job = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", posting.get_string())},
                     {"name", nullptr},
                     {"remote_id", posting}};
  const bj::object* archived = object_at(&opp, "archived");
  // Lever archives an opportunity when it ends either way; hiredAt tells a hire from a rejection.
  const bj::value* hired_at = archived != nullptr ? archived->if_contains("hiredAt") : nullptr;
  const bool hired = hired_at != nullptr && !hired_at->is_null();
  const bj::value outcome = archived == nullptr ? "PENDING" : hired ? "HIRED" : "DECLINED";
  bj::value stage = nullptr;
  if (bj::value s = common::string_or_null(opp.if_contains("stage")); s.is_string())
    stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", s.get_string())},
                       {"name", nullptr},
                       {"remote_id", s},
                       {"index", nullptr}};
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_applications", id.get_string())},
      {"remote_id", id},
      {"outcome", outcome},
      {"rejection_reason_name", nullptr},
      {"rejected_at",
       archived != nullptr && !hired ? time_of(archived->if_contains("archivedAt")) : bj::value(nullptr)},
      {"remote_url", nullptr},
      {"changed_at", nullptr},
      {"remote_created_at", time_of(app ? app->if_contains("createdAt") : nullptr)},
      {"remote_updated_at", nullptr},
      {"current_stage", std::move(stage)},
      {"job", std::move(job)},
  };
}

bj::object map_opportunity(const ApiContext& ctx, const bj::object& o, const std::string& remote_id) {
  auto [first, last] = split_name(common::string_or_null(o.if_contains("name")));
  if (const auto* f = o.if_contains("first_name"); f != nullptr && f->is_string()) first = *f;
  if (const auto* l = o.if_contains("last_name"); l != nullptr && l->is_string()) last = *l;
  bj::array emails;
  if (const auto* e = o.if_contains("emails"); e != nullptr && e->is_array())
    for (const auto& email : e->get_array())
      if (email.is_string() && !email.get_string().empty())
        emails.push_back(bj::object{{"email_address", email}, {"type", nullptr}});
  bj::array phones;
  if (const auto* p = o.if_contains("phones"); p != nullptr && p->is_array())
    for (const auto& phone : p->get_array()) {
      if (!phone.is_object()) continue;
      bj::value value = string_at(&phone.get_object(), "value");
      if (value.is_string() && !value.get_string().empty())
        phones.push_back(
            bj::object{{"phone_number", value}, {"type", string_at(&phone.get_object(), "type")}});
    }
  bj::array social;
  if (const auto* l = o.if_contains("links"); l != nullptr && l->is_array())
    for (const auto& link : l->get_array())
      if (link.is_string() && !link.get_string().empty())
        social.push_back(bj::object{{"link", link}, {"type", nullptr}, {"username", nullptr}});
  bj::array tags;
  if (const auto* t = o.if_contains("tags"); t != nullptr && t->is_array())
    for (const auto& tag : t->get_array())
      if (tag.is_string() && !tag.get_string().empty())
        tags.push_back(
            bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", tag.get_string())},
                       {"name", tag},
                       {"remote_id", nullptr}});
  bj::array applications;
  if (const auto* a = o.if_contains("applications"); a != nullptr && a->is_array())
    for (const auto& app : a->get_array())
      if (auto mapped = map_application(ctx, app, o)) applications.push_back(std::move(*mapped));
  bj::value source = nullptr;
  if (const auto* s = o.if_contains("sources");
      s != nullptr && s->is_array() && !s->get_array().empty() && s->get_array().front().is_string())
    source = s->get_array().front();
  bj::value location = nullptr;
  if (bj::value raw = common::string_or_null(o.if_contains("location"));
      raw.is_string() && !raw.get_string().empty())
    location = bj::object{{"raw", raw}};
  bj::value remote_url = nullptr;
  if (const bj::object* urls = object_at(&o, "urls"); urls != nullptr) remote_url = string_at(urls, "show");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", std::move(first)},
      {"last_name", std::move(last)},
      {"company", nullptr},
      {"title", common::string_or_null(o.if_contains("headline"))},
      {"confidential", confidential(o.if_contains("confidentiality"))},
      {"source", std::move(source)},
      {"phone_numbers", std::move(phones)},
      {"email_addresses", std::move(emails)},
      {"social_media", std::move(social)},
      {"location", std::move(location)},
      {"custom_fields", nullptr},
      {"remote_url", std::move(remote_url)},
      {"remote_created_at", time_of(o.if_contains("createdAt"))},
      {"remote_updated_at", time_of(o.if_contains("updatedAt"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(applications)},
      {"tags", std::move(tags)},
  };
}

bj::object map_posting(const ApiContext& ctx, const bj::object& p, const std::string& remote_id) {
  bj::value name = common::string_or_null(p.if_contains("text"));
  if (!name.is_string()) name = common::string_or_null(p.if_contains("name"));
  const bj::object* categories = object_at(&p, "categories");
  const bj::object* content = object_at(&p, "content");
  const bj::object* salary = object_at(&p, "salaryRange");
  const bj::object* urls = object_at(&p, "urls");
  bj::value location = nullptr;
  if (bj::value raw = string_at(categories, "location"); raw.is_string() && !raw.get_string().empty())
    location = bj::object{{"raw", raw}};
  const bj::value* state = p.if_contains("state");
  if (state == nullptr) state = p.if_contains("status");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", std::move(name)},
      {"job_code", common::string_or_null(p.if_contains("reqCode"))},
      {"description", string_at(content, "description")},
      {"confidential", confidential(p.if_contains("confidentiality"))},
      {"weekly_hours", nullptr},
      {"employment_type", employment_type(string_at(categories, "commitment"))},
      {"status", job_status(state)},
      {"visibility", visibility(state, p.if_contains("distributionChannels"))},
      {"category", string_at(categories, "team")},
      {"department", string_at(categories, "department")},
      {"post_url", string_at(urls, "show")},
      {"experience_level", string_at(categories, "level")},
      {"remote_work_status", remote_work_status(p.if_contains("workplaceType"))},
      {"salary_amount", nullptr},
      {"salary_amount_from", common::number_or_null(salary ? salary->if_contains("min") : nullptr)},
      {"salary_amount_to", common::number_or_null(salary ? salary->if_contains("max") : nullptr)},
      {"salary_currency", string_at(salary, "currency")},
      {"salary_period", salary_period(salary ? salary->if_contains("interval") : nullptr)},
      {"location", std::move(location)},
      {"custom_fields", nullptr},
      {"remote_url", nullptr},
      {"opened_at", nullptr},
      {"closed_at", nullptr},
      {"remote_created_at", time_of(p.if_contains("createdAt"))},
      {"remote_updated_at", time_of(p.if_contains("updatedAt"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", bj::array{}},
      {"hiring_team", bj::array{}},
  };
}

class LeverConnector final : public ListingConnector {
 public:
  explicit LeverConnector(const Clock& clock) : clock_(clock) {}

  std::string_view tool() const override { return "lever"; }
  std::string_view display_name() const override { return "Lever"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"applicationCreated"}, ""},
        {Model::kAtsCandidates, Action::kDeleted, {"candidateDeleted"}, ""},
    };
    return kFeeds;
  }

  // Every call, as the vendor's API is described (testdata/contract/endpoints.json; third-party evidence).

  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.lever.co";
    return {{"POST", h, "/v1/webhooks", {}, {"event", "url"}, "basic"},
            {"GET", h, "/v1/webhooks", {}, {}, "basic"},
            {"DELETE", h, "/v1/webhooks/{id}", {}, {}, "basic"},
            {"GET", h, "/v1/opportunities", {}, {}, "basic"},
            {"GET", h, "/v1/opportunities/{id}", {}, {}, "basic"},
            {"GET", h, "/v1/postings", {}, {}, "basic"},
            {"GET", h, "/v1/postings/{id}", {}, {}, "basic"}};
  }

  // The sources: testdata/contract/README.md.

  // Not in Lever's own pages we hold; hire.lever.co/developer/documentation as quoted by api-evangelist
  // (lever-rate-limits.yml): 10 requests per second steady, bursts of 20; 429 when exceeded.
  // Concurrency: not published (4).
  ApiLimits api_limits() const override { return {10, 1000, 4, {}}; }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorSchema,
            .verify = Evidence::kThirdParty,
            .events = Evidence::kInferred,
            .get = Evidence::kVendorExample,
            .list = Evidence::kVendorExample,
            .incremental = Evidence::kVendorSchema};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key"}; }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://api.lever.co";
  }

  // A Lever webhook listens to exactly one event.
  std::vector<std::vector<std::string>> plan_subscriptions(const std::set<Model>& enabled) const override {
    std::vector<std::vector<std::string>> plan;
    for (auto& event : vendor_events_for(*this, enabled))
      plan.push_back({std::move(event)});
    return plan;
  }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    const auto secrets = common::usable_secrets(keys);
    if (secrets.empty()) return common::rejected("no signature token is configured for this webhook yet");
    auto doc = json::parse(request.body);
    if (!doc || !doc->is_object()) return common::rejected("body is not a JSON object");
    const bj::object& body = doc->get_object();
    const bj::value* signature = body.if_contains("signature");
    if (signature == nullptr || !signature->is_string())
      return common::rejected("body has no \"signature\" string");
    const bj::value* token = body.if_contains("token");
    if (token == nullptr || !token->is_string() || token->get_string().empty() ||
        token->get_string().size() > kMaxTokenLength)
      return common::rejected("body has no usable \"token\" string");
    const auto at = triggered_at(body);
    if (!at) return common::rejected("body has no \"triggeredAt\" integer of milliseconds");
    const auto fresh = common::check_timestamp(clock_, "triggeredAt", *at,
                                               common::TimestampFormat::kUnixMilliseconds, kFreshness);
    if (!fresh) return common::rejected(fresh.error().message);
    auto provided = common::decode_hex_digest(common::trim(signature->get_string()), 32);
    if (!provided) return common::rejected("\"signature\" " + provided.error().message);

    const std::string message = std::string(token->get_string()) + *at;
    auto matched = common::match_secret(keys, *provided, [&](std::string_view secret) {
      return common::compute_hmac(common::DigestAlgorithm::kSha256, secret, message);
    });
    if (!matched)
      return common::rejected(
          "\"signature\" does not match token + triggeredAt signed with the webhook's token");
    return common::verified(
        "hmac-sha256 hex in body \"signature\" over token + triggeredAt (data not covered)", *matched);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto event = json::get_string(*doc, "event");
    if (!event || event->empty() || event->size() > 100 || !printable_ascii(*event))
      return invalid("body has no \"event\" string");

    ParsedEvent out;
    out.vendor_event = *event;
    // The signed pair identifies a delivery (a retry repeats both); an unsigned `id` or event name could be
    // changed by whoever replays a captured delivery, so neither is part of the key.
    auto token = json::get_string(*doc, "token");
    auto at = triggered_at(doc->get_object());
    if (token && at && token->size() <= kMaxTokenLength && printable_ascii(*token) &&
        token->size() + at->size() + 1 <= kMaxDeliveryIdLength)
      out.delivery_id = *token + ":" + *at;

    const bool created = *event == "applicationCreated";
    const bool deleted = *event == "candidateDeleted";
    if (!created && !deleted) return out;  // stage changes, interviews, contacts…: nothing promised
    const bj::value* data = json::find(*doc, "data");
    if (data == nullptr || !data->is_object()) return invalid("\"data\" is missing or not an object");
    // Candidates are opportunities; payloads from before the opportunities migration name it candidateId.
    auto opportunity = json::get_id(*data, "opportunityId");
    if (!opportunity || opportunity->empty()) opportunity = json::get_id(*data, "candidateId");
    if (!opportunity || opportunity->empty()) {
      // Lever's connection test posts the event with no record in it: answered as a test, never relayed.
      if (!data->get_object().contains("opportunityId") && !data->get_object().contains("candidateId")) {
        out.is_ping = true;
        return out;
      }
      return invalid("data.opportunityId is not an id");
    }
    out.events.push_back(
        {Model::kAtsCandidates, created ? Action::kCreated : Action::kDeleted, std::move(*opportunity)});
    return out;
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (request.event_types.size() != 1)
      return invalid("a Lever webhook carries exactly one event (got " +
                     std::to_string(request.event_types.size()) + ")");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    std::vector<std::string_view> secrets = {*key};

    http::ClientRequest req = authorized(ctx, "POST", common::join_url(ctx.base_url, "/v1/webhooks"), *key);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body =
        json::serialize(bj::object{{"event", request.event_types.front()}, {"url", request.ingress_url}});
    http::ClientResponse resp = ctx.send(std::move(req));
    if (resp.status < 200 || resp.status > 299) return api_error("creating the webhook", resp, secrets);
    auto parsed = json::parse(resp.body);
    std::optional<std::string> id;
    std::optional<std::string> token;
    if (parsed) {
      id = json::get_id(*parsed, "data.id");
      if (!id) id = json::get_id(*parsed, "id");
      for (std::string_view path : {"data.configuration.signatureToken", "data.signatureToken",
                                    "configuration.signatureToken", "signatureToken"}) {
        token = json::get_string(*parsed, path);
        if (token && !token->empty()) break;
      }
    }
    if (!id || id->empty())
      return make_error(ErrorKind::kUpstream, "Lever answered " + std::to_string(resp.status) +
                                                  " to creating the webhook but sent no id");
    if (!token || token->empty()) {
      // Without its token no delivery of this webhook could ever be verified: remove it rather than leave a
      // webhook whose deliveries would all be refused.
      auto removed = delete_subscription(ctx, *id);
      (void)removed;
      return make_error(
          ErrorKind::kUpstream,
          "Lever created the webhook but returned no signatureToken, so its deliveries cannot be "
          "verified; the webhook was deleted again");
    }
    return RemoteSubscription{std::move(*id), std::move(*token)};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return invalid("empty webhook id");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    http::ClientResponse resp = ctx.send(authorized(
        ctx, "DELETE",
        common::join_url(ctx.base_url, "/v1/webhooks/" + common::encode_path_segment(remote_id)), *key));
    if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
    return api_error("deleting the webhook", resp, {*key});
  }

  // GET /v1/webhooks lists the account's webhooks a page at a time ({data, hasNext, next}; `next` is the
  // offset of the following page); an id on no page was deleted in Lever.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return false;
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    std::string offset;
    for (int page = 0; page < kMaxWebhookPages; ++page) {
      std::string url = common::join_url(ctx.base_url, "/v1/webhooks");
      if (!offset.empty()) url += "?offset=" + common::encode_path_segment(offset);
      http::ClientResponse resp = common::get_with_retry(ctx, authorized(ctx, "GET", std::move(url), *key));
      if (resp.status < 200 || resp.status > 299) return api_error("listing the webhooks", resp, {*key});
      auto body = json::parse(resp.body);
      const bj::value* data = body ? json::find(*body, "data") : nullptr;
      if (data == nullptr || !data->is_array())
        return make_error(ErrorKind::kUpstream, "Lever's webhook listing has no \"data\" array");
      for (const auto& item : data->get_array())
        if (auto id = json::get_id(item, "id"); id && *id == remote_id) return true;
      auto has_next = json::get_bool(*body, "hasNext");
      auto next = json::get_string(*body, "next");
      // An empty page or a repeated cursor ends the listing, so a looping cursor cannot run forever.
      if (!has_next.value_or(false) || !next || next->empty() || *next == offset || data->get_array().empty())
        return false;
      offset = std::move(*next);
    }
    return make_error(ErrorKind::kUpstream, "Lever's webhook listing did not end within " +
                                                std::to_string(kMaxWebhookPages) + " pages");
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    const std::string path = std::string(resource(model)) + "/" + common::encode_path_segment(remote_id);
    auto body = get_json(ctx, common::join_url(ctx.base_url, path), *key);
    if (!body) return body.error();
    if (!*body) return std::optional<bj::object>{};
    const bj::value* data = json::find(**body, "data");
    if (data == nullptr || !data->is_object())
      return make_error(ErrorKind::kUpstream, "Lever answered without a \"data\" object");
    // A deleted opportunity may still be readable with deletedAt set: it is gone for us.
    if (const auto* deleted = data->get_object().if_contains("deletedAt");
        deleted != nullptr && !deleted->is_null())
      return std::optional<bj::object>{};
    return std::optional<bj::object>(map(ctx, model, data->get_object(), remote_id));
  }

  // updated_at_start (ms) on every request of the listing.
  bool lists_changes(Model model) const override { return supports_records(model); }

 private:
  // GET /v1/opportunities or /v1/postings with limit and offset (the previous page's `next`) →
  // {data, hasNext, next}.
  Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                               std::optional<Millis> since) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    std::string url = common::join_url(ctx.base_url, resource(model)) + "?limit=" + std::to_string(kPageSize);
    if (since) url += "&updated_at_start=" + std::to_string(std::max<Millis>(0, *since));
    if (!page.empty()) url += "&offset=" + common::encode_path_segment(page);
    auto body = get_json(ctx, url, *key);
    if (!body) return body.error();
    if (!*body) return make_error(ErrorKind::kUpstream, "Lever answered 404 to a listing");
    const bj::value* data = json::find(**body, "data");
    if (data == nullptr || !data->is_array())
      return make_error(ErrorKind::kUpstream, "Lever listing has no \"data\" array");
    RecordPage out;
    for (const auto& item : data->get_array()) {
      if (!item.is_object()) continue;
      auto id = json::get_id(item, "id");
      if (!id || id->empty()) continue;
      if (const auto* deleted = item.get_object().if_contains("deletedAt");
          deleted != nullptr && !deleted->is_null())
        continue;
      out.records.push_back(map(ctx, model, item.get_object(), *id));
    }
    auto has_next = json::get_bool(**body, "hasNext");
    auto next = json::get_string(**body, "next");
    // An empty page or a repeated cursor ends the listing, so a looping cursor cannot run forever.
    if (has_next.value_or(false) && next && !next->empty() && *next != page && !data->get_array().empty())
      out.next = std::move(*next);
    return out;
  }

  static std::string_view resource(Model model) {
    return model == Model::kAtsCandidates ? "/v1/opportunities" : "/v1/postings";
  }

  static bj::object map(const ApiContext& ctx, Model model, const bj::object& o,
                        const std::string& remote_id) {
    return model == Model::kAtsCandidates ? map_opportunity(ctx, o, remote_id)
                                          : map_posting(ctx, o, remote_id);
  }

  static http::ClientRequest authorized(const ApiContext& ctx, std::string method, std::string url,
                                        std::string_view key) {
    return common::authorized_request(
        ctx, std::move(method), std::move(url),
        {"Authorization", "Basic " + crypto::base64_encode(std::string(key) + ":")});
  }

  static Result<std::optional<bj::value>> get_json(const ApiContext& ctx, std::string url,
                                                   std::string_view key) {
    return common::get_record_json(ctx, kVendor, authorized(ctx, "GET", std::move(url), key), "API key",
                                   {key});
  }

  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Connector> make_lever_connector(const Clock& clock) {
  return std::make_unique<LeverConnector>(clock);
}

void register_lever(Registry& registry) {
  registry.add(make_lever_connector(SystemClock::instance()));
}

}  // namespace tributary::connectors
