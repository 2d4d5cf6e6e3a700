#include "analyzer/json_ld.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <string>

#include "analyzer/html_extract.hpp"
#include "analyzer/html_text.hpp"
#include "core/text.hpp"

namespace winston::analyzer {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxField = 500;
constexpr std::size_t kMaxHoursLines = 30;

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

std::vector<JsonLdBusiness> businesses_from_json_ld(std::string_view script) {
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::system::error_code ec;
  const json::value doc = json::parse(unwrap_script(script), ec, {}, options);
  if (ec) return {};  // broken JSON-LD is common; the rest of the page still counts
  BusinessCollector c;
  c.visit(doc, 0);
  return c.take();
}

}  // namespace winston::analyzer
