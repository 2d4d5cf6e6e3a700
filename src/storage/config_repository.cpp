#include "storage/config_repository.hpp"

namespace winston::storage::configs {
namespace {

SnapshotRow from_row(const Row& r, bool with_files) {
  return {r.str(0), r.str(1), r.i64(2), r.str(3), with_files ? r.str(8) : std::string{}, r.str(4), r.str(5), r.i64(6),
          r.str(7)};
}

constexpr std::string_view kMeta = "id, tenant_id, version, content_hash, created_by, reason, created_at, warnings";

}  // namespace

Status insert_next(Connection& c, SnapshotRow& s) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("INSERT INTO config_snapshots (id, tenant_id, version, content_hash, files, "
                                        "created_by, reason, created_at, warnings) SELECT $1, $2, "
                                        "COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6, $7, $8 FROM config_snapshots "
                                        "WHERE tenant_id = $2 RETURNING version",
                                        {s.id, s.tenant_id, s.content_hash, s.files_json, s.created_by, s.reason,
                                         s.created_at, s.warnings_json}));
  s.version = rows.front().i64(0);
  return {};
}

Result<std::optional<SnapshotRow>> latest(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kMeta) +
                                            ", files FROM config_snapshots WHERE tenant_id = $1 "
                                            "ORDER BY version DESC LIMIT 1",
                                        {std::string(tenant_id)}));
  if (rows.empty()) return std::optional<SnapshotRow>{};
  return std::optional<SnapshotRow>{from_row(rows.front(), true)};
}

Result<std::optional<SnapshotRow>> get(Connection& c, std::string_view tenant_id, std::int64_t version) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kMeta) +
                                            ", files FROM config_snapshots WHERE tenant_id = $1 AND version = $2",
                                        {std::string(tenant_id), version}));
  if (rows.empty()) return std::optional<SnapshotRow>{};
  return std::optional<SnapshotRow>{from_row(rows.front(), true)};
}

Result<std::vector<SnapshotRow>> list(Connection& c, std::string_view tenant_id, std::int64_t limit,
                                      std::int64_t offset) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kMeta) +
                                            " FROM config_snapshots WHERE tenant_id = $1 "
                                            "ORDER BY version DESC LIMIT $2 OFFSET $3",
                                        {std::string(tenant_id), limit, offset}));
  std::vector<SnapshotRow> out;
  for (const auto& r : rows) out.push_back(from_row(r, false));
  return out;
}

Result<std::int64_t> count(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM config_snapshots WHERE tenant_id = $1",
                                        {std::string(tenant_id)}));
  return rows.front().i64(0);
}

Status set_warnings(Connection& c, std::string_view id, std::string_view warnings_json) {
  WINSTON_TRY(c.query("UPDATE config_snapshots SET warnings = $1 WHERE id = $2",
                      {std::string(warnings_json), std::string(id)}));
  return {};
}

Result<std::optional<std::string>> warnings(Connection& c, std::string_view tenant_id, std::int64_t version) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT warnings FROM config_snapshots WHERE tenant_id = $1 AND version = $2",
                                        {std::string(tenant_id), version}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows.front().str(0)};
}

}  // namespace winston::storage::configs

namespace winston::storage::secrets {

Result<std::optional<std::string>> get(Connection& c, std::string_view tenant_id, std::string_view name) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT value_enc FROM tenant_secrets WHERE tenant_id = $1 AND name = $2",
                                        {std::string(tenant_id), std::string(name)}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows.front().str(0)};
}

Result<bool> insert_if_absent(Connection& c, std::string_view id, std::string_view tenant_id, std::string_view name,
                              std::string_view sealed, EpochMs now) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("INSERT INTO tenant_secrets (id, tenant_id, name, value_enc, created_at, "
                                        "updated_at) VALUES ($1, $2, $3, $4, $5, $5) "
                                        "ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id",
                                        {std::string(id), std::string(tenant_id), std::string(name),
                                         std::string(sealed), now}));
  return !rows.empty();
}

Status replace(Connection& c, std::string_view tenant_id, std::string_view name, std::string_view sealed, EpochMs now) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("UPDATE tenant_secrets SET value_enc = $3, updated_at = $4 "
                                        "WHERE tenant_id = $1 AND name = $2 RETURNING id",
                                        {std::string(tenant_id), std::string(name), std::string(sealed), now}));
  if (rows.empty()) return Error::not_found("no such tenant secret");
  return {};
}

}  // namespace winston::storage::secrets

namespace winston::storage::skills {

Result<std::vector<SkillChoice>> list(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT skill, enabled FROM tenant_skills WHERE tenant_id = $1 ORDER BY skill",
                                        {std::string(tenant_id)}));
  std::vector<SkillChoice> out;
  for (const auto& r : rows) out.push_back({r.str(0), r.i64(1) != 0});
  return out;
}

Status set(Connection& c, std::string_view id, std::string_view tenant_id, std::string_view skill, bool enabled,
           EpochMs now) {
  WINSTON_TRY(c.query("INSERT INTO tenant_skills (id, tenant_id, skill, enabled, created_at, updated_at) "
                      "VALUES ($1, $2, $3, $4, $5, $5) "
                      "ON CONFLICT (tenant_id, skill) DO UPDATE SET enabled = excluded.enabled",
                      {std::string(id), std::string(tenant_id), std::string(skill), std::int64_t{enabled ? 1 : 0}, now}));
  return {};
}

}  // namespace winston::storage::skills
