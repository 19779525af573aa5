#include "sim/hibob/hibob_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::hibob {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kCompanyId = 637323;
constexpr std::string_view kTriggeredBy = "3332883804594373380";  // the admin who makes the changes
constexpr std::chrono::milliseconds kPingTimeout{10000};
constexpr std::size_t kMaxChanges = 10000;

constexpr std::array<std::string_view, 10> kKnownEvents = {
    "employee.created",          "employee.updated",         "employee.deleted",
    "timeoff.request.requested", "timeoff.request.approved", "timeoff.request.declined",
    "timeoff.request.cancelled", "timeoff.request.updated",  "timeoff.request.deleted",
    "timeoff.request.imported"};

// Bob's triggeredAt: local-looking ISO with microseconds and no zone ("2024-10-03T09:29:00.831502").
std::string triggered_at(Millis ms) {
  std::string t = format_iso8601(ms);  // "…T10:00:00.000Z"
  return t.substr(0, 23) + "000";
}

std::string request_status(std::string_view unified) {
  if (unified == "APPROVED") return "approved";
  if (unified == "DECLINED") return "declined";
  if (unified == "CANCELLED") return "canceled";
  return "pending";
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  using std::chrono::hours;
  using std::chrono::minutes;
  static const auto schedule =
      make_retry_schedule({minutes{1}, minutes{5}, minutes{30}, hours{2}, hours{12}, hours{24}, hours{24}},
                          0.1, std::chrono::milliseconds{10000}, retry_every_failure);
  return schedule;
}

std::string signature(std::string_view secret, std::string_view body) {
  return crypto::base64_encode(crypto::hmac_sha512(secret, body));
}

std::unique_ptr<Simulator> make_hibob_simulator(SimOptions options) {
  return std::make_unique<HiBobSimulator>(std::move(options));
}

HiBobSimulator::HiBobSimulator(SimOptions options)
    : SimulatorBase("hibob", std::move(options), {"hris_employees", "hris_absences"}) {
  // apidocs.hibob.com/docs/rate-limit: limits per endpoint per minute, 429 when exceeded; POST
  // /v1/people/search 50 per minute. The other endpoints' figures are not in what we hold: together they get
  // the connector's declared 50 per minute.
  ToolLimits limits;
  limits.overall.windows = {{50, 60'000}};
  limits.endpoints.push_back(LimitRule{
      .method = "POST", .path = "/v1/people/search", .exact = true, .windows = {{50, 60'000}}, .own = true});
  set_api_limits(std::move(limits));
  add_api_routes();
}

HiBobSimulator::~HiBobSimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> HiBobSimulator::sim_create(std::string_view model, const bj::object& fields) {
  std::vector<Pending> events;
  std::string id;
  {
    MutexLock lock(mu_);
    Millis now = now_ms();
    auto created = model == "hris_employees" ? create_employee(now, fields, events)
                                             : create_request(now, fields, events);
    if (!created.ok()) return created.error();
    id = std::move(*created);
  }
  fire(std::move(events));
  return bj::object{{"remote_id", id}};
}

Result<bj::object> HiBobSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                              const bj::object& fields) {
  std::vector<Pending> events;
  {
    MutexLock lock(mu_);
    if (model == "hris_employees") {
      auto* rec = employees_.find(remote_id);
      if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no employee " + std::string(remote_id));
      auto changed = apply_employee(*rec, fields);
      if (!changed.ok()) return changed.error();
      if (!changed->empty()) {
        bj::array updates;
        for (const auto& f : *changed)
          updates.push_back(bj::object{{"fieldId", f}});
        events.push_back(
            {"employee.updated", bj::object{{"employeeId", rec->id}, {"fieldUpdates", std::move(updates)}}});
      }
    } else {
      auto* rec = requests_.find(remote_id);
      if (rec == nullptr)
        return make_error(ErrorKind::kNotFound, "no time-off request " + std::string(remote_id));
      auto changed = apply_request(*rec, fields);
      if (!changed.ok()) return changed.error();
      bool status = std::find(changed->begin(), changed->end(), "status") != changed->end();
      bool other = changed->size() > (status ? 1u : 0u);
      if (other) events.push_back(timeoff_event("timeoff.request.updated", *rec));
      if (status) {
        std::string_view s = rec->data.at("status").as_string();
        if (s == "approved") events.push_back(timeoff_event("timeoff.request.approved", *rec));
        if (s == "declined") events.push_back(timeoff_event("timeoff.request.declined", *rec));
        if (s == "canceled") events.push_back(timeoff_event("timeoff.request.cancelled", *rec));
      }
      // The changes feed speaks of created and deleted requests: a request that is declined or cancelled
      // leaves (Deleted); any other change is a new snapshot (Created; pending ones only with
      // includePending).
      std::string_view now_status = rec->data.at("status").as_string();
      if (!changed->empty())
        log_change(now_status == "declined" || now_status == "canceled" ? "Deleted" : "Created", *rec);
    }
  }
  bool notified = !events.empty();
  fire(std::move(events));
  return bj::object{{"remote_id", std::string(remote_id)}, {"notified", notified}};
}

Result<bj::object> HiBobSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  std::vector<Pending> events;
  {
    MutexLock lock(mu_);
    if (model == "hris_employees") {
      if (employees_.find(remote_id) == nullptr)
        return make_error(ErrorKind::kNotFound, "no employee " + std::string(remote_id));
      std::vector<std::string> owned;
      for (const auto* r : requests_.all())
        if (r->data.at("employeeId") == bj::value(remote_id)) owned.push_back(r->id);
      for (const auto& id : owned)
        requests_.erase(id);
      employees_.erase(remote_id);
      events.push_back({"employee.deleted", bj::object{{"employeeId", std::string(remote_id)}}});
    } else {
      const auto* rec = requests_.find(remote_id);
      if (rec == nullptr)
        return make_error(ErrorKind::kNotFound, "no time-off request " + std::string(remote_id));
      log_change("Deleted", *rec);
      events.push_back(timeoff_event("timeoff.request.deleted", *rec));
      requests_.erase(remote_id);
    }
  }
  fire(std::move(events));
  return bj::object{{"remote_id", std::string(remote_id)}};
}

Result<bj::value> HiBobSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return (model == "hris_employees" ? employees_ : requests_).data_of(remote_id);
}

bj::array HiBobSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "hris_employees" ? employees_ : requests_).all_data();
}

bj::array HiBobSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& h : hooks_) {
    out.push_back(bj::object{{"id", h.id},
                             {"url", h.url},
                             {"event_types", string_array(h.event_types)},
                             {"active", h.active},
                             {"created_at", format_iso8601(h.created_at)}});
  }
  return out;
}

