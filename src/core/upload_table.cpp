#include "core/upload_table.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/text.hpp"

namespace winston {
namespace json = boost::json;

Error upload_row_error(std::size_t row, std::size_t line, std::string_view column, std::string_view message) {
  const std::string where = line == 0 ? fmt::format("row {}", row) : fmt::format("row {} (line {})", row, line);
  if (column.empty()) return Error::invalid(fmt::format("rows[{}]", row), fmt::format("{}: {}", where, message));
  return Error::invalid(fmt::format("rows[{}].{}", row, column),
                        fmt::format("{}, column '{}': {}", where, column, message));
}

std::string normalise_column(std::string_view raw) {
  std::string out = to_lower(trim(raw, kBlanks));
  std::replace_if(out.begin(), out.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
  return out;
}

namespace {

/// Reads RFC 4180 records one at a time, counting physical lines for error messages.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : s_(text) {}

  /// The next record into `fields`; false at the end of the input.
  Result<bool> next(std::vector<std::string>& fields, std::size_t row) {
    fields.clear();
    if (pos_ >= s_.size()) return false;
    record_line_ = line_;
    for (;;) {
      std::string field;
      WINSTON_TRY_ASSIGN(const bool last, read_field(field, row));
      fields.push_back(std::move(field));
      if (last) return true;
    }
  }
  std::size_t record_line() const { return record_line_; }

 private:
  // One field; true when it ended its record.
  Result<bool> read_field(std::string& out, std::size_t row) {
    if (pos_ < s_.size() && s_[pos_] == '"') return read_quoted(out, row);
    for (; pos_ < s_.size(); ++pos_) {
      const char ch = s_[pos_];
      if (ch == ',') {
        ++pos_;
        return false;
      }
      if (ch == '\r' || ch == '\n') {
        end_line();
        return true;
      }
      if (ch == '"') {
        return upload_row_error(row, line_, "",
                                "a quote inside an unquoted field: quote the whole field and double the quote");
      }
      out += ch;
    }
    return true;
  }

  Result<bool> read_quoted(std::string& out, std::size_t row) {
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) return upload_row_error(row, record_line_, "", "a quoted field is never closed");
      const char ch = s_[pos_++];
      if (ch == '"') {
        if (pos_ < s_.size() && s_[pos_] == '"') {
          out += '"';
          ++pos_;
          continue;
        }
        break;
      }
      if (ch == '\n') ++line_;
      out += ch;
    }
    if (pos_ >= s_.size()) return true;
    if (s_[pos_] == ',') {
      ++pos_;
      return false;
    }
    if (s_[pos_] == '\r' || s_[pos_] == '\n') {
      end_line();
      return true;
    }
    return upload_row_error(row, line_, "",
                            "text after a closing quote: a quote inside a quoted field is written twice (\"\")");
  }

  void end_line() {
    if (s_[pos_] == '\r') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
    ++line_;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t record_line_ = 1;
};

Status set_columns(UploadTable& table, const std::vector<std::string>& header) {
  std::set<std::string> seen;
  for (const auto& h : header) {
    auto name = normalise_column(h);
    if (name.empty()) return Error::invalid("header", "the header row has an empty column name");
    if (!seen.insert(name).second) return Error::invalid("header", fmt::format("column '{}' appears twice", name));
    table.columns.push_back(std::move(name));
  }
  return {};
}

Error too_many_rows(std::size_t max_rows) {
  return Error{ErrorCode::kPayloadTooLarge, fmt::format("at most {} rows per upload", max_rows), {}};
}

Result<std::optional<std::string>> json_cell(const json::value& v, std::size_t row, std::string_view column) {
  switch (v.kind()) {
    case json::kind::null: return std::optional<std::string>{};
    case json::kind::string: return std::optional<std::string>{std::string(v.as_string())};
    case json::kind::int64: return std::optional<std::string>{std::to_string(v.as_int64())};
    case json::kind::uint64: return std::optional<std::string>{std::to_string(v.as_uint64())};
    case json::kind::double_:  // the shortest text that reads back exactly
      return std::optional<std::string>{fmt::format("{}", v.as_double())};
    default: return upload_row_error(row, 0, column, "values must be strings, numbers or null");
  }
}

}  // namespace

Result<UploadTable> parse_csv(std::string_view text, std::size_t max_rows) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // spreadsheet exports often start with a BOM
  CsvReader reader(text);
  UploadTable table;
  std::vector<std::string> fields;
  WINSTON_TRY_ASSIGN(const bool has_header, reader.next(fields, 0));
  if (!has_header) return Error::invalid("header", "the upload is empty: the first line must name the columns");
  WINSTON_TRY(set_columns(table, fields));
  for (;;) {
    const std::size_t row = table.records.size() + 1;
    WINSTON_TRY_ASSIGN(const bool more, reader.next(fields, row));
    if (!more) break;
    if (fields.size() == 1 && fields.front().empty()) continue;  // a blank line
    if (fields.size() != table.columns.size()) {
      return upload_row_error(row, reader.record_line(), "",
                              fmt::format("{} fields, but the header names {} columns", fields.size(), table.columns.size()));
    }
    if (table.records.size() >= max_rows) return too_many_rows(max_rows);
    UploadTable::Record rec{reader.record_line(), {}};
    for (auto& f : fields) rec.cells.emplace_back(std::move(f));
    table.records.push_back(std::move(rec));
  }
  return table;
}

Result<UploadTable> parse_json_rows(std::string_view text, std::size_t max_rows) {
  json::parse_options opts;
  opts.max_depth = 8;
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec, {}, opts);
  if (ec) return Error::malformed("the upload is not valid JSON: " + ec.message());
  if (!v.is_array()) return Error::malformed("a JSON upload is an array of objects, one per row");
  if (v.as_array().size() > max_rows) return too_many_rows(max_rows);
  UploadTable table;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    const auto& item = v.as_array()[i];
    if (!item.is_object()) return upload_row_error(i + 1, 0, "", "each row must be a JSON object");
    UploadTable::Record rec{0, std::vector<std::optional<std::string>>(table.columns.size())};
    for (const auto& [key, value] : item.as_object()) {
      const std::string column = normalise_column(key);
      auto [it, added] = index.emplace(column, table.columns.size());
      if (added) table.columns.push_back(column);
      if (rec.cells.size() < table.columns.size()) rec.cells.resize(table.columns.size());
      WINSTON_TRY_ASSIGN(rec.cells[it->second], json_cell(value, i + 1, column));
    }
    table.records.push_back(std::move(rec));
  }
  for (auto& rec : table.records) rec.cells.resize(table.columns.size());
  return table;
}

}  // namespace winston
