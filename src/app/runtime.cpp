#include "app/runtime.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>

#include "api/audit_api.hpp"
#include "api/connector_api.hpp"
#include "api/instance_api.hpp"
#include "cells/kubernetes_provisioner.hpp"
#include "cells/local_provisioner.hpp"
#include "cells/railway_provisioner.hpp"
#include "api/agent_api.hpp"
#include "api/system_api.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "storage/migrations.hpp"

namespace winston::app {
namespace net = boost::asio;

Result<std::unique_ptr<storage::Database>> open_database(const Config& config) {
  WINSTON_TRY_ASSIGN(auto db, storage::Database::open(config.database_url, config.database_pool_size));
  WINSTON_TRY_ASSIGN(const auto report, storage::migrate(*db));
  log::info("db.ready", {{"backend", storage::to_string(db->backend())},
                         {"url", db->redacted_url()},
                         {"schema_version", report.current_version},
                         {"migrations_applied", report.applied.size()}});
  return db;
}

/// The data directory holds the database, master.key and the local cells:
/// owner-only (0700) whatever the umask, and tightened where an older run left it wider.
void restrict_data_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) == 0) return;
  if (::chmod(dir.c_str(), 0700) != 0) {
    log::warn("data_dir.not_private", {{"path", dir}, {"error", std::strerror(errno)}});
  }
}

/// A secret from the configuration, or else from `<data_dir>/<file>`, which
/// is created (mode 0600) with `generate()` on first start. `check` validates either.
Result<std::string> resolve_secret(const std::string& configured, const std::string& data_dir, std::string_view file,
                                   const std::function<std::string()>& generate,
                                   const std::function<Status(std::string_view, std::string_view)>& check) {
  if (!configured.empty()) {
    WINSTON_TRY(check(configured, "the configured value"));
    return configured;
  }
  const auto path = std::filesystem::path(data_dir) / file;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string value;
    std::getline(in, value);
    WINSTON_TRY(check(value, path.string()));
    return value;
  }
  const std::string value = generate();
  const auto old_mask = ::umask(077);
  {
    std::ofstream out(path);
    out << value << '\n';
  }
  ::umask(old_mask);
  if (!std::filesystem::exists(path)) return Error::internal("cannot write " + path.string());
  log::info("secret.created", {{"path", path.string()}});
  return value;
}

Result<std::string> resolve_admin_token(const Config& config) {
  return resolve_secret(config.admin_token, config.data_dir, "admin_token", [] { return random_hex(32); },
                        [](std::string_view token, std::string_view where) -> Status {
                          if (token.size() >= 16) return {};
                          return Error::invalid("WINSTON_ADMIN_TOKEN",
                                                fmt::format("the admin token in {} must be at least 16 characters", where));
                        });
}

/// WINSTON_MASTER_KEY, or a key generated into the data directory for a single-machine deployment.
Result<SecretBox> resolve_master_key(const Config& config) {
  WINSTON_TRY_ASSIGN(const std::string encoded,
                     resolve_secret(config.master_key, config.data_dir, "master.key", SecretBox::generate_encoded_key,
                                    [](std::string_view key, std::string_view where) -> Status {
                                      if (SecretBox::from_encoded_key(key).ok()) return {};
                                      return Error::invalid("WINSTON_MASTER_KEY",
                                                            fmt::format("the master key in {} must be 32 bytes as 64 "
                                                                        "hex characters or base64",
                                                                        where));
                                    }));
  return SecretBox::from_encoded_key(encoded);
}

analyzer::FetchOptions fetch_options(const Config& config) {
  analyzer::FetchOptions o;
  o.allow_private = config.analyzer_allow_private;
  o.allow_networks = config.analyzer_allow_networks;
  o.total_timeout = std::chrono::milliseconds(config.analyzer_timeout_ms);
  return o;
}

/// The cell backends this configuration can use: local always; Railway with a
/// token, project and environment; Kubernetes with an API URL or in-cluster.
std::vector<std::string> configured_backends(const Config& config) {
  std::vector<std::string> out{"local"};
  if (!config.railway_token.empty() && !config.railway_project_id.empty() && !config.railway_environment_id.empty()) {
    out.emplace_back("railway");
  }
  if (!config.kubernetes_api_url.empty() || config.kubernetes_in_cluster) out.emplace_back("kubernetes");
  return out;
}

