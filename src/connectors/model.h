// The unified vocabulary: categories, models and actions that every connector maps its vendor events to.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::connectors {

enum class Category { kHris, kAts };
enum class Model { kHrisEmployees, kHrisAbsences, kAtsCandidates, kAtsJobs };
enum class Action { kCreated, kUpdated, kDeleted, kPublished, kUnpublished };

inline constexpr Model kAllModels[] = {Model::kHrisEmployees, Model::kHrisAbsences, Model::kAtsCandidates,
                                       Model::kAtsJobs};

std::string_view to_string(Category c);  // "HRIS" | "ATS"
std::string_view to_string(Model m);     // "hris_employees", ...
std::string_view to_string(Action a);    // "created", ...
std::optional<Model> parse_model(std::string_view text);
std::optional<Action> parse_action(std::string_view text);
Category category_of(Model m);

// The top-level fields of each unified model, as the Kombo SDK validates them (shared/kombo-models.md). A
// required field must be present in every record (null allowed unless it is a list or custom_fields); an
// optional one may be left out. `id`, `remote_id`, `changed_at` and `remote_deleted_at` are the store's.
enum class FieldKind { kValue, kList, kCustomFields, kStore };
struct ModelField {
  std::string_view name;
  FieldKind kind = FieldKind::kValue;
  bool required = true;
};
std::span<const ModelField> model_fields(Model m);
const ModelField* find_field(Model m, std::string_view name);

// What a connector's record is missing and what it has that the model does not know.
struct RecordShape {
  std::vector<std::string> missing;  // required fields left out (filled by complete_record)
  std::vector<std::string> unknown;  // keys the model does not have (kept; the SDK ignores them)
};
RecordShape check_record(Model m, const boost::json::object& record);
// The record with every required field: a missing one is null, [] for a list, {} for custom_fields. The
// store's fields are left to the store. Present fields are not touched.
boost::json::object complete_record(Model m, boost::json::object record);

// One change in unified terms: "ats_jobs published, remote id 123".
struct UnifiedEvent {
  Model model;
  Action action;
  std::string remote_id;
  // What the delivery says beside the record's id that lets the record be read directly (HiBob and Workable
  // time off: the employee the request belongs to, under whom the tool files it); empty when the id alone
  // does. Kept with the inbox row for the targeted fetch, never relayed.
  std::string fetch_hint;
};

// The ten unified events the product promises (shared/vendors.md "Unified events"), in display order.
struct UnifiedEventKind {
  Model model;
  Action action;
  std::string_view label;  // "candidate created"
};
const std::vector<UnifiedEventKind>& unified_event_kinds();

}  // namespace tributary::connectors
