#include "analyzer/site_fetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "support/fake_site.hpp"
#include "support/subprocess.hpp"

namespace winston::analyzer {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;
using testing::FakeRoute;
using testing::FakeSite;

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != haystack.npos; }

FakeRoute html(std::string body) {
  FakeRoute r;
  r.body = std::move(body);
  return r;
}

FakeRoute redirect(std::string location, unsigned status = 302) {
  FakeRoute r;
  r.status = status;
  r.location = std::move(location);
  r.content_type = "text/html";
  r.body = "<p>moved</p>";
  return r;
}

/// Options for a site on 127.0.0.2: only that address passes the guard, and
/// every timeout is short so a failing test fails fast.
FetchOptions site_options() {
  FetchOptions o;
  o.allow_networks = {"127.0.0.2/32"};
  o.connect_timeout = milliseconds(2'000);
  o.read_timeout = milliseconds(2'000);
  o.page_timeout = milliseconds(5'000);
  o.total_timeout = milliseconds(15'000);
  return o;
}

std::unique_ptr<HttpSiteFetcher> fetcher(FetchOptions o = site_options()) {
  auto f = HttpSiteFetcher::create(std::move(o));
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  return f.ok() ? std::move(f).value() : nullptr;
}

/// A resolver mapping names to fixed addresses, counting lookups.
struct FakeDns {
  std::map<std::string, std::vector<std::vector<std::string>>> answers;  // name -> answer per lookup (last repeats)
  std::shared_ptr<std::atomic<int>> lookups = std::make_shared<std::atomic<int>>(0);

  HostResolver resolver() const {
    return [answers = answers, lookups = lookups](std::string_view host) -> Result<std::vector<ip::address>> {
      const int n = (*lookups)++;
      auto it = answers.find(std::string(host));
      if (it == answers.end()) return Error::unavailable("cannot resolve " + std::string(host) + ": Host not found");
      const auto& list = it->second[std::min<std::size_t>(static_cast<std::size_t>(n), it->second.size() - 1)];
      std::vector<ip::address> out;
      for (const auto& a : list) out.push_back(ip::make_address(a));
      return out;
    };
  }
};

void expect_refused(const Result<FetchedPage>& r, std::string_view needle) {
  ASSERT_FALSE(r.ok()) << "fetched " << r->url;
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidField) << r.error().message;
  EXPECT_EQ(r.error().field, "website_url");
  EXPECT_TRUE(contains(r.error().message, needle)) << r.error().message;
}

constexpr std::string_view kHome = R"(<!doctype html><html><head><title>Green Leaf Dispensary</title>
<meta name="description" content="Cannabis dispensary in Portland.">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Store","name":"Green Leaf Dispensary",
 "telephone":"+1-503-555-0100","address":{"@type":"PostalAddress","streetAddress":"420 Main St",
 "addressLocality":"Portland","addressRegion":"OR"},"openingHours":"Mo-Su 09:00-21:00"}</script>
</head><body><nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/menu">Our menu</a>
<a href="/contact">Contact</a> <a href="/blog">Blog</a> <a href="/cart">Cart</a>
<a href="http://other.example/about">Partner</a></nav><h1>Welcome</h1><p>Adults 21+ only.</p></body></html>)";

TEST(SiteFetcher, CrawlsADispensaryHomePageAndItsAboutAndMenuPages) {
  FakeSite site;
  site.route("/", html(std::string(kHome)));
  site.route("/about", html("<title>About</title><h1>Family owned since 2015</h1>"));
  site.route("/menu", html("<title>Menu</title><h2>Flower</h2><p>Blue Dream $35</p>"));
  // /contact is not routed: a 404 that only adds a warning.
  auto f = fetcher();
  auto crawl = f->crawl(site.url("/"));
  ASSERT_TRUE(crawl.ok()) << crawl.error().message;
  EXPECT_EQ(crawl->start_url, site.url("/"));
  ASSERT_EQ(crawl->pages.size(), 3U);
  const auto& home = crawl->pages[0];
  EXPECT_EQ(home.url, site.url("/"));
  EXPECT_EQ(home.title, "Green Leaf Dispensary");
  EXPECT_EQ(home.meta_description, "Cannabis dispensary in Portland.");
  ASSERT_EQ(home.businesses.size(), 1U);
  EXPECT_EQ(home.businesses[0].name, "Green Leaf Dispensary");
  EXPECT_EQ(home.businesses[0].opening_hours, std::vector<std::string>{"Mo-Su 09:00-21:00"});
  EXPECT_EQ(crawl->pages[1].headings, std::vector<std::string>{"Family owned since 2015"});
  EXPECT_TRUE(contains(crawl->pages[2].text, "Blue Dream $35"));
  ASSERT_EQ(crawl->warnings.size(), 1U);
  EXPECT_TRUE(contains(crawl->warnings[0], "/contact")) << crawl->warnings[0];
  EXPECT_TRUE(contains(crawl->warnings[0], "404")) << crawl->warnings[0];
  EXPECT_EQ(site.hits("/blog"), 0U);
  EXPECT_EQ(site.hits("/cart"), 0U);
  const auto requests = site.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].host, "127.0.0.2:" + std::to_string(site.port()));
  EXPECT_TRUE(contains(requests[0].user_agent, "WinstonSiteAnalyzer"));
}

