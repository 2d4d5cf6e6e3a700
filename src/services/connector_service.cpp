#include "services/connector_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "core/ids.hpp"
#include "core/tenant.hpp"
#include "core/text.hpp"
#include "storage/audit_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace conn = storage::connectors;
namespace chr = std::chrono;

namespace {

// ---------------------------------------------------------------- kinds

/// What one kind of connector takes. A POS kind is one more line here (its
/// settings, the credentials it cannot work without, no uploads) plus the
/// worker that fills connector_inventory / connector_sales from its API.
struct KindSpec {
  std::string_view kind;
  bool accepts_uploads;
  std::vector<std::string_view> settings;
  std::vector<std::string_view> required_credentials;
};

const std::vector<KindSpec>& kinds() {
  static const std::vector<KindSpec> kAll = {
      {"upload", true, {"currency", "location", "notes"}, {}},
  };
  return kAll;
}

const KindSpec* find_kind(std::string_view kind) {
  for (const auto& k : kinds()) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

constexpr std::size_t kMaxConnectorName = 100;
constexpr std::size_t kMaxSettingLength = 500;
constexpr std::size_t kMaxCredentials = 20;
constexpr std::size_t kMaxCredentialLength = 4096;
constexpr std::size_t kMaxQueryLength = 100;
constexpr std::size_t kMaxQueryTerms = 8;
constexpr std::int64_t kTopProducts = 10;
constexpr std::int64_t kMaxCents = 1'000'000'000;  // ten million in currency units: beyond any line or price
constexpr std::int64_t kMaxQuantity = 1'000'000'000;

std::string credentials_context(const conn::ConnectorRow& row) {
  return fmt::format("tenant/{}/connector/{}", row.tenant_id, row.id);
}

// CSV cells and query parameters are trimmed of spaces and tabs only.
std::string_view trim_blanks(std::string_view s) { return trim(s, " \t"); }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}


Status validate_settings(const KindSpec& spec, const json::object& settings) {
  for (const auto& [json_key, value] : settings) {
    const std::string_view key(json_key.data(), json_key.size());
    const std::string field = "settings." + std::string(key);
    if (std::find(spec.settings.begin(), spec.settings.end(), key) == spec.settings.end()) {
      return Error::invalid(field, fmt::format("a '{}' connector has no setting '{}'; it takes: {}", spec.kind, key,
                                               fmt::join(spec.settings, ", ")));
    }
    if (!value.is_string()) return Error::invalid(field, field + " must be a string");
    const std::string_view v = value.as_string();
    if (v.size() > kMaxSettingLength || !is_clean_utf8(v, true)) {
      return Error::invalid(field, fmt::format("{} must be at most {} printable characters", field, kMaxSettingLength));
    }
    if (key == "currency" && (v.size() != 3 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))) {
      return Error::invalid(field, "currency must be an ISO 4217 code such as USD or CAD");
    }
  }
  return {};
}

Status validate_credentials(const KindSpec& spec, const std::optional<json::object>& creds) {
  for (const auto required : spec.required_credentials) {
    if (!creds || !creds->contains(required)) {
      return Error::invalid("credentials." + std::string(required),
                            fmt::format("a '{}' connector needs credentials.{}", spec.kind, required));
    }
  }
  if (!creds) return {};
  if (creds->size() > kMaxCredentials) return Error::invalid("credentials", "at most 20 credentials");
  for (const auto& [json_key, value] : *creds) {
    const std::string_view key(json_key.data(), json_key.size());
    const std::string field = "credentials." + std::string(key);
    const bool good_key = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!good_key) return Error::invalid(field, "credential names are lowercase letters, digits and '_'");
    if (!value.is_string() || value.as_string().empty() || value.as_string().size() > kMaxCredentialLength) {
      return Error::invalid(field, fmt::format("{} must be a non-empty string of at most {} bytes", field,
                                               kMaxCredentialLength));
    }
  }
  return {};
}

Result<std::string> validate_connector_name(std::string_view raw) {
  const std::string_view name = trim_blanks(raw);
  if (name.empty() || name.size() > kMaxConnectorName || !is_clean_utf8(name, false)) {
    return Error::invalid("name", "name must be 1 to 100 printable characters");
  }
  return std::string(name);
}

