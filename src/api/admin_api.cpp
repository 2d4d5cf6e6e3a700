#include "api/admin_api.hpp"

#include <boost/json.hpp>

#include "api/instance_api.hpp"
#include "api/json_input.hpp"
#include "api/views.hpp"
#include "core/ids.hpp"

namespace winston::api {
namespace json = boost::json;
using http::RequestContext;
using http::Response;
using bhttp = boost::beast::http::status;
using boost::beast::http::verb;

namespace {

struct NewTenantRequest {
  services::NewTenant tenant;
  bool provision = false;              // one-step onboarding: analyze → configure → run its cell
  std::optional<std::string> backend;  // for the cell; the configured default otherwise
};

Result<NewTenantRequest> read_new_tenant(std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto obj, parse_object(body));
  const JsonFields f(obj);
  WINSTON_TRY(f.only({"name", "email", "website_url", "industry", "tier", "slug", "provision", "backend"}));
  NewTenantRequest req;
  WINSTON_TRY_ASSIGN(auto provision, f.optional_bool("provision"));
  req.provision = provision.value_or(false);
  WINSTON_TRY_ASSIGN(req.backend, f.optional_string("backend"));
  if (req.backend && !req.provision) return Error::invalid("backend", "backend is only used with \"provision\": true");
  auto& t = req.tenant;
  WINSTON_TRY_ASSIGN(t.name, f.required_string("name"));
  WINSTON_TRY_ASSIGN(t.email, f.required_string("email"));
  WINSTON_TRY_ASSIGN(t.website_url, f.required_string("website_url"));
  WINSTON_TRY_ASSIGN(t.industry, f.optional_string("industry"));
  WINSTON_TRY_ASSIGN(auto tier, f.optional_string("tier"));
  if (tier) t.tier = *tier;
  WINSTON_TRY_ASSIGN(t.slug, f.optional_string("slug"));
  return req;
}

Result<services::TenantPatch> read_patch(std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto obj, parse_object(body));
  const JsonFields f(obj);
  WINSTON_TRY(f.only({"name", "email", "website_url", "industry", "tier", "status"}));
  services::TenantPatch p;
  WINSTON_TRY_ASSIGN(p.name, f.optional_string("name"));
  WINSTON_TRY_ASSIGN(p.email, f.optional_string("email"));
  WINSTON_TRY_ASSIGN(p.website_url, f.optional_string("website_url"));
  WINSTON_TRY_ASSIGN(p.industry, f.nullable_string("industry"));
  WINSTON_TRY_ASSIGN(p.tier, f.optional_string("tier"));
  WINSTON_TRY_ASSIGN(p.status, f.optional_string("status"));
  if (obj.empty()) return Error::invalid("body", "nothing to update: send at least one field");
  return p;
}

Result<services::CreditAdjustment> read_adjustment(std::string_view body) {
  WINSTON_TRY_ASSIGN(const auto obj, parse_object(body));
  const JsonFields f(obj);
  WINSTON_TRY(f.only({"amount_mc", "reason", "force"}));
  services::CreditAdjustment a;
  WINSTON_TRY_ASSIGN(a.amount_mc, f.required_int("amount_mc"));
  WINSTON_TRY_ASSIGN(a.reason, f.required_string("reason"));
  WINSTON_TRY_ASSIGN(auto force, f.optional_bool("force"));
  a.force = force.value_or(false);
  return a;
}

Result<services::TenantFilter> read_filter(const RequestContext& ctx) {
  services::TenantFilter filter;
  filter.status = ctx.query_param("status");
  filter.tier = ctx.query_param("tier");
  filter.q = ctx.query_param("q");
  WINSTON_TRY_ASSIGN(filter.limit, int_param(ctx.query_param("limit"), "limit", 50));
  WINSTON_TRY_ASSIGN(filter.offset, int_param(ctx.query_param("offset"), "offset", 0));
  return filter;
}

}  // namespace

services::Actor actor_of(const RequestContext& ctx) { return {"admin", ctx.request_id}; }

http::Handler answer(std::function<Result<Response>(RequestContext&)> fn) {
  return [fn = std::move(fn)](RequestContext& ctx) -> Response {
    auto r = fn(ctx);
    if (!r.ok()) return http::error_response(ctx, r.error());
    return std::move(r).value();
  };
}

http::Handler admin(const AdminAuth& auth, std::function<Result<Response>(RequestContext&)> fn) {
  return answer([&auth, fn = std::move(fn)](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY(auth.check(ctx.request));
    return fn(ctx);
  });
}

Response no_content(const RequestContext& ctx) {
  Response res{bhttp::no_content, ctx.request.version()};
  res.keep_alive(ctx.request.keep_alive());
  res.prepare_payload();
  return res;
}

Status AdminAuth::check(const http::Request& req) const {
  const std::string_view header = req[boost::beast::http::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty()) return Error{ErrorCode::kUnauthenticated, "missing Authorization: Bearer <admin token>", {}};
  if (!header.starts_with(kBearer) || token_.empty() || !secure_equals(header.substr(kBearer.size()), token_)) {
    return Error{ErrorCode::kUnauthenticated, "invalid admin token", {}};
  }
  return {};
}

