#pragma once
// Prometheus text-format metrics for the HTTP layer: request counts by
// route, method and status, and a latency histogram by route.

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace winston::http {

class Metrics {
 public:
  /// `route` is the matched pattern (e.g. "/v1/tenants/{id}"), never the raw
  /// path, so label cardinality stays bounded.
  void observe(const std::string& route, const std::string& method, unsigned status, double seconds);
  /// The whole registry in the Prometheus text exposition format 0.0.4.
  std::string render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

/// Escapes a Prometheus label value.
std::string escape_label(std::string_view v);

}  // namespace winston::http
