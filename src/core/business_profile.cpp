#include "core/business_profile.hpp"

#include "core/text.hpp"
#include "core/utf8.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "core/tenant.hpp"

namespace winston {
namespace json = boost::json;
namespace {

// Decisions, written down because templates rely on them:
// - Invalid UTF-8 is REJECTED, not repaired. The input is the LLM's answer
//   (a rejection earns it one retry with the reason) or an operator's edit;
//   silently replacing bytes would hide a broken producer. Callers that hold
//   untrusted site text (the extracted fallback) repair before calling.
// - C0/C1 control characters are stripped, except newline and tab in the
//   multi-line fields (summary, audience, tone_of_voice); carriage returns
//   go, so CRLF becomes LF. Single-line fields collapse every whitespace run
//   (newlines included) into one space. Bidirectional override characters
//   are stripped too: they make text read differently from what it is.
// - Nothing is escaped: quotes, backslashes, `${`, Markdown stay as data for
//   the template layer to escape for its own output format.
// - Over-long strings and lists are rejected (strict), after trimming and
//   de-duplication, so an answer is either accepted whole or retried.

constexpr int kMinAge = 0;
constexpr int kMaxAge = 99;
constexpr int kCannabisMinimumAge = 21;

bool is_stripped(std::uint32_t cp) {
  if (cp == '\n' || cp == '\t') return false;  // single-line fields turn them into spaces below
  const bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
  const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
  return control || bidi;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'; }


std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/// The normalised text, or nullopt when `s` is not valid UTF-8.
std::optional<std::string> normalise(std::string_view s, bool multiline) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Char d = decode_utf8(s, i);
    if (d.length == 0) return std::nullopt;
    if (!is_stripped(d.cp)) out.append(s.substr(i, d.length));
    i += d.length;
  }
  // \r is gone already (a control character), so trim's set matches is_space.
  return std::string(trim(multiline ? out : collapse_spaces(out)));
}



bool is_cannabis_industry(std::string_view industry) {
  const std::string l = to_lower(industry);
  return l.find("cannabis") != std::string::npos || l.find("dispensar") != std::string::npos ||
         l.find("marijuana") != std::string::npos;
}

/// Typed, path-aware access to one JSON object of the profile.
class Fields {
 public:
  Fields(const json::object& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string path(std::string_view key) const { return prefix_ + std::string(key); }

  /// Absent and null read as missing: models write null for "unknown".
  const json::value* find(std::string_view key) const {
    const auto* v = obj_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }

  Result<std::string> text(std::string_view key, bool multiline = false, bool required = false) const {
    const auto* v = find(key);
    if (!v) {
      if (required) return Error::invalid(path(key), path(key) + " is required");
      return std::string();
    }
    if (!v->is_string()) return Error::invalid(path(key), path(key) + " must be a string");
    WINSTON_TRY_ASSIGN(auto s, clean(key, v->as_string(), multiline));
    if (required && s.empty()) return Error::invalid(path(key), path(key) + " must not be empty");
    return s;
  }

  Result<std::vector<std::string>> list(std::string_view key) const {
    std::vector<std::string> out;
    const auto* v = find(key);
    if (!v) return out;
    if (!v->is_array()) return Error::invalid(path(key), path(key) + " must be an array of strings");
    std::set<std::string> seen;  // case-insensitive duplicates ("Flower", "flower") keep the first spelling
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) return Error::invalid(path(key), path(key) + " must contain only strings");
      WINSTON_TRY_ASSIGN(auto s, clean(key, item.as_string(), false));
      if (!s.empty() && seen.insert(to_lower(s)).second) out.push_back(std::move(s));
    }
    if (out.size() > kProfileMaxListItems) {
      return Error::invalid(path(key), path(key) + " must have at most " + std::to_string(kProfileMaxListItems) +
                                           " distinct items");
    }
    return out;
  }

  Result<bool> flag(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return false;
    if (!v->is_bool()) return Error::invalid(path(key), path(key) + " must be true or false");
    return v->as_bool();
  }

