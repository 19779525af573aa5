// The downstream events: one builder per type, so every body of a type has the same keys and value types.
// The shapes follow the Kombo SDK's webhook schemas (@kombo-api/sdk 1.1.3, src/models/*webhookpayload.ts):
//   remote-event-received  {integration_id, integration_tool, integration_category, end_user, events[]}
//   data-changed           {integration_id, integration_tool, integration_category, changed_models[{name}]}
//   sync-finished          {sync_id, sync_state, sync_started_at, sync_ended_at, sync_duration_seconds (an
//                           integer), integration_id, integration_tool, integration_category, end_user,
//                           log_url}
//   integration-created    {id, tool, category, end_user}
//   integration-deleted    {id, tool, category, end_user, deleted_at}
//   integration-state-changed {integration_tool, integration_id, integration_category, end_user, qa_status,
//                           setup_status, state ("ACTIVE"|"INVALID"|"INACTIVE"), updated_at}
//   connection-flow-failed {integration_tool, integration_category, end_user, log_url}
//   endpoint-disabled      (ours, not Kombo's) {endpoint_id, endpoint_url, reason, failing_since,
//   disabled_at}:
//                           sent to the operator's other endpoints when one is disabled for lasting failures
// each inside {id, type, data}. Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "store/syncs_repo.h"

namespace tributary::delivery {

enum class EventType {
  kRemoteEventReceived,
  kDataChanged,
  kSyncFinished,
  kIntegrationCreated,
  kIntegrationDeleted,
  kIntegrationStateChanged,
  kConnectionFlowFailed,
  kEndpointDisabled
};
inline constexpr EventType kAllEventTypes[] = {
    EventType::kRemoteEventReceived,  EventType::kDataChanged,        EventType::kSyncFinished,
    EventType::kIntegrationCreated,   EventType::kIntegrationDeleted, EventType::kIntegrationStateChanged,
    EventType::kConnectionFlowFailed, EventType::kEndpointDisabled};
// "remote-event-received" | "data-changed" | "sync-finished" | "integration-created" | "integration-deleted"
// | "integration-state-changed" | "connection-flow-failed" | "endpoint-disabled"
std::string_view to_string(EventType t);
std::optional<EventType> parse_event_type(std::string_view text);

// What every event says about its integration.
struct EventSource {
  std::string integration_id;
  std::string tool;
  std::string category;  // "HRIS" | "ATS"
  static EventSource of(const store::IntegrationRow& integration);
};

// The integration's end user as the SDK reads it: {organization_name: string, creator_email: string|null,
// origin_id: string|null}. A stored value that is missing or unreadable gives "" and nulls, so a receiver
// validating with the SDK never rejects the event for it.
boost::json::object end_user_of(const store::IntegrationRow& integration);

// `events` are the unified events relayed ({model, action, remote_id, id}); `inbox_id` the request they came
// in.
store::EventRow remote_event_received(const store::IntegrationRow& integration, boost::json::array events,
                                      const std::string& inbox_id, Millis now);
// `models` are the unified model names whose records changed; `inbox_id` when a webhook's fetch changed them.
store::EventRow data_changed(const EventSource& source, const std::set<std::string>& models,
                             const std::optional<std::string>& inbox_id, Millis now);
// `public_url` is where this deployment's API is reached (log_url points at the sync there). Written at the
// sync's end; a duration under a second is 0.
store::EventRow sync_finished(const store::IntegrationRow& integration, const store::SyncRow& sync,
                              std::string_view public_url);
// The lifecycle events, each written in the transaction of the change it reports (publish()).
store::EventRow integration_created(const store::IntegrationRow& integration, Millis now);
store::EventRow integration_deleted(const store::IntegrationRow& integration, Millis now);
// `integration` as it is after the change (its state is store::integration_state()); `setup_completed`
// when its first sync has succeeded (setup_status COMPLETED, else FINAL_SYNC_PENDING).
store::EventRow integration_state_changed(const store::IntegrationRow& integration, bool setup_completed,
                                          Millis now);
// A connection flow that ended without an integration; `log_url` shows what happened.
store::EventRow connection_flow_failed(std::string_view tool, std::string_view category,
                                       const boost::json::object& end_user, std::string_view log_url,
                                       Millis now);

// Writes `event` with a delivery to every enabled endpoint subscribed to its type, and wakes the dispatchers;
// in the caller's transaction.
Status publish(store::Connection& c, const store::EventRow& event, Millis now);
// After a change of the integration's state in this transaction: reads the row as it is now and whether its
// first sync succeeded, and publishes integration-state-changed.
Status publish_state_change(store::Connection& c, const std::string& integration_id, Millis now);

// `endpoint` as it was disabled (failing_since and disabled_at set); its URL goes without its query string,
// where receivers' tokens tend to sit. Belongs to no integration.
store::EventRow endpoint_disabled(const store::EndpointRow& endpoint, Millis now);

}  // namespace tributary::delivery
