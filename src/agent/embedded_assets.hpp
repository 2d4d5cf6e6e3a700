#pragma once
// Files compiled into the binary (cmake/embed_assets.cmake, listed in
// src/CMakeLists.txt): the default agent templates (templates/agent/), the
// skills catalog (skills/), the remote cells' bootstrap script
// (templates/cell/) and the OpenAPI document (docs/openapi.json). The table
// lives in the agent layer, the lowest that reads it; cells and api reach
// their files through embedded_asset().

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace winston::agent {

struct EmbeddedAsset {
  std::string_view path;     // relative to the source tree, e.g. "skills/social-media/SKILL.md"
  std::string_view content;
};

const std::vector<EmbeddedAsset>& embedded_assets();

/// The content of one embedded file. The build embeds every path the code
/// names, so an unknown path is a bug: it throws std::logic_error.
inline std::string_view embedded_asset(std::string_view path) {
  for (const auto& asset : embedded_assets()) {
    if (asset.path == path) return asset.content;
  }
  throw std::logic_error("not an embedded asset: " + std::string(path));
}

}  // namespace winston::agent
