#include "api/system_api.hpp"

#include <boost/json.hpp>

namespace winston::api {
namespace json = boost::json;
using boost::beast::http::verb;
using http::RequestContext;
using http::Response;
using bstatus = boost::beast::http::status;

namespace {

Response text_response(const RequestContext& ctx, std::string body, std::string_view content_type) {
  Response res{bstatus::ok, ctx.request.version()};
  res.set(boost::beast::http::field::content_type, content_type);
  res.keep_alive(ctx.request.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

void register_system_routes(http::Router& router, std::function<Status()> check_ready,
                            std::function<std::string()> render_metrics, const AdminAuth& auth) {
  router.add(verb::get, "/healthz", [](RequestContext& ctx) {
    return http::json_response(ctx, bstatus::ok, {{"status", "ok"}});
  });
  router.add(verb::get, "/readyz", [ready = std::move(check_ready)](RequestContext& ctx) {
    if (ready().ok()) return http::json_response(ctx, bstatus::ok, {{"status", "ready"}, {"database", "ok"}});
    return http::error_response(ctx, Error::unavailable("database unreachable"));
  });
  router.add(verb::get, "/metrics", [render = std::move(render_metrics), &auth](RequestContext& ctx) {
    if (auto s = auth.check(ctx.request); !s.ok()) return http::error_response(ctx, s.error());
    return text_response(ctx, render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  router.add(verb::get, "/v1/openapi.json", [](RequestContext& ctx) {
    return text_response(ctx, std::string(openapi_document()), "application/json");
  });
}

}  // namespace winston::api
