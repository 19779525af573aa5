// Tests for the schema, the integration/subscription, inbox and API-key repositories, the read pool and the
// value helpers, on real SQLite in a temp directory and on PostgreSQL (a schema of the test database; see
// test_db.h). The outbox has its own file (outbox_repo_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <string>
#include <vector>

#include "store/api_budgets_repo.h"
#include "store/api_keys_repo.h"
#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "store/pool.h"
#include "store/schema.h"
#include "store/value_util.h"
#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_db::MigratedDbTest;

// ---------------------------------------------------------------------------------------------------------------
// Schema

class SchemaTest : public MigratedDbTest {};

TEST_P(SchemaTest, MigrateRecordsEveryVersionOnce) {
  EXPECT_GE(latest_schema_version(), 1);
  auto v = current_schema_version(c());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, latest_schema_version());
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_TRUE(check_schema(c()).ok());
}

TEST_P(SchemaTest, MigrationsRecordWhenTheyWereApplied) {
  EXPECT_GT(scalar("SELECT MIN(applied_at) FROM schema_migrations"), 1'600'000'000'000);
}

TEST_P(SchemaTest, MigrateIsIdempotent) {
  // Data written after the first migration survives a second and third run, and no version is applied twice.
  ASSERT_TRUE(
      c().execute("INSERT INTO api_keys (id, name, key_hash, created_at) VALUES ('k1', 'n', 'h', 1)").ok());
  for (int i = 0; i < 2; ++i) {
    auto s = migrate(c());
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  // A fresh connection (as a restarted node would use) sees the same state.
  auto other = connect();
  ASSERT_NE(other, nullptr);
  auto s = migrate(*other);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(scalar("SELECT count(*) FROM api_keys"), 1);
  EXPECT_TRUE(check_schema(*other).ok());
}

TEST_P(SchemaTest, CheckSchemaRefusesANewerDatabase) {
  ASSERT_TRUE(c().execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)").ok());
  auto v = current_schema_version(c());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 99);
  auto s = check_schema(c());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("newer"));
  // migrate refuses too rather than "downgrading" or re-running anything.
  auto m = migrate(c());
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.error().message, HasSubstr("newer"));
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), latest_schema_version() + 1);
}

TEST_P(SchemaTest, CheckSchemaRefusesAnUnmigratedDatabase) {
  auto db = open_database(another_database());
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn.ok());
  auto v = current_schema_version(**conn);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0);
  auto s = check_schema(**conn);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("migrate"));
}

// ---------------------------------------------------------------------------------------------------------------
// Integrations and subscriptions

IntegrationRow integration(const std::string& id, Millis created_at = 1000) {
  IntegrationRow row;
  row.id = id;
  row.tool = "personio";
  row.category = "HRIS";
  row.end_user = R"({"organization_name":"Acme"})";
  row.credentials = std::string("sealed\0bytes", 12);
  row.scope = R"({"models":{},"upstream_webhooks":true})";
  row.sync = R"({"interval_seconds":3600})";
  row.created_at = created_at;
  row.updated_at = created_at;
  return row;
}

SubscriptionRow subscription(const std::string& id, const std::string& integration_id,
                             const std::string& token) {
  SubscriptionRow row;
  row.id = id;
  row.integration_id = integration_id;
  row.ingress_token = token;
  row.mode = "api";
  row.status = store::SubscriptionStatus::kActive;
  row.event_types = {"employee.created", "employee.updated"};
  row.secret = std::string("s\0c", 3);
  row.created_at = 1000;
  row.updated_at = 1000;
  return row;
}

class IntegrationsRepoTest : public MigratedDbTest {};

TEST_P(IntegrationsRepoTest, InsertGetRoundTrips) {
  auto in = integration("personio:a");
  in.remote_base_url = "http://127.0.0.1:1";
  in.last_event_at = 5;
  ASSERT_TRUE(integrations::insert(c(), in).ok());
  auto got = integrations::get(c(), "personio:a");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const auto& row = **got;
  EXPECT_EQ(row.tool, "personio");
  EXPECT_EQ(row.category, "HRIS");
  EXPECT_EQ(row.end_user, in.end_user);
  EXPECT_EQ(row.credentials, in.credentials);  // binary-safe
  EXPECT_EQ(row.remote_base_url, in.remote_base_url);
  EXPECT_EQ(row.scope, in.scope);
  EXPECT_EQ(row.sync, in.sync);
  EXPECT_EQ(row.last_event_at, 5);
  EXPECT_FALSE(row.deleted_at);

  auto missing = integrations::get(c(), "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(IntegrationsRepoTest, DeletedIntegrationsAreHiddenButDueForReconcile) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a", 1000)).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:b", 2000)).ok());
  ASSERT_TRUE(integrations::mark_deleted(c(), "personio:a", 3000).ok());

  auto hidden = integrations::get(c(), "personio:a");
  ASSERT_TRUE(hidden.ok());
  EXPECT_FALSE(hidden->has_value());
  auto shown = integrations::get(c(), "personio:a", /*include_deleted=*/true);
  ASSERT_TRUE(shown.ok());
  ASSERT_TRUE(shown->has_value());
  EXPECT_EQ((*shown)->deleted_at, 3000);

  auto all = integrations::list(c());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).id, "personio:b");

  // The reconciler still sees the deleted one (it must remove its remote subscriptions).
  auto due = integrations::due_for_reconcile(c(), 3000);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->at(0).id, "personio:a");

  ASSERT_TRUE(integrations::hard_delete(c(), "personio:a").ok());
  auto gone = integrations::get(c(), "personio:a", true);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

