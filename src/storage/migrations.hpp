#pragma once
// Versioned schema migrations, applied by `winston migrate` and on start-up.
// Idempotent and safe when several replicas start at once.

#include <vector>

#include "storage/database.hpp"

namespace winston::storage {

struct MigrationReport {
  int current_version = 0;
  std::vector<int> applied;  // versions applied by this call
};

/// Brings the schema to the latest version in one transaction.
Result<MigrationReport> migrate(Database& db);

/// The newest version this binary knows.
int latest_schema_version();

/// Tables whose rows belong to a tenant (tenant_id column), for cascade checks.
const std::vector<std::string_view>& tenant_owned_tables();

/// SQL expression for "now" in epoch milliseconds on `b`.
std::string_view now_ms_sql(Backend b);

}  // namespace winston::storage
