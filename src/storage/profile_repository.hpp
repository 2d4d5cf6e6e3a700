#pragma once
// SQL for business_profiles: every analysis is a new version per tenant,
// never overwritten, so the history of what the agent was told is kept.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::profiles {

struct ProfileRow {
  std::string id;
  std::string tenant_id;
  std::int64_t version = 0;
  std::string source;          // "llm" | "extracted"
  std::string source_url;
  std::string profile_json;    // the validated BusinessProfile
  std::string extracted_json;  // the bounded crawl summary
  std::optional<std::string> model;
  std::string notes_json;      // JSON array of strings
  std::string created_by;
  EpochMs created_at = 0;
};

/// Inserts `row` as the tenant's next version (its max + 1; `row.version`
/// is ignored) and returns that version. Run it inside the caller's
/// transaction: on PostgreSQL the tenant row is locked so concurrent
/// analyses of one tenant get consecutive versions; SQLite's BEGIN
/// IMMEDIATE already serialises writers.
Result<std::int64_t> insert_next(Connection& c, const ProfileRow& row);
Result<std::optional<ProfileRow>> latest(Connection& c, std::string_view tenant_id);
Result<std::optional<ProfileRow>> get(Connection& c, std::string_view tenant_id, std::int64_t version);
/// Newest first, at most `limit` rows.
Result<std::vector<ProfileRow>> list(Connection& c, std::string_view tenant_id, std::int64_t limit);

}  // namespace winston::storage::profiles
