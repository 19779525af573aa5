#include "store/schema.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace tributary::store {
namespace {

// Portable SQL where it can be; times are unix milliseconds (INTEGER on SQLite, BIGINT on PostgreSQL); JSON
// documents are TEXT; request bodies and sealed secrets are BLOB / BYTEA. `seq` columns give a stable order
// and cursor for lists. Migration n of one list is migration n of the other: the same tables, columns and
// indexes, in each backend's types.
constexpr std::array<std::string_view, 9> kSqliteMigrations = {
    R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  tool TEXT NOT NULL,
  category TEXT NOT NULL,
  end_user TEXT NOT NULL,
  credentials BLOB NOT NULL,
  remote_base_url TEXT,
  scope TEXT NOT NULL,
  sync TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  reconcile_due_at INTEGER,
  last_event_at INTEGER
);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  ingress_token TEXT NOT NULL UNIQUE,
  mode TEXT NOT NULL,
  status TEXT NOT NULL,
  event_types TEXT NOT NULL,
  secret BLOB,
  previous_secret BLOB,
  previous_secret_until INTEGER,
  remote_id TEXT,
  last_error TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_integration ON subscriptions(integration_id);

CREATE TABLE inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,
  integration_id TEXT,
  subscription_id TEXT,
  tool TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB,
  body_size INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  verification TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  vendor_event TEXT,
  delivery_id TEXT,
  dedupe_key TEXT,
  unified_events TEXT,
  warnings TEXT,
  event_ids TEXT,
  processed_at INTEGER
);
CREATE UNIQUE INDEX inbox_dedupe ON inbox(integration_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX inbox_pending ON inbox(seq) WHERE outcome = 'received';
CREATE INDEX inbox_integration ON inbox(integration_id, seq);

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  secret BLOB NOT NULL,
  previous_secret BLOB,
  previous_secret_until INTEGER,
  disabled_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  integration_id TEXT,
  inbox_id TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_inbox ON events(inbox_id);
CREATE INDEX events_integration ON events(integration_id, seq);

CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries(endpoint_id, status, next_attempt_at);
CREATE INDEX deliveries_event ON deliveries(event_id);

CREATE TABLE attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  attempted_at INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms REAL,
  response_excerpt TEXT,
  error TEXT,
  next_retry_at INTEGER
);
CREATE INDEX attempts_delivery ON attempts(delivery_seq);
CREATE INDEX attempts_endpoint ON attempts(endpoint_id, attempted_at);
)sql",
    // 2: a lease on inbox rows, so that on several nodes each received request is processed by one at a time.
    R"sql(
ALTER TABLE inbox ADD COLUMN claimed_until INTEGER;
)sql",
    // 3: unified records (the data behind the events), read through the Kombo-compatible API.
    R"sql(
CREATE TABLE records (
  integration_id TEXT NOT NULL,
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  remote_id TEXT NOT NULL,
  data TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  remote_deleted_at INTEGER,
  seq INTEGER NOT NULL,
  PRIMARY KEY (integration_id, model, remote_id)
);
CREATE UNIQUE INDEX records_seq_unique ON records(seq);
CREATE INDEX records_id ON records(id);
CREATE INDEX records_changed ON records(integration_id, model, changed_at, seq);
)sql",
    // 4: syncs (full and delta listings of an integration's scoped models) and each integration's sync
    // schedule. The partial unique indexes are the invariants: at most one QUEUED and at most one RUNNING
    // sync per integration, whichever node queues or claims.
    R"sql(
CREATE TABLE syncs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  integration_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  created INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  claimed_by TEXT,
  claimed_until INTEGER
);
CREATE UNIQUE INDEX syncs_one_queued ON syncs(integration_id) WHERE state = 'QUEUED';
CREATE UNIQUE INDEX syncs_one_running ON syncs(integration_id) WHERE state = 'RUNNING';
CREATE INDEX syncs_integration ON syncs(integration_id, seq);
CREATE INDEX syncs_state ON syncs(state, queued_at);
ALTER TABLE integrations ADD COLUMN next_sync_at INTEGER;
ALTER TABLE integrations ADD COLUMN first_sync_succeeded_at INTEGER;
-- Integrations that exist already are due for their first sync at once.
UPDATE integrations SET next_sync_at = 0 WHERE deleted_at IS NULL;
)sql",
    // 5: the tool's authorization host, where it is not the API host (Greenhouse: auth.greenhouse.io); syncs
    // that apply held deletions.
    R"sql(
