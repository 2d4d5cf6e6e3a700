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
    "api.handler_threads", "api.body_limit_bytes", "api.upload_limit_bytes", "api.read_timeout_ms", "api.idle_timeout_ms", "admin",
    "admin.token", "credits", "credits.tokens_per_credit", "tiers", "log", "log.level", "proxy", "proxy.listen",
    "proxy.port", "proxy.instance_id", "proxy.body_limit_bytes", "proxy.key_cache_ms", "proxy.reservation_ttl_ms",
    "proxy.connect_timeout_ms", "proxy.first_byte_timeout_ms", "proxy.idle_timeout_ms", "providers", "models",
    "proxy.pool_idle_ms", "proxy.pool_max_idle_per_host",
    "agent", "agent.proxy_url", "agent.gateway_bind", "agent.gateway_port", "agent.templates_dir", "agent.skills_dir",
    "agent.default_skills", "agent.default_models", "analyzer", "analyzer.model", "analyzer.proxy_url",
    "analyzer.allow_private", "analyzer.allow_networks", "analyzer.timeout_ms", "analyzer.llm_timeout_ms",
    "cells", "cells.backend", "cells.reconcile", "cells.threads", "cells.poll_interval_ms", "cells.health_interval_ms",
    "cells.max_attempts", "cells.lease_ttl_ms", "cells.local", "cells.local.dir", "cells.local.openclaw_dir",
    "cells.local.start_timeout_ms", "cells.railway", "cells.railway.api_url", "cells.railway.project_token",
    "cells.railway.project_id", "cells.railway.environment_id", "cells.kubernetes", "cells.kubernetes.api_url",
    "cells.kubernetes.in_cluster", "cells.kubernetes.ca_file", "cells.kubernetes.namespace",
    "cells.kubernetes.storage_size", "cells.kubernetes.storage_class"};

Status check_keys(const toml::table& tbl, const std::string& prefix, const std::string& file) {
  for (const auto& [k, v] : tbl) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix == "tiers" || prefix == "providers" || prefix == "agent.default_models") continue;  // free-form names
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

Result<WireApi> parse_api(std::string_view s, const std::string& key) {
  if (s == "anthropic-messages") return WireApi::kAnthropicMessages;
  if (s == "openai-completions") return WireApi::kOpenAIChat;
  return Error::invalid(key, key + " must be anthropic-messages or openai-completions");
}

Status read_strings(const toml::table& tbl, std::string_view path, std::vector<std::string>& out,
                    const std::string& file) {
  const auto node = tbl.at_path(path);
  if (!node) return {};
  const auto* arr = node.as_array();
  const auto bad = [&] { return Error::invalid(std::string(path), fmt::format("{}: {} must be a list of strings", file, path)); };
  if (arr == nullptr) return bad();
  out.clear();
  for (const auto& v : *arr) {
    const auto str = v.value<std::string>();
    if (!str) return bad();
    out.push_back(*str);
  }
  return {};
}

Status read_optional_string(const toml::table& tbl, std::string_view path, std::optional<std::string>& out,
                            const std::string& file) {
  if (!tbl.at_path(path)) return {};
  std::string v;
  WINSTON_TRY(read_string(tbl, path, v, file));
  out = v;
  return {};
}

Status read_bool(const toml::table& tbl, std::string_view path, bool& out, const std::string& file) {
  const auto node = tbl.at_path(path);
  if (!node) return {};
  const auto v = node.value<bool>();
  if (!v) return Error::invalid(std::string(path), fmt::format("{}: {} must be true or false", file, path));
  out = *v;
  return {};
}

