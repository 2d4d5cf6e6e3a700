#pragma once
// Operational endpoints: liveness, readiness, Prometheus metrics and the
// OpenAPI document.

#include <functional>

#include "api/admin_api.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "storage/database.hpp"

namespace winston::api {

/// `render_metrics` produces the whole /metrics body (each server adds its own families).
void register_system_routes(http::Router& router, storage::Database& db, std::function<std::string()> render_metrics,
                            const AdminAuth& auth);

/// The OpenAPI 3 document of the admin API (kept true by a test).
std::string_view openapi_document();

}  // namespace winston::api
