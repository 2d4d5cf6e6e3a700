#include "support/test_server.hpp"

#include <filesystem>

#include "core/ids.hpp"

namespace winston::testing {

TestServer::TestServer(const TestDatabase& db, std::chrono::milliseconds read_timeout,
                       const std::function<void(app::Config&)>& tweak, const Clock* clock) {
  data_dir_ = (std::filesystem::temp_directory_path() / ("winston-srv-" + random_hex(8))).string();
  app::Config config;
  config.data_dir = data_dir_;
  config.database_url = db.url();
  config.database_pool_size = 4;
  config.api_port = 0;
  config.proxy_port = 0;
  config.admin_token = kAdminToken;
  config.handler_threads = 4;
  config.api_http.read_timeout = read_timeout;
  config.api_http.idle_timeout = read_timeout;
  config.instance_id = "test-" + random_hex(4);
  if (tweak) tweak(config);
  auto rt = app::Runtime::create(config, clock != nullptr ? *clock : clock_);
  if (!rt.ok()) throw std::runtime_error("runtime: " + rt.error().message);
  runtime_ = std::move(rt).value();
  auto started = runtime_->start();
  if (!started.ok()) throw std::runtime_error("listen: " + started.error().message);
}

TestServer::~TestServer() {
  runtime_.reset();
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

}  // namespace winston::testing
