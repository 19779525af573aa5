#include "connectors/workable/workable.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "connectors/workable/workable_records.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr int kPageSize = 100;
// A time-off request has no read-by-id endpoint: finding one walks the request list, at most this many pages.
constexpr int kMaxAbsencePages = 50;
constexpr std::size_t kMaxDeliveryIdPart = 200;
// The earliest day asked for when listing time-off requests (from_date is how the list is filtered).
// An ISO date-time without zone, as GET /timeoff/requests takes it
// (workable.readme.io/reference/timeoffrequests-1).
constexpr std::string_view kAbsencesFrom = "2000-01-01T00:00:00.000";
// Time-off requests are read per employee (an account token must name employee_id): the employees of one
// page.
constexpr int kAbsenceEmployeesPerPage = 20;
// The page token of an absence listing: the offset into the employee list.
constexpr std::string_view kAbsencePagePrefix = "employees:";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Workable: " + std::move(reason));
}

bool is_employee_event(std::string_view event) {
  return event.rfind("employee_", 0) == 0 || event == "timeoff_updated" || event == "onboarding_completed";
}

std::string permission_message(std::string_view event) {
  const std::string_view scope = is_employee_event(event) ? "r_employees" : "r_candidates";
  return "In Workable, open Settings › Integrations › Apps › ACCESS TOKENS, generate a token with the '" +
         std::string(scope) + "' scope (needed to subscribe to " + std::string(event) +
         "), and update this integration's api_key with it.";
}

std::string_view records_scope(Model model) {
  switch (model) {
    case Model::kAtsCandidates:
      return "r_candidates";
    case Model::kAtsJobs:
      return "r_jobs";
    case Model::kHrisEmployees:
      return "r_employees";
    case Model::kHrisAbsences:
      return "r_timeoff";  // and r_employees, to enumerate the employees whose requests are read
  }
  return "r_candidates";
}

