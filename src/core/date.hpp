#pragma once
// Calendar dates and times as uploads and query parameters write them
// (ISO 8601 forms only), read without a time-zone database.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace winston {

/// "2026-03-01": exactly that form, a real calendar date, years 1900-2999.
std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s);

/// "2026-03-01".
std::string format_iso_date(std::chrono::sys_days d);

/// A date as written and the instant a time on it names.
struct DatedInstant {
  std::string date;  // "YYYY-MM-DD", the store's calendar date
  EpochMs at = 0;
};

/// "YYYY-MM-DD", or with "THH:MM[:SS[.fff]]" (or a space for the T) and an
/// optional zone ("Z", "+HH:MM", "+HHMM", "-HH"). The date is kept as written,
/// whatever the zone; the instant is exact with a zone and reads the wall time
/// as UTC without one (a date alone is its midnight). Sub-seconds are dropped.
std::optional<DatedInstant> parse_date_time(std::string_view s);

}  // namespace winston
