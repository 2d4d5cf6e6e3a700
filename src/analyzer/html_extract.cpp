#include "analyzer/html_extract.hpp"

#include <gumbo.h>

#include <boost/url/parse.hpp>

#include <unordered_set>

#include "analyzer/charset.hpp"
#include "analyzer/gumbo_arena.hpp"
#include "analyzer/html_nesting.hpp"
#include "analyzer/html_text.hpp"
#include "analyzer/json_ld.hpp"
#include "analyzer/same_site_link.hpp"
#include "core/text.hpp"

namespace winston::analyzer {
namespace urls = boost::urls;
namespace {

constexpr std::size_t kMaxTitle = 300;
constexpr std::size_t kMaxHeading = 300;
constexpr std::size_t kMaxDescription = 1'000;
constexpr std::size_t kMaxLinkText = 200;
constexpr std::size_t kMaxJsonLdBytes = 512 * 1024;
constexpr std::size_t kMaxJsonLdScripts = 20;

// ---- gumbo's tree ----------------------------------------------------------

const GumboVector* child_nodes(const GumboNode* n) {
  if (n->type == GUMBO_NODE_DOCUMENT) return &n->v.document.children;
  if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) return &n->v.element.children;
  return nullptr;
}

const GumboNode* child_at(const GumboVector& v, unsigned i) { return static_cast<const GumboNode*>(v.data[i]); }

bool is_element(const GumboNode* n) { return n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE; }

std::string_view attr(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a != nullptr ? std::string_view(a->value) : std::string_view{};
}

bool is_text(const GumboNode* n) {
  return n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA || n->type == GUMBO_NODE_WHITESPACE;
}

/// Elements whose content is never visible text (or not text at all).
bool skips_content(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG: case GUMBO_TAG_MATH: case GUMBO_TAG_IFRAME: case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_CANVAS: case GUMBO_TAG_TITLE:
      return true;
    default:
      return false;
  }
}

/// Elements that end a word: their text must not run into the neighbours'.
bool is_block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BR: case GUMBO_TAG_LI: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
    case GUMBO_TAG_TR: case GUMBO_TAG_TD: case GUMBO_TAG_TH: case GUMBO_TAG_TABLE: case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_NAV: case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_DD: case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FORM: case GUMBO_TAG_HR: case GUMBO_TAG_PRE:
    case GUMBO_TAG_OPTION: case GUMBO_TAG_BUTTON: case GUMBO_TAG_IMG:
      return true;
    default:
      return false;
  }
}

/// The text under `root` as a reader sees it, collapsed and capped.
std::string text_of(const GumboNode* root, std::size_t cap) {
  TextSink sink(cap);
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty() && !sink.full()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (is_text(n)) {
      sink.add(n->v.text.text);
      continue;
    }
    if (n != root && is_element(n) && skips_content(n->v.element.tag)) continue;
    if (is_element(n) && is_block(n->v.element.tag)) sink.separate();
    if (const GumboVector* kids = child_nodes(n)) {
      for (unsigned i = kids->length; i-- > 0;) stack.push_back(child_at(*kids, i));
    }
  }
  return sink.take();
}

// ---- the page walk -------------------------------------------------------

/// One pass over the tree collecting everything extract_page returns.
class Extractor {
 public:
  explicit Extractor(std::string_view page_url) : base_(urls::parse_uri(page_url)) { parsed_.page.url = std::string(page_url); }

  void walk(const GumboNode* root);
  ParsedPage finish();

 private:
  struct Frame {
    const GumboNode* node;  // nullptr: a block element ended
    bool hidden;            // inside <head> or a [hidden] element: no visible text
  };
  bool enter(const GumboNode* n);
  void meta(const GumboNode* n);
  void script(const GumboNode* n);
  void link(const GumboNode* n);

  boost::system::result<urls::url_view> base_;
  ParsedPage parsed_;
  TextSink text_{kMaxTextBytes};
  std::string title_, og_title_, description_, og_description_;
  std::unordered_set<std::string> seen_links_;
  std::size_t scripts_ = 0;
};

