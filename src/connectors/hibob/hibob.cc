#include "connectors/hibob/hibob.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "connectors/hibob/hibob_records.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "HiBob";
constexpr std::string_view kPing = "Ping test";
// The changes feed is the only way to enumerate time-off requests, and it reaches back six months at most
// (https://apidocs.hibob.com/reference/get_timeoff-requests-changes): the listing asks for 180 days, so
// older requests are known only from events, and a full sync does not mark them deleted.
constexpr Millis kChangesWindowMs = 180LL * 24 * 3600 * 1000;
// Time-off requests are read one by one; a page of a full listing reads at most this many.
constexpr std::size_t kAbsencePageSize = 50;
constexpr std::size_t kMaxDeliveryIdPart = 100;
constexpr std::string_view kPermissionMessage =
    "HiBob refused the request: in Bob, open System settings › Integrations › Service users, edit the "
    "service "
    "user of this integration and grant it permission to read People (root, work, internal, personal, home "
    "and "
    "about fields) and Time off requests, then reconnect.";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "HiBob: " + std::move(reason));
}

// Bob's connection test: the text "Ping test", or {"text":"Ping test"} when the first attempt failed.
bool is_ping_body(std::string_view body) {
  body = common::trim(body);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
    body.remove_suffix(1);
  if (body == kPing || body == "\"Ping test\"") return true;
  if (body.empty() || body.front() != '{' || body.size() > 256) return false;
  auto doc = json::parse(body);
  if (!doc || !doc->is_object() || doc->get_object().size() != 1) return false;
  auto text = json::get_string(*doc, "text");
  return text && *text == kPing;
}

using common::first_id;

