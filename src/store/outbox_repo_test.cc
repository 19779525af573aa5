// Tests for the outbox repositories (endpoints, events, deliveries, attempts) on real SQLite and PostgreSQL.
#include "store/outbox_repo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using testing_db::MigratedDbTest;

EndpointRow endpoint(const std::string& id, Millis created_at = 1000) {
  EndpointRow row;
  row.id = id;
  row.url = "http://127.0.0.1:9/" + id;
  row.description = "receiver " + id;
  row.secret = std::string("sealed\0secret", 13);
  row.created_at = created_at;
  row.updated_at = created_at;
  return row;
}

class OutboxTest : public MigratedDbTest {
 protected:
  void add_endpoint(const std::string& id, Millis created_at = 1000) {
    ASSERT_TRUE(endpoints::insert(c(), endpoint(id, created_at)).ok());
  }

  void add_event(const std::string& id, Millis created_at, const std::string& type = "remote-event-received",
                 const std::optional<std::string>& integration_id = "personio:a",
                 const std::optional<std::string>& inbox_id = std::nullopt) {
    EventRow row;
    row.id = id;
    row.type = type;
    row.integration_id = integration_id;
    row.inbox_id = inbox_id;
    row.payload = R"({"id":")" + id + R"(","type":")" + type + R"("})";
    row.created_at = created_at;
    auto s = events::insert(c(), row);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  void add_delivery(const std::string& event_id, const std::string& endpoint_id, Millis now) {
    auto s = deliveries::insert(c(), event_id, endpoint_id, now);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  DeliveryRow delivery(const std::string& event_id, const std::string& endpoint_id) {
    auto rows = deliveries::for_event(c(), event_id);
    EXPECT_TRUE(rows.ok());
    if (rows.ok()) {
      for (const auto& r : *rows)
        if (r.endpoint_id == endpoint_id) return r;
    }
    ADD_FAILURE() << "no delivery of " << event_id << " to " << endpoint_id;
    return {};
  }

  // Sets a delivery's state directly, for the states the dispatcher would have produced.
  void set_status(const std::string& event_id, const std::string& endpoint_id, const std::string& status,
                  std::optional<Millis> next_attempt_at = std::nullopt, int retries = 0) {
    auto row = delivery(event_id, endpoint_id);
    row.status = parse_state<DeliveryStatus>(status).value();
    row.next_attempt_at = next_attempt_at;
    row.retries = retries;
    row.attempts = retries + 1;
    ASSERT_TRUE(deliveries::record_result(c(), row).ok());
  }

  static std::vector<std::string> event_ids(const std::vector<DeliveryRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows)
      out.push_back(r.event_id);
    return out;
  }

  std::optional<Millis> next_due() {
    auto next = deliveries::next_due_at(c());
    EXPECT_TRUE(next.ok()) << next.error().message;
    return next.ok() ? *next : std::nullopt;
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Endpoints

TEST_P(OutboxTest, EndpointsRoundTrip) {
  auto row = endpoint("ep_1");
  row.event_types = {"remote-event-received", "sync-finished"};
  ASSERT_TRUE(endpoints::insert(c(), row).ok());
  add_endpoint("ep_2", 2000);

  auto got = endpoints::get(c(), "ep_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->url, row.url);
  EXPECT_EQ((*got)->description, row.description);
  EXPECT_THAT((*got)->event_types, ElementsAre("remote-event-received", "sync-finished"));
  EXPECT_TRUE((*got)->enabled);
  EXPECT_EQ((*got)->secret, row.secret);  // binary-safe
  EXPECT_FALSE((*got)->previous_secret);
  EXPECT_TRUE((*got)->wants("sync-finished"));
  EXPECT_FALSE((*got)->wants("data-changed"));

  row.previous_secret = row.secret;
  row.previous_secret_until = 5000;
  row.secret = "new";
  row.event_types = {};
  row.url = "http://127.0.0.1:10/x";
  row.updated_at = 4000;
  ASSERT_TRUE(endpoints::update(c(), row).ok());
  got = endpoints::get(c(), "ep_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->secret, "new");
  EXPECT_EQ((*got)->previous_secret, std::string("sealed\0secret", 13));
  EXPECT_EQ((*got)->previous_secret_until, 5000);
  EXPECT_EQ((*got)->url, "http://127.0.0.1:10/x");
  EXPECT_TRUE((*got)->event_types.empty());
  EXPECT_TRUE((*got)->wants("data-changed"));  // no filter: every type
  EXPECT_EQ((*got)->updated_at, 4000);
  EXPECT_EQ((*got)->created_at, 1000);

  auto all = endpoints::list(c());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, "ep_1");
  EXPECT_EQ(all->at(1).id, "ep_2");

  auto missing = endpoints::get(c(), "ep_x");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(OutboxTest, RemoveDropsUnsentDeliveriesButKeepsHistory) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_event("ev_1", 100);
  add_event("ev_2", 100);
  add_event("ev_3", 100);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  add_delivery("ev_3", "ep_1", 100);
  add_delivery("ev_1", "ep_2", 100);
  set_status("ev_2", "ep_1", "succeeded");
  set_status("ev_3", "ep_1", "sending", 100);

  ASSERT_TRUE(endpoints::remove(c(), "ep_1").ok());
  auto gone = endpoints::get(c(), "ep_1");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM deliveries WHERE endpoint_id = 'ep_1'"), 1);  // the succeeded one
  EXPECT_EQ(delivery("ev_2", "ep_1").status, store::DeliveryStatus::kSucceeded);
  EXPECT_EQ(delivery("ev_1", "ep_2").status, store::DeliveryStatus::kPending);  // other endpoints untouched
}

TEST_P(OutboxTest, DisableFailsUnsentDeliveriesOfThatEndpointOnly) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  for (const char* ev : {"ev_1", "ev_2", "ev_3"})
    add_event(ev, 100);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  add_delivery("ev_3", "ep_1", 100);
  add_delivery("ev_1", "ep_2", 100);
  set_status("ev_2", "ep_1", "succeeded");
  set_status("ev_3", "ep_1", "sending", 100);

  ASSERT_TRUE(endpoints::disable(c(), "ep_1", "410 Gone", 5000).ok());

  auto ep = endpoints::get(c(), "ep_1");
  ASSERT_TRUE(ep.ok() && ep->has_value());
  EXPECT_FALSE((*ep)->enabled);
  EXPECT_EQ((*ep)->disabled_reason, "410 Gone");
  EXPECT_EQ((*ep)->updated_at, 5000);

  auto pending = delivery("ev_1", "ep_1");
  EXPECT_EQ(pending.status, store::DeliveryStatus::kFailed);
  EXPECT_THAT(pending.last_error.value_or(""), HasSubstr("410 Gone"));
  EXPECT_FALSE(pending.next_attempt_at);
  EXPECT_EQ(pending.updated_at, 5000);
  auto sending = delivery("ev_3", "ep_1");
  EXPECT_EQ(sending.status, store::DeliveryStatus::kFailed);
  EXPECT_FALSE(sending.lease_until);
  EXPECT_EQ(delivery("ev_2", "ep_1").status, store::DeliveryStatus::kSucceeded);
  EXPECT_EQ(delivery("ev_1", "ep_2").status, store::DeliveryStatus::kPending);
  EXPECT_EQ(next_due(), 100);  // only ep_2's delivery is left due
}

// ---------------------------------------------------------------------------------------------------------------
// Events

TEST_P(OutboxTest, EventsRoundTripAndListNewestFirst) {
  add_event("ev_1", 100, "remote-event-received", "personio:a", "in_1");
  add_event("ev_2", 200, "data-changed", "personio:b", "in_1");
  add_event("ev_3", 300, "remote-event-received", "personio:a", "in_2");
  add_event("ev_4", 400, "sync-finished", std::nullopt);

  auto got = events::get(c(), "ev_2");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->type, "data-changed");
  EXPECT_EQ((*got)->integration_id, "personio:b");
  EXPECT_EQ((*got)->inbox_id, "in_1");
  EXPECT_EQ((*got)->payload, R"({"id":"ev_2","type":"data-changed"})");
  EXPECT_EQ((*got)->created_at, 200);

  auto ids = [&](const EventFilter& f) {
    std::vector<std::string> out;
    auto rows = events::list(c(), f);
    EXPECT_TRUE(rows.ok());
    if (rows.ok())
      for (const auto& r : *rows)
        out.push_back(r.id);
    return out;
  };
  EXPECT_THAT(ids({}), ElementsAre("ev_4", "ev_3", "ev_2", "ev_1"));
  EventFilter by_integration;
  by_integration.integration_id = "personio:a";
  EXPECT_THAT(ids(by_integration), ElementsAre("ev_3", "ev_1"));
  EventFilter by_type;
  by_type.type = "remote-event-received";
  EXPECT_THAT(ids(by_type), ElementsAre("ev_3", "ev_1"));
  EventFilter page;
  page.limit = 2;
  EXPECT_THAT(ids(page), ElementsAre("ev_4", "ev_3"));
  page.before_seq = (*events::get(c(), "ev_3"))->seq;
  EXPECT_THAT(ids(page), ElementsAre("ev_2", "ev_1"));

  auto for_inbox = events::for_inbox(c(), "in_1");
  ASSERT_TRUE(for_inbox.ok());
  ASSERT_EQ(for_inbox->size(), 2u);
  EXPECT_EQ(for_inbox->at(0).id, "ev_1");
  EXPECT_EQ(for_inbox->at(1).id, "ev_2");
}

// ---------------------------------------------------------------------------------------------------------------
// Deliveries

TEST_P(OutboxTest, InsertIgnoresASecondDeliveryOfTheSamePair) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_event("ev_1", 100);
  add_delivery("ev_1", "ep_1", 100);
  set_status("ev_1", "ep_1", "succeeded");
  add_delivery("ev_1", "ep_1", 200);  // a retried processing step: no second delivery, no reset
  add_delivery("ev_1", "ep_2", 200);
  auto rows = deliveries::for_event(c(), "ev_1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).endpoint_id, "ep_1");
  EXPECT_EQ(rows->at(0).status, store::DeliveryStatus::kSucceeded);
  EXPECT_EQ(rows->at(1).endpoint_id, "ep_2");
  EXPECT_EQ(rows->at(1).status, store::DeliveryStatus::kPending);
  EXPECT_EQ(rows->at(1).next_attempt_at, 200);
  EXPECT_EQ(rows->at(1).attempts, 0);
  EXPECT_EQ(rows->at(1).created_at, 200);
}

TEST_P(OutboxTest, DeliveryNeedsAnExistingEvent) {
  add_endpoint("ep_1");
  EXPECT_FALSE(deliveries::insert(c(), "ev_missing", "ep_1", 100).ok());
}

TEST_P(OutboxTest, ClaimDueTakesDueRowsOfOneEndpointInDueOrder) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  // Inserted in a different order from their due times.
  add_event("ev_a", 10);
  add_event("ev_b", 10);
  add_event("ev_c", 10);
  add_event("ev_d", 10);
  add_event("ev_e", 10);
  add_delivery("ev_a", "ep_1", 300);
  add_delivery("ev_b", "ep_1", 100);
  add_delivery("ev_c", "ep_1", 200);
  add_delivery("ev_d", "ep_1", 5000);  // not due yet
  add_delivery("ev_e", "ep_2", 50);    // another endpoint

  auto claimed = deliveries::claim_due(c(), "ep_1", 1000, 31000, 2);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_b", "ev_c"));  // limit and order by next_attempt_at
  for (const auto& r : *claimed) {
    EXPECT_EQ(r.status, store::DeliveryStatus::kSending);
    EXPECT_EQ(r.lease_until, 31000);
    EXPECT_EQ(r.updated_at, 1000);
    EXPECT_EQ(r.endpoint_id, "ep_1");
  }
  EXPECT_EQ(delivery("ev_b", "ep_1").status, store::DeliveryStatus::kSending);  // stored, not just returned

  // The rest: ev_a is due, ev_d is not, the claimed ones have live leases.
  claimed = deliveries::claim_due(c(), "ep_1", 1000, 31000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_a"));
  claimed = deliveries::claim_due(c(), "ep_1", 2000, 32000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
  EXPECT_EQ(delivery("ev_e", "ep_2").status, store::DeliveryStatus::kPending);

  // ev_d becomes due exactly at its next_attempt_at.
  claimed = deliveries::claim_due(c(), "ep_1", 5000, 35000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_d"));
}

TEST_P(OutboxTest, ClaimDueReturnsRowsInDueOrderNotInsertionOrder) {
  // The dispatcher sends in the order returned; the oldest-due delivery goes first even when it was inserted
  // last.
  add_endpoint("ep_1");
  const std::vector<std::pair<std::string, Millis>> due = {
      {"ev_1", 400}, {"ev_2", 100}, {"ev_3", 300}, {"ev_4", 100}, {"ev_5", 200}};
  for (const auto& [ev, at] : due) {
    add_event(ev, 10);
    add_delivery(ev, "ep_1", at);
  }
  auto claimed = deliveries::claim_due(c(), "ep_1", 1000, 2000, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  // Ties on next_attempt_at go by seq (insertion order).
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_2", "ev_4", "ev_5", "ev_3", "ev_1"));
}

TEST_P(OutboxTest, ClaimDueTakesOverExpiredLeasesOnly) {
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  auto first = deliveries::claim_due(c(), "ep_1", 100, 1000, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(event_ids(*first), ElementsAre("ev_1"));
  auto second = deliveries::claim_due(c(), "ep_1", 500, 1500, 10);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(event_ids(*second), ElementsAre("ev_2"));

  // Live leases: nothing to claim.
  auto none = deliveries::claim_due(c(), "ep_1", 999, 2000, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  // ev_1's lease expired (a crashed node's claim); ev_2's is still live.
  auto taken = deliveries::claim_due(c(), "ep_1", 1000, 61000, 10);
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  ASSERT_THAT(event_ids(*taken), ElementsAre("ev_1"));
  EXPECT_EQ(taken->front().lease_until, 61000);
  EXPECT_EQ(taken->front().status, store::DeliveryStatus::kSending);

  auto both = deliveries::claim_due(c(), "ep_1", 61000, 62000, 10);
  ASSERT_TRUE(both.ok());
  EXPECT_THAT(event_ids(*both), ElementsAre("ev_1", "ev_2"));
}

TEST_P(OutboxTest, ClaimDueSkipsFinishedDeliveries) {
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  set_status("ev_1", "ep_1", "succeeded", 100);
  set_status("ev_2", "ep_1", "failed", 100);
  auto claimed = deliveries::claim_due(c(), "ep_1", 10'000, 20'000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
}

TEST_P(OutboxTest, NextDueAtIsTheEarliestPendingTimeOrLeaseExpiry) {
  EXPECT_FALSE(next_due());
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_event("ev_3", 10);
  add_delivery("ev_1", "ep_1", 500);
  add_delivery("ev_2", "ep_2", 300);
  EXPECT_EQ(next_due(), 300);

  auto claimed = deliveries::claim_due(c(), "ep_2", 300, 400, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(next_due(), 400);  // the lease expiry comes before ep_1's 500

  add_delivery("ev_3", "ep_1", 200);
  set_status("ev_3", "ep_1", "failed", 50);  // finished rows never count, whatever their next_attempt_at
  EXPECT_EQ(next_due(), 400);

  auto ended = claimed->front();
  ended.status = store::DeliveryStatus::kSucceeded;
  ended.attempts = 1;
  ended.next_attempt_at.reset();
  ended.updated_at = 350;
  ASSERT_TRUE(deliveries::record_result(c(), ended).ok());
  EXPECT_EQ(next_due(), 500);

  auto due = deliveries::endpoints_with_due(c(), 499);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  due = deliveries::endpoints_with_due(c(), 500);
  ASSERT_TRUE(due.ok());
  EXPECT_THAT(*due, ElementsAre("ep_1"));
}

TEST_P(OutboxTest, LeaseExpiryAndClaimAgree) {
  // When next_due_at says a lease expires at T, a claim at T takes the delivery over (otherwise a dispatcher
  // woken at T finds nothing to claim and spins until T+1).
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_delivery("ev_1", "ep_1", 100);
  ASSERT_TRUE(deliveries::claim_due(c(), "ep_1", 100, 700, 10).ok());
  auto next = next_due();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 700);
  auto claimed = deliveries::claim_due(c(), "ep_1", *next, *next + 1000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_1"));
  auto due = deliveries::endpoints_with_due(c(), 1700);
  ASSERT_TRUE(due.ok());
  EXPECT_THAT(*due, ElementsAre("ep_1"));
}

TEST_P(OutboxTest, NextDueAtIgnoresDeliveriesThatCannotBeSent) {
  // Pending deliveries of a disabled endpoint (disabled with PATCH enabled=false, or recovered while
  // disabled) or of a deleted one are never claimed: counting them would make the dispatcher's wait zero
  // forever.
  add_endpoint("ep_on");
  add_endpoint("ep_off");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_event("ev_3", 10);
  add_delivery("ev_1", "ep_off", 100);
  add_delivery("ev_2", "ep_gone", 50);  // endpoint row missing
  add_delivery("ev_3", "ep_on", 900);
  auto off = endpoint("ep_off");
  off.enabled = false;
  ASSERT_TRUE(endpoints::update(c(), off).ok());

  EXPECT_EQ(next_due(), 900);
  auto due = deliveries::endpoints_with_due(c(), 1000);
  ASSERT_TRUE(due.ok());
  EXPECT_THAT(*due, ElementsAre("ep_on"));

  // Enabling the endpoint makes its delivery count again.
  off.enabled = true;
  ASSERT_TRUE(endpoints::update(c(), off).ok());
  EXPECT_EQ(next_due(), 100);
}

TEST_P(OutboxTest, RecordResultStoresTheOutcomeAndReleasesTheLease) {
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_delivery("ev_1", "ep_1", 100);
  auto claimed = deliveries::claim_due(c(), "ep_1", 100, 30100, 1);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  auto row = claimed->front();
  row.status = store::DeliveryStatus::kPending;
  row.attempts = 1;
  row.retries = 1;
  row.next_attempt_at = 2100;
  row.last_status = 503;
  row.last_error = "HTTP 503";
  row.updated_at = 150;
  ASSERT_TRUE(deliveries::record_result(c(), row).ok());
  auto got = delivery("ev_1", "ep_1");
  EXPECT_EQ(got.status, store::DeliveryStatus::kPending);
  EXPECT_EQ(got.attempts, 1);
  EXPECT_EQ(got.retries, 1);
  EXPECT_EQ(got.next_attempt_at, 2100);
  EXPECT_FALSE(got.lease_until);
  EXPECT_EQ(got.last_status, 503);
  EXPECT_EQ(got.last_error, "HTTP 503");
  EXPECT_EQ(got.updated_at, 150);
  EXPECT_EQ(got.created_at, 100);

  row.status = store::DeliveryStatus::kFailed;
  row.last_status.reset();
  row.last_error = "connection refused";
  row.next_attempt_at.reset();
  ASSERT_TRUE(deliveries::record_result(c(), row).ok());
  got = delivery("ev_1", "ep_1");
  EXPECT_EQ(got.status, store::DeliveryStatus::kFailed);
  EXPECT_FALSE(got.last_status);
  EXPECT_FALSE(got.next_attempt_at);
}

TEST_P(OutboxTest, RedeliverEventStartsANewRound) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_endpoint("ep_3");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_1", "ep_2", 100);
  add_delivery("ev_1", "ep_3", 100);
  add_delivery("ev_2", "ep_1", 100);
  set_status("ev_1", "ep_1", "failed", std::nullopt, 8);
  set_status("ev_1", "ep_2", "succeeded", std::nullopt, 2);
  set_status("ev_1", "ep_3", "sending", 100, 1);  // in flight: left alone
  set_status("ev_2", "ep_1", "failed", std::nullopt, 8);

  auto n = deliveries::redeliver_event(c(), "ev_1", 7000);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
  for (const char* ep : {"ep_1", "ep_2"}) {
    auto d = delivery("ev_1", ep);
    EXPECT_EQ(d.status, store::DeliveryStatus::kPending) << ep;
    EXPECT_EQ(d.retries, 0) << ep;
    EXPECT_EQ(d.next_attempt_at, 7000) << ep;
    EXPECT_FALSE(d.lease_until) << ep;
    EXPECT_EQ(d.updated_at, 7000) << ep;
  }
  EXPECT_EQ(delivery("ev_1", "ep_1").attempts, 9);  // attempt history is kept across rounds
  EXPECT_EQ(delivery("ev_1", "ep_3").status, store::DeliveryStatus::kSending);
  EXPECT_EQ(delivery("ev_2", "ep_1").status, store::DeliveryStatus::kFailed);  // other events untouched

  auto claimed = deliveries::claim_due(c(), "ep_1", 7000, 9000, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_THAT(event_ids(*claimed), ElementsAre("ev_1"));
}

TEST_P(OutboxTest, RedeliverEventSkipsDeletedEndpoints) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_event("ev_1", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_1", "ep_2", 100);
  set_status("ev_1", "ep_1", "failed");
  set_status("ev_1", "ep_2", "failed");
  ASSERT_TRUE(endpoints::remove(c(), "ep_2").ok());  // keeps the finished delivery as history

  auto n = deliveries::redeliver_event(c(), "ev_1", 7000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(delivery("ev_1", "ep_1").status, store::DeliveryStatus::kPending);
  EXPECT_EQ(delivery("ev_1", "ep_2").status, store::DeliveryStatus::kFailed);
  EXPECT_EQ(next_due(), 7000);
}

TEST_P(OutboxTest, RecoverTouchesOnlyFailedDeliveriesOfTheEndpointInTheWindow) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_event("ev_before", 999);
  add_event("ev_since", 1000);
  add_event("ev_inside", 1500);
  add_event("ev_until", 2000);
  add_event("ev_ok", 1500);
  for (const char* ev : {"ev_before", "ev_since", "ev_inside", "ev_until", "ev_ok"}) {
    add_delivery(ev, "ep_1", 3000);
    add_delivery(ev, "ep_2", 3000);
    set_status(ev, "ep_1", "failed", std::nullopt, 8);
    set_status(ev, "ep_2", "failed", std::nullopt, 8);
  }
  set_status("ev_ok", "ep_1", "succeeded");

  auto n = deliveries::recover(c(), "ep_1", 1000, 2000, 9000);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
  for (const char* ev : {"ev_since", "ev_inside"}) {
    auto d = delivery(ev, "ep_1");
    EXPECT_EQ(d.status, store::DeliveryStatus::kPending) << ev;
    EXPECT_EQ(d.retries, 0) << ev;
    EXPECT_EQ(d.next_attempt_at, 9000) << ev;
  }
  EXPECT_EQ(delivery("ev_before", "ep_1").status, store::DeliveryStatus::kFailed);  // before since
  EXPECT_EQ(delivery("ev_until", "ep_1").status, store::DeliveryStatus::kFailed);   // until is exclusive
  EXPECT_EQ(delivery("ev_ok", "ep_1").status, store::DeliveryStatus::kSucceeded);   // not failed
  for (const char* ev : {"ev_before", "ev_since", "ev_inside", "ev_until", "ev_ok"}) {
    EXPECT_EQ(delivery(ev, "ep_2").status, store::DeliveryStatus::kFailed) << ev;  // another endpoint
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Attempts

TEST_P(OutboxTest, AttemptsAreListedPerEventInOrder) {
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  auto d = delivery("ev_1", "ep_1");
  AttemptRow a;
  a.delivery_seq = d.seq;
  a.event_id = "ev_1";
  a.endpoint_id = "ep_1";
  a.attempted_at = 100;
  a.status_code = 500;
  a.latency_ms = 12.5;
  a.response_excerpt = "oops";
  a.next_retry_at = 600;
  ASSERT_TRUE(attempts::insert(c(), a).ok());
  AttemptRow b = a;
  b.attempted_at = 600;
  b.status_code.reset();
  b.error = "timeout";
  b.next_retry_at.reset();
  b.response_excerpt = "";
  ASSERT_TRUE(attempts::insert(c(), b).ok());
  AttemptRow other = a;
  other.delivery_seq = delivery("ev_2", "ep_1").seq;
  other.event_id = "ev_2";
  ASSERT_TRUE(attempts::insert(c(), other).ok());

  auto rows = attempts::for_event(c(), "ev_1");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).attempted_at, 100);
  EXPECT_EQ(rows->at(0).status_code, 500);
  EXPECT_DOUBLE_EQ(rows->at(0).latency_ms, 12.5);
  EXPECT_EQ(rows->at(0).response_excerpt, "oops");
  EXPECT_EQ(rows->at(0).next_retry_at, 600);
  EXPECT_FALSE(rows->at(0).error);
  EXPECT_EQ(rows->at(1).attempted_at, 600);
  EXPECT_FALSE(rows->at(1).status_code);
  EXPECT_EQ(rows->at(1).error, "timeout");
  EXPECT_FALSE(rows->at(1).next_retry_at);
  EXPECT_EQ(rows->at(1).delivery_seq, d.seq);
}

TEST_P(OutboxTest, AnyResponseExcerptCanBeRecorded) {
  // An excerpt cut at a byte limit in the middle of a character, or a binary body: recording the attempt
  // must not fail (on PostgreSQL, text must be UTF-8 without NUL), or the delivery could never be finished.
  add_endpoint("ep_1");
  add_event("ev_1", 10);
  add_delivery("ev_1", "ep_1", 100);
  AttemptRow a;
  a.delivery_seq = delivery("ev_1", "ep_1").seq;
  a.event_id = "ev_1";
  a.endpoint_id = "ep_1";
  a.attempted_at = 100;
  a.status_code = 500;
  a.response_excerpt = std::string("caf\xC3", 4) + std::string("\0\xFF", 2);
  a.error = std::string("bad \xE2\x82", 6);
  auto s = attempts::insert(c(), a);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto d = delivery("ev_1", "ep_1");
  d.status = store::DeliveryStatus::kFailed;
  d.last_error = std::string("\x80", 1);
  ASSERT_TRUE(deliveries::record_result(c(), d).ok());

  auto rows = attempts::for_event(c(), "ev_1");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  if (postgres()) {
    EXPECT_EQ(rows->at(0).response_excerpt, "caf\uFFFD\uFFFD\uFFFD");
    EXPECT_EQ(rows->at(0).error, "bad \uFFFD\uFFFD");
    EXPECT_EQ(delivery("ev_1", "ep_1").last_error, "\uFFFD");
  } else {
    EXPECT_EQ(rows->at(0).response_excerpt, a.response_excerpt);  // SQLite keeps the bytes
    EXPECT_EQ(rows->at(0).error, a.error);
  }
}

TEST_P(OutboxTest, EndpointsWithDueListsEachEndpointOnce) {
  add_endpoint("ep_1");
  add_endpoint("ep_2");
  add_endpoint("ep_3");
  add_event("ev_1", 10);
  add_event("ev_2", 10);
  add_delivery("ev_1", "ep_1", 100);
  add_delivery("ev_2", "ep_1", 100);
  add_delivery("ev_1", "ep_2", 100);
  add_delivery("ev_1", "ep_3", 900);
  auto due = deliveries::endpoints_with_due(c(), 500);
  ASSERT_TRUE(due.ok());
  EXPECT_THAT(*due, UnorderedElementsAre("ep_1", "ep_2"));
}

// ---------------------------------------------------------------------------------------------------------------
// Every case on SQLite and on PostgreSQL.

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
