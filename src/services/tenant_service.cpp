#include "services/tenant_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/ids.hpp"
#include "services/instance_service.hpp"
#include "storage/audit_repository.hpp"
#include "storage/instance_repository.hpp"
#include "storage/ledger_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace {

constexpr int kCreateAttempts = 10;  // retries when a concurrent create takes the same derived slug
constexpr std::size_t kMaxReasonLength = 500;

Status write_audit(storage::Connection& c, const Actor& actor, std::string_view action, const Tenant& t,
                   json::object details, EpochMs now, bool keep_after_delete = false) {
  details["slug"] = t.slug;
  return record_audit(c, actor,
                      {.tenant_id = keep_after_delete ? std::nullopt : std::optional<std::string>{t.id},
                       .action = std::string(action),
                       .target = "tenant:" + t.id,
                       .details = std::move(details)},
                      now);
}

// A unique-constraint error from the database, named for the client by the
// constraint storage reports (never by the database's message text).
Error conflict_for(const Error& e) {
  if (e.code != ErrorCode::kConflict) return e;
  if (e.field == storage::tenants::kEmailConstraint) {
    return Error::conflict("a tenant with this email already exists", "email");
  }
  if (e.field == storage::tenants::kSlugConstraint) {
    return Error::conflict("a tenant with this slug already exists", "slug");
  }
  return Error::conflict("the tenant conflicts with an existing one");
}

std::string pick_slug(const std::string& base, const std::vector<std::string>& taken) {
  const std::set<std::string> used(taken.begin(), taken.end());
  if (!used.contains(base)) return base;
  for (int n = 2;; ++n) {
    auto candidate = slug_with_suffix(base, n);
    if (!used.contains(candidate)) return candidate;
  }
}

Error system_tenant_is_fixed() {
  return Error{ErrorCode::kForbidden, "the system tenant cannot be changed or deleted", {}};
}

}  // namespace

Status validate_page(std::int64_t limit, std::int64_t offset) {
  if (limit < 1 || limit > kMaxPageSize) {
    return Error::invalid("limit", fmt::format("limit must be between 1 and {}", kMaxPageSize));
  }
  if (offset < 0) return Error::invalid("offset", "offset must not be negative");
  return {};
}

Result<Tenant> TenantService::validate_new(const NewTenant& input) const {
  Tenant t;
  WINSTON_TRY_ASSIGN(t.name, validate_name("name", input.name));
  WINSTON_TRY_ASSIGN(t.email, validate_email("email", input.email));
  WINSTON_TRY_ASSIGN(t.website_url, validate_website_url("website_url", input.website_url));
  if (input.industry) {
    WINSTON_TRY_ASSIGN(auto industry, validate_industry("industry", *input.industry));
    if (!industry.empty()) t.industry = std::move(industry);
  }
  const auto allotment = tiers_.allotment(input.tier);
  if (!allotment) return Error::invalid("tier", "tier must be one of " + tiers_.names());
  t.tier = input.tier;
  t.monthly_allotment_mc = *allotment;
  if (input.slug) {
    WINSTON_TRY_ASSIGN(t.slug, validate_slug("slug", *input.slug));
  }
  return t;
}

Result<Tenant> TenantService::create(const Actor& actor, const NewTenant& input, const AlsoOnCreate& also) {
  WINSTON_TRY_ASSIGN(const Tenant validated, validate_new(input));
  for (int attempt = 1;; ++attempt) {
    auto r = create_once(actor, input, validated, also);
    // A concurrent create may take a derived slug between our check and insert; pick again.
    const bool slug_race = !r.ok() && r.error().code == ErrorCode::kConflict && r.error().field == "slug" && !input.slug;
    if (!slug_race || attempt == kCreateAttempts) return r;
  }
}

