#include "sim/bamboohr/bamboohr_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"

namespace tributary::sim::bamboohr {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kCompanyId = 314159;

struct MonitorField {
  int id;
  std::string_view name;
  std::string_view alias;
};

// The monitorable fields (GET /webhooks/monitor_fields), with BambooHR's field ids and names.
constexpr std::array<MonitorField, 12> kMonitorFields = {{{4, "First Name", "firstName"},
                                                          {5, "Last Name", "lastName"},
                                                          {1358, "Preferred Name", "preferredName"},
                                                          {15, "Work Email", "workEmail"},
                                                          {16, "Home Email", "homeEmail"},
                                                          {17, "Job Title", "jobTitle"},
                                                          {18, "Department", "department"},
                                                          {19, "Division", "division"},
                                                          {20, "Location", "location"},
                                                          {62, "Status", "status"},
                                                          {1, "Hire Date", "hireDate"},
                                                          {3, "Employee #", "employeeNumber"}}};

// Event-based events, then the legacy field-based ones
// (https://documentation.bamboohr.com/docs/event-based-webhooks, /docs/field-based-webhooks).
constexpr std::array<std::string_view, 6> kEvents = {"employee.created",
                                                     "employee.updated",
                                                     "employee.deleted",
                                                     "employee_with_fields.created",
                                                     "employee_with_fields.updated",
                                                     "employee_with_fields.deleted"};

bool is_legacy_event(std::string_view e) {
  return e.starts_with("employee_with_fields.");
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

const MonitorField* monitor_field(std::string_view alias_or_name) {
  for (const auto& f : kMonitorFields)
    if (f.alias == alias_or_name || f.name == alias_or_name) return &f;
  return nullptr;
}

std::string time_off_status(std::string_view unified) {
  if (unified == "APPROVED") return "approved";
  if (unified == "DECLINED") return "denied";
  if (unified == "CANCELLED") return "canceled";
  return "requested";
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // 4xx answers are final; 5xx and no answer are retried.
  static const auto schedule =
      make_retry_schedule(delays_in_minutes({5, 10, 20, 40, 80}), 0.0, std::chrono::milliseconds{10000},
                          [](const http::ClientResponse& r) { return r.status == 0 || r.status >= 500; });
  return schedule;
}

http::Response bamboohr_error(int status, std::string_view message) {
  auto r = json_reply(status, bj::object{{"error", message}});
  r.with_header("X-BambooHR-Error-Message", std::string(message));
  if (status == 401) r.with_header("WWW-Authenticate", "Basic realm=\"BambooHR\"");
  return r;
}

bool basic_auth_ok(const http::Request& request) {
  return has_basic_credentials(request, false);
}

std::unique_ptr<Simulator> make_bamboohr_simulator(SimOptions options) {
  return std::make_unique<BambooHrSimulator>(std::move(options));
}

BambooHrSimulator::BambooHrSimulator(SimOptions options)
    : SimulatorBase("bamboohr", std::move(options), {"hris_employees", "hris_absences"}) {
  // No published number: the connector's declared conservative 5 per second. BambooHR answers a client that
  // goes too fast 503 with Retry-After.
  ToolLimits limits = unpublished_tool_limits();
  limits.refusal_status = 503;
  set_api_limits(std::move(limits));
  add_webhook_routes();
  add_record_routes();
}

BambooHrSimulator::~BambooHrSimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> BambooHrSimulator::sim_create(std::string_view model, const bj::object& fields) {
  std::vector<Change> changes;
  std::string id;
  {
    MutexLock lock(mu_);
    Millis now = now_ms();
    auto created =
        model == "hris_employees" ? create_employee(now, fields, changes) : create_request(now, fields);
    if (!created.ok()) return created.error();
    id = std::move(*created);
  }
  fire(std::move(changes));
  return bj::object{{"remote_id", id}};
}

Result<bj::object> BambooHrSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                 const bj::object& fields) {
  std::vector<Change> changes;
  {
    MutexLock lock(mu_);
    if (model == "hris_employees") {
      auto* rec = employees_.find(remote_id);
      if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no employee " + std::string(remote_id));
      auto changed = apply_employee(*rec, fields);
      if (!changed.ok()) return changed.error();
      if (!changed->empty()) changes.push_back({"Updated", rec->id, std::move(*changed), rec->data});
    } else {
      auto* rec = requests_.find(remote_id);
      if (rec == nullptr)
        return make_error(ErrorKind::kNotFound, "no time-off request " + std::string(remote_id));
      if (auto st = apply_request(*rec, fields); !st.ok()) return st.error();
    }
  }
  bool notified = !changes.empty();
  fire(std::move(changes));
  return bj::object{{"remote_id", std::string(remote_id)}, {"notified", notified}};
}

Result<bj::object> BambooHrSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  std::vector<Change> changes;
  {
    MutexLock lock(mu_);
    if (model == "hris_employees") {
      const auto* rec = employees_.find(remote_id);
      if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no employee " + std::string(remote_id));
      changes.push_back({"Deleted", rec->id, {}, rec->data});
      std::vector<std::string> owned;
      for (const auto* r : requests_.all())
        if (r->data.at("employeeId") == bj::value(remote_id)) owned.push_back(r->id);
      for (const auto& id : owned)
        requests_.erase(id);
      employees_.erase(remote_id);
      deleted_employees_[std::string(remote_id)] = now_ms();
    } else if (!requests_.erase(remote_id)) {
      return make_error(ErrorKind::kNotFound, "no time-off request " + std::string(remote_id));
    }
  }
  fire(std::move(changes));
  return bj::object{{"remote_id", std::string(remote_id)}};
}

