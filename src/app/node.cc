#include "app/node.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string_view>
#include <thread>

#include "api/api.h"
#include "api/auth.h"
#include "app/master_key.h"
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/sd_notify.h"
#include "core/secret_box.h"
#include "core/wakeup.h"
#include "core/work_pool.h"
#include "delivery/dispatcher.h"
#include "delivery/endpoint_health.h"
#include "http/client.h"
#include "http/router.h"
#include "http/server.h"
#include "ingress/ingress.h"
#include "pipeline/budgets.h"
#include "processing/processor.h"
#include "processing/record_stage.h"
#include "retention/pruner.h"
#include "store/api_keys_repo.h"
#include "store/checkpointer.h"
#include "store/inbox_repo.h"
#include "store/outbox_repo.h"
#include "store/pool.h"
#include "store/schema.h"
#include "store/settings_repo.h"
#include "store/syncs_repo.h"
#include "store/writer.h"
#include "subscriptions/reconciler.h"
#include "sync/sync_runner.h"
#include "web/web.h"

namespace tributary::app {

std::string default_master_key_file(const Config& config) {
  if (!config.master_key_file.empty()) return config.master_key_file;
  // A PostgreSQL URL has no directory to put the key beside: the working directory it is. (Nodes sharing one
  // database need the same key; they set `master_key` or point `master_key_file` at the same key.)
  const std::string_view db = config.database;
  if (db.substr(0, 11) == "postgres://" || db.substr(0, 13) == "postgresql://") return "master.key";
  auto parent = std::filesystem::path(config.database).parent_path();
  return (parent.empty() ? std::filesystem::path(".") : parent).append("master.key").string();
}

Status migrate(const Config& config) {
  auto db = store::open_database(config.database);
  if (!db) return db.error();
  auto conn = (*db)->connect();
  if (!conn) return conn.error();
  return store::migrate(**conn);
}

Result<std::string> create_api_key(const Config& config, const std::string& name) {
  auto db = store::open_database(config.database);
  if (!db) return db.error();
  auto conn = (*db)->connect();
  if (!conn) return conn.error();
  if (auto s = store::migrate(**conn); !s) return s.error();
  std::string key = api::new_api_key();
  store::api_keys::ApiKeyRow row{new_id("key"), name, api::hash_api_key(key), now_ms(), std::nullopt};
  if (auto s = store::api_keys::insert(**conn, row); !s) return s.error();
  return key;
}

struct Node::Impl {
  Config config;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Writer> writer;
  std::vector<store::Writer::Subscription> wakeups;  // ended before the writer goes
  std::unique_ptr<store::Checkpointer> checkpointer;
  std::unique_ptr<store::Pool> pool;
  // The integrations' API budgets; on PostgreSQL their windows are in the database, read and written through
  // a small pool of their own so that a busy read pool never holds up a grant.
  std::unique_ptr<store::Pool> budget_pool;
  std::unique_ptr<pipeline::Budgets> budgets;
  std::optional<SecretBox> secrets;
  std::unique_ptr<http::CurlClient> client;
  std::unique_ptr<ingress::Ingress> ingress;
  std::unique_ptr<processing::RecordStage> record_stage;  // outlives the processor that uses it
  std::unique_ptr<processing::Processor> processor;
  std::unique_ptr<delivery::Dispatcher> dispatcher;
  std::unique_ptr<subscriptions::Reconciler> reconciler;
  std::unique_ptr<sync::SyncRunner> sync_runner;
  std::unique_ptr<delivery::EndpointHealth> endpoint_health;
  std::unique_ptr<retention::Pruner> pruner;
  std::unique_ptr<api::Authenticator> auth;
  api::ApiContext api_ctx;
  http::Router router;
  // API and dashboard handlers run here, off the server's I/O threads (server.api_threads).
  std::unique_ptr<WorkPool> api_pool;
  std::unique_ptr<http::Server> server;
  std::atomic<bool> running{false};
  // Wake-ups from the other nodes on one PostgreSQL database (none on SQLite).
  std::unique_ptr<store::Listener> listener;
  std::thread listener_thread;
  Wakeup listener_stop;

