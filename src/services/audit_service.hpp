#pragma once
// Reading the audit log, for the admin API and the CLI: filters checked at
// the edge (422 naming the field), pages newest first with an opaque cursor.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "storage/audit_repository.hpp"
#include "storage/database.hpp"

namespace winston::services {

/// Who asks for a change: written into every audit row it causes.
struct Actor {
  std::string name;                       // "admin", "cli:root", "proxy", ...
  std::optional<std::string> request_id;  // the HTTP request id, when there is one
};

/// What an audit row says happened.
struct AuditEvent {
  std::optional<std::string> tenant_id;  // unset for rows that must outlive the tenant (its deletion)
  std::string action;                    // e.g. "tenant.create"
  std::string target;                    // e.g. "tenant:<id>"
  boost::json::object details;
};

/// Appends the audit row for what `actor` did, in the caller's transaction so
/// that it commits or rolls back with the change itself.
Status record_audit(storage::Connection& c, const Actor& actor, AuditEvent event, EpochMs now);

struct AuditFilter {
  /// Id or slug. A deleted tenant is found by its id only: what is left of it
  /// is the row of its deletion (tenant_id NULL, target "tenant:<id>").
  std::optional<std::string> tenant;
  std::optional<std::string> actor;
  /// Exact ("tenant.update"), or a prefix when it ends in '.' or '*' ("tenant.", "cell.*").
  std::optional<std::string> action;
  std::optional<std::string> target;  // exact, e.g. "tenant:<id>"
  std::optional<EpochMs> from;        // created_at >= from
  std::optional<EpochMs> to;          // created_at < to
  std::int64_t limit = 50;
  std::optional<std::string> cursor;  // next_cursor of the previous page
};

struct AuditPage {
  std::vector<storage::audit::Entry> items;
  std::int64_t limit = 0;
  std::optional<std::string> next_cursor;  // absent on the last page
};

class AuditService {
 public:
  explicit AuditService(storage::Database& db) : db_(db) {}

  /// Every tenant's rows, or those of `filter.tenant` (known or deleted).
  Result<AuditPage> list(const AuditFilter& filter);
  /// The rows of one existing tenant (kNotFound otherwise); `filter.tenant` must be unset.
  Result<AuditPage> list_for_tenant(std::string_view id_or_slug, const AuditFilter& filter);

  /// The cursor of a page that ends at `last`; decode_cursor() reverses it.
  static std::string encode_cursor(const storage::audit::Position& last);
  static Result<storage::audit::Position> decode_cursor(std::string_view cursor);

  static constexpr std::int64_t kMaxLimit = 200;

 private:
  Result<AuditPage> run(storage::Connection& c, storage::audit::Query q, const AuditFilter& filter);

  storage::Database& db_;
};

}  // namespace winston::services
