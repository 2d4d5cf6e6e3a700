#pragma once
// Credit arithmetic: exact, integer milli-credits, never floating point.

#include <cstdint>

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
