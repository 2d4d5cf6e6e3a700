#pragma once
// The model catalog: which models a tenant may call, where each is served,
// and what it costs in credits. Pure data and lookups.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winston {

/// The two wire formats the proxy speaks.
enum class WireApi { kAnthropicMessages, kOpenAIChat };
std::string_view to_string(WireApi api);

struct Provider {
  std::string id;            // "anthropic", "moonshot", "openai", "local", ...
  WireApi api = WireApi::kOpenAIChat;
  std::string base_url;      // Anthropic: without /v1; OpenAI-compatible: with /v1
  std::string api_key_env;   // name of the environment variable holding the key
};

struct ModelEntry {
  std::string id;                        // what clients send
  std::vector<std::string> aliases;
  std::string provider;                  // Provider::id
  std::string upstream_model;            // what the provider is sent
  std::int64_t multiplier_milli = 1000;  // credit multiplier x1000 (5.0 -> 5000)
  std::int64_t context_window = 0;
  std::int64_t max_output_tokens = 0;
  // USD per million tokens, in micro-dollars (3.00 USD -> 3'000'000), for cost analytics.
  std::int64_t usd_input_micro = 0, usd_output_micro = 0, usd_cache_write_micro = 0, usd_cache_read_micro = 0;
  std::optional<std::string> retires_on;   // ISO date the upstream model reaches end of life
  std::optional<std::string> replacement;  // catalog id to move to
  std::string name;                        // display name for generated configs ("Kimi K2.5"); default: id
  std::vector<std::string> tiers;          // tiers whose cells are offered this model; empty: every tier

  bool offered_to(std::string_view tier) const;
};

class Catalog {
 public:
  Catalog() = default;
  Catalog(std::vector<Provider> providers, std::vector<ModelEntry> models);
  /// The defaults of the design: kimi-k2.5 on Moonshot (1.0x), claude-sonnet-4-5
  /// (5.0x, retiring 2026-11-30 in favour of claude-sonnet-4-6) and
  /// claude-sonnet-4-6 (5.0x) and claude-opus-4-6 (12.0x) on Anthropic.
  static Catalog defaults();

  /// By id or alias.
  const ModelEntry* find(std::string_view model) const;
  const Provider* provider(std::string_view id) const;
  const std::vector<ModelEntry>& models() const { return models_; }
  /// The models a tier's cells are configured with: offered to the tier and
  /// not scheduled for retirement (a config outlives the date; its
  /// replacement is offered instead), in catalog order.
  std::vector<const ModelEntry*> models_for_tier(std::string_view tier) const;
  const std::vector<Provider>& providers() const { return providers_; }
  /// Empty when consistent; else what is wrong (unknown provider, duplicate id...).
  std::string check() const;

 private:
  std::vector<Provider> providers_;
  std::vector<ModelEntry> models_;
};

}  // namespace winston
