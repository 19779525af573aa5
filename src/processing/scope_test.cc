#include "processing/scope.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "connectors/registry.h"

namespace tributary::processing {
namespace {

using connectors::Category;
using connectors::Model;

TEST(ScopeTest, DefaultsEnableEveryModelOfTheCategoryAndLeaveWebhooksOff) {
  auto hris = parse_scope("", Category::kHris);
  ASSERT_TRUE(hris.ok()) << hris.error().message;
  EXPECT_FALSE(hris->upstream_webhooks);
  EXPECT_EQ(hris->models, (std::set<Model>{Model::kHrisEmployees, Model::kHrisAbsences}));

  auto ats = parse_scope("{}", Category::kAts);
  ASSERT_TRUE(ats.ok()) << ats.error().message;
  EXPECT_FALSE(ats->upstream_webhooks);
  EXPECT_EQ(ats->models, (std::set<Model>{Model::kAtsCandidates, Model::kAtsJobs}));
  EXPECT_FALSE(ats->enabled(Model::kHrisEmployees));
}

TEST(ScopeTest, ModelsLeftOutStayEnabled) {
  auto scope =
      parse_scope(R"({"models": {"hris_absences": false}, "upstream_webhooks": true})", Category::kHris);
  ASSERT_TRUE(scope.ok()) << scope.error().message;
  EXPECT_TRUE(scope->upstream_webhooks);
  EXPECT_TRUE(scope->enabled(Model::kHrisEmployees));
  EXPECT_FALSE(scope->enabled(Model::kHrisAbsences));
}

TEST(ScopeTest, DisablingAModelOfAnotherCategoryIsHarmless) {
  // The stored form lists every model (to_json), so "false" for another category's model must parse.
  auto scope = parse_scope(R"({"models": {"hris_employees": false}})", Category::kAts);
  ASSERT_TRUE(scope.ok()) << scope.error().message;
  EXPECT_EQ(scope->models, (std::set<Model>{Model::kAtsCandidates, Model::kAtsJobs}));
}

TEST(ScopeTest, UnknownModelIsRejectedNamingItAndTheKnownOnes) {
  auto scope = parse_scope(R"({"models": {"hris_payroll": true}})", Category::kHris);
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(scope.error().message.find("unknown model 'hris_payroll'"), std::string::npos)
      << scope.error().message;
  EXPECT_NE(scope.error().message.find("hris_employees"), std::string::npos) << scope.error().message;
}

TEST(ScopeTest, ModelOfTheWrongCategoryIsRejected) {
  auto scope = parse_scope(R"({"models": {"ats_jobs": true}})", Category::kHris);
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().kind, ErrorKind::kInvalidArgument);
  // The message names the model and the ones that are available.
  EXPECT_NE(scope.error().message.find("ats_jobs"), std::string::npos) << scope.error().message;
  EXPECT_NE(scope.error().message.find("available: hris_employees, hris_absences"), std::string::npos)
      << scope.error().message;
}

TEST(ScopeTest, NonBooleanValuesAreRejectedNamingTheKey) {
  struct Case {
    const char* json;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"upstream_webhooks": "yes"})", "scope.upstream_webhooks must be a boolean"},
      {R"({"upstream_webhooks": 1})", "scope.upstream_webhooks must be a boolean"},
      {R"({"upstream_webhooks": null})", "scope.upstream_webhooks must be a boolean"},
      {R"({"models": {"hris_employees": 1}})", "scope.models.hris_employees must be a boolean"},
      {R"({"models": {"hris_employees": "false"}})", "scope.models.hris_employees must be a boolean"},
      {R"({"models": ["hris_employees"]})", "scope.models must be an object"},
      {R"({"models": true})", "scope.models must be an object"},
      {R"([])", "scope must be an object"},
      {R"("hris")", "scope must be an object"},
      {R"({"webhooks": true})", "scope: unknown key 'webhooks'"},
  };
  for (const auto& c : cases) {
    auto scope = parse_scope(c.json, Category::kHris);
    ASSERT_FALSE(scope.ok()) << c.json;
    EXPECT_EQ(scope.error().kind, ErrorKind::kInvalidArgument) << c.json;
    EXPECT_EQ(scope.error().message, c.expected) << c.json;
  }
}

