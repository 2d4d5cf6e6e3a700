#include "storage/migrations.hpp"

#include <fmt/format.h>

#include <set>

namespace winston::storage {
namespace {

// Version 1: the whole initial schema. The DDL is shared by both backends
// (BIGINT/TEXT/INTEGER, partial indexes and ON DELETE CASCADE mean the same
// on both); only the updated_at triggers differ and are generated below.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  website_url TEXT NOT NULL DEFAULT '',
  industry TEXT,
  tier TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  is_system INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
  unlimited INTEGER NOT NULL DEFAULT 0 CHECK (unlimited IN (0, 1)),
  balance_mc BIGINT NOT NULL DEFAULT 0,
  monthly_allotment_mc BIGINT NOT NULL DEFAULT 0 CHECK (monthly_allotment_mc >= 0),
  refresh_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tenants_status_tier_idx ON tenants (status, tier);
CREATE INDEX tenants_created_idx ON tenants (created_at, id);
CREATE INDEX tenants_refresh_idx ON tenants (refresh_at) WHERE refresh_at IS NOT NULL;

CREATE TABLE credit_ledger (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('grant', 'monthly_refresh', 'topup', 'adjustment', 'usage', 'refund')),
  amount_mc BIGINT NOT NULL,
  balance_after_mc BIGINT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  request_id TEXT,
  actor TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX credit_ledger_tenant_idx ON credit_ledger (tenant_id, created_at, id);
CREATE UNIQUE INDEX credit_ledger_request_uq ON credit_ledger (tenant_id, kind, request_id)
  WHERE request_id IS NOT NULL;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  prefix TEXT NOT NULL UNIQUE,
  key_hash TEXT NOT NULL UNIQUE,
  last_used_at BIGINT,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE tenant_instances (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  backend TEXT NOT NULL CHECK (backend IN ('local', 'railway', 'kubernetes')),
  desired_state TEXT NOT NULL DEFAULT 'running',
  actual_state TEXT NOT NULL DEFAULT 'pending',
  external_id TEXT,
  url TEXT,
  snapshot_version INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at BIGINT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX tenant_instances_tenant_idx ON tenant_instances (tenant_id);
CREATE INDEX tenant_instances_due_idx ON tenant_instances (next_attempt_at);

CREATE TABLE config_snapshots (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  files TEXT NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, version)
);

CREATE TABLE credit_usage (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  request_id TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cache_creation_tokens BIGINT NOT NULL DEFAULT 0,
  cache_read_tokens BIGINT NOT NULL DEFAULT 0,
  multiplier_milli BIGINT NOT NULL,
  credits_mc BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  upstream_status INTEGER,
  latency_ms BIGINT,
  ttfb_ms BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, request_id)
);
CREATE INDEX credit_usage_tenant_time_idx ON credit_usage (tenant_id, created_at);

CREATE TABLE session_transcripts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  session_key TEXT,
  channel TEXT,
  seq BIGINT NOT NULL,
  role TEXT,
  content TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, session_id, seq)
);
CREATE INDEX session_transcripts_occurred_idx ON session_transcripts (occurred_at);

CREATE TABLE channel_health (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  account_id TEXT NOT NULL DEFAULT 'default',
  status TEXT NOT NULL,
  detail TEXT,
  checked_at BIGINT NOT NULL,
  changed_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, channel, account_id)
);

CREATE TABLE tenant_connectors (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  credentials_enc TEXT,
  status TEXT NOT NULL DEFAULT 'active',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  request_id TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);

INSERT INTO tenants (id, slug, name, email, tier, is_system, unlimited, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000000', 'system', 'Winston system', 'system@winston.invalid',
        'system', 1, 1, {now_ms}, {now_ms})
ON CONFLICT (id) DO NOTHING;
)sql";

// Version 2: what the metering proxy needs. Reservations hold credits while a
// request is in flight (available = balance - reserved); low_credit_since
// marks a tenant warned for its current dip below 20 % of the allotment.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE tenants ADD COLUMN reserved_mc BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN low_credit_since BIGINT;
ALTER TABLE credit_usage ADD COLUMN api_key_id TEXT;
CREATE TABLE credit_reservations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  request_id TEXT NOT NULL,
  api_key_id TEXT,
  model TEXT NOT NULL,
  amount_mc BIGINT NOT NULL CHECK (amount_mc >= 0),
  owner TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  UNIQUE (tenant_id, request_id)
);
CREATE INDEX credit_reservations_owner_idx ON credit_reservations (owner);
CREATE INDEX credit_reservations_expiry_idx ON credit_reservations (expires_at);
)sql";

