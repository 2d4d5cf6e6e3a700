#include "api/instance_api.hpp"

#include "api/connector_api.hpp"
#include "api/json_input.hpp"
#include "api/views.hpp"
#include "agent/snapshot.hpp"

namespace winston::api {
namespace json = boost::json;
using boost::beast::http::verb;
using bstatus = boost::beast::http::status;
using http::RequestContext;
using http::Response;

namespace {

Result<std::optional<std::string>> read_backend(std::string_view body) {
  if (body.empty()) return std::optional<std::string>{};
  WINSTON_TRY_ASSIGN(const auto obj, parse_object(body));
  const JsonFields f(obj);
  WINSTON_TRY(f.only({"backend"}));
  return f.optional_string("backend");
}

}  // namespace

json::value instance_row_json(const CellInstance& r) {
  boost::system::error_code ec;
  auto ids = json::parse(r.external_ids, ec);
  if (ec || !ids.is_object()) ids = json::object{};
  return {{"id", r.id},
          {"tenant_id", r.tenant_id},
          {"tenant_slug", r.tenant_slug},
          {"tenant_name", r.tenant_name},
          {"backend", r.backend},
          {"desired_state", to_string(r.desired_state)},
          {"actual_state", to_string(r.actual_state)},
          {"step", r.step},
          {"url", nullable(r.url)},
          {"snapshot_version", nullable(r.snapshot_version)},
          {"attempts", r.attempts},
          {"last_error", nullable(r.last_error)},
          {"next_attempt_at", nullable(r.next_attempt_at)},
          {"delete_tenant", r.delete_tenant},
          {"external", std::move(ids)},
          {"ready_at", nullable(r.ready_at)},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at}};
}

json::value instance_event_json(const CellEvent& e) {
  const auto state = [](const std::optional<CellState>& s) { return s ? json::value(to_string(*s)) : json::value(nullptr); };
  return {{"id", e.id},       {"at", e.at},           {"kind", e.kind},
          {"from", state(e.from_state)}, {"to", state(e.to_state)}, {"message", e.message}};
}

json::value instance_json(const services::InstanceView& v) {
  auto out = instance_row_json(v.row);
  json::array events;
  for (const auto& e : v.events) events.push_back(instance_event_json(e));
  out.as_object()["events"] = std::move(events);
  out.as_object()["config_warnings"] = agent::warnings_to_json(v.config_warnings);
  return out;
}

void register_instance_routes(http::Router& router, services::InstanceService& svc, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/instance", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto backend, read_backend(ctx.request.body()));
    WINSTON_TRY_ASSIGN(const auto v, svc.provision(actor_of(ctx), ctx.param("id"), backend));
    return http::json_response(ctx, bstatus::accepted, instance_json(v));
  }));
  router.add(verb::get, "/v1/tenants/{id}/instance", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto v, svc.get(ctx.param("id")));
    return http::json_response(ctx, bstatus::ok, instance_json(v));
  }));
  router.add(verb::patch, "/v1/tenants/{id}/instance", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto obj, parse_object(ctx.request.body()));
    const JsonFields f(obj);
    WINSTON_TRY(f.only({"desired_state"}));
    WINSTON_TRY_ASSIGN(const auto text, f.required_string("desired_state"));
    WINSTON_TRY_ASSIGN(const auto desired, services::operator_desired_state(text));
    WINSTON_TRY_ASSIGN(const auto v, svc.set_desired(actor_of(ctx), ctx.param("id"), desired));
    return http::json_response(ctx, bstatus::accepted, instance_json(v));
  }));
  router.add(verb::post, "/v1/tenants/{id}/instance/retry",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto v, svc.retry(actor_of(ctx), ctx.param("id")));
               return http::json_response(ctx, bstatus::accepted, instance_json(v));
             }));
  router.add(verb::delete_, "/v1/tenants/{id}/instance", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto v, svc.deprovision(actor_of(ctx), ctx.param("id")));
    return http::json_response(ctx, bstatus::accepted, instance_json(v));
  }));
  router.add(verb::get, "/v1/tenants/{id}/instance/events",
             admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 50));
               WINSTON_TRY_ASSIGN(const auto offset, int_param(ctx.query_param("offset"), "offset", 0));
               WINSTON_TRY_ASSIGN(const auto page, svc.events(ctx.param("id"), limit, offset));
               json::array data;
               for (const auto& e : page.items) data.push_back(instance_event_json(e));
               return http::json_response(ctx, bstatus::ok,
                                          {{"data", std::move(data)}, {"limit", limit}, {"offset", offset}});
             }));
  router.add(verb::get, "/v1/instances", admin(auth, [&svc](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 50));
    WINSTON_TRY_ASSIGN(const auto offset, int_param(ctx.query_param("offset"), "offset", 0));
    WINSTON_TRY_ASSIGN(const auto page, svc.list(ctx.query_param("state"), limit, offset));
    return http::json_response(ctx, bstatus::ok, page_json(page, instance_row_json));
  }));
}

void register_cell_config_route(http::Router& router, services::ConfigService& configs, services::KeyService& keys) {
  router.add(verb::get, "/v1/cell/config/{version}", answer([&configs, &keys](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const std::string tenant_id, tenant_of_key(keys, ctx));
    WINSTON_TRY_ASSIGN(const auto version, int_param(std::optional<std::string>(ctx.param("version")), "version", 0));
    if (version < 1) return Error::invalid("version", "version must be a positive integer");
    WINSTON_TRY_ASSIGN(const auto snap, configs.get(services::Actor{"cell", ctx.request_id}, tenant_id, version));
    return http::json_response(ctx, bstatus::ok,
                               {{"version", snap.meta.version},
                                {"content_hash", snap.meta.content_hash},
                                {"files", agent::files_to_json(snap.files)}});
  }));
}

}  // namespace winston::api