Status apply_agent(Config& c, const toml::table& tbl, const std::string& file) {
  WINSTON_TRY(read_string(tbl, "agent.proxy_url", c.agent_proxy_url, file));
  WINSTON_TRY(read_string(tbl, "agent.gateway_bind", c.agent_gateway_bind, file));
  WINSTON_TRY(read_int(tbl, "agent.gateway_port", c.agent_gateway_port, 1, 65535, file));
  WINSTON_TRY(read_optional_string(tbl, "agent.templates_dir", c.agent_templates_dir, file));
  WINSTON_TRY(read_optional_string(tbl, "agent.skills_dir", c.agent_skills_dir, file));
  WINSTON_TRY(read_strings(tbl, "agent.default_skills", c.agent_default_skills, file));
  WINSTON_TRY(read_int(tbl, "agent.message_timeout_ms", c.agent_message_timeout_ms, 1'000, 900'000, file));
  if (const auto* models = tbl.at_path("agent.default_models").as_table()) {
    for (const auto& [tier, v] : *models) {
      const auto model = v.value<std::string>();
      const std::string key = "agent.default_models." + std::string(tier.str());
      if (!model) return Error::invalid(key, fmt::format("{}: {} must be a model id", file, key));
      c.agent_default_models[std::string(tier.str())] = *model;
    }
  }
  WINSTON_TRY(read_string(tbl, "analyzer.model", c.analyzer_model, file));
  WINSTON_TRY(read_string(tbl, "analyzer.proxy_url", c.analyzer_proxy_url, file));
  WINSTON_TRY(read_bool(tbl, "analyzer.allow_private", c.analyzer_allow_private, file));
  WINSTON_TRY(read_strings(tbl, "analyzer.allow_networks", c.analyzer_allow_networks, file));
  WINSTON_TRY(read_int(tbl, "analyzer.timeout_ms", c.analyzer_timeout_ms, 1'000, 600'000, file));
  WINSTON_TRY(read_int(tbl, "analyzer.llm_timeout_ms", c.analyzer_llm_timeout_ms, 1'000, 900'000, file));
  return {};
}

