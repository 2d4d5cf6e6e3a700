#pragma once
// Tenant use cases shared by the admin API and the CLI: validation, slug
// assignment, credit grants, adjustments and deletion, each in one
// transaction together with its audit row.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ledger.hpp"
#include "core/tenant.hpp"
#include "services/audit_service.hpp"
#include "storage/database.hpp"
#include "storage/metering_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {

/// Who is acting, for audit rows and ledger entries.
struct NewTenant {
  std::string name;
  std::string email;
  std::string website_url;
  std::optional<std::string> industry;
  std::string tier = "free";
  std::optional<std::string> slug;  // derived from the name when absent
};

struct TenantPatch {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> website_url;
  std::optional<std::optional<std::string>> industry;  // set, or clear with nullopt inside
  std::optional<std::string> tier;
  std::optional<std::string> status;
};

struct TenantFilter {
  std::optional<std::string> status;
  std::optional<std::string> tier;
  std::optional<std::string> q;  // case-insensitive substring of the name
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};

struct CreditAdjustment {
  MilliCredits amount_mc = 0;
  std::string reason;
  bool force = false;  // allow the balance to go below zero
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
};

inline constexpr std::int64_t kMaxPageSize = 200;

/// What a tenant's deletion did.
enum class RemoveOutcome {
  kDeleted,         // no cell to remove: the tenant and every row it owns are gone
  kDeprovisioning,  // its cell is removed first (the tenant is suspended meanwhile); the reconciler then purges it
};

class TenantService {
 public:
  TenantService(storage::Database& db, const Clock& clock, TierTable tiers)
      : db_(db), clock_(clock), tiers_(std::move(tiers)) {}

  /// Runs inside the creating transaction (e.g. the cell of a one-step onboarding), so both or neither exist.
  using AlsoOnCreate = std::function<Status(storage::Connection&, const Tenant&, EpochMs)>;
  Result<Tenant> create(const Actor& actor, const NewTenant& input, const AlsoOnCreate& also = {});
  Result<Tenant> get(std::string_view id_or_slug);
  Result<Page<Tenant>> list(const TenantFilter& filter);
  Result<Tenant> update(const Actor& actor, std::string_view id_or_slug, const TenantPatch& patch);
  Result<LedgerEntry> adjust_credits(const Actor& actor, std::string_view id_or_slug, const CreditAdjustment& adj);
  Result<Page<LedgerEntry>> ledger(std::string_view id_or_slug, std::int64_t limit, std::int64_t offset);
  /// The proxy's usage rows (one per request: tokens by kind, multiplier, credits), newest first.
  Result<Page<UsageRecord>> usage(std::string_view id_or_slug, std::int64_t limit,
                                                  std::int64_t offset);
  /// Deletes the tenant, or, when it has a cell, asks for the cell's removal
  /// first and suspends the tenant; purge() finishes once the cell is gone.
  Result<RemoveOutcome> remove(const Actor& actor, std::string_view id_or_slug);
  /// The tenant and every row it owns, now (its cell must already be gone).
  Status purge(const Actor& actor, std::string_view tenant_id);

  const TierTable& tiers() const { return tiers_; }

 private:
  Result<Tenant> create_once(const Actor& actor, const NewTenant& input, const Tenant& validated,
                             const AlsoOnCreate& also);
  Result<Tenant> validate_new(const NewTenant& input) const;
  Result<storage::TenantChanges> validate_patch(const TenantPatch& patch) const;
  Status erase(storage::Connection& c, const Actor& actor, const Tenant& t, EpochMs now);

  storage::Database& db_;
  const Clock& clock_;
  TierTable tiers_;
};

/// Checks limit/offset bounds shared by every paginated listing.
Status validate_page(std::int64_t limit, std::int64_t offset);

}  // namespace winston::services
