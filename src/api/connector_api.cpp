#include "api/connector_api.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>

#include "api/json_input.hpp"
#include "api/views.hpp"
#include "core/decimal.hpp"
#include "core/text.hpp"

namespace winston::api {
namespace json = boost::json;
namespace conn = storage::connectors;
using boost::beast::http::verb;
using bstatus = boost::beast::http::status;
using http::RequestContext;
using http::Response;

namespace {

/// "2026-03-01T17:05:00Z": easier for an agent to read than epoch milliseconds.
json::value iso_utc(const std::optional<EpochMs>& ms) {
  if (!ms) return nullptr;
  namespace chr = std::chrono;
  const chr::sys_time<chr::milliseconds> t{chr::milliseconds{*ms}};
  const auto day = chr::floor<chr::days>(t);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss hms{chr::floor<chr::seconds>(t - day)};
  return json::value(fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                                 static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                 hms.hours().count(), hms.minutes().count(), hms.seconds().count()));
}

json::value connector_json(const services::Connector& c) {
  return {{"id", c.id},
          {"tenant_id", c.tenant_id},
          {"name", c.name},
          {"kind", c.kind},
          {"status", c.status},
          {"settings", c.settings},
          {"has_credentials", c.has_credentials},
          {"accepts_uploads", c.accepts_uploads},
          {"inventory", {{"items", c.stats.inventory_items}, {"updated_at", nullable(c.stats.inventory_updated_at)}}},
          {"sales",
           {{"lines", c.stats.sales_lines},
            {"first_date", nullable(c.stats.first_sale_date)},
            {"last_date", nullable(c.stats.last_sale_date)}}},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json::value report_json(const services::UploadReport& r) {
  json::array ignored;
  for (const auto& c : r.ignored_columns) ignored.emplace_back(c);
  return {{"connector_id", r.connector_id},
          {"rows", r.rows},
          {"new_rows", r.new_rows},
          {"replaced_rows", r.replaced_rows},
          {"ignored_columns", std::move(ignored)}};
}

Result<services::NewConnector> read_new_connector(std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto obj, parse_object(body));
  const JsonFields f(obj);
  WINSTON_TRY(f.only({"name", "kind", "settings", "credentials"}));
  services::NewConnector c;
  WINSTON_TRY_ASSIGN(c.name, f.required_string("name"));
  WINSTON_TRY_ASSIGN(c.kind, f.required_string("kind"));
  for (const std::string_view field : {"settings", "credentials"}) {
    const auto* v = obj.if_contains(field);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_object()) return Error::invalid(std::string(field), std::string(field) + " must be an object");
    if (field == "settings") c.settings = v->as_object();
    else c.credentials = v->as_object();
  }
  return c;
}

/// The upload format from Content-Type: text/csv or application/json.
Result<services::UploadFormat> upload_format(const RequestContext& ctx) {
  const std::string_view header = ctx.request[boost::beast::http::field::content_type];
  const std::string type = to_lower(trim(header.substr(0, header.find(';')), " "));
  if (type == "text/csv" || type == "application/csv") return services::UploadFormat::kCsv;
  if (type == "application/json") return services::UploadFormat::kJson;
  return Error::invalid("Content-Type", "send the upload as Content-Type: text/csv or application/json");
}

services::Actor actor(const RequestContext& ctx) { return {"admin", ctx.request_id}; }


json::value item_json(const conn::InventoryHit& h) {
  const auto& i = h.item;
  return {{"sku", i.sku},
          {"name", i.name},
          {"brand", i.brand},
          {"category", i.category},
          {"strain", i.strain},
          {"strain_type", i.strain_type},
          {"thc", i.thc},
          {"cbd", i.cbd},
          {"size", i.size},
          {"price", format_cents(i.price_cents)},
          {"price_cents", i.price_cents},
          {"currency", services::currency_of(h.connector_settings_json)},
          {"quantity", i.quantity},
          {"in_stock", i.quantity > 0},
          {"source", h.connector_name},
          {"updated_at", iso_utc(h.updated_at)}};
}

json::value inventory_json(const services::InventoryAnswer& a) {
  json::array items;
  for (const auto& h : a.items) items.push_back(item_json(h));
  return {{"count", a.items.size()},
          {"total_matches", a.total_matches},
          {"items", std::move(items)},
          {"inventory_items", a.inventory_items},
          {"inventory_updated_at", iso_utc(a.inventory_updated_at)}};
}

/// `head` (what the figures are of) followed by the figures.
json::object figures_json(const conn::SalesFigures& f, json::object head = {}) {
  head["orders"] = f.orders;
  head["units"] = f.units;
  head["revenue"] = format_cents(f.revenue_cents);
  head["revenue_cents"] = f.revenue_cents;
  return head;
}

json::value sales_json(const services::SalesSummary& s) {
  json::array days, products, categories;
  for (const auto& d : s.days) days.push_back(figures_json(d, {{"date", d.key}}));
  for (const auto& p : s.top_products) products.push_back(figures_json(p, {{"name", p.name}, {"sku", p.key}}));
  for (const auto& c : s.categories) categories.push_back(figures_json(c, {{"category", c.key}}));
  return {{"from", s.from},
          {"to", s.to},
          {"totals", figures_json(s.totals)},
          {"days", std::move(days)},
          {"top_products", std::move(products)},
          {"categories", std::move(categories)},
          {"data_range", {{"first_sale_date", nullable(s.first_sale_date)}, {"last_sale_date", nullable(s.last_sale_date)}}}};
}

Result<bool> bool_param(const std::optional<std::string>& raw, std::string_view name) {
  if (!raw || raw->empty() || *raw == "false" || *raw == "0") return false;
  if (*raw == "true" || *raw == "1") return true;
  return Error::invalid(std::string(name), std::string(name) + " must be true or false");
}

Result<services::InventorySearch> read_search(const RequestContext& ctx) {
  services::InventorySearch s;
  s.q = ctx.query_param("q");
  s.category = ctx.query_param("category");
  WINSTON_TRY_ASSIGN(s.in_stock_only, bool_param(ctx.query_param("in_stock"), "in_stock"));
  WINSTON_TRY_ASSIGN(s.limit, int_param(ctx.query_param("limit"), "limit", 10));
  return s;
}

Result<std::string> required_param(const RequestContext& ctx, std::string_view name) {
  auto v = ctx.query_param(name);
  if (!v || v->empty()) return Error::invalid(std::string(name), fmt::format("{} is required (YYYY-MM-DD)", name));
  return std::move(*v);
}

}  // namespace