  // The steps of Node::start, in order.
  Status open_store();
  Status open_client();
  void build_stages();
  void build_api(const Node& node);
  void build_server();
  void start_listener();
  void wake(std::string_view channel);
};

Node::Node(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
}

Node::~Node() {
  stop();
}

namespace {

// One process owns a SQLite database: whatever it had claimed before a crash is free again now. On
// PostgreSQL another node may be working on those claims right now; their leases expire instead.
Status release_claims_of_last_run(store::Connection& conn) {
  auto sending = store::deliveries::release_all_sending(conn, now_ms());
  if (!sending) return sending.error();
  if (*sending > 0)
    spdlog::info("recovered {} deliveries that were in flight when the last run stopped", *sending);
  // Likewise inbox rows the processor had claimed: processed again at once, not after the claim's lease.
  auto inbox = store::inbox::release_all_claims(conn);
  if (!inbox) return inbox.error();
  if (*inbox > 0) spdlog::info("recovered {} received requests that were being processed", *inbox);
  // Likewise a sync that was running: its lease ends now, so it is taken up again at once.
  auto syncs = store::syncs::release_all_running(conn);
  if (!syncs) return syncs.error();
  if (*syncs > 0) spdlog::info("resuming {} syncs that were running when the last run stopped", *syncs);
  return {};
}

bool is_ingress_path(std::string_view path) {
  return path.substr(0, ingress::kPathPrefix.size()) == ingress::kPathPrefix;
}

// server.max_connections as the file descriptors allow: the soft limit is raised to the hard one, and the
// connections keep clear of what the node needs besides (deliveries in flight, database connections, files).
std::size_t connection_limit(const Config& config) {
  auto configured = static_cast<std::size_t>(config.server.max_connections);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return configured;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  const std::size_t reserve =
      static_cast<std::size_t>(config.delivery.max_in_flight + config.database_pool_size) + 256;
  const std::size_t fds = lim.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(lim.rlim_cur);
  const std::size_t room = fds > reserve + 64 ? fds - reserve : 64;
  if (configured == 0 || configured > room) {
    spdlog::warn("server.max_connections {} lowered to {}: the process may open {} files", configured, room,
                 fds);
    return room;
  }
  return configured;
}

// What says the database refuses writes (disk full, read-only) and what that turned away.
void storage_metrics(std::ostream& os, const NodeStats& s) {
  os << "# HELP tributary_ingress_unavailable_total Verified upstream webhooks answered 503 because they "
        "could "
        "not be stored (never acknowledged)\n# TYPE tributary_ingress_unavailable_total counter\n"
     << "tributary_ingress_unavailable_total " << s.ingress_unavailable << '\n';
  os << "# HELP tributary_storage_errors_total Write batches the database refused (disk full, read-only, I/O "
        "error); their writers got 503\n# TYPE tributary_storage_errors_total counter\n"
     << "tributary_storage_errors_total " << s.storage_errors << '\n';
  os << "# HELP tributary_storage_unavailable 1 while the database refuses writes (from the first refused "
        "write until a probe write commits), else 0\n# TYPE tributary_storage_unavailable gauge\n"
     << "tributary_storage_unavailable " << (s.storage_failing ? 1 : 0) << '\n';
}

}  // namespace

// What a notified channel wakes on this node, whether this node's writer or another node committed it.
void Node::Impl::wake(std::string_view channel) {
  if (channel == store::kInboxChannel) processor->notify();
  if (channel == store::kOutboxChannel) dispatcher->notify();
  if (channel == store::kSyncChannel) sync_runner->notify();
  if (channel == store::kSubscriptionsChannel) ingress->invalidate();
  if (channel == store::kIntegrationsChannel) reconciler->notify();
}

Status Node::Impl::open_store() {
  auto opened = store::open_database(config.database);
  if (!opened) return opened.error();
  db = std::move(*opened);
  {
    auto conn = db->connect();
    if (!conn) return conn.error();
    if (auto s = store::migrate(**conn); !s) return s;
    if (auto s = store::check_schema(**conn); !s) return s;
    // Before any stage runs: a key that is not the database's stops the start here.
    auto box = open_master_key(config, **conn, db->describe());
    if (!box) return box.error();
    if (auto bound = bind_sealed_values(**conn, *box); !bound) return bound.error();
    secrets.emplace(std::move(*box));
    if (db->backend() == store::Backend::kSqlite)
      if (auto s = release_claims_of_last_run(**conn); !s) return s;
  }
  // Every node processes and delivers: a row written by one wakes the stages of all.
  auto listening =
      db->listen(std::vector<std::string>(std::begin(store::kAllChannels), std::end(store::kAllChannels)));
  if (!listening) return listening.error();
  listener = std::move(*listening);

  auto writer_conn = db->connect();
  if (!writer_conn) return writer_conn.error();
  // Checkpoints run on their own thread (Checkpointer), never inside the writer's commits.
  if (auto s = store::disable_auto_checkpoint(**writer_conn); !s) return s;
  store::WriterOptions writer_options;
  writer_options.max_log_queue = static_cast<std::size_t>(config.ingress.log_queue_max);
  // While the database refuses writes (disk full, read-only), a one-row write tells when it takes them again.
  writer_options.probe = [](store::Connection& c) {
    const Millis now = now_ms();
    return store::settings::put(c, store::settings::kStorageProbe, format_iso8601(now), now);
  };
  writer_options.reopen = [d = db.get()]() -> Result<std::unique_ptr<store::Connection>> {
    auto fresh = d->connect();
    if (!fresh) return fresh.error();
    if (auto s = store::disable_auto_checkpoint(**fresh); !s) return s.error();
    return std::move(*fresh);
  };
  writer = std::make_unique<store::Writer>(std::move(*writer_conn), writer_options);
  checkpointer = std::make_unique<store::Checkpointer>(*db);
  store::PoolOptions pool_options;
  pool_options.size = config.database_pool_size;
  pool = std::make_unique<store::Pool>(*db, pool_options);
  if (db->backend() == store::Backend::kPostgres) {
    store::PoolOptions budget_pool_options;
    budget_pool_options.size = 2;
    budget_pool = std::make_unique<store::Pool>(*db, budget_pool_options);
    budgets = std::make_unique<pipeline::Budgets>(*budget_pool);
  } else {
    budgets = std::make_unique<pipeline::Budgets>();
  }
  return {};
}

// One client for deliveries and for calls to the tools: both go to URLs an API caller chose, so both are held
// to the SSRF guard and its one allow list (delivery.allow_networks).
Status Node::Impl::open_client() {
  auto guard = http::NetworkGuard::create(config.delivery.allow_networks);
  if (!guard) return guard.error();
  http::CurlClientOptions client_options;
  client_options.guard = *guard;
  client_options.max_host_connections = config.delivery.per_endpoint_concurrency;
  client_options.max_total_connections = config.delivery.max_in_flight;
  client = std::make_unique<http::CurlClient>(client_options);
  return {};
}

void Node::Impl::build_stages() {
  const auto& registry = connectors::builtin_registry();
  ingress::IngressOptions ingress_options;
  ingress_options.per_address = {config.ingress.rate_per_address, config.ingress.burst_per_address};
  ingress_options.per_subscription = {config.ingress.rate_per_subscription,
                                      config.ingress.burst_per_subscription};
  ingress_options.logged_per_address_per_minute = config.ingress.rejected_logged_per_address;
  ingress_options.logged_per_minute = config.ingress.rejected_logged_per_minute;
  ingress = std::make_unique<ingress::Ingress>(*pool, *writer, registry, *secrets, ingress_options);
  processing::ProcessorOptions processor_options;
  processor_options.max_fetch_wait_ms =
      std::max<Millis>(processor_options.max_fetch_wait_ms, 4 * config.processing.fetch_target_delay_ms);
  processor = std::make_unique<processing::Processor>(*pool, *writer, registry, processor_options);
  if (config.processing.targeted_fetch) {
    // processing.fetch_retries: backoff doubling from 0.1 s (with three retries an event whose tool is down
    // is still relayed within a second), no attempt started after about 10 s.
    processing::RecordStageOptions fetch_options;
    fetch_options.fetch_attempts = 1 + config.processing.fetch_retries;
    fetch_options.backoff = std::chrono::milliseconds(100);
    fetch_options.retry_budget = std::chrono::milliseconds(10000);
    fetch_options.budgets = budgets.get();
    fetch_options.planned = config.processing.fetch_planned;
    fetch_options.target_delay = std::chrono::milliseconds(config.processing.fetch_target_delay_ms);
    record_stage = std::make_unique<processing::RecordStage>(registry, *secrets, *client, fetch_options);
    processor->set_record_stage(record_stage.get());
  }
  delivery::DispatcherOptions dopts;
  dopts.retry = config.retry;
  dopts.timeout = std::chrono::milliseconds(config.delivery.timeout_ms);
  dopts.max_in_flight = config.delivery.max_in_flight;
  dopts.per_endpoint_concurrency = config.delivery.per_endpoint_concurrency;
  dispatcher = std::make_unique<delivery::Dispatcher>(*pool, *writer, *client, *secrets, dopts);
  subscriptions::ReconcilerOptions ropts;
  ropts.public_url = config.effective_public_url();
  ropts.budgets = budgets.get();
  ropts.recheck_interval_ms = config.reconcile.interval_ms;
  reconciler =
      std::make_unique<subscriptions::Reconciler>(*pool, *writer, registry, *secrets, *client, ropts);
  sync::SyncRunnerOptions sync_options;
  sync_options.schedule = config.sync;
  sync_options.public_url = config.effective_public_url();
  sync_options.budgets = budgets.get();
  sync_runner = std::make_unique<sync::SyncRunner>(*pool, *writer, registry, *secrets, *client, sync_options);
  delivery::EndpointHealthOptions health_options;
  health_options.disable_after_ms = config.delivery.disable_after_ms;
  health_options.check_interval = delivery::health_check_interval(config.delivery.disable_after_ms);
  endpoint_health = std::make_unique<delivery::EndpointHealth>(*pool, *writer, health_options);
  retention::PrunerOptions prune_options;
  prune_options.max_age_ms = config.retention.max_age_ms;
  prune_options.batch_rows = config.retention.batch_rows;
  prune_options.pause = std::chrono::milliseconds(config.retention.pause_ms);
  prune_options.interval = retention::prune_interval(config.retention.max_age_ms);
  pruner = std::make_unique<retention::Pruner>(*pool, *writer, prune_options);

  // The stages wake each other through the store: this node's writer after each commit, the listener for
  // what other nodes commit. No polling delay on one node or across nodes.
  for (std::string_view channel : store::kAllChannels)
    wakeups.push_back(writer->subscribe(channel, [this, channel] { wake(channel); }));
}

void Node::Impl::build_api(const Node& node) {
  auth = std::make_unique<api::Authenticator>(*pool, config.api_key);
  api_ctx.config = &config;
  api_ctx.pool = pool.get();
  api_ctx.writer = writer.get();
  api_ctx.secrets = &*secrets;
  api_ctx.registry = &connectors::builtin_registry();
  api_ctx.budgets = budgets.get();
  api_ctx.auth = auth.get();
  api_ctx.reconcile_now = [r = reconciler.get()](const std::string& id) { return r->reconcile(id); };
  api_ctx.metrics_text = [&node] { return node.metrics_text(); };
  api_ctx.ready = [this] { return running.load(); };
  api_ctx.storage_failing = [this] { return writer && writer->storage_failing(); };
  api::add_routes(router, api_ctx);
  web::add_web_routes(router);
}

void Node::Impl::build_server() {
  http::ServerOptions sopts;
  sopts.host = config.listen_host();
  sopts.port = config.listen_port();
  sopts.shutdown_grace = std::chrono::milliseconds(config.shutdown_grace_ms);
  const std::size_t ingress_limit = static_cast<std::size_t>(config.ingress.max_body_bytes);
  sopts.max_body_bytes = 1024 * 1024;
  sopts.body_limit_for = [ingress_limit](std::string_view path) -> std::size_t {
    return is_ingress_path(path) ? ingress_limit : 0;
  };
  sopts.on_rejected = [i = ingress.get()](const http::Request& r, int status, std::string_view reason) {
    if (is_ingress_path(r.path)) i->log_rejected(r, status, reason);
  };
  sopts.header_timeout = std::chrono::milliseconds(config.server.header_timeout_ms);
  sopts.max_connections = connection_limit(config);
  sopts.max_connections_per_address = static_cast<std::size_t>(config.server.max_connections_per_address);
  // The API's key is checked on the header, so a request without one is refused before its body is read.
  sopts.screen = [this](const http::Request& header) { return api::screen_api_request(api_ctx, header); };
  sopts.threads = static_cast<int>(config.server.io_threads);
  api_pool = std::make_unique<WorkPool>("api", static_cast<int>(config.server.api_threads),
                                        static_cast<std::size_t>(config.server.api_queue));
  server = std::make_unique<http::Server>(sopts, [this](http::Request r, http::Responder respond) {
    // The ingress answers on the I/O thread: its work waits on nothing but the group-commit writer.
    if (is_ingress_path(r.path)) {
      ingress->handle(std::move(r), std::move(respond));
      return;
    }
    const bool queued = api_pool->post(
        [this, r = std::move(r), respond]() mutable { router.dispatch(std::move(r), std::move(respond)); });
    if (!queued) {
      auto busy = http::error_response(503, "BUSY", "Too many API requests in progress; retry shortly");
      busy.headers.emplace_back("Retry-After", "1");
      respond(std::move(busy));
    }
  });
}

// Wake-ups committed by the other nodes on one PostgreSQL database.
void Node::Impl::start_listener() {
  if (!listener) return;
  listener_stop.reset();
  listener_thread = std::thread([this] {
    bool failing = false;
    while (!listener_stop.stopped()) {
      auto got = listener->wait(std::chrono::milliseconds(500));
      if (!got) {
        // The stages still look for work every second meanwhile.
        if (!failing) spdlog::warn("listener: {}; retrying", got.error().message);
        failing = true;
        listener_stop.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(1));
        continue;
      }
      if (failing) spdlog::info("listener: listening again");
      failing = false;
      for (const auto& channel : *got)
        wake(channel);
    }
  });
}

