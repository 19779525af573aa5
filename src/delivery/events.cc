#include "delivery/events.h"

#include "connectors/common/api.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"

namespace tributary::delivery {
namespace {

namespace bj = boost::json;

store::EventRow envelope(EventType type, const std::optional<std::string>& integration_id, bj::object data,
                         Millis now) {
  store::EventRow event;
  event.id = new_id("evt");
  event.type = std::string(to_string(type));
  event.integration_id = integration_id;
  event.created_at = now;
  event.payload =
      json::serialize(bj::object{{"id", event.id}, {"type", event.type}, {"data", std::move(data)}});
  return event;
}

bj::object integration_fields(const EventSource& source) {
  return bj::object{{"integration_id", source.integration_id},
                    {"integration_tool", source.tool},
                    {"integration_category", source.category}};
}

}  // namespace

std::string_view to_string(EventType t) {
  switch (t) {
    case EventType::kRemoteEventReceived:
      return "remote-event-received";
    case EventType::kDataChanged:
      return "data-changed";
    case EventType::kSyncFinished:
      return "sync-finished";
    case EventType::kIntegrationCreated:
      return "integration-created";
    case EventType::kIntegrationDeleted:
      return "integration-deleted";
    case EventType::kIntegrationStateChanged:
      return "integration-state-changed";
    case EventType::kConnectionFlowFailed:
      return "connection-flow-failed";
    case EventType::kEndpointDisabled:
      return "endpoint-disabled";
  }
  return "unknown";
}

std::optional<EventType> parse_event_type(std::string_view text) {
  for (EventType t : kAllEventTypes)
    if (to_string(t) == text) return t;
  return std::nullopt;
}

EventSource EventSource::of(const store::IntegrationRow& integration) {
  return EventSource{integration.id, integration.tool, integration.category};
}

bj::object end_user_of(const store::IntegrationRow& integration) {
  bj::object out{{"organization_name", ""}, {"creator_email", nullptr}, {"origin_id", nullptr}};
  auto parsed = json::parse(integration.end_user);
  if (!parsed || !parsed->is_object()) return out;
  for (auto& [key, value] : out) {
    const bj::value* stored = parsed->get_object().if_contains(key);
    if (stored != nullptr && stored->is_string()) value = *stored;
  }
  return out;
}

store::EventRow remote_event_received(const store::IntegrationRow& integration, bj::array events,
                                      const std::string& inbox_id, Millis now) {
  bj::object data = integration_fields(EventSource::of(integration));
  data["end_user"] = end_user_of(integration);
  data["events"] = std::move(events);
  store::EventRow event = envelope(EventType::kRemoteEventReceived, integration.id, std::move(data), now);
  event.inbox_id = inbox_id;
  return event;
}

store::EventRow data_changed(const EventSource& source, const std::set<std::string>& models,
                             const std::optional<std::string>& inbox_id, Millis now) {
  bj::array changed;
  for (const auto& m : models)
    changed.push_back(bj::object{{"name", m}});
  bj::object data = integration_fields(source);
  data["changed_models"] = std::move(changed);
  store::EventRow event = envelope(EventType::kDataChanged, source.integration_id, std::move(data), now);
  event.inbox_id = inbox_id;
  return event;
}

store::EventRow sync_finished(const store::IntegrationRow& integration, const store::SyncRow& sync,
                              std::string_view public_url) {
  const Millis started = sync.started_at.value_or(sync.queued_at);
  const Millis ended = std::max(sync.ended_at.value_or(started), started);
  bj::object data{{"sync_id", sync.id},
                  {"sync_state", store::to_string(sync.state)},
                  {"sync_started_at", format_iso8601(started)},
                  {"sync_ended_at", format_iso8601(ended)},
                  {"sync_duration_seconds", static_cast<std::int64_t>((ended - started) / 1000)}};
  for (auto& [key, value] : integration_fields(EventSource::of(integration)))
    data[key] = value;
  data["end_user"] = end_user_of(integration);
  data["log_url"] = connectors::common::join_url(public_url, "v1/syncs/" + sync.id);
  return envelope(EventType::kSyncFinished, integration.id, std::move(data), ended);
}

store::EventRow integration_created(const store::IntegrationRow& integration, Millis now) {
  bj::object data{{"id", integration.id},
                  {"tool", integration.tool},
                  {"category", integration.category},
                  {"end_user", end_user_of(integration)}};
  return envelope(EventType::kIntegrationCreated, integration.id, std::move(data), now);
}

store::EventRow integration_deleted(const store::IntegrationRow& integration, Millis now) {
  bj::object data{{"id", integration.id},
                  {"tool", integration.tool},
                  {"category", integration.category},
                  {"end_user", end_user_of(integration)},
                  {"deleted_at", format_iso8601(integration.deleted_at.value_or(now))}};
  return envelope(EventType::kIntegrationDeleted, integration.id, std::move(data), now);
}

store::EventRow integration_state_changed(const store::IntegrationRow& integration, bool setup_completed,
                                          Millis now) {
  bj::object data = integration_fields(EventSource::of(integration));
  data["end_user"] = end_user_of(integration);
  // Kombo reviews each integration before it goes live; Tributary has no such review, so every integration
  // counts as reviewed.
  data["qa_status"] = "PASSED";
  data["setup_status"] = setup_completed ? "COMPLETED" : "FINAL_SYNC_PENDING";
  data["state"] = store::integration_state(integration);
  data["updated_at"] = format_iso8601(now);
  return envelope(EventType::kIntegrationStateChanged, integration.id, std::move(data), now);
}

store::EventRow connection_flow_failed(std::string_view tool, std::string_view category,
                                       const bj::object& end_user, std::string_view log_url, Millis now) {
  bj::object data{{"integration_tool", tool},
                  {"integration_category", category},
                  {"end_user", end_user},
                  {"log_url", log_url}};
  return envelope(EventType::kConnectionFlowFailed, std::nullopt, std::move(data), now);
}

Status publish(store::Connection& c, const store::EventRow& event, Millis now) {
  auto endpoints = store::endpoints::list(c);
  if (!endpoints) return endpoints.error();
  auto sent = store::events::insert_with_deliveries(c, event, *endpoints, now);
  if (!sent) return sent.error();
  if (*sent) return store::notify(c, store::kOutboxChannel);
  return {};
}

Status publish_state_change(store::Connection& c, const std::string& integration_id, Millis now) {
  auto row = store::integrations::get(c, integration_id);
  if (!row) return row.error();
  if (!*row) return {};
  auto first = store::syncs::first_succeeded_at(c, integration_id);
  if (!first) return first.error();
  return publish(c, integration_state_changed(**row, first->has_value(), now), now);
}

store::EventRow endpoint_disabled(const store::EndpointRow& endpoint, Millis now) {
  const std::string url = endpoint.url.substr(0, endpoint.url.find_first_of("?#"));
  const Millis failing_since = endpoint.failing_since.value_or(now);
  bj::object data{{"endpoint_id", endpoint.id},
                  {"endpoint_url", url},
                  {"reason", endpoint.disabled_reason.value_or("")},
                  {"failing_since", format_iso8601(failing_since)},
                  {"disabled_at", format_iso8601(endpoint.disabled_at.value_or(now))}};
  return envelope(EventType::kEndpointDisabled, std::nullopt, std::move(data), now);
}

}  // namespace tributary::delivery
