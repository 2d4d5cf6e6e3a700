#include "storage/tenant_repository.hpp"

#include <fmt/format.h>

namespace winston::storage::tenants {
namespace {

constexpr std::string_view kColumns =
    "id, slug, name, email, website_url, industry, tier, status, is_system, unlimited, balance_mc, "
    "monthly_allotment_mc, refresh_at, created_at, updated_at";

Tenant from_row(const Row& r) {
  Tenant t;
  t.id = r.str(0);
  t.slug = r.str(1);
  t.name = r.str(2);
  t.email = r.str(3);
  t.website_url = r.str(4);
  t.industry = r.opt_str(5);
  t.tier = r.str(6);
  t.status = parse_tenant_status(r.str(7)).value_or(TenantStatus::kSuspended);
  t.is_system = r.i64(8) != 0;
  t.unlimited = r.i64(9) != 0;
  t.balance_mc = r.i64(10);
  t.monthly_allotment_mc = r.i64(11);
  t.refresh_at = r.opt_i64(12);
  t.created_at = r.i64(13);
  t.updated_at = r.i64(14);
  return t;
}

std::string escape_like(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// WHERE clause and parameters shared by list() and count().
std::string where_clause(const TenantQuery& q, Params& params) {
  std::string where;
  const auto add = [&](std::string_view cond, Value v) {
    params.push_back(std::move(v));
    where += fmt::format("{}{}", where.empty() ? " WHERE " : " AND ", fmt::format(fmt::runtime(cond), params.size()));
  };
  if (q.status) add("status = ${}", *q.status);
  if (q.tier) add("tier = ${}", *q.tier);
  if (q.name_contains) add("lower(name) LIKE lower(${}) ESCAPE '\\'", "%" + escape_like(*q.name_contains) + "%");
  return where;
}

}  // namespace

Status insert(Connection& c, const Tenant& t) {
  auto r = c.query(
      "INSERT INTO tenants (id, slug, name, email, website_url, industry, tier, status, is_system, unlimited, "
      "balance_mc, monthly_allotment_mc, refresh_at, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
      {t.id, t.slug, t.name, t.email, t.website_url, null_if_empty(t.industry), t.tier,
       std::string(to_string(t.status)), std::int64_t{t.is_system}, std::int64_t{t.unlimited}, t.balance_mc,
       t.monthly_allotment_mc, t.refresh_at ? Value{*t.refresh_at} : Value{nullptr}, t.created_at, t.updated_at});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::optional<Tenant>> find(Connection& c, std::string_view id_or_slug) {
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT {} FROM tenants WHERE id = $1 OR slug = $1", kColumns),
                                        {std::string(id_or_slug)}));
  if (rows.empty()) return std::optional<Tenant>{};
  return std::optional<Tenant>{from_row(rows.front())};
}

Result<Tenant> require(Connection& c, std::string_view id_or_slug) {
  WINSTON_TRY_ASSIGN(auto found, find(c, id_or_slug));
  if (!found) return Error::not_found(fmt::format("no tenant with id or slug '{}'", id_or_slug));
  return std::move(*found);
}

Status lock(Connection& c, std::string_view tenant_id) {
  if (c.backend() != Backend::kPostgres) return {};
  WINSTON_TRY(c.query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE", {std::string(tenant_id)}));
  return {};
}

Result<std::optional<std::string>> id_by_email(Connection& c, std::string_view email) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT id FROM tenants WHERE email = $1", {std::string(email)}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows.front().str(0)};
}

Result<std::vector<std::string>> slugs_like(Connection& c, std::string_view base) {
  // Exact lookups of the first candidates use the unique index; only when all
  // of them are taken does it fall back to the pattern scan.
  constexpr int kProbe = 16;
  Params candidates{std::string(base)};
  std::string in = "$1";
  for (int n = 2; n <= kProbe; ++n) {
    candidates.emplace_back(slug_with_suffix(base, n));
    in += fmt::format(", ${}", n);
  }
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT slug FROM tenants WHERE slug IN (" + in + ")", candidates));
  if (rows.size() == candidates.size()) {
    WINSTON_TRY_ASSIGN(rows, c.query("SELECT slug FROM tenants WHERE slug = $1 OR slug LIKE $2 ESCAPE '\\'",
                                     {std::string(base), escape_like(base) + "-%"}));
  }
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.str(0));
  return out;
}

Result<std::vector<Tenant>> list(Connection& c, const TenantQuery& q) {
  Params params;
  const std::string where = where_clause(q, params);
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT {} FROM tenants{} ORDER BY created_at DESC, id DESC "
                                                    "LIMIT ${} OFFSET ${}",
                                                    kColumns, where, params.size() - 1, params.size()),
                                        params));
  std::vector<Tenant> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<std::int64_t> count(Connection& c, const TenantQuery& q) {
  Params params;
  const std::string where = where_clause(q, params);
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM tenants" + where, params));
  return rows.front().i64(0);
}

Status update(Connection& c, std::string_view id, const TenantChanges& ch) {
  Params params{std::string(id)};
  std::string sets;
  const auto set = [&](std::string_view column, Value v) {
    params.push_back(std::move(v));
    sets += fmt::format("{}{} = ${}", sets.empty() ? "" : ", ", column, params.size());
  };
  if (ch.name) set("name", *ch.name);
  if (ch.email) set("email", *ch.email);
  if (ch.website_url) set("website_url", *ch.website_url);
  if (ch.industry) set("industry", null_if_empty(*ch.industry));
  if (ch.tier) set("tier", *ch.tier);
  if (ch.monthly_allotment_mc) set("monthly_allotment_mc", *ch.monthly_allotment_mc);
  if (ch.status) set("status", std::string(to_string(*ch.status)));
  if (sets.empty()) return {};
  auto r = c.query(fmt::format("UPDATE tenants SET {} WHERE id = $1", sets), params);
  if (!r.ok()) return r.error();
  return {};
}

Result<bool> remove(Connection& c, std::string_view id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("DELETE FROM tenants WHERE id = $1 RETURNING id", {std::string(id)}));
  return !rows.empty();
}

}  // namespace winston::storage::tenants