Result<Tenant> TenantService::create_once(const Actor& actor, const NewTenant& input, const Tenant& validated,
                                          const AlsoOnCreate& also) {
  Tenant t = validated;
  const EpochMs now = clock_.now_ms();
  t.id = new_uuid_v7(now);
  t.created_at = t.updated_at = now;
  t.refresh_at = add_one_month(now);
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(auto existing, storage::tenants::id_by_email(*conn, t.email));
  if (existing) return Error::conflict("a tenant with this email already exists", "email");
  const std::string base = input.slug ? t.slug : slugify(t.name);
  WINSTON_TRY_ASSIGN(auto taken, storage::tenants::slugs_like(*conn, base));
  if (input.slug && std::find(taken.begin(), taken.end(), base) != taken.end()) {
    return Error::conflict("a tenant with this slug already exists", "slug");
  }
  t.slug = pick_slug(base, taken);
  if (auto s = storage::tenants::insert(*conn, t); !s.ok()) return conflict_for(s.error());
  WINSTON_TRY_ASSIGN(auto grant, storage::ledger::apply(*conn, t.id,
                                                        LedgerChange{.kind = LedgerKind::kGrant,
                                                                     .amount_mc = t.monthly_allotment_mc,
                                                                     .reason = "initial " + t.tier + " tier allotment",
                                                                     .actor = actor.name},
                                                        now));
  t.balance_mc = grant.balance_after_mc;
  WINSTON_TRY(write_audit(*conn, actor, "tenant.create", t,
                          {{"name", t.name}, {"email", t.email}, {"tier", t.tier}, {"granted_mc", grant.amount_mc}},
                          now));
  if (also) WINSTON_TRY(also(*conn, t, now));
  if (auto s = tx.commit(); !s.ok()) return conflict_for(s.error());
  return t;
}

Result<Tenant> TenantService::get(std::string_view id_or_slug) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  return storage::tenants::require(*conn, id_or_slug);
}

Result<Page<Tenant>> TenantService::list(const TenantFilter& filter) {
  WINSTON_TRY(validate_page(filter.limit, filter.offset));
  if (filter.status && !parse_tenant_status(*filter.status)) {
    return Error::invalid("status", "status must be active or suspended");
  }
  if (filter.tier && !tiers_.allotment(*filter.tier) && *filter.tier != "system") {
    return Error::invalid("tier", "tier must be one of " + tiers_.names());
  }
  if (filter.q && filter.q->size() > 200) return Error::invalid("q", "q must be at most 200 characters");
  const storage::TenantQuery q{filter.status, filter.tier, filter.q, filter.limit, filter.offset};
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  Page<Tenant> page{{}, 0, filter.limit, filter.offset};
  WINSTON_TRY_ASSIGN(page.items, storage::tenants::list(*conn, q));
  WINSTON_TRY_ASSIGN(page.total, storage::tenants::count(*conn, q));
  return page;
}

Result<storage::TenantChanges> TenantService::validate_patch(const TenantPatch& p) const {
  storage::TenantChanges ch;
  if (p.name) { WINSTON_TRY_ASSIGN(ch.name, validate_name("name", *p.name)); }
  if (p.email) { WINSTON_TRY_ASSIGN(ch.email, validate_email("email", *p.email)); }
  if (p.website_url) { WINSTON_TRY_ASSIGN(ch.website_url, validate_website_url("website_url", *p.website_url)); }
  if (p.industry) {
    ch.industry = std::optional<std::string>{};
    if (*p.industry) {
      WINSTON_TRY_ASSIGN(auto industry, validate_industry("industry", **p.industry));
      if (!industry.empty()) ch.industry = std::optional<std::string>{industry};
    }
  }
  if (p.tier) {
    const auto allotment = tiers_.allotment(*p.tier);
    if (!allotment) return Error::invalid("tier", "tier must be one of " + tiers_.names());
    ch.tier = *p.tier;
    ch.monthly_allotment_mc = *allotment;
  }
  if (p.status) {
    const auto status = parse_tenant_status(*p.status);
    if (!status) return Error::invalid("status", "status must be active or suspended");
    ch.status = *status;
  }
  return ch;
}

