#include "analyzer/html_extract.hpp"

#include <gumbo.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <csetjmp>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/text.hpp"
#include "core/utf8.hpp"

namespace winston::analyzer {
namespace json = boost::json;
namespace urls = boost::urls;
namespace {

constexpr std::size_t kMaxTitle = 300;
constexpr std::size_t kMaxHeading = 300;
constexpr std::size_t kMaxDescription = 1'000;
constexpr std::size_t kMaxField = 500;
constexpr std::size_t kMaxLinkText = 200;
constexpr std::size_t kMaxJsonLdBytes = 512 * 1024;
constexpr std::size_t kMaxJsonLdScripts = 20;
constexpr std::size_t kMaxHoursLines = 30;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// ---- text --------------------------------------------------------------

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }


/// Accumulates text with every run of whitespace (no-break spaces included)
/// collapsed to one space, no leading or trailing space, up to a byte cap.
class TextSink {
 public:
  explicit TextSink(std::size_t cap) : cap_(cap) {}
  void add(std::string_view s) {
    for (std::size_t i = 0; i < s.size() && !full(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      const bool nbsp = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0;
      if (is_space(c) || nbsp) {
        if (nbsp) ++i;
        separate();
        continue;
      }
      if (pending_space_) out_ += ' ';
      pending_space_ = false;
      out_ += s[i];
    }
  }
  /// A word boundary (a block element ended): the next text starts after a space.
  void separate() { pending_space_ = !out_.empty(); }
  bool full() const { return out_.size() >= cap_; }
  std::string take() const { return std::string(utf8_prefix(out_, cap_)); }

 private:
  std::string out_;
  std::size_t cap_;
  bool pending_space_ = false;
};

std::string collapse(std::string_view s, std::size_t cap) {
  TextSink sink(cap);
  sink.add(s);
  return sink.take();
}

/// NUL becomes U+FFFD too: PostgreSQL cannot store it in text or jsonb.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {
      out += s[i++];
    } else if (const std::size_t len = c == 0 ? 0 : decode_utf8(s, i).length; len > 0) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0U) == 0x80U) ++i;  // the rest of the bad sequence
    }
  }
  return out;
}

std::string decode_windows_1252(std::string_view s) {
  static constexpr std::array<char32_t, 32> kHigh = {
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) {
      out += kReplacement;
    } else {
      append_utf8(out, c >= 0x80 && c < 0xA0 ? kHigh[c - 0x80] : char32_t{c});
    }
  }
  return out;
}

// ---- gumbo -------------------------------------------------------------

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

// ---- nesting -----------------------------------------------------------
//
// gumbo's scope checks walk the stack of open elements, so every tag of a
// page nested N deep costs time in proportion to N: 256 KiB of "<div></x>"
// takes over a minute. NestingScanner replays the tags on a stack the way the
// HTML tree builder does, closely enough and erring on the deep side, and the
// page is cut where it first nests deeper than the limit. Whatever it
// misjudges, the parse budget of GumboArena still bounds.

constexpr std::size_t kMaxTagName = 32;
constexpr std::size_t kMaxSearch = 64;  // open elements an end tag is matched against

bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// The position of "</name" (any case) at or after `from`, or npos.
std::size_t find_end_tag(std::string_view html, std::string_view name, std::size_t from) {
  for (std::size_t p = html.find("</", from); p != std::string_view::npos; p = html.find("</", p + 2)) {
    const std::string_view candidate = html.substr(p + 2, name.size());
    if (candidate.size() == name.size() && to_lower(candidate) == name) return p;
  }
  return std::string_view::npos;
}

/// What the tree builder does with an element, as bits: one table lookup per
/// tag, so scanning stays cheap even in debug builds.
enum TagProp : unsigned {
  kVoid = 1U << 0U,
  kRawText = 1U << 1U,       // content read as text up to the end tag
  kFormatting = 1U << 2U,    // in the list of active formatting elements
  kSpecial = 1U << 3U,       // the HTML "special" category, roughly: where end tag searches stop
  kScopeBoundary = 1U << 4U,
  kClosesP = 1U << 5U,       // a start tag that closes an open <p> first
  kOmissible = 1U << 6U,     // end tag may be omitted: not counted towards the depth
  kBreaksOut = 1U << 7U,     // a start tag that leaves foreign content (svg, math)
  kForeign = 1U << 8U,       // svg, math
  kTableScope = 1U << 9U,    // where a table-part search stops
  kTablePart = 1U << 10U,    // end tags matched within the table
  kButton = 1U << 11U,       // with kScopeBoundary: "button scope", where a <p> search stops
};

