#include "connectors/model.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tributary::connectors
