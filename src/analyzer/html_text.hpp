#pragma once
// Text as a reader of a page sees it: every run of whitespace collapsed and a
// byte cap that never splits a character. Shared by the page walk and the
// JSON-LD reader, so both bound their output the same way.

#include <cstddef>
#include <string>
#include <string_view>

namespace winston::analyzer {

/// Accumulates text with every run of whitespace (no-break spaces included)
/// collapsed to one space, no leading or trailing space, up to a byte cap.
class TextSink {
 public:
  explicit TextSink(std::size_t cap) : cap_(cap) {}
  void add(std::string_view s);
  /// A word boundary (a block element ended): the next text starts after a space.
  void separate() { pending_space_ = !out_.empty(); }
  bool full() const { return out_.size() >= cap_; }
  std::string take() const;

 private:
  std::string out_;
  std::size_t cap_;
  bool pending_space_ = false;
};

/// `s` collapsed as TextSink does, at most `cap` bytes.
std::string collapse(std::string_view s, std::size_t cap);

}  // namespace winston::analyzer
