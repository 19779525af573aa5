// The simulated HiBob's public API: people search and read, time-off changes and requests; see hibob_sim.h
// for the contract.
#include <algorithm>

#include "core/json.h"
#include "sim/common/form.h"
#include "sim/hibob/hibob_sim.h"

namespace tributary::sim::hibob {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxFields = 200;

http::Response hibob_error(int status, std::string_view message) {
  return json_reply(status, bj::object{{"error", message}});
}

bool basic_auth_ok(const http::Request& request) {
  return has_basic_credentials(request, true);
}

// An optional JSON object body (empty = {}); nullopt when it is not an object.
std::optional<bj::object> optional_body(const http::Request& req) {
  if (req.body.empty()) return bj::object{};
  auto body = parse_object_body(req.body);
  if (!body.ok()) return std::nullopt;
  return std::move(*body);
}

// The value at a field path ("root.firstName" = top-level firstName, "work.title"); nullptr when absent.
const bj::value* at_path(const bj::object& employee, std::string_view path) {
  if (path.starts_with("root.")) return employee.if_contains(path.substr(5));
  auto dot = path.find('.');
  if (dot == std::string_view::npos) return employee.if_contains(path);
  const auto* group = employee.if_contains(path.substr(0, dot));
  if (group == nullptr || !group->is_object()) return nullptr;
  return group->get_object().if_contains(path.substr(dot + 1));
}

// Keeps the named paths (and the id), in Bob's nesting.
bj::object project(const bj::object& employee, const std::vector<std::string>& fields) {
  if (fields.empty()) return employee;
  bj::object out{{"id", employee.at("id")}};
  for (const auto& f : fields) {
    const auto* v = at_path(employee, f);
    if (v == nullptr) continue;
    std::string_view path = f;
    if (path.starts_with("root.") || path.find('.') == std::string_view::npos) {
      out[path.starts_with("root.") ? path.substr(5) : path] = *v;
    } else {
      auto dot = path.find('.');
      auto& group = out[path.substr(0, dot)];
      if (!group.is_object()) group = bj::object{};
      group.as_object()[path.substr(dot + 1)] = *v;
    }
  }
  return out;
}

// `fields` from a request body: a list of strings (400 otherwise).
Result<std::vector<std::string>> fields_of(const bj::object& body) {
  std::vector<std::string> out;
  const auto* f = body.if_contains("fields");
  if (f == nullptr || f->is_null()) return out;
  if (!f->is_array() || f->get_array().size() > kMaxFields)
    return make_error(ErrorKind::kInvalidArgument, "fields must be a list of field paths");
  for (const auto& v : f->get_array()) {
    if (!v.is_string())
      return make_error(ErrorKind::kInvalidArgument, "fields must be a list of field paths");
    out.emplace_back(v.get_string());
  }
  return out;
}

http::Response unauthorized() {
  return hibob_error(401, "Unauthorized: invalid service user credentials");
}

// A people-search filter: the field at `path` equals one of `values`.
struct Filter {
  std::string path;
  std::vector<std::string> values;

  bool matches(const bj::object& employee) const {
    const auto* v = at_path(employee, path);
    return v != nullptr && v->is_string() &&
           std::find(values.begin(), values.end(), std::string_view(v->get_string())) != values.end();
  }
};

// The search body's `filters`: "equals" on root.id or root.email only (400 otherwise).
Result<std::vector<Filter>> filters_of(const bj::object& body) {
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  std::vector<Filter> filters;
  const auto* f = body.if_contains("filters");
  if (f == nullptr || f->is_null()) return filters;
  if (!f->is_array()) return bad("filters must be a list");
  for (const auto& item : f->get_array()) {
    const auto* o = item.if_object();
    const bj::value* path = o ? o->if_contains("fieldPath") : nullptr;
    const bj::value* op = o ? o->if_contains("operator") : nullptr;
    const bj::value* values = o ? o->if_contains("values") : nullptr;
    if (path == nullptr || !path->is_string() || op == nullptr || !op->is_string() ||
        op->get_string() != "equals" || values == nullptr || !values->is_array())
      return bad("each filter needs fieldPath, operator \"equals\" and values");
    if (path->get_string() != "root.id" && path->get_string() != "root.email")
      return bad("unsupported filter field " + std::string(path->get_string()));
    Filter filter{std::string(path->get_string()), {}};
    for (const auto& v : values->get_array())
      if (v.is_string()) filter.values.emplace_back(v.get_string());
    filters.push_back(std::move(filter));
  }
  return filters;
}

// The window of GET /v1/timeoff/requests/changes.
struct ChangeWindow {
  Millis since = 0;
  std::optional<Millis> to;
};

// https://apidocs.hibob.com/reference/get_timeoff-requests-changes: `since` is required; without `to` it may
// reach back 6 months at most; `to` must be later than `since` and at most 6 months after it (400 otherwise).
Result<ChangeWindow> change_window_of(const http::Request& req) {
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  constexpr Millis kSixMonths = 183LL * 24 * 3600 * 1000;
  auto since_text = req.query_param("since");
  auto since = since_text ? parse_iso8601(*since_text) : std::nullopt;
  if (!since) return bad("since is required (ISO-8601 date-time)");
  ChangeWindow w{*since, std::nullopt};
  if (auto t = req.query_param("to")) {
    w.to = parse_iso8601(*t);
    if (!w.to) return bad("to must be an ISO-8601 date-time");
    if (*w.to <= w.since || *w.to - w.since > kSixMonths)
      return bad("to must be later than since and at most 6 months after it");
  } else if (now_ms() - w.since > kSixMonths) {
    return bad("since may be at most 6 months ago when to is not given");
  }
  return w;
}

}  // namespace