// Hard deletion forgets the integration's API budget (its pause and the grants in its window), and only its.
TEST_P(IntegrationsRepoTest, HardDeleteForgetsTheApiBudgetRows) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a", 1000)).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:b", 1000)).ok());
  for (const char* id : {"personio:a", "personio:b"}) {
    ASSERT_TRUE(api_budgets::try_grant(c(), id, 10, 60'000, 2000).ok());
    ASSERT_TRUE(api_budgets::pause(c(), id, 9000).ok());
  }
  ASSERT_EQ(scalar("SELECT count(*) FROM api_budget_grants"), 2);
  ASSERT_EQ(scalar("SELECT count(*) FROM api_budgets"), 2);
  ASSERT_TRUE(integrations::hard_delete(c(), "personio:a").ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budget_grants WHERE integration_id = 'personio:a'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budgets WHERE integration_id = 'personio:a'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budget_grants WHERE integration_id = 'personio:b'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM api_budgets WHERE integration_id = 'personio:b'"), 1);
}

TEST_P(IntegrationsRepoTest, ListIsNewestFirst) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:old", 1000)).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:new", 2000)).ok());
  auto all = integrations::list(c());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, "personio:new");
  EXPECT_EQ(all->at(1).id, "personio:old");
}

TEST_P(IntegrationsRepoTest, RequestReconcileKeepsTheEarliestTime) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a")).ok());
  ASSERT_TRUE(integrations::request_reconcile(c(), "personio:a", 5000).ok());
  ASSERT_TRUE(integrations::request_reconcile(c(), "personio:a", 9000).ok());  // later: ignored
  auto got = integrations::get(c(), "personio:a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->reconcile_due_at, 5000);

  ASSERT_TRUE(integrations::request_reconcile(c(), "personio:a", 2000).ok());  // earlier: wins
  got = integrations::get(c(), "personio:a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->reconcile_due_at, 2000);

  auto not_yet = integrations::due_for_reconcile(c(), 1999);
  ASSERT_TRUE(not_yet.ok());
  EXPECT_TRUE(not_yet->empty());
  auto due = integrations::due_for_reconcile(c(), 2000);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
}

TEST_P(IntegrationsRepoTest, DueForReconcileIsOrderedByDueTime) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a")).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:b")).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:c")).ok());
  ASSERT_TRUE(integrations::request_reconcile(c(), "personio:a", 300).ok());
  ASSERT_TRUE(integrations::request_reconcile(c(), "personio:b", 100).ok());
  auto due = integrations::due_for_reconcile(c(), 1000);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);  // c has no reconcile time
  EXPECT_EQ(due->at(0).id, "personio:b");
  EXPECT_EQ(due->at(1).id, "personio:a");
}

