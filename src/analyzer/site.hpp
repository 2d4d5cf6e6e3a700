#pragma once
// What the website analyzer extracts from a tenant's site before any LLM
// sees it: plain data, bounded in size, safe to store as JSON.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace winston::analyzer {

/// A schema.org LocalBusiness / Store (or subtype) found in JSON-LD.
struct JsonLdBusiness {
  std::string type;   // "Store", "LocalBusiness", ...
  std::string name;
  std::string street, locality, region, postal_code, country;  // PostalAddress parts
  std::string telephone;
  std::string url;
  std::vector<std::string> opening_hours;  // "Mo-Sa 09:00-21:00" lines, normalised from either form
};

/// One fetched HTML page, reduced to what matters for a business profile.
struct ExtractedPage {
  std::string url;                 // final URL after redirects
  std::string title;
  std::string meta_description;
  std::vector<std::string> headings;  // h1-h3 text, in document order
  std::string text;                   // visible text, whitespace collapsed, capped
  std::vector<JsonLdBusiness> businesses;
  std::vector<std::string> links;     // absolute same-host http(s) links, deduplicated
};

/// The home page plus up to a few same-host about/menu/contact pages.
struct SiteCrawl {
  std::string start_url;
  std::vector<ExtractedPage> pages;   // pages[0] is the home page
  std::vector<std::string> warnings;  // pages that could not be fetched and why (partial result)
};

/// Fetches and extracts a site. The production implementation
/// (site_fetcher.hpp) speaks HTTP(S) behind the SSRF guard; tests may
/// substitute their own.
class SiteFetcher {
 public:
  virtual ~SiteFetcher() = default;
  /// The home page must load (else an error saying why: kInvalidField on
  /// field "website_url" for a refused or unusable URL/address/content,
  /// kUnavailable when unreachable or too slow); extra pages that fail only
  /// add warnings.
  virtual Result<SiteCrawl> crawl(std::string_view url) = 0;
};

boost::json::value to_json(const JsonLdBusiness& b);
boost::json::value to_json(const ExtractedPage& p);
boost::json::value to_json(const SiteCrawl& c);

}  // namespace winston::analyzer
