#pragma once
// Connector routes. The operator's side (create, list, get, delete, upload
// inventory and sales) sits on the admin API behind the admin token; the
// cells' side (inventory search, sales summary) sits on the proxy listener
// behind the tenant's own key and only ever sees that tenant's data.

#include "api/admin_api.hpp"
#include "http/router.hpp"
#include "services/connector_service.hpp"
#include "services/key_service.hpp"

namespace winston::api {

/// The tenant that owns the presented key (Bearer or x-api-key); the admin token is no tenant key and fails here.
Result<std::string> tenant_of_key(services::KeyService& keys, const http::RequestContext& ctx);

/// /v1/tenants/{id}/connectors…, admin token.
/// True for the admin routes that take data uploads (…/connectors/{cid}/inventory|sales),
/// which get `api.upload_limit_bytes` instead of the API's body limit.
bool is_connector_upload(std::string_view target);

void register_connector_admin_routes(http::Router& router, services::ConnectorService& connectors,
                                     const AdminAuth& auth);
/// /v1/connector/inventory and /v1/connector/sales, tenant key (the admin token is refused).
void register_connector_cell_routes(http::Router& router, services::ConnectorService& connectors,
                                    services::KeyService& keys);

}  // namespace winston::api
