#include "storage/instance_repository.hpp"

namespace winston::storage::instances {
namespace {

constexpr std::string_view kColumns =
    "i.id, i.tenant_id, i.backend, i.desired_state, i.actual_state, i.external_ids, i.url, i.snapshot_version, "
    "i.attempts, i.last_error, i.next_attempt_at, i.lease_owner, i.lease_expires_at, i.step, i.delete_tenant, "
    "i.ready_at, i.created_at, i.updated_at, t.slug, t.name";
// The tenant's slug and name come along, so a list of cells reads without a second lookup.
constexpr std::string_view kFrom = " FROM tenant_instances i JOIN tenants t ON t.id = i.tenant_id ";

// A state string no state has means the row was written by something else: an error, not a guess.
Result<CellState> cell_state_of(std::string_view s) {
  if (auto state = parse_cell_state(s)) return *state;
  return Error::internal("tenant_instances holds an unknown cell state '" + std::string(s) + "'");
}

Result<std::optional<CellState>> opt_cell_state_of(const std::optional<std::string>& s) {
  if (!s) return std::optional<CellState>{};
  WINSTON_TRY_ASSIGN(const auto state, cell_state_of(*s));
  return std::optional<CellState>{state};
}

Result<CellInstance> from_row(const Row& r) {
  CellInstance i;
  i.id = r.str(0);
  i.tenant_id = r.str(1);
  i.backend = r.str(2);
  const auto desired = parse_desired_state(r.str(3));
  if (!desired) return Error::internal("tenant_instances holds an unknown desired state '" + r.str(3) + "'");
  i.desired_state = *desired;
  WINSTON_TRY_ASSIGN(i.actual_state, cell_state_of(r.str(4)));
  i.external_ids = r.str(5);
  i.url = r.opt_str(6);
  i.snapshot_version = r.opt_i64(7);
  i.attempts = r.i64(8);
  i.last_error = r.opt_str(9);
  i.next_attempt_at = r.opt_i64(10);
  i.lease_owner = r.opt_str(11);
  i.lease_expires_at = r.opt_i64(12);
  i.step = r.str(13);
  i.delete_tenant = r.i64(14) != 0;
  i.ready_at = r.opt_i64(15);
  i.created_at = r.i64(16);
  i.updated_at = r.i64(17);
  i.tenant_slug = r.str(18);
  i.tenant_name = r.str(19);
  return i;
}

Value opt(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{nullptr}; }

Value opt(const std::optional<CellState>& s) { return s ? Value{std::string(to_string(*s))} : Value{nullptr}; }

Result<std::vector<CellInstance>> from_rows(const std::vector<Row>& rows) {
  std::vector<CellInstance> out;
  for (const auto& r : rows) {
    WINSTON_TRY_ASSIGN(auto i, from_row(r));
    out.push_back(std::move(i));
  }
  return out;
}

Result<std::optional<CellInstance>> one(Connection& c, std::string_view where, std::string_view arg) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kColumns) + std::string(kFrom) + "WHERE " +
                                            std::string(where),
                                        {std::string(arg)}));
  if (rows.empty()) return std::optional<CellInstance>{};
  WINSTON_TRY_ASSIGN(auto i, from_row(rows.front()));
  return std::optional<CellInstance>{std::move(i)};
}

}  // namespace

Status insert(Connection& c, const CellInstance& i) {
  WINSTON_TRY(c.query("INSERT INTO tenant_instances (id, tenant_id, backend, desired_state, actual_state, external_ids, "
                      "attempts, next_attempt_at, step, delete_tenant, created_at, updated_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, 0, $9, $9)",
                      {i.id, i.tenant_id, i.backend, std::string(to_string(i.desired_state)),
                       std::string(to_string(i.actual_state)), i.external_ids,
                       opt(i.next_attempt_at), i.step, i.created_at}));
  return {};
}

Result<std::optional<CellInstance>> find_by_tenant(Connection& c, std::string_view tenant_id) {
  return one(c, "i.tenant_id = $1", tenant_id);
}

Result<std::optional<CellInstance>> get(Connection& c, std::string_view id) { return one(c, "i.id = $1", id); }

Status lock(Connection& c, std::string_view id) {
  if (c.backend() != Backend::kPostgres) return {};
  WINSTON_TRY(c.query("SELECT id FROM tenant_instances WHERE id = $1 FOR UPDATE", {std::string(id)}));
  return {};
}

Result<std::vector<CellInstance>> list(Connection& c, const std::optional<std::string>& state, std::int64_t limit,
                                      std::int64_t offset) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT " + std::string(kColumns) + std::string(kFrom) +
                                            "WHERE (CAST($1 AS TEXT) IS NULL OR i.actual_state = $1) "
                                            "ORDER BY i.created_at DESC, i.id DESC LIMIT $2 OFFSET $3",
                                        {null_if_empty(state), limit, offset}));
  return from_rows(rows);
}

