#include "sim/personio/personio_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"

namespace tributary::sim::personio {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kCompanyId = 98765;

constexpr std::array<std::string_view, 7> kKnownEvents = {"person.created",
                                                          "person.updated",
                                                          "person.deleted",
                                                          "absence-period.created",
                                                          "absence-period.updated.timerange",
                                                          "absence-period.updated.status",
                                                          "absence-period.deleted"};

// Person attributes whose change fires person.updated (vendors.md: first/last/preferred name, gender,
// language, email and custom attributes).
constexpr std::array<std::string_view, 7> kNotifyingPersonFields = {
    "first_name", "last_name", "preferred_name", "gender", "language_code", "email", "custom_attributes"};

constexpr std::string_view kDefaultAbsenceTypeId = "5f4b5e2e-8c1d-4a0e-9a57-0c2f5d1e7a01";
constexpr std::string_view kDefaultAbsenceTypeName = "Paid vacation";

std::string gender_of(std::string_view unified) {
  if (unified == "NON_BINARY") return "DIVERSE";
  if (unified == "NOT_SPECIFIED") return "UNKNOWN";
  return std::string(unified);  // MALE, FEMALE, and Personio's own DIVERSE, UNKNOWN, UNDEFINED
}

std::string approval_of(std::string_view unified) {
  if (unified == "REQUESTED") return "PENDING";
  if (unified == "DECLINED") return "REJECTED";
  return std::string(unified);  // APPROVED, CANCELLED
}

std::string custom_type(const bj::value& v) {
  if (v.is_bool()) return "boolean";
  if (v.is_number()) return "decimal";
  if (v.is_array()) return "list";
  return "string";
}

// Sets or replaces one custom attribute per key of the control API's custom_fields.
Status merge_custom_fields(bj::object& person, const bj::value& custom) {
  if (!custom.is_object())
    return make_error(ErrorKind::kInvalidArgument, "field 'custom_fields' must be an object");
  bj::array attrs = person.at("custom_attributes").as_array();
  for (const auto& kv : custom.get_object()) {
    std::string attr_id = "custom_" + std::string(kv.key());
    auto it = std::find_if(attrs.begin(), attrs.end(),
                           [&](const bj::value& a) { return a.at("id").as_string() == attr_id; });
    bj::object attr{
        {"id", attr_id}, {"label", kv.key()}, {"type", custom_type(kv.value())}, {"value", kv.value()}};
    if (it != attrs.end())
      *it = std::move(attr);
    else
      attrs.push_back(std::move(attr));
  }
  person["custom_attributes"] = std::move(attrs);
  return {};
}

// The person's own attributes from the control API's fields (the employment status aside).
Status apply_person_fields(bj::object& p, const bj::object& fields) {
  for (std::string_view key : {"first_name", "last_name", "preferred_name"}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) p[key] = str_or_null(*v);
  }
  auto email = opt_string(fields, "work_email");
  if (!email.ok()) return email.error();
  if (*email) p["email"] = str_or_null(*email);
  auto gender = opt_enum(
      fields, "gender", {"MALE", "FEMALE", "NON_BINARY", "NOT_SPECIFIED", "DIVERSE", "UNKNOWN", "UNDEFINED"});
  if (!gender.ok()) return gender.error();
  if (*gender) p["gender"] = gender_of(**gender);
  auto language = opt_string(fields, "language_code");
  if (!language.ok()) return language.error();
  if (*language) p["language_code"] = str_or_null(*language);
  if (const auto* custom = fields.if_contains("custom_fields"))
    if (auto st = merge_custom_fields(p, *custom); !st.ok()) return st;
  return {};
}

