#include "connectors/bamboohr/bamboohr_records.h"

#include <charconv>
#include <string_view>

#include "connectors/common/records.h"

namespace tributary::connectors::bamboohr {
namespace {

namespace bj = boost::json;

const bj::object* object_at(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const bj::value* field(const bj::object* o, std::string_view key) {
  return o == nullptr ? nullptr : o->if_contains(key);
}

// A non-empty string, or null. BambooHR sends "" for fields that are not filled in.
bj::value text(const bj::value* v) {
  bj::value s = common::string_or_null(v);
  if (s.is_string() && s.get_string().empty()) return nullptr;
  return s;
}

// BambooHR writes "0000-00-00" for an empty date; iso_or_null turns every unparseable date into null.
bj::value date(const bj::value* v) {
  return common::iso_or_null(v);
}

bj::value one_of(const bj::value* v,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> table) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string_view s = v->get_string();
  for (const auto& [from, to] : table)
    if (http::iequals(s, from)) return bj::value(to);
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

// `jobTitle` is the field name GET /api/v1/employees/{id}?fields= answers to; BambooHR's newer employee
// endpoints name the current title `jobTitleName`.
bj::value job_title(const bj::object& e) {
  bj::value title = text(e.if_contains("jobTitle"));
  return title.is_null() ? text(e.if_contains("jobTitleName")) : title;
}

// displayName, or the preferred (else first) name followed by the last name.
bj::value display_name(const bj::object& e) {
  bj::value display = text(e.if_contains("displayName"));
  const bj::value first = text(e.if_contains("firstName"));
  const bj::value last = text(e.if_contains("lastName"));
  if (!display.is_null() || (!first.is_string() && !last.is_string())) return display;
  const bj::value preferred = text(e.if_contains("preferredName"));
  std::string name = preferred.is_string() ? std::string(preferred.get_string())
                     : first.is_string()   ? std::string(first.get_string())
                                           : std::string();
  if (last.is_string()) name += (name.empty() ? "" : " ") + std::string(last.get_string());
  return bj::value(name);
}

bj::value manager_id(const ApiContext& ctx, const bj::object& e) {
  const bj::value supervisor = text(e.if_contains("supervisorEId"));
  if (!supervisor.is_string()) return nullptr;
  return bj::value(common::unified_id(ctx.integration_id, "hris_employees", supervisor.get_string()));
}

// The department and the division the employee belongs to.
bj::array groups(const ApiContext& ctx, const bj::object& e) {
  bj::array out;
  auto add_group = [&](std::string_view key, std::string_view kind, const char* type) {
    const bj::value name = text(e.if_contains(key));
    if (!name.is_string()) return;
    // BambooHR names departments and divisions by their label only; the label is their remote id.
    const std::string remote = std::string(kind) + ":" + std::string(name.get_string());
    out.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "hris_groups", remote)},
                             {"remote_id", name},
                             {"name", name},
                             {"type", type == nullptr ? bj::value(nullptr) : bj::value(type)}});
  };
  add_group("department", "department", "DEPARTMENT");
  add_group("division", "division", nullptr);
  return out;
}

// The home address, or null when none of its fields is filled in.
bj::value home_address(const bj::object& e) {
  bj::object address{
      {"street_1", text(e.if_contains("address1"))}, {"street_2", text(e.if_contains("address2"))},
      {"city", text(e.if_contains("city"))},         {"state", text(e.if_contains("state"))},
      {"zip_code", text(e.if_contains("zipcode"))},  {"country", text(e.if_contains("country"))}};
  for (const auto& kv : address)
    if (!kv.value().is_null()) return bj::value(std::move(address));
  return nullptr;
}

bj::value gender(const bj::object& e) {
  return one_of(e.if_contains("gender"), {{"Male", "MALE"},
                                          {"Female", "FEMALE"},
                                          {"Nonbinary", "NON_BINARY"},
                                          {"Non-binary", "NON_BINARY"},
                                          {"Non-Binary", "NON_BINARY"}});
}

bj::value marital_status(const bj::object& e) {
  return one_of(e.if_contains("maritalStatus"), {{"Single", "SINGLE"},
                                                 {"Married", "MARRIED"},
                                                 {"Domestic Partnership", "DOMESTIC_PARTNERSHIP"},
                                                 {"Widowed", "WIDOWED"},
                                                 {"Divorced", "DIVORCED"},
                                                 {"Separated", "SEPARATED"}});
}

