#include "services/instance_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/ids.hpp"
#include "storage/audit_repository.hpp"
#include "storage/config_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace inst = storage::instances;

Status record_cell_event(storage::Connection& c, const Actor& actor, const CellInstance& row,
                         std::string_view kind, std::optional<CellState> from, std::optional<CellState> to,
                         std::string message, EpochMs now) {
  if (kind == "transition") {
    json::object details{{"instance_id", row.id}, {"backend", row.backend}, {"message", message}};
    details["from"] = from ? json::value(to_string(*from)) : json::value(nullptr);
    details["to"] = to ? json::value(to_string(*to)) : json::value(nullptr);
    WINSTON_TRY(record_audit(c, actor,
                             {.tenant_id = row.tenant_id,
                              .action = "instance.transition",
                              .target = "instance:" + row.id,
                              .details = std::move(details)},
                             now));
  }
  return inst::append_event(
      c, CellEvent{.id = new_uuid_v7(now),
                   .instance_id = row.id,
                   .tenant_id = row.tenant_id,
                   .at = now,
                   .kind = std::string(kind),
                   .from_state = from,
                   .to_state = to,
                   .message = std::move(message)});
}

Status request_cell_state(storage::Connection& c, const Actor& actor, const CellInstance& row,
                          DesiredState desired, bool delete_tenant, EpochMs now) {
  WINSTON_TRY(inst::set_desired(c, row.id, desired, delete_tenant, now));
  json::object details{{"instance_id", row.id}, {"desired", to_string(desired)}, {"delete_tenant", delete_tenant}};
  WINSTON_TRY(record_audit(c, actor,
                           {.tenant_id = row.tenant_id,
                            .action = "instance.desire",
                            .target = "instance:" + row.id,
                            .details = std::move(details)},
                           now));
  return inst::append_event(c, CellEvent{.id = new_uuid_v7(now),
                                         .instance_id = row.id,
                                         .tenant_id = row.tenant_id,
                                         .at = now,
                                         .kind = "step",
                                         .message = fmt::format("{} asked for {}{}", actor.name, to_string(desired),
                                                                delete_tenant ? " (then delete the tenant)" : "")});
}

Result<DesiredState> operator_desired_state(std::string_view s) {
  const auto desired = parse_desired_state(s);
  if (!desired || *desired == DesiredState::kDeleted) {
    return Error::invalid("desired_state", "desired_state must be running or stopped");
  }
  return *desired;
}

Result<CellInstance> InstanceService::create_in(storage::Connection& c, const Actor& actor,
                                                     std::string_view tenant_id,
                                                     const std::optional<std::string>& backend, EpochMs now) {
  const std::string chosen = backend.value_or(default_backend_);
  if (std::find(backends_.begin(), backends_.end(), chosen) == backends_.end()) {
    std::string known;
    for (const auto& b : backends_) known += (known.empty() ? "" : ", ") + b;
    return Error::invalid("backend", fmt::format("backend must be one of the configured backends: {}", known));
  }
  CellInstance row;
  row.id = new_uuid_v7(now);
  row.tenant_id = std::string(tenant_id);
  row.backend = chosen;
  row.desired_state = DesiredState::kRunning;
  row.actual_state = CellState::kPending;
  row.next_attempt_at = now;
  row.step = "queued";
  row.created_at = now;
  row.updated_at = now;
  if (auto s = inst::insert(c, row); !s.ok()) {
    if (s.error().code == ErrorCode::kConflict) return Error::conflict("this tenant already has a cell");
    return s.error();
  }
  WINSTON_TRY(record_cell_event(c, actor, row, "transition", std::nullopt, CellState::kPending,
                                fmt::format("{} asked for a {} cell", actor.name, chosen), now));
  WINSTON_TRY_ASSIGN(auto stored, inst::get(c, row.id));  // read back: with the tenant's slug and name
  if (!stored) return Error::internal("the new cell vanished inside its own transaction");
  return std::move(*stored);
}

TenantService::AlsoOnCreate InstanceService::with_cell(const Actor& actor, std::optional<std::string> backend,
                                                       std::optional<CellInstance>& out) {
  return [this, actor, backend = std::move(backend), &out](storage::Connection& c, const Tenant& t,
                                                           EpochMs now) -> Status {
    WINSTON_TRY_ASSIGN(out, create_in(c, actor, t.id, backend, now));
    return {};
  };
}

Result<CellInstance> InstanceService::require(storage::Connection& c, std::string_view tenant) {
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(c, tenant));
  WINSTON_TRY_ASSIGN(auto row, inst::find_by_tenant(c, t.id));
  if (!row) return Error::not_found(fmt::format("tenant '{}' has no cell; POST …/instance creates one", tenant));
  return std::move(*row);
}

Result<InstanceView> InstanceService::view(storage::Connection& c, const CellInstance& row, std::int64_t events) {
  InstanceView v{row, {}};
  if (events > 0) {
    WINSTON_TRY_ASSIGN(v.events, inst::events(c, row.id, events, 0));
  }
  if (row.snapshot_version) {
    WINSTON_TRY_ASSIGN(const auto warnings, storage::configs::warnings(c, row.tenant_id, *row.snapshot_version));
    if (warnings) v.config_warnings = agent::warnings_from_json(*warnings);
  }
  return v;
}

