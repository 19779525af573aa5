#include "connectors/smartrecruiters/smartrecruiters.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "SmartRecruiters";
constexpr std::string_view kSubscriptions = "/webhooks-api/v201907/subscriptions";
constexpr std::string_view kSignatureHeader = "smartrecruiters-signature";
constexpr std::string_view kTimestampHeader = "smartrecruiters-timestamp";
constexpr std::string_view kHookSecretHeader = "X-Hook-Secret";
constexpr std::string_view kPermissionMessage =
    "SmartRecruiters refused to manage webhooks (NO_PERMISSION_TO_MANAGE_WEBHOOKS): in SmartRecruiters, "
    "give the user whose API key this integration uses the permission to manage webhook subscriptions "
    "(for an OAuth app, grant its webhook scopes), then reconnect.";
// smartrecruiters-timestamp is the time of the request (redeliveries are new requests), so a delivery older
// or newer than this is a replay or a badly wrong clock.
constexpr common::FreshnessWindow kFreshness{.max_age_ms = 5 * 60 * 1000, .max_ahead_ms = 5 * 60 * 1000};
// SmartRecruiters keeps at most 16 live keys and may add schemes; anything far beyond that is not theirs.
constexpr std::size_t kMaxSignatureSegments = 64;
constexpr std::size_t kMaxHookSecretLength = 512;
constexpr std::size_t kMaxDeliveryIdLength = 200;
constexpr int kPageSize = 100;

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "SmartRecruiters: " + std::move(reason));
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c <= 0x7e;
  });
}

// A header that may be absent ("" then, as the vendor's signing rule says) but not duplicated.
Result<std::string_view> optional_header(const http::Request& request, std::string_view name) {
  const std::size_t count = request.header_count(name);
  if (count == 0) return std::string_view{};
  if (count > 1)
    return make_error(ErrorKind::kUnauthorized,
                      "duplicated " + std::string(name) + " header (" + std::to_string(count) + " copies)");
  return *request.header(name);
}

// Secret-free API errors. 401: the API key does not work (the vendor's own text, redacted); 403: the missing
// webhook permission; anything else: a failure worth retrying later.
Error api_error(std::string_view what, const http::ClientResponse& response,
                const std::vector<std::string_view>& secrets) {
  if (response.status == 401) return common::rejected_credential(kVendor, "API key", response, secrets);
  if (response.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
  return make_error(ErrorKind::kUpstream,
                    std::string(what) + " failed: " + common::describe_failure(kVendor, response, secrets));
}

const bj::object* object_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

bj::value string_at(const bj::object* o, std::string_view key) {
  return o == nullptr ? bj::value(nullptr) : common::string_or_null(o->if_contains(key));
}

// {label} objects (department, typeOfEmployment, experienceLevel, function, industry) → the label.
bj::value label_of(const bj::object& o, std::string_view key) {
  return string_at(object_at(o, key), "label");
}

// SmartRecruiters job statuses (CREATED, SOURCING, INTERVIEW, OFFER, FILLED, CANCELLED, ON_HOLD) → Kombo's
// OPEN/CLOSED/DRAFT/ARCHIVED; the unified names themselves pass through.
bj::value job_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_upper(v->get_string());
  if (s == "OPEN" || s == "CLOSED" || s == "DRAFT" || s == "ARCHIVED") return bj::value(s);
  if (s == "SOURCING" || s == "INTERVIEW" || s == "OFFER" || s == "ACTIVE") return "OPEN";
  if (s == "CREATED") return "DRAFT";
  if (s == "FILLED" || s == "ON_HOLD") return "CLOSED";
  if (s == "CANCELLED" || s == "CANCELED") return "ARCHIVED";
  return nullptr;
}

bj::value visibility(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_upper(v->get_string());
  if (s == "PUBLIC") return "PUBLIC";
  if (s == "INTERNAL") return "INTERNAL";
  if (s == "PRIVATE") return "UNLISTED";
  return nullptr;  // NOT_PUBLISHED: no visibility yet
}