const std::unordered_map<std::string_view, unsigned>& tag_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, unsigned> t;
    auto mark = [&t](unsigned prop, std::initializer_list<std::string_view> names) {
      for (auto n : names) t[n] |= prop;
    };
    mark(kVoid, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                 "track", "wbr", "frame", "keygen", "basefont", "bgsound"});
    mark(kRawText, {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"});
    mark(kFormatting, {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"});
    mark(kSpecial, {"address", "applet", "article", "aside", "blockquote", "body", "button", "caption", "center",
                    "col", "colgroup", "dd", "details", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
                    "footer", "form", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup",
                    "html", "li", "listing", "main", "marquee", "menu", "nav", "noscript", "object", "ol", "p", "pre",
                    "section", "select", "summary", "table", "tbody", "td", "template", "tfoot", "th", "thead", "tr",
                    "ul"});
    mark(kScopeBoundary, {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "svg", "math"});
    mark(kClosesP, {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl",
                    "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p",
                    "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "li",
                    "dd", "dt", "hr", "xmp", "table"});
    mark(kOmissible, {"p", "li", "dd", "dt", "option", "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "colgroup"});
    mark(kBreaksOut, {"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed",
                      "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta",
                      "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup",
                      "table", "tt", "u", "ul", "var"});
    mark(kForeign, {"svg", "math"});
    mark(kTableScope, {"table", "template", "html"});
    mark(kTablePart, {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup"});
    mark(kButton, {"button"});
    return t;
  }();
  return table;
}

unsigned tag_props(std::string_view name) {
  const auto& t = tag_table();
  const auto it = t.find(name);
  return it == t.end() ? 0U : it->second;
}

class NestingScanner {
 public:
  explicit NestingScanner(std::size_t limit) : limit_(limit) {}
  /// The offset of the tag that first takes the depth past the limit, or npos.
  std::size_t cut(std::string_view html);

 private:
  struct Open {
    std::string name;
    unsigned props;
  };
  bool start_tag(const std::string& name, bool self_closing);
  void end_tag(const std::string& name);
  void close_implied(const std::string& name, unsigned props);
  /// The innermost open element named one of `names`, searching down from the
  /// top until an element with any of the `stop` bits (0 for the top only).
  std::optional<std::size_t> find_open(std::initializer_list<std::string_view> names, unsigned stop) const;
  void push(std::string name, unsigned props);
  void pop_to(std::size_t index, bool reopen_formatting);
  void reconstruct();

  std::size_t limit_;
  std::vector<Open> open_;
  std::size_t depth_ = 0;      // entries of open_ not kOmissible
  std::size_t foreign_ = 0;    // svg/math entries of open_
  std::vector<Open> reopen_;   // formatting elements closed implicitly: reopened at the next text
  std::unordered_map<std::string, std::size_t> counts_;  // open elements by name: most searches end here
};

std::size_t NestingScanner::cut(std::string_view html) {
  std::size_t text_from = 0;
  for (std::size_t i = html.find('<'); i != std::string_view::npos && i + 1 < html.size(); i = html.find('<', i + 1)) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i + 4);
      if (i == std::string_view::npos) break;
      text_from = i + 3;
      continue;
    }
    const bool end = html[i + 1] == '/';
    const std::size_t at = i + (end ? 2 : 1);
    if (at >= html.size() || !ascii_alpha(html[at])) continue;
    if (i > text_from) reconstruct();  // text between tags
    std::size_t name_end = at;
    while (name_end < html.size() && !is_space(static_cast<unsigned char>(html[name_end])) &&
           html[name_end] != '/' && html[name_end] != '>') {
      ++name_end;
    }
    const std::string name = to_lower(html.substr(at, std::min(name_end - at, kMaxTagName)));
    const std::size_t close = html.find('>', name_end);
    if (close == std::string_view::npos) break;
    text_from = close + 1;
    if (end) {
      end_tag(name);
    } else if (start_tag(name, html[close - 1] == '/')) {
      return i;
    } else if (name == "plaintext") {
      break;
    } else if ((tag_props(name) & kRawText) != 0 && foreign_ == 0) {
      const std::size_t raw_end = find_end_tag(html, name, close);
      if (raw_end == std::string_view::npos) break;
      text_from = raw_end;  // the end tag itself is not a text boundary
    }
    i = text_from - 1;
  }
  return std::string_view::npos;
}

bool NestingScanner::start_tag(const std::string& name, bool self_closing) {
  const unsigned props = tag_props(name);
  if (foreign_ > 0 && (props & kBreaksOut) != 0) {
    while (foreign_ > 0) pop_to(open_.size() - 1, false);
  }
  if (foreign_ > 0 && self_closing) return false;
  if ((props & (kVoid | kRawText)) != 0 || name == "html" || name == "head" || name == "body") return false;
  if ((props & kForeign) != 0 && self_closing) return false;
  if ((props & kSpecial) == 0) reconstruct();
  close_implied(name, props);
  push(name, props);
  return depth_ > limit_;
}

void NestingScanner::close_implied(const std::string& name, unsigned props) {
  auto close = [this](std::optional<std::size_t> at) {
    if (at) pop_to(*at, true);
  };
  constexpr unsigned kListItemStop = kSpecial;  // (address, div and p aside: close enough)
  if ((props & kClosesP) != 0) close(find_open({"p"}, kScopeBoundary | kButton));
  if (name == "li") close(find_open({"li"}, kListItemStop));
  if (name == "dd" || name == "dt") close(find_open({"dd", "dt"}, kListItemStop));
  if (name == "option" || name == "optgroup") close(find_open({"option"}, 0));
  if (name == "td" || name == "th") close(find_open({"td", "th"}, kTableScope));
  if (name == "tr") close(find_open({"tr"}, kTableScope));
  if (name == "tbody" || name == "thead" || name == "tfoot") close(find_open({"tbody", "thead", "tfoot"}, kTableScope));
  if (name == "button") close(find_open({"button"}, kScopeBoundary));
  if (name == "a") close(find_open({"a"}, kSpecial));
}

void NestingScanner::end_tag(const std::string& name) {
  if (name == "html" || name == "head" || name == "body") return;
  const unsigned props = tag_props(name);
  unsigned stop = kSpecial;  // "any other end tag", and formatting ones without a furthest block
  if ((props & kTablePart) != 0) {
    stop = kTableScope;
  } else if ((props & (kSpecial | kFormatting)) == kSpecial) {
    stop = name == "p" ? kScopeBoundary | kButton : kScopeBoundary;
  }
  if (auto at = find_open({name}, stop)) pop_to(*at, (props & kFormatting) == 0);
}

std::optional<std::size_t> NestingScanner::find_open(std::initializer_list<std::string_view> names,
                                                     unsigned stop) const {
  const bool any = std::any_of(names.begin(), names.end(), [this](std::string_view n) {
    const auto it = counts_.find(std::string(n));
    return it != counts_.end() && it->second > 0;
  });
  if (!any) return std::nullopt;
  for (std::size_t i = open_.size(), seen = 0; i-- > 0 && seen < kMaxSearch; ++seen) {
    if (std::find(names.begin(), names.end(), open_[i].name) != names.end()) return i;
    if (stop == 0 || (open_[i].props & stop) != 0) return std::nullopt;
  }
  return std::nullopt;
}

void NestingScanner::push(std::string name, unsigned props) {
  if ((props & kOmissible) == 0) ++depth_;
  if ((props & kForeign) != 0) ++foreign_;
  ++counts_[name];
  open_.push_back({std::move(name), props});
}

/// Pops open_[index] and everything above it. Formatting elements closed
/// implicitly come back at the next text, as the tree builder's list of
/// active formatting elements makes them.
void NestingScanner::pop_to(std::size_t index, bool reopen_formatting) {
  while (open_.size() > index) {
    Open& top = open_.back();
    if ((top.props & kOmissible) == 0) --depth_;
    if ((top.props & kForeign) != 0) --foreign_;
    --counts_[top.name];
    if (reopen_formatting && open_.size() - 1 > index && (top.props & kFormatting) != 0) {
      reopen_.push_back(std::move(top));
    }
    open_.pop_back();
  }
}

void NestingScanner::reconstruct() {
  for (auto it = reopen_.rbegin(); it != reopen_.rend(); ++it) push(std::move(it->name), it->props);
  reopen_.clear();
}

// ---- bounded parsing -----------------------------------------------------

/// Owns every allocation gumbo makes while parsing one page. Freeing them all
/// at once replaces gumbo_destroy_output, which recurses once per level of
/// nesting; and a parse that runs over its time or memory budget is abandoned
/// from inside the allocator with longjmp, which is safe because only gumbo's
/// C frames lie between parse_bounded() and the allocator.
class GumboArena {
 public:
  GumboArena(std::chrono::milliseconds budget, std::size_t max_bytes)
      : deadline_(std::chrono::steady_clock::now() + budget), max_bytes_(max_bytes) {
    head_.prev = head_.next = &head_;
  }
  ~GumboArena() {
    for (Header* h = head_.next; h != &head_;) {
      Header* next = h->next;
      std::free(h);  // NOLINT(cppcoreguidelines-no-malloc): gumbo's allocator contract is malloc-like
      h = next;
    }
  }
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;

  GumboOptions options() {
    GumboOptions o = kGumboDefaultOptions;
    o.allocator = &GumboArena::allocate;
    o.deallocator = &GumboArena::deallocate;
    o.userdata = this;
    return o;
  }
  std::jmp_buf& abort_point() { return abort_; }

 private:
  struct alignas(std::max_align_t) Header {
    Header* prev;
    Header* next;
    std::size_t size;
  };
  static void* allocate(void* self, std::size_t size);
  static void deallocate(void* self, void* ptr);

  Header head_{};
  std::chrono::steady_clock::time_point deadline_;
  std::size_t max_bytes_;
  std::size_t live_bytes_ = 0;
  std::size_t calls_ = 0;
  std::jmp_buf abort_{};
};

void* GumboArena::allocate(void* self, std::size_t size) {
  auto& a = *static_cast<GumboArena*>(self);
  const bool late = ++a.calls_ % 64 == 0 && std::chrono::steady_clock::now() > a.deadline_;
  const bool over = a.live_bytes_ + size > a.max_bytes_;
  void* raw = late || over ? nullptr : std::malloc(sizeof(Header) + size);  // NOLINT(cppcoreguidelines-no-malloc)
  if (raw == nullptr) std::longjmp(a.abort_, 1);
  auto* h = static_cast<Header*>(raw);
  h->size = size;
  h->prev = &a.head_;
  h->next = a.head_.next;
  a.head_.next->prev = h;
  a.head_.next = h;
  a.live_bytes_ += size;
  return h + 1;
}

void GumboArena::deallocate(void* self, void* ptr) {
  if (ptr == nullptr) return;
  auto& a = *static_cast<GumboArena*>(self);
  Header* h = static_cast<Header*>(ptr) - 1;
  h->prev->next = h->next;
  h->next->prev = h->prev;
  a.live_bytes_ -= h->size;
  std::free(h);  // NOLINT(cppcoreguidelines-no-malloc)
}

/// gumbo's tree of `html`, or nullptr when the arena abandoned the parse.
/// Nothing in this frame has a destructor for longjmp to skip.
GumboOutput* parse_bounded(GumboArena& arena, const GumboOptions* options, std::string_view html) {
  const char* data = html.empty() ? "" : html.data();
  if (setjmp(arena.abort_point()) != 0) return nullptr;  // NOLINT(cert-err52-cpp)
  return gumbo_parse_with_options(options, data, html.size());
}

}  // namespace

// ---- public text helpers ------------------------------------------------

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) --n;
  return s.substr(0, n);
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") return sanitize_utf8(bytes.substr(3));
  std::string label = to_lower(trim(charset));
  label.erase(std::remove(label.begin(), label.end(), '"'), label.end());
  static const std::set<std::string_view> kLatin = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",  "latin-1",
                                                     "l1",         "cp819",     "windows-1252", "cp1252", "x-cp1252",
                                                     "us-ascii",   "ascii",     "iso-ir-100"};
  if (kLatin.contains(label)) return decode_windows_1252(bytes);
  return sanitize_utf8(bytes);
}

