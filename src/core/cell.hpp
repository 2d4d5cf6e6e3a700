#pragma once
// A tenant's cell (its OpenClaw gateway) as the domain sees it: the states
// the reconciler moves it through, the state an operator asks for, and the
// records of the cell and its events list. Pure types, no I/O: storage
// converts the states to and from their strings at its edge, and the API
// shows the same strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace winston {

/// Where the cell is:
///   pending → provisioning → running ⇄ degraded → stopping → stopped → deleting → deleted
///   and failed (after max_attempts; waits for a retry, a new config or a new desired state).
enum class CellState { kPending, kProvisioning, kRunning, kDegraded, kStopping, kStopped, kDeleting, kDeleted, kFailed };
std::string_view to_string(CellState s);
std::optional<CellState> parse_cell_state(std::string_view s);

/// Where the operator wants the cell: a subset of the states, kept apart so
/// "desired pending" cannot be written.
enum class DesiredState { kRunning, kStopped, kDeleted };
std::string_view to_string(DesiredState s);
std::optional<DesiredState> parse_desired_state(std::string_view s);
/// The actual state that satisfies the wish.
CellState settled_state(DesiredState d);

/// One cell per tenant (tenant_instances): desired and actual state, the
/// backend that runs it, the backend's external ids and the reconciler's lease.
struct CellInstance {
  std::string id;
  std::string tenant_id;
  std::string backend;
  DesiredState desired_state = DesiredState::kRunning;
  CellState actual_state = CellState::kPending;
  std::string external_ids = "{}";  // JSON object owned by the backend
  std::optional<std::string> url;
  std::optional<std::int64_t> snapshot_version;  // deployed
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::optional<EpochMs> next_attempt_at;  // unset: not due (failed, or settled with nothing to watch)
  std::optional<std::string> lease_owner;
  std::optional<EpochMs> lease_expires_at;
  std::string step;
  bool delete_tenant = false;
  std::optional<EpochMs> ready_at;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
  std::string tenant_slug;  // read from the tenant (not stored with the cell); empty on a record not read back yet
  std::string tenant_name;
};

/// One line of a cell's events list (instance_events).
struct CellEvent {
  std::string id;
  std::string instance_id;
  std::string tenant_id;
  EpochMs at = 0;
  std::string kind;  // transition | step | error
  std::optional<CellState> from_state;
  std::optional<CellState> to_state;
  std::string message;
};

}  // namespace winston
