#pragma once
// Wiring only: builds the database pool, services, routes and servers from a
// Config and runs them. `winston serve` (all roles), `winston api`,
// `winston proxy` and the integration tests use the same object.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <thread>

#include "agent/assets.hpp"
#include "analyzer/llm_client.hpp"
#include "analyzer/site_fetcher.hpp"
#include "api/admin_api.hpp"
#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/secret_box.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "proxy/proxy_handler.hpp"
#include "services/provisioner.hpp"
#include "services/connector_service.hpp"
#include "services/instance_service.hpp"
#include "services/agent_service.hpp"
#include "services/reconciler.hpp"
#include "services/analyzer_service.hpp"
#include "services/audit_service.hpp"
#include "services/config_service.hpp"
#include "services/key_service.hpp"
#include "services/metering_service.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"

namespace winston::app {

/// Opens the database and brings the schema up to date.
Result<std::unique_ptr<storage::Database>> open_database(const Config& config);

/// kWorker: the cell reconciler only. kCli: services only, nothing listens
/// and nothing reconciles (the operator CLI on the same database).
enum class Role { kAll, kApi, kProxy, kWorker, kCli };

class Runtime {
 public:
  /// Opens and migrates the database; nothing listens yet.
  static Result<std::unique_ptr<Runtime>> create(Config config, const Clock& clock, Role role = Role::kAll);
  ~Runtime();

  /// Binds the servers of the role (port 0 = any free port), resolves credit
  /// reservations a previous run of this instance left open, then serves on
  /// a background I/O thread; roles all and worker also start the cell reconciler.
  Status start();
  /// Stops accepting, lets requests in flight finish (up to `grace`), then stops.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Blocks until SIGINT/SIGTERM, then stops gracefully.
  void wait_for_signal();

  storage::Database& database() { return *db_; }
  /// Seals and opens secrets at rest under the master key.
  const SecretBox& secret_box() const { return secret_box_; }
  services::TenantService& tenants() { return *tenants_; }
  services::KeyService& keys() { return *keys_; }
  services::MeteringService& metering() { return *metering_; }
  services::ConfigService& configs() { return *configs_; }
  services::AnalyzerService& analyzer() { return *analyzer_; }
  services::ConnectorService& connectors() { return *connectors_; }
  services::InstanceService& instances() { return *instances_; }
  services::AuditService& audit() { return *audit_; }
  services::AgentService& agent() { return *agent_; }
  /// The cell reconciler (roles all and worker), else null.
  services::Reconciler* reconciler() { return reconciler_.get(); }
  const http::Router& router() const { return router_; }
  /// The routed (non-LLM) part of the proxy listener: system routes and the cells' connector API.
  const http::Router& proxy_router() const { return proxy_router_; }
  std::uint16_t api_port() const { return api_port_; }
  std::uint16_t proxy_port() const { return proxy_port_; }

 private:
  Runtime(Config config, const Clock& clock, Role role, std::unique_ptr<storage::Database> db, SecretBox secret_box,
          agent::AgentAssets assets, std::unique_ptr<analyzer::HttpSiteFetcher> fetcher);
  std::string own_proxy_url() const;
  void build_proxy();
  Status build_cells();
  void schedule_sweep();

  Config config_;
  const Clock& clock_;
  Role role_;
  std::unique_ptr<storage::Database> db_;
  SecretBox secret_box_;
  std::unique_ptr<services::TenantService> tenants_;
  std::unique_ptr<services::KeyService> keys_;
  std::unique_ptr<services::MeteringService> metering_;
  agent::AgentAssets assets_;
  std::unique_ptr<services::ConfigService> configs_;
  std::unique_ptr<analyzer::HttpSiteFetcher> fetcher_;
  std::unique_ptr<analyzer::LlmClient> analyzer_model_;  // before analyzer_, which holds a reference to it
  std::unique_ptr<services::AnalyzerService> analyzer_;
  std::unique_ptr<services::ConnectorService> connectors_;
  std::unique_ptr<services::InstanceService> instances_;
  std::unique_ptr<services::AuditService> audit_;
  std::unique_ptr<services::AgentService> agent_;
  std::vector<std::unique_ptr<services::Provisioner>> provisioners_;
  std::unique_ptr<services::Reconciler> reconciler_;
  api::AdminAuth auth_;
  http::Metrics metrics_;
  http::Metrics proxy_http_metrics_;
  proxy::ProxyMetrics proxy_metrics_;
  http::Router router_;
  http::Router proxy_router_;
  boost::asio::io_context ioc_;
  boost::asio::thread_pool handler_pool_;
  std::unique_ptr<http::UpstreamClient> upstream_;
  std::unique_ptr<http::RoutedHandler> api_handler_;
  std::unique_ptr<http::RoutedHandler> proxy_system_handler_;
  std::unique_ptr<proxy::ProxyHandler> proxy_handler_;
  std::unique_ptr<http::Server> api_server_;
  std::unique_ptr<http::Server> proxy_server_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  std::thread io_thread_;
  std::uint16_t api_port_ = 0;
  std::uint16_t proxy_port_ = 0;
  bool stopped_ = false;
};

/// The admin token from the config, or one kept in <data_dir>/admin_token
/// (created with 0600 permissions on first start). Never logged.
Result<std::string> resolve_admin_token(const Config& config);

}  // namespace winston::app