Result<bj::value> BambooHrSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return (model == "hris_employees" ? employees_ : requests_).data_of(remote_id);
}

bj::array BambooHrSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "hris_employees" ? employees_ : requests_).all_data();
}

bj::array BambooHrSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& w : webhooks_)
    out.push_back(webhook_json(w, false));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Records (the caller holds mu_)

Result<std::string> BambooHrSimulator::create_employee(Millis now, const bj::object& fields,
                                                       std::vector<Change>& out) {
  std::string id = std::to_string(next_employee_id_++);
  bj::object e{{"id", id},
               {"firstName", nullptr},
               {"lastName", nullptr},
               {"preferredName", nullptr},
               {"displayName", ""},
               {"workEmail", nullptr},
               {"homeEmail", nullptr},
               {"jobTitle", nullptr},
               {"department", nullptr},
               {"division", nullptr},
               {"location", nullptr},
               {"status", "Active"},
               {"hireDate", nullptr},
               {"terminationDate", nullptr},
               {"employeeNumber", std::to_string(employees_.size() + 1)},
               {"lastChanged", format_iso8601(now).substr(0, 19) + "+00:00"}};
  auto& rec = employees_.put(id, std::move(e), now);
  auto changed = apply_employee(rec, fields);
  if (!changed.ok()) {
    employees_.erase(id);
    return changed.error();
  }
  out.push_back({"Created", id, std::move(*changed), rec.data});
  return id;
}

