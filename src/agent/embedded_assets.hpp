#pragma once
// Files compiled into the binary (cmake/embed_assets.cmake): the default
// agent templates (templates/agent/) and the skills catalog (skills/).

#include <string_view>
#include <vector>

namespace winston::agent {

struct EmbeddedAsset {
  std::string_view path;     // relative to the source tree, e.g. "skills/social-media/SKILL.md"
  std::string_view content;
};

const std::vector<EmbeddedAsset>& embedded_assets();

}  // namespace winston::agent
