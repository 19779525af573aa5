// The processor: turns received inbox rows into downstream events. For each row it applies the integration's
// scope config to the unified events the connector mapped, then — in ONE transaction — marks the inbox row
// done (accepted / ignored, with the reason) and writes `remote-event-received` to the outbox with one
// delivery per enabled endpoint subscribed to the type. Woken when the ingress's group commit notifies the
// inbox channel (store::kInboxChannel; it wakes the dispatcher and the sync runner the same way); at start-up it picks up every row still "received" (crash recovery). The seam for record fetching
// (targeted fetch, `data-changed`) is RecordStage: the data-store work plugs in there; until then events
// carry "id": null. Thread-safety: start()/stop() from the owner; notify() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "connectors/registry.h"
#include "core/wakeup.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::processing {

class RecordStage;

struct ProcessorOptions {
  int batch_size = 256;
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
  std::map<std::string, int> put_back_attempts_;  // inbox rows the database refused, by id (processor thread)
};

}  // namespace tributary::processing