// ---------------------------------------------------------------- CSV / JSON

Error row_error(std::size_t row, std::size_t line, std::string_view column, std::string_view message) {
  const std::string where = line == 0 ? fmt::format("row {}", row) : fmt::format("row {} (line {})", row, line);
  if (column.empty()) return Error::invalid(fmt::format("rows[{}]", row), fmt::format("{}: {}", where, message));
  return Error::invalid(fmt::format("rows[{}].{}", row, column),
                        fmt::format("{}, column '{}': {}", where, column, message));
}

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
        return row_error(row, line_, "", "a quote inside an unquoted field: quote the whole field and double the quote");
      }
      out += ch;
    }
    return true;
  }

  Result<bool> read_quoted(std::string& out, std::size_t row) {
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) return row_error(row, record_line_, "", "a quoted field is never closed");
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
    return row_error(row, line_, "", "text after a closing quote: a quote inside a quoted field is written twice (\"\")");
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

std::string normalise_column(std::string_view raw) {
  std::string out = to_lower(trim_blanks(raw));
  std::replace_if(out.begin(), out.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
  return out;
}

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
      return row_error(row, reader.record_line(), "",
                       fmt::format("{} fields, but the header names {} columns", fields.size(), table.columns.size()));
    }
    if (table.records.size() >= max_rows) return too_many_rows(max_rows);
    UploadTable::Record rec{reader.record_line(), {}};
    for (auto& f : fields) rec.cells.emplace_back(std::move(f));
    table.records.push_back(std::move(rec));
  }
  return table;
}

namespace {

Result<std::optional<std::string>> json_cell(const json::value& v, std::size_t row, std::string_view column) {
  switch (v.kind()) {
    case json::kind::null: return std::optional<std::string>{};
    case json::kind::string: return std::optional<std::string>{std::string(v.as_string())};
    case json::kind::int64: return std::optional<std::string>{std::to_string(v.as_int64())};
    case json::kind::uint64: return std::optional<std::string>{std::to_string(v.as_uint64())};
    case json::kind::double_: return std::optional<std::string>{fmt::format("{}", v.as_double())};  // shortest exact text
    default: return row_error(row, 0, column, "values must be strings, numbers or null");
  }
}

}  // namespace

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
    if (!item.is_object()) return row_error(i + 1, 0, "", "each row must be a JSON object");
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

namespace {

// ---------------------------------------------------------------- cell values

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

std::optional<std::int64_t> parse_cents(std::string_view s, bool allow_negative) {
  const bool negative = allow_negative && s.starts_with('-');
  if (negative) s.remove_prefix(1);
  if (s.starts_with('$')) s.remove_prefix(1);
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (!all_digits(whole) || whole.size() > 9) return std::nullopt;
  if (dot != std::string_view::npos && (!all_digits(frac) || frac.size() > 2)) return std::nullopt;
  std::int64_t cents = std::stoll(std::string(whole)) * 100;
  if (!frac.empty()) cents += (frac[0] - '0') * 10 + (frac.size() == 2 ? frac[1] - '0' : 0);
  return negative ? -cents : cents;
}

std::optional<std::int64_t> parse_integer(std::string_view s, bool allow_negative) {
  const bool negative = allow_negative && s.starts_with('-');
  if (negative) s.remove_prefix(1);
  if (const auto dot = s.find('.'); dot != std::string_view::npos) {  // "12.000" from spreadsheets
    const auto frac = s.substr(dot + 1);
    if (!std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; })) return std::nullopt;
    s = s.substr(0, dot);
  }
  if (!all_digits(s) || s.size() > 10) return std::nullopt;
  const std::int64_t v = std::stoll(std::string(s));
  return negative ? -v : v;
}

/// Typed access to one record's cells, with errors naming row and column.
class Cells {
 public:
  Cells(const Columns& cols, const UploadTable::Record& rec, std::size_t row) : cols_(cols), rec_(rec), row_(row) {}

