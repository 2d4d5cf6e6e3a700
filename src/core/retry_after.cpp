#include "core/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "core/text.hpp"

namespace winston {

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::chrono::milliseconds cap) {
  const std::string_view v = trim(value, " \t");  // optional whitespace around a field value
  std::uint64_t seconds = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (v.empty() || end != v.data() + v.size()) return std::nullopt;  // a date, a sign, a fraction, nonsense
  if (ec == std::errc::result_out_of_range) return cap;
  if (ec != std::errc{}) return std::nullopt;
  const auto cap_seconds = static_cast<std::uint64_t>(std::max<std::int64_t>(cap.count(), 0) / 1000);
  if (seconds > cap_seconds) return cap;  // also keeps seconds * 1000 below overflow
  return std::min(std::chrono::milliseconds(static_cast<std::int64_t>(seconds) * 1000), cap);
}

}  // namespace winston
