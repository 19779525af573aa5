#include "connectors/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace tributary::connectors {
namespace {

TEST(Model, NamesRoundTrip) {
  for (Model m : kAllModels)
    EXPECT_EQ(parse_model(to_string(m)), m);
  for (Action a :
       {Action::kCreated, Action::kUpdated, Action::kDeleted, Action::kPublished, Action::kUnpublished})
    EXPECT_EQ(parse_action(to_string(a)), a);
  EXPECT_EQ(to_string(Model::kHrisEmployees), "hris_employees");
  EXPECT_EQ(to_string(Action::kUnpublished), "unpublished");
  EXPECT_FALSE(parse_model("HRIS_EMPLOYEES").has_value());
  EXPECT_FALSE(parse_action("").has_value());
}

TEST(Model, Categories) {
  EXPECT_EQ(category_of(Model::kHrisAbsences), Category::kHris);
  EXPECT_EQ(category_of(Model::kAtsJobs), Category::kAts);
  EXPECT_EQ(to_string(Category::kHris), "HRIS");
  EXPECT_EQ(to_string(Category::kAts), "ATS");
}

TEST(Model, TheTenPromisedEvents) {
  EXPECT_EQ(unified_event_kinds().size(), 10u);
}

// The field tables, held to a few facts of shared/kombo-models.md: how many top-level fields each model has,
// and which of them the SDK requires as lists.
TEST(Model, FieldTablesFollowTheSdk) {
  EXPECT_EQ(model_fields(Model::kHrisEmployees).size(), 38u);
  EXPECT_EQ(model_fields(Model::kHrisAbsences).size(), 19u);
  EXPECT_EQ(model_fields(Model::kAtsCandidates).size(), 20u);
  EXPECT_EQ(model_fields(Model::kAtsJobs).size(), 34u);
  for (Model m : kAllModels) {
    std::set<std::string_view> names;
    for (const ModelField& f : model_fields(m))
      EXPECT_TRUE(names.insert(f.name).second) << to_string(m) << " lists " << f.name << " twice";
    for (const char* store_field : {"id", "remote_id", "changed_at", "remote_deleted_at"})
      EXPECT_EQ(find_field(m, store_field)->kind, FieldKind::kStore) << store_field;
    EXPECT_EQ(find_field(m, "nope"), nullptr);
  }
  EXPECT_EQ(find_field(Model::kHrisEmployees, "employments")->kind, FieldKind::kList);
  EXPECT_FALSE(find_field(Model::kHrisEmployees, "work_email")->required);
  EXPECT_EQ(find_field(Model::kAtsJobs, "hiring_team")->kind, FieldKind::kList);
  EXPECT_EQ(find_field(Model::kAtsCandidates, "custom_fields")->kind, FieldKind::kCustomFields);
}

TEST(Model, ACompletedRecordHasEveryRequiredFieldAndKeepsWhatItHad) {
  boost::json::object partial{{"id", "u1"}, {"remote_id", "9"}, {"name", "Engineer"}, {"frist_name", "x"}};
  const RecordShape before = check_record(Model::kAtsJobs, partial);
  EXPECT_EQ(before.unknown, std::vector<std::string>{"frist_name"});
  EXPECT_NE(std::find(before.missing.begin(), before.missing.end(), "stages"), before.missing.end());
  EXPECT_EQ(std::find(before.missing.begin(), before.missing.end(), "changed_at"), before.missing.end())
      << "the store's fields are the store's";

  const boost::json::object done = complete_record(Model::kAtsJobs, partial);
  EXPECT_TRUE(check_record(Model::kAtsJobs, done).missing.empty());
  EXPECT_EQ(done.at("name"), boost::json::value("Engineer"));
  EXPECT_EQ(done.at("frist_name"), boost::json::value("x")) << "unknown keys are reported, not dropped";
  EXPECT_TRUE(done.at("stages").is_array());
  EXPECT_TRUE(done.at("custom_fields").is_object());
  EXPECT_TRUE(done.at("job_code").is_null());
  EXPECT_FALSE(done.contains("status")) << "optional fields stay out";
  EXPECT_FALSE(done.contains("changed_at"));

  boost::json::object full = done;
  full["stages"] = boost::json::array{boost::json::object{{"id", "s"}}};
  EXPECT_EQ(complete_record(Model::kAtsJobs, full), full) << "a complete record is left as it is";
}

}  // namespace
}  // namespace tributary::connectors
