#pragma once
// A real Winston runtime on 127.0.0.1:<free port> over a TestDatabase, with
// an admin token and short timeouts, for HTTP integration tests.

#include <functional>
#include <memory>

#include "app/runtime.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

namespace winston::testing {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

class TestServer {
 public:
  explicit TestServer(const TestDatabase& db, std::chrono::milliseconds read_timeout = std::chrono::seconds(5),
                      const std::function<void(app::Config&)>& tweak = {});
  ~TestServer();
  std::uint16_t port() const { return runtime_->api_port(); }
  std::uint16_t proxy_port() const { return runtime_->proxy_port(); }
  app::Runtime& runtime() { return *runtime_; }
  HttpClient client(std::string token = kAdminToken) const { return HttpClient(port(), std::move(token)); }

 private:
  std::string data_dir_;
  SystemClock clock_;
  std::unique_ptr<app::Runtime> runtime_;
};

}  // namespace winston::testing