ALTER TABLE integrations ADD COLUMN remote_auth_url TEXT;
-- 1: a FULL sync the operator queued to apply deletions the mass-deletion guard held back.
ALTER TABLE syncs ADD COLUMN confirm_deletions INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6: values the nodes of one database agree on; the first is the master key's check value, by which a
    // node started with another key than the database's is refused.
    R"sql(
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql",
    // 7: retention and endpoint health. A pruned inbox row keeps its metadata and links but not its body and
    // headers (pruned_at says when they went); old rows and attempts are found through their time. An
    // endpoint remembers since when every attempt failed (failing_since), when it was disabled, and the range
    // of events an automatic disabling left undelivered (missed_since, up to missed_until: its re-enabling).
    R"sql(
ALTER TABLE inbox ADD COLUMN pruned_at INTEGER;
CREATE INDEX inbox_unpruned ON inbox(received_at) WHERE pruned_at IS NULL;
CREATE INDEX attempts_time ON attempts(attempted_at);
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;
ALTER TABLE endpoints ADD COLUMN disabled_at INTEGER;
ALTER TABLE endpoints ADD COLUMN missed_since INTEGER;
ALTER TABLE endpoints ADD COLUMN missed_until INTEGER;
)sql",
    // 8: API budgets. An integration's own API limits (rate_limit, JSON; unset: the connector's declared
    // ones), and the budgets' shared windows on PostgreSQL: the grants inside each integration's window and
    // until when the tool asked to be left alone (store/api_budgets_repo.h). SQLite (one node) keeps its
    // windows in memory; the tables exist there too, so both schemas stay alike.
    R"sql(
ALTER TABLE integrations ADD COLUMN rate_limit TEXT;
CREATE TABLE api_budgets (
  integration_id TEXT PRIMARY KEY,
  paused_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_budget_grants (
  integration_id TEXT NOT NULL,
  granted_at INTEGER NOT NULL
);
CREATE INDEX api_budget_grants_window ON api_budget_grants(integration_id, granted_at);
)sql",
    // 9: integration states, as Kombo names them: disabled by the operator (INACTIVE) and credentials the
    // tool rejected (INVALID, since invalid_since); neither set is ACTIVE (store/integrations_repo.h).
    R"sql(
ALTER TABLE integrations ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE integrations ADD COLUMN invalid_since INTEGER;
)sql",
};

constexpr std::array<std::string_view, 9> kPostgresMigrations = {
    R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE integrations (
  id TEXT PRIMARY KEY,
  tool TEXT NOT NULL,
  category TEXT NOT NULL,
  end_user TEXT NOT NULL,
  credentials BYTEA NOT NULL,
  remote_base_url TEXT,
  scope TEXT NOT NULL,
  sync TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT,
  reconcile_due_at BIGINT,
  last_event_at BIGINT
);

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  ingress_token TEXT NOT NULL UNIQUE,
  mode TEXT NOT NULL,
  status TEXT NOT NULL,
  event_types TEXT NOT NULL,
  secret BYTEA,
  previous_secret BYTEA,
  previous_secret_until BIGINT,
  remote_id TEXT,
  last_error TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_integration ON subscriptions(integration_id);

CREATE TABLE inbox (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  received_at BIGINT NOT NULL,
  integration_id TEXT,
  subscription_id TEXT,
  tool TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BYTEA,
  body_size BIGINT NOT NULL,
  http_status INTEGER NOT NULL,
  verification TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  vendor_event TEXT,
  delivery_id TEXT,
  dedupe_key TEXT,
  unified_events TEXT,
  warnings TEXT,
  event_ids TEXT,
  processed_at BIGINT
);
CREATE UNIQUE INDEX inbox_dedupe ON inbox(integration_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX inbox_pending ON inbox(seq) WHERE outcome = 'received';
CREATE INDEX inbox_integration ON inbox(integration_id, seq);

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  secret BYTEA NOT NULL,
  previous_secret BYTEA,
  previous_secret_until BIGINT,
  disabled_reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  integration_id TEXT,
  inbox_id TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_inbox ON events(inbox_id);
CREATE INDEX events_integration ON events(integration_id, seq);

CREATE TABLE deliveries (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  last_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries(endpoint_id, status, next_attempt_at);
CREATE INDEX deliveries_event ON deliveries(event_id);

CREATE TABLE attempts (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_seq BIGINT NOT NULL REFERENCES deliveries(seq) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  attempted_at BIGINT NOT NULL,
  status_code INTEGER,
  latency_ms DOUBLE PRECISION,
  response_excerpt TEXT,
  error TEXT,
  next_retry_at BIGINT
);
CREATE INDEX attempts_delivery ON attempts(delivery_seq);
CREATE INDEX attempts_endpoint ON attempts(endpoint_id, attempted_at);
)sql",
    // 2: a lease on inbox rows, so that on several nodes each received request is processed by one at a time.
    R"sql(
ALTER TABLE inbox ADD COLUMN claimed_until BIGINT;
)sql",
    // 3: unified records (the data behind the events), read through the Kombo-compatible API.
    R"sql(
CREATE SEQUENCE records_seq;
CREATE TABLE records (
  integration_id TEXT NOT NULL,
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  remote_id TEXT NOT NULL,
  data TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  changed_at BIGINT NOT NULL,
  remote_deleted_at BIGINT,
  seq BIGINT NOT NULL,
  PRIMARY KEY (integration_id, model, remote_id)
);
CREATE UNIQUE INDEX records_seq_unique ON records(seq);
CREATE INDEX records_id ON records(id);
CREATE INDEX records_changed ON records(integration_id, model, changed_at, seq);
)sql",
    // 4: syncs (full and delta listings of an integration's scoped models) and each integration's sync
    // schedule. The partial unique indexes are the invariants: at most one QUEUED and at most one RUNNING
    // sync per integration, whichever node queues or claims.
    R"sql(
