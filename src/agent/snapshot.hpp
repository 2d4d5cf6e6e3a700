#pragma once
// Config snapshots as data: the content hash that decides whether a
// generation is a new version, the files' JSON form, and unified diffs.

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "agent/config_generator.hpp"

namespace winston::agent {

/// SHA-256 over every (path, content) pair in path order, length-prefixed so
/// no two different file sets collide by concatenation.
std::string content_hash(const ConfigFiles& files);

boost::json::object files_to_json(const ConfigFiles& files);
Result<ConfigFiles> files_from_json(std::string_view text);

struct FileDiff {
  std::string path;
  std::string status;  // "added", "removed" or "modified"
  std::string diff;    // unified diff with ---/+++ headers and 3 lines of context
};

/// One entry per file that differs between `from` and `to`, in path order.
std::vector<FileDiff> diff_files(const ConfigFiles& from, const ConfigFiles& to, std::string_view from_label,
                                 std::string_view to_label);

}  // namespace winston::agent
