#include "services/connector_import.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/date.hpp"
#include "core/decimal.hpp"
#include "core/tenant.hpp"
#include "core/text.hpp"
#include "core/upload_table.hpp"

namespace winston::services {
namespace conn = storage::connectors;
namespace {

constexpr std::int64_t kMaxCents = 1'000'000'000;  // ten million in currency units: beyond any line or price
constexpr std::int64_t kMaxQuantity = 1'000'000'000;

// ---------------------------------------------------------------- columns

struct ColumnSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;  // other header names exports use for it
};

/// Which upload column holds each canonical field, and which columns nothing reads.
class Columns {
 public:
  Columns(const UploadTable& table, const std::vector<ColumnSpec>& specs) {
    std::set<std::size_t> used;
    for (const auto& spec : specs) {
      std::vector<std::string_view> names{spec.name};
      names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
      for (const auto n : names) {
        const auto it = std::find(table.columns.begin(), table.columns.end(), n);
        if (it == table.columns.end()) continue;
        const auto i = static_cast<std::size_t>(it - table.columns.begin());
        index_.emplace(std::string(spec.name), i);
        used.insert(i);
        break;
      }
    }
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (!used.contains(i)) ignored_.push_back(table.columns[i]);
    }
  }
  bool has(std::string_view name) const { return index_.contains(std::string(name)); }
  std::optional<std::size_t> index(std::string_view name) const {
    const auto it = index_.find(std::string(name));
    return it == index_.end() ? std::nullopt : std::optional<std::size_t>{it->second};
  }
  /// 422 naming the first of `names` without a column.
  Status require(std::initializer_list<std::string_view> names, std::string_view what) const {
    for (const auto n : names) {
      if (!has(n)) {
        return Error::invalid("columns", fmt::format("the upload has no '{}' column; {} uploads need: {}", n, what,
                                                     fmt::join(names, ", ")));
      }
    }
    return {};
  }
  const std::vector<std::string>& ignored() const { return ignored_; }

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<std::string> ignored_;
};

/// Typed access to one record's cells, with errors naming row and column.
class Cells {
 public:
  Cells(const Columns& cols, const UploadTable::Record& rec, std::size_t row) : cols_(cols), rec_(rec), row_(row) {}

  /// Trimmed text, "" when the column or the cell is absent.
  Result<std::string> text(std::string_view column, std::size_t max_len, bool required = false) const {
    const auto i = cols_.index(column);
    const std::string_view v = i && rec_.cells[*i] ? trim(*rec_.cells[*i], kBlanks) : std::string_view{};
    if (required && v.empty()) return error(column, "must not be empty");
    if (v.size() > max_len) return error(column, fmt::format("is longer than {} characters", max_len));
    if (!is_clean_utf8(v, false)) return error(column, "must be UTF-8 text without control characters or line breaks");
    return std::string(v);
  }
  Result<std::int64_t> integer(std::string_view column, bool allow_negative) const {
    WINSTON_TRY_ASSIGN(const std::string v, text(column, 32, true));
    const auto n = parse_whole_number(v, allow_negative);
    if (!n || *n > kMaxQuantity || *n < -kMaxQuantity) {
      return error(column, fmt::format("'{}' is not a whole number{}", v, allow_negative ? "" : " of 0 or more"));
    }
    return *n;
  }
  /// Cents from `cents_column` when this row has it, else from the decimal `column` ("12.50", "$12.50").
  Result<std::int64_t> money(std::string_view column, std::string_view cents_column, bool allow_negative) const {
    WINSTON_TRY_ASSIGN(const std::string in_cents, text(cents_column, 32));
    if (!in_cents.empty() || !cols_.has(column)) {
      WINSTON_TRY_ASSIGN(const std::int64_t cents, integer(cents_column, allow_negative));
      if (cents > kMaxCents || cents < -kMaxCents) return error(cents_column, "is out of range");
      return cents;
    }
    WINSTON_TRY_ASSIGN(const std::string v, text(column, 32, true));
    const auto cents = parse_cents(v, allow_negative);
    if (!cents || *cents > kMaxCents || *cents < -kMaxCents) {
      return error(column, fmt::format("'{}' is not an amount like 12.50", v));
    }
    return *cents;
  }
  Error error(std::string_view column, std::string_view message) const {
    return upload_row_error(row_, rec_.line, column, message);
  }

 private:
  const Columns& cols_;
  const UploadTable::Record& rec_;
  std::size_t row_;
};

// ---------------------------------------------------------------- rows

const std::vector<ColumnSpec>& inventory_columns() {
  static const std::vector<ColumnSpec> kColumns = {
      {"sku", {"product_id", "item_id", "id"}},
      {"name", {"product_name", "product", "item_name", "item"}},
      {"category", {"product_category", "product_type"}},
      {"brand", {"vendor", "manufacturer", "producer"}},
      {"strain", {"strain_name"}},
      {"strain_type", {"type", "lineage"}},
      {"thc", {"thc_percent", "thc_content"}},
      {"cbd", {"cbd_percent", "cbd_content"}},
      {"size", {"unit", "unit_size", "weight"}},
      {"price", {"unit_price", "retail_price"}},
      {"price_cents", {}},
      {"quantity", {"qty", "stock", "on_hand", "quantity_on_hand", "available"}},
  };
  return kColumns;
}

