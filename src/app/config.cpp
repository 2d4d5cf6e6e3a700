#include "app/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace winston::app {
namespace {

const std::set<std::string, std::less<>> kKnownKeys = {
    "data_dir", "database", "database.url", "database.pool_size", "api", "api.listen", "api.port",
    "api.handler_threads", "api.body_limit_bytes", "api.read_timeout_ms", "api.idle_timeout_ms", "admin",
    "admin.token", "credits", "credits.tokens_per_credit", "tiers", "log", "log.level"};

Status check_keys(const toml::table& tbl, const std::string& prefix, const std::string& file) {
  for (const auto& [k, v] : tbl) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix == "tiers") continue;  // tier names are free-form
    if (!kKnownKeys.contains(key)) return Error::invalid(key, fmt::format("{}: unknown key '{}'", file, key));
    if (const auto* sub = v.as_table()) WINSTON_TRY(check_keys(*sub, key, file));
  }
  return {};
}

template <typename T>
Status read_int(const toml::table& tbl, std::string_view path, T& out, std::int64_t min, std::int64_t max,
                const std::string& file) {
  const auto node = tbl.at_path(path);
  if (!node) return {};
  const auto v = node.value<std::int64_t>();
  if (!v || *v < min || *v > max) {
    return Error::invalid(std::string(path), fmt::format("{}: {} must be an integer in [{}, {}]", file, path, min, max));
  }
  out = static_cast<T>(*v);
  return {};
}

Status read_string(const toml::table& tbl, std::string_view path, std::string& out, const std::string& file) {
  const auto node = tbl.at_path(path);
  if (!node) return {};
  const auto v = node.value<std::string>();
  if (!v) return Error::invalid(std::string(path), fmt::format("{}: {} must be a string", file, path));
  out = *v;
  return {};
}

Status apply_file(Config& c, const std::string& file) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return Error::invalid("config", fmt::format("{}:{}: {}", file, e.source().begin.line, e.description()));
  }
  WINSTON_TRY(check_keys(tbl, "", file));
  WINSTON_TRY(read_string(tbl, "data_dir", c.data_dir, file));
  WINSTON_TRY(read_string(tbl, "database.url", c.database_url, file));
  WINSTON_TRY(read_int(tbl, "database.pool_size", c.database_pool_size, 1, 256, file));
  WINSTON_TRY(read_string(tbl, "api.listen", c.api_listen, file));
  WINSTON_TRY(read_int(tbl, "api.port", c.api_port, 0, 65535, file));
  WINSTON_TRY(read_int(tbl, "api.handler_threads", c.handler_threads, 1, 256, file));
  WINSTON_TRY(read_int(tbl, "api.body_limit_bytes", c.api_http.body_limit, 1024, 64 << 20, file));
  std::int64_t ms = c.api_http.read_timeout.count();
  WINSTON_TRY(read_int(tbl, "api.read_timeout_ms", ms, 100, 3'600'000, file));
  c.api_http.read_timeout = std::chrono::milliseconds(ms);
  ms = c.api_http.idle_timeout.count();
  WINSTON_TRY(read_int(tbl, "api.idle_timeout_ms", ms, 100, 3'600'000, file));
  c.api_http.idle_timeout = std::chrono::milliseconds(ms);
  WINSTON_TRY(read_string(tbl, "admin.token", c.admin_token, file));
  WINSTON_TRY(read_int(tbl, "credits.tokens_per_credit", c.tokens_per_credit, 1, 1'000'000'000, file));
  WINSTON_TRY(read_string(tbl, "log.level", c.log_level, file));
  if (const auto* tiers = tbl["tiers"].as_table()) {
    TierTable t;
    for (const auto& [name, v] : *tiers) {
      const auto credits = v.value<std::int64_t>();
      const std::string key = "tiers." + std::string(name.str());
      if (!credits || *credits < 0 || *credits > INT64_MAX / kMilliPerCredit) {
        return Error::invalid(key, fmt::format("{}: {} must be a non-negative number of credits", file, key));
      }
      t.monthly_mc[std::string(name.str())] = *credits * kMilliPerCredit;
    }
    c.tiers = std::move(t);
  }
  return {};
}

Status apply_env(Config& c, const EnvLookup& env) {
  if (auto v = env("WINSTON_DATA_DIR")) c.data_dir = *v;
  if (auto v = env("WINSTON_DATABASE_URL")) c.database_url = *v;
  if (auto v = env("WINSTON_ADMIN_TOKEN")) c.admin_token = *v;
  if (auto v = env("WINSTON_LISTEN")) c.api_listen = *v;
  if (auto v = env("WINSTON_LOG_LEVEL")) c.log_level = *v;
  if (auto v = env("WINSTON_API_PORT")) {
    unsigned port = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), port);
    if (ec != std::errc{} || p != v->data() + v->size() || port > 65535) {
      return Error::invalid("WINSTON_API_PORT", "WINSTON_API_PORT must be a port number (0-65535)");
    }
    c.api_port = static_cast<std::uint16_t>(port);
  }
  return {};
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

Result<Config> load_config(const std::optional<std::string>& file, const EnvLookup& env) {
  Config c;
  std::optional<std::string> path = file;
  if (!path) path = env("WINSTON_CONFIG");
  if (!path && std::filesystem::exists("winston.toml")) path = "winston.toml";
  if (path) {
    if (!std::filesystem::exists(*path)) return Error::invalid("config", "config file not found: " + *path);
    WINSTON_TRY(apply_file(c, *path));
    c.source = *path;
  } else {
    c.source = "embedded defaults";
  }
  WINSTON_TRY(apply_env(c, env));
  if (c.database_url.empty()) c.database_url = "sqlite:" + (std::filesystem::path(c.data_dir) / "winston.db").string();
  if (!c.tiers.allotment("free")) return Error::invalid("tiers.free", "the tier table must define 'free'");
  return c;
}

}  // namespace winston::app
