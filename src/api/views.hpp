#pragma once
// JSON views of domain records, shared by the HTTP API and the CLI so both
// print the same shape.

#include <boost/json/value.hpp>

#include <optional>

#include "core/ledger.hpp"
#include "core/tenant.hpp"
#include "core/api_key.hpp"
#include "core/credits.hpp"

namespace winston::api {

/// The value, or JSON null when absent.
template <typename T>
boost::json::value nullable(const std::optional<T>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::value tenant_json(const Tenant& t);
boost::json::value ledger_json(const LedgerEntry& e);
/// One proxied request: tokens by kind (input and output apart), multiplier, credits charged.
boost::json::value usage_json(const UsageRecord& u);
/// Key metadata only: never the secret or its hash.
boost::json::value key_json(const ApiKey& k);

}  // namespace winston::api