Result<std::int64_t> count(Connection& c, const std::optional<std::string>& state) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT COUNT(*) FROM tenant_instances WHERE (CAST($1 AS TEXT) IS NULL OR actual_state = $1)",
                                        {null_if_empty(state)}));
  return rows.front().i64(0);
}

Result<std::vector<std::string>> due(Connection& c, EpochMs now, std::int64_t limit) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT id FROM tenant_instances WHERE next_attempt_at IS NOT NULL AND "
                                        "next_attempt_at <= $1 AND (lease_owner IS NULL OR lease_expires_at < $1) "
                                        "ORDER BY next_attempt_at LIMIT $2",
                                        {now, limit}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.str(0));
  return out;
}

Result<bool> claim(Connection& c, std::string_view id, std::string_view owner, EpochMs now, EpochMs expires_at) {
  // One conditional UPDATE: atomic on both backends, so two replicas never both win.
  WINSTON_TRY_ASSIGN(auto rows, c.query("UPDATE tenant_instances SET lease_owner = $2, lease_expires_at = $3 "
                                        "WHERE id = $1 AND (lease_owner IS NULL OR lease_expires_at < $4) RETURNING id",
                                        {std::string(id), std::string(owner), expires_at, now}));
  return !rows.empty();
}

Result<std::int64_t> release_stale(Connection& c, std::string_view prefix) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("UPDATE tenant_instances SET lease_owner = NULL, lease_expires_at = NULL "
                                        "WHERE substr(lease_owner, 1, $2) = $1 RETURNING id",
                                        {std::string(prefix), static_cast<std::int64_t>(prefix.size())}));
  return static_cast<std::int64_t>(rows.size());
}

Result<bool> save_progress(Connection& c, const CellInstance& i, std::string_view owner, Lease lease) {
  WINSTON_TRY_ASSIGN(
      auto rows,
      c.query("UPDATE tenant_instances SET actual_state = $3, external_ids = $4, url = $5, snapshot_version = $6, "
              "attempts = $7, last_error = $8, next_attempt_at = $9, step = $10, ready_at = $11, "
              "lease_owner = CASE WHEN $12 = 1 THEN NULL ELSE lease_owner END, "
              "lease_expires_at = CASE WHEN $12 = 1 THEN NULL ELSE lease_expires_at END "
              "WHERE id = $1 AND lease_owner = $2 RETURNING id",
              {i.id, std::string(owner), std::string(to_string(i.actual_state)), i.external_ids, null_if_empty(i.url),
               opt(i.snapshot_version), i.attempts, null_if_empty(i.last_error), opt(i.next_attempt_at), i.step,
               opt(i.ready_at), std::int64_t{lease == Lease::kRelease ? 1 : 0}}));
  return !rows.empty();
}

Status set_desired(Connection& c, std::string_view id, DesiredState desired, bool delete_tenant, EpochMs now) {
  WINSTON_TRY(c.query("UPDATE tenant_instances SET desired_state = $2, delete_tenant = $3, attempts = 0, "
                      "next_attempt_at = $4 WHERE id = $1",
                      {std::string(id), std::string(to_string(desired)), std::int64_t{delete_tenant ? 1 : 0}, now}));
  return {};
}

Status wake(Connection& c, std::string_view id, EpochMs now) {
  WINSTON_TRY(c.query("UPDATE tenant_instances SET next_attempt_at = $2, attempts = 0 WHERE id = $1",
                      {std::string(id), now}));
  return {};
}

Status append_event(Connection& c, const CellEvent& e) {
  WINSTON_TRY(c.query("INSERT INTO instance_events (id, instance_id, tenant_id, at, kind, from_state, to_state, message) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      {e.id, e.instance_id, e.tenant_id, e.at, e.kind, opt(e.from_state), opt(e.to_state), e.message}));
  return {};
}

Result<std::vector<CellEvent>> events(Connection& c, std::string_view instance_id, std::int64_t limit,
                                     std::int64_t offset) {
  WINSTON_TRY_ASSIGN(auto rows, c.query("SELECT id, instance_id, tenant_id, at, kind, from_state, to_state, message "
                                        "FROM instance_events WHERE instance_id = $1 ORDER BY at DESC, id DESC "
                                        "LIMIT $2 OFFSET $3",
                                        {std::string(instance_id), limit, offset}));
  std::vector<CellEvent> out;
  for (const auto& r : rows) {
    WINSTON_TRY_ASSIGN(const auto from, opt_cell_state_of(r.opt_str(5)));
    WINSTON_TRY_ASSIGN(const auto to, opt_cell_state_of(r.opt_str(6)));
    CellEvent e{.id = r.str(0), .instance_id = r.str(1), .tenant_id = r.str(2), .at = r.i64(3), .kind = r.str(4),
               .from_state = from, .to_state = to, .message = r.str(7)};
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace winston::storage::instances
