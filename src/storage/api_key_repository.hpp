#pragma once
// SQL for tenant API keys. Only the SHA-256 of a key is stored.

#include <optional>
#include <string>
#include <vector>

#include "core/api_key.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::api_keys {

Status insert(Connection& c, const ApiKey& k);
Result<std::vector<ApiKey>> list(Connection& c, std::string_view tenant_id);
Result<std::optional<ApiKey>> find_by_prefix(Connection& c, std::string_view prefix);
/// Sets revoked_at; false when the tenant has no such (unrevoked) key.
Result<bool> revoke(Connection& c, std::string_view tenant_id, std::string_view key_id, EpochMs now);

}  // namespace winston::storage::api_keys
