#pragma once
// SQL for credit reservations and usage rows. The caller owns the transaction.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/credits.hpp"
#include "storage/database.hpp"

namespace winston::storage::metering {

struct CreditState {
  TenantStatus status = TenantStatus::kActive;
  bool unlimited = false;
  MilliCredits balance_mc = 0;
  MilliCredits reserved_mc = 0;
  MilliCredits allotment_mc = 0;
  std::optional<EpochMs> low_credit_since;
};

struct ReservationRow {
  std::string id;
  std::string tenant_id;
  std::string request_id;
  std::optional<std::string> api_key_id;
  std::string model;
  MilliCredits amount_mc = 0;
  std::string owner;
  EpochMs created_at = 0;
  EpochMs expires_at = 0;
};

/// Reads the tenant's credit columns, locking the row on PostgreSQL.
Result<std::optional<CreditState>> lock_credit_state(Connection& c, std::string_view tenant_id);
Result<bool> usage_exists(Connection& c, std::string_view tenant_id, std::string_view request_id);
/// kConflict when the tenant already has a reservation for this request id.
Status insert_reservation(Connection& c, const ReservationRow& r);
Status add_reserved(Connection& c, std::string_view tenant_id, MilliCredits delta);
Result<std::int64_t> open_reservations(Connection& c, std::string_view tenant_id);
/// Removes and returns the reservation (nullopt when someone already resolved it).
Result<std::optional<ReservationRow>> take_reservation(Connection& c, std::string_view id);
Status insert_usage(Connection& c, const UsageRecord& u);
Status mark_low_credit(Connection& c, std::string_view tenant_id, EpochMs since);
/// Reservations owned by `owner` or expired before `now`.
Result<std::vector<ReservationRow>> orphaned_reservations(Connection& c, std::string_view owner, EpochMs now);
/// The tenant's usage rows, newest first.
Result<std::vector<UsageRecord>> list_usage(Connection& c, std::string_view tenant_id, std::int64_t limit,
                                         std::int64_t offset);
Result<std::int64_t> count_usage(Connection& c, std::string_view tenant_id);

}  // namespace winston::storage::metering