// A new time-off request fires no webhook (BambooHR has none for time off).
Result<std::string> BambooHrSimulator::create_request(Millis now, const bj::object& fields) {
  auto employee =
      opt_id(fields, fields.contains("employee_remote_id") ? "employee_remote_id" : "employee_id");
  if (!employee.ok()) return employee.error();
  if (!*employee) return make_error(ErrorKind::kInvalidArgument, "employee_id is required");
  if (employees_.find(**employee) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "no employee " + **employee);
  std::string id = std::to_string(next_request_id_++);
  std::string created = format_iso8601(now).substr(0, 10);
  bj::object r{
      {"id", id},
      {"employeeId", **employee},
      {"name", ""},
      {"status",
       bj::object{{"lastChanged", created}, {"lastChangedByUserId", "2369"}, {"status", "requested"}}},
      {"start", nullptr},
      {"end", nullptr},
      {"created", created},
      {"type", bj::object{{"id", "78"}, {"name", "Vacation"}, {"icon", "palm-trees"}}},
      {"amount", bj::object{{"unit", "days"}, {"amount", "1"}}},
      {"actions", bj::object{{"view", true},
                             {"edit", true},
                             {"cancel", true},
                             {"approve", true},
                             {"deny", true},
                             {"bypass", true}}},
      {"dates", bj::object{}},
      {"notes", bj::object{}}};
  auto& rec = requests_.put(id, std::move(r), now);
  bj::object rest = fields;
  rest.erase("employee_id");
  rest.erase("employee_remote_id");
  if (auto st = apply_request(rec, rest); !st.ok()) {
    requests_.erase(id);
    return st.error();
  }
  if (rec.data.at("start").is_null()) {
    requests_.erase(id);
    return make_error(ErrorKind::kInvalidArgument, "start_date is required");
  }
  if (rec.data.at("end").is_null()) {
    bj::object more{{"end_date", rec.data.at("start")}};
    (void)apply_request(rec, more);
  }
  return id;
}

Result<std::vector<std::string>> BambooHrSimulator::apply_employee(StoredRecord& rec,
                                                                   const bj::object& fields) {
  if (auto st = check_keys(fields, "hris_employees",
                           {"first_name", "last_name", "preferred_name", "work_email", "personal_email",
                            "job_title", "department", "division", "location", "start_date",
                            "termination_date", "employee_number", "status"});
      !st.ok())
    return st.error();
  bj::object e = rec.data;
  for (auto [key, alias] : {std::pair<const char*, const char*>{"first_name", "firstName"},
                            {"last_name", "lastName"},
                            {"preferred_name", "preferredName"},
                            {"work_email", "workEmail"},
                            {"personal_email", "homeEmail"},
                            {"job_title", "jobTitle"},
                            {"department", "department"},
                            {"division", "division"},
                            {"location", "location"},
                            {"employee_number", "employeeNumber"}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) e[alias] = str_or_null(**v);
  }
  for (auto [key, alias] : {std::pair<const char*, const char*>{"start_date", "hireDate"},
                            {"termination_date", "terminationDate"}}) {
    auto v = opt_date(fields, key);
    if (!v.ok()) return v.error();
    if (*v) e[alias] = **v;
  }
  auto status = opt_enum(fields, "status", {"ACTIVE", "INACTIVE"});
  if (!status.ok()) return status.error();
  if (*status) e["status"] = **status == "ACTIVE" ? "Active" : "Inactive";
  std::string first = e.at("preferredName").is_string() ? std::string(e.at("preferredName").as_string())
                      : e.at("firstName").is_string()   ? std::string(e.at("firstName").as_string())
                                                        : std::string{};
  std::string display = first;
  if (e.at("lastName").is_string())
    display += (display.empty() ? "" : " ") + std::string(e.at("lastName").as_string());
  e["displayName"] = display;

  std::vector<std::string> changed;
  for (const auto& f : kMonitorFields)
    if (e.at(f.alias) != rec.data.at(f.alias)) changed.emplace_back(f.alias);
  if (e != rec.data) {
    Millis now = now_ms();
    e["lastChanged"] = format_iso8601(now).substr(0, 19) + "+00:00";
    rec.updated_at = now;
    rec.data = std::move(e);
  }
  return changed;
}

