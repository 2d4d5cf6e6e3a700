#include "storage/audit_repository.hpp"

namespace winston::storage::audit {

Status append(Connection& c, const Entry& e) {
  auto r = c.query(
      "INSERT INTO audit_log (id, tenant_id, actor, action, target, details, request_id, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {e.id, null_if_empty(e.tenant_id), e.actor, e.action, e.target, e.details_json, null_if_empty(e.request_id),
       e.created_at});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<Entry>> list(Connection& c, std::optional<std::string> tenant_id, std::int64_t limit) {
  constexpr std::string_view kSelect =
      "SELECT id, tenant_id, actor, action, target, details, request_id, created_at FROM audit_log ";
  auto rows = tenant_id ? c.query(std::string(kSelect) + "WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                                  {*tenant_id, limit})
                        : c.query(std::string(kSelect) + "ORDER BY created_at DESC, id DESC LIMIT $1", {limit});
  if (!rows.ok()) return rows.error();
  std::vector<Entry> out;
  for (const auto& r : *rows) {
    out.push_back(Entry{r.str(0), r.opt_str(1), r.str(2), r.str(3), r.str(4), r.str(5), r.opt_str(6), r.i64(7)});
  }
  return out;
}

}  // namespace winston::storage::audit
