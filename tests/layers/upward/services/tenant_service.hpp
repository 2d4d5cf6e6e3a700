#pragma once
// A fixture for the layering check: services may use core and storage.
#include "core/clock.hpp"
#include "storage/database.hpp"
