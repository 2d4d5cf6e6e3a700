#pragma once
// The production SiteFetcher: fetches a tenant's website over HTTP(S) behind
// the SSRF guard and extracts its home page plus a few about/menu/contact
// pages.
//
// Rules (each a test in tests/analyzer/site_fetcher_test.cpp): http and https
// only, no credentials in URLs; at most max_redirects redirects; every hop's
// host is resolved once, every address vetted by the AddressGuard, and only
// vetted addresses are connected to (the connected peer is checked again), so
// DNS rebinding between check and use cannot happen; TLS verifies the
// certificate chain and the host name and sends SNI; text/html and
// application/xhtml+xml only; a body over max_page_bytes is cut (a warning,
// not an error); every step has a timeout and the crawl as a whole has one.
//
// crawl() blocks: it runs its own io_context on the calling thread, so it
// belongs on a worker thread, never an I/O thread. One fetcher may serve
// several threads at once.

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/address_guard.hpp"
#include "analyzer/html_extract.hpp"
#include "analyzer/site.hpp"
#include "core/error.hpp"

namespace winston::analyzer {

/// Resolves a host name to its addresses, blocking. Errors should be
/// kUnavailable ("cannot resolve ...").
using HostResolver = std::function<Result<std::vector<boost::asio::ip::address>>(std::string_view host)>;

struct FetchOptions {
  bool allow_private = false;               // development only, see AddressGuardOptions
  std::vector<std::string> allow_networks;  // CIDR blocks exempt from the guard
  int max_redirects = 5;
  std::size_t max_page_bytes = 2 * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{5'000};  // name resolution, TCP connect, TLS handshake: each
  std::chrono::milliseconds read_timeout{10'000};    // each write and each read
  std::chrono::milliseconds page_timeout{20'000};    // one page, its redirects included
  std::chrono::milliseconds total_timeout{60'000};   // the whole crawl
  int max_extra_pages = 3;
  std::string user_agent = "Mozilla/5.0 (compatible; WinstonSiteAnalyzer/0.1)";
  HostResolver resolver;     // empty: the system resolver, abandoned after connect_timeout
  std::string extra_ca_pem;  // certificates trusted besides the system store (tests, private CAs)
};

/// One HTML document after its redirects, decoded to UTF-8.
struct FetchedPage {
  std::string url;         // the final URL
  std::string html;        // valid UTF-8
  bool truncated = false;  // the body was longer than max_page_bytes; html holds its beginning
};

class HttpSiteFetcher final : public SiteFetcher {
 public:
  /// kInvalidField on "allow_networks" for a CIDR block that does not parse,
  /// or on "extra_ca_pem" for certificates OpenSSL cannot load.
  static Result<std::unique_ptr<HttpSiteFetcher>> create(FetchOptions options);
  ~HttpSiteFetcher() override;
  HttpSiteFetcher(const HttpSiteFetcher&) = delete;
  HttpSiteFetcher& operator=(const HttpSiteFetcher&) = delete;

  Result<SiteCrawl> crawl(std::string_view url) override;
  /// One page with its redirects, under the same rules and page_timeout.
  Result<FetchedPage> fetch(std::string_view url);

 private:
  struct Impl;
  explicit HttpSiteFetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The system resolver (getaddrinfo) bounded by `timeout`: a lookup still
/// running then is abandoned on its own thread rather than waited for.
Result<std::vector<boost::asio::ip::address>> resolve_host(std::string_view host, std::chrono::milliseconds timeout);

/// The links worth fetching after the home page, best first, at most `max`:
/// one per topic (about, menu, contact, shop, hours, location, ...) as found
/// in the link's path or text, never the home page itself or a file download.
std::vector<std::string> pick_extra_pages(const std::vector<PageLink>& links, std::string_view home_url,
                                          std::size_t max);

}  // namespace winston::analyzer