TEST_P(IntegrationsRepoTest, UpdateChangesMutableFieldsAndTouchSetsLastEvent) {
  auto row = integration("personio:a");
  ASSERT_TRUE(integrations::insert(c(), row).ok());
  row.end_user = R"({"organization_name":"Other"})";
  row.scope = R"({"models":{"hris_employees":true}})";
  row.remote_base_url = "http://127.0.0.1:2";
  row.updated_at = 7000;
  row.reconcile_due_at = 7000;
  ASSERT_TRUE(integrations::update(c(), row).ok());
  ASSERT_TRUE(integrations::touch_last_event(c(), "personio:a", 8000).ok());
  auto got = integrations::get(c(), "personio:a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->end_user, row.end_user);
  EXPECT_EQ((*got)->scope, row.scope);
  EXPECT_EQ((*got)->remote_base_url, row.remote_base_url);
  EXPECT_EQ((*got)->updated_at, 7000);
  EXPECT_EQ((*got)->reconcile_due_at, 7000);
  EXPECT_EQ((*got)->last_event_at, 8000);
  EXPECT_EQ((*got)->created_at, 1000);
}

TEST_P(IntegrationsRepoTest, SubscriptionsByIdAndToken) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a")).ok());
  auto sub = subscription("sub_1", "personio:a", "tok_abc");
  sub.remote_id = "r-1";
  ASSERT_TRUE(subscriptions::insert(c(), sub).ok());

  auto by_token = subscriptions::get_by_token(c(), "tok_abc");
  ASSERT_TRUE(by_token.ok()) << by_token.error().message;
  ASSERT_TRUE(by_token->has_value());
  EXPECT_EQ((*by_token)->id, "sub_1");
  EXPECT_EQ((*by_token)->integration_id, "personio:a");
  EXPECT_THAT((*by_token)->event_types, ElementsAre("employee.created", "employee.updated"));
  EXPECT_EQ((*by_token)->secret, sub.secret);
  EXPECT_EQ((*by_token)->remote_id, "r-1");
  EXPECT_FALSE((*by_token)->previous_secret);

  auto unknown = subscriptions::get_by_token(c(), "tok_other");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  // A token prefix is not a match.
  auto prefix = subscriptions::get_by_token(c(), "tok_ab");
  ASSERT_TRUE(prefix.ok());
  EXPECT_FALSE(prefix->has_value());

  // Tokens are unique.
  auto dup = subscriptions::insert(c(), subscription("sub_2", "personio:a", "tok_abc"));
  EXPECT_FALSE(dup.ok());
}

TEST_P(IntegrationsRepoTest, OnlyAPendingSubscriptionIsActivatedByItsFirstRequest) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a")).ok());
  std::map<std::string, SubscriptionStatus> before = {{"sub_p", SubscriptionStatus::kPending},
                                                      {"sub_f", SubscriptionStatus::kFailed},
                                                      {"sub_d", SubscriptionStatus::kDisabled}};
  for (const auto& [id, status] : before) {
    auto sub = subscription(id, "personio:a", "tok_" + id);
    sub.status = status;
    sub.last_error = "not verified yet";
    ASSERT_TRUE(subscriptions::insert(c(), sub).ok());
  }
  for (const auto& [id, status] : before)
    ASSERT_TRUE(subscriptions::activate_if_pending(c(), id).ok());
  auto pending = subscriptions::get(c(), "sub_p");
  ASSERT_TRUE(pending.ok() && pending->has_value());
  EXPECT_EQ((*pending)->status, SubscriptionStatus::kActive);
  EXPECT_FALSE((*pending)->last_error);
  for (const char* id : {"sub_f", "sub_d"}) {
    auto other = subscriptions::get(c(), id);
    ASSERT_TRUE(other.ok() && other->has_value());
    EXPECT_EQ((*other)->status, before[id]) << id;
    EXPECT_EQ((*other)->last_error, "not verified yet") << id;
  }
}

TEST_P(IntegrationsRepoTest, ReconcileDueTimes) {
  for (const char* id : {"personio:a", "personio:b", "personio:c"})
    ASSERT_TRUE(integrations::insert(c(), integration(id)).ok());
  ASSERT_TRUE(integrations::set_reconcile_due(c(), "personio:a", 5000).ok());
  ASSERT_TRUE(integrations::set_reconcile_due(c(), "personio:b", 9000).ok());
  ASSERT_TRUE(integrations::set_reconcile_due(c(), "personio:c", 100).ok());
  auto next = integrations::next_reconcile_due(c(), 1000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 5000);
  next = integrations::next_reconcile_due(c(), 9000);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next);
  ASSERT_TRUE(integrations::make_all_due(c(), 2000).ok());
  for (const auto& [id, due] :
       std::map<std::string, Millis>{{"personio:a", 2000}, {"personio:b", 2000}, {"personio:c", 100}}) {
    auto row = integrations::get(c(), id);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->reconcile_due_at, due) << id;
  }
}

