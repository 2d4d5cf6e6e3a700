#include "storage/ledger_repository.hpp"

#include <fmt/format.h>

#include "core/credits.hpp"
#include "core/ids.hpp"

namespace winston::storage::ledger {
namespace {

std::optional<LedgerKind> parse_kind(std::string_view s) {
  for (auto k : {LedgerKind::kGrant, LedgerKind::kMonthlyRefresh, LedgerKind::kTopup, LedgerKind::kAdjustment,
                 LedgerKind::kUsage, LedgerKind::kRefund}) {
    if (to_string(k) == s) return k;
  }
  return std::nullopt;
}

}  // namespace

Result<LedgerEntry> apply(Connection& c, std::string_view tenant_id, const LedgerChange& change, EpochMs now) {
  // One atomic UPDATE: the row lock (PostgreSQL) or the write lock (SQLite)
  // makes the check and the change indivisible under concurrency.
  const std::string guard = change.allow_negative ? "" : " AND balance_mc + $2 >= 0";
  // Climbing back out of is_low_balance (core/credits.hpp) re-arms the low-credit warning.
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("UPDATE tenants SET balance_mc = balance_mc + $2, "
                                                    "low_credit_since = CASE WHEN (balance_mc + $2) * {} >= "
                                                    "monthly_allotment_mc THEN NULL ELSE low_credit_since END "
                                                    "WHERE id = $1{} RETURNING balance_mc",
                                                    kLowBalanceDivisor, guard),
                                        {std::string(tenant_id), change.amount_mc}));
  if (rows.empty()) {
    WINSTON_TRY_ASSIGN(auto existing, c.query("SELECT balance_mc FROM tenants WHERE id = $1", {std::string(tenant_id)}));
    if (existing.empty()) return Error::not_found("tenant not found");
    return Error::conflict(fmt::format("this change of {} mc would make the balance negative (balance {} mc)",
                                       change.amount_mc, existing.front().i64(0)),
                           "amount");
  }
  LedgerEntry e;
  e.id = new_uuid_v7(now);
  e.tenant_id = std::string(tenant_id);
  e.kind = change.kind;
  e.amount_mc = change.amount_mc;
  e.balance_after_mc = rows.front().i64(0);
  e.reason = change.reason;
  e.request_id = change.request_id;
  e.actor = change.actor;
  e.created_at = now;
  auto ins = c.query(
      "INSERT INTO credit_ledger (id, tenant_id, kind, amount_mc, balance_after_mc, reason, request_id, actor, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {e.id, e.tenant_id, std::string(to_string(e.kind)), e.amount_mc, e.balance_after_mc, e.reason,
       null_if_empty(e.request_id), e.actor, e.created_at});
  if (!ins.ok()) return ins.error();
  return e;
}

Result<std::vector<LedgerEntry>> list(Connection& c, std::string_view tenant_id, std::int64_t limit,
                                      std::int64_t offset) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT id, tenant_id, kind, amount_mc, balance_after_mc, reason, request_id, "
                                        "actor, created_at FROM credit_ledger WHERE tenant_id = $1 "
                                        "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                                        {std::string(tenant_id), limit, offset}));
  std::vector<LedgerEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(LedgerEntry{r.str(0), r.str(1), parse_kind(r.str(2)).value_or(LedgerKind::kAdjustment), r.i64(3),
                              r.i64(4), r.str(5), r.opt_str(6), r.str(7), r.i64(8)});
  }
  return out;
}

Result<std::int64_t> count(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM credit_ledger WHERE tenant_id = $1", {std::string(tenant_id)}));
  return rows.front().i64(0);
}

Result<MilliCredits> sum(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COALESCE(SUM(amount_mc), 0) FROM credit_ledger WHERE tenant_id = $1",
                                        {std::string(tenant_id)}));
  return rows.front().i64(0);
}

}  // namespace winston::storage::ledger
