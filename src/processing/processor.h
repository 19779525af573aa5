// The processor: turns received inbox rows into downstream events. For each row it applies the integration's
// scope config to the unified events the connector mapped, fetches the changed records through the
// RecordStage when one is set (filling each event's unified `id`, which is null without it), then — in ONE
// transaction — marks the inbox row done (accepted / ignored, with the reason) and writes
// `remote-event-received` (and `data-changed` for the records that changed) to the outbox with one delivery
// per enabled endpoint subscribed to the type. Woken when a commit notifies the inbox channel
// (store::kInboxChannel), on this node through the writer and on others through LISTEN; its own commits
// wake the dispatchers and sync runners the same way. At start-up it picks up every row still "received"
// (crash recovery). Thread-safety: start()/stop() from the owner; notify() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "connectors/registry.h"
#include "core/failure_backoff.h"
#include "core/wakeup.h"
#include "processing/record_stage.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::processing {

struct ProcessorOptions {
  int batch_size = 256;
  // Planned fetches: the longest an event waits for its records' fetch (its integration's API budget used
  // up); after it the event is relayed with a warning and a delta sync catches the records up.
  Millis max_fetch_wait_ms = 10 * 60 * 1000;
};

class Processor {
 public:
  Processor(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
            ProcessorOptions options = {});
  ~Processor();

  // Targeted fetch into the unified records (optional; without it events carry "id": null). Must outlive the
  // processor; set before start().
  void set_record_stage(const RecordStage* stage) { record_stage_ = stage; }

  void start();
  void stop();
  void notify() { wakeup_.notify(); }

  std::uint64_t processed() const { return processed_.load(); }

 private:
  void run();
  // Processes one batch; returns the number of rows handled.
  Result<std::size_t> process_batch();

  store::Pool& pool_;
  store::Writer& writer_;
  const connectors::Registry& registry_;
  ProcessorOptions options_;
  const RecordStage* record_stage_ = nullptr;
  Wakeup wakeup_;
  std::thread thread_;
  std::atomic<std::uint64_t> processed_{0};
  // Failed batches (the database refusing writes, above all): logged once per spell, retried with backoff.
  FailureBackoff backoff_{"processor", std::chrono::seconds(1), std::chrono::seconds(10)};
  std::map<std::string, int> put_back_attempts_;  // inbox rows the database refused, by id (processor thread)
  // Integrations whose rows wait for their API budget, and until when (processor thread): their newer rows
  // wait as long, so that events are relayed in the order received.
  std::map<std::string, Millis> waiting_until_;
  // The last burst listing of each integration, for the records it showed (processor thread).
  std::map<std::string, ListedRecords> listed_;
};

}  // namespace tributary::processing
