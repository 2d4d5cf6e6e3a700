#include "services/key_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/tenant.hpp"
#include "storage/audit_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace {

constexpr std::size_t kSecretHexChars = 40;   // 160 random bits
constexpr std::size_t kPrefixHexChars = 12;   // shown in listings, used for lookup
constexpr std::size_t kMaxCacheEntries = 100'000;

Error bad_key() { return Error{ErrorCode::kUnauthenticated, "invalid API key", {}}; }

}  // namespace

Result<IssuedKey> KeyService::create(const Actor& actor, std::string_view tenant, std::string_view name) {
  if (name.size() > 100 || !is_clean_utf8(name, false)) {
    return Error::invalid("name", "name must be at most 100 printable characters");
  }
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  IssuedKey k;
  k.secret = std::string(kKeyPrefix) + random_hex(kSecretHexChars / 2);
  k.meta = {new_uuid_v7(now), t.id, std::string(name), k.secret.substr(0, kKeyPrefix.size() + kPrefixHexChars),
            sha256_hex(k.secret), std::nullopt, std::nullopt, now};
  WINSTON_TRY(storage::api_keys::insert(*conn, k.meta));
  WINSTON_TRY(record_audit(*conn, actor,
                           {.tenant_id = t.id,
                            .action = "key.create",
                            .target = "api_key:" + k.meta.id,
                            .details = {{"prefix", k.meta.prefix}, {"name", k.meta.name}}},
                           now));
  WINSTON_TRY(tx.commit());
  return k;
}

Result<std::vector<ApiKey>> KeyService::list(std::string_view tenant) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  return storage::api_keys::list(*conn, t.id);
}

Status KeyService::revoke(const Actor& actor, std::string_view tenant, std::string_view key_id) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  WINSTON_TRY_ASSIGN(const bool revoked, storage::api_keys::revoke(*conn, t.id, key_id, now));
  if (!revoked) return Error::not_found("this tenant has no active key with that id");
  WINSTON_TRY(record_audit(
      *conn, actor, {.tenant_id = t.id, .action = "key.revoke", .target = "api_key:" + std::string(key_id)}, now));
  WINSTON_TRY(tx.commit());
  std::lock_guard lock(mu_);
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.identity.key_id == key_id; });
  return {};
}

Result<KeyIdentity> KeyService::authenticate(std::string_view presented) {
  if (!presented.starts_with(kKeyPrefix) || presented.size() != kKeyPrefix.size() + kSecretHexChars) return bad_key();
  const std::string hash = sha256_hex(presented);
  const EpochMs now = clock_.now_ms();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end() && it->second.expires_at > now) return it->second.identity;
  }
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto row,
                     storage::api_keys::find_by_prefix(*conn, presented.substr(0, kKeyPrefix.size() + kPrefixHexChars)));
  if (!row || row->revoked_at || !secure_equals(row->key_hash, hash)) return bad_key();
  WINSTON_TRY_ASSIGN(const auto tenant, storage::tenants::find(*conn, row->tenant_id));
  if (!tenant) return bad_key();  // deleted since the key was read
  KeyIdentity id{row->id, row->tenant_id, tenant->tier, tenant->is_system};
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[hash] = {id, now + cache_ttl_ms_};
  return id;
}

}  // namespace winston::services