Status Node::start() {
  Impl& m = *impl_;
  if (auto s = m.open_store(); !s) return s;
  if (auto s = m.open_client(); !s) return s;
  m.build_stages();
  m.build_api(*this);
  m.build_server();

  m.writer->start();
  if (auto s = m.checkpointer->start(); !s) return s;
  m.processor->start();
  m.dispatcher->start();
  m.reconciler->start();
  m.sync_runner->start();
  m.endpoint_health->start();
  m.pruner->start();
  m.start_listener();
  if (auto s = m.server->start(); !s) {
    stop();
    return s;
  }
  m.running = true;
  spdlog::info("tributary listening on {} (database {}, public URL {})", base_url(), m.db->describe(),
               m.config.effective_public_url());
  // Under systemd (Type=notify) the start completes here: the listener accepts, every stage runs.
  if (auto s = notify_service_manager("READY=1"); !s) spdlog::warn("service manager: {}", s.error().message);
  return {};
}

void Node::stop() {
  Impl& m = *impl_;
  if (m.running) (void)notify_service_manager("STOPPING=1");  // best effort: the manager sees the exit anyway
  m.running = false;
  if (m.server) m.server->stop();      // stop accepting; in-flight requests finish within the grace period
  if (m.api_pool) m.api_pool->stop();  // handlers still running finish; their answers go nowhere
  m.listener_stop.stop();
  if (m.listener_thread.joinable()) m.listener_thread.join();
  m.listener.reset();
  if (m.pruner) m.pruner->stop();  // a pass cut short goes on at the next start, where it stopped
  if (m.endpoint_health) m.endpoint_health->stop();
  if (m.reconciler) m.reconciler->stop();
  if (m.sync_runner) m.sync_runner->stop();  // a sync cut short resumes when its lease ends
  if (m.processor) m.processor->stop();      // drains durable inbox rows into the outbox
  if (m.dispatcher)
    m.dispatcher->stop(std::chrono::milliseconds(std::min<std::int64_t>(m.config.shutdown_grace_ms, 5000)));
  if (m.writer) m.writer->stop();  // flushes every queued write
  m.wakeups.clear();
  if (m.checkpointer) m.checkpointer->stop();
  m.server.reset();
  m.pruner.reset();
  m.endpoint_health.reset();
  m.reconciler.reset();
  m.sync_runner.reset();
  m.processor.reset();
  // The client goes before the dispatcher: requests still in flight complete ("client stopped") into the
  // dispatcher's queue, which must still exist. They stay claimed in the store and are sent again at next
  // start.
  m.client.reset();
  m.dispatcher.reset();
  m.ingress.reset();
  m.writer.reset();
  m.checkpointer.reset();
}

