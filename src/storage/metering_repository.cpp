#include "storage/metering_repository.hpp"

namespace winston::storage::metering {
namespace {

constexpr std::string_view kReservationColumns =
    "id, tenant_id, request_id, api_key_id, model, amount_mc, owner, created_at, expires_at";

ReservationRow reservation_from(const Row& r) {
  return {.id = r.str(0),
          .tenant_id = r.str(1),
          .request_id = r.str(2),
          .api_key_id = r.opt_str(3),
          .model = r.str(4),
          .amount_mc = r.i64(5),
          .owner = r.str(6),
          .created_at = r.i64(7),
          .expires_at = r.i64(8)};
}

constexpr std::string_view kUsageColumns =
    "id, tenant_id, request_id, api_key_id, model, provider, input_tokens, output_tokens, cache_creation_tokens, "
    "cache_read_tokens, multiplier_milli, credits_mc, status, upstream_status, latency_ms, ttfb_ms, created_at";

UsageRecord usage_from(const Row& r) {
  return UsageRecord{
      .id = r.str(0),
      .tenant_id = r.str(1),
      .request_id = r.str(2),
      .api_key_id = r.opt_str(3),
      .model = r.str(4),
      .provider = r.str(5),
      .tokens = {.input = r.i64(6), .output = r.i64(7), .cache_creation = r.i64(8), .cache_read = r.i64(9)},
      .multiplier_milli = r.i64(10),
      .credits_mc = r.i64(11),
      .status = r.str(12),
      .upstream_status = r.opt_i64(13),
      .latency_ms = r.opt_i64(14),
      .ttfb_ms = r.opt_i64(15),
      .created_at = r.i64(16)};
}

Value opt_int(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{nullptr}; }

Status discard(Result<Rows> r) {
  if (!r.ok()) return r.error();
  return {};
}

}  // namespace

Result<std::optional<CreditState>> lock_credit_state(Connection& c, std::string_view tenant_id) {
  // SQLite has no row locks; its BEGIN IMMEDIATE already holds the write lock.
  const std::string lock = c.backend() == Backend::kPostgres ? " FOR UPDATE" : "";
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT status, unlimited, balance_mc, reserved_mc, monthly_allotment_mc, "
                                        "low_credit_since FROM tenants WHERE id = $1" + lock,
                                        {std::string(tenant_id)}));
  if (rows.empty()) return std::optional<CreditState>{};
  const auto& r = rows.front();
  return std::optional<CreditState>{CreditState{parse_tenant_status(r.str(0)).value_or(TenantStatus::kSuspended),
                                                r.i64(1) != 0, r.i64(2), r.i64(3), r.i64(4), r.opt_i64(5)}};
}

Result<bool> usage_exists(Connection& c, std::string_view tenant_id, std::string_view request_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT 1 FROM credit_usage WHERE tenant_id = $1 AND request_id = $2",
                                        {std::string(tenant_id), std::string(request_id)}));
  return !rows.empty();
}

Status insert_reservation(Connection& c, const ReservationRow& r) {
  return discard(c.query(
      "INSERT INTO credit_reservations (id, tenant_id, request_id, api_key_id, model, amount_mc, owner, created_at, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {r.id, r.tenant_id, r.request_id, null_if_empty(r.api_key_id), r.model, r.amount_mc, r.owner, r.created_at,
       r.expires_at}));
}

Status add_reserved(Connection& c, std::string_view tenant_id, MilliCredits delta) {
  if (delta == 0) return {};
  return discard(
      c.query("UPDATE tenants SET reserved_mc = reserved_mc + $2 WHERE id = $1", {std::string(tenant_id), delta}));
}

Result<std::int64_t> open_reservations(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM credit_reservations WHERE tenant_id = $1",
                                        {std::string(tenant_id)}));
  return rows.front().i64(0);
}

Result<std::optional<ReservationRow>> take_reservation(Connection& c, std::string_view id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("DELETE FROM credit_reservations WHERE id = $1 RETURNING " +
                                            std::string(kReservationColumns),
                                        {std::string(id)}));
  if (rows.empty()) return std::optional<ReservationRow>{};
  return std::optional<ReservationRow>{reservation_from(rows.front())};
}

Status insert_usage(Connection& c, const UsageRecord& u) {
  return discard(c.query(
      "INSERT INTO credit_usage (id, tenant_id, request_id, api_key_id, model, provider, input_tokens, output_tokens, "
      "cache_creation_tokens, cache_read_tokens, multiplier_milli, credits_mc, status, upstream_status, latency_ms, "
      "ttfb_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
      {u.id, u.tenant_id, u.request_id, null_if_empty(u.api_key_id), u.model, u.provider, u.tokens.input,
       u.tokens.output, u.tokens.cache_creation, u.tokens.cache_read, u.multiplier_milli, u.credits_mc, u.status,
       opt_int(u.upstream_status), opt_int(u.latency_ms), opt_int(u.ttfb_ms), u.created_at}));
}

Status mark_low_credit(Connection& c, std::string_view tenant_id, EpochMs since) {
  return discard(c.query("UPDATE tenants SET low_credit_since = $2 WHERE id = $1 AND low_credit_since IS NULL",
                         {std::string(tenant_id), since}));
}

Result<std::vector<ReservationRow>> orphaned_reservations(Connection& c, std::string_view owner, EpochMs now) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kReservationColumns) +
                                            " FROM credit_reservations WHERE owner = $1 OR expires_at < $2 "
                                            "ORDER BY created_at",
                                        {std::string(owner), now}));
  std::vector<ReservationRow> out;
  for (const auto& r : rows) out.push_back(reservation_from(r));
  return out;
}

Result<std::vector<UsageRecord>> list_usage(Connection& c, std::string_view tenant_id, std::int64_t limit,
                                         std::int64_t offset) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kUsageColumns) +
                                            " FROM credit_usage WHERE tenant_id = $1 "
                                            "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                                        {std::string(tenant_id), limit, offset}));
  std::vector<UsageRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(usage_from(r));
  return out;
}

Result<std::int64_t> count_usage(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM credit_usage WHERE tenant_id = $1", {std::string(tenant_id)}));
  return rows.front().i64(0);
}

}  // namespace winston::storage::metering