  /// Trimmed text, "" when the column or the cell is absent.
  Result<std::string> text(std::string_view column, std::size_t max_len, bool required = false) const {
    const auto i = cols_.index(column);
    const std::string_view v = i && rec_.cells[*i] ? trim_blanks(*rec_.cells[*i]) : std::string_view{};
    if (required && v.empty()) return error(column, "must not be empty");
    if (v.size() > max_len) return error(column, fmt::format("is longer than {} characters", max_len));
    if (!is_clean_utf8(v, false)) return error(column, "must be UTF-8 text without control characters or line breaks");
    return std::string(v);
  }
  Result<std::int64_t> integer(std::string_view column, bool allow_negative) const {
    WINSTON_TRY_ASSIGN(const std::string v, text(column, 32, true));
    const auto n = parse_integer(v, allow_negative);
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
    return row_error(row_, rec_.line, column, message);
  }

 private:
  const Columns& cols_;
  const UploadTable::Record& rec_;
  std::size_t row_;
};

// ---------------------------------------------------------------- dates

std::optional<chr::year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2))) return std::nullopt;
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))))},
                                chr::day{static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))))}};
  if (y < 1900 || y > 2999 || !ymd.ok()) return std::nullopt;
  return ymd;
}

std::string format_date(chr::sys_days d) {
  const chr::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

/// Reads "NN" at `s[pos]` below `limit`.
std::optional<int> two_digits(std::string_view s, std::size_t pos, int limit) {
  if (pos + 2 > s.size() || !all_digits(s.substr(pos, 2))) return std::nullopt;
  const int v = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return v < limit ? std::optional<int>{v} : std::nullopt;
}

/// Minutes east of UTC for "", "Z", "+HH:MM", "+HHMM" or "-HH".
std::optional<int> parse_offset(std::string_view z) {
  if (z.empty() || z == "Z" || z == "z") return 0;
  if (z[0] != '+' && z[0] != '-') return std::nullopt;
  const int sign = z[0] == '-' ? -1 : 1;
  z.remove_prefix(1);
  const auto h = two_digits(z, 0, 24);
  if (!h) return std::nullopt;
  if (z.size() == 2) return sign * *h * 60;
  const std::size_t mpos = z[2] == ':' ? 3 : 2;
  const auto m = two_digits(z, mpos, 60);
  if (!m || z.size() != mpos + 2) return std::nullopt;
  return sign * (*h * 60 + *m);
}

/// A sale time: "YYYY-MM-DD", or with "THH:MM[:SS[.fff]]" (or a space) and an
/// optional zone. The date as written is the store's calendar date; the
/// instant is exact with a zone and the wall time read as UTC without one.
std::optional<std::pair<std::string, EpochMs>> parse_sale_time(std::string_view s) {
  const auto ymd = parse_date(s.substr(0, 10));
  if (!ymd) return std::nullopt;
  EpochMs at = chr::duration_cast<chr::milliseconds>(chr::sys_days{*ymd}.time_since_epoch()).count();
  std::string_view rest = s.substr(10);
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
    const auto h = two_digits(rest, 1, 24);
    const auto m = rest.size() > 3 && rest[3] == ':' ? two_digits(rest, 4, 60) : std::nullopt;
    if (!h || !m) return std::nullopt;
    std::size_t pos = 6;
    int sec = 0;
    if (pos < rest.size() && rest[pos] == ':') {
      const auto sv = two_digits(rest, pos + 1, 60);
      if (!sv) return std::nullopt;
      sec = *sv;
      pos += 3;
      if (pos < rest.size() && rest[pos] == '.') {
        for (++pos; pos < rest.size() && rest[pos] >= '0' && rest[pos] <= '9';) ++pos;  // sub-second digits dropped
      }
    }
    const auto offset = parse_offset(rest.substr(pos));
    if (!offset) return std::nullopt;
    at += ((*h * 60 + *m - *offset) * 60 + sec) * 1000LL;
  }
  return std::pair{std::string(s.substr(0, 10)), at};
}