std::string sniff_meta_charset(std::string_view html) {
  const std::string head = to_lower(html.substr(0, 1024));
  const auto at = head.find("charset=");
  if (at == std::string::npos) return {};
  std::size_t i = at + 8;
  while (i < head.size() && (head[i] == '"' || head[i] == '\'' || head[i] == ' ')) ++i;
  std::size_t end = i;
  while (end < head.size() && (std::isalnum(static_cast<unsigned char>(head[end])) != 0 || head[end] == '-' ||
                               head[end] == '_' || head[end] == '.' || head[end] == ':')) {
    ++end;
  }
  return head.substr(i, end - i);
}

// ---- JSON-LD -----------------------------------------------------------

namespace {

std::string_view strip_schema_prefix(std::string_view s) {
  for (std::string_view p : {"https://schema.org/", "http://schema.org/", "https://www.schema.org/",
                             "http://www.schema.org/", "schema:"}) {
    if (s.substr(0, p.size()) == p) return s.substr(p.size());
  }
  return s;
}

/// LocalBusiness, Store and their common schema.org subtypes.
bool is_business_type(std::string_view t) {
  static const std::set<std::string_view> kTypes = {
      "LocalBusiness", "Store", "AutoPartsStore", "BikeStore", "BookStore", "ClothingStore", "ComputerStore",
      "ConvenienceStore", "DepartmentStore", "ElectronicsStore", "Florist", "FurnitureStore", "GardenStore",
      "GroceryStore", "HardwareStore", "HobbyShop", "HomeGoodsStore", "JewelryStore", "LiquorStore",
      "MensClothingStore", "MobilePhoneStore", "MovieRentalStore", "MusicStore", "OfficeEquipmentStore",
      "OutletStore", "PawnShop", "PetStore", "ShoeStore", "SportingGoodsStore", "TireShop", "ToyStore",
      "WholesaleStore", "ShoppingCenter", "MedicalBusiness", "Pharmacy", "MedicalClinic", "Physician", "Optician",
      "HealthAndBeautyBusiness", "BeautySalon", "DaySpa", "HairSalon", "HealthClub", "NailSalon", "TattooParlor",
      "FoodEstablishment", "Restaurant", "CafeOrCoffeeShop", "Bakery", "BarOrPub", "Brewery", "Distillery",
      "FastFoodRestaurant", "IceCreamShop", "Winery", "ProfessionalService", "EntertainmentBusiness",
      "AutomotiveBusiness", "FinancialService", "HomeAndConstructionBusiness", "LodgingBusiness",
      "SportsActivityLocation", "TravelAgency", "ChildCare", "Dentist", "DryCleaningOrLaundry", "LegalService",
      "RealEstateAgent", "SelfStorage", "InternetCafe", "AnimalShelter", "RecyclingCenter"};
  return kTypes.contains(t);
}

std::optional<std::string> business_type(const json::object& o) {
  const json::value* t = o.if_contains("@type");
  if (t == nullptr) return std::nullopt;
  if (t->is_string()) {
    const std::string_view name = strip_schema_prefix(t->get_string());
    if (is_business_type(name)) return std::string(name);
  } else if (t->is_array()) {
    for (const auto& e : t->get_array()) {
      if (!e.is_string()) continue;
      const std::string_view name = strip_schema_prefix(e.get_string());
      if (is_business_type(name)) return std::string(name);
    }
  }
  return std::nullopt;
}

/// A JSON-LD value as one line of text: strings, numbers (postal codes),
/// the first usable array element, or an object's @value/name/@id.
std::string text_value(const json::value* v, int depth = 0) {
  if (v == nullptr || depth > 4) return {};
  if (v->is_string()) return collapse(v->get_string(), kMaxField);
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (auto s = text_value(&e, depth + 1); !s.empty()) return s;
    }
  } else if (v->is_object()) {
    const auto& o = v->get_object();
    for (const char* key : {"@value", "name", "@id"}) {
      if (auto s = text_value(o.if_contains(key), depth + 1); !s.empty()) return s;
    }
  }
  return {};
}

