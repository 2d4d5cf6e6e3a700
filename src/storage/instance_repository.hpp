#pragma once
// SQL for tenant_instances (one cell per tenant: desired and actual state,
// backend, external ids, lease) and instance_events. Every function runs on
// the caller's connection; the caller decides the transaction. States are
// stored as their strings (core/cell.hpp); a string no state has is an error.

#include <optional>
#include <string>
#include <vector>

#include "core/cell.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::instances {

Status insert(Connection& c, const CellInstance& row);
Result<std::optional<CellInstance>> find_by_tenant(Connection& c, std::string_view tenant_id);
Result<std::optional<CellInstance>> get(Connection& c, std::string_view id);
/// Holds the row until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already does), so a
/// reconciler cannot claim it in between.
Status lock(Connection& c, std::string_view id);
/// Newest first; `state` filters on actual_state when set.
Result<std::vector<CellInstance>> list(Connection& c, const std::optional<std::string>& state, std::int64_t limit,
                                      std::int64_t offset);
Result<std::int64_t> count(Connection& c, const std::optional<std::string>& state);

/// Ids due at `now` whose lease is free or expired, most overdue first.
Result<std::vector<std::string>> due(Connection& c, EpochMs now, std::int64_t limit);
/// Takes the lease if it is free or expired; false when someone else holds it.
Result<bool> claim(Connection& c, std::string_view id, std::string_view owner, EpochMs now, EpochMs expires_at);
/// Frees leases a previous run of this process held (owner starting with `prefix`).
Result<std::int64_t> release_stale(Connection& c, std::string_view prefix);

/// Writes the reconciler's fields (actual state, ids, url, version, attempts,
/// error, step, next attempt, ready_at) and frees or keeps the lease, only
/// while `owner` holds it; false when the lease was lost.
enum class Lease { kKeep, kRelease };
Result<bool> save_progress(Connection& c, const CellInstance& row, std::string_view owner, Lease lease);
/// The operator's wish: sets desired_state (and delete_tenant), resets
/// attempts and makes the instance due now.
Status set_desired(Connection& c, std::string_view id, DesiredState desired, bool delete_tenant, EpochMs now);
/// Makes the instance due now with its attempts reset (a new snapshot, an operator's retry).
Status wake(Connection& c, std::string_view id, EpochMs now);

Status append_event(Connection& c, const CellEvent& e);
/// Newest first.
Result<std::vector<CellEvent>> events(Connection& c, std::string_view instance_id, std::int64_t limit,
                                     std::int64_t offset);

}  // namespace winston::storage::instances
