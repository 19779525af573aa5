#include "processing/record_stage.h"

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "connectors/common/records.h"
#include "core/ids.h"
#include "core/json.h"
#include "delivery/events.h"
#include "pipeline/api_context.h"
#include "store/records_repo.h"

namespace tributary::processing {
namespace {

namespace bj = boost::json;

bool fetches(connectors::Action action) {
  return action == connectors::Action::kCreated || action == connectors::Action::kUpdated ||
         action == connectors::Action::kPublished || action == connectors::Action::kUnpublished;
}

}  // namespace

namespace {

// The action a publication event of a tool whose events only state the job's current state
// (Connector::job_published) is relayed as: the change between the stored job and the fetched one —
// "published" when it became published, "unpublished" when it stopped being, "updated" when its publication
// did not change. A job not stored yet is judged by the fetched one alone; a failed read keeps the event's.
connectors::Action publication_action(store::Connection& reader, const connectors::Connector& connector,
                                      const std::string& integration_id, const std::string& model,
                                      const std::string& remote_id, const bj::object& fetched,
                                      connectors::Action action) {
  const auto now_published = connector.job_published(fetched);
  if (!now_published) return action;
  const auto as_state = [](bool published) {
    return published ? connectors::Action::kPublished : connectors::Action::kUnpublished;
  };
  auto stored = store::records::get(reader, integration_id, model, remote_id);
  if (!stored) return action;
  if (!*stored || (*stored)->remote_deleted_at) return as_state(*now_published);
  auto data = json::parse((*stored)->data);
  if (!data || !data->is_object()) return action;
  const auto was_published = connector.job_published(data->get_object());
  if (!was_published) return action;
  return *was_published == *now_published ? connectors::Action::kUpdated : as_state(*now_published);
}

// One unified event of the payload, when it names a known model and action and a record.
struct EventRef {
  connectors::Model model;
  connectors::Action action;
  std::string model_name;
  std::string remote_id;
};

std::optional<EventRef> event_ref(const bj::value& ev) {
  auto model_name = json::get_string(ev, "model");
  auto action_name = json::get_string(ev, "action");
  auto remote_id = json::get_string(ev, "remote_id");
  if (!model_name || !action_name || !remote_id || remote_id->empty()) return std::nullopt;
  auto model = connectors::parse_model(*model_name);
  auto action = connectors::parse_action(*action_name);
  if (!model || !action) return std::nullopt;
  return EventRef{*model, *action, std::string(*model_name), std::string(*remote_id)};
}

// Fetches one record, retrying with a doubling backoff within the retry budget; an answer that retrying
// cannot change (401, 403, a refused id) ends it at once. nullopt inside: the tool no longer has it.
Result<std::optional<bj::object>> fetch_with_retries(const connectors::Connector& connector,
                                                     const connectors::ApiContext& ctx, const EventRef& ref,
                                                     const std::string& hint,
                                                     const RecordStageOptions& options) {
  std::chrono::milliseconds backoff = options.backoff;
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    auto fetched = connector.fetch(ctx, ref.model, ref.remote_id, hint);
    if (fetched) return fetched;
    const auto kind = fetched.error().kind;
    if (kind == ErrorKind::kUnauthorized || kind == ErrorKind::kForbidden ||
        kind == ErrorKind::kInvalidArgument)
      return fetched;  // retrying cannot help
    if (attempt >= std::max(1, options.fetch_attempts) ||
        std::chrono::steady_clock::now() - started + backoff > options.retry_budget)
      return fetched;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

}  // namespace

RecordStage::RecordStage(const connectors::Registry& registry, const SecretBox& secrets,
                         http::HttpClient& client, RecordStageOptions options)
    : registry_(registry), secrets_(secrets), client_(client), options_(options) {}

RecordWork RecordStage::prepare(const store::IntegrationRow& integration, std::string& event_payload,
                                std::set<std::string>* unreachable, store::Connection* reader,
                                const FetchHints* hints) const {
  RecordWork work;
  work.integration_id = integration.id;
  work.tool = integration.tool;
  work.category = integration.category;
  const connectors::Connector* connector = registry_.find(integration.tool);
  if (connector == nullptr) return work;
  auto envelope = json::parse(event_payload);
  if (!envelope || !envelope->is_object()) return work;
  bj::value* data = envelope->get_object().if_contains("data");
  bj::value* events =
      data != nullptr && data->is_object() ? data->get_object().if_contains("events") : nullptr;
  if (events == nullptr || !events->is_array()) return work;

  const connectors::ApiContext ctx = pipeline::api_context(
      integration, *connector, secrets_, client_, options_.api_timeout, options_.budgets, Priority::kFetch);
  bool touched = false;
  for (auto& ev : events->get_array()) {
    if (!ev.is_object()) continue;
    auto ref = event_ref(ev);
    if (!ref || !connector->supports_records(ref->model)) continue;
    RecordWork::Op op{ref->model_name, ref->remote_id,
                      connectors::common::unified_id(integration.id, ref->model_name, ref->remote_id),
                      std::nullopt};
    ev.get_object()["id"] = op.id;
    touched = true;
    if (!fetches(ref->action)) {
      work.ops.push_back(std::move(op));  // a deletion
      continue;
    }
    if (unreachable != nullptr && unreachable->count(integration.id)) {
      work.fetch_failed = true;
      work.warnings.push_back("did not fetch " + ref->model_name + " " + ref->remote_id + ": " +
                              std::string(connector->display_name()) +
                              " failed every attempt for an earlier event of this batch");
      continue;
    }
    std::string hint;
    if (hints != nullptr)
      if (auto it = hints->find({ref->model_name, ref->remote_id}); it != hints->end()) hint = it->second;
    auto fetched = fetch_with_retries(*connector, ctx, *ref, hint, options_);
    if (!fetched) {
      if (unreachable != nullptr) unreachable->insert(integration.id);
      work.fetch_failed = true;
      work.warnings.push_back("could not fetch " + ref->model_name + " " + ref->remote_id + " from " +
                              std::string(connector->display_name()) + ": " + fetched.error().message);
      continue;
    }
    // The tool no longer has it (deleted between the event and the fetch): recorded as deleted.
    if (*fetched) op.data = json::serialize(**fetched);
    if (*fetched && reader != nullptr && ref->model == connectors::Model::kAtsJobs &&
        (ref->action == connectors::Action::kPublished || ref->action == connectors::Action::kUnpublished)) {
      const auto relayed = publication_action(*reader, *connector, integration.id, ref->model_name,
                                              ref->remote_id, **fetched, ref->action);
      if (relayed != ref->action) ev.get_object()["action"] = connectors::to_string(relayed);
    }
    work.ops.push_back(std::move(op));
  }
  if (touched) event_payload = json::serialize(*envelope);
  return work;
}

Result<std::optional<store::EventRow>> RecordStage::apply(store::Connection& c, const RecordWork& work,
                                                          const std::optional<std::string>& inbox_id,
                                                          Millis now) const {
  std::set<std::string> changed_models;
  for (const auto& op : work.ops) {
    if (op.data) {
      auto up = store::records::upsert(c, work.integration_id, op.model, op.id, op.remote_id, *op.data, now);
      if (!up) return up.error();
      if (up->changed) changed_models.insert(op.model);
    } else {
      auto del = store::records::mark_deleted(c, work.integration_id, op.model, op.remote_id, now);
      if (!del) return del.error();
      if (*del) changed_models.insert(op.model);
    }
  }
  if (changed_models.empty()) return std::optional<store::EventRow>{};
  store::EventRow event =
      delivery::data_changed({work.integration_id, work.tool, work.category}, changed_models, inbox_id, now);
  return std::optional<store::EventRow>(std::move(event));
}

std::string RecordStage::merge_warnings(const std::optional<std::string>& existing,
                                        const std::vector<std::string>& warnings) {
  bj::array out;
  if (existing) {
    auto parsed = json::parse(*existing);
    if (parsed && parsed->is_array()) out = parsed->get_array();
  }
  for (const auto& w : warnings)
    out.emplace_back(w);
  return json::serialize(out);
}

}  // namespace tributary::processing
