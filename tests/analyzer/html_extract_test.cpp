#include "analyzer/html_extract.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>

#include "analyzer/charset.hpp"

namespace winston::analyzer {
namespace {

namespace json = boost::json;

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != haystack.npos; }

bool valid_utf8(std::string_view s) { return to_utf8(s, "utf-8") == s; }

constexpr std::string_view kDispensaryJsonLd = R"({
  "@context": "https://schema.org",
  "@type": "Store",
  "name": "Green Leaf Dispensary",
  "telephone": "+1-503-555-0100",
  "url": "https://greenleaf.example.com/",
  "address": {"@type": "PostalAddress", "streetAddress": "420 Main St", "addressLocality": "Portland",
              "addressRegion": "OR", "postalCode": 97201, "addressCountry": {"@type": "Country", "name": "US"}},
  "openingHoursSpecification": [
    {"@type": "OpeningHoursSpecification", "dayOfWeek": ["https://schema.org/Monday", "https://schema.org/Tuesday",
     "https://schema.org/Wednesday", "https://schema.org/Thursday", "https://schema.org/Friday"],
     "opens": "09:00:00", "closes": "21:00:00"},
    {"@type": "OpeningHoursSpecification", "dayOfWeek": "Saturday", "opens": "10:00", "closes": "18:00"},
    {"@type": "OpeningHoursSpecification", "dayOfWeek": "http://schema.org/Sunday", "opens": "10:00", "closes": "18:00"},
    {"@type": "OpeningHoursSpecification", "dayOfWeek": "PublicHolidays", "opens": "00:00", "closes": "00:00"}
  ]
})";

TEST(HtmlExtract, TitleDescriptionHeadingsAndOnlyVisibleText) {
  const std::string html = R"(<!doctype html><html><head>
      <title>  Green   Leaf | Home </title>
      <meta name="Description" content="Portland's  friendliest dispensary.">
      <style>body { color: red }</style><script>var secret = "not text";</script>
    </head><body>
      <h1>Welcome to <em>Green Leaf</em></h1><h2>Our menu</h2><h3>Hours</h3><h4>Fine print</h4>
      <p>Flower,&nbsp;edibles
         and   vapes.</p><p>Open daily.</p>
      <noscript>Enable JavaScript</noscript><template><p>templated</p></template>
      <svg><text>svg text</text></svg><div hidden>hidden text</div>
      <ul><li>One</li><li>Two</li></ul>
    </body></html>)";
  const ExtractedPage p = extract_page(html, "https://greenleaf.example.com/");
  EXPECT_EQ(p.url, "https://greenleaf.example.com/");
  EXPECT_EQ(p.title, "Green Leaf | Home");
  EXPECT_EQ(p.meta_description, "Portland's friendliest dispensary.");
  EXPECT_EQ(p.headings, (std::vector<std::string>{"Welcome to Green Leaf", "Our menu", "Hours"}));
  EXPECT_TRUE(contains(p.text, "Flower, edibles and vapes. Open daily.")) << p.text;
  EXPECT_TRUE(contains(p.text, "One Two")) << p.text;
  for (const char* hidden : {"secret", "color", "Enable JavaScript", "templated", "svg text", "hidden text", "Home"}) {
    EXPECT_FALSE(contains(p.text, hidden)) << hidden << " in " << p.text;
  }
  EXPECT_FALSE(contains(p.text, "  "));
  EXPECT_EQ(p.text.front(), 'W');
}

TEST(HtmlExtract, FallsBackToOpenGraphTitleAndDescription) {
  const auto p = extract_page(R"(<meta property="og:title" content="OG Title">
      <meta property="og:description" content="OG description"><p>x</p>)",
                              "http://a.example/");
  EXPECT_EQ(p.title, "OG Title");
  EXPECT_EQ(p.meta_description, "OG description");
}