Result<chr::sys_days> date_param(std::string_view field, std::string_view value) {
  const auto ymd = parse_date(value);
  if (!ymd) return Error::invalid(std::string(field), fmt::format("{} must be a date like 2026-03-01", field));
  return chr::sys_days{*ymd};
}

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
  const auto parsed = parse_sale_time(when);
  if (!parsed) return c.error("date", fmt::format("'{}' is not a date like 2026-03-01 or 2026-03-01T14:05:00-08:00", when));
  std::tie(s.sale_date, s.occurred_at) = *parsed;
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

Result<std::pair<std::vector<conn::InventoryItem>, std::vector<std::string>>> read_inventory(const UploadTable& t) {
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
  return std::pair{std::move(items), cols.ignored()};
}

Result<std::pair<std::vector<conn::SaleLine>, std::vector<std::string>>> read_sales(const UploadTable& t) {
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
  return std::pair{std::move(lines), cols.ignored()};
}

// ---------------------------------------------------------------- helpers


Result<conn::ConnectorRow> find_connector(storage::Connection& c, std::string_view tenant_id,
                                          std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto row, conn::find(c, tenant_id, connector_id));
  if (!row) return Error::not_found("this tenant has no connector with that id");
  return std::move(*row);
}

Status audit(storage::Connection& c, const Actor& actor, const conn::ConnectorRow& row, std::string_view action,
             json::object details, EpochMs now) {
  details["name"] = row.name;
  details["kind"] = row.kind;
  return storage::audit::append(c, {new_uuid_v7(now), row.tenant_id, actor.name, std::string(action),
                                    "connector:" + row.id, json::serialize(details), actor.request_id, now});
}

}  // namespace

std::string format_cents(std::int64_t cents) {
  const std::int64_t abs = cents < 0 ? -cents : cents;
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", abs / 100, abs % 100);
}

std::string currency_of(std::string_view settings_json) {
  boost::system::error_code ec;
  const auto v = json::parse(settings_json, ec);
  if (!ec && v.is_object()) {
    if (const auto* c = v.as_object().if_contains("currency"); c != nullptr && c->is_string()) {
      return std::string(c->as_string());
    }
  }
  return "USD";
}

Result<Connector> ConnectorService::view(storage::Connection& c, const conn::ConnectorRow& row) {
  Connector v{row.id, row.tenant_id, row.kind, row.name, {}, row.status, row.credentials_enc.has_value(),
              false, {}, row.created_at, row.updated_at};
  boost::system::error_code ec;
  if (auto s = json::parse(row.settings_json, ec); !ec && s.is_object()) v.settings = std::move(s.as_object());
  const auto* spec = find_kind(row.kind);
  v.accepts_uploads = spec != nullptr && spec->accepts_uploads;
  WINSTON_TRY_ASSIGN(v.stats, conn::stats(c, row.id));
  return v;
}

Result<Connector> ConnectorService::create(const Actor& actor, std::string_view tenant, const NewConnector& input) {
  WINSTON_TRY_ASSIGN(const std::string name, validate_connector_name(input.name));
  const KindSpec* spec = find_kind(input.kind);
  if (spec == nullptr) {
    std::vector<std::string_view> names;
    for (const auto& k : kinds()) names.push_back(k.kind);
    return Error::invalid("kind", fmt::format("kind must be one of: {}", fmt::join(names, ", ")));
  }
  WINSTON_TRY(validate_settings(*spec, input.settings));
  WINSTON_TRY(validate_credentials(*spec, input.credentials));
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*lease));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  conn::ConnectorRow row{new_uuid_v7(now), t.id, std::string(spec->kind), name, json::serialize(input.settings),
                         std::nullopt, "active", now, now};
  if (input.credentials) row.credentials_enc = box_.seal(json::serialize(*input.credentials), credentials_context(row));
  if (auto s = conn::insert(*lease, row); !s.ok()) {
    if (s.error().code == ErrorCode::kConflict) {
      return Error::conflict("this tenant already has a connector with that name", "name");
    }
    return s.error();
  }
  WINSTON_TRY(audit(*lease, actor, row, "connector.create", {{"has_credentials", input.credentials.has_value()}}, now));
  WINSTON_TRY(tx.commit());
  return view(*lease, row);
}

