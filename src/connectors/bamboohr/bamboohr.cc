#include "connectors/bamboohr/bamboohr.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "connectors/bamboohr/bamboohr_records.h"
#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "BambooHR";
constexpr std::string_view kSignatureHeader = "X-BambooHR-Signature";
constexpr std::string_view kTimestampHeader = "X-BambooHR-Timestamp";
// How far X-BambooHR-Timestamp may lie from our clock. BambooHR signs each attempt when it sends it (retries
// come minutes apart and are signed anew), so a delivery older than this is a replay.
constexpr common::FreshnessWindow kFreshness{.max_age_ms = 5 * 60 * 1000, .max_ahead_ms = 5 * 60 * 1000};
// The whole time-off history: BambooHR requires a date range and has no "all" form.
constexpr std::string_view kTimeOffStart = "1900-01-01";
constexpr std::string_view kTimeOffEnd = "2100-12-31";
constexpr int kEmployeePageSize = 100;
// The page token of an employee listing: the last employee id read.
constexpr std::string_view kEmployeePagePrefix = "after:";
// employee.updated fires only for monitored fields; these are the ones the unified employee is built from.
constexpr std::string_view kMonitorFields[] = {"firstName", "lastName",   "preferredName",   "workEmail",
                                               "jobTitle",  "department", "division",        "location",
                                               "status",    "hireDate",   "terminationDate", "supervisorEId"};
constexpr std::string_view kPermissionMessage =
    "BambooHR refused to manage webhooks for this API key. In BambooHR, the user who owns the API key needs "
    "an "
    "access level that allows API access and can see the employee fields the webhook monitors (Settings › "
    "Access "
    "Levels); if webhooks are not enabled for the account, ask BambooHR support to enable them. Then "
    "reconnect.";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "BambooHR: " + std::move(reason));
}

// A company domain is one DNS label: it becomes part of a host name and of a path.
bool valid_company_domain(std::string_view d) {
  if (d.empty() || d.size() > 63) return false;
  return std::all_of(d.begin(), d.end(), [](unsigned char c) { return std::isalnum(c) != 0 || c == '-'; });
}

Result<std::string> company_domain(const ApiContext& ctx) {
  auto domain = common::credential(ctx, "company_domain");
  if (!domain) return domain.error();
  if (!valid_company_domain(*domain))
    return invalid("company_domain must be the account's subdomain (letters, digits, '-')");
  return domain;
}

class BambooHrConnector final : public Connector {
 public:
  explicit BambooHrConnector(const Clock& clock) : clock_(clock) {}

