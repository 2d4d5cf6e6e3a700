#pragma once
// The operator's admin API: tenants, credits and the ledger, behind the
// admin bearer token.

#include <boost/json.hpp>

#include <functional>
#include <string>

#include "http/router.hpp"
#include "services/instance_service.hpp"
#include "services/key_service.hpp"
#include "services/tenant_service.hpp"

namespace winston::api {

/// Checks `Authorization: Bearer <token>` in constant time.
class AdminAuth {
 public:
  explicit AdminAuth(std::string token) : token_(std::move(token)) {}
  Status check(const http::Request& req) const;

 private:
  std::string token_;
};

/// The admin actor of a request, for audit rows.
services::Actor actor_of(const http::RequestContext& ctx);
/// Wraps a handler returning Result<Response> with the error mapping (routes that authenticate themselves).
http::Handler answer(std::function<Result<http::Response>(http::RequestContext&)> fn);
/// The same behind the admin token check.
http::Handler admin(const AdminAuth& auth, std::function<Result<http::Response>(http::RequestContext&)> fn);
http::Response no_content(const http::RequestContext& ctx);

/// The JSON shape of every paginated listing.
template <typename T, typename F>
boost::json::value page_json(const services::Page<T>& page, F&& item) {
  boost::json::array data;
  for (const auto& x : page.items) data.push_back(item(x));
  const bool more = page.offset + static_cast<std::int64_t>(page.items.size()) < page.total;
  return {{"data", std::move(data)},
          {"total", page.total},
          {"limit", page.limit},
          {"offset", page.offset},
          {"has_more", more}};
}

/// Tenants; POST takes `"provision": true` (and `"backend"`) for one-step onboarding, DELETE removes the cell first (202).
void register_tenant_routes(http::Router& router, services::TenantService& tenants, services::InstanceService& cells,
                            const AdminAuth& auth);
/// Tenant API keys for the proxy: create (secret shown once), list, revoke.
void register_key_routes(http::Router& router, services::KeyService& keys, const AdminAuth& auth);

}  // namespace winston::api
