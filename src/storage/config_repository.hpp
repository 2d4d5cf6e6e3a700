#pragma once
// SQL for what a tenant's agent configuration is made of and made into:
// config snapshots (versioned, append-only), sealed per-tenant secrets and
// per-tenant skill choices.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::configs {

struct SnapshotRow {
  std::string id;
  std::string tenant_id;
  std::int64_t version = 0;
  std::string content_hash;
  std::string files_json;  // empty in listings
  std::string created_by;
  std::string reason;
  EpochMs created_at = 0;
  std::string warnings_json = "[]";  // agent::ConfigWarning list: what a partial profile left out
};

/// Inserts `s` as version latest+1 (s.version is set); the caller holds the transaction.
Status insert_next(Connection& c, SnapshotRow& s);
Result<std::optional<SnapshotRow>> latest(Connection& c, std::string_view tenant_id);
Result<std::optional<SnapshotRow>> get(Connection& c, std::string_view tenant_id, std::int64_t version);
/// Newest first, without files.
Result<std::vector<SnapshotRow>> list(Connection& c, std::string_view tenant_id, std::int64_t limit, std::int64_t offset);
Result<std::int64_t> count(Connection& c, std::string_view tenant_id);
/// Replaces a snapshot's warnings (a regeneration found the same content, made before warnings were kept).
Status set_warnings(Connection& c, std::string_view id, std::string_view warnings_json);
/// The warnings of one version, if it exists (for the instance view; no files read).
Result<std::optional<std::string>> warnings(Connection& c, std::string_view tenant_id, std::int64_t version);

}  // namespace winston::storage::configs

namespace winston::storage::secrets {

/// The sealed value (SecretBox) of a tenant's named secret, if any.
Result<std::optional<std::string>> get(Connection& c, std::string_view tenant_id, std::string_view name);
/// Inserts unless present; false when another writer got there first (keep theirs).
Result<bool> insert_if_absent(Connection& c, std::string_view id, std::string_view tenant_id, std::string_view name,
                              std::string_view sealed, EpochMs now);

/// Overwrites the sealed value of an existing secret (the caller holds the transaction and the tenant lock).
Status replace(Connection& c, std::string_view tenant_id, std::string_view name, std::string_view sealed, EpochMs now);

}  // namespace winston::storage::secrets

namespace winston::storage::skills {

struct SkillChoice {
  std::string skill;
  bool enabled = false;
};

Result<std::vector<SkillChoice>> list(Connection& c, std::string_view tenant_id);
Status set(Connection& c, std::string_view id, std::string_view tenant_id, std::string_view skill, bool enabled,
           EpochMs now);

}  // namespace winston::storage::skills