  /// An integer in [lo, hi]; an integral double (21.0) is accepted.
  Result<std::optional<int>> integer(std::string_view key, int lo, int hi) const {
    const auto* v = find(key);
    if (!v) return std::optional<int>{};
    const auto bad = Error::invalid(path(key), path(key) + " must be an integer from " + std::to_string(lo) +
                                                   " to " + std::to_string(hi));
    boost::system::error_code ec;
    const auto n = v->is_number() ? v->to_number<std::int64_t>(ec) : std::int64_t{0};
    if (!v->is_number() || ec || n < lo || n > hi) return bad;
    return std::optional<int>{static_cast<int>(n)};
  }

  Result<std::optional<Fields>> object(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::optional<Fields>{};
    if (!v->is_object()) return Error::invalid(path(key), path(key) + " must be an object");
    return std::optional<Fields>{Fields(v->as_object(), path(key) + ".")};
  }

 private:
  Result<std::string> clean(std::string_view key, const json::string& raw, bool multiline) const {
    auto s = normalise(std::string_view(raw.data(), raw.size()), multiline);
    if (!s) return Error::invalid(path(key), path(key) + " must be valid UTF-8");
    if (utf8_length(*s) > kProfileMaxText) {
      return Error::invalid(path(key),
                            path(key) + " must be at most " + std::to_string(kProfileMaxText) + " characters");
    }
    return std::move(*s);
  }

  const json::object& obj_;
  std::string prefix_;
};

// A site URL without a scheme ("greenleaf.example.com/menu") gets https://;
// anything else must pass the tenant website rules (http or https, a real
// host, no credentials), so a template never links to javascript: or file:.
Result<std::string> website(const Fields& f) {
  WINSTON_TRY_ASSIGN(auto url, f.text("website"));
  if (url.empty()) return url;
  const auto colon = url.find(':');
  const bool has_scheme = colon != std::string::npos && url.substr(0, colon).find_first_of("./") == std::string::npos;
  if (!has_scheme) url = "https://" + url;
  auto valid = validate_website_url("website", url);
  if (!valid.ok()) return Error::invalid("website", "website must be an http or https URL like https://example.com");
  return valid;
}

Result<BusinessLocation> location_from(const Fields& f) {
  BusinessLocation loc;
  WINSTON_TRY_ASSIGN(auto obj, f.object("location"));
  if (!obj) return loc;
  WINSTON_TRY_ASSIGN(loc.address, obj->text("address"));
  WINSTON_TRY_ASSIGN(loc.city, obj->text("city"));
  WINSTON_TRY_ASSIGN(loc.region, obj->text("region"));
  WINSTON_TRY_ASSIGN(loc.postal_code, obj->text("postal_code"));
  WINSTON_TRY_ASSIGN(loc.country, obj->text("country"));
  return loc;
}

Result<ComplianceNotes> compliance_from(const Fields& f, std::string_view industry) {
  ComplianceNotes c;
  c.minimum_age = is_cannabis_industry(industry) ? kCannabisMinimumAge : 0;
  WINSTON_TRY_ASSIGN(auto obj, f.object("compliance"));
  if (!obj) return c;
  WINSTON_TRY_ASSIGN(auto age, obj->integer("minimum_age", kMinAge, kMaxAge));
  if (age) c.minimum_age = *age;
  WINSTON_TRY_ASSIGN(c.prohibited_claims, obj->list("prohibited_claims"));
  WINSTON_TRY_ASSIGN(c.rules, obj->list("rules"));
  return c;
}

json::object text_property(std::string description, bool multiline = false) {
  // Single-line fields have newlines folded into spaces on reading; say so rather than use a pattern.
  if (!multiline) description += " (one line)";
  return {{"type", "string"}, {"maxLength", kProfileMaxText}, {"description", std::move(description)}};
}

json::object list_property(std::string description) {
  return {{"type", "array"},
          {"maxItems", kProfileMaxListItems},
          {"uniqueItems", true},
          {"items", text_property("one item")},
          {"description", std::move(description)}};
}

