#pragma once
// Which links on a page lead to more of the same site: the crawler follows
// only these, so a tenant's profile is built from its own pages.

#include <boost/url/url_view.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace winston::analyzer {

/// The absolute form of `href` when it stays on the site of `base` (same
/// host, www. aside; same port unless both use their scheme's default),
/// http(s) only, without credentials or fragment; nullopt otherwise.
std::optional<std::string> same_site_link(const boost::urls::url_view& base, std::string_view href);

}  // namespace winston::analyzer