/// Why `url` names this machine (empty when it does not): the loopback
/// network, localhost or the unspecified address.
std::string loopback_reason(const std::string& url) {
  const auto u = boost::urls::parse_uri(url);
  if (!u) return {};
  const std::string host = to_lower(u->host_address());
  const bool loopback = host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
                        host == "0.0.0.0" || host == "::1" || host == "::" || host == "0:0:0:0:0:0:0:1";
  return loopback ? fmt::format("{} is this machine's own address", url) : std::string();
}

/// Railway and Kubernetes cells run on other machines: a proxy URL on this
/// machine's loopback (or none: this process's http://127.0.0.1:<port>)
/// would have them call themselves, and every model request would fail.
Status check_cell_proxy_url(const Config& config) {
  const auto backends = configured_backends(config);
  const auto remote = std::find_if(backends.begin(), backends.end(), [](const auto& b) { return b != "local"; });
  if (remote == backends.end()) return {};
  const std::string why = config.agent_proxy_url.empty()
                              ? fmt::format("it is unset, so cells would be given http://127.0.0.1:{}", config.proxy_port)
                              : loopback_reason(config.agent_proxy_url);
  if (why.empty()) return {};
  return Error::invalid("agent.proxy_url",
                        fmt::format("agent.proxy_url (or WINSTON_AGENT_PROXY_URL) must be an address {} cells can "
                                    "reach, but {}; set it to Winston's proxy as the cells see it, e.g. "
                                    "http://winston-proxy.winston.svc:8081 in the cluster or "
                                    "https://proxy.example.com (local cells keep 127.0.0.1)",
                                    *remote, why));
}

/// Start-up checks that name the offending key instead of failing on the first generation.
Status check_agent_config(const Config& config, const agent::AgentAssets& assets) {
  for (const auto& name : config.agent_default_skills) {
    if (assets.skill(name) == nullptr) {
      return Error::invalid("agent.default_skills", fmt::format("agent.default_skills: no skill named '{}'", name));
    }
  }
  for (const auto& [tier, model] : config.agent_default_models) {
    const auto* m = config.catalog.find(model);
    if (m == nullptr || !m->offered_to(tier)) {
      return Error::invalid("agent.default_models." + tier,
                            fmt::format("agent.default_models.{}: {} is not a catalog model offered to that tier", tier,
                                        model));
    }
  }
  const auto backends = configured_backends(config);
  if (std::find(backends.begin(), backends.end(), config.cells_backend) == backends.end()) {
    return Error::invalid("cells.backend",
                          fmt::format("cells.backend is {} but that backend is not configured (Railway needs "
                                      "RAILWAY_TOKEN, cells.railway.project_id and environment_id; Kubernetes "
                                      "cells.kubernetes.api_url or in_cluster)",
                                      config.cells_backend));
  }
  WINSTON_TRY(check_cell_proxy_url(config));
  if (config.catalog.find(config.analyzer_model) == nullptr) {
    return Error::invalid("analyzer.model", fmt::format("analyzer.model: {} is not in the model catalog",
                                                        config.analyzer_model));
  }
  return {};
}

Result<std::unique_ptr<Runtime>> Runtime::create(Config config, const Clock& clock, Role role) {
  restrict_data_dir(config.data_dir);
  WINSTON_TRY_ASSIGN(const std::string token, resolve_admin_token(config));
  config.admin_token = token;
  WINSTON_TRY_ASSIGN(SecretBox secret_box, resolve_master_key(config));
  config.master_key.clear();  // only the SecretBox keeps it
  if (auto problem = config.catalog.check(); !problem.empty()) return Error::invalid("models", problem);
  if (config.instance_id.empty()) {
    std::array<char, 256> host{};
    ::gethostname(host.data(), host.size() - 1);
    config.instance_id = fmt::format("{}:{}", host.data(), config.proxy_port);
  }
  WINSTON_TRY_ASSIGN(auto assets, agent::AgentAssets::load(config.agent_templates_dir, config.agent_skills_dir));
  WINSTON_TRY_ASSIGN(auto fetcher, analyzer::HttpSiteFetcher::create(fetch_options(config)));
  WINSTON_TRY(check_agent_config(config, assets));
  WINSTON_TRY_ASSIGN(auto db, open_database(config));
  return std::unique_ptr<Runtime>(new Runtime(std::move(config), clock, role, std::move(db), std::move(secret_box),
                                              std::move(assets), std::move(fetcher)));
}