Result<std::string> tenant_of_key(services::KeyService& keys, const RequestContext& ctx) {
  const std::string key = http::presented_key(ctx.request);
  if (key.empty()) {
    return Error{ErrorCode::kUnauthenticated, "missing API key: send Authorization: Bearer <tenant key> or x-api-key", {}};
  }
  WINSTON_TRY_ASSIGN(const auto who, keys.authenticate(key));
  return who.tenant_id;
}

bool is_connector_upload(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (!target.starts_with("/v1/tenants/")) return false;
  const auto connectors = target.find("/connectors/");
  if (connectors == std::string_view::npos) return false;
  return target.ends_with("/inventory") || target.ends_with("/sales");
}

void register_connector_admin_routes(http::Router& router, services::ConnectorService& svc, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/connectors", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto input, read_new_connector(ctx.request.body()));
    WINSTON_TRY_ASSIGN(const auto c, svc.create(actor(ctx), ctx.param("id"), input));
    auto res = http::json_response(ctx, bstatus::created, connector_json(c));
    res.set(boost::beast::http::field::location, fmt::format("/v1/tenants/{}/connectors/{}", c.tenant_id, c.id));
    return res;
  }));
  router.add(verb::get, "/v1/tenants/{id}/connectors", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto list, svc.list(ctx.param("id")));
    json::array data;
    for (const auto& c : list) data.push_back(connector_json(c));
    return http::json_response(ctx, bstatus::ok, {{"data", std::move(data)}});
  }));
  router.add(verb::get, "/v1/tenants/{id}/connectors/{connector_id}",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto c, svc.get(ctx.param("id"), ctx.param("connector_id")));
               return http::json_response(ctx, bstatus::ok, connector_json(c));
             }));
  router.add(verb::delete_, "/v1/tenants/{id}/connectors/{connector_id}",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY(svc.remove(actor(ctx), ctx.param("id"), ctx.param("connector_id")));
               return no_content(ctx);
             }));
  router.add(verb::post, "/v1/tenants/{id}/connectors/{connector_id}/inventory",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto format, upload_format(ctx));
               WINSTON_TRY_ASSIGN(const auto report, svc.upload_inventory(actor(ctx), ctx.param("id"),
                                                                          ctx.param("connector_id"), format,
                                                                          ctx.request.body()));
               return http::json_response(ctx, bstatus::ok, report_json(report));
             }));
  router.add(verb::post, "/v1/tenants/{id}/connectors/{connector_id}/sales",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto format, upload_format(ctx));
               WINSTON_TRY_ASSIGN(const auto report, svc.upload_sales(actor(ctx), ctx.param("id"),
                                                                      ctx.param("connector_id"), format,
                                                                      ctx.request.body()));
               return http::json_response(ctx, bstatus::ok, report_json(report));
             }));
}

void register_connector_cell_routes(http::Router& router, services::ConnectorService& svc,
                                    services::KeyService& keys) {
  router.add(verb::get, "/v1/connector/inventory", answer([&svc, &keys](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const std::string tenant_id, tenant_of_key(keys, ctx));
    WINSTON_TRY_ASSIGN(const auto search, read_search(ctx));
    WINSTON_TRY_ASSIGN(const auto found, svc.search_inventory(tenant_id, search));
    return http::json_response(ctx, bstatus::ok, inventory_json(found));
  }));
  router.add(verb::get, "/v1/connector/sales", answer([&svc, &keys](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const std::string tenant_id, tenant_of_key(keys, ctx));
    WINSTON_TRY_ASSIGN(const std::string from, required_param(ctx, "from"));
    WINSTON_TRY_ASSIGN(const std::string to, required_param(ctx, "to"));
    WINSTON_TRY_ASSIGN(const auto summary, svc.sales_summary(tenant_id, from, to));
    return http::json_response(ctx, bstatus::ok, sales_json(summary));
  }));
}

}  // namespace winston::api