// Version 3: agent configuration. Business profiles keep their history
// (one row per analysis); tenant_secrets holds what a cell needs in clear
// (its gateway token, its proxy key), sealed with the master key;
// tenant_skills records per-tenant choices (no row: the deployment default).
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE business_profiles (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('llm', 'extracted')),
  source_url TEXT NOT NULL,
  profile TEXT NOT NULL,
  extracted TEXT NOT NULL DEFAULT '{}',
  model TEXT,
  notes TEXT NOT NULL DEFAULT '[]',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, version)
);
CREATE TABLE tenant_secrets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value_enc TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE TABLE tenant_skills (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  skill TEXT NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (tenant_id, skill)
);
)sql";

// Version 4: connector data. What a tenant's connectors (an upload today, a
// POS later) bring in, read by the cells through the connector API. Rows hang
// off their connector, so deleting a connector deletes its data; tenant_id is
// repeated so every read is tenant-scoped by an index. Money is integer cents;
// search_text is the lowercased name/brand/category/sku both backends search alike.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE connector_inventory (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  connector_id TEXT NOT NULL REFERENCES tenant_connectors (id) ON DELETE CASCADE,
  sku TEXT NOT NULL,
  name TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  brand TEXT NOT NULL DEFAULT '',
  strain TEXT NOT NULL DEFAULT '',
  strain_type TEXT NOT NULL DEFAULT '',
  thc TEXT NOT NULL DEFAULT '',
  cbd TEXT NOT NULL DEFAULT '',
  size TEXT NOT NULL DEFAULT '',
  price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
  quantity BIGINT NOT NULL DEFAULT 0,
  search_text TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (connector_id, sku)
);
CREATE INDEX connector_inventory_tenant_idx ON connector_inventory (tenant_id, quantity);
CREATE TABLE connector_sales (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  connector_id TEXT NOT NULL REFERENCES tenant_connectors (id) ON DELETE CASCADE,
  order_id TEXT NOT NULL,
  line_id TEXT NOT NULL,
  sale_date TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  sku TEXT NOT NULL DEFAULT '',
  product_name TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL,
  total_cents BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (connector_id, order_id, line_id)
);
CREATE INDEX connector_sales_tenant_date_idx ON connector_sales (tenant_id, sale_date);
CREATE INDEX tenant_connectors_tenant_idx ON tenant_connectors (tenant_id, created_at);
)sql";

// Version 5: cells. One instance per tenant (the unique index), the
// backend's record of its external resources (JSON, never a secret), the
// step the reconciler is on, whether the tenant goes once the cell is gone,
// and the events list every transition and step is written to.
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE tenant_instances ADD COLUMN external_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tenant_instances ADD COLUMN step TEXT NOT NULL DEFAULT '';
ALTER TABLE tenant_instances ADD COLUMN delete_tenant INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenant_instances ADD COLUMN ready_at BIGINT;
CREATE UNIQUE INDEX tenant_instances_one_per_tenant ON tenant_instances (tenant_id);
CREATE TABLE instance_events (
  id TEXT PRIMARY KEY,
  instance_id TEXT NOT NULL REFERENCES tenant_instances (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('transition', 'step', 'error')),
  from_state TEXT,
  to_state TEXT,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX instance_events_instance_idx ON instance_events (instance_id, at);
)sql";

// Version 6: reading the audit log. Its pages are keyset-paginated newest
// first on (created_at, id), so each index a filter uses ends in both; the
// target index also finds a deleted tenant's last row, which has no tenant_id.
constexpr std::string_view kSchemaV6 = R"sql(
DROP INDEX audit_log_tenant_idx;
DROP INDEX audit_log_created_idx;
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at, id);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_target_idx ON audit_log (target, created_at, id);
)sql";

// Version 7: what a config lacks because its profile was partial (industry
// unknown, analysis fell back), kept with the snapshot so the instance view
// can show the warnings of the version a cell runs.
constexpr std::string_view kSchemaV7 = R"sql(
ALTER TABLE config_snapshots ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
)sql";

constexpr std::string_view kSqliteNowMs = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
constexpr std::string_view kPostgresNowMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

