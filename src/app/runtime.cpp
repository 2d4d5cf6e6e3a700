#include "app/runtime.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "api/system_api.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
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

Result<std::string> resolve_admin_token(const Config& config) {
  if (!config.admin_token.empty()) {
    if (config.admin_token.size() < 16) {
      return Error::invalid("WINSTON_ADMIN_TOKEN", "the admin token must be at least 16 characters");
    }
    return config.admin_token;
  }
  const auto path = std::filesystem::path(config.data_dir) / "admin_token";
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16) return token;
    return Error::invalid("admin_token", "admin token file " + path.string() + " is too short");
  }
  const std::string token = random_hex(32);
  const auto old_mask = ::umask(077);
  {
    std::ofstream out(path);
    out << token << '\n';
  }
  ::umask(old_mask);
  if (!std::filesystem::exists(path)) return Error::internal("cannot write " + path.string());
  log::info("admin.token_created", {{"path", path.string()}});
  return token;
}

Result<std::unique_ptr<Runtime>> Runtime::create(Config config, const Clock& clock) {
  WINSTON_TRY_ASSIGN(const std::string token, resolve_admin_token(config));
  config.admin_token = token;
  WINSTON_TRY_ASSIGN(auto db, open_database(config));
  return std::unique_ptr<Runtime>(new Runtime(std::move(config), clock, std::move(db)));
}

Runtime::Runtime(Config config, const Clock& clock, std::unique_ptr<storage::Database> db)
    : config_(std::move(config)),
      clock_(clock),
      db_(std::move(db)),
      tenants_(std::make_unique<services::TenantService>(*db_, clock_, config_.tiers)),
      keys_(std::make_unique<services::KeyService>(*db_, clock_)),
      auth_(config_.admin_token),
      handler_pool_(config_.handler_threads) {
  api::register_system_routes(router_, *db_, metrics_, auth_);
  api::register_tenant_routes(router_, *tenants_, auth_);
  api::register_key_routes(router_, *keys_, auth_);
  config_.api_http.name = "api";
  api_server_ = std::make_unique<http::Server>(ioc_, handler_pool_, router_, metrics_, config_.api_http);
}

Runtime::~Runtime() { stop(std::chrono::seconds(1)); }

Result<std::uint16_t> Runtime::start() {
  WINSTON_TRY_ASSIGN(api_port_, api_server_->listen(config_.api_listen, config_.api_port));
  api_server_->start();
  io_thread_ = std::thread([this] {
    auto guard = net::make_work_guard(ioc_);  // keep running while idle; stop() ends it
    ioc_.run();
  });
  log::info("http.listening", {{"server", "api"}, {"address", config_.api_listen}, {"port", api_port_}});
  return api_port_;
}

void Runtime::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  if (io_thread_.joinable()) {
    api_server_->shutdown();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (api_server_->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc_.stop();
    io_thread_.join();
  }
  handler_pool_.join();
  log::info("server.stopped", {{"open_connections", api_server_->open_connections()}});
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