TEST_P(IntegrationsRepoTest, SubscriptionUpdateListRemoveAndCascade) {
  ASSERT_TRUE(integrations::insert(c(), integration("personio:a")).ok());
  ASSERT_TRUE(integrations::insert(c(), integration("personio:b")).ok());
  auto s1 = subscription("sub_1", "personio:a", "t1");
  auto s2 = subscription("sub_2", "personio:a", "t2");
  s2.created_at = 2000;
  ASSERT_TRUE(subscriptions::insert(c(), s2).ok());
  ASSERT_TRUE(subscriptions::insert(c(), s1).ok());
  ASSERT_TRUE(subscriptions::insert(c(), subscription("sub_3", "personio:b", "t3")).ok());

  s1.status = store::SubscriptionStatus::kFailed;
  s1.last_error = "boom";
  s1.failures = 3;
  s1.next_attempt_at = 9000;
  s1.previous_secret = "old";
  s1.previous_secret_until = 10000;
  s1.secret.reset();
  s1.event_types = {};
  s1.updated_at = 5000;
  ASSERT_TRUE(subscriptions::update(c(), s1).ok());
  auto got = subscriptions::get(c(), "sub_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, store::SubscriptionStatus::kFailed);
  EXPECT_EQ((*got)->last_error, "boom");
  EXPECT_EQ((*got)->failures, 3);
  EXPECT_EQ((*got)->next_attempt_at, 9000);
  EXPECT_EQ((*got)->previous_secret, "old");
  EXPECT_EQ((*got)->previous_secret_until, 10000);
  EXPECT_FALSE((*got)->secret);
  EXPECT_TRUE((*got)->event_types.empty());
  EXPECT_EQ((*got)->ingress_token, "t1");  // not changed by update

  auto list = subscriptions::list_for_integration(c(), "personio:a");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->at(0).id, "sub_1");  // created_at order
  EXPECT_EQ(list->at(1).id, "sub_2");

  ASSERT_TRUE(subscriptions::remove(c(), "sub_2").ok());
  list = subscriptions::list_for_integration(c(), "personio:a");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);

  // Hard-deleting an integration removes its subscriptions (ON DELETE CASCADE).
  ASSERT_TRUE(integrations::hard_delete(c(), "personio:a").ok());
  auto orphan = subscriptions::get_by_token(c(), "t1");
  ASSERT_TRUE(orphan.ok());
  EXPECT_FALSE(orphan->has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM subscriptions"), 1);
}

TEST_P(IntegrationsRepoTest, SubscriptionNeedsAnExistingIntegration) {
  EXPECT_FALSE(subscriptions::insert(c(), subscription("sub_1", "personio:missing", "t1")).ok());
}

// ---------------------------------------------------------------------------------------------------------------
// API keys

class ApiKeysRepoTest : public MigratedDbTest {};

TEST_P(ApiKeysRepoTest, FindActiveIgnoresRevokedKeys) {
  ASSERT_TRUE(api_keys::insert(c(), {"key_1", "ci", "hash-1", 1000, std::nullopt}).ok());
  ASSERT_TRUE(api_keys::insert(c(), {"key_2", "ops", "hash-2", 2000, std::nullopt}).ok());

  auto found = api_keys::find_active(c(), "hash-1");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "key_1");
  EXPECT_EQ((*found)->name, "ci");
  EXPECT_FALSE((*found)->revoked_at);

  auto revoked = api_keys::revoke(c(), "key_1", 3000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 1);
  auto again = api_keys::revoke(c(), "key_1", 4000);  // already revoked: nothing changes
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  found = api_keys::find_active(c(), "hash-1");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  found = api_keys::find_active(c(), "hash-2");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
  found = api_keys::find_active(c(), "hash-unknown");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  auto all = api_keys::list(c());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, "key_1");
  EXPECT_EQ(all->at(0).revoked_at, 3000);  // the first revocation time is kept
  EXPECT_FALSE(all->at(1).revoked_at);
}

TEST_P(ApiKeysRepoTest, HashesAreUnique) {
  ASSERT_TRUE(api_keys::insert(c(), {"key_1", "a", "same", 1000, std::nullopt}).ok());
  EXPECT_FALSE(api_keys::insert(c(), {"key_2", "b", "same", 1000, std::nullopt}).ok());
}

// ---------------------------------------------------------------------------------------------------------------
// Inbox

InboxRow received(const std::string& id, Millis at, const std::optional<std::string>& integration_id,
                  const std::optional<std::string>& dedupe_key = std::nullopt) {
  InboxRow row;
  row.id = id;
  row.received_at = at;
  row.integration_id = integration_id;
  row.subscription_id = "sub_1";
  row.tool = "personio";
  row.method = "POST";
  row.path = "/ingress/personio/tok";
  row.headers = R"([["content-type","application/json"],["x-signature","[redacted]"]])";
  row.body = R"({"event":"employee.created"})";
  row.body_size = static_cast<std::int64_t>(row.body.size());
  row.http_status = 200;
  row.verification = "hmac-sha256";
  row.outcome = store::InboxOutcome::kReceived;
  row.vendor_event = "employee.created";
  row.delivery_id = "d-" + id;
  row.dedupe_key = dedupe_key;
  return row;
}

class InboxRepoTest : public MigratedDbTest {};