bj::value employment_type(const bj::object* type) {
  if (type == nullptr) return nullptr;
  bj::value id = string_at(type, "id");
  if (!id.is_string()) id = string_at(type, "label");
  if (!id.is_string()) return nullptr;
  std::string s = common::ascii_upper(id.get_string());
  std::replace(s.begin(), s.end(), '-', '_');
  std::replace(s.begin(), s.end(), ' ', '_');
  if (s == "FULL_TIME" || s == "PERMANENT") return "FULL_TIME";
  if (s == "PART_TIME") return "PART_TIME";
  if (s == "CONTRACT" || s == "CONTRACTOR" || s == "TEMPORARY") return "CONTRACT";
  if (s == "INTERNSHIP" || s == "INTERN") return "INTERNSHIP";
  if (s == "SEASONAL") return "SEASONAL";
  return nullptr;
}

bj::value location_of(const bj::object* loc) {
  if (loc == nullptr) return nullptr;
  bj::object out{{"city", string_at(loc, "city")},
                 {"country", string_at(loc, "country")},
                 {"state", string_at(loc, "region")},
                 {"street_1", string_at(loc, "address")},
                 {"zip_code", string_at(loc, "postalCode")}};
  std::string raw;
  for (std::string_view key : {"city", "state", "country"}) {
    const bj::value& v = out.at(key);
    if (!v.is_string() || v.get_string().empty()) continue;
    if (!raw.empty()) raw += ", ";
    raw += v.get_string();
  }
  if (raw.empty() && out.at("street_1").is_null() && out.at("zip_code").is_null()) return nullptr;
  out["raw"] = raw.empty() ? bj::value(nullptr) : bj::value(raw);
  return out;
}

bj::value application_outcome(const bj::value* status) {
  if (status == nullptr || !status->is_string()) return nullptr;
  const std::string s = common::ascii_upper(status->get_string());
  if (s == "HIRED") return "HIRED";
  if (s == "REJECTED" || s == "WITHDRAWN") return "DECLINED";
  return "PENDING";
}

// One candidate assignment ({job:{id,title}, status, subStatus, startsOn}) → a unified application.
// SmartRecruiters identifies an application by candidate and job, so that pair is its unified id.
std::optional<bj::object> map_assignment(const ApiContext& ctx, const std::string& candidate_id,
                                         const bj::value& assignment) {
  if (!assignment.is_object()) return std::nullopt;
  const bj::object& a = assignment.get_object();
  const bj::object* job = object_at(a, "job");
  const bj::value job_id = string_at(job, "id");
  if (!job_id.is_string() || job_id.get_string().empty()) return std::nullopt;
  const std::string pair = candidate_id + ":" + std::string(job_id.get_string());
  bj::value stage = nullptr;
  if (const bj::value status = common::string_or_null(a.if_contains("status")); status.is_string())
    stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", status.get_string())},
                       {"name", status},
                       {"remote_id", status},
                       {"index", nullptr}};
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_applications", pair)},
      {"remote_id", pair},
      {"outcome", application_outcome(a.if_contains("status"))},
      {"rejection_reason_name", nullptr},
      {"rejected_at", nullptr},
      {"remote_url", nullptr},
      {"changed_at", nullptr},
      {"remote_created_at", nullptr},
      {"remote_updated_at", nullptr},
      {"current_stage", std::move(stage)},
      {"job", bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", job_id.get_string())},
                         {"name", string_at(job, "title")},
                         {"remote_id", job_id}}},
  };
}

bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id) {
  bj::array emails;
  if (bj::value email = common::string_or_null(c.if_contains("email"));
      email.is_string() && !email.get_string().empty())
    emails.push_back(bj::object{{"email_address", email}, {"type", nullptr}});
  bj::array phones;
  if (bj::value phone = common::string_or_null(c.if_contains("phoneNumber"));
      phone.is_string() && !phone.get_string().empty())
    phones.push_back(bj::object{{"phone_number", phone}, {"type", nullptr}});
  bj::array social;
  if (const bj::object* web = object_at(c, "web"); web != nullptr) {
    for (const auto& [key, value] : *web) {
      if (!value.is_string() || value.get_string().empty()) continue;
      social.push_back(bj::object{{"link", value}, {"type", bj::string(key)}, {"username", nullptr}});
    }
  }
  bj::array applications;
  if (const auto* primary = c.if_contains("primaryAssignment"); primary != nullptr)
    if (auto app = map_assignment(ctx, remote_id, *primary)) applications.push_back(std::move(*app));
  if (const auto* more = c.if_contains("secondaryAssignments"); more != nullptr && more->is_array())
    for (const auto& a : more->get_array())
      if (auto app = map_assignment(ctx, remote_id, a)) applications.push_back(std::move(*app));
  bj::array tags;
  if (const auto* t = c.if_contains("tags"); t != nullptr && t->is_array()) {
    for (const auto& tag : t->get_array()) {
      bj::value name = tag.is_object() ? common::string_or_null(tag.get_object().if_contains("name"))
                                       : common::string_or_null(&tag);
      if (!name.is_string()) continue;
      tags.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", name.get_string())},
                                {"name", name},
                                {"remote_id", nullptr}});
    }
  }
  const bj::object* experience = nullptr;
  if (const auto* e = c.if_contains("experience");
      e != nullptr && e->is_array() && !e->get_array().empty() && e->get_array().front().is_object())
    experience = &e->get_array().front().get_object();
  const auto* custom = c.if_contains("customFields");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", common::string_or_null(c.if_contains("firstName"))},
      {"last_name", common::string_or_null(c.if_contains("lastName"))},
      {"company", string_at(experience, "company")},
      {"title", string_at(experience, "title")},
      {"confidential", nullptr},
      {"source", string_at(object_at(c, "sourceDetails"), "sourceTypeId")},
      {"phone_numbers", std::move(phones)},
      {"email_addresses", std::move(emails)},
      {"social_media", std::move(social)},
      {"location", location_of(object_at(c, "location"))},
      {"custom_fields", custom != nullptr && custom->is_object() ? *custom : bj::value(nullptr)},
      {"remote_url", nullptr},
      {"remote_created_at", common::iso_or_null(c.if_contains("createdOn"))},
      {"remote_updated_at", common::iso_or_null(c.if_contains("updatedOn"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(applications)},
      {"tags", std::move(tags)},
  };
}