Result<std::vector<Connector>> ConnectorService::list(std::string_view tenant) {
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  WINSTON_TRY_ASSIGN(const auto rows, conn::list(*lease, t.id));
  std::vector<Connector> out;
  for (const auto& row : rows) {
    WINSTON_TRY_ASSIGN(auto v, view(*lease, row));
    out.push_back(std::move(v));
  }
  return out;
}

Result<Connector> ConnectorService::get(std::string_view tenant, std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  WINSTON_TRY_ASSIGN(const auto row, find_connector(*lease, t.id, connector_id));
  return view(*lease, row);
}

Status ConnectorService::remove(const Actor& actor, std::string_view tenant, std::string_view connector_id) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*lease));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  WINSTON_TRY_ASSIGN(const auto row, find_connector(*lease, t.id, connector_id));
  WINSTON_TRY_ASSIGN(const auto st, conn::stats(*lease, row.id));
  WINSTON_TRY(conn::remove(*lease, t.id, row.id));
  WINSTON_TRY(audit(*lease, actor, row, "connector.delete",
                    {{"inventory_items", st.inventory_items}, {"sales_lines", st.sales_lines}}, now));
  WINSTON_TRY(tx.commit());
  return {};
}

template <typename Apply>
Result<UploadReport> ConnectorService::upload(const Actor& actor, std::string_view tenant,
                                              std::string_view connector_id, std::string_view what, Apply&& apply) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*lease));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  WINSTON_TRY_ASSIGN(const auto row, find_connector(*lease, t.id, connector_id));
  const KindSpec* spec = find_kind(row.kind);
  if (spec == nullptr || !spec->accepts_uploads) {
    return Error::conflict(fmt::format("connector '{}' is of kind '{}', which fills itself and takes no uploads",
                                       row.name, row.kind));
  }
  WINSTON_TRY_ASSIGN(UploadReport report, apply(*lease, row, now));
  report.connector_id = row.id;
  WINSTON_TRY(audit(*lease, actor, row, fmt::format("connector.{}_upload", what),
                    {{"rows", report.rows}, {"new_rows", report.new_rows}, {"replaced_rows", report.replaced_rows}},
                    now));
  WINSTON_TRY(tx.commit());
  return report;
}

Result<UploadReport> ConnectorService::upload_inventory(const Actor& actor, std::string_view tenant,
                                                        std::string_view connector_id, UploadFormat format,
                                                        std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto table, parse_upload(format, body));
  WINSTON_TRY_ASSIGN(const auto parsed, read_inventory(table));
  const auto& items = parsed.first;
  return upload(actor, tenant, connector_id, "inventory",
                [&](storage::Connection& c, const conn::ConnectorRow& row, EpochMs now) -> Result<UploadReport> {
                  WINSTON_TRY_ASSIGN(const auto before, conn::stats(c, row.id));
                  WINSTON_TRY(conn::replace_inventory(c, row, items, now));
                  const auto n = static_cast<std::int64_t>(items.size());
                  return UploadReport{{}, n, n, before.inventory_items, parsed.second};
                });
}

Result<UploadReport> ConnectorService::upload_sales(const Actor& actor, std::string_view tenant,
                                                    std::string_view connector_id, UploadFormat format,
                                                    std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto table, parse_upload(format, body));
  WINSTON_TRY_ASSIGN(const auto parsed, read_sales(table));
  const auto& lines = parsed.first;
  return upload(actor, tenant, connector_id, "sales",
                [&](storage::Connection& c, const conn::ConnectorRow& row, EpochMs now) -> Result<UploadReport> {
                  WINSTON_TRY_ASSIGN(const std::int64_t fresh, conn::upsert_sales(c, row, lines, now));
                  const auto n = static_cast<std::int64_t>(lines.size());
                  return UploadReport{{}, n, fresh, n - fresh, parsed.second};
                });
}

