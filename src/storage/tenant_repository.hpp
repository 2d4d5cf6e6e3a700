#pragma once
// SQL for the tenants table. Every function runs on the caller's connection,
// so the caller decides the transaction.

#include <optional>
#include <string>
#include <vector>

#include "core/tenant.hpp"
#include "storage/database.hpp"

namespace winston::storage {

struct TenantQuery {
  std::optional<std::string> status;
  std::optional<std::string> tier;
  std::optional<std::string> name_contains;
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};

struct TenantChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> website_url;
  std::optional<std::optional<std::string>> industry;
  std::optional<std::string> tier;
  std::optional<MilliCredits> monthly_allotment_mc;
  std::optional<TenantStatus> status;

  bool empty() const {
    return !name && !email && !website_url && !industry && !tier && !monthly_allotment_mc && !status;
  }
};

namespace tenants {

/// The unique constraints a tenant write can violate, as a kConflict's field names them.
inline constexpr std::string_view kEmailConstraint = "tenants_email_key";
inline constexpr std::string_view kSlugConstraint = "tenants_slug_key";

Status insert(Connection& c, const Tenant& t);
/// By id or by slug.
Result<std::optional<Tenant>> find(Connection& c, std::string_view id_or_slug);
/// find(), with kNotFound ("no tenant with id or slug '…'") when there is none.
Result<Tenant> require(Connection& c, std::string_view id_or_slug);
/// Serialises writers of one tenant's versioned rows until the transaction
/// ends: the row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock.
Status lock(Connection& c, std::string_view tenant_id);
Result<std::optional<std::string>> id_by_email(Connection& c, std::string_view email);
/// Slugs equal to `base` or of the form `base-N`.
Result<std::vector<std::string>> slugs_like(Connection& c, std::string_view base);
Result<std::vector<Tenant>> list(Connection& c, const TenantQuery& q);
Result<std::int64_t> count(Connection& c, const TenantQuery& q);
Status update(Connection& c, std::string_view id, const TenantChanges& ch);
/// Deletes the tenant; every owned row goes with it (ON DELETE CASCADE).
Result<bool> remove(Connection& c, std::string_view id);

}  // namespace tenants
}  // namespace winston::storage
