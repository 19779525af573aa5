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
  Millis started = 0;
  bool full = false;
  bj::array errors;
  std::optional<Millis> changed_since;  // a delta through the tools' incremental filters
  int models_done = 0;
  bool unauthorized = false;  // the tool answered 401: the sync stops
  bool claim_lost = false;    // another runner took the sync over: it stops without finishing
  std::chrono::steady_clock::time_point last_beat = std::chrono::steady_clock::now();
};

// One model of a sync: what its listing saw and what is still to write.
struct SyncRunner::ModelSync {
  connectors::Model model;
  std::string name;
  std::set<std::string> seen;
  struct Listed {
    std::string remote_id;
    bj::object record;
    Millis listed_at;  // when the page was asked for
  };
  std::vector<Listed> pending;
  std::size_t skipped_ids = 0;
  bool changed = false;  // some record of the model changed so far
  bool listed = false;   // the listing reached its end
  bool partial = false;  // the tool listed only part of the model (RecordPage::complete)
  std::optional<Error> failure;
  struct HeldDeletions {
    std::int64_t stored = 0;
    std::int64_t missing = 0;
  };
  std::optional<HeldDeletions> held;  // deletions the mass-deletion guard did not apply

  explicit ModelSync(connectors::Model m) : model(m), name(connectors::to_string(m)) {}
};

// What one flush of a model wrote.
struct SyncRunner::Written {
  std::int64_t created = 0, updated = 0, unchanged = 0, deleted = 0;
  bool changed = false;    // a record was created, changed or deleted
  bool delivered = false;  // data-changed was written with a delivery
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
    std::optional<Error> failure;
    if (auto queued = schedule_due(); !queued) failure = queued.error();
    for (int i = 0; i < 100 && !wakeup_.stopped(); ++i) {
      auto ran = run_once();
      if (!ran) {
        failure = ran.error();
        break;
      }
      if (!*ran) break;
    }
    auto not_before = std::chrono::steady_clock::now();
    if (failure) {
      not_before += failures_.failed(*failure);
    } else {
      failures_.succeeded();
    }
    auto deadline = std::chrono::steady_clock::now() + options_.idle_poll;
    if (auto lease = pool_.acquire()) {
      if (auto next = store::syncs::earliest_due(**lease); next && *next) {
        const Millis wait = std::max<Millis>(0, **next - now_ms());
        deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait));
      }
    }
    wakeup_.wait_until(std::max(deadline, not_before));
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
  run.started = run.sync.started_at.value_or(now_ms());
  run.full = run.sync.type == store::kSyncFull;
  if (auto s = load(run); !s) return s;
  if (run.changed_since) {
    spdlog::info("sync {} ({}) of {} started: changes since {}", run.sync.id, run.sync.type,
                 run.sync.integration_id, format_iso8601(*run.changed_since));
  } else {
    spdlog::info("sync {} ({}) of {} started", run.sync.id, run.sync.type, run.sync.integration_id);
  }
  const connectors::Connector* connector =
      run.integration.id.empty() ? nullptr : registry_.find(run.integration.tool);
  if (run.integration.id.empty() || run.integration.deleted_at) {
    run.errors.push_back(error_entry(std::nullopt, "the integration was deleted"));
  } else if (!run.integration.enabled) {
    run.errors.push_back(
        error_entry(std::nullopt, "the integration is disabled (PUT /v1/integrations/{id}/enabled)"));
  } else if (connector == nullptr) {
    run.errors.push_back(error_entry(std::nullopt, "no connector for tool " + run.integration.tool));
  } else {
    const connectors::ApiContext ctx =
        pipeline::api_context(run.integration, *connector, secrets_, client_, options_.api_timeout,
                              options_.budgets, Priority::kBackground);
    for (connectors::Model model : synced_models(run.integration, *connector)) {
      if (stopping_ || run.unauthorized || run.claim_lost) break;
      sync_model(run, *connector, ctx, model);
    }
  }
  if (stopping_) return {};  // the claim runs out and the sync is taken up again
  if (run.claim_lost) {
    spdlog::warn("sync {}: another runner took the sync over; stopping here", run.sync.id);
    return {};
  }
  return finish(run);
}

