#pragma once
// The operator's admin API: tenants, credits and the ledger, behind the
// admin bearer token.

#include <string>

#include "http/router.hpp"
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

void register_tenant_routes(http::Router& router, services::TenantService& tenants, const AdminAuth& auth);
/// Tenant API keys for the proxy: create (secret shown once), list, revoke.
void register_key_routes(http::Router& router, services::KeyService& keys, const AdminAuth& auth);

}  // namespace winston::api
