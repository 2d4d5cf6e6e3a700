// The OpenAPI 3.0 document of the admin API: docs/openapi.json, compiled in
// and served byte for byte. A test walks the router and fails when a route
// is missing from it.

#include "agent/embedded_assets.hpp"
#include "api/system_api.hpp"

namespace winston::api {

std::string_view openapi_document() { return agent::embedded_asset("docs/openapi.json"); }

}  // namespace winston::api
