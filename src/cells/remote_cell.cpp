#include "cells/remote_cell.hpp"

#include "agent/embedded_assets.hpp"

namespace winston::cells {
namespace {

// The script runs inside the OpenClaw image (Node >= 24, global fetch),
// reads only its environment, writes only under OPENCLAW_STATE_DIR and
// OPENCLAW_WORKSPACE_DIR, and never prints the key or the token. Its bytes,
// blank first line included, are WINSTON_CELL_BOOTSTRAP's value: any edit
// to the file (a comment too) changes every remote cell's variables and so
// restarts each of them on its next pass.
constexpr std::string_view kBootstrapAsset = "templates/cell/bootstrap.js";

}  // namespace

std::vector<EnvVar> remote_cell_environment(const CellSpec& spec) {
  return {
      {"OPENCLAW_GATEWAY_TOKEN", spec.gateway_token, true},
      {"WINSTON_API_KEY", spec.api_key, true},
      {"OPENCLAW_STATE_DIR", std::string(kStateDir), false},
      {"OPENCLAW_WORKSPACE_DIR", std::string(kWorkspaceDir), false},
      {"OPENCLAW_GATEWAY_PORT", std::to_string(kGatewayPort), false},
      {"WINSTON_PROXY_URL", spec.proxy_url, false},
      {"WINSTON_SNAPSHOT_VERSION", std::to_string(spec.snapshot_version), false},
      {"WINSTON_CELL_BOOTSTRAP", std::string(agent::embedded_asset(kBootstrapAsset)), false},
      {"OPENCLAW_DISABLE_BONJOUR", "1", false},
      {"OPENCLAW_NO_AUTO_UPDATE", "1", false},
      {"DO_NOT_TRACK", "1", false},
  };
}

std::vector<std::string> bootstrap_command() { return {"node", "-e", "eval(process.env.WINSTON_CELL_BOOTSTRAP)"}; }

std::string bootstrap_start_command() { return "node -e eval(process.env.WINSTON_CELL_BOOTSTRAP)"; }

std::string resource_name(const CellSpec& spec) {
  std::string name = "winston-";
  for (const char c : spec.tenant_slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (ok) name += c;
    if (name.size() >= 63) break;
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name;
}

}  // namespace winston::cells