Runtime::Runtime(Config config, const Clock& clock, Role role, std::unique_ptr<storage::Database> db,
                 SecretBox secret_box, agent::AgentAssets assets, std::unique_ptr<analyzer::HttpSiteFetcher> fetcher)
    : config_(std::move(config)),
      clock_(clock),
      role_(role),
      db_(std::move(db)),
      secret_box_(std::move(secret_box)),
      tenants_(std::make_unique<services::TenantService>(*db_, clock_, config_.tiers)),
      keys_(std::make_unique<services::KeyService>(*db_, clock_, config_.key_cache_ms)),
      metering_(std::make_unique<services::MeteringService>(
          *db_, clock_,
          services::MeteringOptions{.tokens_per_credit = config_.tokens_per_credit,
                                    .reservation_ttl_ms = config_.reservation_ttl_ms,
                                    .instance_id = config_.instance_id})),
      assets_(std::move(assets)),
      fetcher_(std::move(fetcher)),
      auth_(config_.admin_token),
      handler_pool_(config_.handler_threads) {
  services::ConfigOptions config_options;
  config_options.cell = {config_.agent_proxy_url, config_.agent_gateway_bind,
                         static_cast<int>(config_.agent_gateway_port), "${OPENCLAW_WORKSPACE_DIR}"};
  config_options.own_proxy_url = [this] { return own_proxy_url(); };
  config_options.default_models = config_.agent_default_models;
  config_options.default_skills = config_.agent_default_skills;
  configs_ = std::make_unique<services::ConfigService>(*db_, clock_, config_.catalog, assets_, secret_box_, *keys_,
                                                       std::move(config_options));
  analyzer::LlmOptions llm;
  llm.base_url = config_.analyzer_proxy_url;
  llm.own_proxy_url = [this] { return own_proxy_url(); };
  llm.model = config_.analyzer_model;
  const auto* model = config_.catalog.find(config_.analyzer_model);
  const auto* provider = model != nullptr ? config_.catalog.provider(model->provider) : nullptr;
  llm.api = provider != nullptr ? provider->api : WireApi::kOpenAIChat;
  llm.response_timeout = std::chrono::milliseconds(config_.analyzer_llm_timeout_ms);
  analyzer_model_ = std::make_unique<analyzer::LlmClient>(std::move(llm));
  services::AnalyzerOptions analyzer_options;
  analyzer_options.api_key = [this] { return configs_->system_api_key(); };
  analyzer_ = std::make_unique<services::AnalyzerService>(*db_, clock_, *fetcher_, *analyzer_model_,
                                                          std::move(analyzer_options));
  api::register_system_routes(
      router_, [this] { return db_->ping(); }, [this] { return metrics_.render(); }, auth_);
  instances_ = std::make_unique<services::InstanceService>(*db_, clock_, configured_backends(config_),
                                                           config_.cells_backend);
  api::register_tenant_routes(router_, *tenants_, *instances_, auth_);
  api::register_instance_routes(router_, *instances_, auth_);
  api::register_key_routes(router_, *keys_, auth_);
  api::register_agent_routes(router_, *analyzer_, *configs_, auth_);
  agent::GatewayChatOptions chat;
  chat.timeout = std::chrono::milliseconds(config_.agent_message_timeout_ms);
  agent_ = std::make_unique<services::AgentService>(*db_, clock_, *configs_, chat);
  api::register_agent_message_routes(router_, *agent_, auth_);
  connectors_ = std::make_unique<services::ConnectorService>(*db_, clock_, secret_box_);
  api::register_connector_admin_routes(router_, *connectors_, auth_);
  audit_ = std::make_unique<services::AuditService>(*db_);
  api::register_audit_routes(router_, *audit_, auth_);
  config_.api_http.name = "api";
  config_.api_http.body_limit_ceiling = config_.api_upload_limit;
  config_.api_http.body_limit_for = [limit = config_.api_upload_limit](std::string_view target) {
    return api::is_connector_upload(target) ? std::optional<std::size_t>(limit) : std::nullopt;
  };
  api_handler_ = std::make_unique<http::RoutedHandler>(handler_pool_, router_, metrics_, "api",
                                                       config_.api_http.write_timeout);
  api_server_ = std::make_unique<http::Server>(ioc_, *api_handler_, config_.api_http);

  api::register_system_routes(
      proxy_router_, [this] { return db_->ping(); },
      [this] { return proxy_http_metrics_.render() + proxy_metrics_.render(); }, auth_);
  // Cells reach the proxy listener with their key already; their connector API lives there too.
  api::register_connector_cell_routes(proxy_router_, *connectors_, *keys_);
  // Remote cells fetch their config snapshot at start with their own key.
  api::register_cell_config_route(proxy_router_, *configs_, *keys_);
  // The proxy's upstream client and listener: not for the CLI nor a reconciler-only worker.
  if (role_ != Role::kCli && role_ != Role::kWorker) build_proxy();
}