std::uint16_t Node::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

std::string Node::base_url() const {
  std::string host = impl_->config.listen_host();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  if (host == "0.0.0.0") host = "127.0.0.1";
  return "http://" + host + ":" + std::to_string(port());
}

NodeStats Node::stats() const {
  const Impl& m = *impl_;
  NodeStats s;
  if (m.ingress) {
    auto i = m.ingress->stats();
    s.ingress_accepted = i.accepted;
    s.ingress_duplicates = i.duplicates;
    s.ingress_rejected = i.rejected;
    s.ingress_limited_by_address = i.limited_by_address;
    s.ingress_limited_by_subscription = i.limited_by_subscription;
    s.ingress_unlogged_over_sample = i.unlogged_over_sample;
    s.ingress_unlogged_queue_full = i.unlogged_queue_full;
    s.ingress_unavailable = i.unavailable;
  }
  if (m.processor) s.processed = m.processor->processed();
  if (m.dispatcher) {
    auto d = m.dispatcher->stats();
    s.delivery_attempts = d.attempts;
    s.delivery_succeeded = d.succeeded;
  }
  if (m.writer) {
    s.writer_batches = m.writer->batches();
    s.writer_jobs = m.writer->jobs();
    s.writer_log_dropped = m.writer->log_dropped();
    s.storage_errors = m.writer->storage_errors();
    s.storage_failing = m.writer->storage_failing();
  }
  if (m.server) {
    auto h = m.server->stats();
    s.http_connections = h.open;
    s.http_connections_refused = h.refused;
    s.http_connections_evicted = h.evicted;
    s.http_screened = h.screened;
  }
  return s;
}

