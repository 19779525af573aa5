// A Tributary node: every stage of the relay wired together in one process — HTTP server (API + ingress), the
// group-commit writer, processor, dispatcher and reconciler — on one database. `tributary serve` runs one;
// the demo and the end-to-end tests run one in-process. Start order: store, writer, stages, then the server;
// stop() reverses it: stop accepting and finish requests in flight (bounded), stop the stages (the processor
// drains what is durable), then flush the writer. Thread-safety: start()/stop() from one owning thread.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/result.h"

namespace tributary::app {

struct NodeStats {
  std::uint64_t ingress_accepted = 0;
  std::uint64_t ingress_duplicates = 0;
  std::uint64_t ingress_rejected = 0;
  std::uint64_t ingress_limited_by_address = 0;
  std::uint64_t ingress_limited_by_subscription = 0;
  std::uint64_t ingress_unlogged_over_sample = 0;
  std::uint64_t ingress_unlogged_queue_full = 0;
  std::uint64_t ingress_unavailable = 0;  // verified requests answered 503: they could not be stored
  std::uint64_t processed = 0;
  std::uint64_t delivery_attempts = 0;
  std::uint64_t delivery_succeeded = 0;
  std::uint64_t writer_batches = 0;
  std::uint64_t writer_jobs = 0;
  std::uint64_t writer_log_dropped = 0;
  std::uint64_t storage_errors = 0;  // write batches the database refused (disk full, read-only)
  bool storage_failing = false;      // the database refuses writes now
  std::uint64_t http_connections = 0;
  std::uint64_t http_connections_refused = 0;
  std::uint64_t http_connections_evicted = 0;
  std::uint64_t http_screened = 0;
};

class Node {
 public:
  explicit Node(Config config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Status start();
  void stop();
  std::uint16_t port() const;
  std::string base_url() const;  // http://host:port
  NodeStats stats() const;
  std::string metrics_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Opens the database named by the config and applies migrations (`tributary migrate`).
Status migrate(const Config& config);
// Creates an API key, prints nothing; returns the plaintext key (`tributary keys create`).
Result<std::string> create_api_key(const Config& config, const std::string& name);

// The master key file used when `master_key` is not configured: beside the SQLite database; for PostgreSQL,
// master.key in the working directory.
std::string default_master_key_file(const Config& config);

}  // namespace tributary::app