TEST(HtmlExtract, ReadsALocalBusinessFromJsonLd) {
  const std::string html = "<html><head><script type=\"application/ld+json\">" + std::string(kDispensaryJsonLd) +
                           "</script></head><body><p>Hi</p></body></html>";
  const auto p = extract_page(html, "https://greenleaf.example.com/");
  ASSERT_EQ(p.businesses.size(), 1U);
  const JsonLdBusiness& b = p.businesses[0];
  EXPECT_EQ(b.type, "Store");
  EXPECT_EQ(b.name, "Green Leaf Dispensary");
  EXPECT_EQ(b.telephone, "+1-503-555-0100");
  EXPECT_EQ(b.url, "https://greenleaf.example.com/");
  EXPECT_EQ(b.street, "420 Main St");
  EXPECT_EQ(b.locality, "Portland");
  EXPECT_EQ(b.region, "OR");
  EXPECT_EQ(b.postal_code, "97201");
  EXPECT_EQ(b.country, "US");
  EXPECT_EQ(b.opening_hours, (std::vector<std::string>{"Mo-Fr 09:00-21:00", "Sa-Su 10:00-18:00", "PH closed"}));
  EXPECT_FALSE(contains(p.text, "Green Leaf Dispensary"));  // JSON-LD is not visible text
}

TEST(HtmlExtract, FindsBusinessesInGraphsArraysAndTypeLists) {
  const std::string html = R"(<script type="application/ld+json">
    {"@context":"https://schema.org","@graph":[
      {"@type":"WebSite","name":"Site"},
      {"@type":["Organization","LocalBusiness"],"name":"Graph Shop","address":"1 Graph Rd, Salem, OR",
       "openingHours":["Mo-Sa 09:00-20:00","Su 11:00-17:00"]}]}
    </script>
    <script type="application/ld+json; charset=utf-8">
    [{"@type":"schema:Pharmacy","name":"Array Pharmacy","openingHours":"Mo-Fr 08:00-18:00"},
     {"@type":"Person","name":"Nobody"}]
    </script>
    <script type="APPLICATION/LD+JSON"><!--
    {"@type":"Restaurant","name":"Commented Cafe",}
    --></script>)";
  const auto p = extract_page(html, "https://x.example/");
  ASSERT_EQ(p.businesses.size(), 3U);
  EXPECT_EQ(p.businesses[0].name, "Graph Shop");
  EXPECT_EQ(p.businesses[0].type, "LocalBusiness");
  EXPECT_EQ(p.businesses[0].street, "1 Graph Rd, Salem, OR");
  EXPECT_EQ(p.businesses[0].opening_hours, (std::vector<std::string>{"Mo-Sa 09:00-20:00", "Su 11:00-17:00"}));
  EXPECT_EQ(p.businesses[1].name, "Array Pharmacy");
  EXPECT_EQ(p.businesses[1].type, "Pharmacy");
  EXPECT_EQ(p.businesses[1].opening_hours, (std::vector<std::string>{"Mo-Fr 08:00-18:00"}));
  EXPECT_EQ(p.businesses[2].name, "Commented Cafe");
}

TEST(HtmlExtract, InvalidJsonLdIsIgnoredAndTheRestStillCounts) {
  const std::string html = R"(<script type="application/ld+json">{"@type":"Store","name":</script>
    <script type="application/ld+json">not json at all</script>
    <script type="application/ld+json">{"@type":"Store","name":"Valid Store"}</script><h1>Still here</h1>)";
  const auto p = extract_page(html, "https://x.example/");
  ASSERT_EQ(p.businesses.size(), 1U);
  EXPECT_EQ(p.businesses[0].name, "Valid Store");
  EXPECT_EQ(p.headings, std::vector<std::string>{"Still here"});
}

TEST(HtmlExtract, DuplicateBusinessesAreListedOnce) {
  const std::string one = R"({"@type":"Store","name":"Same"})";
  const std::string html = "<script type=\"application/ld+json\">[" + one + "," + one + "]</script>";
  EXPECT_EQ(extract_page(html, "https://x.example/").businesses.size(), 1U);
}

TEST(HtmlExtract, LinksAreAbsoluteSameSiteDeduplicatedAndWithoutFragments) {
  const std::string html = R"html(<body>
    <a href="about">About us</a> <a href="/menu#top">Menu</a> <a href="/menu">Menu again</a>
    <a href="https://shop.example/contact">Contact</a> <a href="http://WWW.shop.example/hours">Hours</a>
    <a href="  /visit
       ">Visit</a> <a href="../up?x=1&amp;y=2">Up</a>
    <a href="http://other.example/x">Elsewhere</a> <a href="mailto:hi@shop.example">Mail</a>
    <a href="javascript:alert(1)">JS</a> <a href="tel:+15035550100">Call</a> <a href="#frag">Top</a>
    <a href="http://user:pw@shop.example/secret">Creds</a> <a href="//shop.example:8080/x">Other port</a>
    <a href="ftp://shop.example/file">FTP</a> <a>No href</a> <a href="http://[::1">Broken</a>
  </body>)html";
  const ParsedPage p = parse_page(html, "http://shop.example/dir/page");
  EXPECT_EQ(p.page.links, (std::vector<std::string>{"http://shop.example/dir/about", "http://shop.example/menu",
                                                    "https://shop.example/contact", "http://www.shop.example/hours",
                                                    "http://shop.example/visit", "http://shop.example/up?x=1&y=2"}));
  ASSERT_EQ(p.links.size(), p.page.links.size());
  EXPECT_EQ(p.links[0].text, "About us");
  EXPECT_EQ(p.links[1].text, "Menu");
}