// The provisioners of the configured backends and the reconciler over them (roles all and worker).
Status Runtime::build_cells() {
  std::map<std::string, services::Provisioner*, std::less<>> backends;
  cells::LocalOptions local;
  local.root = config_.cells_local_dir.empty() ? std::filesystem::path(config_.data_dir) / "cells"
                                               : std::filesystem::path(config_.cells_local_dir);
  local.node_deps = config_.cells_local_openclaw_dir;
  local.start_timeout = std::chrono::milliseconds(config_.cells_local_start_timeout_ms);
  provisioners_.push_back(std::make_unique<cells::LocalProvisioner>(std::move(local)));
  for (const auto& name : configured_backends(config_)) {
    if (name == "railway") {
      cells::RailwayOptions o;
      o.api_url = config_.railway_api_url;
      o.token = config_.railway_token;
      o.project_token = config_.railway_project_token;
      o.project_id = config_.railway_project_id;
      o.environment_id = config_.railway_environment_id;
      provisioners_.push_back(std::make_unique<cells::RailwayProvisioner>(std::move(o)));
    } else if (name == "kubernetes") {
      cells::KubernetesOptions o;
      if (config_.kubernetes_in_cluster) {
        WINSTON_TRY_ASSIGN(o, cells::KubernetesOptions::in_cluster());
      }
      if (!config_.kubernetes_api_url.empty()) o.api_url = config_.kubernetes_api_url;
      if (!config_.kubernetes_token.empty()) o.token = config_.kubernetes_token;
      if (!config_.kubernetes_ca_file.empty()) o.ca_file = config_.kubernetes_ca_file;
      if (!config_.kubernetes_in_cluster) o.namespace_ = config_.kubernetes_namespace;
      o.storage_size = config_.kubernetes_storage_size;
      o.storage_class = config_.kubernetes_storage_class;
      provisioners_.push_back(std::make_unique<cells::KubernetesProvisioner>(std::move(o)));
    }
  }
  for (auto& p : provisioners_) backends.emplace(std::string(p->backend()), p.get());
  services::ReconcilerOptions o;
  o.owner_prefix = config_.instance_id + "/";
  o.lease_ttl = std::chrono::milliseconds(config_.cells_lease_ttl_ms);
  o.poll_interval = std::chrono::milliseconds(config_.cells_poll_interval_ms);
  o.health_interval = std::chrono::milliseconds(config_.cells_health_interval_ms);
  o.max_attempts = static_cast<int>(config_.cells_max_attempts);
  o.threads = static_cast<int>(config_.cells_threads);
  o.proxy_url = [this] { return config_.agent_proxy_url.empty() ? own_proxy_url() : config_.agent_proxy_url; };
  reconciler_ = std::make_unique<services::Reconciler>(*db_, clock_, *tenants_, *configs_, analyzer_.get(),
                                                       std::move(backends), std::move(o));
  return {};
}

