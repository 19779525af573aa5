// The simulated BambooHR's record reads (employees, time-off requests); see bamboohr_sim.h for the contract.
#include <algorithm>
#include <charconv>

#include "core/crypto.h"
#include "core/json.h"
#include "sim/bamboohr/bamboohr_sim.h"
#include "sim/common/fields.h"

namespace tributary::sim::bamboohr {

namespace bj = boost::json;

namespace {

// list-employees in BambooHR's OpenAPI document (BambooHR/bhr-api-python, specs/public.yaml): `page[limit]`
// defaults to 250 and is at most 2500; every entry carries the same summary, and `fields` adds only optional
// contact and job fields from a fixed list, silently ignoring every other name.
constexpr std::size_t kDefaultLimit = 250;
constexpr std::size_t kMaxLimit = 2500;
constexpr std::string_view kListOptionalFields[] = {
    "workEmail",   "homeEmail",    "bestEmail",     "middleName",   "workPhone",      "workPhoneExtension",
    "mobilePhone", "homePhone",    "skypeUsername", "linkedinUrl",  "facebookUrl",    "instagramUrl",
    "twitterUrl",  "pinterestUrl", "hireDate",      "divisionName", "departmentName", "locationName"};

// The directory's fieldset (docs/JsonDirectoryEmployee.md names these among its common keys), each an
// employee key of this simulator.
struct DirectoryField {
  std::string_view id;
  std::string_view type;
  std::string_view name;
};
constexpr DirectoryField kDirectoryFields[] = {
    {"displayName", "text", "Display name"}, {"firstName", "text", "First name"},
    {"lastName", "text", "Last name"},       {"preferredName", "text", "Preferred name"},
    {"jobTitle", "list", "Job title"},       {"workEmail", "email", "Work email"},
    {"department", "list", "Department"},    {"location", "list", "Location"},
    {"division", "list", "Division"}};

// One entry of the list, as the vendor's example shows it: keyed `employeeId`, the title as `jobTitleName`.
bj::object list_entry(const bj::object& employee, const std::vector<std::string>& fields) {
  auto get = [&](std::string_view key) -> bj::value {
    const bj::value* v = employee.if_contains(key);
    return v == nullptr ? bj::value(nullptr) : *v;
  };
  bj::object out{{"employeeId", get("id")},     {"firstName", get("firstName")},
                 {"lastName", get("lastName")}, {"preferredName", get("preferredName")},
                 {"photoUrl", get("photoUrl")}, {"jobTitleName", get("jobTitle")},
                 {"status", get("status")}};
  for (const auto& f : fields) {
    if (std::find(std::begin(kListOptionalFields), std::end(kListOptionalFields), f) ==
        std::end(kListOptionalFields))
      continue;
    const std::string_view source = f == "divisionName"     ? "division"
                                    : f == "departmentName" ? "department"
                                    : f == "locationName"   ? "location"
                                                            : std::string_view(f);
    out[f] = get(source);
  }
  return out;
}

std::vector<std::string> split_fields(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty() && out.size() < 200) {
    auto comma = list.find(',');
    std::string_view f = list.substr(0, comma);
    while (!f.empty() && f.front() == ' ')
      f.remove_prefix(1);
    while (!f.empty() && f.back() == ' ')
      f.remove_suffix(1);
    if (!f.empty()) out.emplace_back(f);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

bj::object project(const bj::object& employee, const std::vector<std::string>& fields) {
  bj::object out{{"id", employee.at("id")}};
  for (const auto& f : fields)
    if (const auto* v = employee.if_contains(f)) out[f] = *v;
  return out;
}

}  // namespace

void BambooHrSimulator::add_record_routes() {
  for (const std::string base : {"/api/v1", "/api/gateway.php/{company}/v1"}) {
    router().add_sync("GET", base + "/employees",
                      [this](const http::Request& req, const http::Params&) { return list_employees(req); });
    router().add_sync(
        "GET", base + "/employees/changed",
        [this](const http::Request& req, const http::Params&) { return list_changed_employees(req); });
    router().add_sync(
        "GET", base + "/employees/directory",
        [this](const http::Request& req, const http::Params&) { return employee_directory(req); });
    router().add_sync("GET", base + "/employees/{id}",
                      [this](const http::Request& req, const http::Params& p) {
                        if (!basic_auth_ok(req)) return bamboohr_error(401, "Invalid or missing API key");
                        std::vector<std::string> fields;
                        if (auto f = req.query_param("fields")) fields = split_fields(*f);
                        MutexLock lock(mu_);
                        const auto* e = employees_.find(p.at("id"));
                        if (e == nullptr) return bamboohr_error(404, "Employee not found");
                        return json_reply(200, project(e->data, fields));
                      });
    router().add_sync(
        "GET", base + "/time_off/requests",
        [this](const http::Request& req, const http::Params&) { return list_time_off_requests(req); });
  }
}

http::Response BambooHrSimulator::employee_directory(const http::Request& req) {
  if (!basic_auth_ok(req)) return bamboohr_error(401, "Invalid or missing API key");
  const bool only_current = req.query_param("onlyCurrent").value_or("true") != "false";
  bj::array fields;
  for (const auto& [id, type, name] : kDirectoryFields)
    fields.push_back(bj::object{{"id", id}, {"type", type}, {"name", name}});
  bj::array employees;
  MutexLock lock(mu_);
  for (const auto* r : employees_.all()) {
    if (only_current && r->data.at("status") != bj::value("Active")) continue;
    bj::object e{{"id", r->data.at("id")}};
    for (const auto& field : kDirectoryFields)
      if (const auto* v = r->data.if_contains(field.id)) e[field.id] = *v;
    employees.push_back(std::move(e));
  }
  if (employees.empty()) return bamboohr_error(404, "The directory is empty");
  return json_reply(200, bj::object{{"fields", std::move(fields)}, {"employees", std::move(employees)}});
}

http::Response BambooHrSimulator::list_employees(const http::Request& req) {
  if (!basic_auth_ok(req)) return bamboohr_error(401, "Invalid or missing API key");
  std::size_t limit = kDefaultLimit;
  if (auto l = req.query_param("page[limit]")) {
    auto n = parse_number<std::size_t>(*l);
    if (!n || *n == 0 || *n > kMaxLimit)
      return bamboohr_error(400, "page[limit] must be between 1 and " + std::to_string(kMaxLimit));
    limit = *n;
  }
  std::uint64_t after = 0;
  if (auto a = req.query_param("page[after]")) {
    auto raw = crypto::base64url_decode(*a);
    std::string_view s = raw ? std::string_view(*raw) : std::string_view{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), after);
    if (!raw || s.empty() || ec != std::errc{} || ptr != s.data() + s.size())
      return bamboohr_error(400, "page[after] is not a valid cursor");
  }
  std::vector<std::string> fields;
  if (auto f = req.query_param("fields")) fields = split_fields(*f);
  MutexLock lock(mu_);
  bool more = false;
  auto page = employees_.page(after, limit, {}, &more);
  bj::array data;
  for (const auto* r : page)
    data.push_back(list_entry(r->data, fields));
  std::string base = public_base(req) + "/api/v1/employees";
  bj::value next_cursor = nullptr;
  bj::object links{{"self", bj::object{{"href", public_base(req) + req.target}}}};
  if (more && !page.empty()) {
    std::string cursor = crypto::base64url_encode_nopad(std::to_string(page.back()->seq));
    next_cursor = cursor;
    std::string next = base + "?page%5Blimit%5D=" + std::to_string(limit) + "&page%5Bafter%5D=" + cursor;
    if (auto f = req.query_param("fields")) next += "&fields=" + *f;
    links["next"] = bj::object{{"href", next}};
  }
  return json_reply(200, bj::object{{"data", std::move(data)},
                                    {"meta", bj::object{{"total", employees_.size()},
                                                        {"page", bj::object{{"limit", limit},
                                                                            {"nextCursor", next_cursor},
                                                                            {"prevCursor", nullptr}}}}},
                                    {"_links", std::move(links)}});
}

http::Response BambooHrSimulator::list_changed_employees(const http::Request& req) {
  if (!basic_auth_ok(req)) return bamboohr_error(401, "Invalid or missing API key");
  auto since_text = req.query_param("since");
  const auto since = since_text ? parse_iso8601(*since_text) : std::nullopt;
  if (!since) return bamboohr_error(400, "since (an ISO 8601 date-time) is required");
  MutexLock lock(mu_);
  bj::object employees;
  Millis latest = 0;
  auto add = [&](const std::string& id, std::string_view action, Millis at) {
    employees[id] = bj::object{{"id", id}, {"action", action}, {"lastChanged", format_iso8601(at)}};
    latest = std::max(latest, at);
  };
  for (const auto* r : employees_.all()) {
    const Millis at = std::max(r->created_at, r->updated_at);
    if (at < *since) continue;
    add(r->id, r->created_at >= *since ? "Inserted" : "Updated", at);
  }
  for (const auto& [id, at] : deleted_employees_)
    if (at >= *since) add(id, "Deleted", at);
  return json_reply(
      200, bj::object{{"latest", latest > 0 ? bj::value(format_iso8601(latest)) : bj::value(nullptr)},
                      {"employees", std::move(employees)}});
}

namespace {

// A digit string as the JSON number it stands for; anything else unchanged.
void to_number(bj::value& v) {
  if (!v.is_string() || v.get_string().empty() || v.get_string().size() > 15) return;
  std::int64_t n = 0;
  const std::string_view s = v.get_string();
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc{} && ptr == s.data() + s.size()) v = n;
}

// A stored time-off request as BambooHR answers it: ids and the amount are JSON numbers in its schema
// (connectors/bamboohr/testdata/contract/time_off_requests.json); the simulator keeps them as strings.
bj::object with_numbers(bj::object r) {
  for (std::string_view key : {"id", "employeeId"})
    if (auto* v = r.if_contains(key)) to_number(*v);
  for (auto [outer, inner] : {std::pair<std::string_view, std::string_view>{"type", "id"},
                              {"status", "lastChangedByUserId"},
                              {"amount", "amount"}})
    if (auto* o = r.if_contains(outer); o != nullptr && o->is_object())
      if (auto* v = o->get_object().if_contains(inner)) to_number(*v);
  return r;
}

}  // namespace

http::Response BambooHrSimulator::list_time_off_requests(const http::Request& req) {
  if (!basic_auth_ok(req)) return bamboohr_error(401, "Invalid or missing API key");
  auto start = req.query_param("start");
  auto end = req.query_param("end");
  if (!start || !end || !parse_iso8601(*start) || !parse_iso8601(*end))
    return bamboohr_error(400, "start and end (YYYY-MM-DD) are required");
  auto employee = req.query_param("employeeId");
  auto status = req.query_param("status");
  auto type = req.query_param("type");
  std::string from = start->substr(0, 10);
  std::string to = end->substr(0, 10);
  MutexLock lock(mu_);
  bj::array out;
  for (const auto* r : requests_.all()) {
    const auto& d = r->data;
    if (d.at("end").as_string() < from || d.at("start").as_string() > to) continue;
    if (employee && d.at("employeeId") != bj::value(*employee)) continue;
    if (status && d.at("status").at("status") != bj::value(*status)) continue;
    if (type && d.at("type").at("id") != bj::value(*type)) continue;
    out.push_back(with_numbers(d));
  }
  return json_reply(200, out);
}

}  // namespace tributary::sim::bamboohr