void HiBobSimulator::sim_register_webhook(const bj::object& body,
                                          std::function<void(Result<bj::object>)> done) {
  auto bad = [&](std::string m) { done(make_error(ErrorKind::kInvalidArgument, std::move(m))); };
  if (auto st = check_keys(body, "webhook", {"url", "event_types"}); !st.ok()) return done(st.error());
  const auto* url = body.if_contains("url");
  if (url == nullptr || !url->is_string() || !has_http_scheme(url->get_string()) ||
      url->get_string().size() > 2048)
    return bad("'url' must be an http(s) URL");
  std::vector<std::string> types;
  if (const auto* t = body.if_contains("event_types"); t != nullptr && !t->is_null()) {
    if (!t->is_array() || t->get_array().empty()) return bad("'event_types' must be a non-empty list");
    for (const auto& e : t->get_array()) {
      if (!e.is_string() || std::find(kKnownEvents.begin(), kKnownEvents.end(),
                                      std::string_view(e.get_string())) == kKnownEvents.end())
        return bad("unknown Bob webhook event " + json::serialize(e));
      types.emplace_back(e.get_string());
    }
  } else {
    types.assign(kKnownEvents.begin(), kKnownEvents.end());
  }
  Hook hook;
  {
    MutexLock lock(mu_);
    hook.id = std::to_string(next_hook_id_++);
    hook.url = std::string(url->get_string());
    // Bob generates the signing secret and shows it in the webhook's settings.
    hook.secret = crypto::random_token(32);
    note_secret("webhook secret", hook.secret);
    hook.event_types = std::move(types);
    hook.created_at = now_ms();
    hooks_.push_back(hook);
  }
  ping(hook, false, std::move(done));
}

// "Ping test" as text first; when that fails, {"text":"Ping test"} as JSON. Active once either got a 2xx.
void HiBobSimulator::ping(const Hook& hook, bool json_form, std::function<void(Result<bj::object>)> done) {
  OutboundWebhook p;
  p.url = hook.url;
  p.event = "ping";
  p.delivery_id = new_uuid();
  p.body = json_form ? std::string(R"({"text":"Ping test"})") : std::string("Ping test");
  p.headers = {{"Content-Type", json_form ? "application/json" : "text/plain"},
               {"Bob-Signature", signature(hook.secret, p.body)}};
  sender().send_once(
      std::move(p), kPingTimeout,
      [this, hook, json_form, done = std::move(done)](const http::ClientResponse& response) {
        bool ok = response.status >= 200 && response.status < 300;
        if (!ok && !json_form) return ping(hook, true, std::move(done));
        {
          MutexLock lock(mu_);
          for (auto& h : hooks_)
            if (h.id == hook.id) h.active = ok;
        }
        if (!ok)
          spdlog::info("sim hibob: ping of webhook {} failed; the connection is not established", hook.id);
        bj::object reply{
            {"id", hook.id}, {"secret", hook.secret}, {"active", ok}, {"ping_status", response.status}};
        if (!ok && !response.error.empty()) reply["ping_error"] = response.error;
        done(std::move(reply));
      });
}

