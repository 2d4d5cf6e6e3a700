#pragma once
// The agent templates and the skills catalog a deployment generates configs
// from: the compiled-in defaults, each file replaceable by an operator's
// directory (`[agent] templates_dir`, `[agent] skills_dir`).

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace winston::agent {

/// The workspace files generated from templates, in the order they are written.
inline constexpr std::array<std::string_view, 4> kTemplateNames = {"SOUL.md", "AGENTS.md", "USER.md", "IDENTITY.md"};

struct Skill {
  std::string name;                          // directory name = front-matter name
  std::string description;                   // from the front matter
  std::map<std::string, std::string> files;  // path inside the skill directory -> content
};

class AgentAssets {
 public:
  /// Defaults from the binary; a file `<templates_dir>/<NAME>` replaces that
  /// template, a directory `<skills_dir>/<skill>/` adds or replaces that
  /// skill. Errors name the offending file (unreadable, no front matter, name
  /// mismatch, bad template syntax).
  static Result<AgentAssets> load(const std::optional<std::string>& templates_dir,
                                  const std::optional<std::string>& skills_dir);

  const std::string& template_text(std::string_view name) const;
  const std::vector<Skill>& skills() const { return skills_; }
  const Skill* skill(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> templates_;
  std::vector<Skill> skills_;
};

/// `description` and `name` from a SKILL.md's YAML front matter (single-line
/// scalars, optionally quoted). kInvalidField when either is missing.
Result<Skill> parse_skill_front_matter(std::string_view skill_md);

}  // namespace winston::agent