TEST(SiteFetcher, ExtraPagesAreBoundedByMaxExtraPages) {
  FakeSite site;
  site.route("/", html(std::string(kHome)));
  site.route("/about", html("<h1>About</h1>"));
  site.route("/menu", html("<h1>Menu</h1>"));
  auto o = site_options();
  o.max_extra_pages = 1;
  auto crawl = fetcher(o)->crawl(site.url("/"));
  ASSERT_TRUE(crawl.ok()) << crawl.error().message;
  EXPECT_EQ(crawl->pages.size(), 2U);
  EXPECT_EQ(site.hits("/menu"), 0U);
}

TEST(SiteFetcher, PicksOnePagePerTopicAndSkipsHomeFilesAndAccountPages) {
  const std::vector<PageLink> links = {
      {"http://a.example/", "Home"},           {"http://a.example/cart", "Shop cart"},
      {"http://a.example/menu.pdf", "Menu"},   {"http://a.example/p/1", "Our Menu"},
      {"http://a.example/menu", "Order"},      {"http://a.example/about-us", "Who"},
      {"http://a.example/blog", "Blog"},       {"http://a.example/find-us", "Where"},
      {"http://a.example/store-hours", "Hours"}};
  EXPECT_EQ(pick_extra_pages(links, "http://a.example", 3),
            (std::vector<std::string>{"http://a.example/about-us", "http://a.example/p/1", "http://a.example/find-us"}));
  EXPECT_EQ(pick_extra_pages(links, "http://a.example/", 10),
            (std::vector<std::string>{"http://a.example/about-us", "http://a.example/p/1", "http://a.example/find-us",
                                      "http://a.example/store-hours"}));
  EXPECT_TRUE(pick_extra_pages(links, "http://a.example/", 0).empty());
}

TEST(SiteFetcher, RedirectToLoopbackIsRefusedAndNeverContacted) {
  FakeSite site;
  FakeSite secret("127.0.0.1");
  secret.route("/admin", html("<p>internal</p>"));
  const std::string target = secret.url("/admin");
  site.route("/", redirect(target));
  auto r = fetcher()->fetch(site.url("/"));
  expect_refused(r, "redirect to " + target + " refused: 127.0.0.1 is a loopback address");
  EXPECT_EQ(site.hits("/"), 1U);
  EXPECT_TRUE(secret.requests().empty());
}

TEST(SiteFetcher, RedirectToAPrivateAddressIsRefused) {
  FakeSite site;
  site.route("/", redirect("http://10.0.0.1/"));
  expect_refused(fetcher()->fetch(site.url("/")), "redirect to http://10.0.0.1/ refused: 10.0.0.1 is a private address");
}

TEST(SiteFetcher, RedirectToTheCloudMetadataAddressIsRefused) {
  FakeSite site;
  site.route("/", redirect("http://169.254.169.254/latest/meta-data/", 307));
  expect_refused(fetcher()->fetch(site.url("/")), "169.254.169.254 is a cloud metadata address");
}