Status SyncRunner::load(Run& run) const {
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  auto integration = store::integrations::get(**lease, run.sync.integration_id, /*include_deleted=*/true);
  if (!integration) return integration.error();
  if (*integration) run.integration = std::move(**integration);
  auto endpoints = store::endpoints::list(**lease);
  if (!endpoints) return endpoints.error();
  run.endpoints = std::move(*endpoints);
  if (run.full || run.integration.id.empty()) return {};
  // A delta lists what changed since the last sync that listed every model, where the tool has a filter for
  // it, and only while the integration (its scope, credentials, base URL) is as it was then: a model enabled
  // since has records no delta would ever list.
  auto last = store::syncs::last_succeeded_start(**lease, run.sync.integration_id);
  if (!last) return last.error();
  if (*last && run.integration.updated_at <= **last) run.changed_since = **last - options_.delta_overlap_ms;
  return {};
}

void SyncRunner::sync_model(Run& run, const connectors::Connector& connector,
                            const connectors::ApiContext& ctx, connectors::Model model) {
  ModelSync m(model);
  list_pages(run, m, connector, ctx);
  if (stopping_) return;
  if (!m.failure && !m.listed)
    m.failure = make_error(ErrorKind::kUpstream,
                           "listing did not end after " + std::to_string(options_.max_pages) + " pages");
  if (m.failure && m.failure->kind == ErrorKind::kConflict) {
    run.claim_lost = true;
    return;
  }
  // What was listed before a failure is still stored; deletions are marked only after a full listing.
  if (auto s = flush(run, m, /*last=*/true); !s) {
    if (s.error().kind == ErrorKind::kConflict) {
      run.claim_lost = true;
      return;
    }
    if (!m.failure) m.failure = s.error();
  }
  if (m.held) report_held_deletions(run, m);
  if (m.failure) {
    if (m.failure->kind == ErrorKind::kUnauthorized) run.unauthorized = true;
    run.errors.push_back(error_entry(m.name, m.failure->message));
    spdlog::warn("sync {}: {} failed: {}", run.sync.id, m.name, m.failure->message);
  } else {
    ++run.models_done;
  }
}

// Lists the model page by page into m.pending, flushing whenever a batch is full or the claim is due for
// renewal; stops at the first failure (m.failure) or the end of the listing (m.listed).
void SyncRunner::list_pages(Run& run, ModelSync& m, const connectors::Connector& connector,
                            const connectors::ApiContext& ctx) {
  std::string page;
  for (std::size_t pages = 0; pages < options_.max_pages && !stopping_; ++pages) {
    const Millis listed_at = now_ms();
    auto got = connector.list(ctx, m.model, page, run.changed_since);
    if (!got) {
      m.failure = got.error();
      return;
    }
    if (!got->complete) m.partial = true;
    for (auto& record : got->records)
      take_listed(run, m, std::move(record), listed_at);
    if (got->next.empty()) {
      m.listed = true;
      return;
    }
    if (got->next == page) {
      m.failure = make_error(ErrorKind::kUpstream, "the tool sent the same page again as the next page");
      return;
    }
    page = std::move(got->next);
    if (m.pending.size() >= options_.batch_size ||
        std::chrono::steady_clock::now() - run.last_beat > std::chrono::milliseconds(options_.lease_ms / 3)) {
      if (auto s = flush(run, m, /*last=*/false); !s) {
        m.failure = s.error();
        return;
      }
    }
  }
}

