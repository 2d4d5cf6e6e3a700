#include "storage/profile_repository.hpp"

#include "storage/tenant_repository.hpp"

namespace winston::storage::profiles {
namespace {

constexpr std::string_view kColumns =
    "id, tenant_id, version, source, source_url, profile, extracted, model, notes, created_by, created_at";

ProfileRow from_row(const Row& r) {
  return {r.str(0), r.str(1), r.i64(2), r.str(3), r.str(4), r.str(5),
          r.str(6), r.opt_str(7), r.str(8), r.str(9), r.i64(10)};
}

std::string select(std::string_view where_and_order) {
  return "SELECT " + std::string(kColumns) + " FROM business_profiles " + std::string(where_and_order);
}

Result<std::optional<ProfileRow>> first(Result<Rows> rows) {
  if (!rows.ok()) return std::move(rows).error();
  if (rows->empty()) return std::optional<ProfileRow>{};
  return std::optional<ProfileRow>{from_row(rows->front())};
}

}  // namespace

Result<std::int64_t> insert_next(Connection& c, const ProfileRow& row) {
  WINSTON_TRY(tenants::lock(c, row.tenant_id));
  WINSTON_TRY_ASSIGN(auto max, c.query("SELECT COALESCE(MAX(version), 0) FROM business_profiles WHERE tenant_id = $1",
                                       {row.tenant_id}));
  const std::int64_t version = max.front().i64(0) + 1;
  WINSTON_TRY(c.query("INSERT INTO business_profiles (" + std::string(kColumns) +
                          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                      {row.id, row.tenant_id, version, row.source, row.source_url, row.profile_json,
                       row.extracted_json, null_if_empty(row.model), row.notes_json, row.created_by, row.created_at}));
  return version;
}

Result<std::optional<ProfileRow>> latest(Connection& c, std::string_view tenant_id) {
  return first(c.query(select("WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1"), {std::string(tenant_id)}));
}

Result<std::optional<ProfileRow>> get(Connection& c, std::string_view tenant_id, std::int64_t version) {
  return first(c.query(select("WHERE tenant_id = $1 AND version = $2"), {std::string(tenant_id), version}));
}

Result<std::vector<ProfileRow>> list(Connection& c, std::string_view tenant_id, std::int64_t limit) {
  WINSTON_TRY_ASSIGN(auto rows, c.query(select("WHERE tenant_id = $1 ORDER BY version DESC LIMIT $2"),
                                        {std::string(tenant_id), limit}));
  std::vector<ProfileRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

}  // namespace winston::storage::profiles
