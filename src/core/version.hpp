#pragma once
// What this binary is: the project version and the git commit it was built
// from (generated at build time by cmake/version.cmake).

#include <string_view>

namespace winston {

std::string_view version();
/// Short commit hash, with "-dirty" when built from uncommitted changes; "unknown" outside git.
std::string_view commit();

}  // namespace winston
