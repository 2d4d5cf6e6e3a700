#include "storage/audit_repository.hpp"

#include <fmt/format.h>

namespace winston::storage::audit {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, tenant_id, actor, action, target, details, request_id, created_at FROM audit_log ";

std::vector<Entry> entries(const Rows& rows) {
  std::vector<Entry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(Entry{.id = r.str(0),
                        .tenant_id = r.opt_str(1),
                        .actor = r.str(2),
                        .action = r.str(3),
                        .target = r.str(4),
                        .details_json = r.str(5),
                        .request_id = r.opt_str(6),
                        .created_at = r.i64(7)});
  }
  return out;
}

// Builds "WHERE a AND b ..." with numbered parameters.
class Where {
 public:
  // Each Value is constructed in place: GCC 12's optimiser reports converting
  // a temporary into this variant as maybe-uninitialized (a false positive that
  // -Werror makes fatal in the release build).
  std::string param(std::string v) {
    params_.emplace_back(std::in_place_type<std::string>, std::move(v));
    return fmt::format("${}", params_.size());
  }
  std::string param(std::int64_t v) {
    params_.emplace_back(std::in_place_type<std::int64_t>, v);
    return fmt::format("${}", params_.size());
  }
  void add(std::string condition) { conds_.push_back(std::move(condition)); }
  std::string sql() const {
    std::string out;
    for (const auto& c : conds_) out += (out.empty() ? "WHERE " : " AND ") + c;
    return out;
  }
  Params& params() { return params_; }

 private:
  std::vector<std::string> conds_;
  Params params_;
};

void add_filters(Where& w, const Query& q) {
  if (q.tenant_id) {
    const auto id = w.param(*q.tenant_id);
    const auto target = w.param("tenant:" + *q.tenant_id);
    w.add(fmt::format("(tenant_id = {} OR (tenant_id IS NULL AND target = {}))", id, target));
  }
  if (q.actor) w.add("actor = " + w.param(*q.actor));
  if (q.action) w.add("action = " + w.param(*q.action));
  if (q.action_prefix) {
    // substr, not LIKE: action names contain '_', which LIKE would read as a wildcard.
    const auto len = w.param(static_cast<std::int64_t>(q.action_prefix->size()));
    w.add(fmt::format("substr(action, 1, {}) = {}", len, w.param(*q.action_prefix)));
  }
  if (q.target) w.add("target = " + w.param(*q.target));
  if (q.from) w.add("created_at >= " + w.param(*q.from));
  if (q.to) w.add("created_at < " + w.param(*q.to));
  if (q.after) {
    const auto at = w.param(q.after->created_at);
    w.add(fmt::format("(created_at < {0} OR (created_at = {0} AND id < {1}))", at, w.param(q.after->id)));
  }
}

}  // namespace

Status append(Connection& c, const Entry& e) {
  auto r = c.query(
      "INSERT INTO audit_log (id, tenant_id, actor, action, target, details, request_id, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {e.id, null_if_empty(e.tenant_id), e.actor, e.action, e.target, e.details_json, null_if_empty(e.request_id),
       e.created_at});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<Entry>> query(Connection& c, const Query& q) {
  Where w;
  add_filters(w, q);
  const auto limit = w.param(q.limit);
  auto rows = c.query(fmt::format("{}{} ORDER BY created_at DESC, id DESC LIMIT {}", kSelect, w.sql(), limit),
                      w.params());
  if (!rows.ok()) return rows.error();
  return entries(*rows);
}

}  // namespace winston::storage::audit
