#include "agent/assets.hpp"

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/embedded_assets.hpp"
#include "core/text.hpp"

namespace winston::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTemplatePrefix = "templates/agent/";
constexpr std::string_view kSkillsPrefix = "skills/";
constexpr std::uintmax_t kMaxAssetBytes = 256 * 1024;

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Error::invalid("agent", fmt::format("cannot read {}: {}", path.string(), ec.message()));
  if (size > kMaxAssetBytes) return Error::invalid("agent", fmt::format("{} is larger than 256 KiB", path.string()));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) return Error::invalid("agent", "cannot read " + path.string());
  return out.str();
}

// Blanks around a front-matter key or value; a CRLF line keeps its \r after getline.
constexpr std::string_view kLineBlanks = " \t\r";

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return v;
}

Status check_template(std::string_view name, const std::string& text) {
  kainjow::mustache::mustache tmpl(text);
  if (!tmpl.is_valid()) {
    return Error::invalid("agent", fmt::format("template {}: {}", name, tmpl.error_message()));
  }
  return {};
}

Status add_skill_file(std::vector<Skill>& skills, const std::string& skill, const std::string& file, std::string content) {
  auto it = std::find_if(skills.begin(), skills.end(), [&](const Skill& s) { return s.name == skill; });
  if (it == skills.end()) {
    skills.push_back(Skill{skill, {}, {}});
    it = skills.end() - 1;
  }
  it->files[file] = std::move(content);
  return {};
}

Status finish_skills(std::vector<Skill>& skills) {
  for (auto& s : skills) {
    const auto md = s.files.find("SKILL.md");
    if (md == s.files.end()) return Error::invalid("agent", fmt::format("skill {} has no SKILL.md", s.name));
    WINSTON_TRY_ASSIGN(const Skill meta, parse_skill_front_matter(md->second));
    if (meta.name != s.name) {
      return Error::invalid("agent", fmt::format("skill directory {} declares name '{}'", s.name, meta.name));
    }
    s.description = meta.description;
  }
  std::sort(skills.begin(), skills.end(), [](const Skill& a, const Skill& b) { return a.name < b.name; });
  return {};
}

Status load_skill_overrides(std::vector<Skill>& skills, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error::invalid("agent.skills_dir", dir.string() + " is not a directory");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string skill = entry.path().filename().string();
    std::erase_if(skills, [&](const Skill& s) { return s.name == skill; });  // the operator's version wins whole
    for (const auto& f : fs::recursive_directory_iterator(entry.path())) {
      if (!f.is_regular_file()) continue;
      WINSTON_TRY_ASSIGN(std::string content, read_file(f.path()));
      WINSTON_TRY(add_skill_file(skills, skill, fs::relative(f.path(), entry.path()).generic_string(), std::move(content)));
    }
  }
  return {};
}

}  // namespace

Result<Skill> parse_skill_front_matter(std::string_view md) {
  if (!md.starts_with("---\n") && !md.starts_with("---\r\n")) {
    return Error::invalid("SKILL.md", "SKILL.md must start with YAML front matter (---)");
  }
  const auto end = md.find("\n---", 3);
  if (end == std::string_view::npos) return Error::invalid("SKILL.md", "SKILL.md front matter is not closed (---)");
  Skill skill;
  std::istringstream lines{std::string(md.substr(md.find('\n') + 1, end - md.find('\n')))};
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == ' ' || line[0] == '\t') continue;  // nested keys belong to another field
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key(trim(std::string_view(line).substr(0, colon), kLineBlanks));
    const std::string value = unquote(std::string(trim(std::string_view(line).substr(colon + 1), kLineBlanks)));
    if (key == "name") skill.name = value;
    if (key == "description") skill.description = value;
  }
  if (skill.name.empty()) return Error::invalid("SKILL.md", "SKILL.md front matter has no name");
  if (skill.description.empty()) return Error::invalid("SKILL.md", "SKILL.md front matter has no description");
  return skill;
}

Result<AgentAssets> AgentAssets::load(const std::optional<std::string>& templates_dir,
                                      const std::optional<std::string>& skills_dir) {
  AgentAssets a;
  for (const auto& asset : embedded_assets()) {
    if (asset.path.starts_with(kTemplatePrefix)) {
      a.templates_[std::string(asset.path.substr(kTemplatePrefix.size()))] = std::string(asset.content);
    } else if (asset.path.starts_with(kSkillsPrefix)) {
      const auto rest = asset.path.substr(kSkillsPrefix.size());
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos) continue;
      WINSTON_TRY(add_skill_file(a.skills_, std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)),
                                 std::string(asset.content)));
    }
  }
  for (const auto name : kTemplateNames) {
    if (templates_dir) {
      const auto path = fs::path(*templates_dir) / name;
      if (fs::exists(path)) {
        WINSTON_TRY_ASSIGN(a.templates_[std::string(name)], read_file(path));
      }
    }
    if (!a.templates_.contains(name)) return Error::internal(fmt::format("no template for {}", name));
    WINSTON_TRY(check_template(name, a.templates_[std::string(name)]));
  }
  if (skills_dir) WINSTON_TRY(load_skill_overrides(a.skills_, *skills_dir));
  WINSTON_TRY(finish_skills(a.skills_));
  return a;
}

const std::string& AgentAssets::template_text(std::string_view name) const { return templates_.find(name)->second; }

const Skill* AgentAssets::skill(std::string_view name) const {
  for (const auto& s : skills_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace winston::agent
