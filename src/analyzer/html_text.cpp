#include "analyzer/html_text.hpp"

#include "analyzer/charset.hpp"

namespace winston::analyzer {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

void TextSink::add(std::string_view s) {
  for (std::size_t i = 0; i < s.size() && !full(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool nbsp = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0;
    if (is_space(c) || nbsp) {
      if (nbsp) ++i;
      separate();
      continue;
    }
    if (pending_space_) out_ += ' ';
    pending_space_ = false;
    out_ += s[i];
  }
}

std::string TextSink::take() const { return std::string(utf8_prefix(out_, cap_)); }

std::string collapse(std::string_view s, std::size_t cap) {
  TextSink sink(cap);
  sink.add(s);
  return sink.take();
}

}  // namespace winston::analyzer
