#include "sync/sync_runner.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <set>

#include "core/ids.h"
#include "core/json.h"
#include "delivery/events.h"
#include "pipeline/api_context.h"
#include "store/records_repo.h"
#include "sync/schedule.h"

namespace tributary::sync {
namespace {

namespace bj = boost::json;

// An error worth an entry in the sync's errors (never a secret: connector messages are secret-free).
bj::object error_entry(std::optional<std::string> model, const std::string& message) {
  bj::object o;
  o["model"] = model ? bj::value(*model) : bj::value(nullptr);
  o["message"] = message.size() > 500 ? message.substr(0, 500) + "..." : message;
  return o;
}

}  // namespace

bool looks_like_mass_deletion(std::int64_t stored, std::int64_t listed, std::int64_t missing,
                              std::int64_t max_percent) {
  if (stored <= 0 || missing <= 0) return false;
  if (listed == 0) return true;  // everything would go
  return missing >= kMassDeletionMinimum && missing * 100 > stored * max_percent;
}

// The state of one sync being run: counts, errors, and what it needs to write.
struct SyncRunner::Run {
  store::SyncRow sync;
  store::IntegrationRow integration;
  std::vector<store::EndpointRow> endpoints;
  bj::array errors;
  bool wrote_events = false;
  std::optional<Millis> changed_since;  // a delta through the tools' incremental filters
};

SyncRunner::SyncRunner(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
                       const SecretBox& secrets, http::HttpClient& client, SyncRunnerOptions options)
    : pool_(pool),
      writer_(writer),
      registry_(registry),
      secrets_(secrets),
      client_(client),
      options_(std::move(options)) {
  if (options_.node_id.empty()) options_.node_id = new_id("node");
}

SyncRunner::~SyncRunner() {
  stop();
}

void SyncRunner::start() {
  stopping_ = false;
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void SyncRunner::stop() {
  stopping_ = true;
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
}

void SyncRunner::run() {
  while (!wakeup_.stopped()) {
    if (auto queued = schedule_due(); !queued) spdlog::warn("sync scheduler: {}", queued.error().message);
    for (int i = 0; i < 100 && !wakeup_.stopped(); ++i) {
      auto ran = run_once();
      if (!ran) {
        spdlog::warn("sync runner: {}", ran.error().message);
        break;
      }
      if (!*ran) break;
    }
    auto deadline = std::chrono::steady_clock::now() + options_.idle_poll;
    if (auto lease = pool_.acquire()) {
      if (auto next = store::syncs::earliest_due(**lease); next && *next) {
        const Millis wait = std::max<Millis>(0, **next - now_ms());
        deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait));
      }
    }
    wakeup_.wait_until(deadline);
  }
}

Result<store::QueuedSync> SyncRunner::queue(const std::string& integration_id, std::string_view type) {
  std::optional<store::QueuedSync> out;
  Status s = writer_.run([&](store::Connection& c) -> Status {
    auto q = store::syncs::queue(c, integration_id, type, now_ms());
    if (!q) return q.error();
    out = std::move(*q);
    return store::notify(c, store::kSyncChannel);
  });
  if (!s) return s.error();
  notify();
  return std::move(*out);
}

Result<int> SyncRunner::schedule_due() {
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  const Millis now = now_ms();
  auto due = store::syncs::due(**lease, now, 100);
  if (!due) return due.error();
  int queued = 0;
  for (const auto& d : *due) {
    auto integration = store::integrations::get(**lease, d.integration_id);
    if (!integration) return integration.error();
    if (!*integration) continue;
    const connectors::Connector* connector = registry_.find((*integration)->tool);
    const Millis interval = connector != nullptr ? interval_ms(**integration, *connector, options_.schedule)
                                                 : options_.schedule.interval_without_webhooks * 1000;
    bool took = false;
    Status s = writer_.run([&](store::Connection& c) -> Status {
      auto advanced = store::syncs::advance(c, d.integration_id, d.next_sync_at, now + interval);
      if (!advanced) return advanced.error();
      if (!*advanced) return {};  // another node scheduled it
      auto q = store::syncs::queue(c, d.integration_id, store::kSyncFull, now);
      if (!q) return q.error();
      took = !q->already_queued;
      return store::notify(c, store::kSyncChannel);
    });
    if (!s) return s.error();
    if (took) ++queued;
  }
  return queued;
}