void read_address(const json::value* v, JsonLdBusiness& b) {
  if (v != nullptr && v->is_array() && !v->get_array().empty()) v = &v->get_array().front();
  if (v == nullptr) return;
  if (v->is_string()) {
    b.street = collapse(v->get_string(), kMaxField);
    return;
  }
  if (!v->is_object()) return;
  const auto& o = v->get_object();
  b.street = text_value(o.if_contains("streetAddress"));
  b.locality = text_value(o.if_contains("addressLocality"));
  b.region = text_value(o.if_contains("addressRegion"));
  b.postal_code = text_value(o.if_contains("postalCode"));
  b.country = text_value(o.if_contains("addressCountry"));
}

/// 0..6 for Monday..Sunday, 7 for public holidays; from "Monday", "Mo",
/// "Mon", "https://schema.org/Monday", ...
std::optional<int> day_index(std::string_view s) {
  static constexpr std::array<std::string_view, 8> kDays = {"monday", "tuesday",  "wednesday", "thursday",
                                                            "friday", "saturday", "sunday",    "publicholidays"};
  const std::string d = to_lower(trim(strip_schema_prefix(trim(s))));
  if (d.size() < 2) return std::nullopt;
  for (std::size_t i = 0; i < kDays.size(); ++i) {
    if (kDays[i].substr(0, d.size()) == d) return static_cast<int>(i);
  }
  return std::nullopt;
}

