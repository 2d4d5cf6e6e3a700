#pragma once
// The only code that changes a balance: the balance update and its ledger
// row happen together on the caller's transaction.

#include <vector>

#include "core/ledger.hpp"
#include "storage/database.hpp"

namespace winston::storage::ledger {

/// Applies `change` to the tenant's balance and appends the ledger row.
/// kNotFound for an unknown tenant; kConflict (field "amount") when the
/// balance would go below zero and the change does not allow it.
Result<LedgerEntry> apply(Connection& c, std::string_view tenant_id, const LedgerChange& change, EpochMs now);

/// Newest first.
Result<std::vector<LedgerEntry>> list(Connection& c, std::string_view tenant_id, std::int64_t limit,
                                      std::int64_t offset);
Result<std::int64_t> count(Connection& c, std::string_view tenant_id);
/// Sum of all the tenant's entries (must equal its balance).
Result<MilliCredits> sum(Connection& c, std::string_view tenant_id);

}  // namespace winston::storage::ledger
