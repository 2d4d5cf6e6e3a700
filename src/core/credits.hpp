#pragma once
// Credit arithmetic: exact, integer milli-credits, never floating point.

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/tenant.hpp"

namespace winston {

/// Token counts as the upstream reported them.
struct TokenUsage {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_creation = 0;
  std::int64_t cache_read = 0;
  std::int64_t total() const { return input + output + cache_creation + cache_read; }
};

/// One metered request as the usage log keeps it.
struct UsageRecord {
  std::string id;
  std::string tenant_id;
  std::string request_id;
  std::optional<std::string> api_key_id;
  std::string model;
  std::string provider;
  TokenUsage tokens;
  std::int64_t multiplier_milli = 0;
  MilliCredits credits_mc = 0;
  std::string status;
  std::optional<std::int64_t> upstream_status;
  std::optional<std::int64_t> latency_ms;
  std::optional<std::int64_t> ttfb_ms;
  EpochMs created_at = 0;
};

/// Credits for `tokens` at `multiplier_milli` (x1000), where one credit buys
/// `tokens_per_credit` tokens at 1.0x: ceil(tokens * multiplier_milli / tokens_per_credit) mc.
/// Every token counts alike, cache reads and writes included.
MilliCredits credits_for(std::int64_t tokens, std::int64_t multiplier_milli, std::int64_t tokens_per_credit);

/// What to reserve before calling upstream: the request's input estimated at
/// one token per 3 bytes of body plus its output limit (or `default_output`
/// when the client set none), priced like credits_for.
MilliCredits reservation_estimate(std::size_t body_bytes, std::int64_t max_output_tokens, std::int64_t multiplier_milli,
                                  std::int64_t tokens_per_credit);

/// True below 20 % of the monthly allotment.
inline bool is_low_balance(MilliCredits balance, MilliCredits allotment) { return balance * 5 < allotment; }

}  // namespace winston