/// "09:00:00" and "09:00:00+02:00" become "09:00".
std::string hhmm(const json::value* v) {
  const std::string t = text_value(v);
  const bool clock = t.size() >= 5 && std::isdigit(static_cast<unsigned char>(t[0])) != 0 &&
                     std::isdigit(static_cast<unsigned char>(t[1])) != 0 && t[2] == ':';
  return clock ? t.substr(0, 5) : t.substr(0, 20);
}

/// {0,1,2,3,4,5,7} becomes "Mo-Sa,PH".
std::string format_days(const std::set<int>& days) {
  static constexpr std::array<std::string_view, 8> kAbbrev = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "PH"};
  std::string out;
  for (int d = 0; d < 8; ++d) {
    if (!days.contains(d)) continue;
    int last = d;
    while (d < 6 && last < 6 && days.contains(last + 1)) ++last;
    if (!out.empty()) out += ',';
    out += kAbbrev[static_cast<std::size_t>(d)];
    if (last > d) {
      out += '-';
      out += kAbbrev[static_cast<std::size_t>(last)];
    }
    d = last;
  }
  return out;
}

struct HoursGroup {
  std::string opens, closes;
  std::set<int> days;
};

void add_specification(const json::object& spec, std::vector<HoursGroup>& groups) {
  const std::string opens = hhmm(spec.if_contains("opens")), closes = hhmm(spec.if_contains("closes"));
  if (opens.empty() && closes.empty()) return;
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&](const HoursGroup& g) { return g.opens == opens && g.closes == closes; });
  if (it == groups.end()) it = groups.insert(groups.end(), HoursGroup{opens, closes, {}});
  const json::value* dow = spec.if_contains("dayOfWeek");
  if (dow == nullptr) return;
  const json::array single = dow->is_array() ? json::array{} : json::array{*dow};
  for (const auto& d : dow->is_array() ? dow->get_array() : single) {
    if (!d.is_string()) continue;
    if (auto i = day_index(d.get_string())) it->days.insert(*i);
  }
}

