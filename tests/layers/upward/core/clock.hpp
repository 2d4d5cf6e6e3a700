#pragma once
// A fixture for the layering check: core reaching up into services.
#include "services/tenant_service.hpp"
#include "core/error.hpp"
