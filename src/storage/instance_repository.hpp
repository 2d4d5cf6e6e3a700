#pragma once
// SQL for tenant_instances (one cell per tenant: desired and actual state,
// backend, external ids, lease) and instance_events. Every function runs on
// the caller's connection; the caller decides the transaction.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/database.hpp"

namespace winston::storage::instances {

struct InstanceRow {
  std::string id;
  std::string tenant_id;
  std::string backend;
  std::string desired_state;  // running | stopped | deleted
  std::string actual_state;   // pending | provisioning | running | degraded | stopping | stopped | deleting | deleted | failed
  std::string external_ids = "{}";  // JSON object owned by the backend
  std::optional<std::string> url;
  std::optional<std::int64_t> snapshot_version;  // deployed
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
  std::optional<EpochMs> next_attempt_at;  // NULL: not due (failed, or settled with nothing to watch)
  std::optional<std::string> lease_owner;
  std::optional<EpochMs> lease_expires_at;
  std::string step;
  bool delete_tenant = false;
  std::optional<EpochMs> ready_at;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
  std::string tenant_slug;  // read from tenants (not stored here); empty on a row not read back yet
  std::string tenant_name;
};

struct EventRow {
  std::string id;
  std::string instance_id;
  std::string tenant_id;
  EpochMs at = 0;
  std::string kind;  // transition | step | error
  std::optional<std::string> from_state;
  std::optional<std::string> to_state;
  std::string message;
};

Status insert(Connection& c, const InstanceRow& row);
Result<std::optional<InstanceRow>> find_by_tenant(Connection& c, std::string_view tenant_id);
Result<std::optional<InstanceRow>> get(Connection& c, std::string_view id);
/// Holds the row until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already does), so a
/// reconciler cannot claim it in between.
Status lock(Connection& c, std::string_view id);
/// Newest first; `state` filters on actual_state when set.
Result<std::vector<InstanceRow>> list(Connection& c, const std::optional<std::string>& state, std::int64_t limit,
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
Result<bool> save_progress(Connection& c, const InstanceRow& row, std::string_view owner, bool release);
/// The operator's wish: sets desired_state (and delete_tenant), resets
/// attempts and makes the instance due now.
Status set_desired(Connection& c, std::string_view id, std::string_view desired, bool delete_tenant, EpochMs now);
/// Makes the instance due now (a new snapshot, a retry), resetting attempts when `reset`.
Status wake(Connection& c, std::string_view id, EpochMs now, bool reset);

Status append_event(Connection& c, const EventRow& e);
/// Newest first.
Result<std::vector<EventRow>> events(Connection& c, std::string_view instance_id, std::int64_t limit,
                                     std::int64_t offset);

}  // namespace winston::storage::instances