void SyncRunner::take_listed(Run& run, ModelSync& m, bj::object record, Millis listed_at) {
  const auto* remote_id = record.if_contains("remote_id");
  if (remote_id == nullptr || !remote_id->is_string() || remote_id->get_string().empty()) return;
  std::string rid(remote_id->get_string());
  if (auto problem = connectors::remote_id_problem(rid)) {
    // One unusable record is reported and skipped; the rest of the listing is stored.
    if (m.skipped_ids++ == 0) run.errors.push_back(error_entry(m.name, "a record was skipped: " + *problem));
    return;
  }
  m.seen.insert(rid);
  m.pending.push_back(ModelSync::Listed{std::move(rid), std::move(record), listed_at});
}

// Writes the pending records (and, at the end of the model, the deletions and data-changed) in one
// transaction that also renews the claim.
Status SyncRunner::flush(Run& run, ModelSync& m, bool last) {
  Written w;
  store::SyncRow progress = run.sync;
  Status s = writer_.run([&](store::Connection& c) -> Status {
    w = Written{};
    m.held = std::nullopt;
    const Millis now = now_ms();
    if (auto st = write_listed(c, run, m, now, w); !st) return st;
    if (last && m.listed && run.full && !m.partial)
      if (auto st = apply_deletions(c, run, m, now, w); !st) return st;
    if (last && (m.changed || w.changed)) {
      auto wrote = store::events::insert_with_deliveries(
          c, delivery::data_changed(delivery::EventSource::of(run.integration), {m.name}, std::nullopt, now),
          run.endpoints, now);
      if (!wrote) return wrote.error();
      w.delivered = *wrote;
    }
    progress.created = run.sync.created + w.created;
    progress.updated = run.sync.updated + w.updated;
    progress.unchanged = run.sync.unchanged + w.unchanged;
    progress.deleted = run.sync.deleted + w.deleted;
    progress.errors = json::serialize(run.errors);
    auto beat = store::syncs::heartbeat(c, progress, now + options_.lease_ms);
    if (!beat) return beat.error();
    if (!*beat) return make_error(ErrorKind::kConflict, "the sync's claim was taken over by another runner");
    if (w.delivered) return store::notify(c, store::kOutboxChannel);
    return {};
  });
  if (!s) return s;
  run.sync.created = progress.created;
  run.sync.updated = progress.updated;
  run.sync.unchanged = progress.unchanged;
  run.sync.deleted = progress.deleted;
  m.changed = m.changed || w.changed;
  records_ += m.pending.size();
  m.pending.clear();
  run.last_beat = std::chrono::steady_clock::now();
  return {};
}

Status SyncRunner::write_listed(store::Connection& c, const Run& run, const ModelSync& m, Millis now,
                                Written& w) const {
  for (const auto& [remote_id, record, listed_at] : m.pending) {
    // A record an event changed after this page was read is newer than what the page says: keep it.
    auto stored = store::records::get(c, run.integration.id, m.name, remote_id);
    if (!stored) return stored.error();
    if (*stored && (*stored)->changed_at > listed_at) {
      ++w.unchanged;
      continue;
    }
    const auto* id = record.if_contains("id");
    auto up = store::records::upsert(c, run.integration.id, m.name,
                                     id != nullptr && id->is_string() ? std::string(id->get_string()) : "",
                                     remote_id, json::serialize(record), now);
    if (!up) return up.error();
    if (up->created) {
      ++w.created;
    } else if (up->changed) {
      ++w.updated;
    } else {
      ++w.unchanged;
    }
    w.changed = w.changed || up->changed;
  }
  return {};
}

// After a complete FULL listing: the stored records it did not see are marked deleted, unless that looks
// like a broken listing (the mass-deletion guard) and the operator has not confirmed.
Status SyncRunner::apply_deletions(store::Connection& c, const Run& run, ModelSync& m, Millis now,
                                   Written& w) const {
  auto missing = store::records::find_missing(c, run.integration.id, m.name, m.seen, run.started);
  if (!missing) return missing.error();
  const auto count = static_cast<std::int64_t>(missing->remote_ids.size());
  if (!run.sync.confirm_deletions &&
      looks_like_mass_deletion(missing->live, static_cast<std::int64_t>(m.seen.size()), count,
                               options_.schedule.max_deletion_percent)) {
    m.held = ModelSync::HeldDeletions{missing->live, count};
    return {};
  }
  auto marked = store::records::mark_all_deleted(c, run.integration.id, m.name, missing->remote_ids, now);
  if (!marked) return marked.error();
  w.deleted = *marked;
  w.changed = w.changed || w.deleted > 0;
  return {};
}

