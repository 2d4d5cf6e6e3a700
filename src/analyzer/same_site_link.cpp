#include "analyzer/same_site_link.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cstdint>

#include "core/text.hpp"

namespace winston::analyzer {
namespace urls = boost::urls;
namespace {

bool is_http(const urls::url_view_base& u) {
  return u.scheme_id() == urls::scheme::http || u.scheme_id() == urls::scheme::https;
}

std::uint16_t effective_port(const urls::url_view_base& u) {
  if (u.has_port()) return u.port_number();
  return u.scheme_id() == urls::scheme::https ? 443 : 80;
}

bool default_port(const urls::url_view_base& u) {
  return effective_port(u) == (u.scheme_id() == urls::scheme::https ? 443 : 80);
}

/// "www.example.com" and "example.com" are one site.
std::string host_key(const urls::url_view_base& u) {
  std::string h = to_lower(u.encoded_host());
  if (h.starts_with("www.")) h.erase(0, 4);
  return h;
}

/// What a browser does to an href before parsing it: strip surrounding
/// whitespace and drop tabs and newlines inside.
std::string clean_href(std::string_view href) {
  std::string out;
  for (const char c : trim(href)) {
    if (c != '\t' && c != '\n' && c != '\r') out += c;
  }
  return out;
}

}  // namespace

std::optional<std::string> same_site_link(const urls::url_view& base, std::string_view href) {
  const std::string h = clean_href(href);
  if (h.empty() || h.front() == '#') return std::nullopt;
  auto ref = urls::parse_uri_reference(h);
  if (!ref) return std::nullopt;
  urls::url dest;
  if (!urls::resolve(base, *ref, dest)) return std::nullopt;
  if (!is_http(dest) || dest.has_userinfo() || dest.encoded_host().empty()) return std::nullopt;
  if (host_key(dest) != host_key(base)) return std::nullopt;
  if (effective_port(dest) != effective_port(base) && !(default_port(dest) && default_port(base))) {
    return std::nullopt;
  }
  dest.remove_fragment();
  dest.normalize();
  return std::string(dest.buffer());
}

}  // namespace winston::analyzer