class HiBobConnector final : public Connector {
 public:
  std::string_view tool() const override { return "hibob"; }
  std::string_view display_name() const override { return "HiBob"; }
  Category category() const override { return Category::kHris; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kManual; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kHrisEmployees, Action::kCreated, {"employee.created"}, ""},
        {Model::kHrisEmployees, Action::kUpdated, {"employee.updated"}, ""},
        {Model::kHrisEmployees, Action::kDeleted, {"employee.deleted"}, ""},
        {Model::kHrisAbsences, Action::kCreated, {"timeoff.request.requested"}, ""},
        {Model::kHrisAbsences,
         Action::kUpdated,
         {"timeoff.request.approved", "timeoff.request.declined", "timeoff.request.cancelled",
          "timeoff.request.updated"},
         "a date change replaces the request: timeoff.request.updated names the new request"},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json).

  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.hibob.com";
    return {{"POST", h, "/v1/people/search", {}, {}, "basic"},
            {"POST", h, "/v1/people/{identifier}", {}, {}, "basic"},
            {"GET", h, "/v1/timeoff/requests/changes", {"since"}, {}, "basic"},
            {"GET", h, "/v1/timeoff/employees/{id}/requests/{requestId}", {}, {}, "basic"}};
  }

  // The sources: testdata/contract/README.md.

  // apidocs.hibob.com/docs/rate-limit: limits per endpoint per minute, 429 when exceeded; v1/people/search,
  // which every read of people goes through, allows 50 per minute, so the whole budget is held to that.
  // Concurrency: not published (4).
  ApiLimits api_limits() const override {
    return {50, 60'000, 4, {{"POST", "/v1/people/search", 50, 60'000, 0}}};
  }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kNotUsed,
            .verify = Evidence::kInferred,
            .events = Evidence::kVendorSchema,
            .get = Evidence::kThirdParty,
            .list = Evidence::kThirdParty,
            .incremental = Evidence::kNotUsed};
  }

  std::vector<std::string> credential_keys() const override {
    return {"service_user_id", "service_user_token"};
  }
  std::string default_base_url(const bj::object& /*credentials*/) const override {
    return "https://api.hibob.com";
  }

  bool we_choose_secret() const override { return false; }

  std::string setup_instructions(const SubscriptionRequest& request) const override {
    std::string text =
        "1. In Bob, go to System settings › Integrations › Webhooks (Automation) and click Manage, then add "
        "a "
        "webhook.\n"
        "2. Name it \"Tributary\" (any name works), paste this endpoint URL: " +
        request.ingress_url +
        "\n"
        "3. In Events, select:\n";
    for (const auto& event : request.event_types)
      text += "   - " + event + "\n";
    text +=
        "4. Save. Bob tests the URL (\"Ping test\"); Tributary answers it. Bob then shows the webhook's "
        "secret: copy "
        "it and store it on this subscription. Deliveries are rejected until the secret is stored.\n";
    return text;
  }

  std::optional<http::Response> handshake(const http::Request& request) const override {
    if (request.method != "POST" || !is_ping_body(request.body)) return std::nullopt;
    return http::Response::text(200, "OK");
  }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    static const common::HmacHeaderScheme kScheme = {
        "Bob-Signature",
        "",
        true,
        common::DigestAlgorithm::kSha512,
        common::DigestEncoding::kBase64,
        "hmac-sha512 base64 in Bob-Signature",
    };
    return common::verify_hmac_header(kScheme, request, keys);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    if (is_ping_body(request.body)) {
      ParsedEvent ping;
      ping.vendor_event = "ping";
      ping.is_ping = true;
      return ping;
    }
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto type = json::get_string(*doc, "type");
    if (!type || type->empty()) return invalid("body has no \"type\" string");

    ParsedEvent out;
    out.vendor_event = *type;
    const std::string& t = *type;
    std::optional<UnifiedEvent> event;
    if (t == "employee.created") event = UnifiedEvent{Model::kHrisEmployees, Action::kCreated, {}};
    if (t == "employee.updated") event = UnifiedEvent{Model::kHrisEmployees, Action::kUpdated, {}};
    if (t == "employee.deleted") event = UnifiedEvent{Model::kHrisEmployees, Action::kDeleted, {}};
    if (t == "timeoff.request.requested") event = UnifiedEvent{Model::kHrisAbsences, Action::kCreated, {}};
    if (t == "timeoff.request.approved" || t == "timeoff.request.declined" ||
        t == "timeoff.request.cancelled" || t == "timeoff.request.canceled" || t == "timeoff.request.updated")
      event = UnifiedEvent{Model::kHrisAbsences, Action::kUpdated, {}};
    // timeoff.request.deleted and the lifecycle/table events map to nothing: the product promises no such
    // event (an employee's lifecycle change also fires employee.updated).

    std::optional<std::string> id;
    if (t.rfind("employee.", 0) == 0) {
      // v2: data.employeeId; v1 (legacy) payloads carried the employee object.
      id = first_id(*doc, {"data.employeeId", "employee.id", "data.id"});
    } else if (t.rfind("timeoff.", 0) == 0) {
      id = first_id(*doc, {"data.timeoffRequestId", "data.requestId", "data.id"});
    }
    if (event) {
      if (!id) return invalid("payload has no id for " + t);
      event->remote_id = *id;
      // v2 time-off events name the employee, under whom the request is read (the changes feed, the only
      // other way to find it, reaches back six months).
      if (event->model == Model::kHrisAbsences)
        event->fetch_hint = first_id(*doc, {"data.employeeId"}).value_or("");
      out.events.push_back(std::move(*event));
    }
    // Bob documents no delivery id; the event, its record and when it was triggered identify it across
    // retries.
    auto at = json::get_string(*doc, "triggeredAt");
    if (id && at && !at->empty() && at->size() <= kMaxDeliveryIdPart && id->size() <= kMaxDeliveryIdPart)
      out.delivery_id = t + ":" + *id + ":" + *at;
    return out;
  }

  bool supports_records(Model model) const override {
    return model == Model::kHrisEmployees || model == Model::kHrisAbsences;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();

    if (model == Model::kHrisEmployees) {
      bj::object body{{"fields", fields_array()}, {"humanReadable", "REPLACE"}};
      auto doc = call(ctx, "POST", "/v1/people/" + common::encode_path_segment(remote_id), *auth,
                      json::serialize(body));
      if (!doc) return doc.error();
      if (!*doc || !(*doc)->is_object()) return std::optional<bj::object>{};
      const bj::object* person = &(*doc)->get_object();
      // Tolerate the search shape ({"employees":[…]}) too.
      if (const bj::value* list = person->if_contains("employees"); list != nullptr && list->is_array()) {
        if (list->get_array().empty() || !list->get_array().front().is_object())
          return std::optional<bj::object>{};
        person = &list->get_array().front().get_object();
      }
      return std::optional<bj::object>(hibob::map_employee(ctx, *person, remote_id));
    }

    // A time-off request is read under its employee. "employeeId/requestId" is accepted; a bare request id is
    // looked up in the changes feed.
    std::string employee;
    std::string request = remote_id;
    if (auto slash = remote_id.find('/'); slash != std::string::npos) {
      employee = remote_id.substr(0, slash);
      request = remote_id.substr(slash + 1);
    } else {
      auto changes = time_off_changes(ctx, *auth);
      if (!changes) return changes.error();
      for (const auto& c : *changes)
        if (c.request == request) employee = c.employee;
      if (employee.empty()) return std::optional<bj::object>{};
    }
    return read_time_off(ctx, *auth, employee, request);
  }

  // A time-off request whose delivery named its employee is read under that employee at once; the changes
  // feed only when it is not there.
  Result<std::optional<bj::object>> fetch_record_with_hint(const ApiContext& ctx, Model model,
                                                           const std::string& remote_id,
                                                           const std::string& hint) const override {
    if (model != Model::kHrisAbsences || remote_id.find('/') != std::string::npos)
      return fetch_record(ctx, model, remote_id);
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();
    auto record = read_time_off(ctx, *auth, hint, remote_id);
    if (!record || *record) return record;
    return fetch_record(ctx, model, remote_id);
  }

  Result<RecordPage> list_records(const ApiContext& ctx, Model model,
                                  const std::string& page) const override {
    if (!supports_records(model)) return Connector::list_records(ctx, model, page);
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto auth = basic_auth(ctx);
    if (!auth) return auth.error();
    RecordPage out;

    if (model == Model::kHrisEmployees) {
      // people/search is unpaginated: the first page is everything.
      bj::object body{{"fields", fields_array()},
                      {"filters", bj::array{}},
                      {"showInactive", true},
                      {"humanReadable", "REPLACE"}};
      auto doc = call(ctx, "POST", "/v1/people/search", *auth, json::serialize(body));
      if (!doc) return doc.error();
      const bj::value* list = *doc ? json::find(**doc, "employees") : nullptr;
      if (list == nullptr || !list->is_array())
        return make_error(ErrorKind::kUpstream, "HiBob's people search answer has no \"employees\" list");
      for (const auto& item : list->get_array()) {
        if (!item.is_object()) continue;
        auto id = first_id(item, {"id", "root.id"});
        if (!id) continue;
        out.records.push_back(hibob::map_employee(ctx, item.get_object(), *id));
      }
      return out;
    }

    out.complete = false;  // only the last six months of changes (see kChangesWindowMs)
    std::size_t offset = 0;
    if (!page.empty()) {
      auto [ptr, ec] = std::from_chars(page.data(), page.data() + page.size(), offset);
      if (ec != std::errc{} || ptr != page.data() + page.size()) return invalid("not a page of this listing");
    }
    auto changes = time_off_changes(ctx, *auth);
    if (!changes) return changes.error();
    const std::size_t end = std::min(changes->size(), offset + kAbsencePageSize);
    for (std::size_t i = offset; i < end; ++i) {
      auto record = read_time_off(ctx, *auth, (*changes)[i].employee, (*changes)[i].request);
      if (!record) return record.error();
      if (*record) out.records.push_back(std::move(**record));
    }
    if (end < changes->size()) out.next = std::to_string(end);
    return out;
  }

 private:
  struct TimeOffRef {
    std::string request;
    std::string employee;
  };

  static bj::array fields_array() {
    bj::array out;
    for (std::string_view f : hibob::kPeopleFields)
      out.emplace_back(f);
    return out;
  }

  // Every time-off request the changes feed knows, once, in the order first seen; deleted ones left out.
  Result<std::vector<TimeOffRef>> time_off_changes(const ApiContext& ctx, const std::string& auth) const {
    auto doc = call(ctx, "GET",
                    "/v1/timeoff/requests/changes?since=" +
                        common::encode_path_segment(format_iso8601(now_ms() - kChangesWindowMs)),
                    auth, "");
    if (!doc) return doc.error();
    const bj::value* list = *doc ? json::find(**doc, "changes") : nullptr;
    if (list == nullptr || !list->is_array())
      return make_error(ErrorKind::kUpstream, "HiBob's time-off changes answer has no \"changes\" list");
    std::vector<TimeOffRef> out;
    std::set<std::string> deleted;
    for (const auto& c : list->get_array()) {
      if (!c.is_object()) continue;
      auto request = first_id(c, {"requestId", "timeoffRequestId", "id"});
      auto employee = first_id(c, {"employeeId"});
      if (!request || !employee) continue;
      auto kind = json::get_string(c, "changeType");
      if (kind && http::iequals(*kind, "Deleted")) deleted.insert(*request);
      if (std::none_of(out.begin(), out.end(), [&](const TimeOffRef& r) { return r.request == *request; }))
        out.push_back({*request, *employee});
    }
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const TimeOffRef& r) { return deleted.count(r.request) > 0; }),
              out.end());
    return out;
  }

  Result<std::optional<bj::object>> read_time_off(const ApiContext& ctx, const std::string& auth,
                                                  const std::string& employee,
                                                  const std::string& request) const {
    auto doc = call(ctx, "GET",
                    "/v1/timeoff/employees/" + common::encode_path_segment(employee) + "/requests/" +
                        common::encode_path_segment(request),
                    auth, "");
    if (!doc) return doc.error();
    if (!*doc || !(*doc)->is_object()) return std::optional<bj::object>{};
    return std::optional<bj::object>(
        hibob::map_time_off_request(ctx, (*doc)->get_object(), request, employee));
  }

  static Result<std::string> basic_auth(const ApiContext& ctx) {
    auto id = common::credential(ctx, "service_user_id");
    if (!id) return id.error();
    auto token = common::credential(ctx, "service_user_token");
    if (!token) return token.error();
    return "Basic " + crypto::base64_encode(*id + ":" + *token);
  }

  static std::vector<std::string_view> secrets_of(const ApiContext& ctx, const std::string& auth) {
    std::vector<std::string_view> out = {auth};
    auto it = ctx.credentials.find("service_user_token");
    if (it != ctx.credentials.end() && it->value().is_string()) out.emplace_back(it->value().get_string());
    return out;
  }

  // One call, retried on 429 within bounds. 404 → nullopt; 401/403 → the customer's to fix.
  static Result<std::optional<bj::value>> call(const ApiContext& ctx, std::string method,
                                               const std::string& path, const std::string& auth,
                                               std::string body) {
    http::ClientRequest req;
    req.method = std::move(method);
    req.url = common::join_url(ctx.base_url, path);
    req.headers.emplace_back("Authorization", auth);
    req.headers.emplace_back("Accept", "application/json");
    if (!body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = std::move(body);
    }
    req.timeout = ctx.timeout;
    const auto secrets = secrets_of(ctx, auth);
    http::ClientResponse resp = common::get_with_retry(ctx, std::move(req));
    if (resp.status == 401) {
      const std::string text = common::error_excerpt(resp.body, secrets);
      return make_error(ErrorKind::kUnauthorized, "HiBob rejected the service user credentials" +
                                                      (text.empty() ? std::string() : ": " + text));
    }
    if (resp.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
    return common::json_or_gone(kVendor, resp, secrets);
  }
};

}  // namespace

void register_hibob(Registry& registry) {
  registry.add(std::make_unique<HiBobConnector>());
}

}  // namespace tributary::connectors