bool printable(std::string_view s) {
  if (s.empty() || s.size() > kMaxDeliveryIdPart) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// The path and query of a `paging.next` URL below /spi/v3, when it continues the same listing; nullopt
// otherwise. Only the path is kept: the token is never sent to a host the answer names.
std::optional<std::string> continuation(std::string_view next, std::string_view listing) {
  const auto at = next.find(workable::kApiRoot);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = next.substr(at + workable::kApiRoot.size());
  if (rest.rfind(listing, 0) != 0) return std::nullopt;
  if (rest.size() > listing.size() && rest[listing.size()] != '?') return std::nullopt;
  for (unsigned char c : rest)
    if (c <= 0x20 || c >= 0x7f || c == '#') return std::nullopt;
  return std::string(rest);
}

// A record that may come wrapped ({"candidate": {...}}) or bare.
const bj::object* unwrap(const bj::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  if (const auto* inner = v.get_object().if_contains(key); inner != nullptr && inner->is_object())
    return &inner->get_object();
  return &v.get_object();
}

class WorkableConnector final : public ListingConnector {
 public:
  std::string_view tool() const override { return "workable"; }
  std::string_view display_name() const override { return "Workable"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"candidate_created"}, ""},
        // Not subscribable: POST /spi/v3/subscriptions takes candidate_created, candidate_moved,
        // employee_created, employee_updated, employee_published, onboarding_completed and timeoff_updated
        // (workable.readme.io/reference/webhook-subscriptions-candidates-employees;
        // testdata/contract/README.md).
        {Model::kAtsCandidates,
         Action::kDeleted,
         {},
         "Workable offers no deletion webhook: a full sync finds the candidate gone"},
        {Model::kHrisEmployees, Action::kCreated, {"employee_created"}, ""},
        {Model::kHrisEmployees, Action::kUpdated, {"employee_updated"}, ""},
        {Model::kHrisAbsences,
         Action::kCreated,
         {"timeoff_updated"},
         "when the request's created_at equals its updated_at [inferred]"},
        {Model::kHrisAbsences, Action::kUpdated, {"timeoff_updated"}, "otherwise [inferred]"},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json).

  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://{subdomain}.workable.com";
    return {{"GET", h, "/spi/v3/candidates", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/candidates/{id}", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/jobs", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/jobs/{shortcode}", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/employees", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/employees/{id}", {}, {}, "bearer"},
            {"GET", h, "/spi/v3/timeoff/requests", {"employee_id", "from_date"}, {}, "bearer"},
            {"POST", h, "/spi/v3/subscriptions", {}, {"target", "event"}, "bearer"},
            {"GET", h, "/spi/v3/subscriptions", {}, {}, "bearer"},
            {"DELETE", h, "/spi/v3/subscriptions/{id}", {}, {}, "bearer"}};
  }

  // The sources: testdata/contract/README.md.

  // workable.readme.io/reference/rate-limits: 10 requests per 10 s for an account token (OAuth and partner
  // tokens get 50 per 10 s; an integration on one overrides with rate_limit); 429 when exceeded, and
  // X-Rate-Limit-Limit / -Remaining / -Reset (the time of the next interval) on every answer. Concurrency:
  // not published (4).
  ApiLimits api_limits() const override { return {10, 10'000, 4, {}}; }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorSchema,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kVendorExample,
            .get = Evidence::kVendorSchema,
            .list = Evidence::kVendorExample,
            .incremental = Evidence::kVendorSchema};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key", "subdomain"}; }

  // https://{subdomain}.workable.com; a subdomain that is not a DNS label gives no URL (calls then fail).
  std::string default_base_url(const boost::json::object& credentials) const override {
    const auto* sub = credentials.if_contains("subdomain");
    if (sub == nullptr || !sub->is_string() || sub->get_string().empty() || sub->get_string().size() > 63)
      return {};
    for (unsigned char c : sub->get_string())
      if (!std::isalnum(c) && c != '-') return {};
    return "https://" + std::string(sub->get_string()) + ".workable.com";
  }

  // Workable subscriptions carry exactly one event each.
  std::vector<std::vector<std::string>> plan_subscriptions(const std::set<Model>& enabled) const override {
    std::vector<std::vector<std::string>> out;
    for (auto& event : vendor_events_for(*this, enabled))
      out.push_back({std::move(event)});
    return out;
  }

  // Hex is what public client code verifies [3rd]; base64 of the same digest and a "sha256=" prefix are
  // accepted too, and the scheme says which form matched.
  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    if (common::usable_secrets(keys).empty())
      return common::rejected("no secret is configured for this subscription yet");
    auto header = common::single_header(request, "X-Workable-Signature");
    if (!header) return common::rejected(header.error().message);
    std::string_view value = common::trim(*header);
    bool prefixed = false;
    if (auto rest = common::strip_prefix(value, "sha256=", true)) {
      value = *rest;
      prefixed = true;
    }
    std::string digest;
    std::string form;
    if (auto hex = common::decode_hex_digest(value, 32)) {
      digest = std::move(*hex);
      form = "hex";
    } else if (auto b64 = common::decode_base64_digest(value, 32)) {
      digest = std::move(*b64);
      form = "base64";
    } else {
      return common::rejected("X-Workable-Signature is neither a hex nor a base64 SHA-256 digest");
    }
    auto matched = common::match_secret(keys, digest, [&](std::string_view secret) {
      return common::compute_hmac(common::DigestAlgorithm::kSha256, secret, request.body);
    });
    if (!matched) return common::rejected("X-Workable-Signature does not match the body");
    return common::verified(
        "hmac-sha256 " + form + " in X-Workable-Signature" + (prefixed ? " (sha256=)" : ""), *matched);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto event = json::get_string(*doc, "event_type");
    if (!event || event->empty()) return invalid("body has no \"event_type\" string");
    if (event->size() > 100) return invalid("\"event_type\" is too long");

    ParsedEvent out;
    out.vendor_event = *event;
    const bj::value* data = json::find(*doc, "data");
    const bool fed = *event == "candidate_created" || *event == "candidate_deleted" ||
                     *event == "employee_created" || *event == "employee_updated" ||
                     *event == "timeoff_updated";
    if (data != nullptr && !data->is_null() && !data->is_object())
      return invalid("\"data\" is not an object");
    if (fed && data == nullptr) return invalid("\"data\" is missing");

    // Workable sends no delivery id; a replay repeats the event, the resource and fired_at.
    auto top_id = json::get_id(*doc, "id");
    auto fired_at = json::get_string(*doc, "fired_at");
    if (top_id && printable(*top_id) && fired_at && printable(*fired_at))
      out.delivery_id = *event + ":" + *top_id + ":" + *fired_at;
    if (!fed) return out;  // candidate_moved, employee_published, onboarding_completed, …: not relayed

    // The resource is `data`; the envelope's `id` is the same resource's id.
    auto resource_id = [&]() -> Result<std::string> {
      if (auto id = json::get_id(*data, "id"); id && !id->empty()) return *id;
      if (top_id && !top_id->empty()) return *top_id;
      return invalid("no resource id in data.id or id for " + *event);
    };
    if (*event == "timeoff_updated") {
      auto absence = map_timeoff(*doc, *data);
      if (!absence) return absence.error();
      if (*absence) out.events.push_back(std::move(**absence));
      return out;
    }
    auto id = resource_id();
    if (!id) return id.error();
    if (*event == "candidate_created") {
      out.events.push_back({Model::kAtsCandidates, Action::kCreated, std::move(*id)});
    } else if (*event == "candidate_deleted") {
      out.events.push_back({Model::kAtsCandidates, Action::kDeleted, std::move(*id)});
    } else if (*event == "employee_created") {
      out.events.push_back({Model::kHrisEmployees, Action::kCreated, std::move(*id)});
    } else {
      out.events.push_back({Model::kHrisEmployees, Action::kUpdated, std::move(*id)});
    }
    return out;
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (request.event_types.size() != 1)
      return invalid("a Workable subscription carries exactly one event, got " +
                     std::to_string(request.event_types.size()));
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    const std::string& event = request.event_types.front();
    // No args: candidate events for every job and stage; employee events take none.
    bj::object body{{"target", request.ingress_url}, {"event", event}};
    auto req = workable::request(ctx, "POST", "/subscriptions");
    if (!req) return req.error();
    req->headers.emplace_back("Content-Type", "application/json");
    req->body = json::serialize(body);
    http::ClientResponse resp = ctx.send(std::move(*req));
    if (resp.status < 200 || resp.status > 299)
      return api_error("subscribing to " + event, event, resp, *key);
    auto parsed = json::parse(resp.body);
    std::optional<std::string> id;
    if (parsed) id = json::get_id(*parsed, "id");
    if (!id || id->empty())
      return make_error(ErrorKind::kUpstream, "Workable answered " + std::to_string(resp.status) +
                                                  " to the subscription but sent no subscription id");
    // Workable signs deliveries with the account token itself: that is the key to verify with.
    return RemoteSubscription{std::move(*id), *key};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (remote_id.empty()) return invalid("empty subscription id");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    auto req = workable::request(ctx, "DELETE", "/subscriptions/" + common::encode_path_segment(remote_id));
    if (!req) return req.error();
    http::ClientResponse resp = ctx.send(std::move(*req));
    // 404: already gone (removed by hand, or an earlier attempt succeeded): the goal is reached.
    if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
    return api_error("deleting the subscription", "", resp, *key);
  }

  // Workable has no read of one subscription: GET /spi/v3/subscriptions lists the account's subscriptions
  // ({"subscriptions":[{id, target, valid_until, created_at, stage_slug, job_shortcode}]}, no event); an id
  // missing from it was deleted in Workable.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (remote_id.empty()) return false;
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    auto req = workable::request(ctx, "GET", "/subscriptions");
    if (!req) return req.error();
    http::ClientResponse resp = common::get_with_retry(ctx, std::move(*req));
    if (resp.status == 403)
      return make_error(
          ErrorKind::kForbidden,
          "Workable refused to list the subscriptions. In Workable, open Settings › Integrations › "
          "Apps › ACCESS TOKENS, generate a token with the 'r_candidates' scope (and "
          "'r_employees' for employee events), and update this integration's api_key with it.");
    if (resp.status < 200 || resp.status > 299) return api_error("listing the subscriptions", "", resp, *key);
    auto parsed = json::parse(resp.body);
    const bj::value* list = nullptr;
    if (parsed && parsed->is_array()) list = &*parsed;
    if (parsed && parsed->is_object()) list = parsed->get_object().if_contains("subscriptions");
    if (list == nullptr || !list->is_array())
      return make_error(ErrorKind::kUpstream,
                        "Workable answered the subscription listing without a \"subscriptions\" array");
    for (const auto& item : list->get_array())
      if (auto id = json::get_id(item, "id"); id && *id == remote_id) return true;
    return false;
  }

  bool supports_records(Model /*model*/) const override { return true; }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    const std::string id = common::encode_path_segment(remote_id);
    if (model == Model::kHrisAbsences) return find_absence(ctx, remote_id);
    std::string_view path;
    std::string_view wrapper;
    switch (model) {
      case Model::kAtsCandidates:
        path = "/candidates/", wrapper = "candidate";
        break;
      case Model::kAtsJobs:
        path = "/jobs/", wrapper = "job";
        break;
      default:
        path = "/employees/", wrapper = "employee";
        break;
    }
    auto answer = workable::get(ctx, std::string(path) + id);
    if (!answer) return with_scope(model, answer.error());
    if (!*answer) return std::optional<bj::object>{};
    const bj::object* raw = unwrap(**answer, wrapper);
    if (raw == nullptr)
      return make_error(ErrorKind::kUpstream, "Workable answered with something other than a record");
    return std::optional<bj::object>(map(ctx, model, *raw, remote_id));
  }

  // A time-off request whose delivery named its employee: that employee's requests, one call, instead of
  // every employee's; the walk only when the request is not among them.
  Result<std::optional<bj::object>> fetch_record_with_hint(const ApiContext& ctx, Model model,
                                                           const std::string& remote_id,
                                                           const std::string& hint) const override {
    if (model != Model::kHrisAbsences) return fetch_record(ctx, model, remote_id);
    auto requests = absences_of(ctx, hint);
    if (!requests) return requests.error();
    for (auto& record : *requests)
      if (record.at("remote_id") == bj::value(remote_id)) return std::optional<bj::object>(std::move(record));
    return find_absence(ctx, remote_id);
  }

  // Candidates and jobs: updated_after on the first request; paging.next carries it on.
  bool lists_changes(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

 private:
  // Candidates and jobs follow `paging.next`; employees use limit/offset [3rd]; time-off requests come as one
  // list (following `paging.next` when it is there). The page token is the path and query below /spi/v3.
  Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                               std::optional<Millis> since) const override {
    if (model == Model::kHrisAbsences) return list_absences(ctx, page);
    const std::string_view listing = listing_of(model);
    std::string path = page;
    if (path.empty()) {
      path = model == Model::kHrisAbsences ? std::string(listing) + "?from_date=" + std::string(kAbsencesFrom)
                                           : std::string(listing) + "?limit=" + std::to_string(kPageSize);
      if (since) path += "&updated_after=" + format_iso8601(*since);
    } else if (!continuation(std::string(workable::kApiRoot) + page, listing)) {
      return invalid("not a continuation of " + std::string(listing) + ": " + page.substr(0, 100));
    }
    auto answer = workable::get(ctx, path);
    if (!answer) return with_scope(model, answer.error());
    RecordPage out;
    if (!*answer) return out;
    const bj::value& doc = **answer;
    const bj::value* items = json::find(doc, items_key(model));
    if (items == nullptr && doc.is_array()) items = &doc;
    if (items != nullptr && !items->is_array())
      return make_error(ErrorKind::kUpstream, "Workable answered with a list that is not an array");
    std::size_t count = 0;
    if (items != nullptr) {
      for (const auto& item : items->get_array()) {
        ++count;
        if (!item.is_object()) continue;
        // Jobs are addressed by shortcode (GET /jobs/{shortcode}); their id is the fallback.
        auto id = model == Model::kAtsJobs ? json::get_id(item, "shortcode") : std::nullopt;
        if (!id || id->empty()) id = json::get_id(item, "id");
        if (!id || id->empty()) continue;
        out.records.push_back(map(ctx, model, item.get_object(), *id));
      }
    }
    if (auto next = json::get_string(doc, "paging.next"); next && !next->empty()) {
      auto cont = continuation(*next, listing);
      if (!cont)
        return make_error(ErrorKind::kUpstream, "Workable's paging.next does not continue this listing");
      if (*cont == path)
        return make_error(ErrorKind::kUpstream, "Workable's paging.next repeats the same page");
      out.next = std::move(*cont);
    } else if (model == Model::kHrisEmployees && count == static_cast<std::size_t>(kPageSize)) {
      out.next = std::string(listing) + "?limit=" + std::to_string(kPageSize) +
                 "&offset=" + std::to_string(offset_of(path) + kPageSize);
    }
    return out;
  }

  // GET /timeoff/requests needs employee_id with an account token and answers {"requests": [...]} without the
  // employee's id and without paging: a page of employees (limit/offset), then each one's requests, each
  // request given the employee it was asked for.
  Result<RecordPage> list_absences(const ApiContext& ctx, const std::string& page) const {
    std::int64_t offset = 0;
    if (!page.empty()) {
      const std::string_view digits =
          std::string_view(page).substr(std::min(page.size(), kAbsencePagePrefix.size()));
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
      if (page.rfind(kAbsencePagePrefix, 0) != 0 || digits.empty() || ec != std::errc{} ||
          ptr != digits.data() + digits.size() || offset < 0)
        return invalid("not a continuation of the time-off listing: " + page.substr(0, 100));
    }
    auto employees = workable::get(ctx, "/employees?limit=" + std::to_string(kAbsenceEmployeesPerPage) +
                                            "&offset=" + std::to_string(offset));
    if (!employees) return with_scope(Model::kHrisEmployees, employees.error());
    RecordPage out;
    if (!*employees) return out;
    const bj::value* items = json::find(**employees, "employees");
    if (items == nullptr || !items->is_array())
      return make_error(ErrorKind::kUpstream, "Workable's employee list has no \"employees\" array");
    for (const auto& employee : items->get_array()) {
      auto employee_id = json::get_id(employee, "id");
      if (!employee_id || employee_id->empty())
        return make_error(ErrorKind::kUpstream, "Workable's employee list has an entry without \"id\"");
      auto requests = absences_of(ctx, *employee_id);
      if (!requests) return requests.error();
      for (auto& record : *requests)
        out.records.push_back(std::move(record));
    }
    if (items->get_array().size() == static_cast<std::size_t>(kAbsenceEmployeesPerPage))
      out.next = std::string(kAbsencePagePrefix) + std::to_string(offset + kAbsenceEmployeesPerPage);
    return out;
  }

  static std::string_view listing_of(Model model) {
    switch (model) {
      case Model::kAtsCandidates:
        return "/candidates";
      case Model::kAtsJobs:
        return "/jobs";
      case Model::kHrisEmployees:
        return "/employees";
      case Model::kHrisAbsences:
        return "/timeoff/requests";
    }
    return "/candidates";
  }
  static std::string_view items_key(Model model) {
    switch (model) {
      case Model::kAtsCandidates:
        return "candidates";
      case Model::kAtsJobs:
        return "jobs";
      case Model::kHrisEmployees:
        return "employees";
      case Model::kHrisAbsences:
        return "requests";
    }
    return "candidates";
  }

  static long offset_of(std::string_view path) {
    const auto at = path.find("offset=");
    if (at == std::string_view::npos) return 0;
    long value = 0;
    for (std::size_t i = at + 7; i < path.size() && std::isdigit(static_cast<unsigned char>(path[i])); ++i) {
      value = value * 10 + (path[i] - '0');
      if (value > 100000000) break;
    }
    return value;
  }

  static bj::object map(const ApiContext& ctx, Model model, const bj::object& raw, const std::string& id) {
    switch (model) {
      case Model::kAtsCandidates:
        return workable::map_candidate(ctx, raw, id);
      case Model::kAtsJobs:
        return workable::map_job(ctx, raw, id);
      case Model::kHrisEmployees:
        return workable::map_employee(ctx, raw, id);
      case Model::kHrisAbsences:
        return workable::map_absence(ctx, raw, id);
    }
    return {};
  }

  static Error with_scope(Model model, Error e) {
    if (e.kind == ErrorKind::kForbidden)
      e.message = "Workable refused to read " + std::string(to_string(model)) +
                  ": the API token needs the '" + std::string(records_scope(model)) + "' scope";
    return e;
  }

  // One employee's time-off requests, mapped, each given the employee it was asked for (the answer does not
  // name it); none when the employee is gone.
  Result<std::vector<bj::object>> absences_of(const ApiContext& ctx, const std::string& employee_id) const {
    auto requests =
        workable::get(ctx, "/timeoff/requests?employee_id=" + common::encode_path_segment(employee_id) +
                               "&from_date=" + std::string(kAbsencesFrom));
    if (!requests) return with_scope(Model::kHrisAbsences, requests.error());
    std::vector<bj::object> out;
    if (!*requests) return out;
    const bj::value* list = json::find(**requests, "requests");
    if (list == nullptr || !list->is_array())
      return make_error(ErrorKind::kUpstream, "Workable's time-off list has no \"requests\" array");
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      auto id = json::get_id(item, "id");
      if (!id || id->empty()) continue;
      bj::object request = item.get_object();
      request["employee_id"] = employee_id;
      out.push_back(map(ctx, Model::kHrisAbsences, request, *id));
    }
    return out;
  }

  Result<std::optional<bj::object>> find_absence(const ApiContext& ctx, const std::string& remote_id) const {
    std::string page;
    for (int i = 0; i < kMaxAbsencePages; ++i) {
      auto listed = list_records(ctx, Model::kHrisAbsences, page);
      if (!listed) return listed.error();
      for (auto& record : listed->records)
        if (record.at("remote_id") == bj::value(remote_id))
          return std::optional<bj::object>(std::move(record));
      if (listed->next.empty()) return std::optional<bj::object>{};
      page = listed->next;
    }
    return make_error(ErrorKind::kUpstream,
                      "Workable's time-off list is longer than we walk to find one request");
  }

  // timeoff_updated: the time-off request is `data` (with its employee_id), or nested under data.timeoff /
  // data.timeoff_request / data.request. When Workable sends the employee alone (resource_type "employee"),
  // the request cannot be told apart: nothing is relayed and the next sync picks the change up.
  static Result<std::optional<UnifiedEvent>> map_timeoff(const bj::value& doc, const bj::value& data) {
    const bj::value* request = &data;
    for (std::string_view key : {"timeoff_request", "timeoff", "request"}) {
      if (const auto* inner = json::find(data, key); inner != nullptr && inner->is_object()) {
        request = inner;
        break;
      }
    }
    std::optional<std::string> id;
    if (request != &data) {
      id = json::get_id(*request, "id");
    } else {
      for (std::string_view key : {"timeoff_request_id", "request_id", "timeoff_id"}) {
        if ((id = json::get_id(data, key))) break;
      }
      const auto resource = json::get_string(doc, "resource_type").value_or("");
      const bool is_request =
          json::find(data, "employee_id") != nullptr || json::find(data, "employee") != nullptr ||
          resource.find("time") != std::string::npos || resource.find("request") != std::string::npos;
      if (!id && is_request) id = json::get_id(data, "id");
    }
    if (!id || id->empty()) return std::optional<UnifiedEvent>{};
    auto created = json::get_string(*request, "created_at");
    auto updated = json::get_string(*request, "updated_at");
    const Action action = created && updated && *created == *updated ? Action::kCreated : Action::kUpdated;
    // The employee the request belongs to: GET /timeoff/requests reads one employee's requests.
    auto employee = json::get_id(*request, "employee_id");
    if (!employee) employee = json::get_id(*request, "employee.id");
    if (!employee && request != &data) {
      employee = json::get_id(data, "employee_id");
      // Resource "employee" (the documented resource of timeoff_updated): `data` is the employee itself.
      if (!employee && json::get_string(doc, "resource_type").value_or("") == "employee")
        employee = json::get_id(data, "id");
    }
    return std::optional<UnifiedEvent>(
        UnifiedEvent{Model::kHrisAbsences, action, std::move(*id), employee.value_or("")});
  }

  static Error api_error(const std::string& what, std::string_view event, const http::ClientResponse& resp,
                         std::string_view key) {
    const std::vector<std::string_view> secrets = {key};
    if (resp.status == 401) return common::rejected_credential(workable::kVendor, "API token", resp, secrets);
    if (resp.status == 403)
      return make_error(ErrorKind::kForbidden, event.empty() ? "Workable refused " + what +
                                                                   ": the API token lacks the scope it needs"
                                                             : permission_message(event));
    if (resp.status == 409)
      return make_error(ErrorKind::kUpstream,
                        what + " failed: Workable already has a subscription for this URL (" +
                            common::describe_failure(workable::kVendor, resp, secrets) + ")");
    return make_error(ErrorKind::kUpstream,
                      what + " failed: " + common::describe_failure(workable::kVendor, resp, secrets));
  }
};

}  // namespace

void register_workable(Registry& registry) {
  registry.add(std::make_unique<WorkableConnector>());
}

}  // namespace tributary::connectors