TEST(SiteFetcher, RedirectToIPv6LoopbackIsRefused) {
  FakeSite site;
  FakeSite secret("::1");
  secret.route("/", html("<p>internal</p>"));
  site.route("/", redirect(secret.url("/")));
  expect_refused(fetcher()->fetch(site.url("/")), "::1 is a loopback address");
  EXPECT_TRUE(secret.requests().empty());
  // Relative and scheme-relative redirects are resolved, then vetted the same way.
  site.route("/rel", redirect("//[::ffff:127.0.0.1]:" + std::to_string(secret.port()) + "/x"));
  expect_refused(fetcher()->fetch(site.url("/rel")), "127.0.0.1");
}

TEST(SiteFetcher, ANameResolvingToAPrivateAddressIsRefused) {
  FakeDns dns;
  dns.answers["shop.test"] = {{"10.1.2.3"}};
  auto o = site_options();
  o.resolver = dns.resolver();
  expect_refused(fetcher(o)->fetch("http://shop.test/"),
                 "http://shop.test/ refused: shop.test resolves to a refused address: 10.1.2.3 is a private address");
  EXPECT_EQ(dns.lookups->load(), 1);
}

TEST(SiteFetcher, LocalhostIsRefusedThroughTheSystemResolver) {
  FakeSite local("127.0.0.1");
  local.route("/", html("<p>internal</p>"));
  auto r = fetcher()->fetch("http://localhost:" + std::to_string(local.port()) + "/");
  expect_refused(r, "loopback address");
  EXPECT_TRUE(local.requests().empty());
}

TEST(SiteFetcher, OnlyVettedAddressesOfANameAreConnectedTo) {
  FakeSite site;
  site.route("/", html("<title>Mixed</title>"));
  FakeDns dns;
  dns.answers["mixed.test"] = {{"10.0.0.7", "127.0.0.2"}};
  auto o = site_options();
  o.resolver = dns.resolver();
  auto r = fetcher(o)->fetch("http://mixed.test:" + std::to_string(site.port()) + "/");
  ASSERT_TRUE(r.ok()) << r.error().message;  // 10.0.0.7 was dropped, never tried
  ASSERT_EQ(site.requests().size(), 1U);
  EXPECT_EQ(site.requests()[0].host, "mixed.test:" + std::to_string(site.port()));
}

TEST(SiteFetcher, EveryRedirectHopIsResolvedAndVettedAgain) {
  // DNS rebinding: the name first answers with the allowed site, then with loopback.
  FakeSite site;
  site.route("/", redirect("/next"));
  site.route("/next", html("<p>should not be reached</p>"));
  FakeDns dns;
  dns.answers["rebind.test"] = {{"127.0.0.2"}, {"127.0.0.1"}};
  auto o = site_options();
  o.resolver = dns.resolver();
  const std::string start = "http://rebind.test:" + std::to_string(site.port()) + "/";
  expect_refused(fetcher(o)->fetch(start), "redirect to " + start + "next refused: rebind.test resolves to a refused "
                                                                    "address: 127.0.0.1 is a loopback address");
  EXPECT_EQ(dns.lookups->load(), 2);
  EXPECT_EQ(site.hits("/next"), 0U);
}

TEST(SiteFetcher, FiveRedirectsAreFollowedASixthIsRefused) {
  FakeSite site;
  for (int i = 0; i < 6; ++i) site.route("/r" + std::to_string(i), redirect("/r" + std::to_string(i + 1)));
  site.route("/r6", html("<title>Arrived</title>"));
  auto f = fetcher();
  auto five = f->fetch(site.url("/r1"));
  ASSERT_TRUE(five.ok()) << five.error().message;
  EXPECT_EQ(five->url, site.url("/r6"));
  auto six = f->fetch(site.url("/r0"));
  expect_refused(six, "redirects more than 5 times");
  EXPECT_EQ(site.hits("/r6"), 1U);
}

