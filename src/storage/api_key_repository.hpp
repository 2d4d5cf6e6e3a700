#pragma once
// SQL for tenant API keys. Only the SHA-256 of a key is stored.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::api_keys {

struct KeyRow {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string prefix;
  std::string key_hash;
  std::optional<EpochMs> last_used_at;
  std::optional<EpochMs> revoked_at;
  EpochMs created_at = 0;
};

Status insert(Connection& c, const KeyRow& k);
Result<std::vector<KeyRow>> list(Connection& c, std::string_view tenant_id);
Result<std::optional<KeyRow>> find_by_prefix(Connection& c, std::string_view prefix);
/// Sets revoked_at; false when the tenant has no such (unrevoked) key.
Result<bool> revoke(Connection& c, std::string_view tenant_id, std::string_view key_id, EpochMs now);

}  // namespace winston::storage::api_keys
