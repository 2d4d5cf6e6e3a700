#include "http/metrics.hpp"

#include <fmt/format.h>

namespace winston::http {

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::observe(const std::string& route, const std::string& method, unsigned status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out =
      "# HELP winston_http_requests_total HTTP requests by route, method and status.\n"
      "# TYPE winston_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("winston_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       escape_label(route), escape_label(method), status, n);
  }
  out +=
      "# HELP winston_http_request_duration_seconds Time from request read to response ready.\n"
      "# TYPE winston_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const auto label = escape_label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("winston_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                         kBuckets[i], h.counts[i]);
    }
    out += fmt::format("winston_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label, h.count);
    out += fmt::format("winston_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label, h.sum);
    out += fmt::format("winston_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, h.count);
  }
  return out;
}

}  // namespace winston::http
