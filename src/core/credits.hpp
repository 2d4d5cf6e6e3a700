#pragma once
// Credit arithmetic: exact, integer milli-credits, never floating point.

#include <cstddef>
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

/// Bytes per token wherever a token count must be estimated from text (the
/// reservation before a call, the settlement of a call the provider never
/// reported usage for). English runs near 4 bytes per token, code, JSON and
/// many other languages nearer 3; the lower figure overestimates, so a
/// reservation rather holds too much than lets a tenant overspend.
inline constexpr std::size_t kBytesPerToken = 3;

/// Tokens in `bytes` of text or request body, by kBytesPerToken.
inline std::int64_t estimate_tokens(std::size_t bytes) { return static_cast<std::int64_t>(bytes / kBytesPerToken); }

/// What to reserve before calling upstream: the request's input estimated
/// with estimate_tokens (plus one) and its output limit, priced like credits_for.
MilliCredits reservation_estimate(std::size_t body_bytes, std::int64_t max_output_tokens, std::int64_t multiplier_milli,
                                  std::int64_t tokens_per_credit);

/// The low-credit rule: a balance below 1/kLowBalanceDivisor (20 %) of the
/// monthly allotment is low. The ledger's SQL that re-arms the warning
/// (storage/ledger_repository.cpp) is built from the same constant.
inline constexpr std::int64_t kLowBalanceDivisor = 5;
inline constexpr std::int64_t kLowBalancePercent = 100 / kLowBalanceDivisor;

/// True below 20 % of the monthly allotment.
inline bool is_low_balance(MilliCredits balance, MilliCredits allotment) { return balance * kLowBalanceDivisor < allotment; }

}  // namespace winston
