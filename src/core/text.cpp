#include "core/text.hpp"

namespace winston {

std::string_view trim(std::string_view s, std::string_view chars) {
  const auto first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  // Searching on after the mark: a secret that occurs in "[redacted]" cannot loop.
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kRedacted.size())) {
    text.replace(at, secret.size(), kRedacted);
  }
  return text;
}

std::string redact(std::string text, std::span<const std::string> secrets) {
  for (const auto& s : secrets) text = redact(std::move(text), s);
  return text;
}

}  // namespace winston