Result<bool> SyncRunner::run_once() {
  std::optional<store::SyncRow> claimed;
  Status s = writer_.run([&](store::Connection& c) -> Status {
    const Millis now = now_ms();
    auto r = store::syncs::claim_next(c, options_.node_id, now, now + options_.lease_ms);
    if (!r) return r.error();
    claimed = std::move(*r);
    return {};
  });
  if (!s) return s.error();
  if (!claimed) return false;
  if (auto ran = run_sync(std::move(*claimed)); !ran) return ran.error();
  return true;
}

Status SyncRunner::run_sync(store::SyncRow sync) {
  Run run;
  run.sync = std::move(sync);
  const Millis started = run.sync.started_at.value_or(now_ms());
  const bool full = run.sync.type == store::kSyncFull;
  {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    auto integration = store::integrations::get(**lease, run.sync.integration_id, /*include_deleted=*/true);
    if (!integration) return integration.error();
    if (*integration) run.integration = std::move(**integration);
    auto endpoints = store::endpoints::list(**lease);
    if (!endpoints) return endpoints.error();
    run.endpoints = std::move(*endpoints);
    if (!full && *integration) {
      // A delta lists what changed since the last sync that listed every model, where the tool has a filter
      // for it, and only while the integration (its scope, credentials, base URL) is as it was then: a
      // model enabled since has records no delta would ever list.
      auto last = store::syncs::last_succeeded_start(**lease, run.sync.integration_id);
      if (!last) return last.error();
      if (*last && run.integration.updated_at <= **last)
        run.changed_since = **last - options_.delta_overlap_ms;
    }
  }
  if (run.changed_since) {
    spdlog::info("sync {} ({}) of {} started: changes since {}", run.sync.id, run.sync.type,
                 run.sync.integration_id, format_iso8601(*run.changed_since));
  } else {
    spdlog::info("sync {} ({}) of {} started", run.sync.id, run.sync.type, run.sync.integration_id);
  }

  const connectors::Connector* connector =
      run.integration.id.empty() ? nullptr : registry_.find(run.integration.tool);
  int models_done = 0;
  bool unauthorized = false;
  bool claim_lost = false;
  if (run.integration.id.empty() || run.integration.deleted_at) {
    run.errors.push_back(error_entry(std::nullopt, "the integration was deleted"));
  } else if (connector == nullptr) {
    run.errors.push_back(error_entry(std::nullopt, "no connector for tool " + run.integration.tool));
  } else {
    const connectors::ApiContext ctx =
        pipeline::api_context(run.integration, *connector, secrets_, client_, options_.api_timeout);

    auto last_beat = std::chrono::steady_clock::now();
    for (connectors::Model model : synced_models(run.integration, *connector)) {
      if (stopping_ || unauthorized || claim_lost) break;
      const std::string model_name(connectors::to_string(model));
      std::set<std::string> seen;
      struct Listed {
        std::string remote_id;
        bj::object record;
        Millis listed_at;  // when the page was asked for
      };
      std::vector<Listed> pending;
      bool changed = false;
      bool listed = false;
      bool partial = false;  // the tool listed only part of the model (RecordPage::complete)
      std::optional<Error> failure;
      struct HeldDeletions {
        std::int64_t stored = 0;
        std::int64_t missing = 0;
      };
      std::optional<HeldDeletions> held;  // deletions the mass-deletion guard did not apply

      // Writes the pending records (and, at the end of the model, the deletions and data-changed) in one
      // transaction that also renews the claim.
      auto flush = [&](bool last) -> Status {
        std::int64_t created = 0, updated = 0, unchanged = 0, deleted = 0;
        bool model_changed = false;
        bool delivered = false;
        held = std::nullopt;
        store::SyncRow progress = run.sync;
        Status s = writer_.run([&](store::Connection& c) -> Status {
          created = updated = unchanged = deleted = 0;
          model_changed = delivered = false;
          const Millis now = now_ms();
          for (const auto& [remote_id, record, listed_at] : pending) {
            // A record an event changed after this page was read is newer than what the page says: keep it.
            auto stored = store::records::get(c, run.integration.id, model_name, remote_id);
            if (!stored) return stored.error();
            if (*stored && (*stored)->changed_at > listed_at) {
              ++unchanged;
              continue;
            }
            const auto* id = record.if_contains("id");
            auto up =
                store::records::upsert(c, run.integration.id, model_name,
                                       id != nullptr && id->is_string() ? std::string(id->get_string()) : "",
                                       remote_id, json::serialize(record), now);
            if (!up) return up.error();
            if (up->created) {
              ++created;
            } else if (up->changed) {
              ++updated;
            } else {
              ++unchanged;
            }
            model_changed = model_changed || up->changed;
          }
          if (last && listed && full && !partial) {
            auto missing = store::records::find_missing(c, run.integration.id, model_name, seen, started);
            if (!missing) return missing.error();
            const auto count = static_cast<std::int64_t>(missing->remote_ids.size());
            if (!run.sync.confirm_deletions &&
                looks_like_mass_deletion(missing->live, static_cast<std::int64_t>(seen.size()), count,
                                         options_.schedule.max_deletion_percent)) {
              held = HeldDeletions{missing->live, count};
            } else {
              auto marked = store::records::mark_all_deleted(c, run.integration.id, model_name,
                                                             missing->remote_ids, now);
              if (!marked) return marked.error();
              deleted = *marked;
            }
            model_changed = model_changed || deleted > 0;
          }
          if (last && (changed || model_changed)) {
            auto wrote = store::events::insert_with_deliveries(
                c,
                delivery::data_changed(delivery::EventSource::of(run.integration), {model_name}, std::nullopt,
                                       now),
                run.endpoints, now);
            if (!wrote) return wrote.error();
            delivered = *wrote;
          }
          progress.created = run.sync.created + created;
          progress.updated = run.sync.updated + updated;
          progress.unchanged = run.sync.unchanged + unchanged;
          progress.deleted = run.sync.deleted + deleted;
          progress.errors = json::serialize(run.errors);
          auto beat = store::syncs::heartbeat(c, progress, now + options_.lease_ms);
          if (!beat) return beat.error();
          if (!*beat)
            return make_error(ErrorKind::kConflict, "the sync's claim was taken over by another runner");
          if (delivered) return store::notify(c, store::kOutboxChannel);
          return {};
        });
        if (!s) return s;
        run.sync.created = progress.created;
        run.sync.updated = progress.updated;
        run.sync.unchanged = progress.unchanged;
        run.sync.deleted = progress.deleted;
        changed = changed || model_changed;
        if (delivered) run.wrote_events = true;
        records_ += pending.size();
        pending.clear();
        last_beat = std::chrono::steady_clock::now();
        return {};
      };

      std::string page;
      std::size_t pages = 0;
      std::size_t skipped_ids = 0;
      for (; pages < options_.max_pages && !stopping_; ++pages) {
        const Millis listed_at = now_ms();
        auto got = connector->list(ctx, model, page, run.changed_since);
        if (!got) {
          failure = got.error();
          break;
        }
        if (!got->complete) partial = true;
        for (auto& record : got->records) {
          const auto* remote_id = record.if_contains("remote_id");
          if (remote_id == nullptr || !remote_id->is_string() || remote_id->get_string().empty()) continue;
          std::string rid(remote_id->get_string());
          if (auto problem = connectors::remote_id_problem(rid)) {
            // One unusable record is reported and skipped; the rest of the listing is stored.
            if (skipped_ids++ == 0)
              run.errors.push_back(error_entry(model_name, "a record was skipped: " + *problem));
            continue;
          }
          seen.insert(rid);
          pending.push_back(Listed{std::move(rid), std::move(record), listed_at});
        }
        if (got->next.empty()) {
          listed = true;
          break;
        }
        if (got->next == page) {
          failure = make_error(ErrorKind::kUpstream, "the tool sent the same page again as the next page");
          break;
        }
        page = std::move(got->next);
        if (pending.size() >= options_.batch_size ||
            std::chrono::steady_clock::now() - last_beat > std::chrono::milliseconds(options_.lease_ms / 3)) {
          if (auto s = flush(false); !s) {
            failure = s.error();
            break;
          }
        }
      }
      if (stopping_) return {};  // the claim runs out and the sync is taken up again
      if (!failure && !listed)
        failure = make_error(ErrorKind::kUpstream,
                             "listing did not end after " + std::to_string(options_.max_pages) + " pages");
      if (failure && failure->kind == ErrorKind::kConflict) {
        claim_lost = true;
        break;
      }
      // What was listed before a failure is still stored; deletions are marked only after a full listing.
      if (auto s = flush(true); !s) {
        if (s.error().kind == ErrorKind::kConflict) {
          claim_lost = true;
          break;
        }
        if (!failure) failure = s.error();
      }
      if (held) {
        const std::string message =
            "deletions held: the listing " +
            (static_cast<std::int64_t>(seen.size()) == 0
                 ? std::string("returned no records")
                 : "returned " + std::to_string(seen.size()) + " records") +
            " and would mark " + std::to_string(held->missing) + " of " + std::to_string(held->stored) +
            " stored records deleted; if they are really gone at the tool, confirm with POST "
            "/v1/integrations/{id}/confirm-deletions (or Confirm deletions in the dashboard)";
        bj::object entry = error_entry(model_name, message);
        entry["held_deletions"] = held->missing;
        entry["stored"] = held->stored;
        run.errors.push_back(std::move(entry));
        spdlog::warn("sync {}: {}: {}", run.sync.id, model_name, message);
      }
      if (failure) {
        if (failure->kind == ErrorKind::kUnauthorized) unauthorized = true;
        run.errors.push_back(error_entry(model_name, failure->message));
        spdlog::warn("sync {}: {} failed: {}", run.sync.id, model_name, failure->message);
      } else {
        ++models_done;
      }
    }
  }
  if (claim_lost) {
    spdlog::warn("sync {}: another runner took the sync over; stopping here", run.sync.id);
    return {};
  }

  run.sync.ended_at = std::max(now_ms(), started);
  run.sync.errors = json::serialize(run.errors);
  if (unauthorized) {
    run.sync.state = store::SyncState::kAuthenticationFailed;
  } else if (run.errors.empty()) {
    run.sync.state = store::SyncState::kSucceeded;
  } else if (models_done > 0) {
    run.sync.state = store::SyncState::kPartiallyFailed;
  } else {
    run.sync.state = store::SyncState::kFailed;
  }
  bool delivered = false;
  Status s = writer_.run([&](store::Connection& c) -> Status {
    delivered = false;
    auto finished = store::syncs::finish(c, run.sync);
    if (!finished) return finished.error();
    if (!*finished || run.integration.id.empty()) return {};
    auto wrote = store::events::insert_with_deliveries(
        c, delivery::sync_finished(run.integration, run.sync, options_.public_url), run.endpoints,
        *run.sync.ended_at);
    if (!wrote) return wrote.error();
    delivered = *wrote;
    if (delivered) return store::notify(c, store::kOutboxChannel);
    return {};
  });
  if (!s) return s;
  ++finished_;
  spdlog::info("sync {} of {}: {} (created {}, updated {}, deleted {}, unchanged {})", run.sync.id,
               run.sync.integration_id, store::to_string(run.sync.state), run.sync.created, run.sync.updated,
               run.sync.deleted, run.sync.unchanged);
  if ((delivered || run.wrote_events) && on_events_) on_events_();
  return {};
}

}  // namespace tributary::sync