// ---------------------------------------------------------------------------------------------------------------
// Records (the caller holds mu_)

Result<std::string> HiBobSimulator::create_employee(Millis now, const bj::object& fields,
                                                    std::vector<Pending>& out) {
  std::string id = std::to_string(next_employee_id_++);
  bj::object e{
      {"id", id},
      {"firstName", nullptr},
      {"surname", nullptr},
      {"displayName", ""},
      {"email", nullptr},
      {"companyId", kCompanyId},
      {"work",
       bj::object{{"title", nullptr}, {"department", nullptr}, {"startDate", nullptr}, {"site", "London"}}},
      {"internal", bj::object{{"status", "Active"}, {"lifecycleStatus", "employed"}}},
      {"creationDate", format_iso8601(now).substr(0, 10)}};
  auto& rec = employees_.put(id, std::move(e), now);
  if (auto r = apply_employee(rec, fields); !r.ok()) {
    employees_.erase(id);
    return r.error();
  }
  out.push_back({"employee.created", bj::object{{"employeeId", id}}});
  return id;
}

Result<std::string> HiBobSimulator::create_request(Millis now, const bj::object& fields,
                                                   std::vector<Pending>& out) {
  auto employee =
      opt_id(fields, fields.contains("employee_remote_id") ? "employee_remote_id" : "employee_id");
  if (!employee.ok()) return employee.error();
  if (!*employee) return make_error(ErrorKind::kInvalidArgument, "employee_id is required");
  if (employees_.find(**employee) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "no employee " + **employee);
  std::int64_t request_id = next_request_id_++;
  std::string id = std::to_string(request_id);
  bj::object r{{"requestId", request_id},
               {"employeeId", **employee},
               {"policyTypeDisplayName", "Holiday"},
               {"type", "days"},
               {"requestRangeType", "days"},
               {"startDate", nullptr},
               {"startDatePortion", "all_day"},
               {"endDate", nullptr},
               {"endDatePortion", "all_day"},
               {"status", "pending"},
               {"description", nullptr},
               {"createdOn", format_iso8601(now).substr(0, 19)}};
  auto& rec = requests_.put(id, std::move(r), now);
  bj::object rest = fields;
  rest.erase("employee_id");
  rest.erase("employee_remote_id");
  if (rest.if_contains("end_date") == nullptr && rest.if_contains("start_date") != nullptr)
    rest["end_date"] = rest.at("start_date");
  auto changed = apply_request(rec, rest);
  if (!changed.ok()) {
    requests_.erase(id);
    return changed.error();
  }
  if (rec.data.at("startDate").is_null()) {
    requests_.erase(id);
    return make_error(ErrorKind::kInvalidArgument, "start_date is required");
  }
  log_change("Created", rec);
  out.push_back(timeoff_event("timeoff.request.requested", rec));
  // Requests approved at once send "submitted, then approved".
  if (rec.data.at("status") == bj::value("approved"))
    out.push_back(timeoff_event("timeoff.request.approved", rec));
  return id;
}

Result<std::vector<std::string>> HiBobSimulator::apply_employee(StoredRecord& rec, const bj::object& fields) {
  if (auto st = check_keys(
          fields, "hris_employees",
          {"first_name", "last_name", "work_email", "job_title", "department", "start_date", "status"});
      !st.ok())
    return st.error();
  bj::object e = rec.data;
  bj::object work = e.at("work").as_object();
  bj::object internal = e.at("internal").as_object();
  std::vector<std::string> changed;
  auto set = [&](bj::object& o, std::string_view key, bj::value v, std::string field_id) {
    if (o.at(key) != v) {
      o[key] = std::move(v);
      changed.push_back(std::move(field_id));
    }
  };
  for (auto [key, field] : {std::pair<const char*, const char*>{"first_name", "firstName"},
                            {"last_name", "surname"},
                            {"work_email", "email"}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) set(e, field, str_or_null(**v), "root." + std::string(field));
  }
  for (auto [key, field] :
       {std::pair<const char*, const char*>{"job_title", "title"}, {"department", "department"}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) set(work, field, str_or_null(**v), "work." + std::string(field));
  }
  auto start = opt_date(fields, "start_date");
  if (!start.ok()) return start.error();
  if (*start) set(work, "startDate", bj::value(**start), "work.startDate");
  auto status = opt_enum(fields, "status", {"ACTIVE", "INACTIVE"});
  if (!status.ok()) return status.error();
  if (*status) {
    set(internal, "status", bj::value(**status == "ACTIVE" ? "Active" : "Inactive"), "internal.status");
    internal["lifecycleStatus"] = **status == "ACTIVE" ? "employed" : "terminated";
  }
  e["work"] = std::move(work);
  e["internal"] = std::move(internal);
  std::string display;
  for (const char* k : {"firstName", "surname"})
    if (e.at(k).is_string()) display += (display.empty() ? "" : " ") + std::string(e.at(k).as_string());
  e["displayName"] = display;
  if (e != rec.data) {
    rec.updated_at = now_ms();
    rec.data = std::move(e);
  }
  return changed;
}

