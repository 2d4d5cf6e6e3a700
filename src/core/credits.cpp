#include "core/credits.hpp"

#include <algorithm>

namespace winston {

MilliCredits credits_for(std::int64_t tokens, std::int64_t multiplier_milli, std::int64_t tokens_per_credit) {
  if (tokens <= 0 || multiplier_milli <= 0) return 0;
  // 1 credit = tokens_per_credit tokens at 1.0x, and 1 credit = 1000 mc, so
  // mc = tokens * (multiplier_milli / 1000) * 1000 / tokens_per_credit.
  // Bounds keep the product below 2^63: no request has 10^12 tokens, no multiplier is 1000x.
  const std::int64_t num = std::min<std::int64_t>(tokens, 1'000'000'000'000) * std::min<std::int64_t>(multiplier_milli, 1'000'000);
  const std::int64_t den = std::max<std::int64_t>(tokens_per_credit, 1);
  return (num + den - 1) / den;
}

MilliCredits reservation_estimate(std::size_t body_bytes, std::int64_t max_output_tokens, std::int64_t multiplier_milli,
                                  std::int64_t tokens_per_credit) {
  const auto input = estimate_tokens(body_bytes) + 1;
  return credits_for(input + std::max<std::int64_t>(max_output_tokens, 0), multiplier_milli, tokens_per_credit);
}

}  // namespace winston
