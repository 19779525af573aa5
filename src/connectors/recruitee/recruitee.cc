#include "connectors/recruitee/recruitee.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <memory>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kDisplayName = "Recruitee";
constexpr std::string_view kSignatureHeader = "X-Recruitee-Signature";
constexpr std::size_t kMaxIdLength = 100;
constexpr std::size_t kPageSize = 100;
constexpr std::size_t kMaxOffset = 10000000;

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Recruitee: " + std::move(reason));
}

bool acceptable_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_';
  });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Whether a parsed body is Recruitee's test request: {"test":true}, possibly with an example event payload
// ("Test payload" buttons).
bool is_test(const bj::value& doc) {
  if (!doc.is_object()) return false;
  const bj::value* test = doc.get_object().if_contains("test");
  return test != nullptr && test->is_bool() && test->get_bool();
}

// An id at `path`: nullopt when absent or null; an error when present but not an id.
Result<std::optional<std::string>> optional_id(const bj::value& root, std::string_view path) {
  const bj::value* v = json::find(root, path);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  auto id = json::get_id(root, path);
  if (!id || !acceptable_id(*id)) return invalid(std::string(path) + " is not an id");
  return std::optional<std::string>{std::move(*id)};
}

// The record id of a delivery: payload.<object>.id, or payload.<object>_id.
Result<std::string> record_id(const bj::value& doc, std::string_view object) {
  const std::string nested = "payload." + std::string(object) + ".id";
  auto id = optional_id(doc, nested);
  if (!id) return id.error();
  if (!id->has_value()) {
    id = optional_id(doc, "payload." + std::string(object) + "_id");
    if (!id) return id.error();
  }
  if (!id->has_value()) return invalid(nested + " is missing");
  return std::move(**id);
}

// ---- Records.

const bj::value* field(const bj::object& o, std::string_view key) {
  return o.if_contains(key);
}

std::string text_of(const bj::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Strings, or objects carrying the string under one of `keys`, of an array.
std::vector<std::string> strings_of(const bj::value* list, std::initializer_list<std::string_view> keys) {
  std::vector<std::string> out;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    if (item.is_string()) {
      if (!item.get_string().empty()) out.emplace_back(item.get_string());
      continue;
    }
    if (!item.is_object()) continue;
    for (std::string_view key : keys) {
      const bj::value* v = item.get_object().if_contains(key);
      if (v != nullptr && v->is_string() && !v->get_string().empty()) {
        out.emplace_back(v->get_string());
        break;
      }
    }
  }
  return out;
}

// First and last name: Recruitee keeps one `name`; explicit first/last names win when present.
std::pair<bj::value, bj::value> split_name(const bj::object& c) {
  bj::value first = common::string_or_null(field(c, "first_name"));
  bj::value last = common::string_or_null(field(c, "last_name"));
  if (first.is_string() || last.is_string()) return {first, last};
  const std::string name(common::trim(text_of(field(c, "name"))));
  if (name.empty()) return {nullptr, nullptr};
  const std::size_t space = name.find(' ');
  if (space == std::string::npos) return {bj::value(name), nullptr};
  return {bj::value(name.substr(0, space)), bj::value(std::string(common::trim(name.substr(space + 1))))};
}

// The names an answer's top-level "references" give by id: stages ({type:"Stage", id, name}) and offers
// ({type:"Offer", id, title}); a placement carries only stage_id and offer_id
// (testdata/contract/candidates_list_response.sample.json).
struct References {
  std::map<std::string, bj::value> stages;
  std::map<std::string, bj::value> offers;
};

References references_of(const bj::value& answer) {
  References out;
  const bj::value* list = answer.is_object() ? answer.get_object().if_contains("references") : nullptr;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& r : list->get_array()) {
    auto id = json::get_id(r, "id");
    auto type = json::get_string(r, "type");
    if (!id || id->empty() || !type) continue;
    if (*type == "Stage") out.stages[*id] = common::string_or_null(json::find(r, "name"));
    if (*type == "Offer") out.offers[*id] = common::string_or_null(json::find(r, "title"));
  }
  return out;
}

bj::value name_in(const std::map<std::string, bj::value>& names, const std::string& id) {
  auto it = names.find(id);
  return it == names.end() ? bj::value(nullptr) : it->second;
}

