#include "core/catalog.hpp"

#include <algorithm>
#include <set>

namespace winston {

std::string_view to_string(WireApi api) {
  return api == WireApi::kAnthropicMessages ? "anthropic-messages" : "openai-completions";
}

Catalog::Catalog(std::vector<Provider> providers, std::vector<ModelEntry> models)
    : providers_(std::move(providers)), models_(std::move(models)) {}

Catalog Catalog::defaults() {
  std::vector<Provider> providers = {
      {"anthropic", WireApi::kAnthropicMessages, "https://api.anthropic.com", "ANTHROPIC_API_KEY"},
      {"moonshot", WireApi::kOpenAIChat, "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"},
      {"openai", WireApi::kOpenAIChat, "https://api.openai.com/v1", "OPENAI_API_KEY"},
  };
  std::vector<ModelEntry> models;
  models.push_back({"kimi-k2.5", {"kimi"}, "moonshot", "kimi-k2.5", 1000, 262'144, 32'768,
                    600'000, 2'500'000, 0, 150'000, std::nullopt, std::nullopt, "Kimi K2.5", {}});
  models.push_back({"claude-sonnet-4-5", {}, "anthropic", "claude-sonnet-4-5", 5000, 200'000, 64'000,
                    3'000'000, 15'000'000, 3'750'000, 300'000, std::string("2026-11-30"),
                    std::string("claude-sonnet-4-6"), "Claude Sonnet 4.5", {"starter", "pro", "enterprise"}});
  models.push_back({"claude-sonnet-4-6", {"sonnet"}, "anthropic", "claude-sonnet-4-6", 5000, 200'000, 64'000,
                    3'000'000, 15'000'000, 3'750'000, 300'000, std::nullopt, std::nullopt, "Claude Sonnet 4.6",
                    {"starter", "pro", "enterprise"}});
  models.push_back({"claude-opus-4-6", {"opus"}, "anthropic", "claude-opus-4-6", 12000, 200'000, 32'000,
                    15'000'000, 75'000'000, 18'750'000, 1'500'000, std::nullopt, std::nullopt, "Claude Opus 4.6",
                    {"pro", "enterprise"}});
  return Catalog(std::move(providers), std::move(models));
}

bool ModelEntry::offered_to(std::string_view tier) const {
  return tiers.empty() || std::find(tiers.begin(), tiers.end(), tier) != tiers.end();
}

std::vector<const ModelEntry*> Catalog::models_for_tier(std::string_view tier) const {
  std::vector<const ModelEntry*> out;
  for (const auto& m : models_) {
    if (m.offered_to(tier) && !m.retires_on) out.push_back(&m);
  }
  return out;
}

const ModelEntry* Catalog::find(std::string_view model) const {
  for (const auto& m : models_) {
    if (m.id == model) return &m;
  }
  for (const auto& m : models_) {
    for (const auto& a : m.aliases) {
      if (a == model) return &m;
    }
  }
  return nullptr;
}

const Provider* Catalog::provider(std::string_view id) const {
  for (const auto& p : providers_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string Catalog::check() const {
  std::set<std::string> names;
  for (const auto& p : providers_) {
    if (!names.insert("provider:" + p.id).second) return "duplicate provider '" + p.id + "'";
    if (p.base_url.empty()) return "provider '" + p.id + "' has no base_url";
  }
  for (const auto& m : models_) {
    if (!provider(m.provider)) return "model '" + m.id + "' names unknown provider '" + m.provider + "'";
    if (m.multiplier_milli <= 0) return "model '" + m.id + "' needs a positive multiplier";
    if (!names.insert("model:" + m.id).second) return "duplicate model id '" + m.id + "'";
    for (const auto& a : m.aliases) {
      if (!names.insert("model:" + a).second) return "alias '" + a + "' is used twice";
    }
    if (m.replacement && !find(*m.replacement)) return "model '" + m.id + "' names unknown replacement";
  }
  return {};
}

}  // namespace winston
