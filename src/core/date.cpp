#include "core/date.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace winston {
namespace chr = std::chrono;
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

/// `s` is all digits and short: the plain decimal value.
int digits_value(std::string_view s) {
  int v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  return v;
}

/// Reads "NN" at `s[pos]` below `limit`.
std::optional<int> two_digits(std::string_view s, std::size_t pos, int limit) {
  if (pos + 2 > s.size() || !all_digits(s.substr(pos, 2))) return std::nullopt;
  const int v = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return v < limit ? std::optional<int>{v} : std::nullopt;
}

/// Minutes east of UTC for "", "Z", "+HH:MM", "+HHMM" or "-HH".
std::optional<int> parse_offset(std::string_view z) {
  if (z.empty() || z == "Z" || z == "z") return 0;
  if (z[0] != '+' && z[0] != '-') return std::nullopt;
  const int sign = z[0] == '-' ? -1 : 1;
  z.remove_prefix(1);
  const auto h = two_digits(z, 0, 24);
  if (!h) return std::nullopt;
  if (z.size() == 2) return sign * *h * 60;
  const std::size_t mpos = z[2] == ':' ? 3 : 2;
  const auto m = two_digits(z, mpos, 60);
  if (!m || z.size() != mpos + 2) return std::nullopt;
  return sign * (*h * 60 + *m);
}

/// Milliseconds from the date's midnight (UTC) to "THH:MM[:SS[.fff]][zone]"
/// (or with a space for the T); may be negative or past a day by the offset.
std::optional<EpochMs> time_of_day(std::string_view rest) {
  if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
  const auto h = two_digits(rest, 1, 24);
  const auto m = rest.size() > 3 && rest[3] == ':' ? two_digits(rest, 4, 60) : std::nullopt;
  if (!h || !m) return std::nullopt;
  std::size_t pos = 6;
  int sec = 0;
  if (pos < rest.size() && rest[pos] == ':') {
    const auto sv = two_digits(rest, pos + 1, 60);
    if (!sv) return std::nullopt;
    sec = *sv;
    pos += 3;
    if (pos < rest.size() && rest[pos] == '.') {
      for (++pos; pos < rest.size() && rest[pos] >= '0' && rest[pos] <= '9';) ++pos;  // sub-second digits dropped
    }
  }
  const auto offset = parse_offset(rest.substr(pos));
  if (!offset) return std::nullopt;
  return ((*h * 60 + *m - *offset) * 60 + sec) * 1000LL;
}

}  // namespace

std::optional<chr::year_month_day> parse_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2))) return std::nullopt;
  const int y = digits_value(s.substr(0, 4));
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(digits_value(s.substr(5, 2)))},
                                chr::day{static_cast<unsigned>(digits_value(s.substr(8, 2)))}};
  if (y < 1900 || y > 2999 || !ymd.ok()) return std::nullopt;
  return ymd;
}

std::string format_iso_date(chr::sys_days d) {
  const chr::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<DatedInstant> parse_date_time(std::string_view s) {
  const auto ymd = parse_iso_date(s.substr(0, 10));
  if (!ymd) return std::nullopt;
  EpochMs at = chr::duration_cast<chr::milliseconds>(chr::sys_days{*ymd}.time_since_epoch()).count();
  if (const std::string_view rest = s.substr(10); !rest.empty()) {
    const auto since_midnight = time_of_day(rest);
    if (!since_midnight) return std::nullopt;
    at += *since_midnight;
  }
  return DatedInstant{.date = std::string(s.substr(0, 10)), .at = at};
}

}  // namespace winston
