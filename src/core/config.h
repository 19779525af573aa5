// Tributary's configuration: a TOML file (optional) with every key overridable by an environment variable
// named TRIBUTARY_<KEY> (dots become underscores, upper case: retry.base_ms → TRIBUTARY_RETRY_BASE_MS).
// Loaded once at start-up; a bad value fails fast with a message naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace tributary {

struct RetryConfig {
  std::int64_t base_ms = 30000;
  double factor = 5.0;
  int max_retries = 5;
  double jitter = 0.2;
};

struct DeliveryConfig {
  std::int64_t timeout_ms = 15000;
  std::vector<std::string> allow_networks;  // CIDRs exempt from the SSRF guard
  int max_in_flight = 512;                  // deliveries in flight at once, all endpoints
  int per_endpoint_concurrency = 64;        // deliveries in flight at once to one endpoint
  // An endpoint whose every attempt has failed for this long (since its last success) is disabled, and the
  // operator's other endpoints get an endpoint-disabled event. 0: never.
  std::int64_t disable_after_ms = 5LL * 24 * 3600 * 1000;
};

struct RetentionConfig {
  // How long raw upstream request bodies and headers, and delivery attempts, are kept; 0: forever. Events,
  // records and the rows linking them stay. `retention.days`, or `retention.seconds` (tests, benchmarks).
  std::int64_t max_age_ms = 30LL * 24 * 3600 * 1000;
  int batch_rows = 500;        // rows changed per transaction while pruning
  std::int64_t pause_ms = 50;  // between two batches, so that pruning never holds the writer for long
};

struct IngressConfig {
  std::int64_t max_body_bytes = 1048576;
  // Token buckets (requests per second, and the burst a full bucket allows) for the requests one source
  // address (IPv6: its /64) sends to the ingress, and for the verified requests of one subscription; over
  // them the answer is 429 with Retry-After. 0 turns a limit off. Generous: real tools never reach them.
  double rate_per_address = 1000;
  double burst_per_address = 10000;
  double rate_per_subscription = 200;
  double burst_per_subscription = 5000;
  // Rejected requests (unknown URL, bad signature, over a limit, …) and handshakes are written to the
  // upstream log at most this many per minute from one source address, and in total; the rest are counted
  // (tributary_ingress_rejected_unlogged_total) but not stored.
  std::int64_t rejected_logged_per_address = 10;
  std::int64_t rejected_logged_per_minute = 120;
  // Those log writes wait in a queue of their own in the group-commit writer, this long at most; more are
  // dropped and counted. Writes that acknowledge a webhook are never dropped.
  std::int64_t log_queue_max = 10000;
};

// The HTTP listener that serves the API and the ingress.
struct ServerConfig {
  // Open connections at most, in total and from one source address (IPv6: its /64); 0 = no limit. Over a
  // limit the connection that has waited longest without sending a request (idle keep-alive, or still
  // sending its header) is closed to make room; when none is, the new one gets 503 and is closed.
  std::int64_t max_connections = 10000;
  std::int64_t max_connections_per_address = 256;
  // A request's header must be in within this long of the connection's start (or of the request's first
  // byte on a kept-alive connection); the whole request within 30 s.
  std::int64_t header_timeout_ms = 10000;
  // Threads reading and writing connections (the ingress answers on them), and threads running API and
  // dashboard handlers, which wait on the database and on the tools (creating an integration, "reconcile
  // now") and so never run on the I/O threads. API requests beyond api_threads running and api_queue waiting
  // are answered 503 at once.
  std::int64_t io_threads = 2;
  std::int64_t api_threads = 8;
  std::int64_t api_queue = 256;
};

struct ProcessingConfig {
  // Fetch the changed record from the tool before relaying an event (so `updated_after` already returns it).
  // Off: events are relayed at once with "id": null and no record is stored — notifications only.
  bool targeted_fetch = true;
  // Retries of a failed targeted fetch (backoff doubling from 0.1 s, every attempt within about 10 s); after
  // the last one the event is relayed with a warning and a delta sync is queued for the integration.
  int fetch_retries = 3;
  // How long the records of a burst may wait for their fetches: when an integration has more records waiting
  // than its API budget fetches within this time, they are read through the tool's incremental listing
  // instead (where it has one), a page of many records per request.
  std::int64_t fetch_target_delay_ms = 30 * 1000;
  // "planned": the records waiting in a batch are fetched once each (events of one record share a fetch),
  // bursts are read as listings, and a budget that is used up holds the integration's events back instead of
  // the processor. "per_event": every event fetches its own records as they come, waiting for the budget in
  // line — the behaviour before planning, kept as the reference the burst benchmark measures against.
  bool fetch_planned = true;
};

struct SyncConfig {
  // Seconds between scheduled full syncs of an integration whose upstream webhooks cover every scoped model,
  // and of one whose don't (or that has them off). An integration's `sync.interval_seconds` overrides both.
  std::int64_t interval_with_webhooks = 3 * 3600;
  std::int64_t interval_without_webhooks = 600;
  // Mass-deletion guard: a FULL sync does not mark a model's records deleted when its listing is empty while
  // records are stored, or when it would delete more than this share (percent) of them — at least
  // kMassDeletionMinimum records — in one go; the operator confirms instead. 100 keeps only the empty rule.
  std::int64_t max_deletion_percent = 20;
};

// The reconciler's re-check of every integration's subscriptions at the tools (re-creating one deleted there,
// turning one `failed` when the credentials stop working), besides the one at start-up and on every change.
struct ReconcileConfig {
  std::int64_t interval_ms = 3600 * 1000;
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string public_url;  // default: http://<listen>
  std::string database = "./var/tributary.db";
  // Connections this node's read pool opens at most (the group-commit writer and the PostgreSQL listener
  // have one each besides); an acquire waits up to 5 s for one to come back, then the work fails and is
  // retried.
  int database_pool_size = 16;
  std::string api_key;     // optional bootstrap API key
  std::string master_key;  // base64 of 32 bytes; default: a key file beside the database
  std::string master_key_file;
  std::string log_level = "info";
  std::int64_t shutdown_grace_ms = 10000;
  RetryConfig retry;
  DeliveryConfig delivery;
  IngressConfig ingress;
  ServerConfig server;
  ProcessingConfig processing;
  SyncConfig sync;
  RetentionConfig retention;
  ReconcileConfig reconcile;

  // Host and port parsed from `listen`.
  std::string listen_host() const;
  std::uint16_t listen_port() const;
  std::string effective_public_url() const;
};

// Reads `path` (when not empty), then the environment. `env` is injectable for tests; empty = real environ.
Result<Config> load_config(const std::string& path, const std::map<std::string, std::string>* env = nullptr);

// Every key the loader knows, for documentation and `tributary serve --help`.
std::vector<std::string> config_keys();

}  // namespace tributary