// The employment's attributes from the control API's fields (the employment status aside).
Status apply_employment_fields(bj::object& e, const bj::object& fields) {
  auto title = opt_string(fields, "job_title");
  if (!title.ok()) return title.error();
  if (*title) e["position"] = bj::object{{"title", str_or_null(*title)}};
  auto start = opt_date(fields, "start_date");
  if (!start.ok()) return start.error();
  if (*start) e["start_date"] = **start;
  auto end = opt_date(fields, "termination_date");
  if (!end.ok()) return end.error();
  if (*end) e["termination_date"] = **end;
  if (const auto* hours = fields.if_contains("weekly_hours")) {
    if (!hours->is_number() && !hours->is_null())
      return make_error(ErrorKind::kInvalidArgument, "field 'weekly_hours' must be a number");
    e["weekly_working_hours"] = *hours;
  }
  return {};
}

// The webhooks API's error body for a rejected create or update.
http::Response webhook_error_reply(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalidArgument:
      return personio_error(400, "Bad Request", e.message);
    case ErrorKind::kConflict:
      return personio_error(409, "Conflict", e.message);
    case ErrorKind::kUpstream:
      return personio_error(422, "Unprocessable Entity", e.message);
    default:
      return personio_error(http_status(e.kind), "Error", e.message);
  }
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // Personio expects a 2xx within 3 s. Retried: timeouts (no answer) and 5xx except 501. 4xx and 501 are
  // final.
  static const auto schedule = make_retry_schedule(
      delays_in_minutes({1, 5, 30, 120, 720}), 0.1, std::chrono::milliseconds{3000},
      [](const http::ClientResponse& r) { return r.status == 0 || (r.status >= 500 && r.status != 501); });
  return schedule;
}

http::Response personio_error(int status, std::string_view title, std::string_view detail) {
  bj::object err{{"title", title},
                 {"detail", detail},
                 {"type", "https://developer.personio.de/v2.0/page/public-api-error-codes"},
                 {"_meta", bj::object{}}};
  bj::object body{{"personio_trace_id", new_uuid()},
                  {"timestamp", format_iso8601(now_ms()).substr(0, 19) + "Z"},
                  {"errors", bj::array{std::move(err)}}};
  return json_reply(status, body);
}

http::Response PersonioSimulator::fault_unauthorized() const {
  return personio_error(401, "Unauthorized", "missing or invalid access token");
}

http::Response PersonioSimulator::fault_rate_limited(int retry_after_seconds) const {
  return personio_error(429, "Too Many Requests", "rate limit exceeded")
      .with_header("Retry-After", std::to_string(retry_after_seconds));
}

std::unique_ptr<Simulator> make_personio_simulator(SimOptions options) {
  return std::make_unique<PersonioSimulator>(std::move(options));
}