void register_tenant_routes(http::Router& router, services::TenantService& svc, services::InstanceService& cells,
                            const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants", admin(auth, [&svc, &cells](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto input, read_new_tenant(ctx.request.body()));
    const auto actor = actor_of(ctx);
    // With provisioning, the tenant and its cell are created in one transaction; the reconciler does the rest.
    std::optional<CellInstance> cell;
    const auto with_cell = input.provision ? cells.with_cell(actor, input.backend, cell) : nullptr;
    WINSTON_TRY_ASSIGN(const auto t, svc.create(actor, input.tenant, with_cell));
    auto body = tenant_json(t);
    if (cell) body.as_object()["instance"] = instance_json(services::InstanceView{*cell, {}});
    auto res = http::json_response(ctx, bhttp::created, body);
    res.set(boost::beast::http::field::location, "/v1/tenants/" + t.id);
    return res;
  }));
  router.add(verb::get, "/v1/tenants", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto filter, read_filter(ctx));
    WINSTON_TRY_ASSIGN(const auto page, svc.list(filter));
    return http::json_response(ctx, bhttp::ok, page_json(page, tenant_json));
  }));
  router.add(verb::get, "/v1/tenants/{id}", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto t, svc.get(ctx.param("id")));
    return http::json_response(ctx, bhttp::ok, tenant_json(t));
  }));
  router.add(verb::patch, "/v1/tenants/{id}", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto patch, read_patch(ctx.request.body()));
    WINSTON_TRY_ASSIGN(const auto t, svc.update(actor_of(ctx), ctx.param("id"), patch));
    return http::json_response(ctx, bhttp::ok, tenant_json(t));
  }));
  router.add(verb::delete_, "/v1/tenants/{id}", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto outcome, svc.remove(actor_of(ctx), ctx.param("id")));
    if (outcome == services::RemoveOutcome::kDeleted) return no_content(ctx);
    // Its cell is removed first; the tenant (suspended meanwhile) goes once the cell is gone.
    WINSTON_TRY_ASSIGN(const auto t, svc.get(ctx.param("id")));
    auto body = tenant_json(t);
    body.as_object()["deleting"] = true;
    return http::json_response(ctx, bhttp::accepted, body);
  }));
  router.add(verb::post, "/v1/tenants/{id}/credits", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto adj, read_adjustment(ctx.request.body()));
    WINSTON_TRY_ASSIGN(const auto entry, svc.adjust_credits(actor_of(ctx), ctx.param("id"), adj));
    return http::json_response(ctx, bhttp::created, ledger_json(entry));
  }));
  router.add(verb::get, "/v1/tenants/{id}/ledger", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 50));
    WINSTON_TRY_ASSIGN(const auto offset, int_param(ctx.query_param("offset"), "offset", 0));
    WINSTON_TRY_ASSIGN(const auto page, svc.ledger(ctx.param("id"), limit, offset));
    return http::json_response(ctx, bhttp::ok, page_json(page, ledger_json));
  }));
  router.add(verb::get, "/v1/tenants/{id}/usage", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 50));
    WINSTON_TRY_ASSIGN(const auto offset, int_param(ctx.query_param("offset"), "offset", 0));
    WINSTON_TRY_ASSIGN(const auto page, svc.usage(ctx.param("id"), limit, offset));
    return http::json_response(ctx, bhttp::ok, page_json(page, usage_json));
  }));
}

void register_key_routes(http::Router& router, services::KeyService& keys, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/keys", admin(auth, [&keys](RequestContext& ctx) -> Result<Response> {
    std::string name;
    if (!ctx.request.body().empty()) {
      WINSTON_TRY_ASSIGN(const auto obj, parse_object(ctx.request.body()));
      const JsonFields f(obj);
      WINSTON_TRY(f.only({"name"}));
      WINSTON_TRY_ASSIGN(auto n, f.optional_string("name"));
      name = n.value_or("");
    }
    WINSTON_TRY_ASSIGN(const auto issued, keys.create(actor_of(ctx), ctx.param("id"), name));
    auto body = key_json(issued.meta);
    body.as_object()["key"] = issued.secret;
    return http::json_response(ctx, bhttp::created, body);
  }));
  router.add(verb::get, "/v1/tenants/{id}/keys", admin(auth, [&keys](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto rows, keys.list(ctx.param("id")));
    json::array data;
    for (const auto& k : rows) data.push_back(key_json(k));
    return http::json_response(ctx, bhttp::ok, {{"data", std::move(data)}});
  }));
  router.add(verb::delete_, "/v1/tenants/{id}/keys/{key_id}",
             admin(auth, [&keys](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY(keys.revoke(actor_of(ctx), ctx.param("id"), ctx.param("key_id")));
               return no_content(ctx);
             }));
}

}  // namespace winston::api
