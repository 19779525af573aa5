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

}  // namespace

RecordStage::RecordStage(const connectors::Registry& registry, const SecretBox& secrets,
                         http::HttpClient& client, RecordStageOptions options)
    : registry_(registry), secrets_(secrets), client_(client), options_(options) {}

RecordWork RecordStage::prepare(const store::IntegrationRow& integration, std::string& event_payload,
                                std::set<std::string>* unreachable, store::Connection* reader) const {
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

  const connectors::ApiContext ctx =
      pipeline::api_context(integration, *connector, secrets_, client_, options_.api_timeout);

  bool touched = false;
  for (auto& ev : events->get_array()) {
    if (!ev.is_object()) continue;
    auto& e = ev.get_object();
    auto model_name = json::get_string(ev, "model");
    auto action_name = json::get_string(ev, "action");
    auto remote_id = json::get_string(ev, "remote_id");
    if (!model_name || !action_name || !remote_id || remote_id->empty()) continue;
    connectors::Model model_value = connectors::Model::kHrisEmployees;
    connectors::Action action_value = connectors::Action::kCreated;
    if (auto m = connectors::parse_model(*model_name)) {
      model_value = *m;
    } else {
      continue;
    }
    if (auto a = connectors::parse_action(*action_name)) {
      action_value = *a;
    } else {
      continue;
    }
    if (!connector->supports_records(model_value)) continue;
    RecordWork::Op op{*model_name, *remote_id,
                      connectors::common::unified_id(integration.id, *model_name, *remote_id), std::nullopt};
    e["id"] = op.id;
    touched = true;
    if (!fetches(action_value)) {
      work.ops.push_back(std::move(op));  // a deletion
      continue;
    }
    if (unreachable != nullptr && unreachable->count(integration.id)) {
      work.fetch_failed = true;
      work.warnings.push_back("did not fetch " + *model_name + " " + *remote_id + ": " +
                              std::string(connector->display_name()) +
                              " failed every attempt for an earlier event of this batch");
      continue;
    }
    std::chrono::milliseconds backoff = options_.backoff;
    const auto started = std::chrono::steady_clock::now();
    std::optional<Error> last_error;
    bool done = false;
    for (int attempt = 1; attempt <= std::max(1, options_.fetch_attempts) && !done; ++attempt) {
      auto fetched = connector->fetch(ctx, model_value, *remote_id);
      if (fetched) {
        // The tool no longer has it (deleted between the event and the fetch): recorded as deleted.
        if (*fetched) op.data = json::serialize(**fetched);
        if (*fetched && reader != nullptr && model_value == connectors::Model::kAtsJobs &&
            (action_value == connectors::Action::kPublished ||
             action_value == connectors::Action::kUnpublished)) {
          const auto relayed = publication_action(*reader, *connector, integration.id, *model_name,
                                                  *remote_id, **fetched, action_value);
          if (relayed != action_value) {
            e["action"] = connectors::to_string(relayed);
            touched = true;
          }
        }
        work.ops.push_back(op);
        done = true;
        break;
      }
      last_error = fetched.error();
      const auto kind = fetched.error().kind;
      if (kind == ErrorKind::kUnauthorized || kind == ErrorKind::kForbidden ||
          kind == ErrorKind::kInvalidArgument)
        break;  // retrying cannot help
      if (std::chrono::steady_clock::now() - started + backoff > options_.retry_budget) break;
      if (attempt < options_.fetch_attempts) {
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
      }
    }
    if (!done && last_error && unreachable != nullptr) unreachable->insert(integration.id);
    if (!done && last_error) {
      work.fetch_failed = true;
      work.warnings.push_back("could not fetch " + *model_name + " " + *remote_id + " from " +
                              std::string(connector->display_name()) + ": " + last_error->message);
    }
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
