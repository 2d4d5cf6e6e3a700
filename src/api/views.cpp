#include "api/views.hpp"

#include <boost/json.hpp>

namespace winston::api {
namespace json = boost::json;

json::value tenant_json(const Tenant& t) {
  return {{"id", t.id},
          {"slug", t.slug},
          {"name", t.name},
          {"email", t.email},
          {"website_url", t.website_url},
          {"industry", nullable(t.industry)},
          {"tier", t.tier},
          {"status", to_string(t.status)},
          {"system", t.is_system},
          {"unlimited", t.unlimited},
          {"balance_mc", t.balance_mc},
          {"monthly_allotment_mc", t.monthly_allotment_mc},
          {"refresh_at", nullable(t.refresh_at)},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

json::value ledger_json(const LedgerEntry& e) {
  return {{"id", e.id},
          {"tenant_id", e.tenant_id},
          {"kind", to_string(e.kind)},
          {"amount_mc", e.amount_mc},
          {"balance_after_mc", e.balance_after_mc},
          {"reason", e.reason},
          {"request_id", nullable(e.request_id)},
          {"actor", e.actor},
          {"created_at", e.created_at}};
}

json::value usage_json(const UsageRecord& u) {
  return {{"id", u.id},
          {"tenant_id", u.tenant_id},
          {"request_id", u.request_id},
          {"api_key_id", nullable(u.api_key_id)},
          {"model", u.model},
          {"provider", u.provider},
          {"input_tokens", u.tokens.input},
          {"output_tokens", u.tokens.output},
          {"cache_creation_tokens", u.tokens.cache_creation},
          {"cache_read_tokens", u.tokens.cache_read},
          {"multiplier_milli", u.multiplier_milli},
          {"credits_mc", u.credits_mc},
          {"status", u.status},
          {"upstream_status", nullable(u.upstream_status)},
          {"latency_ms", nullable(u.latency_ms)},
          {"ttfb_ms", nullable(u.ttfb_ms)},
          {"created_at", u.created_at}};
}

json::value key_json(const ApiKey& k) {
  return {{"id", k.id},        {"tenant_id", k.tenant_id},         {"name", k.name},
          {"prefix", k.prefix}, {"created_at", k.created_at},       {"last_used_at", nullable(k.last_used_at)},
          {"revoked_at", nullable(k.revoked_at)}};
}

}  // namespace winston::api
