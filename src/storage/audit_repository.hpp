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

/// A position in the newest-first order: the last row of the previous page.
struct Position {
  EpochMs created_at = 0;
  std::string id;
};

/// Filters of a read; every set field must match.
struct Query {
  /// The tenant's rows, and the row of its deletion, which holds no tenant_id
  /// (to outlive the cascade) but targets "tenant:<id>".
  std::optional<std::string> tenant_id;
  std::optional<std::string> actor;
  std::optional<std::string> action;         // exact
  std::optional<std::string> action_prefix;  // e.g. "tenant."
  std::optional<std::string> target;
  std::optional<EpochMs> from;  // created_at >= from
  std::optional<EpochMs> to;    // created_at < to
  std::optional<Position> after;
  std::int64_t limit = 50;
};

Status append(Connection& c, const Entry& e);
/// Newest first by (created_at, id), so a page boundary inside one
/// millisecond neither repeats nor skips a row; at most `q.limit` rows.
Result<std::vector<Entry>> query(Connection& c, const Query& q);

}  // namespace winston::storage::audit