// The proxy's upstream client and listener; the operator CLI does without (and without their start-up logs).
void Runtime::build_proxy() {
  http::UpstreamOptions up;
  up.connect_timeout = std::chrono::milliseconds(config_.upstream_connect_timeout_ms);
  up.first_byte_timeout = std::chrono::milliseconds(config_.upstream_first_byte_timeout_ms);
  up.idle_timeout = std::chrono::milliseconds(config_.upstream_idle_timeout_ms);
  up.pool_idle = std::chrono::milliseconds(config_.upstream_pool_idle_ms);
  up.max_idle_per_host = static_cast<std::size_t>(config_.upstream_pool_max_idle_per_host);
  upstream_ = std::make_unique<http::UpstreamClient>(ioc_.get_executor(), up);
  proxy_metrics_.watch_upstream(upstream_.get());
  proxy_system_handler_ = std::make_unique<http::RoutedHandler>(handler_pool_, proxy_router_, proxy_http_metrics_,
                                                                "proxy", config_.proxy_http.write_timeout);
  proxy_handler_ = std::make_unique<proxy::ProxyHandler>(handler_pool_, config_.catalog, config_.provider_keys, *keys_,
                                                         *metering_, *upstream_, proxy_metrics_,
                                                         *proxy_system_handler_, proxy::ProxyOptions{});
  config_.proxy_http.name = "proxy";
  proxy_server_ = std::make_unique<http::Server>(ioc_, *proxy_handler_, config_.proxy_http);
}

Runtime::~Runtime() { stop(std::chrono::seconds(1)); }

// The proxy of this process; in the api role (no proxy here) the configured port.
std::string Runtime::own_proxy_url() const {
  const std::uint16_t port = proxy_port_ != 0 ? proxy_port_ : config_.proxy_port;
  return fmt::format("http://127.0.0.1:{}", port);
}

Status Runtime::start() {
  if (role_ == Role::kCli) return Error::internal("a CLI runtime does not serve");
  const bool api = role_ == Role::kAll || role_ == Role::kApi;
  const bool proxy = role_ == Role::kAll || role_ == Role::kProxy;
  const bool worker = (role_ == Role::kAll && config_.cells_reconcile) || role_ == Role::kWorker;
  if (api) {
    WINSTON_TRY_ASSIGN(api_port_, api_server_->listen(config_.api_listen, config_.api_port));
    api_server_->start();
  }
  if (proxy) {
    WINSTON_TRY_ASSIGN(proxy_port_, proxy_server_->listen(config_.proxy_listen, config_.proxy_port));
    // Before the first request: whatever this instance held when it last died is resolved now.
    WINSTON_TRY(metering_->recover_orphans(services::MeteringService::Orphans::kExpiredAndOwn));
    proxy_server_->start();
    schedule_sweep();
  }
  io_thread_ = std::thread([this] {
    auto guard = net::make_work_guard(ioc_);  // keep running while idle; stop() ends it
    ioc_.run();
  });
  if (worker) {
    // After the listeners: local cells are pointed at this process's proxy port.
    WINSTON_TRY(build_cells());
    WINSTON_TRY(reconciler_->start());
  }
  if (api) log::info("http.listening", {{"server", "api"}, {"address", config_.api_listen}, {"port", api_port_}});
  if (proxy) {
    log::info("http.listening", {{"server", "proxy"}, {"address", config_.proxy_listen}, {"port", proxy_port_},
                                 {"instance_id", config_.instance_id}});
  }
  return {};
}

// Every minute, resolve reservations whose owner died (their TTL passed), off the I/O thread.
void Runtime::schedule_sweep() {
  sweep_timer_ = std::make_unique<net::steady_timer>(ioc_, std::chrono::seconds(60));
  sweep_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    net::post(handler_pool_, [this] {
      auto r = metering_->recover_orphans(services::MeteringService::Orphans::kExpired);
      if (!r.ok()) log::warn("credits.sweep_failed", {{"error", r.error().message}});
    });
    schedule_sweep();
  });
}

void Runtime::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  // First: no new cell work, and local gateways are stopped while the proxy still answers.
  if (reconciler_) reconciler_->stop();
  const auto open_connections = [this] {
    return api_server_->open_connections() + (proxy_server_ ? proxy_server_->open_connections() : 0);
  };
  if (io_thread_.joinable()) {
    api_server_->shutdown();
    if (proxy_server_) proxy_server_->shutdown();
    net::post(ioc_, [this] {
      if (sweep_timer_) sweep_timer_->cancel();
    });
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc_.stop();
    io_thread_.join();
  }
  handler_pool_.join();
  if (role_ == Role::kCli) return;
  log::info("server.stopped", {{"open_connections", open_connections()}});
}

void Runtime::wait_for_signal() {
  net::io_context sig_ioc;
  net::signal_set signals(sig_ioc, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int sig) {
    log::info("server.signal", {{"signal", sig}});
  });
  sig_ioc.run();
  stop();
}

}  // namespace winston::app
