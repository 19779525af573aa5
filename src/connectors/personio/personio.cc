#include "connectors/personio/personio.h"

#include <initializer_list>
#include <memory>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/token_cache.h"
#include "connectors/common/verify.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "Personio";
constexpr std::string_view kUnauthorizedMessage = "Personio rejected the API credentials";
constexpr std::string_view kPermissionMessage =
    "In Personio, open Settings › Integrations › API credentials, edit the credentials used for this "
    "integration "
    "and grant the 'Webhooks' permission (scope personio:webhooks:write), then reconnect.";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Personio: " + std::move(reason));
}

// 401 and 403 mean the same thing wherever they come from: the credentials do not work, or lack the webhooks
// permission. Everything else is a vendor failure worth retrying later.
Error api_error(std::string_view what, const http::ClientResponse& response,
                const std::vector<std::string_view>& secrets) {
  if (response.status == 401) return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
  if (response.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
  return make_error(ErrorKind::kUpstream,
                    std::string(what) + " failed: " + common::describe_failure(kVendor, response, secrets));
}

using common::first_id;

class PersonioConnector final : public ListingConnector {
 public:
  std::string_view tool() const override { return "personio"; }
  std::string_view display_name() const override { return "Personio"; }
  Category category() const override { return Category::kHris; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kHrisEmployees, Action::kCreated, {"person.created"}, ""},
        {Model::kHrisEmployees,
         Action::kUpdated,
         {"person.updated"},
         "fires only for first/last/preferred name, gender, language, email and custom attributes"},
        {Model::kHrisEmployees, Action::kDeleted, {"person.deleted"}, ""},
        {Model::kHrisAbsences, Action::kCreated, {"absence-period.created"}, ""},
        {Model::kHrisAbsences,
         Action::kUpdated,
         {"absence-period.updated.timerange", "absence-period.updated.status"},
         ""},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json).

  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.personio.de";
    return {{"POST", h, "/v2/auth/token", {}, {"grant_type", "client_id", "client_secret"}, "none"},
            {"POST", h, "/v2/webhooks", {}, {"url", "description", "enabled_events"}, "bearer"},
            {"GET", h, "/v2/webhooks/{id}", {}, {}, "bearer"},
            {"DELETE", h, "/v2/webhooks/{id}", {}, {}, "bearer"},
            {"GET", h, "/v2/persons", {}, {}, "bearer"},
            {"GET", h, "/v2/persons/{id}", {}, {}, "bearer"},
            {"GET", h, "/v2/persons/{person_id}/employments", {}, {}, "bearer"},
            {"GET", h, "/v2/absence-periods", {}, {}, "bearer"}};
  }

  // The sources: testdata/contract/README.md.

  // developer.personio.de/changelog/rate-limits-on-get-employees-endpoint-may-6-2024: GET employees 300 per
  // minute with bursts of at most 15 per second, 429 when exceeded (wait at least 1 s);
  // developer.personio.de/v2.0/reference/authentication: the auth endpoint 150 per minute (v1: 60, with a
  // 60 s cool-down). 5 per second keeps both the minute and the burst limit for every endpoint.
  // Concurrency: not published (4).
  ApiLimits api_limits() const override {
    return {
        5, 1000, 4, {{"GET", "/v1/company/employees", 300, 60'000, 0}, {"POST", "/v1/auth", 60, 60'000, 0}}};
  }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorSchema,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kInferred,
            .get = Evidence::kThirdParty,
            .list = Evidence::kThirdParty,
            .incremental = Evidence::kVendorSchema};
  }

  std::vector<std::string> credential_keys() const override { return {"client_id", "client_secret"}; }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://api.personio.de";
  }

  // Personio sends the token we chose back verbatim in Authorization. "Bearer <token>" is tolerated too, in
  // case a proxy or a future API version adds the scheme. Both forms are compared for every secret, hashed,
  // so neither the token's content nor its length leaks through timing.
  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    auto secrets = common::usable_secrets(keys);
    if (secrets.empty()) return common::rejected("no token is configured for this subscription yet");
    auto header = common::single_header(request, "Authorization");
    if (!header) return common::rejected(header.error().message);
    const std::string_view value = *header;
    const auto bearer = common::strip_prefix(value, "Bearer ", true);

    std::optional<std::size_t> verbatim_match;
    std::optional<std::size_t> bearer_match;
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      const bool verbatim = common::secure_equal_hashed(value, secrets[i]);
      const bool with_scheme = common::secure_equal_hashed(bearer.value_or(std::string_view{}), secrets[i]);
      if (verbatim && !verbatim_match) verbatim_match = i;
      if (bearer && with_scheme && !bearer_match) bearer_match = i;
    }
    if (verbatim_match) return common::verified("static token in Authorization (verbatim)", *verbatim_match);
    if (bearer_match)
      return common::verified("static token in Authorization (Bearer <token>)", *bearer_match);
    return common::rejected("Authorization does not carry the subscription's token");
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto event_name = json::get_string(*doc, "event_name");
    if (!event_name || event_name->empty()) return invalid("body has no \"event_name\" string");
    const bj::value* payload = json::find(*doc, "payload");
    if (payload == nullptr || !payload->is_object())
      return invalid("\"payload\" is missing or not an object");

    ParsedEvent out;
    out.vendor_event = *event_name;
    const std::string& name = *event_name;

    // vendors.md: the id is "probably payload.id [unconfirmed]"; the other names are tolerated.
    const bool person = name.rfind("person.", 0) == 0;
    const bool absence = name.rfind("absence-period.", 0) == 0;
    std::optional<std::string> remote_id = person    ? first_id(*payload, {"id", "person_id", "employee_id"})
                                           : absence ? first_id(*payload, {"id", "absence_period_id"})
                                                     : first_id(*payload, {"id"});

    std::optional<UnifiedEvent> event;
    if (name == "person.created") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kCreated, {}};
    } else if (name == "person.updated") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kUpdated, {}};
    } else if (name == "person.deleted") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kDeleted, {}};
    } else if (name == "absence-period.created") {
      event = UnifiedEvent{Model::kHrisAbsences, Action::kCreated, {}};
    } else if (name == "absence-period.updated.timerange" || name == "absence-period.updated.status") {
      event = UnifiedEvent{Model::kHrisAbsences, Action::kUpdated, {}};
    }
    // absence-period.deleted exists but the product promises no "absence deleted": it maps to nothing, like
    // any other event we do not relay.
    if (event) {
      if (!remote_id) return invalid("payload has no id for " + name);
      event->remote_id = *remote_id;
      out.events.push_back(std::move(*event));
    }

    // Personio documents no delivery id. A redelivery repeats the same notification, so event, record and
    // time together identify it.
    auto occurred_at = json::get_string(*doc, "occurred_at");
    if (remote_id && occurred_at && !occurred_at->empty()) {
      out.delivery_id = name + ":" + *remote_id + ":" + *occurred_at;
    }
    return out;
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    return with_token(ctx, [&](const std::string& token) -> Result<RemoteSubscription> {
      return create_subscription_with(ctx, request, token);
    });
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return make_error(ErrorKind::kInvalidArgument, "Personio: empty webhook id");
    return with_token(ctx, [&](const std::string& token) -> Status {
      const std::vector<std::string_view> secrets = secrets_of(ctx, token, {});
      http::ClientRequest req = authorized(
          ctx, "DELETE",
          common::join_url(ctx.base_url, "/v2/webhooks/" + common::encode_path_segment(remote_id)), token);
      http::ClientResponse resp = ctx.send(std::move(req));
      // 404: the webhook is already gone (deleted by hand, or an earlier attempt succeeded): the goal is
      // reached.
      if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
      return api_error("deleting the webhook", resp, secrets);
    });
  }

  // GET /v2/webhooks/{id}: 200 = still there, 404 = deleted at the tool.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return false;
    return with_token(ctx, [&](const std::string& token) -> Result<bool> {
      const std::vector<std::string_view> secrets = secrets_of(ctx, token, {});
      http::ClientRequest req = authorized(
          ctx, "GET",
          common::join_url(ctx.base_url, "/v2/webhooks/" + common::encode_path_segment(remote_id)), token);
      http::ClientResponse resp = ctx.send(std::move(req));
      if (resp.status == 404) return false;
      if (resp.status >= 200 && resp.status <= 299) return true;
      return api_error("looking up the webhook", resp, secrets);
    });
  }

  bool supports_records(Model model) const override {
    return model == Model::kHrisEmployees || model == Model::kHrisAbsences;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    return with_token(ctx, [&](const std::string& token) -> Result<std::optional<bj::object>> {
      return fetch_record_with(ctx, model, remote_id, token);
    });
  }

  // updated_at.gt on persons, updated_at.gte on absence periods [3rd], on the first request; the next links
  // carry it on.
  bool lists_changes(Model model) const override { return supports_records(model); }

 private:
  Result<RemoteSubscription> create_subscription_with(const ApiContext& ctx,
                                                      const SubscriptionRequest& request,
                                                      const std::string& token) const {
    const std::vector<std::string_view> secrets = secrets_of(ctx, token, request.secret);

    bj::object body;
    body["url"] = request.ingress_url;
    body["description"] = "Tributary";
    bj::array events;
    for (const auto& e : request.event_types)
      events.emplace_back(e);
    body["enabled_events"] = std::move(events);
    body["status"] = "ENABLED";
    body["auth_type"] = "TOKEN";
    body["token"] = request.secret;

    http::ClientRequest req = authorized(ctx, "POST", common::join_url(ctx.base_url, "/v2/webhooks"), token);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(body);
    http::ClientResponse resp = ctx.send(std::move(req));
    if (resp.status < 200 || resp.status > 299) return api_error("creating the webhook", resp, secrets);

    auto parsed = json::parse(resp.body);
    std::optional<std::string> id;
    if (parsed) {
      id = json::get_id(*parsed, "id");
      if (!id) id = json::get_id(*parsed, "_data.id");
    }
    if (!id || id->empty()) {
      return make_error(ErrorKind::kUpstream, "Personio answered " + std::to_string(resp.status) +
                                                  " to creating the webhook but sent no webhook id");
    }
    return RemoteSubscription{std::move(*id), request.secret};
  }

  Result<std::optional<bj::object>> fetch_record_with(const ApiContext& ctx, Model model,
                                                      const std::string& remote_id,
                                                      const std::string& token) const {
    const std::vector<std::string_view> secrets = secrets_of(ctx, token, {});
    const std::string id = common::encode_path_segment(remote_id);
    if (model == Model::kHrisAbsences) {
      // Personio documents no GET /v2/absence-periods/{id}: one absence period is read through the list's
      // `id` filter, and an empty page means it is gone.
      auto page =
          get_json(ctx, "/v2/absence-periods?" + common::form_encode({{"id", remote_id}}), token, secrets);
      if (!page) return page.error();
      if (!*page) return std::optional<bj::object>{};
      const bj::value* data = json::find(**page, "_data");
      if (data == nullptr || !data->is_array())
        return make_error(ErrorKind::kUpstream, "Personio's absence-periods answer has no \"_data\" list");
      for (const auto& item : data->get_array()) {
        const bj::value* item_id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
        if (item_id != nullptr && item_id->is_string() && item_id->get_string() == remote_id)
          return std::optional<bj::object>(map_absence(ctx, item.get_object(), remote_id));
      }
      return std::optional<bj::object>{};
    }
    auto person = get_json(ctx, "/v2/persons/" + id, token, secrets);
    if (!person) return person.error();
    if (!*person || !(*person)->is_object()) return std::optional<bj::object>{};
    // The job title, status, dates and hours live on the person's employment(s).
    auto employments = get_json(ctx, "/v2/persons/" + id + "/employments", token, secrets);
    if (!employments) return employments.error();
    const bj::object* employment = nullptr;
    if (*employments) {
      const bj::value* data = json::find(**employments, "_data");
      if (data != nullptr && data->is_array() && !data->get_array().empty() &&
          data->get_array().front().is_object())
        employment = &data->get_array().front().get_object();
    }
    return std::optional<bj::object>(map_person(ctx, (*person)->get_object(), employment, remote_id));
  }

  // Personio v2 lists: GET /v2/persons (limit ≤ 50) and /v2/absence-periods (limit ≤ 100), envelope
  // {"_data": [...], "_meta": {"links": {"next": {"href"}}}}; the next page is the absolute `next.href`
  // (followed only on the API's own origin) until it is absent. A person's job title, status and dates live
  // on its employments, read per person as fetch_record does.
  Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                               std::optional<Millis> since) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    std::string url;
    if (page.empty()) {
      url = common::join_url(ctx.base_url, model == Model::kHrisAbsences ? "/v2/absence-periods?limit=100"
                                                                         : "/v2/persons?limit=50");
      if (since)
        url += std::string(model == Model::kHrisAbsences ? "&updated_at.gte=" : "&updated_at.gt=") +
               format_iso8601(*since);
    } else {
      if (!common::same_origin(page, ctx.base_url))
        return make_error(ErrorKind::kInvalidArgument,
                          "Personio: the next-page link is not on the API's host");
      url = page;
    }
    return with_token(ctx, [&](const std::string& token) -> Result<RecordPage> {
      const std::vector<std::string_view> secrets = secrets_of(ctx, token, {});
      // Lists are read by syncs, which can afford to wait out a Retry-After (bounded) rather than fail.
      http::ClientResponse resp =
          common::get_with_retry(ctx, authorized(ctx, "GET", url, token), 5, std::chrono::seconds(30));
      auto body = common::json_or_gone(kVendor, resp, secrets);
      if (!body && body.error().kind == ErrorKind::kUnauthorized)
        return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
      if (!body) return body.error();
      RecordPage out;
      if (!*body) return out;
      const bj::value* data = json::find(**body, "_data");
      if (data == nullptr || !data->is_array())
        return make_error(ErrorKind::kUpstream, "Personio answered a list without a \"_data\" array");
      for (const auto& item : data->get_array()) {
        if (!item.is_object()) continue;
        const bj::value id = common::string_or_null(item.get_object().if_contains("id"));
        if (!id.is_string() || id.get_string().empty()) continue;
        const std::string remote_id(id.get_string());
        if (model == Model::kHrisAbsences) {
          out.records.push_back(map_absence(ctx, item.get_object(), remote_id));
          continue;
        }
        auto employments = get_json(
            ctx, "/v2/persons/" + common::encode_path_segment(remote_id) + "/employments", token, secrets);
        if (!employments) return employments.error();
        const bj::object* employment = nullptr;
        if (*employments) {
          const bj::value* list = json::find(**employments, "_data");
          if (list != nullptr && list->is_array() && !list->get_array().empty() &&
              list->get_array().front().is_object())
            employment = &list->get_array().front().get_object();
        }
        out.records.push_back(map_person(ctx, item.get_object(), employment, remote_id));
      }
      if (auto next = json::get_string(**body, "_meta.links.next.href");
          next && !next->empty() && *next != url) {
        if (!common::same_origin(*next, ctx.base_url))
          return make_error(ErrorKind::kUpstream, "Personio sent a next-page link to another host");
        out.next = std::move(*next);
      }
      return out;
    });
  }

  static Result<std::optional<bj::value>> get_json(const ApiContext& ctx, const std::string& path,
                                                   std::string_view token,
                                                   const std::vector<std::string_view>& secrets) {
    http::ClientResponse resp =
        common::get_with_retry(ctx, authorized(ctx, "GET", common::join_url(ctx.base_url, path), token));
    auto out = common::json_or_gone(kVendor, resp, secrets);
    if (!out && out.error().kind == ErrorKind::kUnauthorized)
      return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
    return out;
  }

  static const bj::value* field(const bj::object* o, std::string_view key) {
    return o == nullptr ? nullptr : o->if_contains(key);
  }

  static bj::value employment_status(const bj::value* v) {
    if (v == nullptr || !v->is_string()) return nullptr;
    const std::string_view s = v->get_string();
    if (s == "ACTIVE" || s == "INACTIVE" || s == "LEAVE") return bj::value(s);
    if (s == "ONBOARDING" || s == "PENDING") return "PENDING";
    return nullptr;
  }

  static bj::value gender(const bj::value* v) {
    if (v == nullptr || !v->is_string()) return nullptr;
    const std::string_view s = v->get_string();
    if (s == "MALE" || s == "FEMALE") return bj::value(s);
    if (s == "DIVERSE" || s == "NON_BINARY") return "NON_BINARY";
    return nullptr;  // UNKNOWN / UNDEFINED: the person did not say
  }

  static bj::object map_person(const ApiContext& ctx, const bj::object& p, const bj::object* employment,
                               const std::string& remote_id) {
    const bj::value first = common::string_or_null(p.if_contains("first_name"));
    const bj::value last = common::string_or_null(p.if_contains("last_name"));
    const bj::value preferred = common::string_or_null(p.if_contains("preferred_name"));
    bj::value display = nullptr;
    if (preferred.is_string() && !preferred.get_string().empty()) {
      display = preferred;
    } else if (first.is_string() || last.is_string()) {
      std::string name = first.is_string() ? std::string(first.get_string()) : std::string();
      if (last.is_string()) name += (name.empty() ? "" : " ") + std::string(last.get_string());
      display = bj::value(name);
    }
    bj::value custom = bj::object{};
    if (const auto* attrs = p.if_contains("custom_attributes"); attrs != nullptr && attrs->is_array()) {
      for (const auto& a : attrs->get_array()) {
        if (!a.is_object()) continue;
        auto key = common::string_or_null(a.get_object().if_contains("label"));
        if (!key.is_string()) key = common::string_or_null(a.get_object().if_contains("id"));
        const auto* value = a.get_object().if_contains("value");
        if (key.is_string()) custom.get_object()[key.get_string()] = value ? *value : bj::value(nullptr);
      }
    }
    const bj::value* position = field(employment, "position");
    const bj::object* position_obj =
        position != nullptr && position->is_object() ? &position->get_object() : nullptr;
    return bj::object{
        {"id", common::unified_id(ctx.integration_id, "hris_employees", remote_id)},
        {"remote_id", remote_id},
        {"employee_number", nullptr},
        {"first_name", first},
        {"last_name", last},
        {"nationality", nullptr},
        {"display_full_name", display},
        {"job_title", common::string_or_null(field(position_obj, "title"))},
        {"work_email", common::string_or_null(p.if_contains("email"))},
        {"personal_email", nullptr},
        {"mobile_phone_number", nullptr},
        {"ssn", nullptr},
        {"tax_id", nullptr},
        {"gender", gender(p.if_contains("gender"))},
        {"ethnicity", nullptr},
        {"marital_status", nullptr},
        {"employment_status",
         employment_status(employment != nullptr ? field(employment, "status") : p.if_contains("status"))},
        {"employment_type", nullptr},
        {"weekly_hours", common::number_or_null(field(employment, "weekly_working_hours"))},
        {"avatar", nullptr},
        {"work_location_id", nullptr},
        {"legal_entity_id", nullptr},
        {"manager_id", nullptr},
        {"home_address", nullptr},
        {"bank_accounts", nullptr},
        {"date_of_birth", nullptr},
        {"start_date", common::iso_or_null(field(employment, "start_date"))},
        {"termination_date", common::iso_or_null(field(employment, "termination_date"))},
        {"remote_created_at", common::iso_or_null(p.if_contains("created_at"))},
        {"changed_at", nullptr},
        {"remote_deleted_at", nullptr},
        {"custom_fields", std::move(custom)},
        {"employments", bj::array{}},
        {"time_off_balances", bj::array{}},
        {"manager", nullptr},
        {"groups", bj::array{}},
        {"legal_entity", nullptr},
        {"work_location", nullptr},
    };
  }

  static bj::value absence_status(const bj::value* approval) {
    const bj::value* s =
        approval != nullptr && approval->is_object() ? approval->get_object().if_contains("status") : nullptr;
    if (s == nullptr || !s->is_string()) return nullptr;
    const std::string_view v = s->get_string();
    if (v == "PENDING" || v == "REQUESTED") return "REQUESTED";
    if (v == "REJECTED" || v == "DECLINED") return "DECLINED";
    if (v == "APPROVED" || v == "CANCELLED") return bj::value(v);
    return nullptr;
  }

  static bj::object map_absence(const ApiContext& ctx, const bj::object& a, const std::string& remote_id) {
    auto sub = [&](std::string_view key) -> const bj::object* {
      const auto* v = a.if_contains(key);
      return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
    };
    const bj::object* starts = sub("starts_from");
    const bj::object* ends = sub("ends_at");
    const bj::object* person = sub("person");
    const bj::object* type = sub("absence_type");
    const bj::value person_id = common::string_or_null(field(person, "id"));
    const bj::value type_id = common::string_or_null(field(type, "id"));
    auto date_of = [](const bj::value* v) -> bj::value {
      if (v == nullptr || !v->is_string() || v->get_string().size() < 10) return nullptr;
      return bj::value(std::string(
          std::string_view(v->get_string()).substr(0, 10)));  // the calendar day, as Personio has it
    };
    auto type_is = [](const bj::object* o, std::string_view want) -> bj::value {
      const bj::value* t = field(o, "type");
      if (t == nullptr || !t->is_string()) return nullptr;
      return t->get_string() == want;
    };
    bj::value unified_type = nullptr;
    std::string unified_type_id;
    if (type_id.is_string()) {
      unified_type_id = common::unified_id(ctx.integration_id, "hris_absence_types", type_id.get_string());
      unified_type = bj::object{{"id", unified_type_id},
                                {"remote_id", type_id},
                                {"name", common::string_or_null(field(type, "name"))},
                                {"unit", nullptr},
                                {"half_days_supported", nullptr},
                                {"exact_times_supported", nullptr},
                                {"changed_at", nullptr},
                                {"remote_deleted_at", nullptr}};
    }
    return bj::object{
        {"id", common::unified_id(ctx.integration_id, "hris_absences", remote_id)},
        {"remote_id", remote_id},
        {"employee_id",
         person_id.is_string()
             ? bj::value(common::unified_id(ctx.integration_id, "hris_employees", person_id.get_string()))
             : bj::value("")},
        {"start_date", date_of(field(starts, "date_time"))},
        {"end_date", date_of(field(ends, "date_time"))},
        {"start_half_day", type_is(starts, "SECOND_HALF")},
        {"end_half_day", type_is(ends, "FIRST_HALF")},
        {"start_time", nullptr},
        {"end_time", nullptr},
        {"amount", nullptr},
        {"unit", nullptr},
        {"status", absence_status(a.if_contains("approval"))},
        {"employee_note", common::string_or_null(a.if_contains("comment"))},
        {"type_id", unified_type_id.empty() ? bj::value(nullptr) : bj::value(unified_type_id)},
        {"remote_created_at", common::iso_or_null(a.if_contains("created_at"))},
        {"remote_updated_at", common::iso_or_null(a.if_contains("updated_at"))},
        {"changed_at", nullptr},
        {"remote_deleted_at", nullptr},
        {"type", std::move(unified_type)},
    };
  }

  // Runs `call` with an access token: a cached one while it is still good, else a new one. When the tool
  // refuses a cached token (401, e.g. revoked), it is dropped and `call` runs once more with a new one, so a
  // refusal reads exactly as it did before tokens were cached.
  template <typename Call>
  auto with_token(const ApiContext& ctx, Call&& call) const -> decltype(call(std::string())) {
    bool cached = false;
    auto token = access_token(ctx, cached);
    if (!token) return token.error();
    auto result = call(*token);
    if (cached && !result.ok() && result.error().kind == ErrorKind::kUnauthorized) {
      tokens_.forget(token_key(ctx), *token);
      token = access_token(ctx, cached);
      if (!token) return token.error();
      result = call(*token);
    }
    return result;
  }

  static std::string token_key(const ApiContext& ctx) {
    auto text = [&ctx](const char* key) -> std::string_view {
      const auto* v = ctx.credentials.if_contains(key);
      return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
    };
    return common::TokenCache::key_for(ctx.integration_id, common::join_url(ctx.base_url, "/v2/auth/token"),
                                       {text("client_id"), text("client_secret")});
  }

  // Personio's tokens live a day (`expires_in`); one is asked for only when none is cached for the
  // integration and its credentials (`cached` says which).
  Result<std::string> access_token(const ApiContext& ctx, bool& cached) const {
    cached = false;
    auto client_id = common::credential(ctx, "client_id");
    if (!client_id) return client_id.error();
    auto client_secret = common::credential(ctx, "client_secret");
    if (!client_secret) return client_secret.error();
    const std::string key = token_key(ctx);
    if (auto hit = tokens_.find(key, now_ms())) {
      cached = true;
      return std::move(*hit);
    }
    common::TokenRequest token_request;
    token_request.url = common::join_url(ctx.base_url, "/v2/auth/token");
    token_request.form = {
        {"grant_type", "client_credentials"}, {"client_id", *client_id}, {"client_secret", *client_secret}};
    const Millis asked_at = now_ms();
    auto token = common::fetch_access_token_with_lifetime(ctx, kVendor, token_request, {*client_secret});
    if (!token && token.error().kind == ErrorKind::kUnauthorized) {
      return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
    }
    if (!token && token.error().kind == ErrorKind::kForbidden) {
      return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
    }
    if (!token) return token.error();
    tokens_.store(key, token->token, asked_at, token->expires_in);
    return std::move(token->token);
  }

  // Strings that must never appear in an error message built from a vendor response.
  static std::vector<std::string_view> secrets_of(const ApiContext& ctx, std::string_view token,
                                                  std::string_view subscription_secret) {
    std::vector<std::string_view> out = {token};
    if (!subscription_secret.empty()) out.push_back(subscription_secret);
    auto it = ctx.credentials.find("client_secret");
    if (it != ctx.credentials.end() && it->value().is_string()) out.emplace_back(it->value().get_string());
    return out;
  }

  static http::ClientRequest authorized(const ApiContext& ctx, std::string method, std::string url,
                                        std::string_view token) {
    return common::authorized_request(ctx, std::move(method), std::move(url),
                                      {"Authorization", "Bearer " + std::string(token)});
  }

  mutable common::TokenCache tokens_;  // the integrations' access tokens (thread-safe)
};

}  // namespace

void register_personio(Registry& registry) {
  registry.add(std::make_unique<PersonioConnector>());
}

}  // namespace tributary::connectors
