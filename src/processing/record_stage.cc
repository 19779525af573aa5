#include "processing/record_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
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
                                                     const RecordStageOptions& options,
                                                     bool rate_limits_end_it = false) {
  std::chrono::milliseconds backoff = options.backoff;
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    auto fetched = connector.fetch(ctx, ref.model, ref.remote_id, hint);
    if (fetched) return fetched;
    const auto kind = fetched.error().kind;
    if (kind == ErrorKind::kUnauthorized || kind == ErrorKind::kForbidden ||
        kind == ErrorKind::kInvalidArgument)
      return fetched;  // retrying cannot help
    // A planned round leaves what the budget does not grant to a later round.
    if (rate_limits_end_it && kind == ErrorKind::kRateLimited) return fetched;
    if (attempt >= std::max(1, options.fetch_attempts) ||
        std::chrono::steady_clock::now() - started + backoff > options.retry_budget)
      return fetched;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

std::string hint_for(const FetchHints* hints, const RecordKey& key) {
  if (hints == nullptr) return {};
  auto it = hints->find(key);
  return it == hints->end() ? std::string() : it->second;
}

// One record for prepare(): what the round read, or a fetch of its own.
Result<std::optional<bj::object>> fetch_one(const connectors::Connector& connector,
                                            const connectors::ApiContext& ctx, const EventRef& ref,
                                            const FetchHints* hints, const FetchRound* round,
                                            const RecordStageOptions& options) {
  const RecordKey key{ref.model_name, ref.remote_id};
  if (round != nullptr) {
    if (auto it = round->fetched.find(key); it != round->fetched.end()) return it->second;
    if (round->deferred.count(key))
      return make_error(ErrorKind::kRateLimited,
                        "no grant from the integration's API budget while the event waited");
  }
  return fetch_with_retries(connector, ctx, ref, hint_for(hints, key), options);
}

}  // namespace

RecordStage::RecordStage(const connectors::Registry& registry, const SecretBox& secrets,
                         http::HttpClient& client, RecordStageOptions options)
    : registry_(registry), secrets_(secrets), client_(client), options_(options) {}