TEST(ScopeTest, MalformedJsonIsAnError) {
  auto scope = parse_scope(R"({"models": )", Category::kHris);
  ASSERT_FALSE(scope.ok());
  EXPECT_FALSE(scope.error().message.empty());
}

TEST(ScopeTest, MergeChangesOnlyWhatThePatchNames) {
  auto base =
      parse_scope(R"({"upstream_webhooks": true, "models": {"hris_absences": false}})", Category::kHris);
  ASSERT_TRUE(base.ok());

  auto merged = merge_scope(*base, R"({"models": {"hris_employees": false}})", Category::kHris);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_TRUE(merged->upstream_webhooks);  // untouched
  EXPECT_TRUE(merged->models.empty());     // absences stayed off, employees turned off

  auto again = merge_scope(*merged, R"({"models": {"hris_absences": true}, "upstream_webhooks": false})",
                           Category::kHris);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->upstream_webhooks);
  EXPECT_EQ(again->models, (std::set<Model>{Model::kHrisAbsences}));

  auto empty_patch = merge_scope(*base, "", Category::kHris);
  ASSERT_TRUE(empty_patch.ok());
  EXPECT_EQ(empty_patch->models, base->models);
  EXPECT_EQ(empty_patch->upstream_webhooks, base->upstream_webhooks);
}

TEST(ScopeTest, MergeValidatesThePatchAndLeavesTheBaseAlone) {
  auto base = parse_scope(R"({"upstream_webhooks": true})", Category::kAts);
  ASSERT_TRUE(base.ok());
  auto bad = merge_scope(*base, R"({"models": {"hris_absences": true}})", Category::kAts);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("hris_absences"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("available: ats_candidates, ats_jobs"), std::string::npos)
      << bad.error().message;
  EXPECT_EQ(base->models, (std::set<Model>{Model::kAtsCandidates, Model::kAtsJobs}));
}

TEST(ScopeTest, ToJsonRoundTripsAndListsEveryModel) {
  auto scope = parse_scope(R"({"upstream_webhooks": true, "models": {"ats_jobs": false}})", Category::kAts);
  ASSERT_TRUE(scope.ok());
  std::string text = scope->to_json();
  auto doc = boost::json::parse(text).as_object();
  EXPECT_EQ(doc.at("upstream_webhooks"), true);
  const auto& models = doc.at("models").as_object();
  EXPECT_EQ(models.size(), 4u);
  EXPECT_EQ(models.at("ats_candidates"), true);
  EXPECT_EQ(models.at("ats_jobs"), false);
  EXPECT_EQ(models.at("hris_employees"), false);

  auto back = parse_scope(text, Category::kAts);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->models, scope->models);
  EXPECT_EQ(back->upstream_webhooks, scope->upstream_webhooks);
}

TEST(ScopeTest, AConnectorsOtherCategoryModelsAreAvailableButOffByDefault) {
  // Workable is an ATS that also relays employees and time off.
  const auto* workable = connectors::builtin_registry().find("workable");
  ASSERT_NE(workable, nullptr);
  auto scope = parse_scope(R"({"upstream_webhooks": true})", *workable);
  ASSERT_TRUE(scope.ok()) << scope.error().message;
  EXPECT_EQ(scope->models, (std::set<Model>{Model::kAtsCandidates, Model::kAtsJobs}));
  auto more = merge_scope(*scope, R"({"models": {"hris_employees": true}})", *workable);
  ASSERT_TRUE(more.ok()) << more.error().message;
  EXPECT_TRUE(more->enabled(Model::kHrisEmployees));
  // Greenhouse has no employees at all.
  const auto* greenhouse = connectors::builtin_registry().find("greenhouse");
  ASSERT_NE(greenhouse, nullptr);
  EXPECT_FALSE(parse_scope(R"({"models": {"hris_employees": true}})", *greenhouse).ok());
}

}  // namespace
}  // namespace tributary::processing