/// openingHoursSpecification entries become lines in openingHours' own
/// syntax, days with the same hours merged: "Mo-Sa 09:00-21:00", "Su closed".
std::vector<std::string> hours_from_specification(const json::value& v) {
  std::vector<HoursGroup> groups;
  if (v.is_object()) add_specification(v.get_object(), groups);
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (e.is_object()) add_specification(e.get_object(), groups);
    }
  }
  std::vector<std::string> lines;
  for (const auto& g : groups) {
    std::string line = format_days(g.days);
    if (!line.empty()) line += ' ';
    line += g.opens == "00:00" && g.closes == "00:00" ? "closed" : g.opens + "-" + g.closes;
    lines.push_back(std::move(line));
  }
  return lines;
}

void read_hours(const json::object& o, JsonLdBusiness& b) {
  auto add = [&b](std::string line) {
    if (!line.empty() && b.opening_hours.size() < kMaxHoursLines &&
        std::find(b.opening_hours.begin(), b.opening_hours.end(), line) == b.opening_hours.end()) {
      b.opening_hours.push_back(std::move(line));
    }
  };
  if (const json::value* h = o.if_contains("openingHours")) {
    if (h->is_string()) add(collapse(h->get_string(), kMaxField));
    if (h->is_array()) {
      for (const auto& e : h->get_array()) {
        if (e.is_string()) add(collapse(e.get_string(), kMaxField));
      }
    }
  }
  if (const json::value* s = o.if_contains("openingHoursSpecification")) {
    for (auto& line : hours_from_specification(*s)) add(std::move(line));
  }
}

