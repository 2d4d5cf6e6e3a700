#pragma once
// The asynchronous HTTP/1.1 server: one listener spawning one coroutine
// session per connection on a single I/O thread. A session owns its timeouts,
// body limit and keep-alive; an ExchangeHandler owns each exchange. Blocking work
// (database calls) runs on a separate pool so it never stalls I/O.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <set>

#include "http/metrics.hpp"
#include "http/router.hpp"

namespace winston::http {

/// One request on a connection, handed to an ExchangeHandler, which writes the
/// response itself (all at once or streamed).
struct Exchange {
  Request& request;
  boost::beast::tcp_stream& stream;
  bool keep_alive = true;  // cleared by the handler to close the connection afterwards
};

class ExchangeHandler {
 public:
  virtual ~ExchangeHandler() = default;
  virtual boost::asio::awaitable<void> serve(Exchange& ex) = 0;
};

/// Serves a Router's synchronous handlers: hops to the blocking pool for the
/// handler, then writes the response. Request ids, metrics and access logs live here.
class RoutedHandler final : public ExchangeHandler {
 public:
  RoutedHandler(boost::asio::thread_pool& pool, const Router& router, Metrics& metrics, std::string name,
                std::chrono::milliseconds write_timeout = std::chrono::seconds(30))
      : pool_(pool), router_(router), metrics_(metrics), name_(std::move(name)), write_timeout_(write_timeout) {}
  boost::asio::awaitable<void> serve(Exchange& ex) override;
  /// Runs the router on the pool and returns the response without writing it.
  boost::asio::awaitable<Response> respond(const Request& req);

 private:
  boost::asio::thread_pool& pool_;
  const Router& router_;
  Metrics& metrics_;
  std::string name_;
  std::chrono::milliseconds write_timeout_;
};

/// A request id from the client's X-Request-Id when it is sane, else a new UUIDv7.
std::string request_id_for(const Request& req);

struct ServerOptions {
  std::size_t body_limit = 64 * 1024;
  /// A larger limit for some routes (e.g. data uploads), decided from the
  /// request target once the header is read; nullopt keeps body_limit.
  /// Never above body_limit_ceiling.
  std::function<std::optional<std::size_t>(std::string_view target)> body_limit_for;
  std::size_t body_limit_ceiling = 0;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30'000};   // a whole request, headers and body
  std::chrono::milliseconds idle_timeout{60'000};   // between keep-alive requests
  std::chrono::milliseconds write_timeout{30'000};
  std::string name = "api";                          // for logs
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, ExchangeHandler& handler, ServerOptions options);

  /// Binds and listens; port 0 picks a free port. Returns the bound port.
  Result<std::uint16_t> listen(const std::string& address, std::uint16_t port);
  /// Starts accepting (call after listen, before running the io_context).
  void start();
  /// Stops accepting and closes idle connections; requests in flight finish.
  /// Thread-safe.
  void shutdown();
  /// Connections still open (for the graceful-shutdown wait).
  std::size_t open_connections() const { return open_.load(); }

 private:
  struct Session;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  ExchangeHandler& handler_;
  ServerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> open_{0};
  bool stopping_ = false;             // I/O thread only
  std::set<Session*> sessions_;       // I/O thread only
};

}  // namespace winston::http
