// RecordStage: the processor's targeted fetch. For each accepted event of a model the integration's
// connector can read, it fetches the changed record from the tool's API (outside any transaction, with a few
// bounded retries), and later — inside the transaction that writes the outbox — upserts it into the unified
// records (deletions and records the tool no longer has set remote_deleted_at). It fills the unified id into
// data.events[].id and, when some record's content changed, yields a `data-changed` event. A fetch that
// still fails is reported as a warning for the inbox row; the event is relayed all the same, and a DELTA
// sync of the integration is queued in the same transaction so the record is caught up once the tool answers.
// Thread-safety: prepare()/apply() may run on any thread; the stage holds no mutable state.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "connectors/registry.h"
#include "core/clock.h"
#include "core/secret_box.h"
#include "http/client.h"
#include "pipeline/budgets.h"
#include "store/database.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"

namespace tributary::processing {

struct RecordStageOptions {
  int fetch_attempts = 3;                       // in all, per record
  std::chrono::milliseconds backoff{250};       // before the 2nd attempt; doubled after each
  std::chrono::milliseconds api_timeout{3000};  // per request to the tool
  // The node's API budgets, which every call to a tool takes its grant from (null: unlimited).
  pipeline::Budgets* budgets = nullptr;
  // No new attempt starts once this much time has gone into one record (waits included).
  std::chrono::milliseconds retry_budget{3000};
  // Planned fetches (fetch_round; ProcessingConfig::fetch_planned). Off: prepare() fetches every event's
  // records itself, one after the other.
  bool planned = true;
  // A burst is read through the tool's incremental listing when more records wait than the budget fetches
  // within this time.
  std::chrono::milliseconds target_delay{30000};
  // The longest one integration's fetches hold the processor per round: a call waits for its grant at most
  // this long, and no new fetch starts after it; what is left waits for a later round (its events held back).
  std::chrono::milliseconds slice{2000};
  // A burst's listing starts this long before the oldest waiting event was received (the change happened
  // before its webhook; the tools' filters differ in precision) and reads at most max_listing_pages pages.
  Millis listing_overlap_ms = 60 * 1000;
  int max_listing_pages = 100;
};

struct RecordWork {
  struct Op {
    std::string model;
    std::string remote_id;
    std::string id;                   // unified id
    std::optional<std::string> data;  // the unified record (JSON); nullopt = deleted / gone
  };
  std::string integration_id;
  std::string tool;
  std::string category;
  std::vector<Op> ops;
  std::vector<std::string> warnings;
  bool fetch_failed = false;  // some record could not be fetched: a delta sync is queued to catch up
};

// The deliveries' fetch hints (connectors::UnifiedEvent::fetch_hint), by model and remote id.
using FetchHints = std::map<std::pair<std::string, std::string>, std::string>;

// A record by model name and remote id.
using RecordKey = std::pair<std::string, std::string>;

// What a burst listing showed of an integration's records, and when it started: current for any event
// received before then. The processor keeps the last one per integration (for a few minutes) for later
// rounds.
struct ListedRecords {
  Millis at = 0;
  std::map<RecordKey, boost::json::object> records;
};

// What one round of planned fetches for an integration read (RecordStage::fetch_round): each record asked
// for once however many events name it, a burst through the tool's incremental listing.
struct FetchRound {
  // The records read: the unified record, nullopt when the tool no longer has it, or the error that ended
  // its fetch (retrying within the round could not help).
  std::map<RecordKey, Result<std::optional<boost::json::object>>> fetched;
  // Not read in this round: the budget had no grant in time (or the round's slice was spent). The events
  // naming them wait for a later round, which may start at `retry_at`.
  std::set<RecordKey> deferred;
  Millis retry_at = 0;
  // Everything the burst listing showed, waiting or not (`at` 0: there was no listing), for later rounds.
  ListedRecords listed;
};

class RecordStage {
 public:
  RecordStage(const connectors::Registry& registry, const SecretBox& secrets, http::HttpClient& client,
              RecordStageOptions options = {});

  // Outside the transaction. Fetches the records named by the events in `event_payload` (a
  // remote-event-received envelope) and writes their unified ids into it.
  // `unreachable` (optional, one per batch) remembers the integrations whose tool just failed every attempt:
  // their further events in the same batch get a warning without another round of retries, so a dead tool
  // delays a batch by one round of retries, not one per event.
  // `reader` (optional) reads the stored records: for tools whose publication events only state the job's
  // state (Connector::job_published), a "published" of a job already published, or an "unpublished" of one
  // that was not, is relayed as "updated".
  // `hints` (optional): what the deliveries said beside the records' ids, handed to Connector::fetch.
  // `round` (optional): the records a fetch_round read; a record it has is taken from it, not fetched again.
  RecordWork prepare(const store::IntegrationRow& integration, std::string& event_payload,
                     std::set<std::string>* unreachable = nullptr, store::Connection* reader = nullptr,
                     const FetchHints* hints = nullptr, const FetchRound* round = nullptr) const;

  // The records the events of a remote-event-received envelope need fetched (created, updated, published or
  // unpublished, of a model the connector reads), in order, each once.
  std::vector<RecordKey> wanted(const store::IntegrationRow& integration,
                                const std::string& event_payload) const;

  // Outside any transaction: reads the records `keys` (distinct, in the order their events came) for one
  // integration within its API budget. When more are waiting than the budget fetches within target_delay and
  // the tool lists changes of their model, they are read through that listing, from listing_overlap_ms before
  // `oldest_received_at`; the rest (and what the listing did not show) one by one. A fetch that fails for a
  // reason other than the budget ends the round: the rest fail with it without another call (a dead tool
  // delays a batch by one fetch's retries). What the budget does not grant within `slice` is deferred.
  FetchRound fetch_round(const store::IntegrationRow& integration, const std::vector<RecordKey>& keys,
                         Millis oldest_received_at, const FetchHints* hints = nullptr) const;

  bool planned() const { return options_.planned; }

  // Inside the transaction: upserts / marks deleted; returns a data-changed event (not yet inserted) when
  // some record's content changed.
  Result<std::optional<store::EventRow>> apply(store::Connection& c, const RecordWork& work,
                                               const std::optional<std::string>& inbox_id, Millis now) const;

  // Adds `warnings` to an inbox row's JSON array of warnings.
  static std::string merge_warnings(const std::optional<std::string>& existing,
                                    const std::vector<std::string>& warnings);

 private:
  const connectors::Registry& registry_;
  const SecretBox& secrets_;
  http::HttpClient& client_;
  RecordStageOptions options_;
};

}  // namespace tributary::processing
