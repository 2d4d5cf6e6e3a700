#pragma once
// Cells over HTTP. Admin API: a tenant's instance (provision, show, start,
// stop, retry, deprovision, events) and the list of all instances. Proxy
// listener: GET /v1/cell/config/{version}, with which a remote cell fetches
// its own tenant's config snapshot at start (the cell's key decides the tenant).

#include <boost/json.hpp>

#include "api/admin_api.hpp"
#include "core/cell.hpp"
#include "http/router.hpp"
#include "services/config_service.hpp"
#include "services/instance_service.hpp"
#include "services/key_service.hpp"

namespace winston::api {

boost::json::value instance_json(const services::InstanceView& v);
boost::json::value instance_row_json(const CellInstance& r);
boost::json::value instance_event_json(const CellEvent& e);

void register_instance_routes(http::Router& router, services::InstanceService& instances, const AdminAuth& auth);
void register_cell_config_route(http::Router& router, services::ConfigService& configs, services::KeyService& keys);

}  // namespace winston::api
