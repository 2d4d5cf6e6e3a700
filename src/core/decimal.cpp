#include "core/decimal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace winston {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

/// `s` is all digits and short enough for std::int64_t: from_chars cannot fail.
std::int64_t digits_value(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_whole_number(std::string_view s, bool allow_negative) {
  const bool negative = allow_negative && s.starts_with('-');
  if (negative) s.remove_prefix(1);
  if (const auto dot = s.find('.'); dot != std::string_view::npos) {  // "12.000" from spreadsheets
    const auto frac = s.substr(dot + 1);
    if (!std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; })) return std::nullopt;
    s = s.substr(0, dot);
  }
  if (!all_digits(s) || s.size() > 10) return std::nullopt;
  const std::int64_t v = digits_value(s);
  return negative ? -v : v;
}

std::optional<std::int64_t> parse_cents(std::string_view s, bool allow_negative) {
  const bool negative = allow_negative && s.starts_with('-');
  if (negative) s.remove_prefix(1);
  if (s.starts_with('$')) s.remove_prefix(1);
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (!all_digits(whole) || whole.size() > 9) return std::nullopt;
  if (dot != std::string_view::npos && (!all_digits(frac) || frac.size() > 2)) return std::nullopt;
  std::int64_t cents = digits_value(whole) * 100;
  if (!frac.empty()) cents += (frac[0] - '0') * 10 + (frac.size() == 2 ? frac[1] - '0' : 0);
  return negative ? -cents : cents;
}

std::string format_cents(std::int64_t cents) {
  // In unsigned arithmetic, so that even the most negative value has a magnitude.
  const std::uint64_t abs = cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", abs / 100, abs % 100);
}

}  // namespace winston