TEST_P(InboxRepoTest, InsertReceivedRoundTrips) {
  auto in = received("in_1", 1000, "personio:a", "evt-1");
  auto dup = inbox::insert_received(c(), in);
  ASSERT_TRUE(dup.ok()) << dup.error().message;
  EXPECT_FALSE(*dup);
  auto got = inbox::get(c(), "in_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  const auto& row = **got;
  EXPECT_GT(row.seq, 0);
  EXPECT_EQ(row.received_at, 1000);
  EXPECT_EQ(row.integration_id, "personio:a");
  EXPECT_EQ(row.subscription_id, "sub_1");
  EXPECT_EQ(row.tool, "personio");
  EXPECT_EQ(row.method, "POST");
  EXPECT_EQ(row.path, in.path);
  EXPECT_EQ(row.headers, in.headers);
  EXPECT_EQ(row.body, in.body);
  EXPECT_EQ(row.body_size, in.body_size);
  EXPECT_EQ(row.http_status, 200);
  EXPECT_EQ(row.verification, "hmac-sha256");
  EXPECT_EQ(row.outcome, store::InboxOutcome::kReceived);
  EXPECT_EQ(row.vendor_event, "employee.created");
  EXPECT_EQ(row.delivery_id, "d-in_1");
  EXPECT_EQ(row.dedupe_key, "evt-1");
  EXPECT_FALSE(row.processed_at);
}

TEST_P(InboxRepoTest, InsertReceivedDeduplicatesPerIntegration) {
  auto first = inbox::insert_received(c(), received("in_1", 1000, "personio:a", "evt-1"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(*first);

  auto second = inbox::insert_received(c(), received("in_2", 2000, "personio:a", "evt-1"));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(*second);
  auto dup = inbox::get(c(), "in_2");
  ASSERT_TRUE(dup.ok() && dup->has_value());
  EXPECT_EQ((*dup)->outcome, store::InboxOutcome::kDuplicate);
  EXPECT_FALSE((*dup)->dedupe_key);  // NULL, so the unique index keeps pointing at the original
  EXPECT_EQ((*dup)->processed_at, 2000);
  EXPECT_THAT((*dup)->reason.value_or(""), HasSubstr("evt-1"));
  EXPECT_EQ((*dup)->body, R"({"event":"employee.created"})");  // the duplicate is logged in full

  // A third copy is a duplicate too (the duplicate row did not take the key).
  auto third = inbox::insert_received(c(), received("in_3", 3000, "personio:a", "evt-1"));
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(*third);

  // Another integration may use the same key.
  auto other = inbox::insert_received(c(), received("in_4", 4000, "personio:b", "evt-1"));
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_FALSE(*other);
  auto got = inbox::get(c(), "in_4");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->outcome, store::InboxOutcome::kReceived);

  // Without a key nothing is de-duplicated.
  for (const char* id : {"in_5", "in_6"}) {
    auto r = inbox::insert_received(c(), received(id, 5000, "personio:a"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(*r);
  }

  EXPECT_EQ(scalar("SELECT count(*) FROM inbox WHERE outcome = 'duplicate'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM inbox WHERE outcome = 'received'"), 4);
  auto pending = inbox::pending(c(), 10);
  ASSERT_TRUE(pending.ok());
  std::vector<std::string> ids;
  for (const auto& r : *pending)
    ids.push_back(r.id);
  EXPECT_THAT(ids, ElementsAre("in_1", "in_4", "in_5", "in_6"));
}

// What waits for the processor per integration: the rows still "received", counted with the oldest's arrival.
TEST_P(InboxRepoTest, WaitingCountsTheReceivedRowsPerIntegration) {
  auto none = inbox::waiting(c(), "personio:a");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->count, 0);
  EXPECT_FALSE(none->oldest_received_at.has_value());
  ASSERT_TRUE(inbox::insert_received(c(), received("in_1", 1000, "personio:a")).ok());
  ASSERT_TRUE(inbox::insert_received(c(), received("in_2", 2000, "personio:a")).ok());
  ASSERT_TRUE(inbox::insert_received(c(), received("in_3", 3000, "personio:b")).ok());
  auto done = received("in_1", 1000, "personio:a");
  done.outcome = store::InboxOutcome::kAccepted;
  done.processed_at = 4000;
  ASSERT_TRUE(inbox::complete(c(), done).ok());

  auto a = inbox::waiting(c(), "personio:a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->count, 1);
  EXPECT_EQ(a->oldest_received_at, std::optional<Millis>(2000));
  auto all = inbox::waiting_by_integration(c());
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at("personio:a").count, 1);
  EXPECT_EQ(all->at("personio:b").count, 1);
  EXPECT_EQ(all->at("personio:b").oldest_received_at, std::optional<Millis>(3000));
}

TEST_P(InboxRepoTest, KeyIsFreeAgainOnlyForItsOwnIntegration) {
  // After the original is processed its key still de-duplicates: completing a row must not release the key.
  ASSERT_TRUE(inbox::insert_received(c(), received("in_1", 1000, "personio:a", "evt-1")).ok());
  auto row = received("in_1", 1000, "personio:a", "evt-1");
  row.outcome = store::InboxOutcome::kAccepted;
  row.processed_at = 1500;
  ASSERT_TRUE(inbox::complete(c(), row).ok());
  auto again = inbox::insert_received(c(), received("in_2", 2000, "personio:a", "evt-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again);
}

TEST_P(InboxRepoTest, PendingReturnsOnlyReceivedInSeqOrder) {
  // Insert out of received_at order: pending follows arrival (seq), not the timestamp.
  ASSERT_TRUE(inbox::insert_received(c(), received("in_1", 3000, "personio:a")).ok());
  auto ping = received("in_2", 1000, "personio:a");
  ping.outcome = store::InboxOutcome::kPing;
  ASSERT_TRUE(inbox::insert(c(), ping).ok());
  ASSERT_TRUE(inbox::insert_received(c(), received("in_3", 1000, "personio:a")).ok());
  auto rejected = received("in_4", 1000, std::nullopt);
  rejected.outcome = store::InboxOutcome::kRejected;
  rejected.http_status = 401;
  ASSERT_TRUE(inbox::insert(c(), rejected).ok());
  ASSERT_TRUE(inbox::insert_received(c(), received("in_5", 2000, "personio:b")).ok());

  auto pending = inbox::pending(c(), 10);
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  std::vector<std::string> ids;
  for (const auto& r : *pending)
    ids.push_back(r.id);
  EXPECT_THAT(ids, ElementsAre("in_1", "in_3", "in_5"));
  ASSERT_FALSE(pending->empty());
  EXPECT_EQ(pending->front().body, R"({"event":"employee.created"})");  // the processor needs the body

  auto limited = inbox::pending(c(), 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ(limited->at(1).id, "in_3");

  // Completing a row takes it off the pending list and records the processing result.
  auto done_row = pending->front();
  done_row.outcome = store::InboxOutcome::kAccepted;
  done_row.unified_events = R"([{"model":"hris_employees","action":"created"}])";
  done_row.warnings = R"(["w"])";
  done_row.event_ids = R"(["ev_1"])";
  done_row.processed_at = 9000;
  ASSERT_TRUE(inbox::complete(c(), done_row).ok());
  pending = inbox::pending(c(), 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ(pending->front().id, "in_3");
  auto got = inbox::get(c(), "in_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->outcome, store::InboxOutcome::kAccepted);
  EXPECT_EQ((*got)->unified_events, done_row.unified_events);
  EXPECT_EQ((*got)->warnings, done_row.warnings);
  EXPECT_EQ((*got)->event_ids, done_row.event_ids);
  EXPECT_EQ((*got)->processed_at, 9000);
  EXPECT_EQ((*got)->body, R"({"event":"employee.created"})");  // complete() leaves the request alone
}

TEST_P(InboxRepoTest, RequestBytesThatAreNotUtf8AreStillRecorded) {
  // Paths and headers arrive as bytes; a request is logged whatever they hold.
  auto row = received("in_1", 1000, "personio:a", std::string("id:\xFF", 4));
  row.path = std::string("/ingress/personio/\xC0\xAF", 20);
  row.headers = std::string("[[\"x-note\",\"\0\"]]", 16);
  auto dup = inbox::insert_received(c(), row);
  ASSERT_TRUE(dup.ok()) << dup.error().message;
  EXPECT_FALSE(*dup);
  auto again = inbox::insert_received(c(), received("in_2", 2000, "personio:a", std::string("id:\xFF", 4)));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(*again);  // still de-duplicated by the same key
  auto got = inbox::get(c(), "in_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  if (postgres()) {
    EXPECT_EQ((*got)->path, "/ingress/personio/\uFFFD\uFFFD");
    EXPECT_EQ((*got)->dedupe_key, "id:\uFFFD");
    EXPECT_EQ((*got)->headers, "[[\"x-note\",\"\uFFFD\"]]");
  } else {
    EXPECT_EQ((*got)->path, row.path);
    EXPECT_EQ((*got)->headers, row.headers);
  }
}

class InboxListTest : public MigratedDbTest {
 protected:
  void SetUp() override {
    MigratedDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // seq order == insertion order; received_at 1000, 2000, ... 6000.
    add("in_1", 1000, "personio:a", "received");
    add("in_2", 2000, "personio:b", "accepted");
    add("in_3", 3000, "personio:a", "accepted");
    add("in_4", 4000, "personio:a", "rejected");
    add("in_5", 5000, "personio:b", "received");
    add("in_6", 6000, "personio:a", "accepted");
  }

  void add(const std::string& id, Millis at, const std::string& integration_id, const std::string& outcome) {
    auto row = received(id, at, integration_id);
    row.outcome = parse_state<InboxOutcome>(outcome).value();
    ASSERT_TRUE(inbox::insert(c(), row).ok());
  }

  std::vector<std::string> ids(const InboxFilter& f) {
    auto rows = inbox::list(c(), f);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const auto& r : *rows) {
      EXPECT_TRUE(r.body.empty()) << "list() must not carry bodies: " << r.id;
      EXPECT_GT(r.body_size, 0);  // but the size is there
      out.push_back(r.id);
    }
    return out;
  }

  std::int64_t seq_of(const std::string& id) {
    auto got = inbox::get(c(), id);
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? (*got)->seq : -1;
  }
};

TEST_P(InboxListTest, NewestFirstWithoutBodies) {
  EXPECT_THAT(ids({}), ElementsAre("in_6", "in_5", "in_4", "in_3", "in_2", "in_1"));
}

TEST_P(InboxListTest, FiltersByIntegrationOutcomeAndTool) {
  InboxFilter f;
  f.integration_id = "personio:a";
  EXPECT_THAT(ids(f), ElementsAre("in_6", "in_4", "in_3", "in_1"));
  f.outcome = store::InboxOutcome::kAccepted;
  EXPECT_THAT(ids(f), ElementsAre("in_6", "in_3"));
  InboxFilter by_outcome;
  by_outcome.outcome = store::InboxOutcome::kReceived;
  EXPECT_THAT(ids(by_outcome), ElementsAre("in_5", "in_1"));
  InboxFilter by_tool;
  by_tool.tool = "greenhouse";
  EXPECT_TRUE(ids(by_tool).empty());
  by_tool.tool = "personio";
  EXPECT_EQ(ids(by_tool).size(), 6u);
}

// "failed" selects the requests whose downstream deliveries failed (the inbox row itself stays "accepted"),
// and every listed row says how many of its deliveries failed.
TEST_P(InboxListTest, FailedListsTheRequestsWhoseDeliveriesFailed) {
  EndpointRow ep;
  ep.id = "ep_1";
  ep.url = "http://127.0.0.1:9/hook";
  ep.secret = "sealed";
  ep.created_at = ep.updated_at = 1;
  ASSERT_TRUE(endpoints::insert(c(), ep).ok());
  auto event_with_delivery = [&](const std::string& event_id, const std::string& inbox_id,
                                 const std::string& status) {
    EventRow event;
    event.id = event_id;
    event.type = "remote-event-received";
    event.inbox_id = inbox_id;
    event.payload = "{}";
    event.created_at = 7000;
    ASSERT_TRUE(events::insert(c(), event).ok());
    ASSERT_TRUE(deliveries::insert(c(), event_id, "ep_1", 7000).ok());
    auto rows = deliveries::for_event(c(), event_id);
    ASSERT_TRUE(rows.ok() && rows->size() == 1);
    DeliveryRow d = rows->front();
    d.status = parse_state<DeliveryStatus>(status).value();
    ASSERT_TRUE(deliveries::record_result(c(), d).ok());
  };
  event_with_delivery("evt_3", "in_3", "failed");
  event_with_delivery("evt_6", "in_6", "succeeded");

  InboxFilter failed;
  failed.with_failed_deliveries = true;
  EXPECT_THAT(ids(failed), ElementsAre("in_3"));
  auto rows = inbox::list(c(), InboxFilter{});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  for (const auto& r : *rows) {
    ASSERT_TRUE(r.failed_deliveries.has_value()) << r.id;
    EXPECT_EQ(*r.failed_deliveries, r.id == "in_3" ? 1 : 0) << r.id;
    if (r.id == "in_3") {
      EXPECT_EQ(r.outcome, store::InboxOutcome::kAccepted);
    }
  }
}

TEST_P(InboxListTest, SinceIsInclusiveUntilIsExclusive) {
  InboxFilter f;
  f.since = 2000;
  f.until = 5000;
  EXPECT_THAT(ids(f), ElementsAre("in_4", "in_3", "in_2"));
  f.integration_id = "personio:b";
  EXPECT_THAT(ids(f), ElementsAre("in_2"));
}

TEST_P(InboxListTest, CursorPagesThroughWithLimit) {
  InboxFilter f;
  f.limit = 2;
  std::vector<std::string> all;
  for (int page = 0; page < 10; ++page) {  // bounded
    auto rows = inbox::list(c(), f);
    ASSERT_TRUE(rows.ok());
    if (rows->empty()) break;
    EXPECT_LE(rows->size(), 2u);
    for (const auto& r : *rows)
      all.push_back(r.id);
    f.before_seq = rows->back().seq;
  }
  EXPECT_THAT(all, ElementsAre("in_6", "in_5", "in_4", "in_3", "in_2", "in_1"));

  InboxFilter g;
  g.before_seq = seq_of("in_4");
  g.integration_id = "personio:a";
  EXPECT_THAT(ids(g), ElementsAre("in_3", "in_1"));
}

// ---------------------------------------------------------------------------------------------------------------
// Pool

class PoolTest : public MigratedDbTest {};

TEST_P(PoolTest, ReusesReturnedConnections) {
  Pool pool(*db_);
  Connection* first = nullptr;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    first = &**lease;
    // Two leases at once are two different connections.
    auto second = pool.acquire();
    ASSERT_TRUE(second.ok());
    EXPECT_NE(&**second, first);
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again.ok());
  auto other = pool.acquire();
  ASSERT_TRUE(other.ok());
  // Both returned connections are reused (no third connection was opened).
  EXPECT_TRUE(&**again == first || &**other == first);
}

TEST_P(PoolTest, MovedLeaseReturnsItsConnectionOnce) {
  Pool pool(*db_);
  Connection* conn = nullptr;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    conn = &**lease;
    Pool::Lease moved(std::move(*lease));
    EXPECT_EQ(&*moved, conn);
  }
  auto a = pool.acquire();
  auto b = pool.acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(&**a, conn);
  EXPECT_NE(&**b, conn);  // returned once, not twice
}

TEST_P(PoolTest, ReadersSeeCommittedWrites) {
  Pool pool(*db_);
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(api_keys::insert(c(), {"key_1", "n", "h", 1, std::nullopt}).ok());
  auto found = api_keys::find_active(**lease, "h");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(found->has_value());
}

// ---------------------------------------------------------------------------------------------------------------
// Value helpers

TEST(ValueUtilTest, StringArraysRoundTrip) {
  EXPECT_EQ(json_string_array({}), "[]");
  std::vector<std::string> items = {"a", "with \"quote\"", "ünï", ""};
  EXPECT_EQ(parse_string_array(json_string_array(items)), items);
}

TEST(ValueUtilTest, ParseIgnoresWhatIsNotAStringArray) {
  EXPECT_TRUE(parse_string_array("").empty());
  EXPECT_TRUE(parse_string_array("not json").empty());
  EXPECT_TRUE(parse_string_array(R"({"a":1})").empty());
  EXPECT_THAT(parse_string_array(R"(["a", 1, null, "b"])"), ElementsAre("a", "b"));
}

TEST(ValueUtilTest, ValidUtf8WithoutNul) {
  EXPECT_EQ(valid_utf8_without_nul(""), "");
  const std::string good = "ascii, é, €, 𝄞";
  EXPECT_EQ(valid_utf8_without_nul(good), good);
  EXPECT_EQ(valid_utf8_without_nul(std::string("a\0b", 3)), "a\uFFFDb");
  EXPECT_EQ(valid_utf8_without_nul("\x80"), "\uFFFD");                      // lone continuation byte
  EXPECT_EQ(valid_utf8_without_nul("\xC3"), "\uFFFD");                      // truncated at the end
  EXPECT_EQ(valid_utf8_without_nul("\xC3("), "\uFFFD(");                    // truncated in the middle
  EXPECT_EQ(valid_utf8_without_nul("\xC0\xAF"), "\uFFFD\uFFFD");            // overlong '/'
  EXPECT_EQ(valid_utf8_without_nul("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(valid_utf8_without_nul("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // beyond U+10FFFF
  EXPECT_EQ(valid_utf8_without_nul("\xFF"), "\uFFFD");
}

TEST(ValueUtilTest, OptionalConversions) {
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(opt_text(std::nullopt)));
  EXPECT_EQ(std::get<std::string>(opt_text(std::string("x"))), "x");
  EXPECT_EQ(std::get<Blob>(opt_blob(std::string("b"))).bytes, "b");
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(opt_int(std::nullopt)));
  EXPECT_EQ(std::get<std::int64_t>(opt_int(std::int64_t{5})), 5);
  Row r{{nullptr, std::int64_t{3}, std::string("t")}};
  EXPECT_FALSE(col_opt_text(r, 0));
  EXPECT_FALSE(col_opt_int(r, 0));
  EXPECT_EQ(col_opt_int(r, 1), 3);
  EXPECT_EQ(col_opt_text(r, 2), "t");
}

// ---------------------------------------------------------------------------------------------------------------
// Every case on SQLite and on PostgreSQL.

INSTANTIATE_TEST_SUITE_P(Backends, SchemaTest, testing_db::kBackends, testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, IntegrationsRepoTest, testing_db::kBackends,
                         testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, ApiKeysRepoTest, testing_db::kBackends, testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, InboxRepoTest, testing_db::kBackends, testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, InboxListTest, testing_db::kBackends, testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, PoolTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