Result<std::vector<std::string>> HiBobSimulator::apply_request(StoredRecord& rec, const bj::object& fields) {
  if (auto st =
          check_keys(fields, "hris_absences", {"start_date", "end_date", "status", "type_name", "note"});
      !st.ok())
    return st.error();
  bj::object r = rec.data;
  std::vector<std::string> changed;
  auto set = [&](std::string_view key, bj::value v) {
    if (r.at(key) != v) {
      r[key] = std::move(v);
      changed.emplace_back(key);
    }
  };
  auto start = opt_date(fields, "start_date");
  if (!start.ok()) return start.error();
  if (*start) set("startDate", bj::value(**start));
  auto end = opt_date(fields, "end_date");
  if (!end.ok()) return end.error();
  if (*end) set("endDate", bj::value(**end));
  if (r.at("startDate").is_string() && r.at("endDate").is_string() &&
      r.at("endDate").as_string() < r.at("startDate").as_string())
    return make_error(ErrorKind::kInvalidArgument, "end_date is before start_date");
  auto status = opt_enum(fields, "status", {"REQUESTED", "APPROVED", "DECLINED", "CANCELLED"});
  if (!status.ok()) return status.error();
  if (*status) set("status", bj::value(request_status(**status)));
  auto type = opt_string(fields, "type_name");
  if (!type.ok()) return type.error();
  if (*type && !(*type)->empty()) set("policyTypeDisplayName", bj::value(**type));
  auto note = opt_string(fields, "note");
  if (!note.ok()) return note.error();
  if (*note) set("description", str_or_null(**note));
  if (!changed.empty()) {
    rec.updated_at = now_ms();
    rec.data = std::move(r);
  }
  return changed;
}

HiBobSimulator::Pending HiBobSimulator::timeoff_event(std::string type, const StoredRecord& request) const {
  std::string employee(request.data.at("employeeId").as_string());
  return {std::move(type), bj::object{{"timeoffRequestId", request.data.at("requestId")},
                                      {"employeeId", employee},
                                      {"getApi", base_url() + "/v1/timeoff/employees/" + employee +
                                                     "/requests/" + request.id}}};
}

void HiBobSimulator::log_change(std::string_view change_type, const StoredRecord& request) {
  const auto& r = request.data;
  const auto* emp = employees_.find(r.at("employeeId").as_string());
  if (changes_.size() >= kMaxChanges) changes_.erase(changes_.begin());
  changes_.push_back({now_ms(), r.at("status") == bj::value("pending"),
                      bj::object{{"changeType", change_type},
                                 {"employeeId", r.at("employeeId")},
                                 {"employeeDisplayName", emp ? emp->data.at("displayName") : bj::value("")},
                                 {"employeeEmail", emp ? emp->data.at("email") : bj::value(nullptr)},
                                 {"requestId", r.at("requestId")},
                                 {"policyTypeDisplayName", r.at("policyTypeDisplayName")},
                                 {"type", r.at("type")},
                                 {"startDate", r.at("startDate")},
                                 {"startPortion", r.at("startDatePortion")},
                                 {"endDate", r.at("endDate")},
                                 {"endPortion", r.at("endDatePortion")}}});
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void HiBobSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string secret;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted()) {
      spdlog::info("sim hibob: webhooks disabled by permission; {} event(s) not delivered", events.size());
      return;
    }
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& h : hooks_)
        if (h.active && std::find(h.event_types.begin(), h.event_types.end(), e.type) != h.event_types.end())
          targets.push_back({h.url, h.secret});
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    bj::object body{{"companyId", kCompanyId},
                    {"type", event.type},
                    {"triggeredBy", kTriggeredBy},
                    {"triggeredAt", triggered_at(now_ms())},
                    {"version", "v2"},
                    {"data", event.data}};
    std::string bytes = json::serialize(body);
    for (const auto& t : targets) {
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.type;
      w.delivery_id = new_uuid();
      w.headers = {{"Content-Type", "application/json"}, {"Bob-Signature", signature(t.secret, bytes)}};
      w.body = bytes;
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::hibob
