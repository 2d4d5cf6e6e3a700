#pragma once
// Operational endpoints: liveness, readiness, Prometheus metrics and the
// OpenAPI document.

#include <functional>

#include "api/admin_api.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace winston::api {

/// `check_ready` says whether the process can serve (its database answers);
/// `render_metrics` produces the whole /metrics body (each server adds its own families).
void register_system_routes(http::Router& router, std::function<Status()> check_ready,
                            std::function<std::string()> render_metrics, const AdminAuth& auth);

/// The OpenAPI 3 document of the admin API (kept true by a test).
std::string_view openapi_document();

}  // namespace winston::api