TEST(SiteFetcher, NonHttpSchemesAndCredentialsAreRefused) {
  auto f = fetcher();
  for (const char* url : {"ftp://127.0.0.2/", "file:///etc/passwd", "gopher://127.0.0.2:70/", "javascript:alert(1)",
                          "data:text/html,<p>hi</p>", "greenleaf.example.com", "", "http://"}) {
    auto r = f->fetch(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField) << url << ": " << r.error().message;
    EXPECT_EQ(r.error().field, "website_url");
  }
  expect_refused(f->fetch("ftp://127.0.0.2/"), "only http and https");
  expect_refused(f->fetch("http://user:secret@127.0.0.2/"), "user name or password");
  expect_refused(f->fetch("http://good.example@10.0.0.1/"), "user name or password");
  FakeSite site;
  site.route("/", redirect("file:///etc/passwd"));
  expect_refused(f->fetch(site.url("/")), "redirect to file:///etc/passwd refused: only http and https");
}

TEST(SiteFetcher, SchemeAndHostAreCaseInsensitiveAndThePathOptional) {
  FakeSite site;
  site.route("/", html("<title>Root</title>"));
  auto page = fetcher()->fetch("  HTTP://127.0.0.2:" + std::to_string(site.port()) + "#top ");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(site.requests().at(0).target, "/");
  EXPECT_TRUE(contains(page->html, "Root"));
}

