#include "connectors/workable/workable_records.h"

#include <cctype>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "core/json.h"

namespace tributary::connectors::workable {
namespace {

namespace bj = boost::json;

// The first of several spellings present (Workable writes `firstname`; some answers use `first_name`).
const bj::value* any_of(const bj::object& o, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys)
    if (const auto* v = o.if_contains(k); v != nullptr && !v->is_null()) return v;
  return nullptr;
}

const bj::object* object_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

// A string field, or the primary (else first) `value` of Workable's [{value, is_primary}] lists.
bj::value string_or_primary(const bj::value* v) {
  if (v == nullptr) return nullptr;
  if (!v->is_array()) return common::string_or_null(v);
  bj::value first = nullptr;
  for (const auto& item : v->get_array()) {
    if (!item.is_object()) continue;
    bj::value value = common::string_or_null(item.get_object().if_contains("value"));
    if (!value.is_string()) continue;
    const auto* primary = item.get_object().if_contains("is_primary");
    if (primary != nullptr && primary->is_bool() && primary->get_bool()) return value;
    if (first.is_null()) first = value;
  }
  return first;
}

bj::value phone_of(const bj::value* group) {
  if (group == nullptr || !group->is_array()) return common::string_or_null(group);
  bj::value first = nullptr;
  for (const auto& item : group->get_array()) {
    const bj::value* value = item.is_object() ? item.get_object().if_contains("value") : nullptr;
    bj::value phone = value != nullptr && value->is_object()
                          ? common::string_or_null(value->get_object().if_contains("phone"))
                          : common::string_or_null(value);
    if (!phone.is_string()) continue;
    const auto* primary = item.get_object().if_contains("is_primary");
    if (primary != nullptr && primary->is_bool() && primary->get_bool()) return phone;
    if (first.is_null()) first = phone;
  }
  return first;
}

// "2026-11-27" or a date-time → the calendar day as Workable has it.
bj::value day_of(const bj::value* v) {
  if (v == nullptr || !v->is_string() || v->get_string().size() < 10) return nullptr;
  return bj::value(std::string(std::string_view(v->get_string()).substr(0, 10)));
}

bj::value workable_location(const bj::object* loc) {
  if (loc == nullptr) return nullptr;
  bj::object out;
  out["raw"] = common::string_or_null(loc->if_contains("location_str"));
  out["city"] = common::string_or_null(loc->if_contains("city"));
  out["state"] = common::string_or_null(loc->if_contains("region"));
  out["country"] = common::string_or_null(loc->if_contains("country_code"));
  out["zip_code"] = common::string_or_null(loc->if_contains("zip_code"));
  return out;
}

bj::value job_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "published" || s == "open") return "OPEN";
  if (s == "draft") return "DRAFT";
  if (s == "closed") return "CLOSED";
  if (s == "archived") return "ARCHIVED";
  return nullptr;
}

bj::value job_employment_type(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "full-time" || s == "full_time" || s == "fulltime") return "FULL_TIME";
  if (s == "part-time" || s == "part_time" || s == "parttime") return "PART_TIME";
  if (s == "contract" || s == "contractor") return "CONTRACT";
  if (s == "temporary" || s == "seasonal") return "SEASONAL";
  if (s == "internship" || s == "intern") return "INTERNSHIP";
  return nullptr;
}

bj::value employment_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  std::string s = common::ascii_lower(v->get_string());
  if (s.rfind("status_", 0) == 0) s = s.substr(7);
  if (s == "active" || s == "published") return "ACTIVE";
  if (s == "draft" || s == "pending" || s == "onboarding" || s == "preboarding") return "PENDING";
  if (s == "inactive" || s == "terminated" || s == "archived" || s == "offboarded") return "INACTIVE";
  if (s == "leave" || s == "on_leave") return "LEAVE";
  return nullptr;
}

bj::value absence_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "approved") return "APPROVED";
  if (s == "pending" || s == "requested" || s == "submitted") return "REQUESTED";
  if (s == "rejected" || s == "declined" || s == "denied") return "DECLINED";
  if (s == "cancelled" || s == "canceled") return "CANCELLED";
  if (s == "deleted") return "DELETED";
  return nullptr;
}

bj::value bool_or_null(const bj::value* v) {
  return v != nullptr && v->is_bool() ? *v : bj::value(nullptr);
}

}  // namespace

Result<http::ClientRequest> request(const ApiContext& ctx, std::string method,
                                    std::string_view path_and_query) {
  if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
  auto key = common::credential(ctx, "api_key");
  if (!key) return key.error();
  return common::authorized_request(
      ctx, std::move(method),
      common::join_url(ctx.base_url, std::string(kApiRoot) + std::string(path_and_query)),
      {"Authorization", "Bearer " + *key});
}