void SyncRunner::report_held_deletions(Run& run, const ModelSync& m) const {
  const std::string message =
      "deletions held: the listing " +
      (m.seen.empty() ? std::string("returned no records")
                      : "returned " + std::to_string(m.seen.size()) + " records") +
      " and would mark " + std::to_string(m.held->missing) + " of " + std::to_string(m.held->stored) +
      " stored records deleted; if they are really gone at the tool, confirm with POST "
      "/v1/integrations/{id}/confirm-deletions (or Confirm deletions in the dashboard)";
  bj::object entry = error_entry(m.name, message);
  entry["held_deletions"] = m.held->missing;
  entry["stored"] = m.held->stored;
  run.errors.push_back(std::move(entry));
  spdlog::warn("sync {}: {}: {}", run.sync.id, m.name, message);
}

namespace {

// What the sync says about the integration's credentials: rejected (AUTHENTICATION_FAILED) makes it INVALID,
// a listing that worked (SUCCEEDED, PARTIALLY_FAILED) makes it ACTIVE again; integration-state-changed goes
// with the change, in the sync's final transaction. A disabled integration stays INACTIVE either way.
Status record_credentials(store::Connection& c, const store::IntegrationRow& integration,
                          const store::SyncRow& sync) {
  std::optional<Millis> invalid_since;
  if (sync.state == store::SyncState::kAuthenticationFailed) {
    invalid_since = sync.ended_at;
  } else if (sync.state != store::SyncState::kSucceeded && sync.state != store::SyncState::kPartiallyFailed) {
    return {};
  }
  auto changed = store::integrations::set_invalid(c, integration.id, invalid_since);
  if (!changed) return changed.error();
  if (!*changed || !integration.enabled) return {};
  return delivery::publish_state_change(c, integration.id, sync.ended_at.value_or(now_ms()));
}

}  // namespace

// Ends the sync: its state from what happened, and `sync-finished` with it.
Status SyncRunner::finish(Run& run) {
  run.sync.ended_at = std::max(now_ms(), run.started);
  run.sync.errors = json::serialize(run.errors);
  if (run.unauthorized) {
    run.sync.state = store::SyncState::kAuthenticationFailed;
  } else if (run.errors.empty()) {
    run.sync.state = store::SyncState::kSucceeded;
  } else if (run.models_done > 0) {
    run.sync.state = store::SyncState::kPartiallyFailed;
  } else {
    run.sync.state = store::SyncState::kFailed;
  }
  Status s = writer_.run([&](store::Connection& c) -> Status {
    auto finished = store::syncs::finish(c, run.sync);
    if (!finished) return finished.error();
    if (!*finished || run.integration.id.empty()) return {};
    auto wrote = store::events::insert_with_deliveries(
        c, delivery::sync_finished(run.integration, run.sync, options_.public_url), run.endpoints,
        *run.sync.ended_at);
    if (!wrote) return wrote.error();
    if (*wrote) {
      if (auto st = store::notify(c, store::kOutboxChannel); !st) return st;
    }
    return record_credentials(c, run.integration, run.sync);
  });
  if (!s) return s;
  ++finished_;
  spdlog::info("sync {} of {}: {} (created {}, updated {}, deleted {}, unchanged {})", run.sync.id,
               run.sync.integration_id, store::to_string(run.sync.state), run.sync.created, run.sync.updated,
               run.sync.deleted, run.sync.unchanged);
  return {};
}

}  // namespace tributary::sync