Result<Tenant> TenantService::update(const Actor& actor, std::string_view id_or_slug, const TenantPatch& patch) {
  WINSTON_TRY_ASSIGN(const auto changes, validate_patch(patch));
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant before, storage::tenants::require(*conn, id_or_slug));
  if (before.is_system) return system_tenant_is_fixed();
  if (changes.email && *changes.email != before.email) {
    WINSTON_TRY_ASSIGN(auto owner, storage::tenants::id_by_email(*conn, *changes.email));
    if (owner) return Error::conflict("a tenant with this email already exists", "email");
  }
  WINSTON_TRY_ASSIGN(const auto cell, storage::instances::find_by_tenant(*conn, before.id));
  if (cell && cell->delete_tenant) return Error::conflict("the tenant is being deleted");
  if (auto s = storage::tenants::update(*conn, before.id, changes); !s.ok()) return conflict_for(s.error());
  WINSTON_TRY_ASSIGN(Tenant after, storage::tenants::require(*conn, before.id));
  // A suspended tenant's cell stops (its state kept); reactivation starts it again.
  if (cell && after.status != before.status && cell->desired_state != DesiredState::kDeleted) {
    const auto desired = after.status == TenantStatus::kActive ? DesiredState::kRunning : DesiredState::kStopped;
    if (cell->desired_state != desired) WINSTON_TRY(request_cell_state(*conn, actor, *cell, desired, false, now));
  }
  json::object diff;
  const auto note = [&](std::string_view field, const json::value& from, const json::value& to) {
    if (from != to) diff[field] = {{"from", from}, {"to", to}};
  };
  note("name", json::value(before.name), json::value(after.name));
  note("email", json::value(before.email), json::value(after.email));
  note("website_url", json::value(before.website_url), json::value(after.website_url));
  note("industry", before.industry ? json::value(*before.industry) : json::value(nullptr),
       after.industry ? json::value(*after.industry) : json::value(nullptr));
  note("tier", json::value(before.tier), json::value(after.tier));
  note("status", json::value(to_string(before.status)), json::value(to_string(after.status)));
  WINSTON_TRY(write_audit(*conn, actor, "tenant.update", after, {{"changes", diff}}, now));
  if (auto s = tx.commit(); !s.ok()) return conflict_for(s.error());
  return after;
}

Result<LedgerEntry> TenantService::adjust_credits(const Actor& actor, std::string_view id_or_slug,
                                                  const CreditAdjustment& adj) {
  if (adj.amount_mc == 0) return Error::invalid("amount_mc", "amount_mc must not be zero");
  if (!is_clean_utf8(adj.reason, false) || adj.reason.empty() || adj.reason.size() > kMaxReasonLength) {
    return Error::invalid("reason", fmt::format("reason must be 1-{} printable characters", kMaxReasonLength));
  }
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, id_or_slug));
  if (t.unlimited) return Error{ErrorCode::kForbidden, "this tenant has unlimited credits; nothing to adjust", {}};
  auto entry = storage::ledger::apply(
      *conn, t.id, LedgerChange{.kind = LedgerKind::kAdjustment,
                                .amount_mc = adj.amount_mc,
                                .reason = adj.reason,
                                .actor = actor.name,
                                .allow_negative = adj.force},
      now);
  if (!entry.ok()) {
    if (entry.error().field != "amount") return entry.error();  // ledger names the overdraft "amount"
    return Error::conflict(entry.error().message + "; send \"force\": true to allow a negative balance", "amount_mc");
  }
  WINSTON_TRY(write_audit(*conn, actor, "tenant.credit", t,
                          {{"amount_mc", adj.amount_mc},
                           {"reason", adj.reason},
                           {"forced", adj.force},
                           {"balance_after_mc", entry->balance_after_mc}},
                          now));
  WINSTON_TRY(tx.commit());
  return entry;
}

