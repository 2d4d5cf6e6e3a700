// Dates and sale times as uploads write them.

#include "core/date.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace winston {
namespace {

namespace chr = std::chrono;

constexpr EpochMs kMarch1 = 1'772'323'200'000;  // 2026-03-01T00:00:00Z
constexpr EpochMs kHour = 3'600'000;

TEST(Date, ReadsRealIsoDatesOnly) {
  const auto d = parse_iso_date("2026-03-01");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, chr::year{2026} / chr::March / 1);
  EXPECT_TRUE(parse_iso_date("2024-02-29").has_value());  // a leap day
  EXPECT_TRUE(parse_iso_date("1900-01-01").has_value());
  EXPECT_TRUE(parse_iso_date("2999-12-31").has_value());
  for (const char* bad : {"2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-03-00", "1899-12-31",
                          "3000-01-01", "2026-3-01", "2026/03/01", "20260301", "2026-03-01 ", "", "abcd-ef-gh",
                          "+026-03-01"}) {
    EXPECT_FALSE(parse_iso_date(bad).has_value()) << bad;
  }
}

TEST(Date, FormatsAsIso) {
  EXPECT_EQ(format_iso_date(chr::sys_days{chr::year{2026} / chr::March / 1}), "2026-03-01");
  EXPECT_EQ(format_iso_date(chr::sys_days{chr::year{1999} / chr::December / 31}), "1999-12-31");
}

TEST(DateTime, ADateAloneIsItsMidnightInUtc) {
  const auto t = parse_date_time("2026-03-01");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->date, "2026-03-01");
  EXPECT_EQ(t->at, kMarch1);
}

TEST(DateTime, TimesWithAndWithoutZones) {
  struct Case {
    const char* text;
    EpochMs at;
  };
  const Case cases[] = {
      {"2026-03-01T10:15", kMarch1 + 10 * kHour + 15 * 60'000},
      {"2026-03-01 10:15:30", kMarch1 + 10 * kHour + 15 * 60'000 + 30'000},
      {"2026-03-01T10:15:30.999Z", kMarch1 + 10 * kHour + 15 * 60'000 + 30'000},  // sub-seconds dropped
      {"2026-03-01T10:15:00z", kMarch1 + 10 * kHour + 15 * 60'000},
      {"2026-03-01T10:00:00+02:00", kMarch1 + 8 * kHour},
      {"2026-03-01T10:00:00+0230", kMarch1 + 7 * kHour + 30 * 60'000},
      {"2026-03-01T10:00-08", kMarch1 + 18 * kHour},
  };
  for (const auto& c : cases) {
    const auto t = parse_date_time(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(t->at, c.at) << c.text;
    EXPECT_EQ(t->date, "2026-03-01") << c.text;
  }
}

TEST(DateTime, TheDateIsTheStoresEvenWhenTheInstantIsAnotherUtcDay) {
  const auto t = parse_date_time("2026-03-01T23:30:00-08:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->date, "2026-03-01");
  EXPECT_EQ(t->at, kMarch1 + 24 * kHour + 7 * kHour + 30 * 60'000);  // 07:30 on March 2nd, UTC
}

TEST(DateTime, RefusesWhatIsNotATime) {
  for (const char* bad : {"2026-03-01T", "2026-03-01T24:00", "2026-03-01T10:60", "2026-03-01T10:15:60",
                          "2026-03-01T1:15", "2026-03-01T10", "2026-03-01X10:15", "2026-03-01T10:15+24:00",
                          "2026-03-01T10:15+02:60", "2026-03-01T10:15+2", "2026-03-01T10:15 PST",
                          "2026-03-01T10:15+02:00:00", "2026-02-30T10:15", "03/01/2026", "2026-03"}) {
    EXPECT_FALSE(parse_date_time(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace winston