JsonLdBusiness read_business(const json::object& o, std::string type) {
  JsonLdBusiness b;
  b.type = std::move(type);
  b.name = text_value(o.if_contains("name"));
  b.telephone = text_value(o.if_contains("telephone"));
  b.url = text_value(o.if_contains("url"));
  read_address(o.if_contains("address"), b);
  read_hours(o, b);
  return b;
}

class BusinessCollector {
 public:
  void visit(const json::value& v, int depth) {
    if (depth > 64 || out_.size() >= kMaxBusinesses) return;
    if (v.is_array()) {
      for (const auto& e : v.get_array()) visit(e, depth + 1);
      return;
    }
    if (!v.is_object()) return;
    const auto& o = v.get_object();
    if (auto type = business_type(o)) add(read_business(o, std::move(*type)));
    for (const auto& kv : o) {
      if (kv.key() != "@context") visit(kv.value(), depth + 1);  // @graph, nested locations, departments
    }
  }
  std::vector<JsonLdBusiness> take() { return std::move(out_); }

 private:
  void add(JsonLdBusiness b) {
    const json::value j = to_json(b);
    for (const auto& seen : out_) {
      if (to_json(seen) == j) return;  // the same business listed twice (page and @graph)
    }
    out_.push_back(std::move(b));
  }
  std::vector<JsonLdBusiness> out_;
};

/// Sites wrap JSON-LD in HTML comments or CDATA sections now and then.
std::string_view unwrap_script(std::string_view s) {
  s = trim(s);
  for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"<!--", "-->"}, {"<![CDATA[", "]]>"},
                             {"//<![CDATA[", "//]]>"}}) {
    if (s.substr(0, open.size()) == open && s.size() >= open.size() + close.size() &&
        s.substr(s.size() - close.size()) == close) {
      s = trim(s.substr(open.size(), s.size() - open.size() - close.size()));
    }
  }
  return s;
}

}  // namespace

std::vector<JsonLdBusiness> businesses_from_json_ld(const json::value& doc) {
  BusinessCollector c;
  c.visit(doc, 0);
  return c.take();
}

// ---- links and the page walk ----------------------------------------------

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

/// The absolute form of `href` when it stays on the page's site (same host,
/// www. aside; same port unless both use their scheme's default), http(s)
/// only, without credentials or fragment.
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
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::system::error_code ec;
  const json::value doc = json::parse(unwrap_script(body), ec, {}, options);
  if (ec) return;  // broken JSON-LD is common; the rest of the page still counts
  BusinessCollector c;
  c.visit(doc, 0);
  for (auto& b : c.take()) {
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
  const std::string_view kept = html.substr(0, NestingScanner(limits.max_nesting).cut(html));
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