TEST(HtmlExtract, LinksAndHeadingsAreBounded) {
  std::string html;
  for (int i = 0; i < 1000; ++i) html += "<h2>H" + std::to_string(i) + "</h2><a href=\"/p" + std::to_string(i) + "\">x</a>";
  const auto p = extract_page(html, "http://a.example/");
  EXPECT_EQ(p.links.size(), kMaxLinks);
  EXPECT_EQ(p.headings.size(), kMaxHeadings);
}

TEST(HtmlExtract, TextIsCappedOnACharacterBoundary) {
  std::string body = "<p>";
  for (int i = 0; i < 15'000; ++i) body += "é ";  // 3 bytes each: the cap falls inside a character sometimes
  const auto p = extract_page(body, "http://a.example/");
  EXPECT_LE(p.text.size(), kMaxTextBytes);
  EXPECT_GE(p.text.size(), kMaxTextBytes - 4);
  EXPECT_TRUE(valid_utf8(p.text));
}

TEST(HtmlExtract, MalformedMarkupGivesAPartialPageWithoutCrashing) {
  const std::vector<std::string> inputs = {
      "",
      "<<<>>><<",
      "<html><title>Broken</title><body><div><p>Open <b>bold <a href='/about'>About<table><td>cell</div></b>",
      "<a href=",
      "</p></div></body></html>",
      "<script>never closed",
      std::string("text\0with\0nuls", 14),
      "<div " + std::string(10'000, 'a') + "=1>x",
      "<table><tr><td><table><tr><td><form><select><option>a<option>b</table></table>",
      "<svg><foreignObject><p>inside</p></foreignObject></svg><math><mi>x</mi></math>",
  };
  for (const auto& html : inputs) {
    const auto p = extract_page(to_utf8(html, "utf-8"), "http://a.example/");
    EXPECT_TRUE(valid_utf8(p.text)) << html.substr(0, 40);
  }
  const auto broken = extract_page(inputs[2], "http://a.example/");
  EXPECT_EQ(broken.title, "Broken");
  EXPECT_TRUE(contains(broken.text, "cell")) << broken.text;
  EXPECT_EQ(broken.links, std::vector<std::string>{"http://a.example/about"});
}

TEST(HtmlExtract, DeeplyNestedMarkupIsCutNotACrash) {
  std::string html = "<title>Deep</title><p>before</p>";
  for (int i = 0; i < 200'000; ++i) html += "<div>";
  html += "deep text";
  const ParsedPage p = parse_page(html, "http://a.example/");
  EXPECT_TRUE(p.markup_cut);
  EXPECT_EQ(p.page.title, "Deep");
  EXPECT_TRUE(contains(p.page.text, "before"));
  EXPECT_FALSE(contains(p.page.text, "deep text"));
}

TEST(HtmlExtract, EveryWayOfNestingDeeplyIsCutQuickly) {
  // Each unit makes gumbo's tree one level deeper per repetition, most of
  // them without a single matching end tag a naive count would notice.
  for (const std::string unit : {"<div></x>", "<b><div></b>", "<div><b></div>x", "<div><table><tr><td></div>",
                                 "<li><section>", "<rt>", "<optgroup>", "<svg><div/>", "<div/>", "<span></div>",
                                 "<p><b>x</p>\n", "<table><td>", "<a><div></a>"}) {
    std::string html = "<title>T</title><p>start</p>";
    while (html.size() < 2 * 1024 * 1024) html += unit;
    const auto start = std::chrono::steady_clock::now();
    const ParsedPage p = parse_page(html, "http://a.example/");
    EXPECT_TRUE(p.markup_cut) << unit;
    EXPECT_EQ(p.page.title, "T") << unit;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8)) << unit;
  }
}

TEST(HtmlExtract, ARealisticPageIsNotCut) {
  // Unclosed paragraphs, list items and cells, properly closed inline markup,
  // an SVG sprite of self-closing paths, thousands of siblings.
  std::string html = "<!doctype html><html><head><title>Big</title></head><body><svg>";
  for (int i = 0; i < 3'000; ++i) html += "<path d=\"M0 0\"/>";
  html += "</svg>";
  for (int i = 0; i < 3'000; ++i) {
    html += "<section><div class=\"card\"><h3>Item</h3><p>Some <b>bold</b> and <a href=\"/p\"><span>linked</span></a>"
            "<p>text<ul><li>one<li>two</ul><table><tr><td>a<td>b<tr><td>c</table></div></section>\n";
  }
  html += "<p>the end</p></body></html>";
  const ParsedPage p = parse_page(html, "http://a.example/");
  EXPECT_FALSE(p.markup_cut);
  EXPECT_EQ(p.page.title, "Big");
}

TEST(HtmlExtract, AParseOverItsTimeBudgetIsAbandonedNotWaitedFor) {
  std::string html = "<title>Slow</title>";
  while (html.size() < 1024 * 1024) html += "<div></x>";  // quadratic for gumbo: minutes unbounded
  const ParseLimits limits{.max_nesting = 10'000'000, .time_budget = std::chrono::milliseconds(100),
                           .max_parse_memory = std::size_t{512} * 1024 * 1024};
  const auto start = std::chrono::steady_clock::now();
  const ParsedPage p = parse_page(html, "http://a.example/", limits);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(p.markup_cut);
  EXPECT_EQ(p.page.url, "http://a.example/");
}

TEST(HtmlExtract, AParseOverItsMemoryBudgetIsAbandoned) {
  std::string html = "<title>Big</title>";
  while (html.size() < 256 * 1024) html += "<p>x</p>";
  const ParseLimits tiny{.max_nesting = 1'500, .time_budget = std::chrono::milliseconds(10'000),
                         .max_parse_memory = 64 * 1024};
  const ParsedPage p = parse_page(html, "http://a.example/", tiny);
  EXPECT_TRUE(p.markup_cut);
  EXPECT_TRUE(parse_page(html, "http://a.example/").page.title == "Big");
}

TEST(HtmlExtract, WideMarkupIsNotCut) {
  std::string wide;
  for (int i = 0; i < 5'000; ++i) wide += "<div><span>x</span></div><p>para<li>item";
  EXPECT_FALSE(parse_page(wide, "http://a.example/").markup_cut);
}

TEST(SiteJson, SerialisesEveryField) {
  SiteCrawl c;
  c.start_url = "http://a.example";
  ExtractedPage p;
  p.url = "http://a.example/";
  p.title = "T";
  p.meta_description = "D";
  p.headings = {"H1"};
  p.text = "quote \" and \\ and \n";
  p.links = {"http://a.example/about"};
  JsonLdBusiness b;
  b.type = "Store";
  b.name = "N";
  b.street = "S";
  b.postal_code = "P";
  b.opening_hours = {"Mo-Fr 09:00-17:00"};
  p.businesses = {b};
  c.pages = {p};
  c.warnings = {"w"};
  const json::value v = json::parse(json::serialize(to_json(c)));
  EXPECT_EQ(v.at("start_url").as_string(), "http://a.example");
  EXPECT_EQ(v.at("warnings").at(0).as_string(), "w");
  const auto& page = v.at("pages").at(0);
  EXPECT_EQ(page.at("text").as_string(), "quote \" and \\ and \n");
  EXPECT_EQ(page.at("headings").at(0).as_string(), "H1");
  EXPECT_EQ(page.at("links").at(0).as_string(), "http://a.example/about");
  EXPECT_EQ(page.at("meta_description").as_string(), "D");
  const auto& biz = page.at("businesses").at(0);
  EXPECT_EQ(biz.at("type").as_string(), "Store");
  EXPECT_EQ(biz.at("address").at("street").as_string(), "S");
  EXPECT_EQ(biz.at("address").at("postal_code").as_string(), "P");
  EXPECT_EQ(biz.at("opening_hours").at(0).as_string(), "Mo-Fr 09:00-17:00");
}

}  // namespace
}  // namespace winston::analyzer
