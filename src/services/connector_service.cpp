#include "services/connector_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>

#include "core/date.hpp"
#include "core/ids.hpp"
#include "core/tenant.hpp"
#include "core/text.hpp"
#include "core/upload_table.hpp"
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

std::string credentials_context(const conn::ConnectorRow& row) {
  return fmt::format("tenant/{}/connector/{}", row.tenant_id, row.id);
}

// Names and query parameters are trimmed as uploaded cells are.
std::string_view trim_blanks(std::string_view s) { return trim(s, kBlanks); }

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

// ---------------------------------------------------------------- helpers

Result<chr::sys_days> date_param(std::string_view field, std::string_view value) {
  const auto ymd = parse_iso_date(value);
  if (!ymd) return Error::invalid(std::string(field), fmt::format("{} must be a date like 2026-03-01", field));
  return chr::sys_days{*ymd};
}

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
  return record_audit(c, actor,
                      {.tenant_id = row.tenant_id,
                       .action = std::string(action),
                       .target = "connector:" + row.id,
                       .details = std::move(details)},
                      now);
}

}  // namespace

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
  WINSTON_TRY_ASSIGN(const InventoryUpload parsed, read_inventory(format, body));
  const auto& items = parsed.items;
  return upload(actor, tenant, connector_id, "inventory",
                [&](storage::Connection& c, const conn::ConnectorRow& row, EpochMs now) -> Result<UploadReport> {
                  WINSTON_TRY_ASSIGN(const auto before, conn::stats(c, row.id));
                  WINSTON_TRY(conn::replace_inventory(c, row, items, now));
                  const auto n = static_cast<std::int64_t>(items.size());
                  return UploadReport{.connector_id = {},  // filled in by upload()
                                      .rows = n,
                                      .new_rows = n,
                                      .replaced_rows = before.inventory_items,
                                      .ignored_columns = parsed.ignored_columns};
                });
}

Result<UploadReport> ConnectorService::upload_sales(const Actor& actor, std::string_view tenant,
                                                    std::string_view connector_id, UploadFormat format,
                                                    std::string_view body) {
  WINSTON_TRY_ASSIGN(const SalesUpload parsed, read_sales(format, body));
  const auto& lines = parsed.lines;
  return upload(actor, tenant, connector_id, "sales",
                [&](storage::Connection& c, const conn::ConnectorRow& row, EpochMs now) -> Result<UploadReport> {
                  WINSTON_TRY_ASSIGN(const std::int64_t fresh, conn::upsert_sales(c, row, lines, now));
                  const auto n = static_cast<std::int64_t>(lines.size());
                  return UploadReport{.connector_id = {},  // filled in by upload()
                                      .rows = n,
                                      .new_rows = fresh,
                                      .replaced_rows = n - fresh,
                                      .ignored_columns = parsed.ignored_columns};
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
    const std::string date = format_iso_date(d);
    if (it != days.end() && it->key == date) {
      out.days.push_back(*it++);
    } else {
      out.days.push_back({date, "", 0, 0, 0});
    }
  }
  return out;
}

}  // namespace winston::services
