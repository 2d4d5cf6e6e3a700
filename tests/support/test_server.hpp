#pragma once
// A real Winston runtime on 127.0.0.1:<free port> over a TestDatabase, with
// an admin token and short timeouts, for HTTP integration tests.

#include <functional>
#include <memory>
#include <vector>

#include "app/runtime.hpp"
#include "core/catalog.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

namespace winston::testing {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

/// The default catalog's models with the Sonnet models offered to every tier,
/// so relay tests can run on a free tenant; Opus keeps its pro/enterprise
/// restriction for the entitlement tests.
inline std::vector<ModelEntry> models_for_relay_tests() {
  auto models = Catalog::defaults().models();
  for (auto& m : models) {
    if (m.id.starts_with("claude-sonnet")) m.tiers.clear();
  }
  return models;
}

class TestServer {
 public:
  /// `clock`, when given, replaces the system clock (it must outlive the server).
  explicit TestServer(const TestDatabase& db, std::chrono::milliseconds read_timeout = std::chrono::seconds(5),
                      const std::function<void(app::Config&)>& tweak = {}, const Clock* clock = nullptr);
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
