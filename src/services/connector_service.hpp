#pragma once
// Tenant connectors: where a tenant's store data comes from (today an upload
// of CSV or JSON; later a POS such as Dutchie or Treez) and the read side the
// cells query through the connector API. Credentials of any connector are
// sealed with the master key and never leave this service; each mutation
// writes its audit row in the same transaction.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/secret_box.hpp"
#include "services/connector_import.hpp"
#include "services/tenant_service.hpp"
#include "storage/connector_repository.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct NewConnector {
  std::string name;
  std::string kind;
  boost::json::object settings;
  std::optional<boost::json::object> credentials;  // string values only; sealed at rest
};

/// A connector as callers see it: never its credentials, only whether it has any.
struct Connector {
  std::string id;
  std::string tenant_id;
  std::string kind;
  std::string name;
  boost::json::object settings;
  std::string status;
  bool has_credentials = false;
  bool accepts_uploads = false;
  storage::connectors::ConnectorStats stats;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

struct UploadReport {
  std::string connector_id;
  std::int64_t rows = 0;
  std::int64_t new_rows = 0;       // sales: lines not seen before; inventory: every row
  std::int64_t replaced_rows = 0;  // sales: lines uploaded before and overwritten; inventory: the old items
  std::vector<std::string> ignored_columns;
};

struct InventorySearch {
  std::optional<std::string> q;  // words, each to occur in name, brand, category, sku or strain
  std::optional<std::string> category;
  bool in_stock_only = false;
  std::int64_t limit = 10;
};

struct InventoryAnswer {
  std::vector<storage::connectors::InventoryHit> items;
  std::int64_t total_matches = 0;
  std::int64_t inventory_items = 0;  // all items the tenant has, 0 when nothing was ever uploaded
  std::optional<EpochMs> inventory_updated_at;
};

struct SalesSummary {
  std::string from;
  std::string to;
  storage::connectors::SalesFigures totals;
  std::vector<storage::connectors::SalesFigures> days;  // every date of the range, zero when no sales
  std::vector<storage::connectors::SalesFigures> top_products;
  std::vector<storage::connectors::SalesFigures> categories;
  std::optional<std::string> first_sale_date;  // of all the tenant's sales data
  std::optional<std::string> last_sale_date;
};

inline constexpr std::int64_t kMaxInventoryLimit = 50;
inline constexpr std::int64_t kMaxSalesSpanDays = 366;

class ConnectorService {
 public:
  ConnectorService(storage::Database& db, const Clock& clock, const SecretBox& box)
      : db_(db), clock_(clock), box_(box) {}

  Result<Connector> create(const Actor& actor, std::string_view tenant, const NewConnector& input);
  Result<std::vector<Connector>> list(std::string_view tenant);
  Result<Connector> get(std::string_view tenant, std::string_view connector_id);
  Status remove(const Actor& actor, std::string_view tenant, std::string_view connector_id);
  /// Replaces the connector's inventory with the upload, atomically.
  Result<UploadReport> upload_inventory(const Actor& actor, std::string_view tenant, std::string_view connector_id,
                                        UploadFormat format, std::string_view body);
  /// Adds the upload's sale lines; a line already uploaded (same order and line id) is overwritten, not repeated.
  Result<UploadReport> upload_sales(const Actor& actor, std::string_view tenant, std::string_view connector_id,
                                    UploadFormat format, std::string_view body);
  /// The connector's credentials in clear, for the code that talks to its POS. Never for an API response.
  Result<std::optional<boost::json::object>> open_credentials(std::string_view tenant, std::string_view connector_id);

  // The cells' read side, by tenant id (the owner of the calling key).
  Result<InventoryAnswer> search_inventory(std::string_view tenant_id, const InventorySearch& search);
  Result<SalesSummary> sales_summary(std::string_view tenant_id, std::string_view from, std::string_view to);

 private:
  Result<Connector> view(storage::Connection& c, const storage::connectors::ConnectorRow& row);
  template <typename Apply>
  Result<UploadReport> upload(const Actor& actor, std::string_view tenant, std::string_view connector_id,
                              std::string_view what, Apply&& apply);

  storage::Database& db_;
  const Clock& clock_;
  const SecretBox& box_;
};

/// The ISO 4217 code in a connector's settings, "USD" when unset.
std::string currency_of(std::string_view settings_json);

}  // namespace winston::services