TEST(SiteFetcher, ABodyEndingAtConnectionCloseIsReadWhole) {
  FakeSite site;
  FakeRoute old_style = html("<title>Old server</title><p>" + std::string(50'000, 'x') + "</p>");
  old_style.close_delimited = true;
  site.route("/", old_style);
  auto page = fetcher()->fetch(site.url("/"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->html.size(), old_style.body.size());
}

TEST(SiteFetcher, HttpsToAPlainHttpPortIsUnavailable) {
  FakeSite site;
  site.route("/", html("<p>plain</p>"));
  auto r = fetcher()->fetch("https://127.0.0.2:" + std::to_string(site.port()) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "TLS handshake")) << r.error().message;
}

TEST(SiteFetcher, IpLiteralsAreVettedLikeNames) {
  auto f = fetcher();
  expect_refused(f->fetch("http://[::1]/"), "::1 is a loopback address");
  expect_refused(f->fetch("http://127.0.0.1:9/"), "127.0.0.1 is a loopback address");
  expect_refused(f->fetch("https://[fd00:ec2::254]/"), "cloud metadata");
  expect_refused(f->fetch("http://[::ffff:a00:1]/"), "carries IPv4 10.0.0.1");
}

TEST(SiteFetcher, AHugePageIsCutAndItsBeginningParsed) {
  FakeSite site;
  std::string big = "<html><head><title>Huge</title></head><body><h1>Top</h1><p>";
  while (big.size() < 3 * 1024 * 1024) big += "lots of text ";
  site.route("/", html(big));
  FakeRoute chunked = html(big);
  chunked.chunked = true;
  chunked.chunk_size = 100'000;
  site.route("/chunked", chunked);
  auto o = site_options();
  o.max_page_bytes = 64 * 1024;
  auto f = fetcher(o);
  for (const char* path : {"/", "/chunked"}) {
    auto page = f->fetch(site.url(path));
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_TRUE(page->truncated);
    EXPECT_LE(page->html.size(), 64U * 1024U);
    EXPECT_GE(page->html.size(), 64U * 1024U - 4);
  }
  auto crawl = f->crawl(site.url("/"));
  ASSERT_TRUE(crawl.ok()) << crawl.error().message;
  EXPECT_EQ(crawl->pages[0].title, "Huge");
  EXPECT_EQ(crawl->pages[0].headings, std::vector<std::string>{"Top"});
  ASSERT_EQ(crawl->warnings.size(), 1U);
  EXPECT_TRUE(contains(crawl->warnings[0], "larger than 65536 bytes")) << crawl->warnings[0];
}

TEST(SiteFetcher, APageOfExactlyTheCapIsNotTruncated) {
  FakeSite site;
  FakeRoute r = html("<p>" + std::string(1000 - 3, 'x'));
  r.chunked = true;
  r.chunk_size = 100;
  site.route("/", r);
  auto o = site_options();
  o.max_page_bytes = 1000;
  auto page = fetcher(o)->fetch(site.url("/"));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->html.size(), 1000U);
}

TEST(SiteFetcher, BinaryBodiesAreAClearError) {
  FakeSite site;
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  FakeRoute image = html(png);
  image.content_type = "image/png";
  site.route("/logo", image);
  FakeRoute mislabelled = html(png);
  mislabelled.content_type = "text/html";
  site.route("/mislabelled", mislabelled);
  FakeRoute unlabelled = html("PK\x03\x04 zip data");
  unlabelled.content_type.clear();
  site.route("/unlabelled", unlabelled);
  FakeRoute gzip = html("\x1f\x8b" " compressed");
  gzip.headers = {{"Content-Encoding", "gzip"}};
  site.route("/gzip", gzip);
  auto f = fetcher();
  expect_refused(f->fetch(site.url("/logo")), "is not an HTML page (content type image/png)");
  expect_refused(f->fetch(site.url("/mislabelled")), "is binary data, not an HTML page");
  expect_refused(f->fetch(site.url("/unlabelled")), "has no content type and does not look like HTML");
  expect_refused(f->fetch(site.url("/gzip")), "content encoding gzip");
  FakeRoute xhtml = html("<html><title>X</title></html>");
  xhtml.content_type = "application/xhtml+xml";
  site.route("/xhtml", xhtml);
  EXPECT_TRUE(f->fetch(site.url("/xhtml")).ok());
}

TEST(SiteFetcher, ASlowSiteTimesOutWithinTheBound) {
  FakeSite site;
  FakeRoute slow = html("<p>late</p>");
  slow.delay = milliseconds(5'000);
  site.route("/", slow);
  auto o = site_options();
  o.read_timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = fetcher(o)->crawl(site.url("/"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(r.error().message, "timed out waiting for the response (read timeout 300 ms)"))
      << r.error().message;
  EXPECT_LT(elapsed, milliseconds(2'000));
}

TEST(SiteFetcher, ATricklingSiteHitsThePageTimeout) {
  FakeSite site;
  FakeRoute trickle = html(std::string(100, 'x'));
  trickle.chunked = true;
  trickle.chunk_size = 2;
  trickle.chunk_delay = milliseconds(100);  // each read is quick, the whole page is not
  site.route("/", trickle);
  auto o = site_options();
  o.page_timeout = milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  auto r = fetcher(o)->fetch(site.url("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(r.error().message, "page timeout 500 ms")) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2'000));
}

TEST(SiteFetcher, UnreachableSitesAndServerErrorsAreUnavailable) {
  std::uint16_t closed_port = 0;
  {
    FakeSite gone;
    closed_port = gone.port();
  }
  auto f = fetcher();
  auto refused = f->fetch("http://127.0.0.2:" + std::to_string(closed_port) + "/");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(refused.error().message, "connecting to 127.0.0.2:")) << refused.error().message;
  FakeSite site;
  FakeRoute down = html("<p>maintenance</p>");
  down.status = 503;
  site.route("/", down);
  auto r = f->fetch(site.url("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(r.error().message, "answered HTTP 503")) << r.error().message;
  expect_refused(f->fetch(site.url("/missing")), "answered HTTP 404");
  FakeDns dns;
  auto o = site_options();
  o.resolver = dns.resolver();
  auto unknown = fetcher(o)->fetch("http://no-such-host.test/");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(unknown.error().message, "cannot resolve no-such-host.test")) << unknown.error().message;
}

TEST(SiteFetcher, MalformedHtmlGivesAPartialPage) {
  FakeSite site;
  site.route("/", html("<html><title>Half</title><body><div><p>Open <b>bold <a href='/about'>About<table><td>cell"
                       "</div></b><<<>>><script>unterminated"));
  auto crawl = fetcher()->crawl(site.url("/"));
  ASSERT_TRUE(crawl.ok()) << crawl.error().message;
  EXPECT_EQ(crawl->pages[0].title, "Half");
  EXPECT_TRUE(contains(crawl->pages[0].text, "cell")) << crawl->pages[0].text;
}

TEST(SiteFetcher, DecodesTheDeclaredCharset) {
  FakeSite site;
  FakeRoute latin = html("<title>Caf\xE9</title>");
  latin.content_type = "text/html; charset=ISO-8859-1";
  site.route("/header", latin);
  FakeRoute meta = html("<meta charset=\"windows-1252\"><title>\x93Quoted\x94</title>");
  meta.content_type = "text/html";
  site.route("/meta", meta);
  site.route("/invalid", html("<title>bad \xFF byte</title>"));
  auto f = fetcher();
  EXPECT_EQ(f->crawl(site.url("/header"))->pages[0].title, "Café");
  EXPECT_EQ(f->crawl(site.url("/meta"))->pages[0].title, "“Quoted”");
  EXPECT_EQ(f->crawl(site.url("/invalid"))->pages[0].title, "bad \xEF\xBF\xBD byte");
}

TEST(SiteFetcher, BadAllowNetworksAreRefusedAtConstruction) {
  auto o = site_options();
  o.allow_networks = {"127.0.0.2/40"};
  auto f = HttpSiteFetcher::create(o);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().field, "allow_networks");
  EXPECT_TRUE(contains(f.error().message, "127.0.0.2/40"));
}

// ---- HTTPS ----------------------------------------------------------------

/// A self-signed certificate for shop.test and 127.0.0.2, made once.
class SiteFetcherTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("winston-site-tls-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const auto gen = testing::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=shop.test", "-addext",
                                   "subjectAltName=DNS:shop.test,IP:127.0.0.2", "-days", "2", "-keyout",
                                   (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()},
                                  {}, 30'000);
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto slurp = [](const std::filesystem::path& p) {
      std::ifstream in(p);
      std::stringstream s;
      s << in.rdbuf();
      return s.str();
    };
    tls_ = testing::FakeTls{slurp(dir / "cert.pem"), slurp(dir / "key.pem")};
    std::filesystem::remove_all(dir);
  }

  FetchOptions trusting() const {
    auto o = site_options();
    o.extra_ca_pem = tls_.cert_pem;
    FakeDns dns;
    dns.answers["shop.test"] = {{"127.0.0.2"}};
    dns.answers["other.test"] = {{"127.0.0.2"}};
    o.resolver = dns.resolver();
    return o;
  }

  static inline testing::FakeTls tls_;
};

TEST_F(SiteFetcherTls, VerifiesTheCertificateAndSendsTheHostNameAsSni) {
  FakeSite site("127.0.0.2", tls_);
  site.route("/", html("<title>Secure shop</title>"));
  const std::string port = std::to_string(site.port());
  auto page = fetcher(trusting())->fetch("https://shop.test:" + port + "/");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_TRUE(contains(page->html, "Secure shop"));
  ASSERT_EQ(site.requests().size(), 1U);
  EXPECT_EQ(site.requests()[0].sni, "shop.test");
  auto literal = fetcher(trusting())->fetch("https://127.0.0.2:" + port + "/");
  ASSERT_TRUE(literal.ok()) << literal.error().message;  // checked against the IP in subjectAltName
  EXPECT_EQ(site.requests().back().sni, "");             // no SNI for an IP literal
}

TEST_F(SiteFetcherTls, AnUntrustedCertificateIsRefused) {
  FakeSite site("127.0.0.2", tls_);
  site.route("/", html("<title>Secure shop</title>"));
  auto o = site_options();  // the system store only: the self-signed certificate is unknown
  auto r = fetcher(o)->fetch(site.url("/"));
  expect_refused(r, "its TLS certificate is not valid for 127.0.0.2");
  EXPECT_TRUE(site.requests().empty());
}

TEST_F(SiteFetcherTls, ACertificateForAnotherNameIsRefused) {
  FakeSite site("127.0.0.2", tls_);
  site.route("/", html("<title>Secure shop</title>"));
  auto r = fetcher(trusting())->fetch("https://other.test:" + std::to_string(site.port()) + "/");
  expect_refused(r, "not valid for other.test");
  EXPECT_TRUE(site.requests().empty());
}

}  // namespace
}  // namespace winston::analyzer
