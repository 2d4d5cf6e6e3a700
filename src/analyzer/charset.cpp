#include "analyzer/charset.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "core/text.hpp"
#include "core/utf8.hpp"

namespace winston::analyzer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

/// NUL becomes U+FFFD too: PostgreSQL cannot store it in text or jsonb.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {
      out += s[i++];
    } else if (const std::size_t len = c == 0 ? 0 : decode_utf8(s, i).length; len > 0) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0U) == 0x80U) ++i;  // the rest of the bad sequence
    }
  }
  return out;
}

std::string decode_windows_1252(std::string_view s) {
  static constexpr std::array<char32_t, 32> kHigh = {
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) {
      out += kReplacement;
    } else {
      append_utf8(out, c >= 0x80 && c < 0xA0 ? kHigh[c - 0x80] : char32_t{c});
    }
  }
  return out;
}

}  // namespace

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  return s.substr(0, n);
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") return sanitize_utf8(bytes.substr(3));
  std::string label = to_lower(trim(charset));
  label.erase(std::remove(label.begin(), label.end(), '"'), label.end());
  static const std::set<std::string_view> kLatin = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",  "latin-1",
                                                     "l1",         "cp819",     "windows-1252", "cp1252", "x-cp1252",
                                                     "us-ascii",   "ascii",     "iso-ir-100"};
  if (kLatin.contains(label)) return decode_windows_1252(bytes);
  return sanitize_utf8(bytes);
}

std::string sniff_meta_charset(std::string_view html) {
  const std::string head = to_lower(html.substr(0, 1024));
  const auto at = head.find("charset=");
  if (at == std::string::npos) return {};
  std::size_t i = at + 8;
  while (i < head.size() && (head[i] == '"' || head[i] == '\'' || head[i] == ' ')) ++i;
  std::size_t end = i;
  while (end < head.size() && (std::isalnum(static_cast<unsigned char>(head[end])) != 0 || head[end] == '-' ||
                               head[end] == '_' || head[end] == '.' || head[end] == ':')) {
    ++end;
  }
  return head.substr(i, end - i);
}

}  // namespace winston::analyzer