bj::object map_job(const ApiContext& ctx, const bj::object& j, const std::string& remote_id) {
  bj::value name = common::string_or_null(j.if_contains("title"));
  if (!name.is_string()) name = common::string_or_null(j.if_contains("name"));
  const bj::object* compensation = object_at(j, "compensation");
  bj::value custom = nullptr;
  if (const auto* props = j.if_contains("properties"); props != nullptr && props->is_array()) {
    bj::object fields;
    for (const auto& p : props->get_array()) {
      if (!p.is_object()) continue;
      const bj::value key = string_at(&p.get_object(), "id");
      if (!key.is_string()) continue;
      const bj::object* value = object_at(p.get_object(), "value");
      fields[key.get_string()] = value != nullptr ? string_at(value, "label") : bj::value(nullptr);
    }
    custom = std::move(fields);
  }
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", std::move(name)},
      {"job_code", common::string_or_null(j.if_contains("refNumber"))},
      {"description", nullptr},
      {"confidential", nullptr},
      {"weekly_hours", nullptr},
      {"employment_type", employment_type(object_at(j, "typeOfEmployment"))},
      {"status", job_status(j.if_contains("status"))},
      {"visibility", visibility(j.if_contains("postingStatus"))},
      {"category", label_of(j, "function")},
      {"department", label_of(j, "department")},
      {"post_url", nullptr},
      {"experience_level", label_of(j, "experienceLevel")},
      {"remote_work_status", nullptr},
      {"salary_amount", nullptr},
      {"salary_amount_from",
       common::number_or_null(compensation ? compensation->if_contains("min") : nullptr)},
      {"salary_amount_to", common::number_or_null(compensation ? compensation->if_contains("max") : nullptr)},
      {"salary_currency", string_at(compensation, "currency")},
      {"salary_period", nullptr},
      {"location", location_of(object_at(j, "location"))},
      {"custom_fields", std::move(custom)},
      {"remote_url", nullptr},
      {"opened_at", nullptr},
      {"closed_at", nullptr},
      {"remote_created_at", common::iso_or_null(j.if_contains("createdOn"))},
      {"remote_updated_at", common::iso_or_null(j.if_contains("updatedOn"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", bj::array{}},
      {"hiring_team", bj::array{}},
  };
}

// An id at `key` of the body: a non-empty string or an integer; an error otherwise.
Result<std::string> required_id(const bj::value& body, std::string_view key) {
  auto id = json::get_id(body, key);
  if (!id || id->empty()) return invalid("body has no \"" + std::string(key) + "\" id");
  return std::move(*id);
}

// job.ad.postings.updated carries {job_id, job_ad_id} and no publication state [inferred]. When the body does
// say (postingStatus/status/published), that decides; otherwise the event is relayed as "published", the
// change a postings update most often is; the targeted fetch then shows the job's current visibility.
Action postings_action(const bj::value& body) {
  for (std::string_view key : {"postingStatus", "status", "publicationStatus"}) {
    auto s = json::get_string(body, key);
    if (!s) continue;
    const std::string v = common::ascii_upper(*s);
    if (v == "NOT_PUBLISHED" || v == "UNPUBLISHED" || v == "INACTIVE" || v == "CLOSED")
      return Action::kUnpublished;
    if (v == "PUBLISHED" || v == "PUBLIC" || v == "INTERNAL" || v == "ACTIVE") return Action::kPublished;
  }
  if (auto published = json::get_bool(body, "published"))
    return *published ? Action::kPublished : Action::kUnpublished;
  return Action::kPublished;
}

class SmartRecruitersConnector final : public ListingConnector {
 public:
  explicit SmartRecruitersConnector(const Clock& clock) : clock_(clock) {}

  // job.ad.postings.updated says neither way: the job's postingStatus (mapped to a visibility; NOT_PUBLISHED
  // has none) before and after the change decides whether it was a publication, an unpublication or
  // neither.
  std::optional<bool> job_published(const bj::object& unified_job) const override {
    const auto* visibility = unified_job.if_contains("visibility");
    return visibility != nullptr && visibility->is_string();
  }

  std::string_view tool() const override { return "smartrecruiters"; }
  std::string_view display_name() const override { return "SmartRecruiters"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"candidate.created", "application.created"}, ""},
        {Model::kAtsCandidates, Action::kDeleted, {"candidate.deleted"}, ""},
        {Model::kAtsJobs,
         Action::kUpdated,
         {"job.updated", "job.status.updated", "job.ad.postings.updated"},
         "job.ad.postings.updated when the job's postingStatus did not change [inferred]"},
        {Model::kAtsJobs,
         Action::kPublished,
         {"job.ad.postings.updated"},
         "[inferred] the body ({job_id, job_ad_id}) carries no publication state: published when the fetched "
         "job's postingStatus left NOT_PUBLISHED"},
        {Model::kAtsJobs,
         Action::kUnpublished,
         {"job.ad.postings.updated"},
         "[inferred] when the fetched job's postingStatus became NOT_PUBLISHED"},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json). The API key goes in the
  // X-SmartToken header, not in Authorization.
  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.smartrecruiters.com";
    const std::string subs = std::string(kSubscriptions);
    const std::string auth = "header:X-SmartToken";
    return {{"POST", h, subs, {}, {"callbackUrl", "events"}, auth},
            {"POST", h, subs + "/{id}/secret-key", {}, {}, auth},
            {"PUT", h, subs + "/{id}/activation", {}, {}, auth},
            {"GET", h, subs + "/{id}", {}, {}, auth},
            {"DELETE", h, subs + "/{id}", {}, {}, auth},
            {"GET", h, "/candidates", {}, {}, auth},
            {"GET", h, "/candidates/{id}", {}, {}, auth},
            {"GET", h, "/jobs", {}, {}, auth},
            {"GET", h, "/jobs/{id}", {}, {}, auth}};
  }

  // The sources: testdata/contract/README.md.

  // developers.smartrecruiters.com/docs/rate-limiting: 10 requests per second for most endpoints (2 per
  // second for publication and offer documents, which the connector does not call), 8 concurrent requests,
  // and GET /candidates one at a time; 429 when exceeded, X-RateLimit-Limit / -Remaining and
  // X-RateLimit-Concurrent-Limit / -Remaining on answers.
  ApiLimits api_limits() const override { return {10, 1000, 8, {{"GET", "/candidates", 0, 0, 1}}}; }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorExample,
            .verify = Evidence::kVendorExample,
            .events = Evidence::kVendorExample,
            .get = Evidence::kThirdParty,
            .list = Evidence::kThirdParty,
            .incremental = Evidence::kInferred};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key"}; }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://api.smartrecruiters.com";
  }
  int accepted_status() const override { return 202; }

  // One subscription per event. The developer docs let one subscription list several events, but the help
  // center's guide to the Webhook Subscription API says each event must be subscribed separately; a
  // one-event list is valid under both readings.
  std::vector<std::vector<std::string>> plan_subscriptions(const std::set<Model>& enabled) const override {
    std::vector<std::vector<std::string>> plan;
    for (auto& event : vendor_events_for(*this, enabled))
      plan.push_back({std::move(event)});
    return plan;
  }

  // Activation: SmartRecruiters POSTs X-Hook-Secret and waits up to 20 s for a 200 echoing it. This arrives
  // before any signing key is in use, so it is answered without verification; echoing a value back grants
  // nothing. Values that could not be a header (control characters, oversized, duplicated) get a 400.
  std::optional<http::Response> handshake(const http::Request& request) const override {
    const std::size_t count = request.header_count(kHookSecretHeader);
    if (count == 0) return std::nullopt;
    if (count > 1) return http::Response::json(400, R"({"error":"duplicated X-Hook-Secret header"})");
    const std::string_view value = common::trim(*request.header(kHookSecretHeader));
    if (value.empty() || value.size() > kMaxHookSecretLength || !printable_ascii(value))
      return http::Response::json(400, R"({"error":"malformed X-Hook-Secret header"})");
    http::Response response = http::Response::json(200, "{}");
    response.with_header(std::string(kHookSecretHeader), std::string(value));
    return response;
  }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    const auto secrets = common::usable_secrets(keys);
    if (secrets.empty()) return common::rejected("no signing key is configured for this subscription yet");
    auto signature = common::single_header(request, kSignatureHeader);
    if (!signature) return common::rejected(signature.error().message);
    auto timestamp = common::single_header(request, kTimestampHeader);
    if (!timestamp) return common::rejected(timestamp.error().message);
    const auto fresh = common::check_timestamp(clock_, kTimestampHeader, *timestamp,
                                               common::TimestampFormat::kUnixSeconds, kFreshness);
    if (!fresh) return common::rejected(fresh.error().message);

    // The signed string: timestamp.body.event-id.event-name.event-version.link, absent headers as "".
    std::string message(common::trim(*timestamp));
    message += '.';
    message += request.body;
    for (std::string_view name : {"event-id", "event-name", "event-version", "link"}) {
      auto value = optional_header(request, name);
      if (!value) return common::rejected(value.error().message);
      message += '.';
      message += *value;
    }

    // "v1=<hex>;v1=<hex>…": one value per live key; other schemes are skipped (the vendor may add some).
    std::vector<std::string> provided;
    std::size_t segments = 0;
    std::string_view rest = *signature;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      const std::string_view segment = common::trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      if (segment.empty()) continue;
      if (++segments > kMaxSignatureSegments)
        return common::rejected("smartrecruiters-signature carries too many values");
      auto digest = common::strip_prefix(segment, "v1=", true);
      if (!digest) continue;
      auto bytes = common::decode_hex_digest(common::trim(*digest), 32);
      if (bytes) provided.push_back(std::move(*bytes));
    }
    if (provided.empty())
      return common::rejected("smartrecruiters-signature carries no well-formed v1=<hex> value");

    // Every key against every value, so the time does not depend on which pair matched.
    std::optional<std::size_t> matched;
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      const std::string expected =
          common::compute_hmac(common::DigestAlgorithm::kSha256, secrets[i], message);
      for (const auto& p : provided)
        if (common::secure_equal(expected, p) && !matched) matched = i;
    }
    if (!matched)
      return common::rejected(
          "no v1 value of smartrecruiters-signature matches the request signed with the subscription's key");
    return common::verified(
        "hmac-sha256 hex v1= in smartrecruiters-signature over "
        "timestamp.body.event-id.event-name.event-version.link",
        *matched);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    if (request.header_count("event-name") != 1) return invalid("exactly one event-name header is required");
    const std::string_view name = common::trim(*request.header("event-name"));
    if (name.empty() || name.size() > 100 || !printable_ascii(name))
      return invalid("event-name is malformed");
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");

    ParsedEvent out;
    out.vendor_event = std::string(name);
    // event-id stays the same across redeliveries of one event.
    if (request.header_count("event-id") == 1) {
      const std::string_view id = common::trim(*request.header("event-id"));
      if (!id.empty() && id.size() <= kMaxDeliveryIdLength && printable_ascii(id)) out.delivery_id = id;
    }

    auto add = [&](Model model, Action action, std::string_view key) -> Status {
      auto id = required_id(*doc, key);
      if (!id) return id.error();
      out.events.push_back({model, action, std::move(*id)});
      return {};
    };
    Status status;
    if (name == "candidate.created") {
      status = add(Model::kAtsCandidates, Action::kCreated, "id");
    } else if (name == "application.created") {
      status = add(Model::kAtsCandidates, Action::kCreated, "candidate_id");
    } else if (name == "candidate.deleted") {
      status = add(Model::kAtsCandidates, Action::kDeleted, "id");
    } else if (name == "job.updated" || name == "job.status.updated") {
      status = add(Model::kAtsJobs, Action::kUpdated, "id");
    } else if (name == "job.ad.postings.updated") {
      status = add(Model::kAtsJobs, postings_action(*doc), "job_id");
    }
    // Every other event (candidate.updated, application.status.updated, job.created, …) feeds no promised
    // unified event: accepted, nothing forwarded.
    if (!status) return status.error();
    return out;
  }

  // create → secret key → activation. The activation makes SmartRecruiters call our ingress URL (answered
  // by handshake()) before it answers; a subscription that cannot be completed is deleted again.
  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    if (request.event_types.empty()) return invalid("no events to subscribe to");
    std::vector<std::string_view> secrets = {*key};

    bj::array events;
    for (const auto& e : request.event_types)
      events.emplace_back(e);
    http::ClientRequest create =
        authorized(ctx, "POST", common::join_url(ctx.base_url, kSubscriptions), *key);
    create.headers.emplace_back("Content-Type", "application/json");
    create.body =
        json::serialize(bj::object{{"callbackUrl", request.ingress_url}, {"events", std::move(events)}});
    http::ClientResponse created = ctx.send(std::move(create));
    if (created.status < 200 || created.status > 299)
      return api_error("creating the webhook subscription", created, secrets);
    std::optional<std::string> id;
    if (auto parsed = json::parse(created.body)) id = json::get_id(*parsed, "id");
    if (!id || id->empty())
      return make_error(ErrorKind::kUpstream, "SmartRecruiters answered " + std::to_string(created.status) +
                                                  " to creating the subscription but sent no id");
    const std::string base = subscription_url(ctx, *id);

    auto fail = [&](Error error) -> Result<RemoteSubscription> {
      // Best effort: an inactive subscription left behind would count against the vendor's limit of 20.
      http::ClientResponse ignored = ctx.send(authorized(ctx, "DELETE", base, *key));
      (void)ignored;
      return error;
    };

    http::ClientResponse secret_resp = ctx.send(authorized(ctx, "POST", base + "/secret-key", *key));
    if (secret_resp.status < 200 || secret_resp.status > 299)
      return fail(api_error("creating the signing key", secret_resp, secrets));
    std::optional<std::string> secret;
    if (auto parsed = json::parse(secret_resp.body)) secret = json::get_string(*parsed, "secretKey");
    if (!secret || secret->empty())
      return fail(make_error(ErrorKind::kUpstream, "SmartRecruiters answered " +
                                                       std::to_string(secret_resp.status) +
                                                       " to creating the signing key but sent no secretKey"));
    secrets.push_back(*secret);

    http::ClientRequest activate = authorized(ctx, "PUT", base + "/activation", *key);
    activate.timeout =
        std::max(ctx.timeout, std::chrono::milliseconds(30000));  // the vendor waits up to 20 s
    http::ClientResponse activated = ctx.send(std::move(activate));
    // 409: already active, which is the goal.
    if (activated.status == 424)
      return fail(
          make_error(ErrorKind::kUpstream,
                     "SmartRecruiters could not complete the activation handshake with the ingress URL "
                     "(424): check that " +
                         request.ingress_url + " is reachable from the internet"));
    if ((activated.status < 200 || activated.status > 299) && activated.status != 409)
      return fail(api_error("activating the subscription", activated, secrets));
    return RemoteSubscription{std::move(*id), std::move(*secret)};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return invalid("empty subscription id");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    http::ClientResponse resp = ctx.send(authorized(ctx, "DELETE", subscription_url(ctx, remote_id), *key));
    // 404: already gone, which is the goal.
    if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
    return api_error("deleting the webhook subscription", resp, {*key});
  }

  // GET /webhooks-api/v201907/subscriptions/{id}: 404 = deleted in SmartRecruiters. A subscription that is
  // still there but `inactive` counts as existing: re-creating would not help. The reconciler creates the
  // new one without deleting the old, so the inactive one would stay behind and count against the vendor's
  // limit of 20 subscriptions, and whatever stopped it (the activation handshake failing against our
  // ingress URL) would stop the new one the same way. Only a create that we completed is stored as active,
  // so an inactive subscription is the tool's (or the customer's) decision, not a vanished one.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return false;
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    http::ClientResponse resp =
        common::get_with_retry(ctx, authorized(ctx, "GET", subscription_url(ctx, remote_id), *key));
    if (resp.status == 404) return false;
    if (resp.status >= 200 && resp.status <= 299) return true;
    return api_error("looking up the webhook subscription", resp, {*key});
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    const std::string path = std::string(model == Model::kAtsCandidates ? "/candidates/" : "/jobs/") +
                             common::encode_path_segment(remote_id);
    auto body = get_json(ctx, common::join_url(ctx.base_url, path), *key);
    if (!body) return body.error();
    if (!*body) return std::optional<bj::object>{};
    if (!(*body)->is_object())
      return make_error(ErrorKind::kUpstream, "SmartRecruiters answered with something other than an object");
    return std::optional<bj::object>(map(ctx, model, (*body)->get_object(), remote_id));
  }

  // Jobs only: updatedAfter on every request of the listing (candidates have no such filter).
  bool lists_changes(Model model) const override { return model == Model::kAtsJobs; }

 private:
  // GET /candidates or /jobs with limit and pageId → {content, totalFound, nextPageId}. A listing's entries
  // are summaries (the vendor's examples, testdata/contract/list_jobs.json and list_candidates.json, leave
  // out the job's typeOfEmployment, function, experienceLevel, compensation and properties, the candidate's
  // web, experience and phone), so the listing only enumerates ids and each record is read the way a
  // webhook's fetch reads it: otherwise every full sync would blank what the last fetch stored, and back
  // again.
  Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                               std::optional<Millis> since) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    std::string url =
        common::join_url(ctx.base_url, model == Model::kAtsCandidates ? "/candidates" : "/jobs") +
        "?limit=" + std::to_string(kPageSize);
    if (since) url += "&updatedAfter=" + format_iso8601(*since);
    if (!page.empty()) url += "&pageId=" + common::encode_path_segment(page);
    auto body = get_json(ctx, url, *key);
    if (!body) return body.error();
    if (!*body) return make_error(ErrorKind::kUpstream, "SmartRecruiters answered 404 to a listing");
    const bj::value* content = json::find(**body, "content");
    if (content == nullptr || !content->is_array())
      return make_error(ErrorKind::kUpstream, "SmartRecruiters listing has no \"content\" array");
    RecordPage out;
    for (const auto& item : content->get_array()) {
      if (!item.is_object()) continue;
      auto id = json::get_id(item, "id");
      if (!id || id->empty()) continue;
      auto record = fetch_record(ctx, model, *id);
      if (!record) return record.error();
      if (*record) out.records.push_back(std::move(**record));  // deleted since it was listed
    }
    auto next = json::get_string(**body, "nextPageId");
    // An empty page ends the listing even if a cursor came back, so a looping cursor cannot run forever.
    if (next && !next->empty() && *next != page && !content->get_array().empty()) out.next = std::move(*next);
    return out;
  }

  static bj::object map(const ApiContext& ctx, Model model, const bj::object& o,
                        const std::string& remote_id) {
    return model == Model::kAtsCandidates ? map_candidate(ctx, o, remote_id) : map_job(ctx, o, remote_id);
  }

  static std::string subscription_url(const ApiContext& ctx, const std::string& id) {
    return common::join_url(ctx.base_url,
                            std::string(kSubscriptions) + "/" + common::encode_path_segment(id));
  }

  static http::ClientRequest authorized(const ApiContext& ctx, std::string method, std::string url,
                                        std::string_view key) {
    return common::authorized_request(ctx, std::move(method), std::move(url),
                                      {"X-SmartToken", std::string(key)});
  }

  static Result<std::optional<bj::value>> get_json(const ApiContext& ctx, std::string url,
                                                   std::string_view key) {
    return common::get_record_json(ctx, kVendor, authorized(ctx, "GET", std::move(url), key), "API key",
                                   {key});
  }

  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Connector> make_smartrecruiters_connector(const Clock& clock) {
  return std::make_unique<SmartRecruitersConnector>(clock);
}

void register_smartrecruiters(Registry& registry) {
  registry.add(make_smartrecruiters_connector(SystemClock::instance()));
}

}  // namespace tributary::connectors