bj::value employment_type(const bj::object& e) {
  return one_of(e.if_contains("employmentHistoryStatus"), {{"Full-Time", "FULL_TIME"},
                                                           {"Full Time", "FULL_TIME"},
                                                           {"Part-Time", "PART_TIME"},
                                                           {"Part Time", "PART_TIME"},
                                                           {"Contractor", "CONTRACT"},
                                                           {"Contract", "CONTRACT"},
                                                           {"Intern", "INTERNSHIP"},
                                                           {"Freelance", "FREELANCE"}});
}

}  // namespace

bj::object map_employee(const ApiContext& ctx, const bj::object& e, const std::string& remote_id) {
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_employees", remote_id)},
      {"remote_id", remote_id},
      {"employee_number", text(e.if_contains("employeeNumber"))},
      {"first_name", text(e.if_contains("firstName"))},
      {"last_name", text(e.if_contains("lastName"))},
      {"nationality", nullptr},
      {"display_full_name", display_name(e)},
      {"job_title", job_title(e)},
      {"work_email", text(e.if_contains("workEmail"))},
      {"personal_email", text(e.if_contains("homeEmail"))},
      {"mobile_phone_number", text(e.if_contains("mobilePhone"))},
      {"ssn", nullptr},
      {"tax_id", nullptr},
      {"gender", gender(e)},
      {"ethnicity", nullptr},
      {"marital_status", marital_status(e)},
      {"employment_status",
       one_of(e.if_contains("status"), {{"Active", "ACTIVE"}, {"Inactive", "INACTIVE"}})},
      {"employment_type", employment_type(e)},
      {"weekly_hours", nullptr},
      {"avatar", text(e.if_contains("photoUrl"))},
      {"work_location_id", nullptr},
      {"legal_entity_id", nullptr},
      {"manager_id", manager_id(ctx, e)},
      {"home_address", home_address(e)},
      {"bank_accounts", nullptr},
      {"date_of_birth", date(e.if_contains("dateOfBirth"))},
      {"start_date", date(e.if_contains("hireDate"))},
      {"termination_date", date(e.if_contains("terminationDate"))},
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

bj::object map_time_off_request(const ApiContext& ctx, const bj::object& r, const std::string& remote_id) {
  const bj::object* status = object_at(r, "status");
  const bj::object* type = object_at(r, "type");
  const bj::object* amount = object_at(r, "amount");
  const bj::object* notes = object_at(r, "notes");
  const bj::value employee = text(r.if_contains("employeeId"));
  const bj::value unit = one_of(field(amount, "unit"), {{"days", "DAYS"}, {"hours", "HOURS"}});

  bj::value unified_type = nullptr;
  bj::value type_id = nullptr;
  if (const bj::value remote_type = text(field(type, "id")); remote_type.is_string()) {
    type_id = common::unified_id(ctx.integration_id, "hris_absence_types", remote_type.get_string());
    unified_type = bj::object{
        {"id", type_id},         {"remote_id", remote_type},       {"name", text(field(type, "name"))},
        {"unit", unit},          {"half_days_supported", nullptr}, {"exact_times_supported", nullptr},
        {"changed_at", nullptr}, {"remote_deleted_at", nullptr}};
  }
  auto day = [](const bj::value* v) -> bj::value {
    if (v == nullptr || !v->is_string() || v->get_string().size() < 10) return nullptr;
    return bj::value(std::string(std::string_view(v->get_string()).substr(0, 10)));
  };
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_absences", remote_id)},
      {"remote_id", remote_id},
      {"employee_id", employee.is_string() ? bj::value(common::unified_id(
                                                 ctx.integration_id, "hris_employees", employee.get_string()))
                                           : bj::value("")},
      {"start_date", day(r.if_contains("start"))},
      {"end_date", day(r.if_contains("end"))},
      {"start_half_day", nullptr},
      {"end_half_day", nullptr},
      {"start_time", nullptr},
      {"end_time", nullptr},
      {"amount", number_from(field(amount, "amount"))},
      {"unit", unit},
      {"status", one_of(field(status, "status"), {{"requested", "REQUESTED"},
                                                  {"approved", "APPROVED"},
                                                  {"denied", "DECLINED"},
                                                  {"declined", "DECLINED"},
                                                  {"canceled", "CANCELLED"},
                                                  {"cancelled", "CANCELLED"}})},
      {"employee_note", text(field(notes, "employee"))},
      {"type_id", std::move(type_id)},
      {"remote_created_at", date(r.if_contains("created"))},
      {"remote_updated_at", date(field(status, "lastChanged"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"type", std::move(unified_type)},
  };
}

}  // namespace tributary::connectors::bamboohr
