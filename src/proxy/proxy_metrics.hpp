#pragma once
// Prometheus metrics of the LLM proxy.

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "core/credits.hpp"

namespace winston::http {
class UpstreamClient;
}  // namespace winston::http

namespace winston::proxy {

class ProxyMetrics {
 public:
  /// Renders `client`'s connection pool too; set before serving, and the
  /// client must outlive every render.
  void watch_upstream(const http::UpstreamClient* client) { upstream_client_ = client; }
  void request(const std::string& model, const std::string& provider, unsigned status);
  void usage(const std::string& model, const TokenUsage& tokens, MilliCredits charged_mc);
  void upstream_latency(double seconds);
  void overhead(double seconds);
  void payment_required() { ++payment_required_; }
  /// A request refused with 403 because the tenant's tier is not offered the model.
  void tier_refused(const std::string& tier, const std::string& model);
  void stream_opened() { ++open_streams_; }
  void stream_closed() { --open_streams_; }
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, 14> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  static void observe(Histogram& h, double seconds);
  static void render_histogram(std::string& out, const std::string& name, const Histogram& h);
  static void render_pool(std::string& out, const http::UpstreamClient& client);

  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, std::array<std::int64_t, 5>> usage_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> tier_refusals_;  // by (tier, model): both bounded by configuration  // input, output, cache_creation, cache_read, mc
  Histogram upstream_, overhead_;
  std::atomic<std::uint64_t> payment_required_{0};
  std::atomic<std::int64_t> open_streams_{0};
  const http::UpstreamClient* upstream_client_ = nullptr;
};

}  // namespace winston::proxy
