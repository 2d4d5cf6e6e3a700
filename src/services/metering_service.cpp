#include "services/metering_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/credits.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "services/audit_service.hpp"
#include "storage/ledger_repository.hpp"
#include "storage/metering_repository.hpp"

namespace winston::services {
namespace metering = storage::metering;

Result<Reservation> MeteringService::reserve(const ReserveRequest& req) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const auto state, metering::lock_credit_state(*conn, req.tenant_id));
  if (!state) return Error{ErrorCode::kUnauthenticated, "the key's tenant no longer exists", {}};
  if (state->status != TenantStatus::kActive) {
    return Error{ErrorCode::kForbidden, "this tenant is suspended; contact the operator", {}};
  }
  Reservation r{new_uuid_v7(now), req.tenant_id, req.api_key_id, req.request_id, req.model, 0, state->unlimited,
                false, state->balance_mc - state->reserved_mc, state->allotment_mc};
  WINSTON_TRY_ASSIGN(const bool settled_before, metering::usage_exists(*conn, req.tenant_id, req.request_id));
  if (settled_before) {
    r.replay = true;
    return r;  // nothing to hold: a retry of a finished request is never charged again
  }
  if (!state->unlimited) {
    if (r.available_before_mc <= 0) {
      return Error{ErrorCode::kInsufficientCredits,
                   "this tenant has no credits left; ask the operator to top up or wait for the monthly refresh", {}};
    }
    const MilliCredits wanted = std::max<MilliCredits>(req.estimate_mc, 1);
    if (wanted > r.available_before_mc) {
      // A hold smaller than the estimate may be overspent. Granting it only to a
      // request that runs alone bounds the overdraft by one request's cost: while
      // several are in flight, each holds its full estimate (an upper bound).
      WINSTON_TRY_ASSIGN(const auto in_flight, metering::open_reservations(*conn, req.tenant_id));
      if (in_flight > 0) {
        return Error{ErrorCode::kInsufficientCredits,
                     "this tenant's credits are nearly used up and other requests are still running; retry when "
                     "they finish, or ask the operator to top up", {}};
      }
    }
    r.amount_mc = std::min(wanted, r.available_before_mc);
  }
  auto ins = metering::insert_reservation(
      *conn, {r.id, r.tenant_id, r.request_id, r.api_key_id, r.model, r.amount_mc, options_.instance_id, now,
              now + options_.reservation_ttl_ms});
  if (!ins.ok()) {
    if (ins.error().code == ErrorCode::kConflict) {
      return Error::conflict("a request with this id is already in progress", "request_id");
    }
    return ins.error();
  }
  WINSTON_TRY(metering::add_reserved(*conn, r.tenant_id, r.amount_mc));
  WINSTON_TRY(tx.commit());
  return r;
}

Result<Settlement> MeteringService::settle(const Reservation& r, const UsageReport& usage) {
  if (r.replay) return Settlement{.already_settled = true};
  return settle_once(r.id, r.tenant_id, r.request_id, r.api_key_id, r.model, usage, std::nullopt);
}

Result<Settlement> MeteringService::settle_once(const std::string& reservation_id, const std::string& tenant_id,
                                                const std::string& request_id,
                                                const std::optional<std::string>& api_key_id, const std::string& model,
                                                const UsageReport& usage, std::optional<MilliCredits> fixed_charge) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const auto state, metering::lock_credit_state(*conn, tenant_id));
  if (!state) return Error::not_found("tenant is gone");
  WINSTON_TRY_ASSIGN(const auto held, metering::take_reservation(*conn, reservation_id));
  if (!held) {
    return Settlement{.balance_mc = state->balance_mc,
                      .available_mc = state->balance_mc - state->reserved_mc,
                      .already_settled = true};
  }
  WINSTON_TRY(metering::add_reserved(*conn, tenant_id, -held->amount_mc));

  const MilliCredits price = fixed_charge.value_or(
      credits_for(usage.tokens.total(), usage.multiplier_milli, options_.tokens_per_credit));
  Settlement s;
  s.charged_mc = state->unlimited ? 0 : price;
  s.balance_mc = state->balance_mc;
  if (s.charged_mc > 0) {
    // Actual usage may exceed the hold; the charge goes through regardless (the
    // overdraft is bounded by one request), so allow_negative is set.
    WINSTON_TRY_ASSIGN(const auto entry,
                       storage::ledger::apply(*conn, tenant_id,
                                              LedgerChange{.kind = LedgerKind::kUsage,
                                                           .amount_mc = -s.charged_mc,
                                                           .reason = fmt::format("{} via {}", model, usage.provider),
                                                           .request_id = request_id,
                                                           .actor = "proxy",
                                                           .allow_negative = true},
                                              now));
    s.balance_mc = entry.balance_after_mc;
  }
  s.available_mc = s.balance_mc - (state->reserved_mc - held->amount_mc);
  WINSTON_TRY(metering::insert_usage(*conn, {.id = new_uuid_v7(now),
                                             .tenant_id = tenant_id,
                                             .request_id = request_id,
                                             .api_key_id = api_key_id,
                                             .model = model,
                                             .provider = usage.provider,
                                             .tokens = usage.tokens,
                                             .multiplier_milli = usage.multiplier_milli,
                                             .credits_mc = price,
                                             .status = usage.status,
                                             .upstream_status = usage.upstream_status,
                                             .latency_ms = usage.latency_ms,
                                             .ttfb_ms = usage.ttfb_ms,
                                             .created_at = now}));
  s.low = !state->unlimited && is_low_balance(s.balance_mc, state->allotment_mc);
  if (s.low && !state->low_credit_since) {
    s.low_crossed = true;
    WINSTON_TRY(metering::mark_low_credit(*conn, tenant_id, now));
    WINSTON_TRY(record_audit(*conn, Actor{.name = "proxy", .request_id = request_id},
                             {.tenant_id = tenant_id,
                              .action = "credits.low",
                              .target = "tenant:" + tenant_id,
                              .details = {{"balance_mc", s.balance_mc},
                                          {"allotment_mc", state->allotment_mc},
                                          {"threshold_pct", kLowBalancePercent}}},
                             now));
  }
  WINSTON_TRY(tx.commit());
  if (s.low_crossed) {
    log::warn("credits.low", {{"tenant_id", tenant_id}, {"balance_mc", s.balance_mc}, {"allotment_mc", state->allotment_mc}});
  }
  return s;
}

Result<int> MeteringService::recover_orphans(Orphans which) {
  std::vector<storage::metering::ReservationRow> orphans;
  {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(orphans, metering::orphaned_reservations(*conn, which == Orphans::kExpiredAndOwn ? options_.instance_id : "",
                                                                    clock_.now_ms()));
  }
  int resolved = 0;
  for (const auto& o : orphans) {
    UsageReport usage;
    usage.provider = "unknown";
    usage.status = "interrupted";
    usage.multiplier_milli = 0;
    WINSTON_TRY_ASSIGN(const auto s, settle_once(o.id, o.tenant_id, o.request_id, o.api_key_id, o.model, usage,
                                                 o.amount_mc));
    if (!s.already_settled) ++resolved;
  }
  if (resolved > 0) log::warn("credits.recovered_reservations", {{"count", resolved}, {"instance", options_.instance_id}});
  return resolved;
}

}  // namespace winston::services
