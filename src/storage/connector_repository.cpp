#include "storage/connector_repository.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"

namespace winston::storage::connectors {
namespace {

constexpr std::string_view kColumns =
    "id, tenant_id, kind, name, settings, credentials_enc, status, created_at, updated_at";

// Rows per multi-row INSERT: 13 parameters a row stays under SQLite's
// historical 999-parameter limit, and one statement per batch keeps a large
// upload to a few dozen round trips.
constexpr std::size_t kInventoryBatch = 60;
constexpr std::size_t kSalesBatch = 60;

// Only active connectors feed the cells.
constexpr std::string_view kActiveJoin = " JOIN tenant_connectors c ON c.id = {0}.connector_id AND c.status = 'active' ";

ConnectorRow from_row(const Row& r) {
  return {r.str(0), r.str(1), r.str(2), r.str(3), r.str(4), r.opt_str(5), r.str(6), r.i64(7), r.i64(8)};
}


std::string escape_like(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::string search_text(const InventoryItem& i) {
  return to_lower(fmt::format("{} {} {} {} {} {}", i.name, i.brand, i.category, i.sku, i.strain, i.strain_type));
}

/// "($4, $5, ...), (...)" for `rows` rows of `per_row` parameters after `fixed` shared ones,
/// each row prefixed by the shared parameters named in `shared`.
std::string values_clause(std::size_t rows, std::size_t per_row, std::size_t fixed, std::string_view shared) {
  std::string out;
  for (std::size_t r = 0; r < rows; ++r) {
    out += r == 0 ? "(" : ", (";
    out += shared;
    for (std::size_t k = 0; k < per_row; ++k) out += fmt::format(", ${}", fixed + r * per_row + k + 1);
    out += ")";
  }
  return out;
}

// WHERE clause and parameters shared by search and count.
std::string inventory_where(const InventoryQuery& q, Params& params) {
  params.push_back(q.tenant_id);
  std::string where = "WHERE i.tenant_id = $1";
  for (const auto& term : q.terms) {
    params.push_back("%" + escape_like(term) + "%");
    where += fmt::format(" AND i.search_text LIKE ${} ESCAPE '\\'", params.size());
  }
  if (q.category) {
    params.push_back(*q.category);
    where += fmt::format(" AND lower(i.category) = lower(${})", params.size());
  }
  if (q.in_stock_only) where += " AND i.quantity > 0";
  return where;
}

Result<std::int64_t> count_sales(Connection& c, std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM connector_sales WHERE connector_id = $1",
                                        {std::string(connector_id)}));
  return rows.front().i64(0);
}

}  // namespace

Status insert(Connection& c, const ConnectorRow& row) {
  auto r = c.query(
      "INSERT INTO tenant_connectors (id, tenant_id, kind, name, settings, credentials_enc, status, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
      {row.id, row.tenant_id, row.kind, row.name, row.settings_json, null_if_empty(row.credentials_enc), row.status,
       row.created_at});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<ConnectorRow>> list(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT {} FROM tenant_connectors WHERE tenant_id = $1 "
                                                    "ORDER BY created_at, id",
                                                    kColumns),
                                        {std::string(tenant_id)}));
  std::vector<ConnectorRow> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<std::optional<ConnectorRow>> find(Connection& c, std::string_view tenant_id, std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto rows,
                     c.query(fmt::format("SELECT {} FROM tenant_connectors WHERE tenant_id = $1 AND id = $2", kColumns),
                             {std::string(tenant_id), std::string(connector_id)}));
  if (rows.empty()) return std::optional<ConnectorRow>{};
  return std::optional<ConnectorRow>{from_row(rows.front())};
}

Result<bool> remove(Connection& c, std::string_view tenant_id, std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("DELETE FROM tenant_connectors WHERE tenant_id = $1 AND id = $2 RETURNING id",
                                        {std::string(tenant_id), std::string(connector_id)}));
  return !rows.empty();
}

