#pragma once
// The audit log over HTTP: GET /v1/audit (every tenant, or one by filter)
// and GET /v1/tenants/{id}/audit, behind the admin token.

#include <boost/json.hpp>

#include "api/admin_api.hpp"
#include "http/router.hpp"
#include "services/audit_service.hpp"

namespace winston::api {

boost::json::value audit_entry_json(const storage::audit::Entry& e);
/// {"data": [...], "limit": n, "next_cursor": "..." | null}; the CLI prints the same.
boost::json::value audit_page_json(const services::AuditPage& page);

void register_audit_routes(http::Router& router, services::AuditService& audit, const AdminAuth& auth);

}  // namespace winston::api