PersonioSimulator::PersonioSimulator(SimOptions options)
    : SimulatorBase("personio", std::move(options), {"hris_employees", "hris_absences"}) {
  // developer.personio.de/changelog/rate-limits-on-get-employees-endpoint-may-6-2024: reading employees 300
  // per minute with bursts of at most 15 per second, 429 when exceeded (applied here to v2's persons, the
  // employees of the API simulated); developer.personio.de/v2.0/reference/authentication: the token endpoint
  // 150 per minute. The other endpoints publish no figure: the connector's declared 5 per second.
  ToolLimits limits;
  limits.overall.windows = {{5, 1000}};
  limits.endpoints.push_back(
      LimitRule{.method = "GET", .path = "/v2/persons", .windows = {{300, 60'000}, {15, 1000}}, .own = true});
  limits.endpoints.push_back(LimitRule{
      .method = "POST", .path = "/v2/auth/token", .exact = true, .windows = {{150, 60'000}}, .own = true});
  set_api_limits(std::move(limits));
  add_webhook_routes();
  add_record_routes();
}

PersonioSimulator::~PersonioSimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> PersonioSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(
      this, &PersonioSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "hris_employees" ? create_person(fields, events) : create_absence(fields, events);
      });
}

Result<bj::object> PersonioSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                 const bj::object& fields) {
  return change_then_fire(
      this, &PersonioSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "hris_employees" ? update_person(remote_id, fields, events, true)
                                         : update_absence(remote_id, fields, events, true);
      });
}

Result<bj::object> PersonioSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  std::vector<Pending> events;
  {
    MutexLock lock(mu_);
    if (model == "hris_employees") {
      const auto* p = persons_.find(remote_id);
      if (p == nullptr) return make_error(ErrorKind::kNotFound, "no person " + std::string(remote_id));
      for (const auto& e : p->data.at("employments").as_array())
        employments_.erase(e.at("id").as_string());
      persons_.erase(remote_id);
      events.push_back({"person.deleted", std::string(remote_id)});
    } else {
      if (!absences_.erase(remote_id))
        return make_error(ErrorKind::kNotFound, "no absence period " + std::string(remote_id));
      events.push_back({"absence-period.deleted", std::string(remote_id)});
    }
  }
  fire(std::move(events));
  return bj::object{{"remote_id", std::string(remote_id)}};
}

Result<bj::value> PersonioSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  const auto* r = model == "hris_employees" ? persons_.find(remote_id) : absences_.find(remote_id);
  if (r == nullptr) return make_error(ErrorKind::kNotFound, "no record " + std::string(remote_id));
  bj::object out = r->data;
  if (model == "hris_employees") {
    bj::array employments;
    for (const auto& e : r->data.at("employments").as_array())
      if (const auto* emp = employments_.find(e.at("id").as_string())) employments.push_back(emp->data);
    out["employments"] = std::move(employments);
  }
  return bj::value(std::move(out));
}

bj::array PersonioSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "hris_employees" ? persons_ : absences_).all_data();
}

bj::array PersonioSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& w : webhooks_)
    out.push_back(webhook_json(w, false));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Persons

Result<bj::object> PersonioSimulator::create_person(const bj::object& fields, std::vector<Pending>& out) {
  Millis now = now_ms();
  std::string id = std::to_string(next_person_id_++);
  std::string employment_id = new_uuid();
  bj::object person{{"id", id},
                    {"first_name", nullptr},
                    {"last_name", nullptr},
                    {"preferred_name", nullptr},
                    {"email", nullptr},
                    {"gender", "UNKNOWN"},
                    {"language_code", "en"},
                    {"status", "ACTIVE"},
                    {"created_at", format_iso8601(now)},
                    {"updated_at", format_iso8601(now)},
                    {"custom_attributes", bj::array{}},
                    {"employments", bj::array{bj::object{{"id", employment_id}}}}};
  bj::object employment{{"id", employment_id},
                        {"person", bj::object{{"id", id}}},
                        {"status", "ACTIVE"},
                        {"position", bj::object{{"title", nullptr}}},
                        {"start_date", nullptr},
                        {"termination_date", nullptr},
                        {"weekly_working_hours", nullptr},
                        {"created_at", format_iso8601(now)},
                        {"updated_at", format_iso8601(now)}};
  persons_.put(id, std::move(person), now);
  employments_.put(employment_id, std::move(employment), now);
  std::vector<Pending> ignored;
  if (auto r = update_person(id, fields, ignored, false); !r.ok()) {
    persons_.erase(id);
    employments_.erase(employment_id);
    --next_person_id_;
    return r.error();
  }
  out.push_back({"person.created", id});
  return bj::object{{"remote_id", id}, {"employment_id", employment_id}};
}

