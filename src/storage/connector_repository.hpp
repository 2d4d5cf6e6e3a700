#pragma once
// SQL for tenant connectors and the data they bring in (inventory, sales).
// Every read takes the tenant id, so one tenant's key never reaches another
// tenant's rows. Money is integer cents.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::connectors {

struct ConnectorRow {
  std::string id;
  std::string tenant_id;
  std::string kind;
  std::string name;
  std::string settings_json;
  std::optional<std::string> credentials_enc;  // SecretBox-sealed JSON object; never leaves the service
  std::string status;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

/// What a connector holds, for its view.
struct ConnectorStats {
  std::int64_t inventory_items = 0;
  std::optional<EpochMs> inventory_updated_at;
  std::int64_t sales_lines = 0;
  std::optional<std::string> first_sale_date;
  std::optional<std::string> last_sale_date;
};

Status insert(Connection& c, const ConnectorRow& row);
/// Oldest first.
Result<std::vector<ConnectorRow>> list(Connection& c, std::string_view tenant_id);
Result<std::optional<ConnectorRow>> find(Connection& c, std::string_view tenant_id, std::string_view connector_id);
/// Deletes the connector and (by cascade) its data; false when the tenant has no such connector.
Result<bool> remove(Connection& c, std::string_view tenant_id, std::string_view connector_id);
Result<ConnectorStats> stats(Connection& c, std::string_view connector_id);

struct InventoryItem {
  std::string sku;
  std::string name;
  std::string category;
  std::string brand;
  std::string strain;
  std::string strain_type;  // indica, sativa, hybrid, ... as the store writes it
  std::string thc;          // as labelled ("23.5%", "10mg"): units differ by product type
  std::string cbd;
  std::string size;         // "3.5g", "1g", "10 pack"
  std::int64_t price_cents = 0;
  std::int64_t quantity = 0;
};

/// Replaces the connector's whole inventory with `items`. Run inside the
/// caller's transaction so readers never see a half-replaced inventory.
Status replace_inventory(Connection& c, const ConnectorRow& connector, const std::vector<InventoryItem>& items,
                         EpochMs now);

struct SaleLine {
  std::string order_id;
  std::string line_id;    // with order_id, the idempotency key of the line
  std::string sale_date;  // YYYY-MM-DD, the store's calendar date as written in the upload
  EpochMs occurred_at = 0;
  std::string sku;
  std::string product_name;
  std::string category;
  std::int64_t quantity = 0;     // negative for returns
  std::int64_t total_cents = 0;  // negative for refunds
};

/// Inserts the lines, replacing any line with the same (order_id, line_id):
/// uploading the same file twice leaves one copy. Returns how many lines are new.
Result<std::int64_t> upsert_sales(Connection& c, const ConnectorRow& connector, const std::vector<SaleLine>& lines,
                                  EpochMs now);

struct InventoryQuery {
  std::string tenant_id;
  std::vector<std::string> terms;  // lowercased; every term must occur in name, brand, category or sku
  std::optional<std::string> category;
  bool in_stock_only = false;
  std::int64_t limit = 10;
};

struct InventoryHit {
  InventoryItem item;
  std::string connector_name;
  std::string connector_settings_json;
  EpochMs updated_at = 0;
};

/// Matches of the tenant's active connectors, in-stock first, then by name.
Result<std::vector<InventoryHit>> search_inventory(Connection& c, const InventoryQuery& q);
Result<std::int64_t> count_inventory(Connection& c, const InventoryQuery& q);
/// Items across the tenant's active connectors and when they last changed (nullopt: none).
Result<std::pair<std::int64_t, std::optional<EpochMs>>> inventory_overview(Connection& c, std::string_view tenant_id);

struct SalesFigures {
  std::string key;  // the date, the product's sku ("" when it has none), or the category
  std::string name;
  std::int64_t orders = 0;
  std::int64_t units = 0;
  std::int64_t revenue_cents = 0;
};

enum class SalesGrouping { kTotal, kDay, kProduct, kCategory };

/// Sales of the tenant's active connectors with sale_date in [from, to]
/// (YYYY-MM-DD, inclusive), grouped; products and categories by revenue, at most `limit`.
Result<std::vector<SalesFigures>> sales_figures(Connection& c, std::string_view tenant_id, std::string_view from,
                                                std::string_view to, SalesGrouping grouping, std::int64_t limit);
/// The earliest and latest sale_date the tenant has at all.
Result<std::pair<std::optional<std::string>, std::optional<std::string>>> sales_span(Connection& c,
                                                                                      std::string_view tenant_id);

}  // namespace winston::storage::connectors
