// SyncRunner: the long-lived component that runs syncs. Its scheduler queues a FULL sync for every
// integration whose next_sync_at is due (moving next_sync_at on by the interval rule of sync/schedule.h, once
// across nodes); then it claims queued syncs one at a time (leased, so no integration ever has two syncs
// running, on any node, and a node that dies mid-sync hands it over when the lease ends) and runs each: every
// scoped model the connector can read is listed page by page through Connector::list_records and upserted
// in batches (changed_at moves only on a real change), a FULL sync then marks the records it did not see as
// deleted, one `data-changed` is written per model whose records changed, and `sync-finished` always, with
// the state: SUCCEEDED, FAILED, PARTIALLY_FAILED (some models listed, some not) or AUTHENTICATION_FAILED (the
// tool answered 401). Counts (created, updated, deleted, unchanged) and errors go into the sync row.
// Mass-deletion guard: a FULL sync applies no deletions to a model whose listing looks broken rather than
// emptied — it lists nothing while records are stored, or it would delete more than
// SyncConfig::max_deletion_percent of the stored records (and at least kMassDeletionMinimum of them) at once.
// Its records are still stored; the sync ends PARTIALLY_FAILED with an error entry that names the model and
// carries `held_deletions` and `stored`, and the operator confirms (POST
// /v1/integrations/{id}/confirm-deletions queues a FULL sync with SyncRow::confirm_deletions, which applies
// what its own listing finds missing). A DELTA sync never marks records deleted, and lists through the tool's
// incremental filter (Connector::list_changed_records) only what changed since the integration's last
// SUCCEEDED sync began (less delta_overlap_ms, for clocks and filter precision), for the models whose tool
// has one; otherwise — no such filter, no earlier successful sync, or the integration changed since — it
// lists everything. Woken in-process by notify() (an API force-sync, a failed targeted fetch, integration
// create) and across nodes through the sync channel. Thread-safety: start()/stop() from the owner; notify(),
// queue() and run_once() from any thread.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <thread>

#include "connectors/registry.h"
#include "core/config.h"
#include "core/failure_backoff.h"
#include "core/secret_box.h"
#include "core/wakeup.h"
#include "http/client.h"
#include "pipeline/budgets.h"
#include "store/pool.h"
#include "store/syncs_repo.h"
#include "store/writer.h"

namespace tributary::sync {

// Fewer deletions than this are never held for their share alone (a company of five deleting two is normal).
inline constexpr std::int64_t kMassDeletionMinimum = 5;

// Whether deleting `missing` of `stored` live records after a listing that saw `listed` looks like a broken
// listing rather than real deletions.
bool looks_like_mass_deletion(std::int64_t stored, std::int64_t listed, std::int64_t missing,
                              std::int64_t max_percent);

struct SyncRunnerOptions {
  SyncConfig schedule;
  std::string node_id;     // who holds a claim; default: a fresh id per runner
  std::string public_url;  // for sync-finished's log_url
  std::chrono::milliseconds api_timeout{15000};
  // The node's API budgets, which every call to a tool takes its grant from (null: unlimited).
  pipeline::Budgets* budgets = nullptr;
  // Renewed after every batch and between pages; longer than one page can take (a tool answering 429 is
  // waited out for up to 2 min per request), so a live runner never loses its claim during a wait.
  Millis lease_ms = 5 * 60 * 1000;
  std::size_t batch_size = 250;    // records per write transaction
  std::size_t max_pages = 100000;  // per model: a tool whose pagination never ends cannot hold a sync forever
  std::chrono::milliseconds idle_poll{5000};  // looks for work queued by other nodes at least this often
  Millis delta_overlap_ms = 5 * 60 * 1000;    // a delta starts this long before the last successful sync
};

struct SyncStats {
  std::uint64_t finished = 0;
  std::uint64_t records = 0;  // records listed
};

class SyncRunner {
 public:
  SyncRunner(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
             const SecretBox& secrets, http::HttpClient& client, SyncRunnerOptions options);
  ~SyncRunner();

  void start();
  void stop();
  void notify() { wakeup_.notify(); }

  // Queues a sync (force-sync) and wakes the runner.
  Result<store::QueuedSync> queue(const std::string& integration_id, std::string_view type);
  // Queues the syncs that are due by the schedule; returns how many it queued.
  Result<int> schedule_due();
  // Claims one queued sync and runs it to the end on the caller's thread; false when none was due.
  Result<bool> run_once();

  SyncStats stats() const { return {finished_.load(), records_.load()}; }

 private:
  struct Run;
  struct ModelSync;
  struct Written;
  void run();
  // The steps of one sync: load what it needs, list and store each model, finish with its state.
  Status run_sync(store::SyncRow sync);
  Status load(Run& run) const;
  void sync_model(Run& run, const connectors::Connector& connector, const connectors::ApiContext& ctx,
                  connectors::Model model);
  void list_pages(Run& run, ModelSync& m, const connectors::Connector& connector,
                  const connectors::ApiContext& ctx);
  void take_listed(Run& run, ModelSync& m, boost::json::object record, Millis listed_at);
  Status flush(Run& run, ModelSync& m, bool last);
  Status write_listed(store::Connection& c, const Run& run, const ModelSync& m, Millis now, Written& w) const;
  Status apply_deletions(store::Connection& c, const Run& run, ModelSync& m, Millis now, Written& w) const;
  void report_held_deletions(Run& run, const ModelSync& m) const;
  Status finish(Run& run);

  store::Pool& pool_;
  store::Writer& writer_;
  const connectors::Registry& registry_;
  const SecretBox& secrets_;
  http::HttpClient& client_;
  SyncRunnerOptions options_;
  Wakeup wakeup_;
  std::thread thread_;
  // Failed rounds (scheduling, or a sync that could not be run) are logged once per spell of failures, and
  // the next round waits at least the backoff (run() thread only).
  FailureBackoff failures_{"sync runner", std::chrono::seconds(1), std::chrono::seconds(30)};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> finished_{0};
  std::atomic<std::uint64_t> records_{0};
};

}  // namespace tributary::sync