Result<InstanceView> InstanceService::provision(const Actor& actor, std::string_view tenant,
                                                const std::optional<std::string>& backend) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  if (t.is_system) return Error{ErrorCode::kForbidden, "the system tenant has no cell", {}};
  if (t.status != TenantStatus::kActive) {
    return Error::conflict("the tenant is suspended; set its status to active to run its cell", "status");
  }
  WINSTON_TRY(storage::tenants::lock(*conn, t.id));
  WINSTON_TRY_ASSIGN(auto existing, inst::find_by_tenant(*conn, t.id));
  CellInstance row;
  if (existing) {
    if (backend && *backend != existing->backend) {
      return Error::conflict(fmt::format("the cell runs on {}; deprovision it before moving it to {}",
                                         existing->backend, *backend),
                             "backend");
    }
    if (existing->delete_tenant) return Error::conflict("the tenant is being deleted");
    if (existing->desired_state != DesiredState::kRunning) {
      WINSTON_TRY(request_cell_state(*conn, actor, *existing, DesiredState::kRunning, false, now));
    }
    WINSTON_TRY_ASSIGN(auto again, inst::get(*conn, existing->id));
    row = std::move(*again);
  } else {
    WINSTON_TRY_ASSIGN(row, create_in(*conn, actor, t.id, backend, now));
  }
  WINSTON_TRY_ASSIGN(auto v, view(*conn, row, 20));
  WINSTON_TRY(tx.commit());
  return v;
}

Result<InstanceView> InstanceService::get(std::string_view tenant, std::int64_t events) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const auto row, require(*conn, tenant));
  return view(*conn, row, events);
}

Result<Page<CellInstance>> InstanceService::list(const std::optional<std::string>& state, std::int64_t limit,
                                                      std::int64_t offset) {
  WINSTON_TRY(validate_page(limit, offset));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  Page<CellInstance> page{{}, 0, limit, offset};
  WINSTON_TRY_ASSIGN(page.items, inst::list(*conn, state, limit, offset));
  WINSTON_TRY_ASSIGN(page.total, inst::count(*conn, state));
  return page;
}

Result<Page<CellEvent>> InstanceService::events(std::string_view tenant, std::int64_t limit,
                                                     std::int64_t offset) {
  WINSTON_TRY(validate_page(limit, offset));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const auto row, require(*conn, tenant));
  Page<CellEvent> page{{}, -1, limit, offset};
  WINSTON_TRY_ASSIGN(page.items, inst::events(*conn, row.id, limit, offset));
  return page;
}

Result<InstanceView> InstanceService::set_desired(const Actor& actor, std::string_view tenant,
                                                  DesiredState desired) {
  WINSTON_TRY(operator_desired_state(to_string(desired)));
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  WINSTON_TRY_ASSIGN(const auto row, require(*conn, t.id));
  if (row.delete_tenant) return Error::conflict("the tenant is being deleted");
  if (row.desired_state == DesiredState::kDeleted) {
    return Error::conflict("the cell is deprovisioned; POST …/instance provisions it again");
  }
  if (desired == DesiredState::kRunning && t.status != TenantStatus::kActive) {
    return Error::conflict("the tenant is suspended; set its status to active to run its cell", "status");
  }
  if (row.desired_state != desired) WINSTON_TRY(request_cell_state(*conn, actor, row, desired, false, now));
  WINSTON_TRY_ASSIGN(auto after, inst::get(*conn, row.id));
  WINSTON_TRY_ASSIGN(auto v, view(*conn, *after, 20));
  WINSTON_TRY(tx.commit());
  return v;
}

Result<InstanceView> InstanceService::retry(const Actor& actor, std::string_view tenant) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const auto row, require(*conn, tenant));
  WINSTON_TRY(inst::wake(*conn, row.id, now));
  WINSTON_TRY(record_cell_event(*conn, actor, row, "step", std::nullopt, std::nullopt,
                                fmt::format("{} asked for a retry", actor.name), now));
  WINSTON_TRY_ASSIGN(auto after, inst::get(*conn, row.id));
  WINSTON_TRY_ASSIGN(auto v, view(*conn, *after, 20));
  WINSTON_TRY(tx.commit());
  return v;
}

Result<InstanceView> InstanceService::deprovision(const Actor& actor, std::string_view tenant) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const auto row, require(*conn, tenant));
  if (row.desired_state != DesiredState::kDeleted) {
    WINSTON_TRY(request_cell_state(*conn, actor, row, DesiredState::kDeleted, row.delete_tenant, now));
  }
  WINSTON_TRY_ASSIGN(auto after, inst::get(*conn, row.id));
  WINSTON_TRY_ASSIGN(auto v, view(*conn, *after, 20));
  WINSTON_TRY(tx.commit());
  return v;
}

}  // namespace winston::services
