#pragma once
// UTF-8 decoding and encoding shared by every validator and sanitiser:
// one definition of a valid sequence (no overlong forms, no surrogates,
// nothing past U+10FFFF).

#include <cstddef>
#include <string>
#include <string_view>

namespace winston {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct Utf8Char {
  char32_t cp = 0;
  std::size_t length = 0;  // bytes; 0: s[i] does not start a valid sequence
};

/// The code point whose sequence starts at s[i] (i < s.size()).
Utf8Char decode_utf8(std::string_view s, std::size_t i);

/// Length in code points of a string already known to be valid UTF-8.
std::size_t utf8_length(std::string_view s);

/// Appends `cp` (<= U+10FFFF, not a surrogate) encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

}  // namespace winston
