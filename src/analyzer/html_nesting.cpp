#include "analyzer/html_nesting.hpp"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/text.hpp"

namespace winston::analyzer {
namespace {

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
    while (name_end < html.size() && kAsciiSpace.find(html[name_end]) == std::string_view::npos &&
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

}  // namespace

std::size_t nesting_cut(std::string_view html, std::size_t max_nesting) {
  return NestingScanner(max_nesting).cut(html);
}

}  // namespace winston::analyzer
