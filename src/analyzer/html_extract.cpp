#include "analyzer/html_extract.hpp"

#include <gumbo.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

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

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

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

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one
/// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t valid_sequence(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((c & 0xE0U) == 0xC0U) {
    len = 2, cp = c & 0x1FU, min = 0x80;
  } else if ((c & 0xF0U) == 0xE0U) {
    len = 3, cp = c & 0x0FU, min = 0x800;
  } else if ((c & 0xF8U) == 0xF0U) {
    len = 4, cp = c & 0x07U, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t j = 1; j < len; ++j) {
    const auto b = static_cast<unsigned char>(s[i + j]);
    if ((b & 0xC0U) != 0x80U) return 0;
    cp = (cp << 6U) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/// NUL becomes U+FFFD too: PostgreSQL cannot store it in text or jsonb.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {
      out += s[i++];
    } else if (const std::size_t len = c == 0 ? 0 : valid_sequence(s, i); len > 0) {
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

struct GumboDeleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

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

bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// Elements that do not add nesting: void elements and those whose end tag
/// is implied by the next sibling (a page of unclosed <p>s is not deep).
bool flat_element(std::string_view name) {
  static const std::set<std::string_view> kFlat = {
      "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
      "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
      "colgroup", "rb", "rt", "rtc", "rp", "html", "head", "body", "frame", "keygen", "basefont", "bgsound"};
  return kFlat.contains(name);
}

/// The position of "</name" (any case) at or after `from`, or npos.
std::size_t find_end_tag(std::string_view html, std::string_view name, std::size_t from) {
  for (std::size_t p = html.find("</", from); p != std::string_view::npos; p = html.find("</", p + 2)) {
    const std::string_view candidate = html.substr(p + 2, name.size());
    if (candidate.size() == name.size() && lower(candidate) == name) return p;
  }
  return std::string_view::npos;
}

/// Where `html` first nests deeper than kMaxNesting, by a cheap tag count
/// (raw-text elements and comments skipped); npos when it never does.
std::size_t nesting_cut(std::string_view html) {
  std::size_t depth = 0;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    if (i + 1 >= html.size()) break;
    if (html[i + 1] == '/') {
      if (depth > 0) --depth;
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i + 4);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (!ascii_alpha(html[i + 1])) continue;
    std::size_t end = i + 1;
    while (end < html.size() && std::isalnum(static_cast<unsigned char>(html[end])) != 0) ++end;
    const std::string name = lower(html.substr(i + 1, end - i - 1));
    if (name == "script" || name == "style" || name == "textarea" || name == "xmp") {
      i = find_end_tag(html, name, end);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (!flat_element(name) && ++depth > kMaxNesting) return i;
  }
  return std::string_view::npos;
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
  std::string label = lower(trim(charset));
  label.erase(std::remove(label.begin(), label.end(), '"'), label.end());
  static const std::set<std::string_view> kLatin = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",  "latin-1",
                                                     "l1",         "cp819",     "windows-1252", "cp1252", "x-cp1252",
                                                     "us-ascii",   "ascii",     "iso-ir-100"};
  if (kLatin.contains(label)) return decode_windows_1252(bytes);
  return sanitize_utf8(bytes);
}

std::string sniff_meta_charset(std::string_view html) {
  const std::string head = lower(html.substr(0, 1024));
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
  const std::string d = lower(trim(strip_schema_prefix(trim(s))));
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
  std::string h = lower(u.encoded_host());
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
  const std::string name = lower(attr(n, "name")), property = lower(attr(n, "property"));
  const std::string_view content = attr(n, "content");
  auto keep = [&](std::string& slot, std::size_t cap) {
    if (slot.empty()) slot = collapse(content, cap);
  };
  if (name == "description") keep(description_, kMaxDescription);
  if (property == "og:description" || name == "og:description") keep(og_description_, kMaxDescription);
  if (property == "og:title" || name == "og:title") keep(og_title_, kMaxTitle);
}

void Extractor::script(const GumboNode* n) {
  const std::string type = lower(trim(attr(n, "type").substr(0, attr(n, "type").find(';'))));
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

ParsedPage parse_page(std::string_view html, std::string_view page_url) {
  const std::size_t cut = nesting_cut(html);
  if (cut != std::string_view::npos) html = html.substr(0, cut);
  const std::unique_ptr<GumboOutput, GumboDeleter> doc(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.empty() ? "" : html.data(), html.size()));
  Extractor x(page_url);
  if (doc) x.walk(doc->document);
  ParsedPage out = x.finish();
  out.nesting_cut = cut != std::string_view::npos;
  return out;
}

ExtractedPage extract_page(std::string_view html, std::string_view page_url) {
  return parse_page(html, page_url).page;
}

}  // namespace winston::analyzer
