// Money and counts as spreadsheets write them, read exactly.

#include "core/decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

namespace winston {
namespace {

TEST(Decimal, CentsFromTheWaysAmountsAreWritten) {
  EXPECT_EQ(parse_cents("12.50", false), 1250);
  EXPECT_EQ(parse_cents("12.5", false), 1250);
  EXPECT_EQ(parse_cents("12", false), 1200);
  EXPECT_EQ(parse_cents("$9", false), 900);
  EXPECT_EQ(parse_cents("0.05", false), 5);
  EXPECT_EQ(parse_cents("007.10", false), 710);
  EXPECT_EQ(parse_cents("999999999.99", false), 99'999'999'999);  // the longest whole part
}

TEST(Decimal, NegativeCentsOnlyWhenAllowed) {
  EXPECT_EQ(parse_cents("-3.05", true), -305);
  EXPECT_EQ(parse_cents("-$9", true), -900);
  EXPECT_EQ(parse_cents("-3.05", false), std::nullopt);
  EXPECT_EQ(parse_cents("$-9", true), std::nullopt);
  EXPECT_EQ(parse_cents("--1", true), std::nullopt);
}

TEST(Decimal, CentsRefuseWhatIsNotExactlyAnAmount) {
  for (const char* bad : {"", "-", "$", "12.", ".50", "12.505", "1,000.00", "12,50", "USD 12", "1e3", "+1", " 1",
                          "1 ", "0x10", "1000000000", "12.5x", "12..5"}) {
    EXPECT_EQ(parse_cents(bad, true), std::nullopt) << bad;
  }
}

TEST(Decimal, WholeNumbersTakeASpreadsheetsZeroFraction) {
  EXPECT_EQ(parse_whole_number("12", false), 12);
  EXPECT_EQ(parse_whole_number("12.000", false), 12);
  EXPECT_EQ(parse_whole_number("12.", false), 12);
  EXPECT_EQ(parse_whole_number("-4", true), -4);
  EXPECT_EQ(parse_whole_number("9999999999", false), 9'999'999'999);  // ten digits
  EXPECT_EQ(parse_whole_number("12.5", false), std::nullopt);
  EXPECT_EQ(parse_whole_number("-4", false), std::nullopt);
  EXPECT_EQ(parse_whole_number("99999999999", false), std::nullopt);  // eleven digits
  for (const char* bad : {"", "-", ".0", "+1", "1e3", "1,000", " 1", "x"}) {
    EXPECT_EQ(parse_whole_number(bad, true), std::nullopt) << bad;
  }
}

TEST(Decimal, FormatsCentsWithoutFloatingPoint) {
  EXPECT_EQ(format_cents(1250), "12.50");
  EXPECT_EQ(format_cents(5), "0.05");
  EXPECT_EQ(format_cents(-305), "-3.05");
  EXPECT_EQ(format_cents(-5), "-0.05");
  EXPECT_EQ(format_cents(0), "0.00");
  EXPECT_EQ(format_cents(std::numeric_limits<std::int64_t>::max()), "92233720368547758.07");
  EXPECT_EQ(format_cents(std::numeric_limits<std::int64_t>::min()), "-92233720368547758.08");
}

}  // namespace
}  // namespace winston
