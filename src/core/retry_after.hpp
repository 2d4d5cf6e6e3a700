#pragma once
// The one Retry-After parser (RFC 9110 §10.2.3) for every client that honours it.

#include <chrono>
#include <optional>
#include <string_view>

namespace winston {

/// A Retry-After of delta-seconds, at most `cap`: how long a server asked us
/// to wait. nullopt for an HTTP date, a negative or a malformed value, so the
/// caller keeps its own backoff (no client here has needed the date form:
/// the APIs we call send seconds). The cap is the caller's because what a
/// reasonable wait is depends on who waits: a client request in the proxy
/// seconds, a background provisioning step minutes. Never throws.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::chrono::milliseconds cap);

}  // namespace winston
