#pragma once
// Ledger domain: every balance change is one entry; a tenant's balance is
// always the sum of its entries.

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/tenant.hpp"

namespace winston {

enum class LedgerKind { kGrant, kMonthlyRefresh, kTopup, kAdjustment, kUsage, kRefund };
std::string_view to_string(LedgerKind k);

struct LedgerEntry {
  std::string id;
  std::string tenant_id;
  LedgerKind kind = LedgerKind::kAdjustment;
  MilliCredits amount_mc = 0;
  MilliCredits balance_after_mc = 0;
  std::string reason;
  std::optional<std::string> request_id;
  std::string actor;
  EpochMs created_at = 0;
};

/// A change to apply: the ledger layer fills in id, balance and time.
struct LedgerChange {
  LedgerKind kind = LedgerKind::kAdjustment;
  MilliCredits amount_mc = 0;
  std::string reason;
  std::optional<std::string> request_id;
  std::string actor;
  bool allow_negative = false;  // an operator's forced adjustment
};

}  // namespace winston
