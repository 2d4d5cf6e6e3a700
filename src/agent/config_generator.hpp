#pragma once
// Turns a tenant, its business profile, its tier's models and its enabled
// skills into the files of an OpenClaw cell: openclaw.json and the
// workspace (SOUL.md, AGENTS.md, USER.md, IDENTITY.md, skills/<name>/...).
// Pure: same input, same bytes (snapshots rely on it). No secrets are
// written: the config refers to ${OPENCLAW_GATEWAY_TOKEN}, ${WINSTON_API_KEY}
// and ${OPENCLAW_WORKSPACE_DIR}, which the cell's environment provides.

#include <boost/json/array.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/assets.hpp"
#include "core/business_profile.hpp"
#include "core/catalog.hpp"
#include "core/tenant.hpp"

namespace winston::agent {

/// Path -> content. Paths: "openclaw.json", "workspace/AGENTS.md", "workspace/skills/<name>/SKILL.md", ...
using ConfigFiles = std::map<std::string, std::string>;

struct CellSettings {
  std::string proxy_url = "http://127.0.0.1:8081";  // how a cell reaches Winston's proxy (no /v1)
  std::string gateway_bind = "lan";                 // containers listen on their interface; local cells pass --bind loopback
  int gateway_port = 8080;                          // local cells pass --port
  std::string workspace = "${OPENCLAW_WORKSPACE_DIR}";
};

struct GeneratorInput {
  const Tenant* tenant = nullptr;
  const BusinessProfile* profile = nullptr;  // nullptr: not analysed yet; a minimal profile from the tenant record
  std::string profile_source = "none";       // "llm", "extracted" or "none"
  const Catalog* catalog = nullptr;
  std::vector<const ModelEntry*> models;     // what the tier may use, first = default unless `default_model` is set
  std::optional<std::string> default_model;
  std::vector<const Skill*> skills;          // enabled ones
  const AgentAssets* assets = nullptr;
  CellSettings cell;
};

/// OpenClaw's limits on workspace bootstrap files (docs: 20,000 chars each, 60,000 in all).
inline constexpr std::size_t kMaxWorkspaceFileChars = 20'000;
inline constexpr std::size_t kMaxWorkspaceTotalChars = 60'000;

/// kInvalidField when the tier has no model, a template does not render, or
/// the files exceed OpenClaw's limits.
Result<ConfigFiles> generate_config(const GeneratorInput& in);

/// Something the generated config lacks because the profile it was made
/// from is partial, with how to fix it; `code` is stable, `message` for people.
struct ConfigWarning {
  std::string code;  // "industry_unknown", "analysis_fallback", "not_analyzed"
  std::string message;
  bool operator==(const ConfigWarning&) const = default;
};

/// The warnings of the config generate_config(in) makes; empty for a complete profile.
std::vector<ConfigWarning> config_warnings(const GeneratorInput& in);
boost::json::array warnings_to_json(const std::vector<ConfigWarning>& warnings);
/// The stored form back; anything unreadable yields no warnings.
std::vector<ConfigWarning> warnings_from_json(std::string_view text);

/// Text from a tenant or a website made safe for one Markdown line: control
/// characters and newlines become spaces (so no value can start a heading or
/// a rule of its own), Markdown and HTML metacharacters are backslash-escaped,
/// invalid UTF-8 becomes U+FFFD, length capped at `max_chars` code points.
std::string markdown_inline(std::string_view text, std::size_t max_chars);

/// The provider id a model is listed under in openclaw.json ("winston" for
/// OpenAI-compatible models, "winston-anthropic" for Anthropic Messages).
std::string_view openclaw_provider_id(WireApi api);

/// Two-space indented JSON in the value's own key order, no final newline:
/// openclaw.json's form, and the golden files' (tests/cells/golden/).
std::string pretty_json(const boost::json::value& v);

}  // namespace winston::agent