Status BambooHrSimulator::apply_request(StoredRecord& rec, const bj::object& fields) {
  if (auto st =
          check_keys(fields, "hris_absences", {"start_date", "end_date", "status", "type_name", "note"});
      !st.ok())
    return st.error();
  bj::object r = rec.data;
  auto start = opt_date(fields, "start_date");
  if (!start.ok()) return start.error();
  if (*start) r["start"] = **start;
  auto end = opt_date(fields, "end_date");
  if (!end.ok()) return end.error();
  if (*end) r["end"] = **end;
  if (r.at("start").is_string() && r.at("end").is_string()) {
    if (r.at("end").as_string() < r.at("start").as_string())
      return make_error(ErrorKind::kInvalidArgument, "end_date is before start_date");
    auto from = parse_iso8601(r.at("start").as_string());
    auto to = parse_iso8601(r.at("end").as_string());
    bj::object dates;
    if (from && to)
      for (Millis d = *from; d <= *to && dates.size() < 400; d += 86400000)
        dates[format_iso8601(d).substr(0, 10)] = "1";
    r["amount"] = bj::object{{"unit", "days"}, {"amount", std::to_string(dates.size())}};
    r["dates"] = std::move(dates);
  }
  auto status = opt_enum(fields, "status", {"REQUESTED", "APPROVED", "DECLINED", "CANCELLED"});
  if (!status.ok()) return status.error();
  if (*status)
    r["status"] = bj::object{{"lastChanged", format_iso8601(now_ms()).substr(0, 10)},
                             {"lastChangedByUserId", "2369"},
                             {"status", time_off_status(**status)}};
  auto type = opt_string(fields, "type_name");
  if (!type.ok()) return type.error();
  if (*type && !(*type)->empty()) r["type"].as_object()["name"] = **type;
  auto note = opt_string(fields, "note");
  if (!note.ok()) return note.error();
  if (*note) r["notes"] = (*note)->empty() ? bj::object{} : bj::object{{"employee", **note}};
  if (const auto* emp = employees_.find(r.at("employeeId").as_string()))
    r["name"] = emp->data.at("displayName");
  if (r != rec.data) {
    rec.updated_at = now_ms();
    rec.data = std::move(r);
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks API

bj::object BambooHrSimulator::webhook_json(const Webhook& w, bool with_key) const {
  bj::array monitor;
  for (const auto& f : w.monitor_fields)
    monitor.push_back(bj::value(f));
  bj::array events;
  for (const auto& e : w.events)
    events.push_back(bj::value(e));
  bj::object o{
      {"id", std::stoll(w.id)},
      {"name", w.name},
      {"created", format_iso8601(w.created_at).substr(0, 19) + "+00:00"},
      {"lastSent", w.last_sent == 0 ? bj::value(nullptr)
                                    : bj::value(format_iso8601(w.last_sent).substr(0, 19) + "+00:00")},
      {"monitorFields", std::move(monitor)},
      {"postFields", w.post_fields},
      {"url", w.url},
      {"format", w.format},
      {"frequency", w.frequency},
      {"limit", w.limit},
      {"events", std::move(events)}};
  if (with_key) o["privateKey"] = w.private_key;
  return o;
}

BambooHrSimulator::Webhook* BambooHrSimulator::find_webhook(std::string_view id) {
  for (auto& w : webhooks_)
    if (w.id == id) return &w;
  return nullptr;
}

std::optional<http::Response> BambooHrSimulator::webhooks_gate(const http::Request& request) const {
  if (!basic_auth_ok(request)) return bamboohr_error(401, "Invalid or missing API key");
  if (!webhooks_permitted())
    return bamboohr_error(403, "The API user's access level does not allow webhooks");
  return std::nullopt;
}

void BambooHrSimulator::add_webhook_routes() {
  for (const std::string base : {"/api/gateway.php/{company}/v1/webhooks", "/api/v1/webhooks"})
    add_webhook_routes_at(base);
}

void BambooHrSimulator::add_webhook_routes_at(const std::string& base) {
  auto create = [this](const http::Request& req, const http::Params&) { return create_webhook(req); };
  router().add_sync("POST", base + "/", create);
  router().add_sync("POST", base, create);

  auto list = [this](const http::Request& req, const http::Params&) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req)) return *denied;
    bj::array out;
    for (const auto& w : webhooks_)
      out.push_back(bj::object{{"id", std::stoll(w.id)}, {"name", w.name}, {"url", w.url}});
    return json_reply(200, bj::object{{"webhooks", std::move(out)}});
  };
  router().add_sync("GET", base + "/", list);
  router().add_sync("GET", base, list);

  router().add_sync("GET", base + "/monitor_fields", [this](const http::Request& req, const http::Params&) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req)) return *denied;
    bj::array out;
    for (const auto& f : kMonitorFields)
      out.push_back(bj::object{{"id", f.id}, {"name", f.name}, {"alias", f.alias}});
    return json_reply(200, bj::object{{"fields", std::move(out)}});
  });

  router().add_sync("GET", base + "/{id}", [this](const http::Request& req, const http::Params& params) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req)) return *denied;
    auto* w = find_webhook(params.at("id"));
    if (w == nullptr) return bamboohr_error(404, "Webhook not found");
    return json_reply(200, webhook_json(*w, false));
  });

  router().add_sync("DELETE", base + "/{id}", [this](const http::Request& req, const http::Params& params) {
    MutexLock lock(mu_);
    if (auto denied = webhooks_gate(req)) return *denied;
    auto it = std::find_if(webhooks_.begin(), webhooks_.end(),
                           [&](const Webhook& w) { return w.id == params.at("id"); });
    if (it == webhooks_.end()) return bamboohr_error(404, "Webhook not found");
    spdlog::info("sim bamboohr: webhook {} deleted", it->id);
    webhooks_.erase(it);
    return json_reply(200, bj::object{});
  });
}

