#include "sync/sync_events.h"

#include <boost/json.hpp>

#include "core/ids.h"
#include "core/json.h"

namespace tributary::sync {
namespace {

namespace bj = boost::json;

bj::value end_user_of(const store::IntegrationRow& integration) {
  auto parsed = json::parse(integration.end_user);
  return parsed && parsed->is_object() ? *parsed : bj::value(bj::object{});
}

store::EventRow envelope(const std::string& type, const store::IntegrationRow& integration, bj::object data,
                         Millis now) {
  store::EventRow event;
  event.id = new_id("evt");
  event.type = type;
  event.integration_id = integration.id;
  event.created_at = now;
  event.payload =
      json::serialize(bj::object{{"id", event.id}, {"type", event.type}, {"data", std::move(data)}});
  return event;
}

}  // namespace

store::EventRow data_changed_event(const store::IntegrationRow& integration,
                                   const std::vector<std::string>& models, Millis now) {
  bj::array changed;
  for (const auto& m : models)
    changed.push_back(bj::object{{"name", m}});
  return envelope("data-changed", integration,
                  bj::object{{"integration_id", integration.id},
                             {"integration_tool", integration.tool},
                             {"integration_category", integration.category},
                             {"changed_models", std::move(changed)}},
                  now);
}

store::EventRow sync_finished_event(const store::IntegrationRow& integration, const store::SyncRow& sync,
                                    const std::string& public_url) {
  const Millis started = sync.started_at.value_or(sync.queued_at);
  const Millis ended = sync.ended_at.value_or(started);
  std::string base = public_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return envelope("sync-finished", integration,
                  bj::object{{"sync_id", sync.id},
                             {"sync_state", sync.state},
                             {"sync_started_at", format_iso8601(started)},
                             {"sync_ended_at", format_iso8601(ended)},
                             {"sync_duration_seconds", static_cast<double>(ended - started) / 1000.0},
                             {"integration_id", integration.id},
                             {"integration_tool", integration.tool},
                             {"integration_category", integration.category},
                             {"end_user", end_user_of(integration)},
                             {"log_url", base + "/v1/syncs/" + sync.id}},
                  ended);
}

}  // namespace tributary::sync
