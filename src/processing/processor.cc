#include "processing/processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "delivery/events.h"
#include "processing/record_stage.h"
#include "processing/scope.h"
#include "store/inbox_repo.h"
#include "store/integrations_repo.h"
#include "store/outbox_repo.h"
#include "store/syncs_repo.h"

namespace tributary::processing {
namespace {

namespace bj = boost::json;

// How long a claim on inbox rows lasts (PostgreSQL), and how often a batch still being prepared extends it:
// one row's fetch takes at most about 10 s, so a live processor always extends in time, and a dead node's
// rows are taken over by another within kClaimMs.
constexpr Millis kClaimMs = 30 * 1000;
constexpr auto kExtendClaimEvery = std::chrono::seconds(5);

struct Outcome {
  store::InboxRow inbox;  // with outcome, reason, unified_events, event_ids set
  std::optional<store::EventRow> event;
  std::optional<RecordWork> records;  // the RecordStage's fetched records, applied in the transaction
  FetchHints hints;                   // the deliveries' fetch hints, for the RecordStage; never relayed
};

std::string join_sorted(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

Outcome decide(const store::InboxRow& row, const std::optional<store::IntegrationRow>& integration,
               const connectors::Registry& registry, Millis now) {
  Outcome out{row, std::nullopt};
  out.inbox.processed_at = now;
  auto ignore = [&](std::string reason) {
    out.inbox.outcome = store::InboxOutcome::kIgnored;
    out.inbox.reason = std::move(reason);
    return out;
  };
  if (!integration || integration->deleted_at) return ignore("the integration was deleted");
  const connectors::Connector* connector = registry.find(integration->tool);
  if (connector == nullptr) return ignore("no connector for tool " + integration->tool);
  auto scope = parse_scope(integration->scope, *connector);
  if (!scope) return ignore("invalid scope config: " + scope.error().message);

  auto events_json = json::parse(row.unified_events.value_or("[]"));
  bj::array in_scope;
  std::set<std::string> dropped;
  if (events_json && events_json->is_array()) {
    for (const auto& ev : events_json->get_array()) {
      auto model_name = json::get_string(ev, "model");
      auto model = model_name ? connectors::parse_model(*model_name) : std::nullopt;
      if (!model) continue;
      if (scope->enabled(*model)) {
        bj::object e = ev.as_object();
        if (!e.contains("id")) e["id"] = nullptr;  // RecordStage fills the unified id once records exist
        if (auto hint = json::get_string(ev, "fetch_hint"); hint && !hint->empty())
          out.hints[{*model_name, json::get_string(ev, "remote_id").value_or("")}] = *hint;
        e.erase("fetch_hint");
        in_scope.push_back(std::move(e));
      } else {
        dropped.insert(*model_name);
      }
    }
  }
  if (events_json && events_json->is_array() && events_json->get_array().empty()) {
    return ignore("vendor event '" + row.vendor_event.value_or("?") +
                  "' does not map to a relayed unified event");
  }
  if (!scope->upstream_webhooks) return ignore("upstream webhooks are disabled in the scope config");
  if (in_scope.empty() && dropped.empty()) return ignore("no unified event with a known model");
  if (in_scope.empty()) {
    return ignore("out of scope: " + join_sorted(dropped) + " disabled in the scope config");
  }

  store::EventRow event = delivery::remote_event_received(*integration, in_scope, row.id, now);

  out.inbox.outcome = store::InboxOutcome::kAccepted;
  if (!dropped.empty()) out.inbox.reason = "partly out of scope: " + join_sorted(dropped) + " not relayed";
  out.inbox.unified_events = bj::serialize(in_scope);
  out.inbox.event_ids = bj::serialize(bj::array{bj::value(event.id)});
  out.event = std::move(event);
  return out;
}

// Writes the outcomes of a batch in one transaction: each inbox row completed (unless another node completed
// it first), its downstream event with one delivery per subscribed endpoint, the fetched records and their
// data-changed, a delta sync when a fetch failed.
Status write_outcomes(store::Writer& writer, const RecordStage* record_stage,
                      const std::vector<const Outcome*>& batch,
                      const std::vector<store::EndpointRow>& endpoints, Millis now) {
  return writer.run([&](store::Connection& c) -> Status {
    bool events = false;  // downstream deliveries were written
    bool sync = false;    // a sync was queued
    for (const Outcome* o : batch) {
      // A row another node completed first (our claim ran out meanwhile) is left as that node recorded it.
      auto completed = store::inbox::complete_received(c, o->inbox);
      if (!completed) return completed.error();
      if (!*completed || !o->event) continue;
      auto relayed = store::events::insert_with_deliveries(c, *o->event, endpoints, now);
      if (!relayed) return relayed.error();
      events = events || *relayed;
      if (o->records && o->records->fetch_failed) {
        // The event went out without its record: a delta sync fetches it once the tool answers again (one
        // queued sync per integration at most, so a dead tool does not pile syncs up).
        auto queued = store::syncs::queue(c, o->records->integration_id, store::kSyncDelta, now);
        if (!queued) return queued.error();
        sync = true;
      }
      if (o->records && record_stage != nullptr) {
        // The records' changed_at is the commit's time (store/records_repo.h), not `now`, which was taken
        // before the fetches.
        auto changed = record_stage->apply(c, *o->records, o->inbox.id, now);
        if (!changed) return changed.error();
        if (*changed) {
          auto relayed = store::events::insert_with_deliveries(c, **changed, endpoints, now);
          if (!relayed) return relayed.error();
          events = events || *relayed;
        }
      }
      if (o->inbox.integration_id) {
        if (auto s = store::integrations::touch_last_event(c, *o->inbox.integration_id, now); !s) return s;
      }
    }
    // Wakes the dispatchers (and the sync runners) when the batch commits.
    if (sync) {
      if (auto s = store::notify(c, store::kSyncChannel); !s) return s;
    }
    if (events) return store::notify(c, store::kOutboxChannel);
    return {};
  });
}

// After a batch's transaction failed: writes each row alone. A row whose write fails again is written without
// its fetched records (the event still goes out, with a warning); failing that, it is put back for a while
// (claimed_until, doubling from 1 s to 10 min per attempt, counted in `attempts`) with the database's reason
// among its warnings, so it holds up no other row and is tried again until the database takes it. Nothing is
// dropped: a fault of the database itself (every row refused) looks the same and heals the same way. Errors:
// only when even putting a row back fails (the database is unavailable), as `batch_error`; otherwise the
// number of rows completed (accepted or ignored).
Result<std::size_t> write_one_by_one(store::Writer& writer, const RecordStage* record_stage,
                                     std::vector<Outcome>& outcomes,
                                     const std::vector<store::EndpointRow>& endpoints, Millis now,
                                     const Error& batch_error, std::map<std::string, int>& attempts) {
  std::size_t completed = 0;
  for (auto& o : outcomes) {
    auto one = write_outcomes(writer, record_stage, {&o}, endpoints, now);
    if (!one && o.records && !o.records->ops.empty()) {
      // The fetched records may be what the database refuses: the event still goes out, with a warning.
      Outcome without = o;
      without.records.reset();
      without.inbox.warnings = RecordStage::merge_warnings(
          without.inbox.warnings, {"the fetched records could not be stored: " + one.error().message});
      if (auto retried = write_outcomes(writer, record_stage, {&without}, endpoints, now)) {
        spdlog::warn("processor: inbox {}: the fetched records could not be stored: {}", o.inbox.id,
                     one.error().message);
        one = std::move(retried);
      }
    }
    if (one) {
      ++completed;
      attempts.erase(o.inbox.id);
      continue;
    }
    if (one.error().kind == ErrorKind::kStorageUnavailable) return one.error();
    const int attempt = ++attempts[o.inbox.id];
    const Millis delay = std::min<Millis>(Millis{1000} << std::min(attempt - 1, 10), 10 * 60 * 1000);
    const std::string warnings = RecordStage::merge_warnings(
        o.inbox.warnings, {"could not be recorded (attempt " + std::to_string(attempt) +
                           "), tried again at " + format_iso8601(now + delay) + ": " + one.error().message});
    Status put_back = writer.run(
        [&](store::Connection& c) { return store::inbox::hold(c, o.inbox.id, now + delay, warnings); });
    if (!put_back) return batch_error;
    spdlog::error("processor: inbox {} could not be recorded (attempt {}), trying again in {} s: {}",
                  o.inbox.id, attempt, delay / 1000, one.error().message);
  }
  if (attempts.size() > 10000) attempts.clear();  // bounded; a row put back again starts its count anew
  return completed;
}

// The rows of one batch. On PostgreSQL several nodes may process the same inbox: each claims its rows for a
// while (a lease, taken over when a node dies) so that no row is processed by two at once, and extends the
// claim while the batch is being prepared. SQLite has one node and one processor, which reads the pending
// rows without claiming them.
class BatchClaim {
 public:
  explicit BatchClaim(store::Connection& conn)
      : conn_(conn), claims_(conn.backend() == store::Backend::kPostgres) {}

  Result<std::vector<store::InboxRow>> take(int batch_size, Millis now) {
    if (!claims_) return store::inbox::pending(conn_, batch_size);
    until_ = now + kClaimMs;
    auto rows = store::inbox::claim_pending(conn_, batch_size, now, until_);
    if (!rows) return rows.error();
    for (const auto& row : *rows)
      ids_.push_back(row.id);
    extended_at_ = std::chrono::steady_clock::now();
    return rows;
  }

  // Extends the claim when it is due for it; a failure is logged (the rows may then be taken over).
  void extend() {
    if (!claims_ || std::chrono::steady_clock::now() - extended_at_ < kExtendClaimEvery) return;
    const Millis until = now_ms() + kClaimMs;
    auto extended = store::inbox::extend_claim(conn_, ids_, until_, until);
    if (!extended) {
      spdlog::warn("processor: could not extend the claim on {} rows: {}", ids_.size(),
                   extended.error().message);
      return;
    }
    until_ = until;
    extended_at_ = std::chrono::steady_clock::now();
  }

 private:
  store::Connection& conn_;
  const bool claims_;
  std::vector<std::string> ids_;
  Millis until_ = 0;
  std::chrono::steady_clock::time_point extended_at_;
};

// What becomes of each row of a batch: an outcome to write, or held back until a time.
struct Decisions {
  std::vector<Outcome> outcomes;
  std::vector<std::pair<std::string, Millis>> held_back;  // rows waiting for related deliveries
};

// A delivery that related ones may make redundant waits for them (held back), then is ignored if one came.
// True when the row was settled so (held back or ignored); false when it is decided as usual.
Result<bool> settle_superseded(store::Connection& conn, const store::InboxRow& row,
                               const std::optional<store::IntegrationRow>& integration,
                               const connectors::Registry& registry, Millis now, Decisions& decisions) {
  if (!integration || !row.vendor_event || !row.delivery_id) return false;
  const connectors::Connector* connector = registry.find(integration->tool);
  if (connector == nullptr) return false;
  auto held = connector->superseded_by(*row.vendor_event, *row.delivery_id);
  if (!held || held->by_delivery_ids.empty()) return false;
  if (now < row.received_at + held->wait_ms) {
    decisions.held_back.emplace_back(row.id, row.received_at + held->wait_ms);
    return true;
  }
  auto superseded = store::inbox::has_delivery(conn, integration->id, held->by_delivery_ids);
  if (!superseded) return superseded.error();
  if (!*superseded) return false;
  Outcome& out = decisions.outcomes.emplace_back(Outcome{row, std::nullopt, std::nullopt});
  out.inbox.processed_at = now;
  out.inbox.outcome = store::InboxOutcome::kIgnored;
  out.inbox.reason = "relayed as part of a related delivery (" +
                     join_sorted({held->by_delivery_ids.begin(), held->by_delivery_ids.end()}) + ")";
  return true;
}

// The targeted fetch of an accepted row's records; the upstream log then shows the unified events as
// relayed, with the unified ids the fetch filled in.
void fetch_records(Outcome& o, const store::IntegrationRow& integration, const RecordStage& record_stage,
                   std::set<std::string>* unreachable, store::Connection& conn,
                   const FetchRound* round = nullptr) {
  o.records = record_stage.prepare(integration, o.event->payload, unreachable, &conn, &o.hints, round);
  if (auto sent = json::parse(o.event->payload)) {
    if (const auto* events = json::find(*sent, "data.events"))
      o.inbox.unified_events = json::serialize(*events);
  }
  if (!o.records->warnings.empty())
    o.inbox.warnings = RecordStage::merge_warnings(o.inbox.warnings, o.records->warnings);
}

using Integrations = std::map<std::string, std::optional<store::IntegrationRow>>;

// How long what a listing showed is kept for later rounds.
constexpr Millis kListedKeptMs = 5 * 60 * 1000;

// The records an integration's rows name (each once, in order), those of each row, the latest arrival of an
// event naming each, the rows' fetch hints, and the oldest row's arrival.
struct Wanted {
  std::vector<RecordKey> keys;
  std::map<std::size_t, std::vector<RecordKey>> by_row;  // by outcome index
  std::map<RecordKey, Millis> newest_event;
  FetchHints hints;
  Millis oldest = 0;
};

Wanted wanted_by(const Decisions& decisions, const std::vector<std::size_t>& indexes,
                 const store::IntegrationRow& integration, const RecordStage& record_stage, Millis now) {
  Wanted w;
  w.oldest = now;
  for (std::size_t i : indexes) {
    const Outcome& o = decisions.outcomes[i];
    const auto& row_keys = w.by_row[i] = record_stage.wanted(integration, o.event->payload);
    for (const auto& key : row_keys) {
      Millis& newest = w.newest_event[key];
      newest = std::max(newest, o.inbox.received_at);
      if (std::find(w.keys.begin(), w.keys.end(), key) == w.keys.end()) w.keys.push_back(key);
    }
    w.hints.insert(o.hints.begin(), o.hints.end());
    w.oldest = std::min(w.oldest, o.inbox.received_at);
  }
  return w;
}

// Planned fetches (RecordStageOptions::planned): per integration, the records its accepted rows name are read
// in one round — once each, a burst through the tool's listing. The rows naming a record the budget did not
// grant in time wait (held back) for a later round, all of them, so that the events of one record are still
// relayed in the order received; so do the rows of an integration that arrive while some of its rows are
// waiting (`waiting_until`, kept across batches). A row that has waited longer than
// `max_wait_ms` is relayed without the records it could not have, with a warning, and a delta sync catches
// up.
void plan_fetches(store::Connection& conn, Decisions& decisions, const Integrations& integrations, Millis now,
                  BatchClaim& claim, const RecordStage& record_stage, Millis max_wait_ms,
                  std::map<std::string, Millis>& waiting_until,
                  std::map<std::string, ListedRecords>& listed) {
  std::map<std::string, std::vector<std::size_t>> by_integration;  // accepted outcomes, in order
  for (std::size_t i = 0; i < decisions.outcomes.size(); ++i) {
    const Outcome& o = decisions.outcomes[i];
    if (o.event && o.inbox.integration_id) by_integration[*o.inbox.integration_id].push_back(i);
  }
  std::vector<bool> held(decisions.outcomes.size(), false);
  for (const auto& entry : by_integration) {
    // (Named, not a structured binding: the lambdas below capture them.)
    const std::string& iid = entry.first;
    const std::vector<std::size_t>& indexes = entry.second;
    const auto& integration = integrations.at(iid);
    if (!integration) continue;
    // Holds the rows `waits` picks, unless they have waited too long already.
    auto hold = [&](const std::function<bool(std::size_t)>& waits, Millis until) {
      for (std::size_t i : indexes) {
        const Outcome& o = decisions.outcomes[i];
        if (!waits(i) || o.inbox.received_at + max_wait_ms <= now) continue;
        held[i] = true;
        decisions.held_back.emplace_back(o.inbox.id, until);
      }
    };
    if (auto it = waiting_until.find(iid); it != waiting_until.end() && it->second > now) {
      hold([](std::size_t) { return true; }, it->second);
      continue;
    }
    Wanted w = wanted_by(decisions, indexes, *integration, record_stage, now);
    std::vector<RecordKey>& keys = w.keys;
    // Records an earlier round's listing showed after their events were received are current already.
    std::map<RecordKey, bj::object> known;
    if (auto it = listed.find(iid); it != listed.end()) {
      std::erase_if(keys, [&](const RecordKey& key) {
        auto hit = it->second.records.find(key);
        if (hit == it->second.records.end() || w.newest_event[key] >= it->second.at) return false;
        known.emplace(key, hit->second);
        return true;
      });
    }
    claim.extend();
    FetchRound round = record_stage.fetch_round(*integration, keys, w.oldest, &w.hints);
    claim.extend();
    for (auto& [key, record] : known)
      round.fetched.emplace(key, std::optional<bj::object>(std::move(record)));
    if (round.listed.at > 0) listed[iid] = std::move(round.listed);
    if (!round.deferred.empty()) {
      hold(
          [&](std::size_t i) {
            const auto& wants = w.by_row[i];
            return std::any_of(wants.begin(), wants.end(),
                               [&](const RecordKey& k) { return round.deferred.count(k) > 0; });
          },
          round.retry_at);
      waiting_until[iid] = round.retry_at;
    }
    for (std::size_t i : indexes)
      if (!held[i]) fetch_records(decisions.outcomes[i], *integration, record_stage, nullptr, conn, &round);
  }
  std::erase_if(waiting_until, [&](const auto& entry) { return entry.second <= now; });
  std::erase_if(listed, [&](const auto& entry) { return entry.second.at + kListedKeptMs <= now; });
  if (std::find(held.begin(), held.end(), true) == held.end()) return;
  std::vector<Outcome> kept;
  kept.reserve(decisions.outcomes.size());
  for (std::size_t i = 0; i < decisions.outcomes.size(); ++i)
    if (!held[i]) kept.push_back(std::move(decisions.outcomes[i]));
  decisions.outcomes = std::move(kept);
}

// Decides every row (each integration read once), fetching the records of accepted ones.
Result<Decisions> decide_batch(store::Connection& conn, const std::vector<store::InboxRow>& rows, Millis now,
                               BatchClaim& claim, const connectors::Registry& registry,
                               const RecordStage* record_stage, Millis max_wait_ms,
                               std::map<std::string, Millis>& waiting_until,
                               std::map<std::string, ListedRecords>& listed) {
  Decisions decisions;
  decisions.outcomes.reserve(rows.size());
  Integrations integrations;
  std::set<std::string> unreachable;  // integrations whose tool failed every fetch attempt in this batch
  const bool planned = record_stage != nullptr && record_stage->planned();
  for (const auto& row : rows) {
    std::string iid = row.integration_id.value_or("");
    auto it = integrations.find(iid);
    if (it == integrations.end()) {
      auto got = store::integrations::get(conn, iid, /*include_deleted=*/true);
      if (!got) return got.error();
      it = integrations.emplace(iid, std::move(*got)).first;
    }
    claim.extend();
    auto settled = settle_superseded(conn, row, it->second, registry, now, decisions);
    if (!settled) return settled.error();
    if (*settled) continue;
    Outcome& o = decisions.outcomes.emplace_back(decide(row, it->second, registry, now));
    if (record_stage != nullptr && !planned && o.event && it->second)
      fetch_records(o, *it->second, *record_stage, &unreachable, conn);
  }
  if (planned)
    plan_fetches(conn, decisions, integrations, now, claim, *record_stage, max_wait_ms, waiting_until,
                 listed);
  return decisions;
}

// Writes a batch's outcomes in one transaction; if the database refuses it, row by row. Returns the number
// of rows completed.
Result<std::size_t> write_batch(store::Writer& writer, const RecordStage* record_stage,
                                std::vector<Outcome>& outcomes,
                                const std::vector<store::EndpointRow>& endpoints, Millis now,
                                std::map<std::string, int>& attempts) {
  std::vector<const Outcome*> batch;
  batch.reserve(outcomes.size());
  for (const auto& o : outcomes)
    batch.push_back(&o);
  if (auto written = write_outcomes(writer, record_stage, batch, endpoints, now); !written) {
    // A database that refuses writes refuses every row: nothing is put back or marked, the batch is taken
    // again once it takes writes.
    if (written.error().kind == ErrorKind::kStorageUnavailable) return written.error();
    // One row the database refuses must not hold every row behind it: the rows are written one by one.
    return write_one_by_one(writer, record_stage, outcomes, endpoints, now, written.error(), attempts);
  }
  for (const auto& o : outcomes)
    attempts.erase(o.inbox.id);
  return outcomes.size();
}

}  // namespace

Processor::Processor(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
                     ProcessorOptions options)
    : pool_(pool), writer_(writer), registry_(registry), options_(options) {}

Processor::~Processor() {
  stop();
}

void Processor::start() {
  wakeup_.reset();
  thread_ = std::thread([this] { run(); });
}

void Processor::stop() {
  wakeup_.stop();
  if (thread_.joinable()) thread_.join();
}

void Processor::run() {
  // The 1 s timeout is a safety net only (e.g. rows written by another node); on one node every new row comes
  // with a notify().
  while (!wakeup_.stopped()) {
    auto handled = process_batch();
    if (!handled) {
      // Nothing of the batch was written: its rows are pending still and are taken again after the wait
      // (sooner if new rows are written, which shows that the database takes writes again).
      wakeup_.wait_until(std::chrono::steady_clock::now() + backoff_.failed(handled.error()));
      continue;
    }
    backoff_.succeeded();
    if (*handled >= static_cast<std::size_t>(options_.batch_size)) continue;  // more may be waiting
    wakeup_.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  // Drain what is already durable so a graceful stop leaves nothing half-way (a crash is covered by restart).
  for (int i = 0; i < 100; ++i) {
    auto handled = process_batch();
    if (!handled || *handled == 0) break;
  }
}

Result<std::size_t> Processor::process_batch() {
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  const Millis now = now_ms();
  BatchClaim claim(**lease);
  auto rows = claim.take(options_.batch_size, now);
  if (!rows) return rows.error();
  if (rows->empty()) return std::size_t{0};

  auto decisions = decide_batch(**lease, *rows, now, claim, registry_, record_stage_,
                                options_.max_fetch_wait_ms, waiting_until_, listed_);
  if (!decisions) return decisions.error();
  if (!decisions->held_back.empty()) {
    Status held = writer_.run([&](store::Connection& c) -> Status {
      for (const auto& [id, until] : decisions->held_back)
        if (auto s = store::inbox::hold(c, id, until); !s) return s;
      return {};
    });
    if (!held) return held.error();
    if (decisions->outcomes.empty()) return decisions->held_back.size();
  }
  auto endpoints = store::endpoints::list(**lease);
  if (!endpoints) return endpoints.error();
  auto completed =
      write_batch(writer_, record_stage_, decisions->outcomes, *endpoints, now, put_back_attempts_);
  if (!completed) return completed.error();
  for (const auto& o : decisions->outcomes) {
    if (o.inbox.outcome == store::InboxOutcome::kIgnored)
      spdlog::info("inbox {} ignored: {}", o.inbox.id, log_safe(o.inbox.reason.value_or("")));
  }
  processed_ += *completed;
  return decisions->outcomes.size();
}

}  // namespace tributary::processing
