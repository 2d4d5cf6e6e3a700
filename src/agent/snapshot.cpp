#include "agent/snapshot.hpp"

#include <boost/json.hpp>
#include <dtl/dtl.hpp>
#include <fmt/format.h>

#include <set>
#include <sstream>

#include "core/ids.hpp"

namespace winston::agent {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);  // dtl's printer ends each line
  return lines;
}

std::string unified(const std::string& from, const std::string& to) {
  const auto a = split_lines(from);
  const auto b = split_lines(to);
  dtl::Diff<std::string> d(a, b);
  d.compose();
  d.composeUnifiedHunks();
  std::ostringstream out;
  d.printUnifiedFormat(out);
  return out.str();
}

}  // namespace

std::string content_hash(const ConfigFiles& files) {
  std::string canonical;
  for (const auto& [path, content] : files) {
    canonical += fmt::format("{}:{}\n{}:", path.size(), path, content.size());
    canonical += content;
    canonical += '\n';
  }
  return sha256_hex(canonical);
}

boost::json::object files_to_json(const ConfigFiles& files) {
  boost::json::object out;
  for (const auto& [path, content] : files) out[path] = content;
  return out;
}

Result<ConfigFiles> files_from_json(std::string_view text) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return Error::internal("a stored config snapshot is not a JSON object");
  ConfigFiles files;
  for (const auto& [path, content] : v.get_object()) {
    if (!content.is_string()) return Error::internal("a stored config snapshot has a non-string file");
    files[std::string(path)] = std::string(content.get_string());
  }
  return files;
}

std::vector<FileDiff> diff_files(const ConfigFiles& from, const ConfigFiles& to, std::string_view from_label,
                                 std::string_view to_label) {
  std::set<std::string> paths;
  for (const auto& [p, c] : from) paths.insert(p);
  for (const auto& [p, c] : to) paths.insert(p);
  std::vector<FileDiff> out;
  for (const auto& path : paths) {
    const auto a = from.find(path);
    const auto b = to.find(path);
    if (a != from.end() && b != to.end() && a->second == b->second) continue;
    FileDiff d{path, a == from.end() ? "added" : b == to.end() ? "removed" : "modified", {}};
    const auto name = [&](bool present, std::string_view label) {
      return present ? fmt::format("{}/{}", label, path) : std::string("/dev/null");
    };
    d.diff = fmt::format("--- {}\n+++ {}\n", name(a != from.end(), from_label), name(b != to.end(), to_label));
    d.diff += unified(a == from.end() ? std::string{} : a->second, b == to.end() ? std::string{} : b->second);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace winston::agent
