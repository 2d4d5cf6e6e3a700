#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/credits.hpp"
#include "core/retry_after.hpp"
#include "core/text.hpp"

namespace winston {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Trim, RemovesAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(trim("  a b \t\r\n\v\f"), "a b");
  EXPECT_EQ(trim("a"), "a");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n "), "");
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // a no-break space is not ASCII whitespace
}

TEST(Trim, UsesTheGivenSetWhenOneIsPassed) {
  EXPECT_EQ(trim(" \tcell\r\n", " \t"), "cell\r\n");
  EXPECT_EQ(trim("xxaxx", "x"), "a");
  EXPECT_EQ(trim("xxxx", "x"), "");
}

TEST(ToLower, MapsAsciiLettersOnly) {
  EXPECT_EQ(to_lower("HTTPS://Example.COM/Path_1"), "https://example.com/path_1");
  EXPECT_EQ(to_lower(""), "");
  EXPECT_EQ(to_lower("ÉCOLE"), "École");  // UTF-8 bytes pass through unchanged
  EXPECT_EQ(to_lower('Z'), 'z');
  EXPECT_EQ(to_lower('@'), '@');  // the byte before 'A'
  EXPECT_EQ(to_lower('['), '[');  // the byte after 'Z'
  EXPECT_EQ(to_lower(static_cast<char>(0xC9)), static_cast<char>(0xC9));
}

TEST(Redact, ReplacesEveryOccurrenceOfTheSecret) {
  EXPECT_EQ(redact("token s3cr3t and s3cr3ts3cr3t", "s3cr3t"), "token [redacted] and [redacted][redacted]");
  EXPECT_EQ(redact("nothing here", "s3cr3t"), "nothing here");
}

TEST(Redact, AnEmptySecretRedactsNothingAndASecretInsideTheMarkCannotLoop) {
  EXPECT_EQ(redact("text", ""), "text");
  EXPECT_EQ(redact("a red b", "red"), "a [redacted] b");  // "red" also occurs in "[redacted]"
}

TEST(Redact, ReplacesEverySecretOfAList) {
  const std::array<std::string, 3> secrets{"alpha", "", "beta"};
  EXPECT_EQ(redact("alpha then beta", secrets), "[redacted] then [redacted]");
}

TEST(RetryAfter, ReadsDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("7", seconds(60)), milliseconds(7'000));
  EXPECT_EQ(parse_retry_after("0", seconds(60)), milliseconds(0));
  EXPECT_EQ(parse_retry_after(" 12 ", seconds(60)), milliseconds(12'000));  // optional whitespace
}

TEST(RetryAfter, CapsLargeAndHugeValues) {
  EXPECT_EQ(parse_retry_after("61", seconds(60)), milliseconds(60'000));
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", seconds(60)), milliseconds(60'000));
  EXPECT_EQ(parse_retry_after("18446744073709551615", milliseconds(5'000)), milliseconds(5'000));
  EXPECT_EQ(parse_retry_after("3", milliseconds(2'500)), milliseconds(2'500));  // a cap below a whole second
}

TEST(RetryAfter, GivesNothingForADateANegativeOrGarbage) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("+5", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("1.5", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("5s", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("", seconds(60)), std::nullopt);
  EXPECT_EQ(parse_retry_after("  ", seconds(60)), std::nullopt);
}

TEST(TokenEstimate, CountsThreeBytesPerTokenRoundingDown) {
  EXPECT_EQ(estimate_tokens(0), 0);
  EXPECT_EQ(estimate_tokens(2), 0);
  EXPECT_EQ(estimate_tokens(3000), 1000);
  // The reservation prices the same estimate plus one token and the output limit.
  EXPECT_EQ(reservation_estimate(3000, 0, 1000, 1000), credits_for(1001, 1000, 1000));
}

TEST(LowBalance, IsBelowTwentyPercentOfTheAllotment) {
  EXPECT_EQ(kLowBalancePercent, 20);
  EXPECT_TRUE(is_low_balance(199, 1000));
  EXPECT_FALSE(is_low_balance(200, 1000));
  EXPECT_TRUE(is_low_balance(-1, 0));
  EXPECT_FALSE(is_low_balance(0, 0));
}

}  // namespace
}  // namespace winston
