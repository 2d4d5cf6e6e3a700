#include "core/cell.hpp"

#include <array>
#include <utility>

namespace winston {
namespace {

// The strings are stored in tenant_instances/instance_events and shown by the API: never rename one.
constexpr std::array<std::pair<CellState, std::string_view>, 9> kCellStates{{
    {CellState::kPending, "pending"},
    {CellState::kProvisioning, "provisioning"},
    {CellState::kRunning, "running"},
    {CellState::kDegraded, "degraded"},
    {CellState::kStopping, "stopping"},
    {CellState::kStopped, "stopped"},
    {CellState::kDeleting, "deleting"},
    {CellState::kDeleted, "deleted"},
    {CellState::kFailed, "failed"},
}};

}  // namespace

std::string_view to_string(CellState s) {
  for (const auto& [state, name] : kCellStates) {
    if (state == s) return name;
  }
  return "unknown";
}

std::optional<CellState> parse_cell_state(std::string_view s) {
  for (const auto& [state, name] : kCellStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

CellState settled_state(DesiredState d) {
  switch (d) {
    case DesiredState::kRunning: return CellState::kRunning;
    case DesiredState::kStopped: return CellState::kStopped;
    case DesiredState::kDeleted: return CellState::kDeleted;
  }
  return CellState::kFailed;  // unreachable: every enumerator is handled above
}

std::string_view to_string(DesiredState s) { return to_string(settled_state(s)); }

std::optional<DesiredState> parse_desired_state(std::string_view s) {
  for (const auto d : {DesiredState::kRunning, DesiredState::kStopped, DesiredState::kDeleted}) {
    if (to_string(d) == s) return d;
  }
  return std::nullopt;
}

}  // namespace winston