// Tokens are not read from the file: RAILWAY_TOKEN and WINSTON_KUBERNETES_TOKEN come from the environment.
Status apply_cells(Config& c, const toml::table& tbl, const std::string& file) {
  WINSTON_TRY(read_string(tbl, "cells.backend", c.cells_backend, file));
  if (c.cells_backend != "local" && c.cells_backend != "railway" && c.cells_backend != "kubernetes") {
    return Error::invalid("cells.backend", file + ": cells.backend must be local, railway or kubernetes");
  }
  WINSTON_TRY(read_bool(tbl, "cells.reconcile", c.cells_reconcile, file));
  WINSTON_TRY(read_int(tbl, "cells.threads", c.cells_threads, 1, 64, file));
  WINSTON_TRY(read_int(tbl, "cells.poll_interval_ms", c.cells_poll_interval_ms, 100, 600'000, file));
  WINSTON_TRY(read_int(tbl, "cells.health_interval_ms", c.cells_health_interval_ms, 1'000, 3'600'000, file));
  WINSTON_TRY(read_int(tbl, "cells.max_attempts", c.cells_max_attempts, 1, 1'000, file));
  WINSTON_TRY(read_int(tbl, "cells.lease_ttl_ms", c.cells_lease_ttl_ms, 10'000, 3'600'000, file));
  WINSTON_TRY(read_string(tbl, "cells.local.dir", c.cells_local_dir, file));
  WINSTON_TRY(read_string(tbl, "cells.local.openclaw_dir", c.cells_local_openclaw_dir, file));
  WINSTON_TRY(read_int(tbl, "cells.local.start_timeout_ms", c.cells_local_start_timeout_ms, 1'000, 3'600'000, file));
  WINSTON_TRY(read_string(tbl, "cells.railway.api_url", c.railway_api_url, file));
  WINSTON_TRY(read_bool(tbl, "cells.railway.project_token", c.railway_project_token, file));
  WINSTON_TRY(read_string(tbl, "cells.railway.project_id", c.railway_project_id, file));
  WINSTON_TRY(read_string(tbl, "cells.railway.environment_id", c.railway_environment_id, file));
  WINSTON_TRY(read_string(tbl, "cells.kubernetes.api_url", c.kubernetes_api_url, file));
  WINSTON_TRY(read_bool(tbl, "cells.kubernetes.in_cluster", c.kubernetes_in_cluster, file));
  WINSTON_TRY(read_string(tbl, "cells.kubernetes.ca_file", c.kubernetes_ca_file, file));
  WINSTON_TRY(read_string(tbl, "cells.kubernetes.namespace", c.kubernetes_namespace, file));
  WINSTON_TRY(read_string(tbl, "cells.kubernetes.storage_size", c.kubernetes_storage_size, file));
  WINSTON_TRY(read_string(tbl, "cells.kubernetes.storage_class", c.kubernetes_storage_class, file));
  return {};
}

// [providers.<id>] tables replace or add providers; [[models]] replaces the model list.
Status apply_catalog(Config& c, const toml::table& tbl, const std::string& file) {
  std::vector<Provider> providers = c.catalog.providers();
  if (const auto* ps = tbl["providers"].as_table()) {
    for (const auto& [id, node] : *ps) {
      const std::string key = "providers." + std::string(id.str());
      const auto* p = node.as_table();
      if (!p) return Error::invalid(key, fmt::format("{}: {} must be a table", file, key));
      Provider prov{std::string(id.str()), WireApi::kOpenAIChat, p->at_path("base_url").value_or(std::string{}),
                    p->at_path("api_key_env").value_or(std::string{})};
      WINSTON_TRY_ASSIGN(prov.api, parse_api(p->at_path("api").value_or(std::string("openai-completions")), key + ".api"));
      std::erase_if(providers, [&](const Provider& x) { return x.id == prov.id; });
      providers.push_back(std::move(prov));
    }
  }
  std::vector<ModelEntry> models = c.catalog.models();
  if (const auto* ms = tbl["models"].as_array()) {
    models.clear();
    for (const auto& node : *ms) {
      const auto* m = node.as_table();
      if (!m) return Error::invalid("models", file + ": each [[models]] entry must be a table");
      ModelEntry e;
      e.id = m->at_path("id").value_or(std::string{});
      e.provider = m->at_path("provider").value_or(std::string{});
      e.upstream_model = m->at_path("upstream_model").value_or(e.id);
      e.multiplier_milli = static_cast<std::int64_t>(m->at_path("multiplier").value_or(1.0) * 1000.0 + 0.5);
      e.context_window = m->at_path("context_window").value_or(std::int64_t{0});
      e.max_output_tokens = m->at_path("max_output_tokens").value_or(std::int64_t{0});
      const auto usd = [&](const char* k) { return static_cast<std::int64_t>(m->at_path(k).value_or(0.0) * 1e6 + 0.5); };
      e.usd_input_micro = usd("usd_input_per_mtok");
      e.usd_output_micro = usd("usd_output_per_mtok");
      e.usd_cache_write_micro = usd("usd_cache_write_per_mtok");
      e.usd_cache_read_micro = usd("usd_cache_read_per_mtok");
      if (auto d = m->at_path("retires_on").value<std::string>()) e.retires_on = *d;
      if (auto r = m->at_path("replacement").value<std::string>()) e.replacement = *r;
      e.name = m->at_path("name").value_or(std::string{});
      if (const auto* tiers = m->at_path("tiers").as_array()) {
        for (const auto& t : *tiers) {
          if (auto s = t.value<std::string>()) e.tiers.push_back(*s);
        }
      }
      if (const auto* aliases = m->at_path("aliases").as_array()) {
        for (const auto& a : *aliases) {
          if (auto s = a.value<std::string>()) e.aliases.push_back(*s);
        }
      }
      if (e.id.empty()) return Error::invalid("models", file + ": every [[models]] entry needs an id");
      models.push_back(std::move(e));
    }
  }
  Catalog catalog(std::move(providers), std::move(models));
  if (auto problem = catalog.check(); !problem.empty()) return Error::invalid("models", file + ": " + problem);
  c.catalog = std::move(catalog);
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
  WINSTON_TRY(read_int(tbl, "api.upload_limit_bytes", c.api_upload_limit, 1024, 1 << 30, file));
  std::int64_t ms = c.api_http.read_timeout.count();
  WINSTON_TRY(read_int(tbl, "api.read_timeout_ms", ms, 100, 3'600'000, file));
  c.api_http.read_timeout = std::chrono::milliseconds(ms);
  ms = c.api_http.idle_timeout.count();
  WINSTON_TRY(read_int(tbl, "api.idle_timeout_ms", ms, 100, 3'600'000, file));
  c.api_http.idle_timeout = std::chrono::milliseconds(ms);
  WINSTON_TRY(read_string(tbl, "admin.token", c.admin_token, file));
  WINSTON_TRY(read_int(tbl, "credits.tokens_per_credit", c.tokens_per_credit, 1, 1'000'000'000, file));
  WINSTON_TRY(read_string(tbl, "log.level", c.log_level, file));
  WINSTON_TRY(read_string(tbl, "proxy.listen", c.proxy_listen, file));
  WINSTON_TRY(read_int(tbl, "proxy.port", c.proxy_port, 0, 65535, file));
  WINSTON_TRY(read_string(tbl, "proxy.instance_id", c.instance_id, file));
  WINSTON_TRY(read_int(tbl, "proxy.body_limit_bytes", c.proxy_http.body_limit, 1024, 256 << 20, file));
  WINSTON_TRY(read_int(tbl, "proxy.key_cache_ms", c.key_cache_ms, 0, 3'600'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.reservation_ttl_ms", c.reservation_ttl_ms, 60'000, 86'400'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.connect_timeout_ms", c.upstream_connect_timeout_ms, 100, 600'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.first_byte_timeout_ms", c.upstream_first_byte_timeout_ms, 100, 3'600'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.idle_timeout_ms", c.upstream_idle_timeout_ms, 100, 3'600'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.pool_idle_ms", c.upstream_pool_idle_ms, 0, 600'000, file));
  WINSTON_TRY(read_int(tbl, "proxy.pool_max_idle_per_host", c.upstream_pool_max_idle_per_host, 0, 10'000, file));
  WINSTON_TRY(apply_catalog(c, tbl, file));
  WINSTON_TRY(apply_agent(c, tbl, file));
  WINSTON_TRY(apply_cells(c, tbl, file));
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
  if (auto v = env("WINSTON_MASTER_KEY")) c.master_key = *v;
  if (auto v = env("WINSTON_LISTEN")) c.api_listen = *v;
  if (auto v = env("WINSTON_LOG_LEVEL")) c.log_level = *v;
  for (auto [name, target] : {std::pair{"WINSTON_API_PORT", &c.api_port}, std::pair{"WINSTON_PROXY_PORT", &c.proxy_port}}) {
    auto v = env(name);
    if (!v) continue;
    unsigned port = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), port);
    if (ec != std::errc{} || p != v->data() + v->size() || port > 65535) {
      return Error::invalid(name, std::string(name) + " must be a port number (0-65535)");
    }
    *target = static_cast<std::uint16_t>(port);
  }
  if (auto v = env("WINSTON_INSTANCE_ID")) c.instance_id = *v;
  if (auto v = env("WINSTON_AGENT_PROXY_URL")) c.agent_proxy_url = *v;
  if (auto v = env("WINSTON_OPENCLAW_DIR")) c.cells_local_openclaw_dir = *v;
  if (auto v = env("WINSTON_CELLS_BACKEND")) {
    if (*v != "local" && *v != "railway" && *v != "kubernetes") {
      return Error::invalid("WINSTON_CELLS_BACKEND", "WINSTON_CELLS_BACKEND must be local, railway or kubernetes");
    }
    c.cells_backend = *v;
  }
  if (auto v = env("RAILWAY_TOKEN")) c.railway_token = *v;
  if (auto v = env("WINSTON_KUBERNETES_TOKEN")) c.kubernetes_token = *v;
  if (auto v = env("WINSTON_ANALYZER_ALLOW_PRIVATE")) c.analyzer_allow_private = *v == "1" || *v == "true";
  for (const auto& p : c.catalog.providers()) {
    if (p.api_key_env.empty()) {
      c.provider_keys[p.id] = "";  // a keyless provider, e.g. a local llama.cpp or Ollama server
    } else if (auto key = env(p.api_key_env.c_str())) {
      c.provider_keys[p.id] = *key;
    }
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