const std::vector<std::string_view> kUpdatedAtTables = {"tenants",        "api_keys",          "tenant_instances",
                                                         "channel_health", "tenant_connectors"};

/// `updated_at` triggers for `tables`; the PostgreSQL trigger function is created once, by version 1.
std::string updated_at_triggers(Backend b, const std::vector<std::string_view>& tables, bool create_function) {
  std::string out;
  if (b == Backend::kPostgres && create_function) {
    out += fmt::format(
        "CREATE OR REPLACE FUNCTION winston_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.updated_at := {}; RETURN NEW; END $$;\n",
        kPostgresNowMs);
  }
  for (const auto table : tables) {
    if (b == Backend::kPostgres) {
      out += fmt::format(
          "CREATE TRIGGER {0}_set_updated_at BEFORE UPDATE ON {0} FOR EACH ROW "
          "EXECUTE FUNCTION winston_set_updated_at();\n",
          table);
    } else {
      // recursive_triggers is off, so the inner UPDATE does not fire this again.
      out += fmt::format(
          "CREATE TRIGGER {0}_set_updated_at AFTER UPDATE ON {0} FOR EACH ROW BEGIN "
          "UPDATE {0} SET updated_at = {1} WHERE id = NEW.id; END;\n",
          table, kSqliteNowMs);
    }
  }
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

struct Migration {
  int version;
  std::string_view name;
  std::string (*sql)(Backend);
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {
      {1, "initial schema",
       [](Backend b) { return replace_all(std::string(kSchemaV1), "{now_ms}", now_ms_sql(b)) +
                updated_at_triggers(b, kUpdatedAtTables, true);
       }},
      {2, "credit reservations", [](Backend) { return std::string(kSchemaV2); }},
      {3, "agent configuration",
       [](Backend b) {
         return std::string(kSchemaV3) + updated_at_triggers(b, {"tenant_secrets", "tenant_skills"}, false);
       }},
      {4, "connector data", [](Backend) { return std::string(kSchemaV4); }},
      {5, "cells", [](Backend) { return std::string(kSchemaV5); }},
      {6, "audit log reads", [](Backend) { return std::string(kSchemaV6); }},
      {7, "config warnings", [](Backend) { return std::string(kSchemaV7); }},
  };
  return kAll;
}

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";

}  // namespace

std::string_view now_ms_sql(Backend b) { return b == Backend::kPostgres ? kPostgresNowMs : kSqliteNowMs; }

int latest_schema_version() { return migrations().back().version; }

const std::vector<std::string_view>& tenant_owned_tables() {
  static const std::vector<std::string_view> kTables = {
      "credit_ledger", "api_keys",          "tenant_instances",   "config_snapshots", "credit_usage",
      "session_transcripts", "channel_health", "tenant_connectors", "audit_log", "credit_reservations",
      "business_profiles", "tenant_secrets", "tenant_skills", "connector_inventory", "connector_sales", "instance_events"};
  return kTables;
}

Result<MigrationReport> migrate(Database& db) {
  WINSTON_TRY_ASSIGN(auto conn, db.acquire());
  WINSTON_TRY_ASSIGN(auto tx, Transaction::begin(*conn));
  if (db.backend() == Backend::kPostgres) {
    // Serialises concurrent replicas; released at commit. SQLite's BEGIN IMMEDIATE already did.
    WINSTON_TRY(conn->query("SELECT pg_advisory_xact_lock(72616974)", {}));
  }
  WINSTON_TRY(conn->execute_script(kCreateMigrationsTable));
  WINSTON_TRY_ASSIGN(const Rows rows, conn->query("SELECT version FROM schema_migrations", {}));
  std::set<int> done;
  for (const auto& r : rows) done.insert(static_cast<int>(r.i64(0)));
  MigrationReport report;
  for (const auto& m : migrations()) {
    if (done.contains(m.version)) continue;
    auto s = conn->execute_script(m.sql(db.backend()));
    if (!s.ok()) {
      return Error::internal(fmt::format("migration {} ({}) failed: {}", m.version, m.name, s.error().message));
    }
    WINSTON_TRY(conn->query(fmt::format("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, {})",
                                        now_ms_sql(db.backend())),
                            {std::int64_t{m.version}, std::string(m.name)}));
    report.applied.push_back(m.version);
  }
  WINSTON_TRY(tx.commit());
  report.current_version = latest_schema_version();
  return report;
}

}  // namespace winston::storage
