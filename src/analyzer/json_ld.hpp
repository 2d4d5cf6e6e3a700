#pragma once
// schema.org businesses from a page's JSON-LD: the most reliable source of a
// store's name, address, telephone and opening hours, when a site has it.

#include <string_view>
#include <vector>

#include "analyzer/site.hpp"

namespace winston::analyzer {

/// Schema.org LocalBusiness/Store (and subtypes) anywhere in the text of one
/// <script type="application/ld+json">: top-level objects, arrays, @graph and
/// nested values, at most kMaxBusinesses, each listed once. The text may be
/// wrapped in an HTML comment or CDATA section and may hold comments or
/// trailing commas; text that is still not JSON gives none.
std::vector<JsonLdBusiness> businesses_from_json_ld(std::string_view script);

}  // namespace winston::analyzer
