#include "services/audit_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {

Status record_audit(storage::Connection& c, const Actor& actor, AuditEvent event, EpochMs now) {
  return storage::audit::append(c, storage::audit::Entry{.id = new_uuid_v7(now),
                                                         .tenant_id = std::move(event.tenant_id),
                                                         .actor = actor.name,
                                                         .action = std::move(event.action),
                                                         .target = std::move(event.target),
                                                         .details_json = boost::json::serialize(event.details),
                                                         .request_id = actor.request_id,
                                                         .created_at = now});
}

namespace {

constexpr std::size_t kMaxText = 200;

Status check_text(const std::optional<std::string>& v, std::string_view name) {
  if (v && (v->empty() || v->size() > kMaxText)) {
    return Error::invalid(std::string(name), fmt::format("{} must be 1 to {} characters", name, kMaxText));
  }
  return {};
}

// Action names are lowercase dotted words ("cell.key_reissued"); a trailing
// '.' or '*' asks for a prefix. Checking the alphabet keeps the prefix match
// byte-exact on both backends.
Status read_action(const std::optional<std::string>& raw, storage::audit::Query& q) {
  if (!raw) return {};
  std::string v = *raw;
  const bool star = !v.empty() && v.back() == '*';
  if (star) v.pop_back();
  const auto allowed = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
  };
  if (v.empty() || v.size() > kMaxText || !std::all_of(v.begin(), v.end(), allowed)) {
    return Error::invalid("action", "action must be an action name like tenant.update, or a prefix like tenant. or tenant.*");
  }
  if (star || v.back() == '.') {
    q.action_prefix = std::move(v);
  } else {
    q.action = std::move(v);
  }
  return {};
}

Result<storage::audit::Query> read_filter(const AuditFilter& f) {
  storage::audit::Query q;
  if (f.limit < 1 || f.limit > AuditService::kMaxLimit) {
    return Error::invalid("limit", fmt::format("limit must be between 1 and {}", AuditService::kMaxLimit));
  }
  q.limit = f.limit;
  WINSTON_TRY(check_text(f.tenant, "tenant"));
  WINSTON_TRY(check_text(f.actor, "actor"));
  WINSTON_TRY(check_text(f.target, "target"));
  WINSTON_TRY(read_action(f.action, q));
  q.actor = f.actor;
  q.target = f.target;
  if (f.from && *f.from < 0) return Error::invalid("from", "from must be epoch milliseconds (>= 0)");
  if (f.to && *f.to < 0) return Error::invalid("to", "to must be epoch milliseconds (>= 0)");
  if (f.from && f.to && *f.to <= *f.from) return Error::invalid("to", "to must be later than from");
  q.from = f.from;
  q.to = f.to;
  if (f.cursor) {
    WINSTON_TRY_ASSIGN(auto after, AuditService::decode_cursor(*f.cursor));
    q.after = std::move(after);
  }
  return q;
}

}  // namespace

std::string AuditService::encode_cursor(const storage::audit::Position& last) {
  return fmt::format("{}_{}", last.created_at, last.id);
}

Result<storage::audit::Position> AuditService::decode_cursor(std::string_view cursor) {
  const auto bad = Error::invalid("cursor", "cursor is not one this API returned (use next_cursor as given)");
  const auto sep = cursor.find('_');
  if (sep == std::string_view::npos || sep == 0 || cursor.size() > 100) return bad;
  storage::audit::Position p;
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + sep, p.created_at);
  if (ec != std::errc{} || end != cursor.data() + sep || p.created_at < 0) return bad;
  p.id = std::string(cursor.substr(sep + 1));
  const auto id_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-'; };
  if (p.id.empty() || !std::all_of(p.id.begin(), p.id.end(), id_char)) return bad;
  return p;
}

Result<AuditPage> AuditService::list(const AuditFilter& filter) {
  WINSTON_TRY_ASSIGN(auto q, read_filter(filter));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  if (filter.tenant) {
    // An unknown value is kept as an id: a deleted tenant's deletion row still names it.
    WINSTON_TRY_ASSIGN(const auto t, storage::tenants::find(*conn, *filter.tenant));
    q.tenant_id = t ? t->id : *filter.tenant;
  }
  return run(*conn, std::move(q), filter);
}

Result<AuditPage> AuditService::list_for_tenant(std::string_view id_or_slug, const AuditFilter& filter) {
  if (filter.tenant) return Error::invalid("tenant", "the tenant is already in the path; drop the tenant filter");
  WINSTON_TRY_ASSIGN(auto q, read_filter(filter));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const auto t, storage::tenants::require(*conn, id_or_slug));
  q.tenant_id = t.id;
  return run(*conn, std::move(q), filter);
}

Result<AuditPage> AuditService::run(storage::Connection& c, storage::audit::Query q, const AuditFilter& filter) {
  q.limit = filter.limit + 1;  // one more than the page says whether there is a next one
  WINSTON_TRY_ASSIGN(auto rows, storage::audit::query(c, q));
  AuditPage page;
  page.limit = filter.limit;
  if (static_cast<std::int64_t>(rows.size()) > filter.limit) {
    rows.resize(static_cast<std::size_t>(filter.limit));
    page.next_cursor = encode_cursor({rows.back().created_at, rows.back().id});
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace winston::services
