#pragma once
// A tenant's cell as the operator sees it: create (provision), start, stop,
// retry, deprovision, and the events list. This records intent only — the
// desired state — in one transaction with its event and audit rows; the
// reconciler (services/reconciler) does the work.

#include <optional>
#include <string>
#include <vector>

#include "agent/config_generator.hpp"
#include "core/cell.hpp"
#include "core/clock.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"
#include "storage/instance_repository.hpp"

namespace winston::services {

/// What an operator may ask for with set_desired (deleting is deprovision): running or stopped.
Result<DesiredState> operator_desired_state(std::string_view s);

struct InstanceView {
  CellInstance row;
  std::vector<CellEvent> events;  // newest first
  /// The warnings of the config version the cell runs (row.snapshot_version): rules its agent lacks.
  std::vector<agent::ConfigWarning> config_warnings{};
};

class InstanceService {
 public:
  InstanceService(storage::Database& db, const Clock& clock, std::vector<std::string> backends,
                  std::string default_backend)
      : db_(db), clock_(clock), backends_(std::move(backends)), default_backend_(std::move(default_backend)) {}

  /// The tenant's cell, created (desired running) if it has none; an
  /// existing one is asked to run again. `backend` defaults to the configured one.
  Result<InstanceView> provision(const Actor& actor, std::string_view tenant,
                                 const std::optional<std::string>& backend);
  Result<InstanceView> get(std::string_view tenant, std::int64_t events = 20);
  Result<Page<CellInstance>> list(const std::optional<std::string>& state, std::int64_t limit,
                                                     std::int64_t offset);
  Result<Page<CellEvent>> events(std::string_view tenant, std::int64_t limit, std::int64_t offset);
  /// desired: running or stopped (deleted is deprovision()).
  Result<InstanceView> set_desired(const Actor& actor, std::string_view tenant, DesiredState desired);
  /// A failed (or backing-off) cell is tried again now.
  Result<InstanceView> retry(const Actor& actor, std::string_view tenant);
  /// Removes the cell's resources; the tenant stays.
  Result<InstanceView> deprovision(const Actor& actor, std::string_view tenant);

  /// For TenantService::create (one-step onboarding): creates the new tenant's
  /// cell in the same transaction, so both or neither exist; `out` receives it.
  TenantService::AlsoOnCreate with_cell(const Actor& actor, std::optional<std::string> backend,
                                        std::optional<CellInstance>& out);
  /// Creates the instance row for `tenant_id` inside the caller's transaction (tenant creation with provisioning).
  Result<CellInstance> create_in(storage::Connection& c, const Actor& actor,
                                                    std::string_view tenant_id,
                                                    const std::optional<std::string>& backend, EpochMs now);

 private:
  Result<InstanceView> view(storage::Connection& c, const CellInstance& row, std::int64_t events);
  Result<CellInstance> require(storage::Connection& c, std::string_view tenant);

  storage::Database& db_;
  const Clock& clock_;
  std::vector<std::string> backends_;
  std::string default_backend_;
};

/// Inside the caller's transaction: records a change of desired state
/// (event + audit) and makes the instance due now. Used by the tenant
/// service (suspend → stopped, delete → deleted) and by InstanceService.
Status request_cell_state(storage::Connection& c, const Actor& actor, const CellInstance& row,
                          DesiredState desired, bool delete_tenant, EpochMs now);

/// Inside the caller's transaction: one events-list row (and, for
/// transitions, an audit row).
Status record_cell_event(storage::Connection& c, const Actor& actor, const CellInstance& row,
                         std::string_view kind, std::optional<CellState> from, std::optional<CellState> to,
                         std::string message, EpochMs now);

}  // namespace winston::services
