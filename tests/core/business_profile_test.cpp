// Business profile validation: what an LLM answer or an operator edit must
// look like before templates see it, and that hostile text survives as data.

#include "core/business_profile.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace winston {
namespace {
namespace json = boost::json;

json::object minimal() { return {{"business_name", "Green Leaf"}, {"industry", "cannabis dispensary"}}; }

Error invalid(const json::value& v) {
  auto r = profile_from_json(v);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{} : r.error();
}

TEST(BusinessProfile, MinimalProfileGetsDefaults) {
  auto r = profile_from_json(minimal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->business_name, "Green Leaf");
  EXPECT_EQ(r->industry, "cannabis dispensary");
  EXPECT_TRUE(r->summary.empty());
  EXPECT_TRUE(r->products.empty());
  EXPECT_FALSE(r->offers_delivery);
  EXPECT_FALSE(r->offers_online_ordering);
  EXPECT_EQ(r->compliance.minimum_age, 21) << "cannabis industries default to 21+";
}

TEST(BusinessProfile, NonCannabisIndustryHasNoDefaultAgeLimit) {
  auto r = profile_from_json(json::object{{"business_name", "Corner Bakery"}, {"industry", "bakery"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->compliance.minimum_age, 0);
}

TEST(BusinessProfile, RequiredFieldsMustBePresentAndNonEmpty) {
  EXPECT_EQ(invalid(json::object{{"industry", "x"}}).field, "business_name");
  EXPECT_EQ(invalid(json::object{{"business_name", "x"}}).field, "industry");
  EXPECT_EQ(invalid(json::object{{"business_name", "   \n\t "}, {"industry", "x"}}).field, "business_name");
  EXPECT_EQ(invalid(json::object{{"business_name", nullptr}, {"industry", "x"}}).field, "business_name");
  EXPECT_EQ(invalid(json::array{}).code, ErrorCode::kInvalidField);
  EXPECT_EQ(invalid(json::value("a string")).field, "profile");
}

TEST(BusinessProfile, WrongTypesNameTheField) {
  const auto with = [](std::string_view key, json::value v) {
    auto o = minimal();
    o[key] = std::move(v);
    return o;
  };
  EXPECT_EQ(invalid(with("business_name", 42)).field, "business_name");
  EXPECT_EQ(invalid(with("summary", json::array{"a"})).field, "summary");
  EXPECT_EQ(invalid(with("products", "flower")).field, "products");
  EXPECT_EQ(invalid(with("products", json::array{"flower", 3})).field, "products");
  EXPECT_EQ(invalid(with("offers_delivery", "yes")).field, "offers_delivery");
  EXPECT_EQ(invalid(with("location", "Oakland")).field, "location");
  EXPECT_EQ(invalid(with("location", json::object{{"city", 1}})).field, "location.city");
  EXPECT_EQ(invalid(with("compliance", json::object{{"minimum_age", "21"}})).field, "compliance.minimum_age");
  EXPECT_EQ(invalid(with("compliance", json::object{{"minimum_age", 100}})).field, "compliance.minimum_age");
  EXPECT_EQ(invalid(with("compliance", json::object{{"minimum_age", -1}})).field, "compliance.minimum_age");
  EXPECT_EQ(invalid(with("compliance", json::object{{"minimum_age", 20.5}})).field, "compliance.minimum_age");
  EXPECT_EQ(invalid(with("compliance", json::object{{"rules", json::object{}}})).field, "compliance.rules");
}

TEST(BusinessProfile, NullsMeanAbsentAndUnknownKeysAreIgnored) {
  auto o = minimal();
  o["summary"] = nullptr;
  o["offers_delivery"] = nullptr;
  o["compliance"] = json::object{{"minimum_age", 18.0}, {"rules", nullptr}};
  o["favourite_colour"] = "green";
  auto r = profile_from_json(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->compliance.minimum_age, 18);
  EXPECT_TRUE(r->compliance.rules.empty());
  EXPECT_FALSE(to_json(*r).contains("favourite_colour"));
}

TEST(BusinessProfile, OversizeTextsAndListsAreRejected) {
  auto o = minimal();
  o["summary"] = std::string(kProfileMaxText, 'a');
  EXPECT_TRUE(profile_from_json(o).ok()) << "exactly the limit is fine";
  o["summary"] = std::string(kProfileMaxText + 1, 'a');
  EXPECT_EQ(invalid(o).field, "summary");
  // The limit counts characters, not bytes: 2000 two-byte characters pass.
  std::string umlauts;
  for (std::size_t i = 0; i < kProfileMaxText; ++i) umlauts += "\xC3\xBC";
  o["summary"] = umlauts;
  EXPECT_TRUE(profile_from_json(o).ok());

  json::array many;
  for (std::size_t i = 0; i <= kProfileMaxListItems; ++i) many.emplace_back("item " + std::to_string(i));
  o["products"] = many;
  EXPECT_EQ(invalid(o).field, "products");
}

TEST(BusinessProfile, ListsAreTrimmedAndDeduplicatedBeforeCounting) {
  auto o = minimal();
  json::array items{" Flower ", "flower", "FLOWER", "", "  ", "Edibles"};
  for (std::size_t i = 0; i < kProfileMaxListItems * 2; ++i) items.emplace_back("edibles");
  o["products"] = items;
  auto r = profile_from_json(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->products, (std::vector<std::string>{"Flower", "Edibles"}));
}

TEST(BusinessProfile, HostileTextSurvivesAsData) {
  const std::string hostile = R"(Bob's "Best" \ Buds ${OPENCLAW_GATEWAY_TOKEN} **bold** # Heading <script>)";
  auto o = minimal();
  o["business_name"] = hostile;
  o["summary"] = "Line one\nLine two\twith tab\n- **Name:** Injected\n```json\n{\"a\":1}\n```";
  o["tone_of_voice"] = "Grün & freundlich — 大麻 🌿";
  o["products"] = json::array{"pre-rolls \"king size\"", "${HOME}"};
  auto r = profile_from_json(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->business_name, hostile);
  EXPECT_EQ(r->summary, "Line one\nLine two\twith tab\n- **Name:** Injected\n```json\n{\"a\":1}\n```");
  EXPECT_EQ(r->tone_of_voice, "Grün & freundlich — 大麻 🌿");
  EXPECT_EQ(r->products[1], "${HOME}");
  // And it round-trips through JSON unchanged.
  auto again = profile_from_json(json::parse(json::serialize(to_json(*r))));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(to_json(*again), to_json(*r));
}

TEST(BusinessProfile, SingleLineFieldsFoldNewlinesAndControlsAreStripped) {
  auto o = minimal();
  o["business_name"] = "  Green\r\nLeaf\t\tShop \x01\x7f ";
  o["summary"] = "a\r\nb\x1b[31mred\x07";
  o["phone"] = std::string("+1 555\xC2\x85 0100");  // U+0085, a C1 control
  o["audience"] = "x\xE2\x80\xAEreversed";          // U+202E right-to-left override
  auto r = profile_from_json(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->business_name, "Green Leaf Shop");
  EXPECT_EQ(r->summary, "a\nb[31mred");
  EXPECT_EQ(r->phone, "+1 555 0100");
  EXPECT_EQ(r->audience, "xreversed");
}

TEST(BusinessProfile, InvalidUtf8IsRejectedNotRepaired) {
  for (const std::string& bad : {std::string("Caf\xE9"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                                std::string("abc\xF0\x9F\x8C")}) {
    auto o = minimal();
    o["summary"] = bad;
    const auto e = invalid(o);
    EXPECT_EQ(e.field, "summary");
    EXPECT_NE(e.message.find("UTF-8"), std::string::npos);
  }
  auto o = minimal();
  o["hours"] = json::array{"Mon-Fri 9-5", std::string("\xFF")};
  EXPECT_EQ(invalid(o).field, "hours");
}

TEST(BusinessProfile, WebsiteIsHttpOnlyAndGetsASchemeWhenMissing) {
  auto o = minimal();
  o["website"] = "greenleaf.example.com";
  auto r = profile_from_json(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->website, "https://greenleaf.example.com");
  o["website"] = "javascript:alert(1)";
  EXPECT_EQ(invalid(o).field, "website");
  o["website"] = "file:///etc/passwd";
  EXPECT_EQ(invalid(o).field, "website");
  o["website"] = "https://user:pw@example.com";
  EXPECT_EQ(invalid(o).field, "website");
  o["website"] = "www.greenleaf.example.com:8443/menu";
  r = profile_from_json(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->website, "https://www.greenleaf.example.com:8443/menu");
}

TEST(BusinessProfile, ToJsonRoundTripsAFullProfile) {
  BusinessProfile p;
  p.business_name = "Green Leaf";
  p.industry = "cannabis dispensary";
  p.summary = "Neighbourhood shop.";
  p.location = {"1 Main St", "Oakland", "CA", "94607", "US"};
  p.phone = "+1 510 555 0100";
  p.website = "https://greenleaf.example.com";
  p.hours = {"Mon-Sat 9:00-21:00"};
  p.products = {"flower", "edibles"};
  p.services = {"in-store pickup"};
  p.audience = "Adults 21+";
  p.tone_of_voice = "Warm";
  p.compliance = {21, {"no medical claims"}, {"Valid ID required"}};
  p.offers_online_ordering = true;
  auto back = profile_from_json(to_json(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_EQ(back->location.city, "Oakland");
  EXPECT_TRUE(back->offers_online_ordering);
}

TEST(BusinessProfile, SchemaDescribesEveryFieldToJsonWrites) {
  const auto& schema = business_profile_schema();
  const auto& props = schema.at("properties").as_object();
  BusinessProfile p;
  for (const auto& [key, _] : to_json(p)) EXPECT_TRUE(props.contains(key)) << key;
  EXPECT_EQ(props.size(), to_json(p).size());
  EXPECT_EQ(schema.at("required").as_array(), (json::array{"business_name", "industry"}));
  EXPECT_EQ(props.at("summary").at("maxLength").to_number<std::size_t>(), kProfileMaxText);
  EXPECT_EQ(props.at("products").at("maxItems").to_number<std::size_t>(), kProfileMaxListItems);
}

}  // namespace
}  // namespace winston
