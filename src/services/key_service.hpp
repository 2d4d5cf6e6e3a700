#pragma once
// Tenant API keys: issued once in plaintext, stored as SHA-256, looked up by
// prefix. Successful lookups are cached briefly so the proxy's hot path does
// not query the database; a revocation reaches every replica within the TTL.
// The tenant's tier is cached with the key, so the proxy's entitlement check
// costs no query either; a tier change likewise reaches the proxy within the TTL.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/catalog.hpp"
#include "core/clock.hpp"
#include "services/tenant_service.hpp"
#include "storage/api_key_repository.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct IssuedKey {
  ApiKey meta;
  std::string secret;  // shown once, never stored
};

struct KeyIdentity {
  std::string key_id;
  std::string tenant_id;
  std::string tier;         // the tenant's tier when the key was looked up
  bool all_models = false;  // the system tenant (Winston's own analyzer): every model, whatever its tiers

  /// Whether the catalog offers `m` to this key's tenant.
  bool may_use(const ModelEntry& m) const { return all_models || m.offered_to(tier); }
};

class KeyService {
 public:
  KeyService(storage::Database& db, const Clock& clock, EpochMs cache_ttl_ms = 5000)
      : db_(db), clock_(clock), cache_ttl_ms_(cache_ttl_ms) {}

  Result<IssuedKey> create(const Actor& actor, std::string_view tenant, std::string_view name);
  Result<std::vector<ApiKey>> list(std::string_view tenant);
  Status revoke(const Actor& actor, std::string_view tenant, std::string_view key_id);
  /// The key's identity and its tenant's tier (cached for the TTL);
  /// kUnauthenticated for a malformed, unknown or revoked key.
  Result<KeyIdentity> authenticate(std::string_view presented);

  static constexpr std::string_view kKeyPrefix = "wsk_";

 private:
  struct Cached {
    KeyIdentity identity;
    EpochMs expires_at;
  };
  storage::Database& db_;
  const Clock& clock_;
  EpochMs cache_ttl_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by SHA-256 of the key
};

}  // namespace winston::services
