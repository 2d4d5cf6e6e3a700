#pragma once
// The proxy's HTTP client towards LLM providers: plain or TLS (OpenSSL,
// certificate and host name verified), pooled keep-alive connections,
// connect / first-byte / idle timeouts, retries with backoff on connect
// failures, 429 and 5xx — only ever before the client has received a byte.
// All of it runs on the I/O thread that owns the client; no locks (the pool's
// counters are atomics, read by the metrics endpoint from other threads).
//
// The pool never turns a connection the upstream closed while idle into an
// error: idle connections are closed after `pool_idle`; one is checked before
// reuse (closed, or readable while idle: discarded, and with it the host's
// older idle ones); a request that fails on a reused connection before any
// byte came back is sent again at once on a new connection, outside the
// attempts and their backoff.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace winston::http {

namespace bhttp = boost::beast::http;

/// The message of the error send() returns, with ErrorCode::kGatewayTimeout,
/// when the upstream never answered. Callers tell it apart by the code.
inline constexpr std::string_view kUpstreamTimeout = "upstream did not answer in time";

struct UpstreamEndpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // e.g. "/v1", no trailing slash
  static Result<UpstreamEndpoint> parse(std::string_view base_url);
  std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_byte_timeout{300'000};  // a long non-streaming answer takes minutes
  std::chrono::milliseconds idle_timeout{120'000};        // between stream reads
  std::chrono::milliseconds backoff{250};                 // doubled per attempt, with jitter
  std::chrono::milliseconds max_retry_after{5'000};
  int max_attempts = 3;
  // Servers close keep-alive connections left idle for their own timeout
  // (Node's http server after 5 s, many others at 5-15 s), and a request sent
  // as the close happens fails. Closing ours first, below the shortest common
  // timeout with a margin for the request's trip, keeps that race away; the
  // check before reuse and the retry on a new connection cover servers with
  // still shorter timeouts and restarts. 0: no connection is reused.
  std::chrono::milliseconds pool_idle{4'000};
  std::size_t max_idle_per_host = 64;  // 0: no connection is reused
  std::string ca_file;  // verify servers against this PEM bundle instead of the system's CAs
  /// The pool's clock, for tests; empty: std::chrono::steady_clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

/// What the pool did, for the metrics (written on the I/O thread, read anywhere).
struct UpstreamPoolStats {
  std::atomic<std::int64_t> idle{0};            // idle connections pooled now
  std::atomic<std::uint64_t> expired{0};        // closed unused after pool_idle
  std::atomic<std::uint64_t> stale{0};          // closed by the upstream: found before reuse, or failing on it
  std::atomic<std::uint64_t> dropped{0};        // closed with a stale one of the same host (its older siblings)
  std::atomic<std::uint64_t> fresh_retries{0};  // requests sent again on a new connection after a stale one
};

class UpstreamConnection;
class UpstreamClient;

/// A response being read: status and headers first, then the body in pieces.
class UpstreamResponse {
 public:
  UpstreamResponse(UpstreamClient& client, std::unique_ptr<UpstreamConnection> conn, std::string pool_key);
  ~UpstreamResponse();
  unsigned status() const;
  const bhttp::fields& headers() const;
  /// The next piece of the body; empty with done() at the end. kUnavailable
  /// on timeout or a broken connection.
  boost::asio::awaitable<Result<std::string_view>> read_some();
  /// Reads the rest of the body, at most `limit` bytes.
  boost::asio::awaitable<Result<std::string>> read_all(std::size_t limit);
  bool done() const;
  /// Closes the connection now (the client went away): the upstream stops generating.
  void abort();

 private:
  friend class UpstreamClient;
  UpstreamClient& client_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::string pool_key_;
};

class UpstreamClient {
 public:
  UpstreamClient(boost::asio::any_io_executor executor, UpstreamOptions options);
  ~UpstreamClient();

  /// Sends the request and waits for the response header, retrying what may
  /// be retried. A final 429/5xx is returned as a response, not an error.
  boost::asio::awaitable<Result<std::unique_ptr<UpstreamResponse>>> send(const UpstreamEndpoint& endpoint,
                                                                          bhttp::request<bhttp::string_body> request);
  std::size_t idle_connections() const;
  const UpstreamPoolStats& pool_stats() const { return stats_; }
  const UpstreamOptions& options() const { return options_; }

 private:
  friend class UpstreamResponse;
  /// How a request went on one connection, up to the response header.
  struct Exchange {
    boost::system::error_code ec;
    bool on_write = false;  // it failed writing the request
    bool silent = false;    // it failed with nothing back from the server, and not by our timeout
  };
  struct IdleConnection {
    std::unique_ptr<UpstreamConnection> conn;
    std::chrono::steady_clock::time_point since;  // when it went idle
  };
  using Pool = std::map<std::string, std::vector<IdleConnection>>;  // per host, oldest first

  boost::asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> connect(const UpstreamEndpoint& endpoint);
  boost::asio::awaitable<Result<std::unique_ptr<UpstreamResponse>>> attempt(const UpstreamEndpoint& endpoint,
                                                                             bhttp::request<bhttp::string_body>& req,
                                                                             bool& retryable);
  boost::asio::awaitable<Exchange> exchange(UpstreamConnection& conn, bhttp::request<bhttp::string_body>& req);
  std::unique_ptr<UpstreamConnection> take_idle(const std::string& key);
  void release(std::string key, std::unique_ptr<UpstreamConnection> conn);
  void prune();
  void drop_host(Pool::iterator host);
  void publish();
  std::chrono::steady_clock::time_point now() const;

  boost::asio::any_io_executor executor_;
  UpstreamOptions options_;
  boost::asio::ssl::context tls_;
  bool trust_loaded_ = false;  // the CA bundle is loaded on the first TLS connection
  std::string ca_error_;       // it could not be loaded: every TLS connect fails with this
  Pool idle_;
  UpstreamPoolStats stats_;
};

}  // namespace winston::http