  std::string_view tool() const override { return "bamboohr"; }
  std::string_view display_name() const override { return "BambooHR"; }
  Category category() const override { return Category::kHris; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kHrisEmployees,
         Action::kCreated,
         {"employee.created"},
         "BambooHR also fires employee.updated right after employee.created"},
        {Model::kHrisEmployees,
         Action::kUpdated,
         {"employee.updated"},
         "fires only when a monitored field changes"},
        {Model::kHrisEmployees, Action::kDeleted, {"employee.deleted"}, ""},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json).

  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://{companyDomain}.bamboohr.com";
    return {{"GET", h, "/api/v1/employees/changed", {"since"}, {}, "basic"},
            {"GET", h, "/api/v1/employees/{id}", {}, {}, "basic"},
            {"GET", h, "/api/v1/time_off/requests", {"start", "end"}, {}, "basic"},
            {"POST", h, "/api/v1/webhooks", {}, {"name", "url", "format"}, "basic"},
            {"GET", h, "/api/v1/webhooks/monitor_fields", {}, {}, "basic"},
            {"GET", h, "/api/v1/webhooks/{id}", {}, {}, "basic"},
            {"DELETE", h, "/api/v1/webhooks/{id}", {}, {}, "basic"}};
  }

  // The sources: testdata/contract/README.md.

  // Not published; BambooHR answers 503 with Retry-After when a client goes too fast (sometimes 429), which
  // the budget treats as a 429: the conservative default.
  ApiLimits api_limits() const override { return unpublished_limits(); }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorSchema,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kVendorExample,
            .get = Evidence::kVendorSchema,
            .list = Evidence::kVendorSchema,
            .incremental = Evidence::kVendorSchema};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key", "company_domain"}; }

  std::string default_base_url(const bj::object& credentials) const override {
    const bj::value* d = credentials.if_contains("company_domain");
    if (d == nullptr || !d->is_string() || !valid_company_domain(d->get_string()))
      return "https://bamboohr.com";
    return "https://" + std::string(d->get_string()) + ".bamboohr.com";
  }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    if (common::usable_secrets(keys).empty())
      return common::rejected("no private key is configured for this webhook yet");
    auto signature = common::single_header(request, kSignatureHeader);
    if (!signature) return common::rejected(signature.error().message);
    auto timestamp = common::single_header(request, kTimestampHeader);
    if (!timestamp) return common::rejected(timestamp.error().message);

    auto provided = common::decode_hex_digest(common::trim(*signature), 32);
    if (!provided) return common::rejected(std::string(kSignatureHeader) + ": " + provided.error().message);

    // Public code sends the timestamp as Unix seconds (milliseconds tolerated), one example as ISO-8601 with
    // the offset written "+0000" as in BambooHR's payloads.
    const auto fresh = common::check_timestamp(clock_, kTimestampHeader, *timestamp,
                                               common::TimestampFormat::kUnixOrIso8601, kFreshness);
    if (!fresh) return common::rejected(fresh.error().message);

    // The signature covers the body followed by the timestamp exactly as sent.
    std::string message = request.body;
    message.append(*timestamp);
    auto matched = common::match_secret(
        keys, *provided, [&](std::string_view secret) { return crypto::hmac_sha256(secret, message); });
    if (!matched)
      return common::rejected(std::string(kSignatureHeader) +
                              " does not match the body and timestamp signed with the webhook's private key");

    // Say which form arrived.
    const std::string_view ts = common::trim(*timestamp);
    const bool numeric =
        std::all_of(ts.begin(), ts.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    return common::verified(
        std::string("hmac-sha256 hex in X-BambooHR-Signature over body + X-BambooHR-Timestamp (") +
            (numeric ? (ts.size() >= 13 ? "unix milliseconds" : "unix seconds") : "ISO-8601") + ")",
        *matched);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    const std::string_view body = common::trim(request.body);
    if (!body.empty() && body.front() != '{') return parse_form(request);
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    if (doc->get_object().contains("employees")) return parse_field_based(request, *doc);

    auto type = json::get_string(*doc, "type");
    if (!type || type->empty())
      return invalid("body has neither a \"type\" string nor an \"employees\" list");
    const bj::value* data = json::find(*doc, "data");
    std::optional<std::string> employee_id;
    if (data != nullptr && data->is_object()) employee_id = json::get_id(*data, "employeeId");
    auto timestamp = json::get_string(*doc, "timestamp");
    return event_based(*type, employee_id, timestamp.value_or(""));
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto auth = basic_auth(ctx);  // checks company_domain too
    if (!auth) return auth.error();
    const auto secrets = secrets_of(ctx);

    bj::object body;
    body["name"] = "Tributary";
    body["url"] = request.ingress_url;
    body["format"] = "json";
    bj::array events;
    bool updated = false;
    for (const auto& e : request.event_types) {
      events.emplace_back(e);
      updated = updated || e == "employee.updated";
    }
    body["events"] = std::move(events);
    if (updated) {
      // Only fields the account offers (GET …/webhooks/monitor_fields) may be monitored: BambooHR answers 400
      // for any other. When the list cannot be read, ask for all and let BambooHR say what is wrong.
      const std::set<std::string> offered = monitorable_fields(ctx, *auth);
      bj::array fields;
      for (std::string_view f : kMonitorFields)
        if (offered.empty() || offered.count(std::string(f)) > 0) fields.emplace_back(f);
      body["monitorFields"] = std::move(fields);
    }

    http::ClientRequest req = authorized(ctx, "POST", webhooks_url(ctx, ""), *auth);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(body);
    http::ClientResponse resp = ctx.send(std::move(req));
    if (resp.status < 200 || resp.status > 299) return api_error("creating the webhook", resp, secrets);

    auto parsed = json::parse(resp.body);
    std::optional<std::string> id;
    std::optional<std::string> key;
    if (parsed && parsed->is_object()) {
      id = json::get_id(*parsed, "id");
      key = json::get_string(*parsed, "privateKey");
    }
    if (!id || id->empty()) {
      return make_error(ErrorKind::kUpstream, "BambooHR answered " + std::to_string(resp.status) +
                                                  " to creating the webhook but sent no webhook id");
    }
    if (!key || key->empty()) {
      return make_error(
          ErrorKind::kUpstream,
          "BambooHR created webhook " + *id +
              " but returned no privateKey: its deliveries cannot be verified (delete it and retry)");
    }
    return RemoteSubscription{std::move(*id), std::move(*key)};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return invalid("empty webhook id");
    auto auth = basic_auth(ctx);  // checks company_domain too
    if (!auth) return auth.error();
    http::ClientRequest req =
        authorized(ctx, "DELETE", webhooks_url(ctx, common::encode_path_segment(remote_id)), *auth);
    http::ClientResponse resp = ctx.send(std::move(req));
    // 404: already gone (deleted in BambooHR, or an earlier attempt succeeded): the goal is reached.
    if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
    return api_error("deleting the webhook", resp, secrets_of(ctx));
  }

  // GET …/webhooks/{id} (BambooHR API reference, Webhooks › "Get Webhook"; the permissioned webhooks API,
  // https://documentation.bamboohr.com/docs/webhook-api-permissioned): 404 = deleted in BambooHR.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return false;
    auto auth = basic_auth(ctx);  // checks company_domain too
    if (!auth) return auth.error();
    http::ClientResponse resp = common::get_with_retry(
        ctx, authorized(ctx, "GET", webhooks_url(ctx, common::encode_path_segment(remote_id)), *auth));
    if (resp.status == 404) return false;
    if (resp.status >= 200 && resp.status <= 299) return true;
    return api_error("looking up the webhook", resp, secrets_of(ctx));
  }

  bool supports_records(Model model) const override {
    return model == Model::kHrisEmployees || model == Model::kHrisAbsences;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();

    if (model == Model::kHrisEmployees) return fetch_employee(ctx, remote_id, *auth);

    auto doc = get_json(ctx, time_off_path() + "&id=" + query_value(remote_id), *auth);
    if (!doc) return doc.error();
    if (!*doc || !(*doc)->is_array()) return std::optional<bj::object>{};
    // The `id` filter narrows the answer to the request; the match is checked anyway.
    for (const auto& item : (*doc)->get_array()) {
      if (!item.is_object()) continue;
      auto id = json::get_id(item, "id");
      if (id && *id == remote_id)
        return std::optional<bj::object>(bamboohr::map_time_off_request(ctx, item.get_object(), remote_id));
    }
    return std::optional<bj::object>{};
  }

  Result<RecordPage> list_records(const ApiContext& ctx, Model model,
                                  const std::string& page) const override {
    if (!supports_records(model)) return Connector::list_records(ctx, model, page);
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();
    RecordPage out;

    if (model == Model::kHrisAbsences) {
      // A bare array without paging: everything comes in one answer.
      auto doc = get_json(ctx, time_off_path(), *auth);
      if (!doc) return doc.error();
      if (!*doc)
        return make_error(ErrorKind::kUpstream, "BambooHR answered 404 to listing time-off requests");
      if (!(*doc)->is_array())
        return make_error(ErrorKind::kUpstream, "BambooHR's time-off list is not an array");
      for (const auto& item : (*doc)->get_array()) {
        if (!item.is_object()) continue;
        auto id = json::get_id(item, "id");
        if (!id || id->empty()) continue;
        out.records.push_back(bamboohr::map_time_off_request(ctx, item.get_object(), *id));
      }
      return out;
    }

    return list_employees(ctx, page, std::nullopt, *auth);
  }

  // GET /api/v1/employees/changed takes `since`: a delta lists only the employees changed since then.
  bool lists_changes(Model model) const override { return model == Model::kHrisEmployees; }

  Result<RecordPage> list_changed_records(const ApiContext& ctx, Model model, const std::string& page,
                                          Millis since) const override {
    if (model != Model::kHrisEmployees) return Connector::list_changed_records(ctx, model, page, since);
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();
    return list_employees(ctx, page, since, *auth);
  }

 private:
  static std::string_view kEmployeeFieldsView() { return bamboohr::kEmployeeFields; }

  // GET /api/v1/employees/{id}?fields=…: {"id", <each requested field the caller may see>}; 404 = gone.
  static Result<std::optional<bj::object>> fetch_employee(const ApiContext& ctx, const std::string& remote_id,
                                                          const std::string& auth) {
    auto doc = get_json(ctx,
                        "/api/v1/employees/" + common::encode_path_segment(remote_id) +
                            "?fields=" + query_value(kEmployeeFieldsView()),
                        auth);
    if (!doc) return doc.error();
    if (!*doc || !(*doc)->is_object()) return std::optional<bj::object>{};
    const bj::object* employee = &(*doc)->get_object();
    if (const bj::value* data = employee->if_contains("data"); data != nullptr && data->is_object())
      employee = &data->get_object();
    return std::optional<bj::object>(bamboohr::map_employee(ctx, *employee, remote_id));
  }

  // Every employee BambooHR has (since the epoch), or those changed since `since`, through
  // GET /api/v1/employees/changed?since=… — {"latest", "employees": {"<id>": {"id", "action",
  // "lastChanged"}}}, unpaginated. BambooHR's OpenAPI document offers the other listing, GET
  // /api/v1/employees, to OAuth apps only (an integration authenticates with an API key), and that one
  // carries a fixed summary, not the record. The ids are taken in order, kEmployeePageSize per page, each
  // read through the same GET /api/v1/employees/{id} a webhook's fetch uses; the page token is the last id
  // read, so an employee added or deleted meanwhile does not shift the others. Employees marked Deleted are
  // not listed (a full sync finds them missing).
  Result<RecordPage> list_employees(const ApiContext& ctx, const std::string& page,
                                    std::optional<Millis> since, const std::string& auth) const {
    std::string after;
    if (!page.empty()) {
      if (page.rfind(kEmployeePagePrefix, 0) != 0 || page.size() == kEmployeePagePrefix.size())
        return invalid("not a continuation of the employee listing: " + page.substr(0, 100));
      after = page.substr(kEmployeePagePrefix.size());
    }
    std::string stamp = format_iso8601(since.value_or(0));
    if (stamp.size() == 24) stamp = stamp.substr(0, 19) + "Z";  // whole seconds, as the examples write it
    auto doc = get_json(ctx, "/api/v1/employees/changed?since=" + query_value(stamp), auth);
    if (!doc) return doc.error();
    if (!*doc) return make_error(ErrorKind::kUpstream, "BambooHR answered 404 to listing changed employees");
    const bj::value* employees = json::find(**doc, "employees");
    if (employees == nullptr || !employees->is_object())
      return make_error(ErrorKind::kUpstream,
                        "BambooHR's changed-employees answer has no \"employees\" object");
    std::vector<std::string> ids;
    for (const auto& [key, entry] : employees->get_object()) {
      std::string id(key);
      if (entry.is_object()) {
        if (auto inner = json::get_id(entry, "id"); inner && !inner->empty()) id = *inner;
        if (auto action = json::get_string(entry, "action"); action && http::iequals(*action, "Deleted"))
          continue;
      }
      if (!id.empty()) ids.push_back(std::move(id));
    }
    // Numeric ids in numeric order (shorter first), anything else after them in byte order.
    auto before = [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    };
    std::sort(ids.begin(), ids.end(), before);
    RecordPage out;
    auto it = after.empty() ? ids.begin() : std::upper_bound(ids.begin(), ids.end(), after, before);
    for (int n = 0; it != ids.end() && n < kEmployeePageSize; ++it, ++n) {
      auto employee = fetch_employee(ctx, *it, auth);
      if (!employee) return employee.error();
      if (*employee) out.records.push_back(std::move(**employee));  // deleted since it was listed
      after = *it;
    }
    if (it != ids.end()) out.next = std::string(kEmployeePagePrefix) + after;
    return out;
  }

  static std::string time_off_path() {
    return "/api/v1/time_off/requests?start=" + std::string(kTimeOffStart) +
           "&end=" + std::string(kTimeOffEnd);
  }

  static std::string query_value(std::string_view v) { return common::encode_path_segment(v); }

  Result<ParsedEvent> event_based(const std::string& type, const std::optional<std::string>& employee_id,
                                  const std::string& timestamp) const {
    ParsedEvent out;
    out.vendor_event = type;
    std::optional<Action> action;
    if (type == "employee.created") action = Action::kCreated;
    if (type == "employee.updated") action = Action::kUpdated;
    if (type == "employee.deleted") action = Action::kDeleted;
    if (action) {
      if (!employee_id || employee_id->empty()) return invalid("data.employeeId is missing for " + type);
      out.events.push_back({Model::kHrisEmployees, *action, *employee_id});
    }
    // BambooHR documents no delivery id; event, employee and firing time identify one event across retries.
    if (employee_id && !timestamp.empty() && timestamp.size() <= 64)
      out.delivery_id = type + ":" + *employee_id + ":" + timestamp;
    return out;
  }

  // The event-based payload in its form-post encoding: type=…&data[employeeId]=….
  Result<ParsedEvent> parse_form(const http::Request& request) const {
    std::optional<std::string> type;
    std::optional<std::string> employee_id;
    std::string timestamp;
    for (auto& [k, v] : http::parse_query(request.body)) {
      if (k == "type") type = v;
      if (k == "data[employeeId]") employee_id = v;
      if (k == "timestamp") timestamp = v;
    }
    if (!type || type->empty()) return invalid("form body has no \"type\"");
    return event_based(*type, employee_id, timestamp);
  }

  // Field-based payload: {"employees":[{"action":"Created|Updated|Deleted","id":"…","timestamp":"…",…}]}.
  Result<ParsedEvent> parse_field_based(const http::Request& request, const bj::value& doc) const {
    const bj::value* employees = json::find(doc, "employees");
    if (employees == nullptr || !employees->is_array()) return invalid("\"employees\" is not a list");
    ParsedEvent out;
    out.vendor_event = "employee_with_fields";
    for (const auto& item : employees->get_array()) {
      if (!item.is_object()) return invalid("an entry of \"employees\" is not an object");
      auto id = json::get_id(item, "id");
      if (!id || id->empty()) return invalid("an entry of \"employees\" has no id");
      auto action = json::get_string(item, "action");
      if (!action) return invalid("an entry of \"employees\" has no action");
      if (http::iequals(*action, "Created"))
        out.events.push_back({Model::kHrisEmployees, Action::kCreated, *id});
      else if (http::iequals(*action, "Updated"))
        out.events.push_back({Model::kHrisEmployees, Action::kUpdated, *id});
      else if (http::iequals(*action, "Deleted"))
        out.events.push_back({Model::kHrisEmployees, Action::kDeleted, *id});
    }
    // Nothing in the batch names it; a redelivery repeats the same bytes.
    out.delivery_id = "employees:" + crypto::hex_encode(crypto::sha256(request.body)).substr(0, 32);
    return out;
  }

  // The aliases of GET …/webhooks/monitor_fields ({"fields": [{"id", "name", "alias"}]}); empty when
  // unreadable.
  static std::set<std::string> monitorable_fields(const ApiContext& ctx, const std::string& auth) {
    std::set<std::string> out;
    http::ClientResponse resp = ctx.send(authorized(ctx, "GET", webhooks_url(ctx, "monitor_fields"), auth));
    if (resp.status < 200 || resp.status > 299) return out;
    auto parsed = json::parse(resp.body);
    if (!parsed || !parsed->is_object()) return out;
    const auto* fields = parsed->get_object().if_contains("fields");
    if (fields == nullptr || !fields->is_array()) return out;
    for (const auto& f : fields->get_array()) {
      const auto* alias = f.is_object() ? f.get_object().if_contains("alias") : nullptr;
      if (alias != nullptr && alias->is_string() && alias->get_string().size() < 256)
        out.insert(std::string(alias->get_string()));
    }
    return out;
  }

  // The webhooks API on the company's host, as BambooHR's OpenAPI document gives it (/api/v1/webhooks,
  // …/{id}, …/monitor_fields; HTTP Basic with the API key). The legacy gateway form
  // (api.bamboohr.com/api/gateway.php/{companyDomain}/v1/webhooks/) is no longer used.
  static std::string webhooks_url(const ApiContext& ctx, const std::string& id) {
    const std::string url = common::join_url(ctx.base_url, "/api/v1/webhooks");
    return id.empty() ? url : url + "/" + id;
  }

  // The Authorization value; also checks company_domain, which names the host of every production call.
  static Result<std::string> basic_auth(const ApiContext& ctx) {
    if (auto domain = company_domain(ctx); !domain) return domain.error();
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    return "Basic " + crypto::base64_encode(*key + ":x");
  }

  static std::vector<std::string_view> secrets_of(const ApiContext& ctx) {
    std::vector<std::string_view> out;
    auto it = ctx.credentials.find("api_key");
    if (it != ctx.credentials.end() && it->value().is_string()) out.emplace_back(it->value().get_string());
    return out;
  }

  static http::ClientRequest authorized(const ApiContext& ctx, std::string method, std::string url,
                                        const std::string& auth) {
    return common::authorized_request(ctx, std::move(method), std::move(url), {"Authorization", auth});
  }

  // BambooHR explains a refusal in the X-BambooHR-Error-Message header, sometimes in the body.
  static std::string vendor_text(const http::ClientResponse& response,
                                 const std::vector<std::string_view>& secrets) {
    if (auto header = response.header("X-BambooHR-Error-Message"); header && !header->empty())
      return common::error_excerpt(*header, secrets);
    return common::error_excerpt(response.body, secrets);
  }

  static Error api_error(std::string_view what, const http::ClientResponse& response,
                         const std::vector<std::string_view>& secrets) {
    if (response.status == 401) {
      std::string text = vendor_text(response, secrets);
      return make_error(ErrorKind::kUnauthorized,
                        "BambooHR rejected the API key" + (text.empty() ? std::string() : ": " + text));
    }
    if (response.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
    return make_error(ErrorKind::kUpstream,
                      std::string(what) + " failed: " + common::describe_failure(kVendor, response, secrets));
  }

  static Result<std::optional<bj::value>> get_json(const ApiContext& ctx, const std::string& path,
                                                   const std::string& auth) {
    const auto secrets = secrets_of(ctx);
    http::ClientResponse resp =
        common::get_with_retry(ctx, authorized(ctx, "GET", common::join_url(ctx.base_url, path), auth));
    if (resp.status == 401) return api_error("reading records", resp, secrets);
    return common::json_or_gone(kVendor, resp, secrets);
  }

  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Connector> make_bamboohr_connector(const Clock& clock) {
  return std::make_unique<BambooHrConnector>(clock);
}

void register_bamboohr(Registry& registry) {
  registry.add(make_bamboohr_connector(SystemClock::instance()));
}

}  // namespace tributary::connectors
