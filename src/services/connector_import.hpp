#pragma once
// What an upload to a connector means: the columns of an uploaded table
// (under the names POS and spreadsheet exports give them) mapped to
// inventory items or sale lines, every cell checked, errors naming the row
// and column a store owner must fix.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/connector_repository.hpp"

namespace winston::services {

enum class UploadFormat { kCsv, kJson };

inline constexpr std::size_t kMaxUploadRows = 50'000;
inline constexpr std::size_t kMaxUploadBytes = 32 * 1024 * 1024;

struct InventoryUpload {
  std::vector<storage::connectors::InventoryItem> items;
  std::vector<std::string> ignored_columns;  // columns no field is read from, as normalised
};

struct SalesUpload {
  std::vector<storage::connectors::SaleLine> lines;
  std::vector<std::string> ignored_columns;
};

/// The whole inventory in `body`: one item per row, skus unique.
Result<InventoryUpload> read_inventory(UploadFormat format, std::string_view body);
/// Sale lines: one per row, (order_id, line_id) unique; line_id defaults to the sku, else the product name.
Result<SalesUpload> read_sales(UploadFormat format, std::string_view body);

}  // namespace winston::services
