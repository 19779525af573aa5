#include "connectors/hibob/hibob_records.h"

#include <charconv>
#include <initializer_list>
#include <utility>

#include "connectors/common/records.h"
#include "http/message.h"

namespace tributary::connectors::hibob {
namespace {

namespace bj = boost::json;

// A field of a Bob person, by its field path ("work.title", "root.firstName"). Bob nests the answer by
// category
// ({"work":{"title":…}}, root fields at the top level); flat keys ("work.title", "/work/title") are
// understood too.
const bj::value* lookup(const bj::object& e, std::string_view path) {
  const bj::object* at = &e;
  std::string_view rest = path;
  if (rest.rfind("root.", 0) == 0) {
    rest.remove_prefix(5);
    if (const bj::value* v = e.if_contains(rest)) return v;
    if (const bj::value* root = e.if_contains("root"); root != nullptr && root->is_object())
      if (const bj::value* v = root->get_object().if_contains(rest)) return v;
  } else {
    const bj::value* v = nullptr;
    while (at != nullptr) {
      const std::size_t dot = rest.find('.');
      v = at->if_contains(rest.substr(0, dot));
      if (dot == std::string_view::npos || v == nullptr) break;
      at = v->is_object() ? &v->get_object() : nullptr;
      rest.remove_prefix(dot + 1);
      v = nullptr;
    }
    if (v != nullptr) return v;
  }
  if (const bj::value* v = e.if_contains(path)) return v;
  std::string slashed = "/" + std::string(path);
  for (auto& c : slashed)
    if (c == '.') c = '/';
  return e.if_contains(slashed);
}

bj::value text(const bj::value* v) {
  bj::value s = common::string_or_null(v);
  if (s.is_string() && s.get_string().empty()) return nullptr;
  return s;
}

bj::value one_of(const bj::value* v,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> table) {
  if (v == nullptr || !v->is_string()) return nullptr;
  for (const auto& [from, to] : table)
    if (http::iequals(v->get_string(), from)) return bj::value(to);
  return nullptr;
}

bj::value number_from(const bj::value* v) {
  if (v == nullptr) return nullptr;
  if (v->is_number()) return *v;
  if (!v->is_string()) return nullptr;
  const std::string_view s = v->get_string();
  double out = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return nullptr;
  return out;
}

bj::value day(const bj::value* v) {
  if (v == nullptr || !v->is_string() || v->get_string().size() < 10) return nullptr;
  return bj::value(std::string(std::string_view(v->get_string()).substr(0, 10)));
}

// root.displayName, or the first name followed by the surname.
bj::value display_name(const bj::object& e) {
  bj::value display = text(lookup(e, "root.displayName"));
  const bj::value first = text(lookup(e, "root.firstName"));
  const bj::value last = text(lookup(e, "root.surname"));
  if (!display.is_null() || (!first.is_string() && !last.is_string())) return display;
  std::string name = first.is_string() ? std::string(first.get_string()) : std::string();
  if (last.is_string()) name += (name.empty() ? "" : " ") + std::string(last.get_string());
  return bj::value(name);
}

// work.reportsTo is the manager as an object ({id, displayName, …}) or, in some answers, the id itself.
bj::value manager_id(const ApiContext& ctx, const bj::object& e) {
  const bj::value* reports = lookup(e, "work.reportsTo");
  if (reports == nullptr) return nullptr;
  const bj::value id = reports->is_object() ? text(reports->get_object().if_contains("id")) : text(reports);
  if (!id.is_string()) return nullptr;
  return bj::value(common::unified_id(ctx.integration_id, "hris_employees", id.get_string()));
}

bj::array groups(const ApiContext& ctx, const bj::object& e) {
  bj::array out;
  if (const bj::value department = text(lookup(e, "work.department")); department.is_string()) {
    out.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "hris_groups",
                                                       "department:" + std::string(department.get_string()))},
                             {"remote_id", department},
                             {"name", department},
                             {"type", "DEPARTMENT"}});
  }
  return out;
}

// personal.nationality: one value, or a list whose first entry counts.
bj::value nationality(const bj::object& e) {
  const bj::value* n = lookup(e, "personal.nationality");
  if (n == nullptr) return nullptr;
  if (n->is_array() && !n->get_array().empty()) return text(&n->get_array().front());
  return text(n);
}

}  // namespace