bj::object map_placement(const ApiContext& ctx, const bj::object& p, const std::string& remote_id,
                         const References& refs) {
  const bj::value placement(p);
  bj::value stage = nullptr;
  if (auto stage_id = json::get_id(placement, "stage_id"); stage_id && !stage_id->empty())
    stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", *stage_id)},
                       {"name", json::find(placement, "stage.name") != nullptr
                                    ? common::string_or_null(json::find(placement, "stage.name"))
                                    : name_in(refs.stages, *stage_id)},
                       {"remote_id", *stage_id},
                       {"index", nullptr}};
  bj::value job = nullptr;
  if (auto offer_id = json::get_id(placement, "offer_id"); offer_id && !offer_id->empty())
    job = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", *offer_id)},
                     {"name", json::find(placement, "offer.title") != nullptr
                                  ? common::string_or_null(json::find(placement, "offer.title"))
                                  : name_in(refs.offers, *offer_id)},
                     {"remote_id", *offer_id}};
  bj::value hired_at = common::iso_or_null(field(p, "hired_at"));
  bj::value disqualified_at = common::iso_or_null(field(p, "disqualified_at"));
  bj::value outcome = "PENDING";
  if (hired_at.is_string()) {
    outcome = "HIRED";
  } else if (disqualified_at.is_string() || common::string_or_null(field(p, "disqualify_kind")).is_string()) {
    // Real answers mark a disqualified placement with disqualify_kind (and disqualify_reason), without a
    // disqualified_at (testdata/contract/candidates_list_response.sample.json).
    outcome = "DECLINED";
  }
  bj::value reason = nullptr;
  if (const bj::value* r = field(p, "disqualify_reason"); r != nullptr) {
    reason = r->is_object() ? common::string_or_null(r->get_object().if_contains("name"))
                            : common::string_or_null(r);
  }
  return bj::object{{"id", common::unified_id(ctx.integration_id, "ats_applications", remote_id)},
                    {"remote_id", remote_id},
                    {"outcome", std::move(outcome)},
                    {"rejection_reason_name", std::move(reason)},
                    {"rejected_at", std::move(disqualified_at)},
                    {"remote_url", nullptr},
                    {"changed_at", nullptr},
                    {"remote_created_at", common::iso_or_null(field(p, "created_at"))},
                    {"remote_updated_at", common::iso_or_null(field(p, "updated_at"))},
                    {"current_stage", std::move(stage)},
                    {"job", std::move(job)}};
}

bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id,
                         const References& refs) {
  auto [first, last] = split_name(c);
  bj::array emails;
  for (auto& e : strings_of(field(c, "emails"), {"email", "value"}))
    emails.push_back(bj::object{{"email_address", e}, {"type", nullptr}});
  if (emails.empty()) {
    if (bj::value e = common::string_or_null(field(c, "email")); e.is_string())
      emails.push_back(bj::object{{"email_address", e}, {"type", nullptr}});
  }
  bj::array phones;
  for (auto& p : strings_of(field(c, "phones"), {"phone", "value"}))
    phones.push_back(bj::object{{"phone_number", p}, {"type", nullptr}});
  bj::array social;
  for (auto& link : strings_of(field(c, "social_links"), {"url", "link"}))
    social.push_back(bj::object{{"link", link}, {"type", nullptr}, {"username", nullptr}});
  bj::array tags;
  for (auto& name : strings_of(field(c, "tags"), {"name"}))
    tags.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", name)},
                              {"name", name},
                              {"remote_id", nullptr}});
  bj::value source = common::string_or_null(field(c, "source"));
  if (source.is_null()) {
    auto sources = strings_of(field(c, "sources"), {"name"});
    if (!sources.empty()) source = bj::value(sources.front());
  }
  bj::array applications;
  if (const bj::value* placements = field(c, "placements"); placements != nullptr && placements->is_array()) {
    for (const auto& p : placements->get_array()) {
      if (!p.is_object()) continue;
      auto id = json::get_id(p, "id");
      if (!id || id->empty()) continue;
      applications.push_back(map_placement(ctx, p.get_object(), *id, refs));
    }
  }
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", std::move(first)},
      {"last_name", std::move(last)},
      {"company", nullptr},
      {"title", nullptr},
      {"confidential", nullptr},
      {"source", std::move(source)},
      {"phone_numbers", std::move(phones)},
      {"email_addresses", std::move(emails)},
      {"social_media", std::move(social)},
      {"location", nullptr},
      {"custom_fields", nullptr},
      {"remote_url", common::string_or_null(field(c, "admin_app_url"))},
      {"remote_created_at", common::iso_or_null(field(c, "created_at"))},
      {"remote_updated_at", common::iso_or_null(field(c, "updated_at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(applications)},
      {"tags", std::move(tags)},
  };
}

bj::value offer_status(std::string_view status) {
  const std::string s = common::ascii_upper(status);
  if (s == "PUBLISHED" || s == "INTERNAL" || s == "OPEN") return "OPEN";
  if (s == "CLOSED" || s == "DRAFT" || s == "ARCHIVED") return bj::value(s);
  return nullptr;
}

bj::value employment_type(std::string_view t) {
  if (t == "fulltime" || t == "full_time" || t == "fulltime_permanent" || t == "fulltime_fixed_term")
    return "FULL_TIME";
  if (t == "parttime" || t == "part_time" || t == "parttime_permanent" || t == "parttime_fixed_term")
    return "PART_TIME";
  if (t == "contract" || t == "contractor" || t == "freelance" || t == "temporary") return "CONTRACT";
  if (t == "internship" || t == "traineeship") return "INTERNSHIP";
  if (t == "seasonal") return "SEASONAL";
  return nullptr;
}

bj::object map_offer(const ApiContext& ctx, const bj::object& o, const std::string& remote_id) {
  const std::string status = text_of(field(o, "status"));
  bj::value visibility = nullptr;
  if (status == "internal") {
    visibility = "INTERNAL";
  } else if (status == "published") {
    visibility = "PUBLIC";
  }
  bj::value department = nullptr;
  if (const bj::value* d = field(o, "department"); d != nullptr)
    department = d->is_object() ? common::string_or_null(d->get_object().if_contains("name"))
                                : common::string_or_null(d);
  bj::object location;
  if (bj::value city = common::string_or_null(field(o, "city")); city.is_string()) location["city"] = city;
  if (bj::value country = common::string_or_null(field(o, "country")); country.is_string())
    location["country"] = country;
  if (bj::value raw = common::string_or_null(field(o, "location")); raw.is_string()) location["raw"] = raw;
  bj::value remote_status = nullptr;
  if (const bj::value* remote = field(o, "remote");
      remote != nullptr && remote->is_bool() && remote->get_bool())
    remote_status = "REMOTE";
  bj::value post_url = common::string_or_null(field(o, "careers_url"));
  if (post_url.is_null()) post_url = common::string_or_null(field(o, "url"));
  bj::value salary_from = nullptr, salary_to = nullptr, currency = nullptr;
  if (const bj::value* s = field(o, "salary"); s != nullptr && s->is_object()) {
    salary_from = common::number_or_null(s->get_object().if_contains("min"));
    salary_to = common::number_or_null(s->get_object().if_contains("max"));
    currency = common::string_or_null(s->get_object().if_contains("currency"));
  }
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", common::string_or_null(field(o, "title"))},
      {"job_code", nullptr},
      {"description", common::string_or_null(field(o, "description"))},
      {"confidential", nullptr},
      {"weekly_hours", common::number_or_null(field(o, "max_hours"))},
      {"employment_type", employment_type(text_of(field(o, "employment_type")))},
      {"status", offer_status(status)},
      {"visibility", std::move(visibility)},
      {"category", common::string_or_null(field(o, "category"))},
      {"department", std::move(department)},
      {"post_url", std::move(post_url)},
      {"experience_level", common::string_or_null(field(o, "experience"))},
      {"remote_work_status", std::move(remote_status)},
      {"salary_amount", nullptr},
      {"salary_amount_from", std::move(salary_from)},
      {"salary_amount_to", std::move(salary_to)},
      {"salary_currency", std::move(currency)},
      {"salary_period", nullptr},
      {"location", location.empty() ? bj::value(nullptr) : bj::value(std::move(location))},
      {"custom_fields", nullptr},
      {"remote_url", common::string_or_null(field(o, "adminapp_url"))},
      {"opened_at", common::iso_or_null(field(o, "published_at"))},
      {"closed_at", common::iso_or_null(field(o, "closed_at"))},
      {"remote_created_at", common::iso_or_null(field(o, "created_at"))},
      {"remote_updated_at", common::iso_or_null(field(o, "updated_at"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", bj::array{}},
      {"hiring_team", bj::array{}},
  };
}

std::optional<bj::object> map_resource(const ApiContext& ctx, Model model, const bj::value& resource,
                                       const References& refs = {}) {
  if (!resource.is_object()) return std::nullopt;
  auto id = json::get_id(resource, "id");
  if (!id || !acceptable_id(*id)) return std::nullopt;
  if (model == Model::kAtsJobs) return map_offer(ctx, resource.get_object(), *id);
  return map_candidate(ctx, resource.get_object(), *id, refs);
}

class RecruiteeConnector final : public Connector {
 public:
  std::string_view tool() const override { return "recruitee"; }
  std::string_view display_name() const override { return kDisplayName; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kManual; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"candidate_created"}, "[unconfirmed]"},
        {Model::kAtsCandidates, Action::kDeleted, {"candidate_deleted"}, "[unconfirmed]"},
        {Model::kAtsJobs, Action::kUpdated, {"offer_updated"}, "offers are jobs [unconfirmed]"},
        {Model::kAtsJobs, Action::kPublished, {"offer_published"}, "[unconfirmed]"},
        {Model::kAtsJobs, Action::kUnpublished, {"offer_unpublished"}, "[unconfirmed]"},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json); {company_id} is the
  // credential of that name.
  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.recruitee.com";
    return {{"GET", h, "/c/{company_id}/candidates", {}, {}, "bearer"},
            {"GET", h, "/c/{company_id}/candidates/{id}", {}, {}, "bearer"},
            {"GET", h, "/c/{company_id}/offers", {}, {}, "bearer"},
            {"GET", h, "/c/{company_id}/offers/{id}", {}, {}, "bearer"}};
  }

  // The sources: testdata/contract/README.md.

  // Not published: the conservative default.
  ApiLimits api_limits() const override { return unpublished_limits(); }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kNotUsed,
            .verify = Evidence::kThirdParty,
            .events = Evidence::kInferred,
            .get = Evidence::kThirdParty,
            .list = Evidence::kThirdParty,
            .incremental = Evidence::kNotUsed};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key", "company_id"}; }
  std::string default_base_url(const bj::object& /*credentials*/) const override {
    return "https://api.recruitee.com";
  }

  bool we_choose_secret() const override { return false; }

  // The test request arrives before the secret exists (and "Test payload" requests carry an example event
  // beside "test": true): answered 200, never forwarded.
  std::optional<http::Response> handshake(const http::Request& request) const override {
    if (request.method != "POST") return std::nullopt;
    auto doc = json::parse(request.body);
    if (!doc || !is_test(*doc)) return std::nullopt;
    return http::Response::json(200, R"({"ok":true})");
  }

  // X-Recruitee-Signature: hex HMAC-SHA256 of the raw body [3rd]; a "sha256=" prefix is tolerated.
  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    if (common::usable_secrets(keys).empty())
      return common::rejected("no secret is stored for this subscription yet");
    auto header = common::single_header(request, kSignatureHeader);
    if (!header) return common::rejected(header.error().message);
    std::string_view value = common::trim(*header);
    std::string scheme = "hmac-sha256 hex of the body in X-Recruitee-Signature";
    if (auto rest = common::strip_prefix(value, "sha256=", true)) {
      value = *rest;
      scheme += " (sha256=<hex>)";
    } else {
      scheme += " (<hex>)";
    }
    auto provided = common::decode_hex_digest(value, 32);
    if (!provided) return common::rejected(std::string(kSignatureHeader) + ": " + provided.error().message);
    auto matched = common::match_secret(
        keys, *provided, [&](std::string_view secret) { return crypto::hmac_sha256(secret, request.body); });
    if (!matched)
      return common::rejected(std::string(kSignatureHeader) +
                              " does not match the body signed with the subscription's secret");
    return common::verified(std::move(scheme), *matched);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    ParsedEvent out;
    if (is_test(*doc)) {
      out.vendor_event = "test";
      out.is_ping = true;
      return out;
    }
    auto event = json::get_string(*doc, "event_type");
    if (!event || event->empty()) return invalid("body has no \"event_type\" string");
    out.vendor_event = *event;
    if (auto id = json::get_id(*doc, "id"); id && acceptable_id(*id)) out.delivery_id = *id;

    struct Mapping {
      std::string_view event;
      std::string_view object;
      Model model;
      Action action;
    };
    static constexpr std::array<Mapping, 5> kMappings = {{
        {"candidate_created", "candidate", Model::kAtsCandidates, Action::kCreated},
        {"candidate_deleted", "candidate", Model::kAtsCandidates, Action::kDeleted},
        {"offer_updated", "offer", Model::kAtsJobs, Action::kUpdated},
        {"offer_published", "offer", Model::kAtsJobs, Action::kPublished},
        {"offer_unpublished", "offer", Model::kAtsJobs, Action::kUnpublished},
    }};
    for (const auto& m : kMappings) {
      if (m.event != *event) continue;
      const bj::value* payload = doc->get_object().if_contains("payload");
      if (payload == nullptr || !payload->is_object())
        return invalid("\"payload\" is missing or not an object");
      auto id = record_id(*doc, m.object);
      if (!id) return id.error();
      out.events.push_back({m.model, m.action, std::move(*id)});
    }
    return out;  // other events (candidate_moved, …): accepted, nothing forwarded
  }

  std::string setup_instructions(const SubscriptionRequest& request) const override {
    std::string text =
        "1. In Recruitee, go to Settings > Apps and Plugins > Webhooks and click + New webhook (your hiring "
        "role needs the \"Manage webhooks\" ability under Add-ons).\n"
        "2. Fill in:\n"
        "   - Name: \"Tributary\" (any name works)\n"
        "   - POST URL: " +
        request.ingress_url +
        "\n"
        "   - Events: the events listed below\n"
        "3. Click Verify and create: Recruitee sends a test request, which this endpoint answers with 200.\n"
        "4. Copy the webhook's secret that Recruitee shows and paste it into the setup flow here (it is "
        "stored "
        "as this subscription's secret); deliveries are rejected until it is stored.\n"
        "Events to select:\n";
    for (const auto& event : request.event_types)
      text += "   - " + event + "\n";
    return text;
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  // GET /c/{company_id}/candidates/{id} → {"candidate":{…}}; /offers/{id} → {"offer":{…}}.
  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    if (!acceptable_id(remote_id)) return invalid("record ids are short alphanumeric strings");
    auto doc = get(ctx, "/" + resource(model) + "/" + common::encode_path_segment(remote_id));
    if (!doc) return doc.error();
    if (!*doc) return std::optional<bj::object>{};
    const bj::value* item =
        (*doc)->is_object()
            ? (*doc)->get_object().if_contains(model == Model::kAtsJobs ? "offer" : "candidate")
            : nullptr;
    if (item == nullptr || !item->is_object())
      return make_error(ErrorKind::kUpstream, "Recruitee answered without the record");
    auto mapped = map_resource(ctx, model, *item, references_of(**doc));
    if (!mapped) return make_error(ErrorKind::kUpstream, "Recruitee answered with a record without an id");
    return mapped;
  }

  // Candidates: `limit`/`offset` pages (`next` is the following offset while a page comes back full).
  // Offers: one unpaginated list.
  Result<RecordPage> list_records(const ApiContext& ctx, Model model,
                                  const std::string& page) const override {
    if (!supports_records(model)) return Connector::list_records(ctx, model, page);
    std::size_t offset = 0;
    if (!page.empty()) {
      if (model == Model::kAtsJobs || page.size() > 9 || !all_digits(page)) return invalid("bad page token");
      offset = std::stoul(page);
      if (offset > kMaxOffset) return invalid("bad page token");
    }
    std::string path = "/" + resource(model);
    if (model == Model::kAtsCandidates)
      path += "?limit=" + std::to_string(kPageSize) + "&offset=" + std::to_string(offset);
    auto doc = get(ctx, path);
    if (!doc) return doc.error();
    if (!*doc) return make_error(ErrorKind::kUpstream, "Recruitee answered 404 to a list request");
    const bj::value* items =
        (*doc)->is_object()
            ? (*doc)->get_object().if_contains(model == Model::kAtsJobs ? "offers" : "candidates")
            : nullptr;
    if (items == nullptr || !items->is_array())
      return make_error(ErrorKind::kUpstream, "Recruitee answered a list without its array");
    RecordPage out;
    const References refs = references_of(**doc);
    for (const auto& item : items->get_array())
      if (auto mapped = map_resource(ctx, model, item, refs)) out.records.push_back(std::move(*mapped));
    // A full page may have a successor; a longer one means the limit was ignored (everything came back).
    if (model == Model::kAtsCandidates && items->get_array().size() == kPageSize &&
        offset + kPageSize <= kMaxOffset)
      out.next = std::to_string(offset + kPageSize);
    return out;
  }

 private:
  static std::string resource(Model model) { return model == Model::kAtsJobs ? "offers" : "candidates"; }

  static Result<std::optional<bj::value>> get(const ApiContext& ctx, const std::string& path) {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    auto company = common::credential(ctx, "company_id");
    if (!company) return company.error();
    http::ClientRequest req = common::authorized_request(
        ctx, "GET", common::join_url(ctx.base_url, "/c/" + common::encode_path_segment(*company) + path),
        {"Authorization", "Bearer " + *key});
    return common::json_or_gone(kDisplayName, common::get_with_retry(ctx, std::move(req)), {*key});
  }
};

}  // namespace

void register_recruitee(Registry& registry) {
  registry.add(std::make_unique<RecruiteeConnector>());
}

}  // namespace tributary::connectors
