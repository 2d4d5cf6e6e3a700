#pragma once
// Small text rules used across layers: one trim, one ASCII case mapping, one
// redaction. ASCII only on purpose: the inputs are protocol tokens (schemes,
// hosts, header values, media types), identifiers and keywords, where
// locale-dependent case mapping would be a bug.

#include <span>
#include <string>
#include <string_view>

namespace winston {

/// The ASCII whitespace std::isspace knows in the C locale.
inline constexpr std::string_view kAsciiSpace = " \t\n\v\f\r";

/// `s` without leading and trailing characters from `chars`.
std::string_view trim(std::string_view s, std::string_view chars = kAsciiSpace);

/// 'A'-'Z' mapped to 'a'-'z'; every other byte (UTF-8 included) unchanged.
constexpr char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
std::string to_lower(std::string_view s);

/// What replaces a secret in a message.
inline constexpr std::string_view kRedacted = "[redacted]";

/// `text` with every occurrence of `secret` replaced by kRedacted; an empty
/// secret redacts nothing. Messages that quote a request or an upstream's
/// answer pass through here before they reach a log or a client.
std::string redact(std::string text, std::string_view secret);
std::string redact(std::string text, std::span<const std::string> secrets);

}  // namespace winston
