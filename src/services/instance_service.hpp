#pragma once
// A tenant's cell as the operator sees it: create (provision), start, stop,
// retry, deprovision, and the events list. This records intent only — the
// desired state — in one transaction with its event and audit rows; the
// reconciler (services/reconciler) does the work.

#include <optional>
#include <string>
#include <vector>

#include "agent/config_generator.hpp"
#include "core/clock.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"
#include "storage/instance_repository.hpp"

namespace winston::services {

namespace cell_state {
inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kProvisioning = "provisioning";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kDegraded = "degraded";
inline constexpr std::string_view kStopping = "stopping";
inline constexpr std::string_view kStopped = "stopped";
inline constexpr std::string_view kDeleting = "deleting";
inline constexpr std::string_view kDeleted = "deleted";
inline constexpr std::string_view kFailed = "failed";
}  // namespace cell_state

struct InstanceView {
  storage::instances::InstanceRow row;
  std::vector<storage::instances::EventRow> events;  // newest first
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
  Result<Page<storage::instances::InstanceRow>> list(const std::optional<std::string>& state, std::int64_t limit,
                                                     std::int64_t offset);
  Result<Page<storage::instances::EventRow>> events(std::string_view tenant, std::int64_t limit, std::int64_t offset);
  /// desired: "running" or "stopped".
  Result<InstanceView> set_desired(const Actor& actor, std::string_view tenant, std::string_view desired);
  /// A failed (or backing-off) cell is tried again now.
  Result<InstanceView> retry(const Actor& actor, std::string_view tenant);
  /// Removes the cell's resources; the tenant stays.
  Result<InstanceView> deprovision(const Actor& actor, std::string_view tenant);

  /// For TenantService::create (one-step onboarding): creates the new tenant's
  /// cell in the same transaction, so both or neither exist; `out` receives it.
  TenantService::AlsoOnCreate with_cell(const Actor& actor, std::optional<std::string> backend,
                                        std::optional<storage::instances::InstanceRow>& out);
  /// Creates the instance row for `tenant_id` inside the caller's transaction (tenant creation with provisioning).
  Result<storage::instances::InstanceRow> create_in(storage::Connection& c, const Actor& actor,
                                                    std::string_view tenant_id,
                                                    const std::optional<std::string>& backend, EpochMs now);

 private:
  Result<InstanceView> view(storage::Connection& c, const storage::instances::InstanceRow& row, std::int64_t events);
  Result<storage::instances::InstanceRow> require(storage::Connection& c, std::string_view tenant);

  storage::Database& db_;
  const Clock& clock_;
  std::vector<std::string> backends_;
  std::string default_backend_;
};

/// Inside the caller's transaction: records a change of desired state
/// (event + audit) and makes the instance due now. Used by the tenant
/// service (suspend → stopped, delete → deleted) and by InstanceService.
Status request_cell_state(storage::Connection& c, const Actor& actor, const storage::instances::InstanceRow& row,
                          std::string_view desired, bool delete_tenant, EpochMs now);

/// Inside the caller's transaction: one events-list row (and, for
/// transitions, an audit row).
Status record_cell_event(storage::Connection& c, const Actor& actor, const storage::instances::InstanceRow& row,
                         std::string_view kind, std::optional<std::string> from, std::optional<std::string> to,
                         std::string message, EpochMs now);

}  // namespace winston::services