Result<bj::object> PersonioSimulator::update_person(std::string_view id, const bj::object& fields,
                                                    std::vector<Pending>& out, bool announce) {
  auto* rec = persons_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no person " + std::string(id));
  if (auto st = check_keys(fields, "hris_employees",
                           {"first_name", "last_name", "preferred_name", "work_email", "gender",
                            "language_code", "custom_fields", "job_title", "employment_status", "start_date",
                            "termination_date", "weekly_hours"});
      !st.ok())
    return st.error();
  bj::object p = rec->data;
  if (auto st = apply_person_fields(p, fields); !st.ok()) return st.error();
  auto status = opt_enum(fields, "employment_status", {"ACTIVE", "PENDING", "INACTIVE", "LEAVE"});
  if (!status.ok()) return status.error();
  std::optional<std::string> personio_status;
  if (*status) personio_status = **status == "PENDING" ? "ONBOARDING" : **status;
  if (personio_status) p["status"] = *personio_status;

  // Employment attributes (never notifying for person.updated).
  std::string employment_id(p.at("employments").as_array().at(0).at("id").as_string());
  auto* emp = employments_.find(employment_id);
  if (emp == nullptr) return make_error(ErrorKind::kInternal, "person without an employment");
  bj::object e = emp->data;
  if (auto st = apply_employment_fields(e, fields); !st.ok()) return st.error();
  if (personio_status) e["status"] = *personio_status;

  bool notifying = false;
  for (auto key : kNotifyingPersonFields)
    if (p.at(key) != rec->data.at(key)) notifying = true;
  bool changed = p != rec->data || e != emp->data;
  Millis now = now_ms();
  if (changed) {
    p["updated_at"] = format_iso8601(now);
    rec->data = std::move(p);
    rec->updated_at = now;
  }
  if (e != emp->data) {
    e["updated_at"] = format_iso8601(now);
    emp->data = std::move(e);
    emp->updated_at = now;
  }
  if (announce && notifying) out.push_back({"person.updated", std::string(id)});
  return bj::object{{"remote_id", std::string(id)}, {"notified", announce && notifying}};
}

// ---------------------------------------------------------------------------------------------------------------
// Absence periods

Result<bj::object> PersonioSimulator::create_absence(const bj::object& fields, std::vector<Pending>& out) {
  auto person = opt_id(fields, fields.contains("employee_remote_id") ? "employee_remote_id" : "employee_id");
  if (!person.ok()) return person.error();
  if (!*person)
    return make_error(ErrorKind::kInvalidArgument,
                      "an absence needs 'employee_remote_id' (the person's remote id)");
  if (persons_.find(**person) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "no person " + **person + " for this absence");
  if (!fields.contains("start_date"))
    return make_error(ErrorKind::kInvalidArgument, "an absence needs 'start_date'");
  Millis now = now_ms();
  std::string id = new_uuid();
  bj::object absence{
      {"id", id},
      {"person", bj::object{{"id", **person}}},
      {"absence_type", bj::object{{"id", kDefaultAbsenceTypeId}, {"name", kDefaultAbsenceTypeName}}},
      {"starts_from", bj::object{{"date_time", nullptr}, {"type", "FULL_DAY"}}},
      {"ends_at", bj::object{{"date_time", nullptr}, {"type", "FULL_DAY"}}},
      {"timezone", "Europe/Berlin"},
      {"approval", bj::object{{"status", "PENDING"}}},
      {"comment", nullptr},
      {"created_at", format_iso8601(now)},
      {"updated_at", format_iso8601(now)}};
  absences_.put(id, std::move(absence), now);
  bj::object rest = fields;
  rest.erase("employee_remote_id");
  rest.erase("employee_id");
  std::vector<Pending> ignored;
  if (auto r = update_absence(id, rest, ignored, false); !r.ok()) {
    absences_.erase(id);
    return r.error();
  }
  auto* rec = absences_.find(id);
  if (rec->data.at("ends_at").at("date_time").is_null())
    rec->data["ends_at"].as_object()["date_time"] = rec->data.at("starts_from").at("date_time");
  out.push_back({"absence-period.created", id});
  return bj::object{{"remote_id", id}};
}

