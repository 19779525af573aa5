// The unified vocabulary: categories, models and actions that every connector maps its vendor events to.
#pragma once

#include <optional>
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

// One change in unified terms: "ats_jobs published, remote id 123".
struct UnifiedEvent {
  Model model;
  Action action;
  std::string remote_id;
};

// The ten unified events the product promises (shared/vendors.md "Unified events"), in display order.
struct UnifiedEventKind {
  Model model;
  Action action;
  std::string_view label;  // "candidate created"
};
const std::vector<UnifiedEventKind>& unified_event_kinds();

}  // namespace tributary::connectors
