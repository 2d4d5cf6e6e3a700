#include "core/tenant.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace winston {
namespace {

TEST(Slug, KeepsAsciiLettersAndDigitsAndCollapsesTheRest) {
  EXPECT_EQ(slugify("Green Leaf Dispensary"), "green-leaf-dispensary");
  EXPECT_EQ(slugify("  --Hello,   World!!  "), "hello-world");
  EXPECT_EQ(slugify("420 Club"), "420-club");
  EXPECT_EQ(slugify("Café Ñandú"), "caf-and");
  EXPECT_EQ(slugify("日本語"), "tenant");
  EXPECT_EQ(slugify(""), "tenant");
}

TEST(Slug, DerivedSlugsAlwaysMatchTheContainerNamePattern) {
  for (const std::string& name : {std::string(300, 'a'), std::string("a-") + std::string(60, 'b'), std::string("x y ") + std::string(38, 'z'),
                                 std::string("'; DROP TABLE tenants; --"), std::string("\xF0\x9F\x8C\xBF weed")}) {
    const auto slug = slugify(name);
    EXPECT_TRUE(validate_slug("slug", slug).ok()) << slug;
    for (int n : {2, 17, 12345}) {
      const auto s = slug_with_suffix(slug, n);
      EXPECT_TRUE(validate_slug("slug", s).ok()) << s;
      EXPECT_TRUE(s.ends_with("-" + std::to_string(n))) << s;
    }
  }
}

TEST(Slug, ValidationRejectsWhatAContainerNameCannotBe) {
  for (const char* bad : {"", "-a", "a-", "A", "a_b", "a.b", "a b", "ä"}) {
    EXPECT_FALSE(validate_slug("slug", bad).ok()) << bad;
  }
  EXPECT_FALSE(validate_slug("slug", std::string(41, 'a')).ok());
  EXPECT_TRUE(validate_slug("slug", std::string(40, 'a')).ok());
  EXPECT_TRUE(validate_slug("slug", "a").ok());
}

TEST(Email, AcceptsOrdinaryAddressesAndLowercasesThem) {
  auto r = validate_email("email", "  Owner+Shop@Green-Leaf.Example.COM ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "owner+shop@green-leaf.example.com");
}

TEST(Email, RejectsMalformedAddressesNamingTheField) {
  for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a b@c.com", "a@-b.com", "a..b@c.com",
                          "a@b..com", "a@b.com'; DROP TABLE tenants;--", "ü@example.com"}) {
    auto r = validate_email("email", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField);
    EXPECT_EQ(r.error().field, "email");
  }
  EXPECT_FALSE(validate_email("email", std::string(250, 'a') + "@b.com").ok());
}

TEST(WebsiteUrl, AcceptsHttpAndHttpsOnly) {
  EXPECT_TRUE(validate_website_url("u", "https://greenleaf.example.com/menu?x=1").ok());
  EXPECT_TRUE(validate_website_url("u", "http://127.0.0.1:8080/").ok());
  EXPECT_TRUE(validate_website_url("u", "HTTPS://Example.com").ok());
  for (const char* bad : {"", "example.com", "ftp://example.com", "javascript:alert(1)", "file:///etc/passwd",
                          "https://user:pw@example.com", "https://", "http://exa mple.com", "https://-bad-.com"}) {
    auto r = validate_website_url("website_url", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "website_url");
  }
}

TEST(Name, AcceptsNonAsciiAndTrims) {
  auto r = validate_name("name", "  Café Ñandú 🌿  ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "Café Ñandú 🌿");
}

TEST(Name, LimitsLengthInCharactersNotBytes) {
  std::string two_hundred_emoji;
  for (int i = 0; i < 200; ++i) two_hundred_emoji += "\xF0\x9F\x8C\xBF";
  EXPECT_TRUE(validate_name("name", two_hundred_emoji).ok());
  EXPECT_FALSE(validate_name("name", two_hundred_emoji + "x").ok());
  EXPECT_FALSE(validate_name("name", std::string(201, 'a')).ok());
}

TEST(Name, RejectsControlCharactersAndInvalidUtf8) {
  for (const std::string& bad : {std::string("a\nb"), std::string("a\x01"), std::string("\xC3"), std::string("\xC0\xAF"),
                                std::string("\xED\xA0\x80"), std::string("a\0b", 3), std::string("   ")}) {
    EXPECT_FALSE(validate_name("name", bad).ok()) << bad;
  }
}

TEST(Tiers, DefaultsGrantFiftyThousandCreditsOnFree) {
  const auto t = TierTable::defaults();
  EXPECT_EQ(t.allotment("free"), 50'000 * kMilliPerCredit);
  EXPECT_GT(*t.allotment("starter"), *t.allotment("free"));
  EXPECT_GT(*t.allotment("pro"), *t.allotment("starter"));
  EXPECT_GT(*t.allotment("enterprise"), *t.allotment("pro"));
  EXPECT_FALSE(t.allotment("gold").has_value());
}

TEST(Clock, AddOneMonthClampsToTheLastDayOfTheMonth) {
  using namespace std::chrono;
  const auto ms = [](year_month_day d, int h = 0) {
    return (sys_days{d} + hours{h}).time_since_epoch() / milliseconds{1};
  };
  EXPECT_EQ(add_one_month(ms(2026y / January / 31, 13)), ms(2026y / February / 28, 13));
  EXPECT_EQ(add_one_month(ms(2028y / January / 31)), ms(2028y / February / 29));
  EXPECT_EQ(add_one_month(ms(2026y / March / 15, 5)), ms(2026y / April / 15, 5));
  EXPECT_EQ(add_one_month(ms(2026y / December / 20)), ms(2027y / January / 20));
}

TEST(Ids, UuidV7IsVersionedAndOrderedByTime) {
  const auto a = new_uuid_v7(1'000);
  const auto b = new_uuid_v7(2'000);
  EXPECT_EQ(a.size(), 36U);
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
}

TEST(Ids, UuidV7IsMonotonicWithinOneMillisecond) {
  std::string prev = new_uuid_v7(5'000'000);
  std::set<std::string> seen{prev};
  for (int i = 0; i < 10'000; ++i) {
    auto next = new_uuid_v7(5'000'000);
    EXPECT_LT(prev, next);
    seen.insert(next);
    prev = next;
  }
  EXPECT_EQ(seen.size(), 10'001U);
}

TEST(Ids, SecureEqualsComparesWholeStrings) {
  EXPECT_TRUE(secure_equals("abc", "abc"));
  EXPECT_FALSE(secure_equals("abc", "abd"));
  EXPECT_FALSE(secure_equals("abc", "abcd"));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Base64, EncodesTheRfc4648TestVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\xfe", 3)), "/wD+");
}

}  // namespace
}  // namespace winston