Result<bj::object> PersonioSimulator::update_absence(std::string_view id, const bj::object& fields,
                                                     std::vector<Pending>& out, bool announce) {
  auto* rec = absences_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no absence period " + std::string(id));
  if (auto st = check_keys(fields, "hris_absences",
                           {"start_date", "end_date", "start_half_day", "end_half_day", "status",
                            "employee_note", "type_name", "type_id"});
      !st.ok())
    return st.error();
  bj::object a = rec->data;
  bj::object starts = a.at("starts_from").as_object();
  bj::object ends = a.at("ends_at").as_object();
  auto start = opt_date(fields, "start_date");
  if (!start.ok()) return start.error();
  if (*start) starts["date_time"] = **start + "T00:00:00";
  auto end = opt_date(fields, "end_date");
  if (!end.ok()) return end.error();
  if (*end) ends["date_time"] = **end + "T00:00:00";
  // Half days (our reading of Personio's period types): a period starting at noon starts with SECOND_HALF,
  // one ending at noon ends with FIRST_HALF.
  auto start_half = opt_bool(fields, "start_half_day");
  if (!start_half.ok()) return start_half.error();
  if (*start_half) starts["type"] = **start_half ? "SECOND_HALF" : "FULL_DAY";
  auto end_half = opt_bool(fields, "end_half_day");
  if (!end_half.ok()) return end_half.error();
  if (*end_half) ends["type"] = **end_half ? "FIRST_HALF" : "FULL_DAY";
  if (!starts.at("date_time").is_null() && !ends.at("date_time").is_null() &&
      ends.at("date_time").as_string() < starts.at("date_time").as_string())
    return make_error(ErrorKind::kInvalidArgument, "end_date is before start_date");
  bool timerange = starts != a.at("starts_from").as_object() || ends != a.at("ends_at").as_object();
  a["starts_from"] = std::move(starts);
  a["ends_at"] = std::move(ends);

  auto status = opt_enum(fields, "status", {"REQUESTED", "APPROVED", "DECLINED", "CANCELLED"});
  if (!status.ok()) return status.error();
  bool status_changed = false;
  if (*status) {
    std::string s = approval_of(**status);
    status_changed = a.at("approval").at("status").as_string() != s;
    a["approval"] = bj::object{{"status", s}};
  }
  auto note = opt_string(fields, "employee_note");
  if (!note.ok()) return note.error();
  if (*note) a["comment"] = str_or_null(*note);
  auto type_name = opt_string(fields, "type_name");
  if (!type_name.ok()) return type_name.error();
  auto type_id = opt_id(fields, "type_id");
  if (!type_id.ok()) return type_id.error();
  if (*type_name || *type_id) {
    bj::object t = a.at("absence_type").as_object();
    if (*type_id) t["id"] = **type_id;
    if (*type_name) t["name"] = str_or_null(*type_name);
    a["absence_type"] = std::move(t);
  }
  Millis now = now_ms();
  if (a != rec->data) {
    a["updated_at"] = format_iso8601(now);
    rec->data = std::move(a);
    rec->updated_at = now;
  }
  if (announce && timerange) out.push_back({"absence-period.updated.timerange", std::string(id)});
  if (announce && status_changed) out.push_back({"absence-period.updated.status", std::string(id)});
  return bj::object{{"remote_id", std::string(id)}, {"notified", announce && (timerange || status_changed)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks API

bj::object PersonioSimulator::webhook_json(const Webhook& w, bool with_token) const {
  bj::array events;
  for (const auto& e : w.enabled_events)
    events.push_back(bj::value(e));
  bj::object o{{"id", w.id},
               {"url", w.url},
               {"description", w.description},
               {"enabled_events", std::move(events)},
               {"status", w.status},
               {"auth_type", w.auth_type},
               {"created_at", format_iso8601(w.created_at)},
               {"updated_at", format_iso8601(w.updated_at)}};
  if (with_token) o["token"] = w.token.empty() ? bj::value(nullptr) : bj::value(w.token);
  return o;
}

PersonioSimulator::Webhook* PersonioSimulator::find_webhook(std::string_view id) {
  for (auto& w : webhooks_)
    if (w.id == id) return &w;
  return nullptr;
}

// kInvalidArgument = 400 (missing or malformed), kConflict = 409, kForbidden is not used here; a value
// Personio cannot accept (bad url, unknown event) is reported as kUpstream and mapped to 422 by the caller.
Status PersonioSimulator::apply_webhook_fields(Webhook& w, const bj::object& body, bool creating) {
  auto unprocessable = [](std::string m) { return make_error(ErrorKind::kUpstream, std::move(m)); };
  if (const auto* url = body.if_contains("url")) {
    if (!url->is_string()) return make_error(ErrorKind::kInvalidArgument, "url must be a string");
    std::string_view u = url->get_string();
    // Personio requires https; the simulator also accepts http so tests can receive on loopback.
    if (!is_plain_http_url(u)) return unprocessable("url must be an absolute https URL");
    for (const auto& other : webhooks_)
      if (other.id != w.id && other.url == u)
        return make_error(ErrorKind::kConflict, "a webhook for this url already exists");
    w.url = std::string(u);
  } else if (creating) {
    return make_error(ErrorKind::kInvalidArgument, "url is required");
  }
  if (const auto* events = body.if_contains("enabled_events")) {
    if (!events->is_array()) return make_error(ErrorKind::kInvalidArgument, "enabled_events must be a list");
    std::vector<std::string> list;
    for (const auto& e : events->get_array()) {
      if (!e.is_string() || std::find(kKnownEvents.begin(), kKnownEvents.end(),
                                      std::string_view(e.get_string())) == kKnownEvents.end())
        return unprocessable("unknown event " + json::serialize(e));
      if (std::find(list.begin(), list.end(), e.get_string()) == list.end())
        list.emplace_back(e.get_string());
    }
    if (list.empty()) return unprocessable("enabled_events must not be empty");
    w.enabled_events = std::move(list);
  } else if (creating) {
    return make_error(ErrorKind::kInvalidArgument, "enabled_events is required");
  }
  if (const auto* d = body.if_contains("description")) {
    if (!d->is_string() && !d->is_null())
      return make_error(ErrorKind::kInvalidArgument, "description must be a string");
    w.description = d->is_string() ? std::string(d->get_string()) : std::string{};
  }
  if (const auto* s = body.if_contains("status")) {
    if (!s->is_string() || (s->get_string() != "ENABLED" && s->get_string() != "DISABLED"))
      return unprocessable("status must be ENABLED or DISABLED");
    w.status = std::string(s->get_string());
  }
  if (const auto* a = body.if_contains("auth_type")) {
    if (!a->is_string() || (a->get_string() != "TOKEN" && a->get_string() != "NONE"))
      return unprocessable("auth_type must be TOKEN or NONE");
    w.auth_type = std::string(a->get_string());
  }
  if (const auto* t = body.if_contains("token")) {
    if (!t->is_string() && !t->is_null())
      return make_error(ErrorKind::kInvalidArgument, "token must be a string");
    if (t->is_string() && t->get_string().size() > 1024) return unprocessable("token is too long");
    w.token = t->is_string() ? std::string(t->get_string()) : std::string{};
  }
  if (w.auth_type == "TOKEN" && w.token.empty()) {
    w.token = crypto::random_token(32);
    note_secret("webhook token", w.token);
  }
  return {};
}

bool PersonioSimulator::token_valid(const http::Request& request) const {
  return tokens_.accepts(request, now_ms());
}

std::optional<http::Response> PersonioSimulator::webhooks_gate(const http::Request& request,
                                                               bool write) const {
  if (!token_valid(request)) return personio_error(401, "Unauthorized", "missing or invalid access token");
  if (!webhooks_permitted())
    return personio_error(
        403, "Forbidden",
        write ? "missing scope personio:webhooks:write" : "missing scope personio:webhooks:read");
  return std::nullopt;
}

void PersonioSimulator::add_webhook_routes() {
  router().add_sync("POST", "/v2/webhooks",
                    [this](const http::Request& req, const http::Params&) { return create_webhook(req); });

  router().add_sync("GET", "/v2/webhooks", [this](const http::Request& req, const http::Params&) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req, false)) return *denied;
    bj::array data;
    for (const auto& w : webhooks_)
      data.push_back(webhook_json(w, true));
    return json_reply(200,
                      bj::object{{"_data", std::move(data)}, {"_meta", bj::object{{"links", bj::object{}}}}});
  });

  router().add_sync("GET", "/v2/webhooks/{id}", [this](const http::Request& req, const http::Params& params) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req, false)) return *denied;
    auto* w = find_webhook(params.at("id"));
    if (w == nullptr) return personio_error(404, "Not Found", "webhook not found");
    return json_reply(200, webhook_json(*w, true));
  });

  router().add_sync("PATCH", "/v2/webhooks/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      return update_webhook(req, params.at("id"));
                    });

  router().add_sync("DELETE", "/v2/webhooks/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      MutexLock lock(mu_);
                      if (auto denied = webhooks_gate(req, true)) return *denied;
                      auto it = std::find_if(webhooks_.begin(), webhooks_.end(),
                                             [&](const Webhook& w) { return w.id == params.at("id"); });
                      if (it == webhooks_.end()) return personio_error(404, "Not Found", "webhook not found");
                      spdlog::info("sim personio: webhook {} deleted", it->id);
                      webhooks_.erase(it);
                      http::Response r;
                      r.status = 204;
                      return r;
                    });
}

