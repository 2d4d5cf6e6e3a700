#pragma once
// Wiring only: builds the database pool, services, routes and servers from a
// Config and runs them. `winston serve` and the integration tests use the
// same object.

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <thread>

#include "api/admin_api.hpp"
#include "app/config.hpp"
#include "core/clock.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"

namespace winston::app {

/// Opens the database and brings the schema up to date.
Result<std::unique_ptr<storage::Database>> open_database(const Config& config);

class Runtime {
 public:
  /// Opens and migrates the database; nothing listens yet.
  static Result<std::unique_ptr<Runtime>> create(Config config, const Clock& clock);
  ~Runtime();

  /// Binds the API server (port 0 = any free port) and runs I/O on a background thread.
  Result<std::uint16_t> start();
  /// Stops accepting, lets requests in flight finish (up to `grace`), then stops.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Blocks until SIGINT/SIGTERM, then stops gracefully.
  void wait_for_signal();

  storage::Database& database() { return *db_; }
  services::TenantService& tenants() { return *tenants_; }
  services::KeyService& keys() { return *keys_; }
  const http::Router& router() const { return router_; }
  std::uint16_t api_port() const { return api_port_; }

 private:
  Runtime(Config config, const Clock& clock, std::unique_ptr<storage::Database> db);

  Config config_;
  const Clock& clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<services::TenantService> tenants_;
  std::unique_ptr<services::KeyService> keys_;
  api::AdminAuth auth_;
  http::Metrics metrics_;
  http::Router router_;
  boost::asio::io_context ioc_;
  boost::asio::thread_pool handler_pool_;
  std::unique_ptr<http::Server> api_server_;
  std::thread io_thread_;
  std::uint16_t api_port_ = 0;
  bool stopped_ = false;
};

/// The admin token from the config, or one kept in <data_dir>/admin_token
/// (created with 0600 permissions on first start). Never logged.
Result<std::string> resolve_admin_token(const Config& config);

}  // namespace winston::app
