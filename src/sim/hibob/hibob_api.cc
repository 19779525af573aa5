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

}  // namespace

void HiBobSimulator::add_api_routes() {
  router().add_sync("POST", "/v1/people/search", [this](const http::Request& req, const http::Params&) {
    if (!basic_auth_ok(req)) return hibob_error(401, "Unauthorized: invalid service user credentials");
    auto body = optional_body(req);
    if (!body) return hibob_error(400, "the body must be a JSON object");
    auto fields = fields_of(*body);
    if (!fields.ok()) return hibob_error(400, fields.error().message);
    bool show_inactive = false;
    if (const auto* s = body->if_contains("showInactive"); s != nullptr && !s->is_null()) {
      if (!s->is_bool()) return hibob_error(400, "showInactive must be a boolean");
      show_inactive = s->get_bool();
    }
    struct Filter {
      std::string path;
      std::vector<std::string> values;
    };
    std::vector<Filter> filters;
    if (const auto* f = body->if_contains("filters"); f != nullptr && !f->is_null()) {
      if (!f->is_array()) return hibob_error(400, "filters must be a list");
      for (const auto& item : f->get_array()) {
        const auto* o = item.if_object();
        const bj::value* path = o ? o->if_contains("fieldPath") : nullptr;
        const bj::value* op = o ? o->if_contains("operator") : nullptr;
        const bj::value* values = o ? o->if_contains("values") : nullptr;
        if (path == nullptr || !path->is_string() || op == nullptr || !op->is_string() ||
            op->get_string() != "equals" || values == nullptr || !values->is_array())
          return hibob_error(400, "each filter needs fieldPath, operator \"equals\" and values");
        if (path->get_string() != "root.id" && path->get_string() != "root.email")
          return hibob_error(400, "unsupported filter field " + std::string(path->get_string()));
        Filter filter{std::string(path->get_string()), {}};
        for (const auto& v : values->get_array())
          if (v.is_string()) filter.values.emplace_back(v.get_string());
        filters.push_back(std::move(filter));
      }
    }
    std::lock_guard lock(mu_);
    bj::array out;
    for (const auto* r : employees_.all()) {
      if (!show_inactive && r->data.at("internal").at("status") != bj::value("Active")) continue;
      bool keep = std::all_of(filters.begin(), filters.end(), [&](const Filter& f) {
        const auto* v = at_path(r->data, f.path);
        return v != nullptr && v->is_string() &&
               std::find(f.values.begin(), f.values.end(), std::string_view(v->get_string())) !=
                   f.values.end();
      });
      if (keep) out.push_back(project(r->data, *fields));
    }
    return json_reply(200, bj::object{{"employees", std::move(out)}});
  });

  router().add_sync("POST", "/v1/people/{id}", [this](const http::Request& req, const http::Params& p) {
    if (!basic_auth_ok(req)) return hibob_error(401, "Unauthorized: invalid service user credentials");
    auto body = optional_body(req);
    if (!body) return hibob_error(400, "the body must be a JSON object");
    auto fields = fields_of(*body);
    if (!fields.ok()) return hibob_error(400, fields.error().message);
    std::lock_guard lock(mu_);
    const auto* e = employees_.find(p.at("id"));
    if (e == nullptr) return hibob_error(404, "Employee not found");
    return json_reply(200, project(e->data, *fields));
  });

  router().add_sync(
      "GET", "/v1/timeoff/requests/changes", [this](const http::Request& req, const http::Params&) {
        if (!basic_auth_ok(req)) return hibob_error(401, "Unauthorized: invalid service user credentials");
        // https://apidocs.hibob.com/reference/get_timeoff-requests-changes: `since` is required; without `to`
        // it
        // may reach back 6 months at most; `to` must be later than `since` and at most 6 months after it.
        constexpr Millis kSixMonths = 183LL * 24 * 3600 * 1000;
        auto since_text = req.query_param("since");
        auto since = since_text ? parse_iso8601(*since_text) : std::nullopt;
        if (!since) return hibob_error(400, "since is required (ISO-8601 date-time)");
        std::optional<Millis> to;
        if (auto t = req.query_param("to")) {
          to = parse_iso8601(*t);
          if (!to) return hibob_error(400, "to must be an ISO-8601 date-time");
          if (*to <= *since || *to - *since > kSixMonths)
            return hibob_error(400, "to must be later than since and at most 6 months after it");
        } else if (now_ms() - *since > kSixMonths) {
          return hibob_error(400, "since may be at most 6 months ago when to is not given");
        }
        bool include_pending = req.query_param("includePending").value_or("false") == "true";
        std::lock_guard lock(mu_);
        bj::array out;
        for (const auto& c : changes_) {
          auto at = parse_iso8601(c.at("changedAt").as_string());
          if (!at || *at < *since || (to && *at > *to)) continue;
          if (!include_pending && c.at("status") == bj::value("pending")) continue;
          out.push_back(c);
        }
        return json_reply(200, bj::object{{"changes", std::move(out)}});
      });

  router().add_sync("GET", "/v1/timeoff/employees/{employeeId}/requests/{requestId}",
                    [this](const http::Request& req, const http::Params& p) {
                      if (!basic_auth_ok(req))
                        return hibob_error(401, "Unauthorized: invalid service user credentials");
                      std::lock_guard lock(mu_);
                      const auto* r = requests_.find(p.at("requestId"));
                      if (r == nullptr || r->data.at("employeeId") != bj::value(p.at("employeeId")))
                        return hibob_error(404, "Time off request not found");
                      return json_reply(200, r->data);
                    });
}

}  // namespace tributary::sim::hibob
