#pragma once
// Turns one HTML page into an ExtractedPage with gumbo (a real HTML5 parser,
// tolerant of any input): title, description, headings, visible text,
// schema.org businesses from JSON-LD (json_ld.hpp) and same-host links
// (same_site_link.hpp). Every output is bounded, so a hostile page cannot
// make the stored profile arbitrarily large. Decoding the bytes to UTF-8
// comes first (charset.hpp).

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/site.hpp"

namespace winston::analyzer {

inline constexpr std::size_t kMaxTextBytes = 20'000;  // ExtractedPage::text
inline constexpr std::size_t kMaxLinks = 200;
inline constexpr std::size_t kMaxHeadings = 60;
inline constexpr std::size_t kMaxBusinesses = 10;

/// Bounds on parsing one page. gumbo's work grows with the page's size times
/// its nesting depth, so a hostile page could otherwise take hours: markup
/// nested deeper than max_nesting is cut there before parsing, and a parse
/// that still runs past time_budget or max_parse_memory is abandoned and
/// retried once on the page's first eighth.
struct ParseLimits {
  std::size_t max_nesting = 1'500;
  std::chrono::milliseconds time_budget{10'000};
  std::size_t max_parse_memory = std::size_t{512} * 1024 * 1024;
};

/// A same-host link and the text a reader sees on it.
struct PageLink {
  std::string url;
  std::string text;
};

/// extract_page's result plus what only the crawler needs.
struct ParsedPage {
  ExtractedPage page;
  std::vector<PageLink> links;  // page.links with their text, same order
  bool markup_cut = false;      // nested too deeply or too costly to parse: only its beginning was used
};

/// `html` must be UTF-8 (see to_utf8); `page_url` is the absolute URL the page
/// was served from, used to resolve links. Never fails: malformed markup gives
/// a partial page.
ParsedPage parse_page(std::string_view html, std::string_view page_url, const ParseLimits& limits = {});
ExtractedPage extract_page(std::string_view html, std::string_view page_url);

}  // namespace winston::analyzer