json::object build_schema() {
  json::object location{{"type", "object"},
                        {"properties", json::object{{"address", text_property("street line")},
                                                    {"city", text_property("city")},
                                                    {"region", text_property("state or province, e.g. CA")},
                                                    {"postal_code", text_property("postal code")},
                                                    {"country", text_property("country code, e.g. US")}}}};
  json::object compliance{
      {"type", "object"},
      {"properties",
       json::object{{"minimum_age", json::object{{"type", "integer"}, {"minimum", kMinAge}, {"maximum", kMaxAge},
                                                 {"description", "21 for adult-use cannabis"}}},
                    {"prohibited_claims", list_property("what the business must never claim or promise")},
                    {"rules", list_property("state or local rules stated on the site")}}}};
  json::object props{
      {"business_name", text_property("the business's public name")},
      {"industry", text_property("e.g. cannabis dispensary")},
      {"summary", text_property("one short paragraph about the business", true)},
      {"location", std::move(location)},
      {"phone", text_property("public phone number")},
      {"website", text_property("http(s) URL of the site")},
      {"hours", list_property("opening hours, one line per day range, e.g. Mon-Sat 9:00-21:00")},
      {"products", list_property("product categories, e.g. flower, edibles")},
      {"services", list_property("services actually offered, e.g. in-store pickup")},
      {"audience", text_property("who the customers are", true)},
      {"tone_of_voice", text_property("how the business speaks to customers", true)},
      {"compliance", std::move(compliance)},
      {"offers_delivery", json::object{{"type", "boolean"}}},
      {"offers_online_ordering", json::object{{"type", "boolean"}}}};
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"title", "BusinessProfile"},
          {"type", "object"},
          {"required", json::array{"business_name", "industry"}},
          {"properties", std::move(props)}};
}

json::array to_array(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }

}  // namespace

Result<BusinessProfile> profile_from_json(const json::value& v) {
  if (!v.is_object()) return Error::invalid("profile", "a business profile must be a JSON object");
  const Fields f(v.as_object(), "");
  BusinessProfile p;
  WINSTON_TRY_ASSIGN(p.business_name, f.text("business_name", false, true));
  WINSTON_TRY_ASSIGN(p.industry, f.text("industry", false, true));
  WINSTON_TRY_ASSIGN(p.summary, f.text("summary", true));
  WINSTON_TRY_ASSIGN(p.location, location_from(f));
  WINSTON_TRY_ASSIGN(p.phone, f.text("phone"));
  WINSTON_TRY_ASSIGN(p.website, website(f));
  WINSTON_TRY_ASSIGN(p.hours, f.list("hours"));
  WINSTON_TRY_ASSIGN(p.products, f.list("products"));
  WINSTON_TRY_ASSIGN(p.services, f.list("services"));
  WINSTON_TRY_ASSIGN(p.audience, f.text("audience", true));
  WINSTON_TRY_ASSIGN(p.tone_of_voice, f.text("tone_of_voice", true));
  WINSTON_TRY_ASSIGN(p.compliance, compliance_from(f, p.industry));
  WINSTON_TRY_ASSIGN(p.offers_delivery, f.flag("offers_delivery"));
  WINSTON_TRY_ASSIGN(p.offers_online_ordering, f.flag("offers_online_ordering"));
  return p;
}

json::object to_json(const BusinessProfile& p) {
  const auto& l = p.location;
  return {{"business_name", p.business_name},
          {"industry", p.industry},
          {"summary", p.summary},
          {"location", json::object{{"address", l.address},
                                    {"city", l.city},
                                    {"region", l.region},
                                    {"postal_code", l.postal_code},
                                    {"country", l.country}}},
          {"phone", p.phone},
          {"website", p.website},
          {"hours", to_array(p.hours)},
          {"products", to_array(p.products)},
          {"services", to_array(p.services)},
          {"audience", p.audience},
          {"tone_of_voice", p.tone_of_voice},
          {"compliance", json::object{{"minimum_age", p.compliance.minimum_age},
                                      {"prohibited_claims", to_array(p.compliance.prohibited_claims)},
                                      {"rules", to_array(p.compliance.rules)}}},
          {"offers_delivery", p.offers_delivery},
          {"offers_online_ordering", p.offers_online_ordering}};
}

const json::object& business_profile_schema() {
  static const json::object kSchema = build_schema();
  return kSchema;
}

}  // namespace winston
