#pragma once
// A fetched page's bytes as valid UTF-8, whatever the page declared: every
// later step (gumbo, the stored profile, PostgreSQL's text columns) may then
// assume valid UTF-8 without NULs.

#include <cstddef>
#include <string>
#include <string_view>

namespace winston::analyzer {

/// Decodes a page body to valid UTF-8. `charset` is the declared one (HTTP
/// header or <meta>); ISO-8859-1/ASCII/windows-1252 labels are decoded as
/// windows-1252 (as browsers do), everything else as UTF-8 with invalid
/// sequences replaced by U+FFFD. A UTF-8 byte order mark wins over the label.
std::string to_utf8(std::string_view bytes, std::string_view charset);

/// The charset a page declares in its first 1024 bytes (<meta charset> or
/// http-equiv Content-Type), lowercased; empty when none.
std::string sniff_meta_charset(std::string_view html);

/// The longest prefix of `s` of at most `max_bytes` that does not split a
/// UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace winston::analyzer