void HiBobSimulator::add_api_routes() {
  add_people_routes();
  add_timeoff_routes();
}

void HiBobSimulator::add_people_routes() {
  router().add_sync("POST", "/v1/people/search",
                    [this](const http::Request& req, const http::Params&) { return search_people(req); });

  router().add_sync("POST", "/v1/people/{id}", [this](const http::Request& req, const http::Params& p) {
    if (!basic_auth_ok(req)) return unauthorized();
    auto body = optional_body(req);
    if (!body) return hibob_error(400, "the body must be a JSON object");
    auto fields = fields_of(*body);
    if (!fields.ok()) return hibob_error(400, fields.error().message);
    MutexLock lock(mu_);
    const auto* e = employees_.find(p.at("id"));
    if (e == nullptr) return hibob_error(404, "Employee not found");
    return json_reply(200, project(e->data, *fields));
  });
}

void HiBobSimulator::add_timeoff_routes() {
  router().add_sync(
      "GET", "/v1/timeoff/requests/changes",
      [this](const http::Request& req, const http::Params&) { return list_timeoff_changes(req); });

  router().add_sync("GET", "/v1/timeoff/employees/{employeeId}/requests/{requestId}",
                    [this](const http::Request& req, const http::Params& p) {
                      if (!basic_auth_ok(req)) return unauthorized();
                      MutexLock lock(mu_);
                      const auto* r = requests_.find(p.at("requestId"));
                      if (r == nullptr || r->data.at("employeeId") != bj::value(p.at("employeeId")))
                        return hibob_error(404, "Time off request not found");
                      return json_reply(200, r->data);
                    });
}

http::Response HiBobSimulator::search_people(const http::Request& req) {
  if (!basic_auth_ok(req)) return unauthorized();
  auto body = optional_body(req);
  if (!body) return hibob_error(400, "the body must be a JSON object");
  auto fields = fields_of(*body);
  if (!fields.ok()) return hibob_error(400, fields.error().message);
  bool show_inactive = false;
  if (const auto* s = body->if_contains("showInactive"); s != nullptr && !s->is_null()) {
    if (!s->is_bool()) return hibob_error(400, "showInactive must be a boolean");
    show_inactive = s->get_bool();
  }
  auto filters = filters_of(*body);
  if (!filters.ok()) return hibob_error(400, filters.error().message);
  MutexLock lock(mu_);
  bj::array out;
  for (const auto* r : employees_.all()) {
    if (!show_inactive && r->data.at("internal").at("status") != bj::value("Active")) continue;
    bool keep =
        std::all_of(filters->begin(), filters->end(), [&](const Filter& f) { return f.matches(r->data); });
    if (keep) out.push_back(project(r->data, *fields));
  }
  return json_reply(200, bj::object{{"employees", std::move(out)}});
}

http::Response HiBobSimulator::list_timeoff_changes(const http::Request& req) {
  if (!basic_auth_ok(req)) return unauthorized();
  auto window = change_window_of(req);
  if (!window.ok()) return hibob_error(400, window.error().message);
  bool include_pending = req.query_param("includePending").value_or("false") == "true";
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& c : changes_) {
    if (c.at < window->since || (window->to && c.at > *window->to)) continue;
    if (!include_pending && c.pending) continue;
    out.push_back(c.entry);
  }
  return json_reply(200, bj::object{{"changes", std::move(out)}});
}

}  // namespace tributary::sim::hibob
