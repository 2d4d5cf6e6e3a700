// A page's bytes to valid UTF-8, whatever it declared.

#include "analyzer/charset.hpp"

#include <gtest/gtest.h>

#include <string>

namespace winston::analyzer {
namespace {

TEST(Charset, DecodesCharsetsToValidUtf8) {
  EXPECT_EQ(to_utf8("caf\xE9", "ISO-8859-1"), "café");
  EXPECT_EQ(to_utf8("\x93quoted\x94 \x80", "windows-1252"), "“quoted” €");
  EXPECT_EQ(to_utf8("a\xFF" "b", "utf-8"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_utf8("\xC0\xAF", ""), "\xEF\xBF\xBD");                   // overlong '/'
  EXPECT_EQ(to_utf8("\xED\xA0\x80", "utf-8"), "\xEF\xBF\xBD");          // a surrogate
  EXPECT_EQ(to_utf8("\xE2\x82", "utf-8"), "\xEF\xBF\xBD");              // truncated
  EXPECT_EQ(to_utf8("\xEF\xBB\xBFhé", "iso-8859-1"), "hé");             // the BOM wins
  EXPECT_EQ(to_utf8(std::string("a\0b", 3), "utf-8"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_utf8("日本 🌿", "shift_jis-unknown"), "日本 🌿");
  EXPECT_EQ(sniff_meta_charset(R"(<html><head><meta charset="ISO-8859-1">)"), "iso-8859-1");
  EXPECT_EQ(sniff_meta_charset(R"(<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">)"),
            "windows-1252");
  EXPECT_EQ(sniff_meta_charset("<p>no declaration</p>"), "");
  EXPECT_EQ(utf8_prefix("aé", 2), "a");
  EXPECT_EQ(utf8_prefix("aé", 3), "aé");
}

TEST(Charset, APrefixNeverSplitsACharacter) {
  EXPECT_EQ(utf8_prefix("🌿x", 3), "");
  EXPECT_EQ(utf8_prefix("🌿x", 4), "🌿");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("abc", 0), "");
}

}  // namespace
}  // namespace winston::analyzer
