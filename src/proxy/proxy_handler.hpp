#pragma once
// The LLM proxy: authenticates the tenant's key, picks the catalog entry,
// reserves credits, relays the call to the provider (streaming or not), reads
// usage from the provider's own fields and settles. Everything it refuses is
// answered in the error shape of the API the client spoke.

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <string>

#include "core/catalog.hpp"
#include "http/server.hpp"
#include "proxy/proxy_metrics.hpp"
#include "http/upstream.hpp"
#include "proxy/wire.hpp"
#include "services/key_service.hpp"
#include "services/metering_service.hpp"

namespace winston::proxy {

namespace bhttp = boost::beast::http;

struct ProxyOptions {
  std::size_t max_response_bytes = 32 * 1024 * 1024;  // non-streaming bodies and error bodies
  std::chrono::milliseconds write_timeout{30'000};
  std::string anthropic_version = "2023-06-01";        // when the client sends none
};

class ProxyHandler final : public http::ExchangeHandler {
 public:
  ProxyHandler(boost::asio::thread_pool& pool, const Catalog& catalog, std::map<std::string, std::string> provider_keys,
               services::KeyService& keys, services::MeteringService& metering, http::UpstreamClient& upstream,
               ProxyMetrics& metrics, http::RoutedHandler& system_routes, ProxyOptions options);

  boost::asio::awaitable<void> serve(http::Exchange& ex) override;

 private:
  struct Call;
  boost::asio::awaitable<void> handle_llm(http::Exchange& ex, WireApi api);
  boost::asio::awaitable<void> handle_models(http::Exchange& ex);
  /// The caller's key identity, or nullopt after answering 401/403 in `api`'s shape.
  boost::asio::awaitable<std::optional<services::KeyIdentity>> authenticate(http::Exchange& ex, WireApi api,
                                                                            const std::string& request_id);
  /// Checks the request against the catalog, the key's tier and the wire API.
  Status admit(Call& call, std::string_view body);
  /// Holds the request's estimated cost and picks the provider endpoint.
  boost::asio::awaitable<Status> reserve(Call& call);
  /// Writes the stream's response head; false when the client is gone.
  boost::asio::awaitable<bool> write_stream_head(http::Exchange& ex, const Call& call, http::UpstreamResponse& resp);
  /// Relays the upstream stream through the meter; returns the settlement status.
  boost::asio::awaitable<std::string> pump_stream(http::Exchange& ex, StreamMeter& meter, http::UpstreamResponse& resp);
  boost::asio::awaitable<void> relay_stream(http::Exchange& ex, Call& call, http::UpstreamResponse& resp);
  boost::asio::awaitable<void> relay_whole(http::Exchange& ex, Call& call, http::UpstreamResponse& resp);
  boost::asio::awaitable<void> write(http::Exchange& ex, http::Response res);
  boost::asio::awaitable<void> reply_error(http::Exchange& ex, WireApi api, ErrorCode code, std::string_view message,
                                           const std::string& request_id);
  boost::asio::awaitable<Result<services::Settlement>> settle(Call& call, TokenUsage tokens, std::string_view status,
                                                             std::optional<unsigned> upstream_status);
  void add_credit_headers(http::Response& res, const Call& call, const services::Settlement* s) const;
  bhttp::request<bhttp::string_body> upstream_request(const Call& call, const http::Request& client) const;

  boost::asio::thread_pool& pool_;
  const Catalog& catalog_;
  std::map<std::string, std::string> provider_keys_;
  std::map<std::string, http::UpstreamEndpoint> endpoints_;  // by provider id, parsed once; absent when misconfigured
  services::KeyService& keys_;
  services::MeteringService& metering_;
  http::UpstreamClient& upstream_;
  ProxyMetrics& metrics_;
  http::RoutedHandler& system_;
  ProxyOptions options_;
};

}  // namespace winston::proxy