Result<Page<LedgerEntry>> TenantService::ledger(std::string_view id_or_slug, std::int64_t limit, std::int64_t offset) {
  WINSTON_TRY(validate_page(limit, offset));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, id_or_slug));
  Page<LedgerEntry> page{{}, 0, limit, offset};
  WINSTON_TRY_ASSIGN(page.items, storage::ledger::list(*conn, t.id, limit, offset));
  WINSTON_TRY_ASSIGN(page.total, storage::ledger::count(*conn, t.id));
  return page;
}

Result<Page<UsageRecord>> TenantService::usage(std::string_view id_or_slug, std::int64_t limit,
                                                              std::int64_t offset) {
  WINSTON_TRY(validate_page(limit, offset));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, id_or_slug));
  Page<UsageRecord> page{{}, 0, limit, offset};
  WINSTON_TRY_ASSIGN(page.items, storage::metering::list_usage(*conn, t.id, limit, offset));
  WINSTON_TRY_ASSIGN(page.total, storage::metering::count_usage(*conn, t.id));
  return page;
}

Status TenantService::erase(storage::Connection& c, const Actor& actor, const Tenant& t, EpochMs now) {
  WINSTON_TRY_ASSIGN(const bool removed, storage::tenants::remove(c, t.id));
  if (!removed) return Error::not_found(fmt::format("no tenant with id or slug '{}'", t.id));
  // Written after the cascade and without a tenant reference, so the record of
  // the deletion is the one row that outlives the tenant.
  return write_audit(c, actor, "tenant.delete", t, {{"name", t.name}, {"balance_mc", t.balance_mc}}, now, true);
}

Result<RemoveOutcome> TenantService::remove(const Actor& actor, std::string_view id_or_slug) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, id_or_slug));
  if (t.is_system) return system_tenant_is_fixed();
  WINSTON_TRY(storage::tenants::lock(*conn, t.id));
  WINSTON_TRY_ASSIGN(auto cell, storage::instances::find_by_tenant(*conn, t.id));
  if (cell) {
    WINSTON_TRY(storage::instances::lock(*conn, cell->id));
    WINSTON_TRY_ASSIGN(cell, storage::instances::find_by_tenant(*conn, t.id));
  }
  // Nothing was ever created for a cell that is deleted, or pending with no
  // recorded resources and no worker on it; anything else is removed first.
  const bool nothing_out_there =
      !cell || cell->actual_state == CellState::kDeleted ||
      (cell->actual_state == CellState::kPending && cell->external_ids == "{}" && !cell->lease_owner);
  if (nothing_out_there) {
    WINSTON_TRY(erase(*conn, actor, t, now));
    WINSTON_TRY(tx.commit());
    return RemoveOutcome::kDeleted;
  }
  if (!cell->delete_tenant || cell->desired_state != DesiredState::kDeleted) {
    WINSTON_TRY(request_cell_state(*conn, actor, *cell, DesiredState::kDeleted, true, now));
  }
  if (t.status == TenantStatus::kActive) {
    storage::TenantChanges suspend;
    suspend.status = TenantStatus::kSuspended;
    WINSTON_TRY(storage::tenants::update(*conn, t.id, suspend));
  }
  WINSTON_TRY(write_audit(*conn, actor, "tenant.delete_requested", t, {{"instance_id", cell->id}}, now));
  WINSTON_TRY(tx.commit());
  return RemoveOutcome::kDeprovisioning;
}

Status TenantService::purge(const Actor& actor, std::string_view tenant_id) {
  const EpochMs now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const auto t, storage::tenants::find(*conn, tenant_id));
  if (!t) return {};  // already gone
  WINSTON_TRY_ASSIGN(const auto cell, storage::instances::find_by_tenant(*conn, t->id));
  if (cell && cell->actual_state != CellState::kDeleted) {
    return Error::conflict("the tenant's cell is not deleted yet");
  }
  WINSTON_TRY(erase(*conn, actor, *t, now));
  return tx.commit();
}

}  // namespace winston::services
