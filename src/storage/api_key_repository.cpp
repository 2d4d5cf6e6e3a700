#include "storage/api_key_repository.hpp"

namespace winston::storage::api_keys {
namespace {

constexpr std::string_view kColumns = "id, tenant_id, name, prefix, key_hash, last_used_at, revoked_at, created_at";

ApiKey from_row(const Row& r) {
  return {r.str(0), r.str(1), r.str(2), r.str(3), r.str(4), r.opt_i64(5), r.opt_i64(6), r.i64(7)};
}

}  // namespace

Status insert(Connection& c, const ApiKey& k) {
  auto r = c.query("INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_at, updated_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $6)",
                   {k.id, k.tenant_id, k.name, k.prefix, k.key_hash, k.created_at});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<ApiKey>> list(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kColumns) +
                                            " FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC",
                                        {std::string(tenant_id)}));
  std::vector<ApiKey> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<std::optional<ApiKey>> find_by_prefix(Connection& c, std::string_view prefix) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kColumns) + " FROM api_keys WHERE prefix = $1",
                                        {std::string(prefix)}));
  if (rows.empty()) return std::optional<ApiKey>{};
  return std::optional<ApiKey>{from_row(rows.front())};
}

Result<bool> revoke(Connection& c, std::string_view tenant_id, std::string_view key_id, EpochMs now) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 "
                                        "AND revoked_at IS NULL RETURNING id",
                                        {std::string(tenant_id), std::string(key_id), now}));
  return !rows.empty();
}

}  // namespace winston::storage::api_keys
