#pragma once
// Configuration: embedded defaults, then winston.toml (toml++), then the
// environment (WINSTON_*), each overriding the one before.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/tenant.hpp"
#include "http/server.hpp"

namespace winston::app {

struct Config {
  std::string data_dir = "data";
  std::string database_url;          // default: sqlite:<data_dir>/winston.db
  std::size_t database_pool_size = 8;
  std::string api_listen = "127.0.0.1";
  std::uint16_t api_port = 8080;
  std::size_t handler_threads = 4;
  http::ServerOptions api_http;
  std::size_t api_upload_limit = 16 * 1024 * 1024;  // connector data uploads (CSV/JSON menus and sales)
  std::string admin_token;           // secret: never logged
  std::string master_key;            // WINSTON_MASTER_KEY, seals secrets at rest; secret: never logged

  // The LLM proxy.
  std::string proxy_listen = "127.0.0.1";
  std::uint16_t proxy_port = 8081;
  http::ServerOptions proxy_http = [] {
    http::ServerOptions o;
    o.body_limit = 8 * 1024 * 1024;  // OpenClaw sends ~60 KB for a one-line chat; long sessions are far larger
    o.name = "proxy";
    return o;
  }();
  std::string instance_id;           // owner of this process's credit reservations; default host:proxy_port
  std::int64_t key_cache_ms = 5000;
  std::int64_t reservation_ttl_ms = 15 * 60 * 1000;
  std::int64_t upstream_connect_timeout_ms = 10'000;
  std::int64_t upstream_first_byte_timeout_ms = 300'000;
  std::int64_t upstream_idle_timeout_ms = 120'000;
  Catalog catalog = Catalog::defaults();
  std::map<std::string, std::string> provider_keys;  // provider id -> key, from the environment; secret
  std::int64_t tokens_per_credit = 1000;
  TierTable tiers = TierTable::defaults();
  // Agent configuration ([agent]): what generated OpenClaw configs point at.
  std::string agent_proxy_url;       // how cells reach the proxy; empty: this process's proxy (http://127.0.0.1:<its port>)
  std::string agent_gateway_bind = "lan";
  std::int64_t agent_gateway_port = 8080;
  std::optional<std::string> agent_templates_dir;  // operator overrides of SOUL.md, AGENTS.md, USER.md, IDENTITY.md
  std::optional<std::string> agent_skills_dir;     // operator skills (a directory per skill)
  std::vector<std::string> agent_default_skills = {"inventory-lookup", "sales-summary", "social-media"};
  std::map<std::string, std::string, std::less<>> agent_default_models;  // tier -> model id

  // Website analyzer ([analyzer]).
  std::string analyzer_model = "kimi-k2.5";
  std::string analyzer_proxy_url;    // Winston's own proxy as seen from the API role; empty: this process's proxy (http://127.0.0.1:<its port>)
  bool analyzer_allow_private = false;   // development only: lets the analyzer fetch private/loopback addresses
  std::vector<std::string> analyzer_allow_networks;  // CIDRs exempt from the SSRF guard
  std::int64_t analyzer_timeout_ms = 45'000;         // the whole crawl
  std::int64_t analyzer_llm_timeout_ms = 120'000;

  std::string log_level = "info";
  std::string source;                // where the file came from, for logs
};

using EnvLookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> process_env(const char* name);

/// Loads `file` (when given, or ./winston.toml when it exists) and applies
/// the environment. Errors name the key and the file.
Result<Config> load_config(const std::optional<std::string>& file, const EnvLookup& env = process_env);

}  // namespace winston::app