Result<std::optional<json::object>> ConnectorService::open_credentials(std::string_view tenant,
                                                                       std::string_view connector_id) {
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*lease, tenant));
  WINSTON_TRY_ASSIGN(const auto row, find_connector(*lease, t.id, connector_id));
  if (!row.credentials_enc) return std::optional<json::object>{};
  WINSTON_TRY_ASSIGN(const std::string plain, box_.open(*row.credentials_enc, credentials_context(row)));
  boost::system::error_code ec;
  auto v = json::parse(plain, ec);
  if (ec || !v.is_object()) return Error::internal("connector credentials do not decode to an object");
  return std::optional<json::object>{std::move(v.as_object())};
}

Result<InventoryAnswer> ConnectorService::search_inventory(std::string_view tenant_id, const InventorySearch& search) {
  if (search.limit < 1 || search.limit > kMaxInventoryLimit) {
    return Error::invalid("limit", fmt::format("limit must be between 1 and {}", kMaxInventoryLimit));
  }
  conn::InventoryQuery q{std::string(tenant_id), {}, std::nullopt, search.in_stock_only, search.limit};
  if (search.q) {
    if (search.q->size() > kMaxQueryLength || !is_clean_utf8(*search.q, false)) {
      return Error::invalid("q", fmt::format("q must be at most {} printable characters", kMaxQueryLength));
    }
    const std::string lowered = to_lower(*search.q);
    for (std::size_t pos = 0; pos < lowered.size();) {
      const auto end = std::min(lowered.find_first_of(" \t", pos), lowered.size());
      if (end > pos) q.terms.push_back(lowered.substr(pos, end - pos));
      pos = end + 1;
    }
    if (q.terms.size() > kMaxQueryTerms) return Error::invalid("q", "q may hold at most 8 words");
  }
  if (search.category && !trim_blanks(*search.category).empty()) {
    if (search.category->size() > 100) return Error::invalid("category", "category is at most 100 characters");
    q.category = std::string(trim_blanks(*search.category));
  }
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  InventoryAnswer out;
  WINSTON_TRY_ASSIGN(out.items, conn::search_inventory(*lease, q));
  WINSTON_TRY_ASSIGN(out.total_matches, conn::count_inventory(*lease, q));
  WINSTON_TRY_ASSIGN(const auto overview, conn::inventory_overview(*lease, tenant_id));
  std::tie(out.inventory_items, out.inventory_updated_at) = overview;
  return out;
}

Result<SalesSummary> ConnectorService::sales_summary(std::string_view tenant_id, std::string_view from,
                                                     std::string_view to) {
  WINSTON_TRY_ASSIGN(const chr::sys_days first, date_param("from", from));
  WINSTON_TRY_ASSIGN(const chr::sys_days last, date_param("to", to));
  if (last < first) return Error::invalid("to", "to must not be before from");
  if ((last - first).count() + 1 > kMaxSalesSpanDays) {
    return Error::invalid("to", fmt::format("a query covers at most {} days", kMaxSalesSpanDays));
  }
  SalesSummary out{std::string(from), std::string(to), {}, {}, {}, {}, {}, {}};
  WINSTON_TRY_ASSIGN(auto lease, db_.acquire());
  using G = conn::SalesGrouping;
  WINSTON_TRY_ASSIGN(const auto totals, conn::sales_figures(*lease, tenant_id, from, to, G::kTotal, 1));
  out.totals = totals.front();
  WINSTON_TRY_ASSIGN(const auto days, conn::sales_figures(*lease, tenant_id, from, to, G::kDay, 0));
  WINSTON_TRY_ASSIGN(out.top_products, conn::sales_figures(*lease, tenant_id, from, to, G::kProduct, kTopProducts));
  WINSTON_TRY_ASSIGN(out.categories, conn::sales_figures(*lease, tenant_id, from, to, G::kCategory, kTopProducts));
  WINSTON_TRY_ASSIGN(const auto span, conn::sales_span(*lease, tenant_id));
  std::tie(out.first_sale_date, out.last_sale_date) = span;
  auto it = days.begin();
  for (chr::sys_days d = first; d <= last; d += chr::days{1}) {
    const std::string date = format_date(d);
    if (it != days.end() && it->key == date) {
      out.days.push_back(*it++);
    } else {
      out.days.push_back({date, "", 0, 0, 0});
    }
  }
  return out;
}

}  // namespace winston::services
