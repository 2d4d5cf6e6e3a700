// schema.org businesses read straight from one JSON-LD script's text (the page
// walk around it is tested in html_extract_test).

#include "analyzer/json_ld.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer/html_extract.hpp"

namespace winston::analyzer {
namespace {

using Lines = std::vector<std::string>;

TEST(JsonLd, UnwrapsCommentsAndCdataAndToleratesTrailingCommas) {
  for (const char* script : {"<!-- {\"@type\":\"Store\",\"name\":\"A\",} -->",
                             "<![CDATA[ {\"@type\":\"Store\",\"name\":\"A\"} ]]>",
                             "//<![CDATA[\n{\"@type\":\"Store\",\"name\":\"A\"}\n//]]>",
                             "/* a comment */ {\"@type\":\"Store\",\"name\":\"A\"}"}) {
    const auto found = businesses_from_json_ld(script);
    ASSERT_EQ(found.size(), 1U) << script;
    EXPECT_EQ(found[0].name, "A") << script;
  }
  EXPECT_TRUE(businesses_from_json_ld("{\"@type\":\"Store\",\"name\":").empty());
  EXPECT_TRUE(businesses_from_json_ld("").empty());
}

TEST(JsonLd, OnlyBusinessTypesCount) {
  EXPECT_TRUE(businesses_from_json_ld(R"({"@type":"Organization","name":"Org"})").empty());
  EXPECT_TRUE(businesses_from_json_ld(R"({"name":"No type"})").empty());
  const auto found = businesses_from_json_ld(R"({"@type":"https://schema.org/CafeOrCoffeeShop","name":"Cafe"})");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].type, "CafeOrCoffeeShop");
}

TEST(JsonLd, ReadsTextFromNumbersValueObjectsAndArrays) {
  const auto found = businesses_from_json_ld(R"({"@type":"Store","name":{"@value":"Named"},
      "telephone":["", "+1 555 0100"],"address":[{"streetAddress":"1 Main","postalCode":97201,
      "addressCountry":{"@type":"Country","name":"US"}}]})");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].name, "Named");
  EXPECT_EQ(found[0].telephone, "+1 555 0100");
  EXPECT_EQ(found[0].street, "1 Main");
  EXPECT_EQ(found[0].postal_code, "97201");
  EXPECT_EQ(found[0].country, "US");
}

TEST(JsonLd, OpeningHoursSpecificationsAreMergedByHours) {
  const auto found = businesses_from_json_ld(R"({"@type":"Store","openingHoursSpecification":[
      {"dayOfWeek":["Mo","Tue","Wednesday"],"opens":"09:00:00+02:00","closes":"17:00"},
      {"dayOfWeek":"Friday","opens":"09:00","closes":"17:00"},
      {"dayOfWeek":"Sunday","opens":"00:00","closes":"00:00"},
      {"dayOfWeek":"Funday","opens":"10:00","closes":"11:00"}],
      "openingHours":"Sa 10:00-14:00"})");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].opening_hours, (Lines{"Sa 10:00-14:00", "Mo-We,Fr 09:00-17:00", "Su closed", "10:00-11:00"}));
}

TEST(JsonLd, AtMostTheBoundAndEachBusinessOnce) {
  std::string many = "[";
  for (std::size_t i = 0; i < kMaxBusinesses + 5; ++i) {
    many += R"({"@type":"Store","name":"S)" + std::to_string(i) + R"("},{"@type":"Store","name":"S0"},)";
  }
  many.back() = ']';
  const auto found = businesses_from_json_ld(many);
  ASSERT_EQ(found.size(), kMaxBusinesses);
  EXPECT_EQ(found[0].name, "S0");
  EXPECT_EQ(found[1].name, "S1");
}

}  // namespace
}  // namespace winston::analyzer