void Extractor::walk(const GumboNode* root) {
  std::vector<Frame> stack{{root, false}};
  while (!stack.empty()) {
    const Frame f = stack.back();
    stack.pop_back();
    if (f.node == nullptr) {
      text_.separate();
      continue;
    }
    if (is_text(f.node)) {
      if (!f.hidden) text_.add(f.node->v.text.text);
      continue;
    }
    bool hidden = f.hidden;
    if (is_element(f.node)) {
      if (!enter(f.node)) continue;
      const GumboTag tag = f.node->v.element.tag;
      hidden = hidden || tag == GUMBO_TAG_HEAD || gumbo_get_attribute(&f.node->v.element.attributes, "hidden") != nullptr;
      if (is_block(tag)) {
        text_.separate();
        stack.push_back({nullptr, false});
      }
    }
    if (const GumboVector* kids = child_nodes(f.node)) {
      for (unsigned i = kids->length; i-- > 0;) stack.push_back({child_at(*kids, i), hidden});
    }
  }
}

/// Handles one element; false when its content is not to be walked.
bool Extractor::enter(const GumboNode* n) {
  switch (n->v.element.tag) {
    case GUMBO_TAG_TITLE:
      if (title_.empty()) title_ = text_of(n, kMaxTitle);
      return false;
    case GUMBO_TAG_META: meta(n); return false;
    case GUMBO_TAG_SCRIPT: script(n); return false;
    case GUMBO_TAG_A: link(n); return true;
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
      if (parsed_.page.headings.size() < kMaxHeadings) {
        if (auto h = text_of(n, kMaxHeading); !h.empty()) parsed_.page.headings.push_back(std::move(h));
      }
      return true;
    default:
      return n->type != GUMBO_NODE_TEMPLATE && !skips_content(n->v.element.tag);
  }
}

void Extractor::meta(const GumboNode* n) {
  const std::string name = to_lower(attr(n, "name")), property = to_lower(attr(n, "property"));
  const std::string_view content = attr(n, "content");
  auto keep = [&](std::string& slot, std::size_t cap) {
    if (slot.empty()) slot = collapse(content, cap);
  };
  if (name == "description") keep(description_, kMaxDescription);
  if (property == "og:description" || name == "og:description") keep(og_description_, kMaxDescription);
  if (property == "og:title" || name == "og:title") keep(og_title_, kMaxTitle);
}

void Extractor::script(const GumboNode* n) {
  const std::string type = to_lower(trim(attr(n, "type").substr(0, attr(n, "type").find(';'))));
  if (type != "application/ld+json" || ++scripts_ > kMaxJsonLdScripts) return;
  std::string body;
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length && body.size() <= kMaxJsonLdBytes; ++i) {
    if (is_text(child_at(kids, i))) body += child_at(kids, i)->v.text.text;
  }
  if (body.size() > kMaxJsonLdBytes) return;
  for (auto& b : businesses_from_json_ld(body)) {
    if (parsed_.page.businesses.size() < kMaxBusinesses) parsed_.page.businesses.push_back(std::move(b));
  }
}

void Extractor::link(const GumboNode* n) {
  if (!base_ || parsed_.links.size() >= kMaxLinks) return;
  auto url = same_site_link(*base_, attr(n, "href"));
  if (!url || !seen_links_.insert(*url).second) return;
  std::string text = text_of(n, kMaxLinkText);
  if (text.empty()) text = collapse(attr(n, "aria-label"), kMaxLinkText);
  if (text.empty()) text = collapse(attr(n, "title"), kMaxLinkText);
  parsed_.page.links.push_back(*url);
  parsed_.links.push_back({std::move(*url), std::move(text)});
}

ParsedPage Extractor::finish() {
  parsed_.page.title = title_.empty() ? og_title_ : title_;
  parsed_.page.meta_description = description_.empty() ? og_description_ : description_;
  parsed_.page.text = text_.take();
  return std::move(parsed_);
}

}  // namespace

ParsedPage parse_page(std::string_view html, std::string_view page_url, const ParseLimits& limits) {
  const std::string_view kept = html.substr(0, nesting_cut(html, limits.max_nesting));
  // A parse over budget gets one more try on a much shorter beginning.
  for (const std::string_view attempt : {kept, utf8_prefix(kept, kept.size() / 8)}) {
    GumboArena arena(limits.time_budget, limits.max_parse_memory);
    const GumboOptions options = arena.options();
    const GumboOutput* doc = parse_bounded(arena, &options, attempt);
    if (doc == nullptr) continue;
    Extractor x(page_url);
    x.walk(doc->document);
    ParsedPage out = x.finish();
    out.markup_cut = attempt.size() < html.size();
    return out;
  }
  ParsedPage out = Extractor(page_url).finish();
  out.markup_cut = true;
  return out;
}

ExtractedPage extract_page(std::string_view html, std::string_view page_url) {
  return parse_page(html, page_url).page;
}

}  // namespace winston::analyzer
