#pragma once
// A tenant's uploaded table (a spreadsheet export as CSV, or JSON rows) read
// into columns and text cells, before any column is given a meaning. Errors
// name the row (and, for CSV, the line) so a store owner can find it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace winston {

/// Uploaded cells and column names are trimmed of spaces and tabs only: a
/// line break inside a quoted cell is content.
inline constexpr std::string_view kBlanks = " \t";

/// A parsed upload: normalised column names (lowercase, spaces and hyphens as
/// '_') and one record per data row, numbered from 1 (the header not counted).
struct UploadTable {
  struct Record {
    std::size_t line = 0;  // CSV: the line the row starts on (for messages); JSON: 0
    std::vector<std::optional<std::string>> cells;  // nullopt: JSON null or absent
  };
  std::vector<std::string> columns;
  std::vector<Record> records;
};

/// RFC 4180 CSV with a header row (quotes, doubled quotes, commas and line
/// breaks inside quotes, CRLF or LF, a UTF-8 BOM). Errors name the row and line.
Result<UploadTable> parse_csv(std::string_view text, std::size_t max_rows);
/// A JSON array of flat objects; strings, numbers and null as cell values.
Result<UploadTable> parse_json_rows(std::string_view text, std::size_t max_rows);

/// "Product Name" and "product-name" become "product_name".
std::string normalise_column(std::string_view raw);

/// kInvalidField on "rows[N]" (or "rows[N].column"), its message naming the
/// row, the line when known (non-zero) and the column.
Error upload_row_error(std::size_t row, std::size_t line, std::string_view column, std::string_view message);

}  // namespace winston