const std::vector<ColumnSpec>& sales_columns() {
  static const std::vector<ColumnSpec> kColumns = {
      {"order_id", {"order", "order_number", "transaction_id", "receipt_id"}},
      {"line_id", {"line", "line_number", "line_item_id"}},
      {"date", {"sold_at", "occurred_at", "sale_date", "timestamp", "created_at"}},
      {"sku", {"product_id", "item_id"}},
      {"product_name", {"name", "product", "item_name", "item"}},
      {"category", {"product_category", "product_type"}},
      {"quantity", {"qty", "units"}},
      {"total", {"line_total", "total_price", "amount"}},
      {"total_cents", {}},
  };
  return kColumns;
}

Result<conn::InventoryItem> inventory_item(const Cells& c) {
  conn::InventoryItem i;
  WINSTON_TRY_ASSIGN(i.sku, c.text("sku", 64, true));
  WINSTON_TRY_ASSIGN(i.name, c.text("name", 200, true));
  WINSTON_TRY_ASSIGN(i.category, c.text("category", 100));
  WINSTON_TRY_ASSIGN(i.brand, c.text("brand", 100));
  WINSTON_TRY_ASSIGN(i.strain, c.text("strain", 100));
  WINSTON_TRY_ASSIGN(i.strain_type, c.text("strain_type", 50));
  WINSTON_TRY_ASSIGN(i.thc, c.text("thc", 32));
  WINSTON_TRY_ASSIGN(i.cbd, c.text("cbd", 32));
  WINSTON_TRY_ASSIGN(i.size, c.text("size", 32));
  WINSTON_TRY_ASSIGN(i.price_cents, c.money("price", "price_cents", false));
  WINSTON_TRY_ASSIGN(i.quantity, c.integer("quantity", false));
  return i;
}

Result<conn::SaleLine> sale_line(const Cells& c) {
  conn::SaleLine s;
  WINSTON_TRY_ASSIGN(s.order_id, c.text("order_id", 100, true));
  WINSTON_TRY_ASSIGN(s.line_id, c.text("line_id", 100));
  WINSTON_TRY_ASSIGN(const std::string when, c.text("date", 40, true));
  auto parsed = parse_date_time(when);
  if (!parsed) {
    return c.error("date", fmt::format("'{}' is not a date like 2026-03-01 or 2026-03-01T14:05:00-08:00", when));
  }
  s.sale_date = std::move(parsed->date);
  s.occurred_at = parsed->at;
  WINSTON_TRY_ASSIGN(s.sku, c.text("sku", 64));
  WINSTON_TRY_ASSIGN(s.product_name, c.text("product_name", 200, true));
  WINSTON_TRY_ASSIGN(s.category, c.text("category", 100));
  WINSTON_TRY_ASSIGN(s.quantity, c.integer("quantity", true));
  WINSTON_TRY_ASSIGN(s.total_cents, c.money("total", "total_cents", true));
  if (s.line_id.empty()) s.line_id = s.sku.empty() ? s.product_name : s.sku;
  return s;
}

Result<UploadTable> parse_upload(UploadFormat format, std::string_view body) {
  if (body.size() > kMaxUploadBytes) {
    return Error{ErrorCode::kPayloadTooLarge, fmt::format("an upload is at most {} bytes", kMaxUploadBytes), {}};
  }
  return format == UploadFormat::kCsv ? parse_csv(body, kMaxUploadRows) : parse_json_rows(body, kMaxUploadRows);
}

Result<InventoryUpload> inventory_from(const UploadTable& t) {
  const Columns cols(t, inventory_columns());
  WINSTON_TRY(cols.require({"sku", "name", cols.has("price_cents") ? "price_cents" : "price", "quantity"}, "inventory"));
  std::vector<conn::InventoryItem> items;
  std::map<std::string, std::size_t> seen;  // sku -> row
  for (std::size_t r = 0; r < t.records.size(); ++r) {
    const Cells cells(cols, t.records[r], r + 1);
    WINSTON_TRY_ASSIGN(auto item, inventory_item(cells));
    if (auto [it, added] = seen.emplace(item.sku, r + 1); !added) {
      return cells.error("sku", fmt::format("sku '{}' is already on row {}", item.sku, it->second));
    }
    items.push_back(std::move(item));
  }
  return InventoryUpload{.items = std::move(items), .ignored_columns = cols.ignored()};
}

Result<SalesUpload> sales_from(const UploadTable& t) {
  const Columns cols(t, sales_columns());
  WINSTON_TRY(cols.require({"order_id", "date", "product_name", "quantity",
                            cols.has("total_cents") ? "total_cents" : "total"},
                           "sales"));
  std::vector<conn::SaleLine> lines;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;  // (order, line) -> row
  for (std::size_t r = 0; r < t.records.size(); ++r) {
    const Cells cells(cols, t.records[r], r + 1);
    WINSTON_TRY_ASSIGN(auto line, sale_line(cells));
    if (auto [it, added] = seen.emplace(std::pair{line.order_id, line.line_id}, r + 1); !added) {
      return cells.error("line_id", fmt::format("order '{}' line '{}' is already on row {}; a line_id column tells "
                                                "lines of one product apart",
                                                line.order_id, line.line_id, it->second));
    }
    lines.push_back(std::move(line));
  }
  return SalesUpload{.lines = std::move(lines), .ignored_columns = cols.ignored()};
}

}  // namespace

Result<InventoryUpload> read_inventory(UploadFormat format, std::string_view body) {
  WINSTON_TRY_ASSIGN(const UploadTable table, parse_upload(format, body));
  return inventory_from(table);
}

Result<SalesUpload> read_sales(UploadFormat format, std::string_view body) {
  WINSTON_TRY_ASSIGN(const UploadTable table, parse_upload(format, body));
  return sales_from(table);
}

}  // namespace winston::services