Result<std::optional<bj::value>> get(const ApiContext& ctx, std::string_view path_and_query) {
  auto req = request(ctx, "GET", path_and_query);
  if (!req) return req.error();
  auto key = common::credential(ctx, "api_key");
  const std::vector<std::string_view> secrets = {*key};
  return common::get_record_json(ctx, kVendor, std::move(*req), "API token", secrets);
}

namespace {

// The candidate's social profiles that carry a URL.
bj::array candidate_social_media(const bj::object& c) {
  bj::array social;
  const auto* s = c.if_contains("social_profiles");
  if (s == nullptr || !s->is_array()) return social;
  for (const auto& p : s->get_array()) {
    if (!p.is_object()) continue;
    bj::value url = common::string_or_null(p.get_object().if_contains("url"));
    if (!url.is_string()) continue;
    social.push_back(
        bj::object{{"link", url},
                   {"type", common::string_or_null(p.get_object().if_contains("type"))},
                   {"username", common::string_or_null(p.get_object().if_contains("username"))}});
  }
  return social;
}

// Workable's tags are bare names: the unified tag's id is derived from the name.
bj::array candidate_tags(const ApiContext& ctx, const bj::object& c) {
  bj::array tags;
  const auto* t = c.if_contains("tags");
  if (t == nullptr || !t->is_array()) return tags;
  for (const auto& tag : t->get_array()) {
    bj::value name = common::string_or_null(&tag);
    if (!name.is_string()) continue;
    tags.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", name.get_string())},
                              {"name", name},
                              {"remote_id", nullptr}});
  }
  return tags;
}

// The structured location, or the free-text address when there is none.
bj::value candidate_location(const bj::object& c) {
  bj::value location = workable_location(object_at(c, "location"));
  if (location.is_null()) {
    if (bj::value address = common::string_or_null(c.if_contains("address")); address.is_string())
      location = bj::object{{"raw", address}};
  }
  return location;
}

// The stage of the candidate in the job `shortcode`; stages have no id of their own in Workable.
bj::value candidate_stage(const ApiContext& ctx, const bj::object& c, std::string_view shortcode) {
  bj::value stage_name = common::string_or_null(any_of(c, {"stage", "stage_name"}));
  if (!stage_name.is_string()) return nullptr;
  const std::string stage_remote = std::string(shortcode) + ":" + std::string(stage_name.get_string());
  return bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", stage_remote)},
                    {"name", stage_name},
                    {"remote_id", nullptr},
                    {"index", nullptr}};
}

// A Workable candidate belongs to one job: its application is the candidate in that job (none without a
// job shortcode).
bj::array candidate_applications(const ApiContext& ctx, const bj::object& c, const std::string& remote_id) {
  bj::array applications;
  const bj::object* job = object_at(c, "job");
  const bj::value shortcode =
      common::string_or_null(job != nullptr ? job->if_contains("shortcode") : nullptr);
  if (!shortcode.is_string()) return applications;
  const auto* disqualified = c.if_contains("disqualified");
  const bool is_disqualified = disqualified != nullptr && disqualified->is_bool() && disqualified->get_bool();
  const bj::value hired_at = common::iso_or_null(c.if_contains("hired_at"));
  applications.push_back(bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_applications", remote_id)},
      {"remote_id", remote_id},
      {"outcome", !hired_at.is_null() ? bj::value("HIRED")
                  : is_disqualified   ? bj::value("DECLINED")
                                      : bj::value("PENDING")},
      {"rejection_reason_name", is_disqualified
                                    ? common::string_or_null(c.if_contains("disqualification_reason"))
                                    : bj::value(nullptr)},
      {"rejected_at",
       is_disqualified ? common::iso_or_null(c.if_contains("disqualified_at")) : bj::value(nullptr)},
      {"remote_url", common::string_or_null(c.if_contains("profile_url"))},
      {"changed_at", nullptr},
      {"remote_created_at", common::iso_or_null(c.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(c.if_contains("updated_at"))},
      {"current_stage", candidate_stage(ctx, c, shortcode.get_string())},
      {"job", bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", shortcode.get_string())},
                         {"name", common::string_or_null(job->if_contains("title"))},
                         {"remote_id", shortcode}}},
  });
  return applications;
}

}  // namespace

bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id) {
  bj::array emails;
  if (bj::value email = string_or_primary(c.if_contains("email")); email.is_string())
    emails.push_back(bj::object{{"email_address", email}, {"type", nullptr}});
  bj::array phones;
  if (bj::value phone = string_or_primary(c.if_contains("phone")); phone.is_string())
    phones.push_back(bj::object{{"phone_number", phone}, {"type", nullptr}});
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", common::string_or_null(any_of(c, {"firstname", "first_name"}))},
      {"last_name", common::string_or_null(any_of(c, {"lastname", "last_name"}))},
      {"company", nullptr},
      {"title", common::string_or_null(c.if_contains("headline"))},
      {"confidential", nullptr},
      {"source", nullptr},
      {"phone_numbers", std::move(phones)},
      {"email_addresses", std::move(emails)},
      {"social_media", candidate_social_media(c)},
      {"location", candidate_location(c)},
      {"custom_fields", nullptr},
      {"remote_url", common::string_or_null(c.if_contains("profile_url"))},
      {"remote_created_at", common::iso_or_null(c.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(c.if_contains("updated_at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", candidate_applications(ctx, c, remote_id)},
      {"tags", candidate_tags(ctx, c)},
  };
}

bj::object map_job(const ApiContext& ctx, const bj::object& j, const std::string& remote_id) {
  bj::value status = job_status(j.if_contains("state"));
  if (status.is_null()) status = job_status(j.if_contains("status"));
  bj::value remote_work = nullptr;
  const bj::object* loc = object_at(j, "location");
  if (loc != nullptr) {
    const auto* remote = loc->if_contains("telecommuting");
    if (remote != nullptr && remote->is_bool() && remote->get_bool()) remote_work = "REMOTE";
    if (auto wt = json::get_string(*loc, "workplace_type")) {
      const std::string w = common::ascii_lower(*wt);
      if (w == "remote") remote_work = "REMOTE";
      if (w == "hybrid") remote_work = "HYBRID";
      if (w == "on_site" || w == "onsite") remote_work = "ON_SITE";
    }
  }
  bj::value salary_from = nullptr;
  bj::value salary_to = nullptr;
  bj::value currency = nullptr;
  if (const bj::object* s = object_at(j, "salary")) {
    salary_from = common::number_or_null(s->if_contains("salary_from"));
    salary_to = common::number_or_null(s->if_contains("salary_to"));
    currency = common::string_or_null(s->if_contains("salary_currency"));
  }
  bj::value name = common::string_or_null(j.if_contains("title"));
  if (!name.is_string()) name = common::string_or_null(j.if_contains("name"));
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", std::move(name)},
      {"job_code", common::string_or_null(j.if_contains("code"))},
      {"description", common::string_or_null(any_of(j, {"full_description", "description"}))},
      {"confidential", nullptr},
      {"weekly_hours", nullptr},
      {"employment_type", job_employment_type(j.if_contains("employment_type"))},
      {"status", std::move(status)},
      {"visibility", nullptr},
      {"category", common::string_or_null(j.if_contains("function"))},
      {"department", common::string_or_null(j.if_contains("department"))},
      {"post_url", common::string_or_null(any_of(j, {"application_url", "url"}))},
      {"experience_level", common::string_or_null(j.if_contains("experience"))},
      {"remote_work_status", std::move(remote_work)},
      {"salary_amount", nullptr},
      {"salary_amount_from", std::move(salary_from)},
      {"salary_amount_to", std::move(salary_to)},
      {"salary_currency", std::move(currency)},
      {"salary_period", nullptr},
      {"location", workable_location(loc)},
      {"custom_fields", nullptr},
      {"remote_url", common::string_or_null(j.if_contains("url"))},
      {"opened_at", nullptr},
      {"closed_at", nullptr},
      {"remote_created_at", common::iso_or_null(j.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(j.if_contains("updated_at"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", bj::array{}},
      {"hiring_team", bj::array{}},
  };
}

bj::object map_employee(const ApiContext& ctx, const bj::object& e, const std::string& remote_id) {
  bj::value first = common::string_or_null(any_of(e, {"firstname", "first_name"}));
  bj::value last = common::string_or_null(any_of(e, {"lastname", "last_name"}));
  bj::value display = common::string_or_null(any_of(e, {"full_name", "name"}));
  if (!display.is_string() && (first.is_string() || last.is_string())) {
    std::string name = first.is_string() ? std::string(first.get_string()) : std::string();
    if (last.is_string()) name += (name.empty() ? "" : " ") + std::string(last.get_string());
    display = bj::value(name);
  }
  bj::value manager_id = nullptr;
  if (bj::value m = common::string_or_null(any_of(e, {"manager_id", "reports_to"})); m.is_string())
    manager_id = common::unified_id(ctx.integration_id, "hris_employees", m.get_string());
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_employees", remote_id)},
      {"remote_id", remote_id},
      {"employee_number", common::string_or_null(e.if_contains("employee_number"))},
      {"first_name", std::move(first)},
      {"last_name", std::move(last)},
      {"nationality", common::string_or_null(e.if_contains("nationality"))},
      {"display_full_name", std::move(display)},
      {"job_title", common::string_or_null(e.if_contains("job_title"))},
      {"work_email", string_or_primary(any_of(e, {"work_email", "email"}))},
      {"personal_email", string_or_primary(e.if_contains("personal_email"))},
      {"mobile_phone_number", phone_of(any_of(e, {"phone_group", "phone"}))},
      {"ssn", nullptr},
      {"tax_id", nullptr},
      {"gender", nullptr},
      {"ethnicity", nullptr},
      {"marital_status", nullptr},
      {"employment_status", employment_status(e.if_contains("status"))},
      {"employment_type", nullptr},
      {"weekly_hours", nullptr},
      {"avatar", common::string_or_null(any_of(e, {"avatar_url", "avatar"}))},
      {"work_location_id", nullptr},
      {"legal_entity_id", nullptr},
      {"manager_id", std::move(manager_id)},
      {"home_address", nullptr},
      {"bank_accounts", nullptr},
      {"date_of_birth", common::iso_or_null(any_of(e, {"birthdate", "date_of_birth"}))},
      {"start_date", common::iso_or_null(e.if_contains("start_date"))},
      {"termination_date", common::iso_or_null(any_of(e, {"termination_date", "end_date"}))},
      {"remote_created_at", common::iso_or_null(e.if_contains("created_at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"custom_fields", nullptr},
      {"employments", bj::array{}},
      {"time_off_balances", bj::array{}},
      {"manager", nullptr},
      {"groups", bj::array{}},
      {"legal_entity", nullptr},
      {"work_location", nullptr},
  };
}

std::optional<std::string> absence_employee_id(const bj::object& r) {
  bj::value id = common::string_or_null(r.if_contains("employee_id"));
  if (!id.is_string()) {
    if (const bj::object* e = object_at(r, "employee")) id = common::string_or_null(e->if_contains("id"));
  }
  if (!id.is_string() || id.get_string().empty()) return std::nullopt;
  return std::string(id.get_string());
}

bj::object map_absence(const ApiContext& ctx, const bj::object& r, const std::string& remote_id) {
  const auto employee = absence_employee_id(r);
  bj::value type = nullptr;
  std::string type_id;
  const bj::object* category = object_at(r, "category");
  if (category == nullptr) category = object_at(r, "type");
  bj::value category_id = common::string_or_null(category != nullptr ? category->if_contains("id") : nullptr);
  // GET /timeoff/requests names the category only (`category_name`,
  // workable.readme.io/reference/timeoffrequests-1).
  bj::value category_name =
      category != nullptr
          ? common::string_or_null(category->if_contains("name"))
          : common::string_or_null(any_of(r, {"category_name", "category", "type", "policy_name"}));
  if (!category_id.is_string() && category_name.is_string()) category_id = category_name;
  if (category_id.is_string()) {
    type_id = common::unified_id(ctx.integration_id, "hris_absence_types", category_id.get_string());
    type = bj::object{
        {"id", type_id},         {"remote_id", category_id},       {"name", category_name},
        {"unit", nullptr},       {"half_days_supported", nullptr}, {"exact_times_supported", nullptr},
        {"changed_at", nullptr}, {"remote_deleted_at", nullptr}};
  }
  bj::value unit = nullptr;
  if (const auto* u = any_of(r, {"unit", "timeoff_tracking_unit"}); u != nullptr && u->is_string()) {
    const std::string s = common::ascii_lower(u->get_string());
    // timeoff_tracking_unit: full_days or half_days; requesting_total counts days either way.
    if (s == "days" || s == "day" || s == "full_days" || s == "half_days") unit = "DAYS";
    if (s == "hours" || s == "hour") unit = "HOURS";
  }
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "hris_absences", remote_id)},
      {"remote_id", remote_id},
      {"employee_id", employee
                          ? bj::value(common::unified_id(ctx.integration_id, "hris_employees", *employee))
                          : bj::value("")},
      {"start_date", day_of(any_of(r, {"start_date", "from", "from_date"}))},
      {"end_date", day_of(any_of(r, {"end_date", "to", "to_date"}))},
      {"start_half_day", bool_or_null(r.if_contains("start_half_day"))},
      {"end_half_day", bool_or_null(r.if_contains("end_half_day"))},
      {"start_time", nullptr},
      {"end_time", nullptr},
      {"amount", common::number_or_null(any_of(r, {"amount", "duration", "days", "requesting_total"}))},
      {"unit", std::move(unit)},
      {"status", absence_status(any_of(r, {"status", "state"}))},
      {"employee_note", common::string_or_null(any_of(r, {"note", "comment", "reason"}))},
      {"type_id", type_id.empty() ? bj::value(nullptr) : bj::value(type_id)},
      {"remote_created_at", common::iso_or_null(r.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(r.if_contains("updated_at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"type", std::move(type)},
  };
}

}  // namespace tributary::connectors::workable