Result<ConnectorStats> stats(Connection& c, std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT (SELECT COUNT(*) FROM connector_inventory WHERE connector_id = $1), "
                                        "(SELECT MAX(updated_at) FROM connector_inventory WHERE connector_id = $1), "
                                        "(SELECT COUNT(*) FROM connector_sales WHERE connector_id = $1), "
                                        "(SELECT MIN(sale_date) FROM connector_sales WHERE connector_id = $1), "
                                        "(SELECT MAX(sale_date) FROM connector_sales WHERE connector_id = $1)",
                                        {std::string(connector_id)}));
  const auto& r = rows.front();
  return ConnectorStats{.inventory_items = r.i64(0),
                        .inventory_updated_at = r.opt_i64(1),
                        .sales_lines = r.i64(2),
                        .first_sale_date = r.opt_str(3),
                        .last_sale_date = r.opt_str(4)};
}

Status replace_inventory(Connection& c, const ConnectorRow& connector, const std::vector<InventoryItem>& items,
                         EpochMs now) {
  WINSTON_TRY(c.query("DELETE FROM connector_inventory WHERE connector_id = $1", {connector.id}));
  constexpr std::size_t kPerRow = 13;
  for (std::size_t start = 0; start < items.size(); start += kInventoryBatch) {
    const std::size_t n = std::min(kInventoryBatch, items.size() - start);
    Params p{connector.tenant_id, connector.id, now};
    for (std::size_t k = start; k < start + n; ++k) {
      const auto& i = items[k];
      for (Value v : {Value{new_uuid_v7(now)}, Value{i.sku}, Value{i.name}, Value{i.category}, Value{i.brand},
                      Value{i.strain}, Value{i.strain_type}, Value{i.thc}, Value{i.cbd}, Value{i.size},
                      Value{i.price_cents}, Value{i.quantity}, Value{search_text(i)}}) {
        p.push_back(std::move(v));
      }
    }
    WINSTON_TRY(c.query("INSERT INTO connector_inventory (tenant_id, connector_id, updated_at, id, sku, name, "
                        "category, brand, strain, strain_type, thc, cbd, size, price_cents, quantity, search_text) "
                        "VALUES " + values_clause(n, kPerRow, 3, "$1, $2, $3"),
                        p));
  }
  return {};
}

Result<std::int64_t> upsert_sales(Connection& c, const ConnectorRow& connector, const std::vector<SaleLine>& lines,
                                  EpochMs now) {
  WINSTON_TRY_ASSIGN(const std::int64_t before, count_sales(c, connector.id));
  constexpr std::size_t kPerRow = 10;
  for (std::size_t start = 0; start < lines.size(); start += kSalesBatch) {
    const std::size_t n = std::min(kSalesBatch, lines.size() - start);
    Params p{connector.tenant_id, connector.id, now};
    for (std::size_t k = start; k < start + n; ++k) {
      const auto& s = lines[k];
      for (Value v : {Value{new_uuid_v7(now)}, Value{s.order_id}, Value{s.line_id}, Value{s.sale_date},
                      Value{s.occurred_at}, Value{s.sku}, Value{s.product_name}, Value{s.category}, Value{s.quantity},
                      Value{s.total_cents}}) {
        p.push_back(std::move(v));
      }
    }
    // A re-upload corrects a line in place instead of adding a second copy.
    WINSTON_TRY(c.query("INSERT INTO connector_sales (tenant_id, connector_id, created_at, id, order_id, line_id, "
                        "sale_date, occurred_at, sku, product_name, category, quantity, total_cents) VALUES " +
                            values_clause(n, kPerRow, 3, "$1, $2, $3") +
                            " ON CONFLICT (connector_id, order_id, line_id) DO UPDATE SET sale_date = excluded.sale_date, "
                            "occurred_at = excluded.occurred_at, sku = excluded.sku, product_name = excluded.product_name, "
                            "category = excluded.category, quantity = excluded.quantity, "
                            "total_cents = excluded.total_cents",
                        p));
  }
  WINSTON_TRY_ASSIGN(const std::int64_t after, count_sales(c, connector.id));
  return after - before;
}