http::Response BambooHrSimulator::create_webhook(const http::Request& req) {
  MutexLock lock(mu_);
  if (auto denied = webhooks_gate(req)) return *denied;
  auto body = parse_object_body(req.body);
  if (!body.ok()) return bamboohr_error(400, body.error().message);
  auto parsed = webhook_from(*body);
  if (!parsed.ok()) return bamboohr_error(400, parsed.error().message);
  Webhook& w = *parsed;
  w.id = std::to_string(next_webhook_id_++);
  w.private_key = crypto::hex_encode(crypto::random_bytes(32));
  note_secret("webhook privateKey", w.private_key);
  w.created_at = now_ms();
  webhooks_.push_back(w);
  spdlog::info("sim bamboohr: webhook {} created for {}", w.id, w.url);
  return json_reply(201, webhook_json(w, true));
}

// The webhook a create request describes (without id, key and creation time); the error message is answered
// with a 400.
Result<BambooHrSimulator::Webhook> BambooHrSimulator::webhook_from(const bj::object& body) {
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  auto str = [&](std::string_view k) -> std::string {
    const auto* v = body.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string{};
  };
  Webhook w;
  w.name = str("name");
  w.url = str("url");
  if (w.name.empty()) return bad("name is required");
  // BambooHR requires https; the simulator also accepts http so tests can receive on loopback.
  if (!is_plain_http_url(w.url)) return bad("url must be an https URL");
  if (body.contains("format")) {
    w.format = str("format");
    if (w.format != "json") return bad("format must be json (the simulator sends JSON only)");
  }
  if (const auto* m = body.if_contains("monitorFields"); m != nullptr && !m->is_null()) {
    if (!m->is_array()) return bad("monitorFields must be a list");
    for (const auto& f : m->get_array()) {
      const MonitorField* known = f.is_string() ? monitor_field(f.get_string()) : nullptr;
      if (known == nullptr) return bad("invalid monitor field " + json::serialize(f));
      w.monitor_fields.emplace_back(known->alias);
    }
  }
  if (const auto* p = body.if_contains("postFields"); p != nullptr && !p->is_null()) {
    if (!p->is_object()) return bad("postFields must be an object");
    for (const auto& kv : p->get_object()) {
      if (monitor_field(kv.key()) == nullptr && kv.key() != "displayName" && kv.key() != "terminationDate")
        return bad("invalid post field " + std::string(kv.key()));
      if (!kv.value().is_string()) return bad("postFields values must be strings");
    }
    w.post_fields = p->get_object();
  }
  if (const auto* e = body.if_contains("events"); e != nullptr && !e->is_null()) {
    if (!e->is_array()) return bad("events must be a list");
    for (const auto& ev : e->get_array()) {
      if (!ev.is_string() ||
          std::find(kEvents.begin(), kEvents.end(), std::string_view(ev.get_string())) == kEvents.end())
        return bad("unknown event " + json::serialize(ev));
      w.events.emplace_back(ev.get_string());
    }
  }
  bool legacy = w.events.empty() || is_legacy_event(w.events.front());
  for (const auto& e : w.events)
    if (is_legacy_event(e) != legacy)
      return bad("employee.* and employee_with_fields.* events cannot be combined");
  if (w.monitor_fields.empty() && (legacy || has(w.events, "employee.updated")))
    return bad("monitorFields must name at least one field");
  w.frequency = body.contains("frequency") ? body.at("frequency") : bj::value(nullptr);
  w.limit = body.contains("limit") ? body.at("limit") : bj::value(nullptr);
  return w;
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void BambooHrSimulator::fire(std::vector<Change> changes) {
  if (changes.empty()) return;
  struct Out {
    std::string url;
    std::string key;
    std::string event;
    std::string body;
  };
  std::vector<Out> out;
  {
    MutexLock lock(mu_);
    Millis now = now_ms();
    for (const auto& c : changes) {
      std::string event = "employee." + std::string(c.action == "Created"   ? "created"
                                                    : c.action == "Updated" ? "updated"
                                                                            : "deleted");
      for (auto& w : webhooks_) {
        bool legacy = w.events.empty() || is_legacy_event(w.events.front());
        bj::array changed;
        for (const auto& f : c.changed)
          if (has(w.monitor_fields, f)) changed.push_back(bj::value(f));
        auto event_body = [&](std::string_view type, bool with_changes) {
          bj::object data{{"companyId", kCompanyId}, {"employeeId", c.employee_id}};
          if (with_changes) data["changedFields"] = changed;
          return bj::object{{"type", type}, {"timestamp", format_iso8601(now)}, {"data", std::move(data)}};
        };
        std::vector<std::pair<std::string, bj::object>> bodies;
        if (!legacy) {
          if (c.action != "Updated" && has(w.events, event))
            bodies.emplace_back(event, event_body(event, false));
          // A creation also fires employee.updated (BambooHR creates, then initialises the record).
          if (c.action != "Deleted" && has(w.events, "employee.updated") && !changed.empty())
            bodies.emplace_back("employee.updated", event_body("employee.updated", true));
        } else {
          std::string legacy_event = "employee_with_fields." + event.substr(9);
          if (!w.events.empty() && !has(w.events, legacy_event)) continue;
          if (c.action == "Updated" && changed.empty()) continue;
          bj::object posted;
          for (const auto& kv : w.post_fields) {
            const auto* v = c.employee.if_contains(kv.key());
            posted[kv.value().as_string()] = v != nullptr ? *v : bj::value(nullptr);
          }
          bodies.emplace_back(
              legacy_event,
              bj::object{{"employees", bj::array{bj::object{{"action", c.action},
                                                            {"changedFields", changed},
                                                            {"fields", std::move(posted)},
                                                            {"id", c.employee_id},
                                                            {"timestamp", format_iso8601(now)}}}}});
        }
        if (bodies.empty()) continue;
        w.last_sent = now;
        for (auto& [type, body] : bodies)
          out.push_back({w.url, w.private_key, type, json::serialize(body)});
      }
    }
  }
  std::string timestamp = std::to_string(now_ms() / 1000);
  for (auto& o : out) {
    OutboundWebhook w;
    w.url = o.url;
    w.event = o.event;
    w.delivery_id = new_uuid();
    w.headers = {
        {"Content-Type", "application/json"},
        {"X-BambooHR-Timestamp", timestamp},
        {"X-BambooHR-Signature", crypto::hex_encode(crypto::hmac_sha256(o.key, o.body + timestamp))}};
    w.body = std::move(o.body);
    sender().send(std::move(w), retry_schedule());
  }
}

}  // namespace tributary::sim::bamboohr
