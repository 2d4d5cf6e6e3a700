#include "api/audit_api.hpp"

#include "api/json_input.hpp"
#include "api/views.hpp"

namespace winston::api {
namespace json = boost::json;
using http::RequestContext;
using http::Response;
using bhttp = boost::beast::http::status;
using boost::beast::http::verb;

namespace {

// An empty query parameter (`?actor=`) counts as absent, as a form would send it.
std::optional<std::string> text_param(const RequestContext& ctx, std::string_view name) {
  auto v = ctx.query_param(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

Result<std::optional<std::int64_t>> time_param(const RequestContext& ctx, std::string_view name) {
  const auto raw = text_param(ctx, name);
  if (!raw) return std::optional<std::int64_t>{};
  WINSTON_TRY_ASSIGN(const auto v, int_param(raw, name, 0));
  return std::optional<std::int64_t>{v};
}

Result<services::AuditFilter> read_filter(const RequestContext& ctx) {
  services::AuditFilter f;
  f.tenant = text_param(ctx, "tenant");
  f.actor = text_param(ctx, "actor");
  f.action = text_param(ctx, "action");
  f.target = text_param(ctx, "target");
  WINSTON_TRY_ASSIGN(f.from, time_param(ctx, "from"));
  WINSTON_TRY_ASSIGN(f.to, time_param(ctx, "to"));
  WINSTON_TRY_ASSIGN(f.limit, int_param(text_param(ctx, "limit"), "limit", 50));
  f.cursor = text_param(ctx, "cursor");
  return f;
}

}  // namespace

json::value audit_entry_json(const storage::audit::Entry& e) {
  boost::system::error_code ec;
  auto details = json::parse(e.details_json, ec);
  if (ec) details = e.details_json;  // rows are written as JSON; show anything else verbatim
  return {{"id", e.id},
          {"tenant_id", nullable(e.tenant_id)},
          {"actor", e.actor},
          {"action", e.action},
          {"target", e.target},
          {"details", std::move(details)},
          {"request_id", nullable(e.request_id)},
          {"created_at", e.created_at}};
}

json::value audit_page_json(const services::AuditPage& page) {
  json::array data;
  for (const auto& e : page.items) data.push_back(audit_entry_json(e));
  return {{"data", std::move(data)}, {"limit", page.limit}, {"next_cursor", nullable(page.next_cursor)}};
}

void register_audit_routes(http::Router& router, services::AuditService& audit, const AdminAuth& auth) {
  router.add(verb::get, "/v1/audit", admin(auth, [&audit](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto filter, read_filter(ctx));
    WINSTON_TRY_ASSIGN(const auto page, audit.list(filter));
    return http::json_response(ctx, bhttp::ok, audit_page_json(page));
  }));
  router.add(verb::get, "/v1/tenants/{id}/audit", admin(auth, [&audit](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto filter, read_filter(ctx));
    WINSTON_TRY_ASSIGN(const auto page, audit.list_for_tenant(ctx.param("id"), filter));
    return http::json_response(ctx, bhttp::ok, audit_page_json(page));
  }));
}

}  // namespace winston::api
