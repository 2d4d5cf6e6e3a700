#include "proxy/proxy_metrics.hpp"

#include <fmt/format.h>

#include "http/metrics.hpp"
#include "http/upstream.hpp"

namespace winston::proxy {
namespace {

constexpr std::array<double, 14> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,    0.05,   0.1,     0.5,    1.0,   5.0,    30.0};

}  // namespace

void ProxyMetrics::observe(Histogram& h, double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void ProxyMetrics::request(const std::string& model, const std::string& provider, unsigned status) {
  std::lock_guard lock(mu_);
  ++requests_[{model, provider, status}];
}

void ProxyMetrics::usage(const std::string& model, const TokenUsage& t, MilliCredits charged_mc) {
  std::lock_guard lock(mu_);
  auto& u = usage_[model];
  u[0] += t.input;
  u[1] += t.output;
  u[2] += t.cache_creation;
  u[3] += t.cache_read;
  u[4] += charged_mc;
}

void ProxyMetrics::tier_refused(const std::string& tier, const std::string& model) {
  std::lock_guard lock(mu_);
  ++tier_refusals_[{tier, model}];
}

void ProxyMetrics::upstream_latency(double seconds) {
  std::lock_guard lock(mu_);
  observe(upstream_, seconds);
}

void ProxyMetrics::overhead(double seconds) {
  std::lock_guard lock(mu_);
  observe(overhead_, seconds);
}

void ProxyMetrics::render_histogram(std::string& out, const std::string& name, const Histogram& h) {
  out += fmt::format("# TYPE {} histogram\n", name);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, kBuckets[i], h.counts[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count, name, h.sum, name, h.count);
}

std::string ProxyMetrics::render() const {
  std::lock_guard lock(mu_);
  std::string out = "# HELP winston_proxy_requests_total LLM requests by model, provider and status.\n"
                    "# TYPE winston_proxy_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    out += fmt::format("winston_proxy_requests_total{{model=\"{}\",provider=\"{}\",status=\"{}\"}} {}\n",
                       http::escape_label(std::get<0>(k)), http::escape_label(std::get<1>(k)), std::get<2>(k), n);
  }
  out += "# HELP winston_proxy_tokens_total Tokens by model and kind.\n# TYPE winston_proxy_tokens_total counter\n";
  static constexpr std::array<const char*, 4> kKinds = {"input", "output", "cache_creation", "cache_read"};
  for (const auto& [model, u] : usage_) {
    for (std::size_t i = 0; i < kKinds.size(); ++i) {
      out += fmt::format("winston_proxy_tokens_total{{model=\"{}\",kind=\"{}\"}} {}\n", http::escape_label(model),
                         kKinds[i], u[i]);
    }
  }
  out += "# HELP winston_proxy_credits_charged_mc_total Milli-credits charged by model.\n"
         "# TYPE winston_proxy_credits_charged_mc_total counter\n";
  for (const auto& [model, u] : usage_) {
    out += fmt::format("winston_proxy_credits_charged_mc_total{{model=\"{}\"}} {}\n", http::escape_label(model), u[4]);
  }
  out += "# HELP winston_proxy_upstream_seconds Time to the upstream's response header.\n";
  render_histogram(out, "winston_proxy_upstream_seconds", upstream_);
  out += "# HELP winston_proxy_overhead_seconds Time the proxy adds (total minus upstream).\n";
  render_histogram(out, "winston_proxy_overhead_seconds", overhead_);
  out += "# HELP winston_proxy_tier_refusals_total Requests refused with 403: the tenant's tier is not offered the model.\n"
         "# TYPE winston_proxy_tier_refusals_total counter\n";
  for (const auto& [k, n] : tier_refusals_) {
    out += fmt::format("winston_proxy_tier_refusals_total{{tier=\"{}\",model=\"{}\"}} {}\n",
                       http::escape_label(k.first), http::escape_label(k.second), n);
  }
  out += fmt::format(
      "# HELP winston_proxy_payment_required_total Requests refused with 402.\n"
      "# TYPE winston_proxy_payment_required_total counter\nwinston_proxy_payment_required_total {}\n"
      "# HELP winston_proxy_open_streams Streams being relayed now.\n"
      "# TYPE winston_proxy_open_streams gauge\nwinston_proxy_open_streams {}\n",
      payment_required_.load(), open_streams_.load());
  if (upstream_client_ != nullptr) render_pool(out, *upstream_client_);
  return out;
}

void ProxyMetrics::render_pool(std::string& out, const http::UpstreamClient& client) {
  const auto& s = client.pool_stats();
  const auto& o = client.options();
  out += fmt::format(
      "# HELP winston_proxy_upstream_idle_connections Keep-alive connections to providers waiting in the pool.\n"
      "# TYPE winston_proxy_upstream_idle_connections gauge\nwinston_proxy_upstream_idle_connections {}\n"
      "# HELP winston_proxy_upstream_pool_max_idle_per_host Idle connections kept per provider host at most.\n"
      "# TYPE winston_proxy_upstream_pool_max_idle_per_host gauge\nwinston_proxy_upstream_pool_max_idle_per_host {}\n"
      "# HELP winston_proxy_upstream_pool_idle_seconds How long an idle connection is kept before it is closed.\n"
      "# TYPE winston_proxy_upstream_pool_idle_seconds gauge\nwinston_proxy_upstream_pool_idle_seconds {}\n",
      s.idle.load(), o.max_idle_per_host, static_cast<double>(o.pool_idle.count()) / 1000.0);
  out += fmt::format(
      "# HELP winston_proxy_upstream_discarded_connections_total Pooled connections closed instead of reused: "
      "expired (idle too long), stale (closed by the provider), dropped (with a stale one of the same host).\n"
      "# TYPE winston_proxy_upstream_discarded_connections_total counter\n"
      "winston_proxy_upstream_discarded_connections_total{{reason=\"expired\"}} {}\n"
      "winston_proxy_upstream_discarded_connections_total{{reason=\"stale\"}} {}\n"
      "winston_proxy_upstream_discarded_connections_total{{reason=\"dropped\"}} {}\n"
      "# HELP winston_proxy_upstream_fresh_retries_total Requests sent again on a new connection after a pooled "
      "one failed before any byte came back.\n"
      "# TYPE winston_proxy_upstream_fresh_retries_total counter\nwinston_proxy_upstream_fresh_retries_total {}\n",
      s.expired.load(), s.stale.load(), s.dropped.load(), s.fresh_retries.load());
}

}  // namespace winston::proxy
