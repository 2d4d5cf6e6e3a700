// The bootstrap script a Railway or Kubernetes container evaluates is
// templates/cell/bootstrap.js, compiled in. tests/api/cell_config_test.cpp
// runs it against a real proxy (with the pinned Node); these checks need
// only a `node` on PATH.

#include "cells/remote_cell.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/ids.hpp"
#include "support/subprocess.hpp"

namespace winston::cells {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string bootstrap_variable() {
  for (const auto& var : remote_cell_environment(CellSpec{})) {
    if (var.name == "WINSTON_CELL_BOOTSTRAP") return var.value;
  }
  return {};
}

TEST(RemoteCell, TheContainerEvaluatesTheBootstrapFileByteForByte) {
  const std::string file = read_file(fs::path(WINSTON_SOURCE_DIR) / "templates/cell/bootstrap.js");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(bootstrap_variable(), file);
}

TEST(RemoteCell, TheBootstrapScriptIsValidJavaScript) {
  const fs::path script = fs::temp_directory_path() / ("winston-bootstrap-" + random_hex(6) + ".js");
  std::ofstream(script, std::ios::binary) << bootstrap_variable();
  // /usr/bin/env finds node on PATH; 127 means there is none.
  const auto checked = testing::run({"/usr/bin/env", "node", "--check", script.string()}, {}, 30'000);
  fs::remove(script);
  if (checked.exit_code == 127) GTEST_SKIP() << "node is not on PATH";
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(checked.err, "");
}

}  // namespace
}  // namespace winston::cells