namespace {

// Per integration whose budget this node has used: calls made, 429s received, calls waiting and time
// paused, with the limit in force.
// The integrations' received requests not processed yet, read from the database (every node shows the same):
// how many, and how long the oldest has waited (0 when none). An integration with a budget and nothing
// waiting shows 0 for both.
void write_waiting_metrics(std::ostream& os, const std::vector<std::pair<std::string, BudgetStats>>& budgets,
                           const std::map<std::string, store::inbox::Waiting>& waiting, Millis now) {
  std::map<std::string, store::inbox::Waiting> all = waiting;
  for (const auto& [id, stats] : budgets)
    all.try_emplace(id);
  if (all.empty()) return;
  auto family = [&os, &all](const char* name, const char* help, auto value) {
    os << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n";
    for (const auto& [id, w] : all)
      os << name << "{integration=\"" << id << "\"} " << value(w) << '\n';
  };
  family("tributary_api_budget_fetches_waiting",
         "The integration's received requests not processed yet (the inbox; the same on every node)",
         [](const store::inbox::Waiting& w) { return w.count; });
  family("tributary_api_budget_oldest_wait_seconds",
         "How long the integration's oldest received request not processed yet has waited (0: none)",
         [now](const store::inbox::Waiting& w) {
           return w.oldest_received_at
                      ? static_cast<double>(std::max<Millis>(0, now - *w.oldest_received_at)) / 1000.0
                      : 0.0;
         });
}

void write_budget_metrics(std::ostream& os, const std::vector<std::pair<std::string, BudgetStats>>& all) {
  if (all.empty()) return;
  auto family = [&os, &all](const char* name, const char* type, const char* help, auto value) {
    os << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    for (const auto& [id, stats] : all)
      os << name << "{integration=\"" << id << "\"} " << value(stats) << '\n';
  };
  family("tributary_api_requests_total", "counter", "Calls this node made to the integration's tool",
         [](const BudgetStats& s) { return s.requests; });
  family("tributary_api_throttled_total", "counter",
         "429s (and 503s with Retry-After) the integration's tool answered this node",
         [](const BudgetStats& s) { return s.throttled; });
  family("tributary_api_budget_timeouts_total", "counter",
         "Calls not sent: no grant from the integration's API budget within their wait",
         [](const BudgetStats& s) { return s.timed_out; });
  family("tributary_api_budget_waiting", "gauge",
         "Calls waiting for a grant from the integration's API budget",
         [](const BudgetStats& s) { return s.waiting; });
  family("tributary_api_budget_in_use", "gauge", "Calls to the integration's tool in flight on this node",
         [](const BudgetStats& s) { return s.in_use; });
  family("tributary_api_budget_limit", "gauge",
         "Calls per window the integration's budget allows now (lower than declared after a 429)",
         [](const BudgetStats& s) { return s.effective_requests; });
  family("tributary_api_paused_seconds_total", "counter",
         "Time the integration's budget was paused at the tool's request (Retry-After, rate-limit headers)",
         [](const BudgetStats& s) { return static_cast<double>(s.paused_ms) / 1000.0; });
}

// The budgets' figures, then what waits in the inbox (from the database; left out when it cannot be read).
void write_budget_and_waiting_metrics(std::ostream& os,
                                      const std::vector<std::pair<std::string, BudgetStats>>& budgets,
                                      store::Pool* pool) {
  write_budget_metrics(os, budgets);
  if (pool == nullptr) return;
  auto lease = pool->acquire();
  auto waiting = lease ? store::inbox::waiting_by_integration(**lease)
                       : Result<std::map<std::string, store::inbox::Waiting>>(lease.error());
  if (waiting) {
    write_waiting_metrics(os, budgets, *waiting, now_ms());
  } else {
    spdlog::warn("metrics: the inbox's waiting requests: {}", waiting.error().message);
  }
}

}  // namespace

