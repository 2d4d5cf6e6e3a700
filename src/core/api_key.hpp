#pragma once
// A tenant's API key as Winston keeps it: only the SHA-256 of the secret.

#include <optional>
#include <string>

#include "core/clock.hpp"

namespace winston {

struct ApiKey {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string prefix;    // shown to the operator; the secret itself is never stored
  std::string key_hash;  // hex SHA-256 of the secret
  std::optional<EpochMs> last_used_at;
  std::optional<EpochMs> revoked_at;
  EpochMs created_at = 0;
};

}  // namespace winston
