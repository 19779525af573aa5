#include "connectors/model.h"

#include <array>
#include <boost/json.hpp>

namespace tributary::connectors {

namespace {

constexpr FieldKind kList = FieldKind::kList;
constexpr FieldKind kStore = FieldKind::kStore;
constexpr FieldKind kValue = FieldKind::kValue;
constexpr FieldKind kCustom = FieldKind::kCustomFields;
constexpr bool kOptional = false;

constexpr std::array kEmployeeFields = std::to_array<ModelField>({
    {"id", kStore},
    {"remote_id", kStore},
    {"employee_number"},
    {"first_name"},
    {"last_name"},
    {"nationality"},
    {"display_full_name"},
    {"job_title"},
    {"work_email", kValue, kOptional},
    {"personal_email", kValue, kOptional},
    {"mobile_phone_number"},
    {"ssn"},
    {"tax_id"},
    {"gender", kValue, kOptional},
    {"ethnicity", kValue, kOptional},
    {"marital_status", kValue, kOptional},
    {"employment_status", kValue, kOptional},
    {"employment_type", kValue, kOptional},
    {"weekly_hours"},
    {"avatar"},
    {"work_location_id"},
    {"legal_entity_id"},
    {"manager_id"},
    {"home_address", kValue, kOptional},
    {"bank_accounts", kValue, kOptional},
    {"date_of_birth"},
    {"start_date"},
    {"termination_date"},
    {"remote_created_at"},
    {"changed_at", kStore},
    {"remote_deleted_at", kStore},
    {"custom_fields", kCustom},
    {"employments", kList},
    {"time_off_balances", kList},
    {"manager"},
    {"groups", kList},
    {"legal_entity"},
    {"work_location"},
});

constexpr std::array kAbsenceFields = std::to_array<ModelField>({
    {"id", kStore},
    {"remote_id", kStore},
    {"employee_id"},
    {"start_date", kValue, kOptional},
    {"end_date", kValue, kOptional},
    {"start_half_day"},
    {"end_half_day"},
    {"start_time", kValue, kOptional},
    {"end_time", kValue, kOptional},
    {"amount"},
    {"unit"},
    {"status", kValue, kOptional},
    {"employee_note"},
    {"type_id"},
    {"remote_created_at"},
    {"remote_updated_at"},
    {"changed_at", kStore},
    {"remote_deleted_at", kStore},
    {"type"},
});

constexpr std::array kCandidateFields = std::to_array<ModelField>({
    {"id", kStore},
    {"remote_id", kStore},
    {"first_name"},
    {"last_name"},
    {"company"},
    {"title"},
    {"confidential"},
    {"source"},
    {"phone_numbers", kValue, kOptional},
    {"email_addresses", kValue, kOptional},
    {"social_media", kValue, kOptional},
    {"location", kValue, kOptional},
    {"custom_fields", kCustom},
    {"remote_url"},
    {"remote_created_at"},
    {"remote_updated_at"},
    {"changed_at", kStore},
    {"remote_deleted_at", kStore},
    {"applications", kList},
    {"tags", kList},
});

constexpr std::array kJobFields = std::to_array<ModelField>({
    {"id", kStore},
    {"remote_id", kStore},
    {"name"},
    {"job_code"},
    {"description"},
    {"confidential"},
    {"weekly_hours"},
    {"employment_type", kValue, kOptional},
    {"status", kValue, kOptional},
    {"visibility", kValue, kOptional},
    {"category"},
    {"department"},
    {"post_url"},
    {"experience_level"},
    {"remote_work_status", kValue, kOptional},
    {"salary_amount"},
    {"salary_amount_from"},
    {"salary_amount_to"},
    {"salary_currency"},
    {"salary_period", kValue, kOptional},
    {"location", kValue, kOptional},
    {"custom_fields", kCustom},
    {"remote_url"},
    {"opened_at"},
    {"closed_at"},
    {"remote_created_at"},
    {"remote_updated_at"},
    {"contact_id"},
    {"changed_at", kStore},
    {"remote_deleted_at", kStore},
    {"stages", kList},
    {"screening_questions", kList},
    {"job_postings", kList},
    {"hiring_team", kList},
});

}  // namespace

std::span<const ModelField> model_fields(Model m) {
  switch (m) {
    case Model::kHrisEmployees:
      return kEmployeeFields;
    case Model::kHrisAbsences:
      return kAbsenceFields;
    case Model::kAtsCandidates:
      return kCandidateFields;
    case Model::kAtsJobs:
      return kJobFields;
  }
  return {};
}

const ModelField* find_field(Model m, std::string_view name) {
  for (const ModelField& f : model_fields(m))
    if (f.name == name) return &f;
  return nullptr;
}

RecordShape check_record(Model m, const boost::json::object& record) {
  RecordShape out;
  for (const ModelField& f : model_fields(m))
    if (f.required && f.kind != FieldKind::kStore && !record.contains(f.name))
      out.missing.emplace_back(f.name);
  for (const auto& [key, value] : record)
    if (find_field(m, key) == nullptr) out.unknown.emplace_back(key);
  return out;
}

boost::json::object complete_record(Model m, boost::json::object record) {
  for (const ModelField& f : model_fields(m)) {
    if (!f.required || f.kind == FieldKind::kStore || record.contains(f.name)) continue;
    switch (f.kind) {
      case FieldKind::kList:
        record[f.name] = boost::json::array{};
        break;
      case FieldKind::kCustomFields:
        record[f.name] = boost::json::object{};
        break;
      default:
        record[f.name] = nullptr;
    }
  }
  return record;
}

std::string_view to_string(Category c) {
  return c == Category::kHris ? "HRIS" : "ATS";
}

std::string_view to_string(Model m) {
  switch (m) {
    case Model::kHrisEmployees:
      return "hris_employees";
    case Model::kHrisAbsences:
      return "hris_absences";
    case Model::kAtsCandidates:
      return "ats_candidates";
    case Model::kAtsJobs:
      return "ats_jobs";
  }
  return "unknown";
}

std::string_view to_string(Action a) {
  switch (a) {
    case Action::kCreated:
      return "created";
    case Action::kUpdated:
      return "updated";
    case Action::kDeleted:
      return "deleted";
    case Action::kPublished:
      return "published";
    case Action::kUnpublished:
      return "unpublished";
  }
  return "unknown";
}

std::optional<Model> parse_model(std::string_view text) {
  for (Model m : kAllModels)
    if (to_string(m) == text) return m;
  return std::nullopt;
}

std::optional<Action> parse_action(std::string_view text) {
  for (Action a :
       {Action::kCreated, Action::kUpdated, Action::kDeleted, Action::kPublished, Action::kUnpublished})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

Category category_of(Model m) {
  return m == Model::kHrisEmployees || m == Model::kHrisAbsences ? Category::kHris : Category::kAts;
}

const std::vector<UnifiedEventKind>& unified_event_kinds() {
  static const std::vector<UnifiedEventKind> kKinds = {
      {Model::kAtsCandidates, Action::kCreated, "candidate created"},
      {Model::kAtsCandidates, Action::kDeleted, "candidate deleted"},
      {Model::kAtsJobs, Action::kUpdated, "job updated"},
      {Model::kAtsJobs, Action::kPublished, "job published"},
      {Model::kAtsJobs, Action::kUnpublished, "job unpublished"},
      {Model::kHrisEmployees, Action::kCreated, "employee created"},
      {Model::kHrisEmployees, Action::kUpdated, "employee updated"},
      {Model::kHrisEmployees, Action::kDeleted, "employee deleted"},
      {Model::kHrisAbsences, Action::kCreated, "absence created"},
      {Model::kHrisAbsences, Action::kUpdated, "absence updated"},
  };
  return kKinds;
}

}  // namespace tributary::connectors
