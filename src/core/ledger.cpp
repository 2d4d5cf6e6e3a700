#include "core/ledger.hpp"

namespace winston {

std::string_view to_string(LedgerKind k) {
  switch (k) {
    case LedgerKind::kGrant: return "grant";
    case LedgerKind::kMonthlyRefresh: return "monthly_refresh";
    case LedgerKind::kTopup: return "topup";
    case LedgerKind::kAdjustment: return "adjustment";
    case LedgerKind::kUsage: return "usage";
    case LedgerKind::kRefund: return "refund";
  }
  return "adjustment";
}

}  // namespace winston
