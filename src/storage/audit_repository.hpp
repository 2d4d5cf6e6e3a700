#pragma once
// Append-only audit trail: who did what to which target, with details.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::audit {

struct Entry {
  std::string id;
  std::optional<std::string> tenant_id;  // NULL for rows that must outlive the tenant (its deletion)
  std::string actor;
  std::string action;                    // e.g. "tenant.create"
  std::string target;                    // e.g. "tenant:<id>"
  std::string details_json;
  std::optional<std::string> request_id;
  EpochMs created_at = 0;
};

Status append(Connection& c, const Entry& e);
/// Newest first; all rows when tenant_id is empty.
Result<std::vector<Entry>> list(Connection& c, std::optional<std::string> tenant_id, std::int64_t limit);

}  // namespace winston::storage::audit