CREATE TABLE syncs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  integration_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  queued_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT,
  created BIGINT NOT NULL DEFAULT 0,
  updated BIGINT NOT NULL DEFAULT 0,
  deleted BIGINT NOT NULL DEFAULT 0,
  unchanged BIGINT NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  claimed_by TEXT,
  claimed_until BIGINT
);
CREATE UNIQUE INDEX syncs_one_queued ON syncs(integration_id) WHERE state = 'QUEUED';
CREATE UNIQUE INDEX syncs_one_running ON syncs(integration_id) WHERE state = 'RUNNING';
CREATE INDEX syncs_integration ON syncs(integration_id, seq);
CREATE INDEX syncs_state ON syncs(state, queued_at);
ALTER TABLE integrations ADD COLUMN next_sync_at BIGINT;
ALTER TABLE integrations ADD COLUMN first_sync_succeeded_at BIGINT;
-- Integrations that exist already are due for their first sync at once.
UPDATE integrations SET next_sync_at = 0 WHERE deleted_at IS NULL;
)sql",
    // 5: the tool's authorization host, where it is not the API host (Greenhouse: auth.greenhouse.io); syncs
    // that apply held deletions.
    R"sql(
ALTER TABLE integrations ADD COLUMN remote_auth_url TEXT;
-- 1: a FULL sync the operator queued to apply deletions the mass-deletion guard held back.
ALTER TABLE syncs ADD COLUMN confirm_deletions INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6: values the nodes of one database agree on; the first is the master key's check value, by which a
    // node started with another key than the database's is refused.
    R"sql(
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql",
    // 7: retention and endpoint health. A pruned inbox row keeps its metadata and links but not its body and
    // headers (pruned_at says when they went); old rows and attempts are found through their time. An
    // endpoint remembers since when every attempt failed (failing_since), when it was disabled, and the range
    // of events an automatic disabling left undelivered (missed_since, up to missed_until: its re-enabling).
    R"sql(
ALTER TABLE inbox ADD COLUMN pruned_at BIGINT;
CREATE INDEX inbox_unpruned ON inbox(received_at) WHERE pruned_at IS NULL;
CREATE INDEX attempts_time ON attempts(attempted_at);
ALTER TABLE endpoints ADD COLUMN failing_since BIGINT;
ALTER TABLE endpoints ADD COLUMN disabled_at BIGINT;
ALTER TABLE endpoints ADD COLUMN missed_since BIGINT;
ALTER TABLE endpoints ADD COLUMN missed_until BIGINT;
)sql",
    // 8: API budgets. An integration's own API limits (rate_limit, JSON; unset: the connector's declared
    // ones), and the budgets' shared windows on PostgreSQL: the grants inside each integration's window and
    // until when the tool asked to be left alone (store/api_budgets_repo.h). SQLite (one node) keeps its
    // windows in memory; the tables exist there too, so both schemas stay alike.
    R"sql(