RecordWork RecordStage::prepare(const store::IntegrationRow& integration, std::string& event_payload,
                                std::set<std::string>* unreachable, store::Connection* reader,
                                const FetchHints* hints, const FetchRound* round) const {
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
    auto fetched = fetch_one(*connector, ctx, *ref, hints, round, options_);
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

std::vector<RecordKey> RecordStage::wanted(const store::IntegrationRow& integration,
                                           const std::string& event_payload) const {
  std::vector<RecordKey> keys;
  const connectors::Connector* connector = registry_.find(integration.tool);
  auto envelope = json::parse(event_payload);
  if (connector == nullptr || !envelope) return keys;
  const bj::value* events = json::find(*envelope, "data.events");
  if (events == nullptr || !events->is_array()) return keys;
  for (const auto& ev : events->get_array()) {
    auto ref = event_ref(ev);
    if (!ref || !connector->supports_records(ref->model) || !fetches(ref->action)) continue;
    RecordKey key{ref->model_name, ref->remote_id};
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
  return keys;
}

namespace {

// The most records of one burst listing kept for later rounds.
constexpr std::size_t kMaxListedKept = 20000;

// Takes the grant for the next fetch or listing page ahead (ApiContext::reserved), waiting at most what is
// left of the round's slice; false when the budget had none by then (the round ends, the rest deferred).
using Reserve = std::function<bool(connectors::ApiContext&)>;

// A burst read through the tool's incremental listing: the pages of the records of `model` changed since
// `since`, until every one of `waiting` was seen (or the listing ends, fails, or reaches `max_pages`).
// What it saw of `waiting` goes into round.fetched and out of `waiting`.
void list_burst(const connectors::Connector& connector, connectors::ApiContext& ctx, connectors::Model model,
                const std::string& model_name, Millis since, int max_pages, const Reserve& reserve,
                std::set<std::string>& waiting, FetchRound& round) {
  std::string page;
  for (int pages = 0; pages < max_pages && !waiting.empty(); ++pages) {
    if (!reserve(ctx)) return;  // the rest is deferred
    auto listed = connector.list(ctx, model, page, since);
    if (!listed) {
      spdlog::warn("fetch: listing changed {} of integration {} failed, fetching one by one: {}", model_name,
                   ctx.integration_id, listed.error().message);
      return;
    }
    for (auto& record : listed->records) {
      auto remote_id = json::get_string(bj::value(record), "remote_id");
      if (!remote_id) continue;
      RecordKey key{model_name, std::string(*remote_id)};
      if (waiting.erase(key.second) > 0) round.fetched.emplace(key, std::optional<bj::object>(record));
      if (round.listed.records.size() < kMaxListedKept)
        round.listed.records.insert_or_assign(std::move(key), std::move(record));
    }
    if (listed->next.empty()) return;
    page = listed->next;
  }
}

// How many records a budget with `stats` fetches within `delay`, at the rate it uses now; nullopt: unlimited.
std::optional<std::size_t> fetches_within(const BudgetStats& stats, std::chrono::milliseconds delay) {
  if (!stats.limits.limited() || stats.effective_requests <= 0) return std::nullopt;
  return static_cast<std::size_t>(std::max<std::int64_t>(
      1, static_cast<std::int64_t>(stats.effective_requests) * delay.count() / stats.limits.window_ms));
}

// The waiting records of each model the tool lists changes of, read through that listing from `since`.
void list_bursts(const connectors::Connector& connector, connectors::ApiContext& ctx,
                 const std::vector<RecordKey>& keys, Millis since, const RecordStageOptions& options,
                 const Reserve& reserve, FetchRound& round) {
  std::map<std::string, std::set<std::string>> by_model;
  for (const auto& [model, remote_id] : keys)
    by_model[model].insert(remote_id);
  for (auto& [model_name, waiting] : by_model) {
    auto model = connectors::parse_model(model_name);
    if (!model || !connector.lists_changes(*model)) continue;
    if (round.listed.at == 0) round.listed.at = now_ms();
    spdlog::info(
        "fetch: integration {}: {} {} records waiting, more than its API budget fetches in {} s: "
        "reading them through the tool's listing of changes",
        ctx.integration_id, waiting.size(), model_name, options.target_delay.count() / 1000);
    list_burst(connector, ctx, *model, model_name, since, options.max_listing_pages, reserve, waiting, round);
  }
}

}  // namespace

FetchRound RecordStage::fetch_round(const store::IntegrationRow& integration,
                                    const std::vector<RecordKey>& keys, Millis oldest_received_at,
                                    const FetchHints* hints) const {
  FetchRound round;
  const connectors::Connector* connector = registry_.find(integration.tool);
  if (connector == nullptr || keys.empty()) return round;
  connectors::ApiContext ctx = pipeline::api_context(
      integration, *connector, secrets_, client_, options_.api_timeout, options_.budgets, Priority::kFetch);
  const auto started = std::chrono::steady_clock::now();
  // A fetch or page starts only with a grant taken within the slice; its further calls (a token, a second
  // request) then wait as long as the budget needs, up to one window, so that a started fetch ends.
  const BudgetStats budget = ctx.budget ? ctx.budget->stats() : BudgetStats{};
  ctx.budget_wait = std::max(options_.slice, std::chrono::milliseconds(budget.limits.window_ms + 1000));
  bool out_of_budget = false;
  const Reserve reserve = [&](connectors::ApiContext& c) {
    if (out_of_budget) return false;
    if (!c.budget) return true;
    const auto left = options_.slice - std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started);
    auto grant = c.budget->acquire(Priority::kFetch, now_ms() + std::max<std::int64_t>(1, left.count()));
    if (!grant) {
      out_of_budget = true;
      return false;
    }
    c.reserved = std::make_shared<Budget::Grant>(std::move(*grant));
    return true;
  };

  // A burst: more waiting than the budget fetches in the target delay, read through the listing per model.
  const auto capacity = fetches_within(budget, options_.target_delay);
  if (capacity && keys.size() > *capacity)
    list_bursts(*connector, ctx, keys, oldest_received_at - options_.listing_overlap_ms, options_, reserve,
                round);

  // The rest one by one, in order, while the budget grants within the slice.
  std::optional<Error> failed;  // the tool failed a fetch: the rest fail with it
  for (const auto& key : keys) {
    if (round.fetched.count(key)) continue;
    if (failed) {
      round.fetched.emplace(key, *failed);
      continue;
    }
    auto model = connectors::parse_model(key.first);
    if (!model) continue;
    if (!reserve(ctx)) {
      round.deferred.insert(key);
      continue;
    }
    auto fetched = fetch_with_retries(*connector, ctx,
                                      EventRef{*model, connectors::Action::kUpdated, key.first, key.second},
                                      hint_for(hints, key), options_, /*rate_limits_end_it=*/true);
    if (!fetched && fetched.error().kind == ErrorKind::kRateLimited) {
      out_of_budget = true;
      round.deferred.insert(key);
      continue;
    }
    if (!fetched && fetched.error().kind != ErrorKind::kInvalidArgument)
      failed = Error{fetched.error().kind, std::string(connector->display_name()) +
                                               " failed every attempt for an earlier record of this batch (" +
                                               fetched.error().message + ")"};
    round.fetched.emplace(key, std::move(fetched));
  }
  if (!round.deferred.empty()) {
    // The budget's pause when the tool asked for one, else a second: the events are looked at again then.
    const BudgetStats stats = ctx.budget ? ctx.budget->stats() : BudgetStats{};
    round.retry_at = std::max(now_ms() + 1000, stats.paused_until);
  }
  return round;
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
