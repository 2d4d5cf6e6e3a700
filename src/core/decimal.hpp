#pragma once
// Numbers as store owners and their spreadsheets write them, read exactly:
// amounts of money become integer cents without passing through floating
// point, and counts may carry a spreadsheet's ".000".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace winston {

/// "12", "12.000" (a zero fraction only) and, when allowed, "-3": at most 10
/// digits before any fraction; nullopt for anything else ("+1", "1e3", "1,000").
std::optional<std::int64_t> parse_whole_number(std::string_view s, bool allow_negative);

/// "12.50", "12.5", "12", "$12.50" and, when allowed, "-12.50" or "-$12.50"
/// as cents: at most 9 digits before the point and 2 after it; nullopt for
/// anything else ("12.", ".50", "12.505", "1,000.00", "USD 12").
std::optional<std::int64_t> parse_cents(std::string_view s, bool allow_negative);

/// "12.50" for 1250 cents ("-3.05" for -305).
std::string format_cents(std::int64_t cents);

}  // namespace winston
