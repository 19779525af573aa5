#include "connectors/model.h"

namespace tributary::connectors {

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