http::Response PersonioSimulator::create_webhook(const http::Request& req) {
  MutexLock lock(mu_);
  if (auto denied = webhooks_gate(req, true)) return *denied;
  auto body = parse_object_body(req.body);
  if (!body.ok()) return personio_error(400, "Bad Request", body.error().message);
  Webhook w;
  w.id = new_uuid();
  if (auto st = apply_webhook_fields(w, *body, true); !st.ok()) return webhook_error_reply(st.error());
  w.created_at = w.updated_at = now_ms();
  webhooks_.push_back(w);
  spdlog::info("sim personio: webhook {} created for {} ({})", w.id, w.url, w.status);
  return json_reply(201, webhook_json(w, true));
}

http::Response PersonioSimulator::update_webhook(const http::Request& req, std::string_view id) {
  MutexLock lock(mu_);
  if (auto denied = webhooks_gate(req, true)) return *denied;
  auto* w = find_webhook(id);
  if (w == nullptr) return personio_error(404, "Not Found", "webhook not found");
  auto body = parse_object_body(req.body);
  if (!body.ok()) return personio_error(400, "Bad Request", body.error().message);
  Webhook updated = *w;
  if (auto st = apply_webhook_fields(updated, *body, false); !st.ok()) return webhook_error_reply(st.error());
  updated.updated_at = now_ms();
  *w = std::move(updated);
  return json_reply(200, webhook_json(*w, true));
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void PersonioSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string auth_type;
    std::string token;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& w : webhooks_) {
        if (w.status != "ENABLED") continue;
        if (std::find(w.enabled_events.begin(), w.enabled_events.end(), e.event_name) ==
            w.enabled_events.end())
          continue;
        targets.push_back({w.url, w.auth_type, w.token});
      }
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    // Dataless notification: the changed object's id only; the receiver fetches the record.
    bj::object body{{"company_id", kCompanyId},
                    {"event_name", event.event_name},
                    {"occurred_at", format_iso8601(now_ms())},
                    {"payload", bj::object{{"id", event.id}}}};
    std::string bytes = json::serialize(body);
    for (const auto& t : targets) {
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.event_name;
      w.delivery_id = new_uuid();
      w.headers = {{"Content-Type", "application/json"}};
      // The token goes back verbatim in Authorization (no scheme, no HMAC).
      if (t.auth_type == "TOKEN") w.headers.emplace_back("Authorization", t.token);
      w.body = bytes;
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::personio