std::string Node::metrics_text() const {
  NodeStats s = stats();
  std::ostringstream os;
  auto counter = [&os](const char* name, const char* help, std::uint64_t v) {
    os << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n" << name << ' ' << v << '\n';
  };
  counter("tributary_ingress_accepted_total", "Upstream webhooks accepted (durably stored)",
          s.ingress_accepted);
  counter("tributary_ingress_duplicates_total", "Upstream redeliveries recognised and not forwarded",
          s.ingress_duplicates);
  counter("tributary_ingress_rejected_total", "Upstream requests rejected (401, 404, 400, 413, 429)",
          s.ingress_rejected);
  os << "# HELP tributary_ingress_rate_limited_total Upstream requests answered 429, by the limit reached\n"
        "# TYPE tributary_ingress_rate_limited_total counter\n"
     << "tributary_ingress_rate_limited_total{limit=\"address\"} " << s.ingress_limited_by_address << '\n'
     << "tributary_ingress_rate_limited_total{limit=\"subscription\"} " << s.ingress_limited_by_subscription
     << '\n';
  os << "# HELP tributary_ingress_unlogged_total Upstream requests answered unverified (rejected, "
        "handshakes) "
        "not written to the upstream log: over the sample, or the writer's log queue full\n"
        "# TYPE tributary_ingress_unlogged_total counter\n"
     << "tributary_ingress_unlogged_total{reason=\"sample\"} " << s.ingress_unlogged_over_sample << '\n'
     << "tributary_ingress_unlogged_total{reason=\"queue_full\"} " << s.ingress_unlogged_queue_full << '\n';
  storage_metrics(os, s);
  counter("tributary_processed_total", "Inbox rows processed", s.processed);
  counter("tributary_delivery_attempts_total", "Downstream delivery attempts", s.delivery_attempts);
  counter("tributary_delivery_succeeded_total", "Downstream delivery attempts answered 2xx",
          s.delivery_succeeded);
  counter("tributary_writer_batches_total", "Group-commit transactions", s.writer_batches);
  counter("tributary_writer_jobs_total", "Writes committed through the group-commit writer", s.writer_jobs);
  counter("tributary_writer_log_dropped_total",
          "Log-only writes dropped because the writer's log queue was full", s.writer_log_dropped);
  os << "# HELP tributary_http_connections Open HTTP connections\n# TYPE tributary_http_connections gauge\n"
     << "tributary_http_connections " << s.http_connections << '\n';
  counter("tributary_http_connections_refused_total",
          "Connections refused over server.max_connections[_per_address] (503, closed)",
          s.http_connections_refused);
  counter("tributary_http_connections_evicted_total",
          "Waiting connections (idle, or still sending their header) closed to make room for new ones",
          s.http_connections_evicted);
  counter("tributary_http_screened_total", "API requests refused on their header (no valid API key)",
          s.http_screened);
  if (impl_->sync_runner) {
    const auto syncs = impl_->sync_runner->stats();
    counter("tributary_syncs_finished_total", "Syncs run to the end by this node", syncs.finished);
    counter("tributary_sync_records_total", "Records listed by this node's syncs", syncs.records);
  }
  if (impl_->pruner) {
    const auto pruned = impl_->pruner->stats();
    counter("tributary_retention_bodies_pruned_total",
            "Upstream request bodies and headers removed by retention (this node)", pruned.bodies);
    counter("tributary_retention_attempts_pruned_total", "Delivery attempts removed by retention (this node)",
            pruned.attempts);
  }
  if (impl_->endpoint_health) {
    counter("tributary_endpoints_auto_disabled_total",
            "Endpoints this node disabled after their deliveries failed for delivery.disable_after",
            impl_->endpoint_health->disabled());
  }
  if (impl_->pool) {
    const auto pool = impl_->pool->stats();
    os << "# HELP tributary_db_pool_connections Read-pool database connections of this node\n# TYPE "
          "tributary_db_pool_connections gauge\n"
       << "tributary_db_pool_connections{state=\"in_use\"} " << pool.in_use << '\n'
       << "tributary_db_pool_connections{state=\"idle\"} " << pool.open - pool.in_use << '\n';
    counter("tributary_db_pool_waits_total", "Acquires that waited for a connection (all were in use)",
            pool.waits);
    counter("tributary_db_pool_timeouts_total", "Acquires that gave up after waiting (database_pool_size)",
            pool.timeouts);
  }
  if (impl_->budgets) write_budget_and_waiting_metrics(os, impl_->budgets->all(), impl_->pool.get());
  if (impl_->dispatcher) {
    os << "# HELP tributary_delivery_in_flight Downstream requests in flight\n# TYPE "
          "tributary_delivery_in_flight gauge\n"
       << "tributary_delivery_in_flight " << impl_->dispatcher->in_flight() << '\n';
  }
  return os.str();
}

}  // namespace tributary::app