bj::object map_employee(const ApiContext& ctx, const bj::object& e, const std::string& remote_id) {
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_employees", remote_id)},
      {"remote_id", remote_id},
      {"employee_number", text(lookup(e, "work.employeeIdInCompany"))},
      {"first_name", text(lookup(e, "root.firstName"))},
      {"last_name", text(lookup(e, "root.surname"))},
      {"nationality", nationality(e)},
      {"display_full_name", display_name(e)},
      {"job_title", text(lookup(e, "work.title"))},
      {"work_email", text(lookup(e, "root.email"))},
      {"personal_email", text(lookup(e, "home.privateEmail"))},
      {"mobile_phone_number", text(lookup(e, "home.mobilePhone"))},
      {"ssn", nullptr},
      {"tax_id", nullptr},
      {"gender", nullptr},
      {"ethnicity", nullptr},
      {"marital_status", nullptr},
      {"employment_status",
       one_of(lookup(e, "internal.status"), {{"Active", "ACTIVE"}, {"Inactive", "INACTIVE"}})},
      {"employment_type", nullptr},
      {"weekly_hours", nullptr},
      {"avatar", text(lookup(e, "about.avatar"))},
      {"work_location_id", nullptr},
      {"legal_entity_id", nullptr},
      {"manager_id", manager_id(ctx, e)},
      {"home_address", nullptr},
      {"bank_accounts", nullptr},
      // personal.shortBirthDate is "MM-DD" (no year): not a date the model can hold.
      {"date_of_birth", nullptr},
      {"start_date", common::iso_or_null(lookup(e, "work.startDate"))},
      {"termination_date", common::iso_or_null(lookup(e, "internal.terminationDate"))},
      {"remote_created_at", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"custom_fields", bj::object{}},
      {"employments", bj::array{}},
      {"time_off_balances", bj::array{}},
      {"manager", nullptr},
      {"groups", groups(ctx, e)},
      {"legal_entity", nullptr},
      {"work_location", nullptr},
  };
}

bj::object map_time_off_request(const ApiContext& ctx, const bj::object& r, const std::string& remote_id,
                                const std::string& employee_remote_id) {
  std::string employee = employee_remote_id;
  if (const bj::value e = text(r.if_contains("employeeId")); e.is_string()) employee = e.get_string();
  const bj::value unit = one_of(r.if_contains("durationUnit"), {{"days", "DAYS"}, {"hours", "HOURS"}});
  bj::value type = nullptr;
  bj::value type_id = nullptr;
  if (const bj::value policy = text(r.if_contains("policyType")); policy.is_string()) {
    type_id = common::unified_id(ctx.integration_id, "hris_absence_types", policy.get_string());
    bj::value name = text(r.if_contains("policyTypeDisplayName"));
    type = bj::object{{"id", type_id},
                      {"remote_id", policy},
                      {"name", name.is_null() ? policy : name},
                      {"unit", unit},
                      {"half_days_supported", nullptr},
                      {"exact_times_supported", nullptr},
                      {"changed_at", nullptr},
                      {"remote_deleted_at", nullptr}};
  }
  auto portion_is = [&](std::string_view key, std::string_view half) -> bj::value {
    const bj::value* p = r.if_contains(key);
    if (p == nullptr || !p->is_string()) return nullptr;
    return p->get_string() == half;
  };
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_absences", remote_id)},
      {"remote_id", remote_id},
      {"employee_id", employee.empty()
                          ? bj::value("")
                          : bj::value(common::unified_id(ctx.integration_id, "hris_employees", employee))},
      {"start_date", day(r.if_contains("startDate"))},
      {"end_date", day(r.if_contains("endDate"))},
      {"start_half_day", portion_is("startDatePortion", "afternoon")},
      {"end_half_day", portion_is("endDatePortion", "morning")},
      {"start_time", nullptr},
      {"end_time", nullptr},
      {"amount", number_from(r.if_contains("totalDuration"))},
      {"unit", unit},
      {"status", one_of(r.if_contains("status"), {{"pending", "REQUESTED"},
                                                  {"requested", "REQUESTED"},
                                                  {"approved", "APPROVED"},
                                                  {"declined", "DECLINED"},
                                                  {"rejected", "DECLINED"},
                                                  {"canceled", "CANCELLED"},
                                                  {"cancelled", "CANCELLED"}})},
      {"employee_note", text(r.if_contains("description"))},
      {"type_id", std::move(type_id)},
      {"remote_created_at", common::iso_or_null(r.if_contains("createdOn"))},
      {"remote_updated_at", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"type", std::move(type)},
  };
}

}  // namespace tributary::connectors::hibob