Result<std::vector<InventoryHit>> search_inventory(Connection& c, const InventoryQuery& q) {
  Params p;
  const std::string where = inventory_where(q, p);
  // Constructed in place: GCC 12's optimiser reports a converting push_back of
  // this variant as maybe-uninitialized (a false positive that -Werror makes fatal).
  p.emplace_back(std::in_place_type<std::int64_t>, q.limit);
  const std::string sql = fmt::format(
      "SELECT i.sku, i.name, i.category, i.brand, i.strain, i.strain_type, i.thc, i.cbd, i.size, i.price_cents, "
      "i.quantity, i.updated_at, c.name, c.settings FROM connector_inventory i{} {} "
      "ORDER BY CASE WHEN i.quantity > 0 THEN 0 ELSE 1 END, i.search_text, i.id LIMIT ${}",
      fmt::format(fmt::runtime(kActiveJoin), "i"), where, p.size());
  WINSTON_TRY_ASSIGN(auto rows, c.query(sql, p));
  std::vector<InventoryHit> out;
  for (const auto& r : rows) {
    InventoryItem item{r.str(0), r.str(1), r.str(2), r.str(3), r.str(4),  r.str(5),
                       r.str(6), r.str(7), r.str(8), r.i64(9), r.i64(10)};
    out.push_back({std::move(item), r.str(12), r.str(13), r.i64(11)});
  }
  return out;
}

Result<std::int64_t> count_inventory(Connection& c, const InventoryQuery& q) {
  Params p;
  const std::string where = inventory_where(q, p);
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT COUNT(*) FROM connector_inventory i{} {}",
                                                    fmt::format(fmt::runtime(kActiveJoin), "i"), where),
                                        p));
  return rows.front().i64(0);
}

Result<std::pair<std::int64_t, std::optional<EpochMs>>> inventory_overview(Connection& c, std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT COUNT(*), MAX(i.updated_at) FROM connector_inventory i{} "
                                                    "WHERE i.tenant_id = $1",
                                                    fmt::format(fmt::runtime(kActiveJoin), "i")),
                                        {std::string(tenant_id)}));
  return std::pair{rows.front().i64(0), rows.front().opt_i64(1)};
}

Result<std::vector<SalesFigures>> sales_figures(Connection& c, std::string_view tenant_id, std::string_view from,
                                                std::string_view to, SalesGrouping grouping, std::int64_t limit) {
  // key, name, GROUP BY / ORDER BY tail for each grouping.
  std::string key = "''", name = "''", tail;
  switch (grouping) {
    case SalesGrouping::kTotal: break;
    case SalesGrouping::kDay: key = "s.sale_date", tail = "GROUP BY s.sale_date ORDER BY 1"; break;
    case SalesGrouping::kProduct:
      // One product: its sku, or its name when the upload had no sku.
      key = "MAX(s.sku)";
      name = "MAX(s.product_name)";
      tail = fmt::format("GROUP BY CASE WHEN s.sku = '' THEN s.product_name ELSE s.sku END "
                         "ORDER BY 5 DESC, 2, 1 LIMIT {}", limit);
      break;
    case SalesGrouping::kCategory:
      key = "s.category", tail = fmt::format("GROUP BY s.category ORDER BY 5 DESC, 1 LIMIT {}", limit);
      break;
  }
  const std::string sql = fmt::format(
      "SELECT {}, {}, COUNT(DISTINCT s.connector_id || ':' || s.order_id), COALESCE(SUM(s.quantity), 0), "
      "COALESCE(SUM(s.total_cents), 0) FROM connector_sales s{} WHERE s.tenant_id = $1 AND s.sale_date >= $2 "
      "AND s.sale_date <= $3 {}",
      key, name, fmt::format(fmt::runtime(kActiveJoin), "s"), tail);
  WINSTON_TRY_ASSIGN(auto rows, c.query(sql, {std::string(tenant_id), std::string(from), std::string(to)}));
  std::vector<SalesFigures> out;
  for (const auto& r : rows) out.push_back({r.str(0), r.str(1), r.i64(2), r.i64(3), r.i64(4)});
  return out;
}

Result<std::pair<std::optional<std::string>, std::optional<std::string>>> sales_span(Connection& c,
                                                                                      std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto rows, c.query(fmt::format("SELECT MIN(s.sale_date), MAX(s.sale_date) FROM connector_sales s{} "
                                                    "WHERE s.tenant_id = $1",
                                                    fmt::format(fmt::runtime(kActiveJoin), "s")),
                                        {std::string(tenant_id)}));
  return std::pair{rows.front().opt_str(0), rows.front().opt_str(1)};
}

}  // namespace winston::storage::connectors