ALTER TABLE integrations ADD COLUMN rate_limit TEXT;
CREATE TABLE api_budgets (
  integration_id TEXT PRIMARY KEY,
  paused_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE api_budget_grants (
  integration_id TEXT NOT NULL,
  granted_at BIGINT NOT NULL
);
CREATE INDEX api_budget_grants_window ON api_budget_grants(integration_id, granted_at);
)sql",
    // 9: integration states, as Kombo names them: disabled by the operator (INACTIVE) and credentials the
    // tool rejected (INVALID, since invalid_since); neither set is ACTIVE (store/integrations_repo.h).
    R"sql(
ALTER TABLE integrations ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE integrations ADD COLUMN invalid_since BIGINT;
)sql",
};

static_assert(kSqliteMigrations.size() == kPostgresMigrations.size(),
              "every schema version exists for both backends");

// Held while migrating on PostgreSQL, so that nodes starting together do not create the same tables at once.
// Any constant does; this one spells "tributar".
constexpr std::int64_t kMigrationLockKey = 0x7472696275746172;

std::vector<std::string_view> migrations_for(Backend backend) {
  if (backend == Backend::kPostgres) return {kPostgresMigrations.begin(), kPostgresMigrations.end()};
  return {kSqliteMigrations.begin(), kSqliteMigrations.end()};
}

}  // namespace

int latest_schema_version() {
  return static_cast<int>(kSqliteMigrations.size());
}

Result<int> current_schema_version(Connection& conn) {
  // applied_at is unix milliseconds: BIGINT on PostgreSQL, where INTEGER is 32 bits.
  const std::string_view create =
      conn.backend() == Backend::kPostgres
          ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at BIGINT NOT NULL)"
          : "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at INTEGER NOT NULL)";
  if (auto s = conn.exec_script(create); !s) return s.error();
  auto rows = conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!rows) return rows.error();
  return static_cast<int>(rows->at(0).int64(0));
}

namespace {

Status apply_migrations(Connection& conn) {
  auto version = current_schema_version(conn);
  if (!version) return version.error();
  const auto& list = migrations_for(conn.backend());
  if (*version > static_cast<int>(list.size())) {
    return make_error(ErrorKind::kInternal, "database schema version " + std::to_string(*version) +
                                                " is newer than this binary knows (" +
                                                std::to_string(list.size()) + "): upgrade tributary");
  }
  for (int v = *version; v < static_cast<int>(list.size()); ++v) {
    Status s = in_transaction(conn, [&]() -> Status {
      if (auto r = conn.exec_script(list[static_cast<std::size_t>(v)]); !r) return r;
      auto ins = conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                              {std::int64_t{v + 1}, now_ms()});
      if (!ins) return ins.error();
      return {};
    });
    if (!s)
      return make_error(s.error().kind, "migration " + std::to_string(v + 1) + ": " + s.error().message);
  }
  return {};
}

}  // namespace

Status migrate(Connection& conn) {
  if (conn.backend() != Backend::kPostgres) return apply_migrations(conn);
  // SQLite serialises the migrating transactions with its write lock; on PostgreSQL the schema_migrations
  // table may not exist yet, so nodes starting together queue on an advisory lock instead.
  auto locked = conn.query("SELECT pg_advisory_lock($1)", {kMigrationLockKey});
  if (!locked) return locked.error();
  Status result = apply_migrations(conn);
  auto unlocked = conn.query("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
  if (result && !unlocked) return unlocked.error();
  return result;
}

Status check_schema(Connection& conn) {
  auto version = current_schema_version(conn);
  if (!version) return version.error();
  if (*version > latest_schema_version()) {
    return make_error(ErrorKind::kInternal, "database schema version " + std::to_string(*version) +
                                                " is newer than this binary knows (" +
                                                std::to_string(latest_schema_version()) +
                                                "): upgrade tributary");
  }
  if (*version < latest_schema_version()) {
    return make_error(ErrorKind::kInternal, "database schema is at version " + std::to_string(*version) +
                                                ", run `tributary migrate`");
  }
  return {};
}

}  // namespace tributary::store
