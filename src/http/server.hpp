#pragma once
// The asynchronous HTTP/1.1 server: one listener spawning one coroutine
// session per connection on a single I/O thread. A session owns its timeouts,
// body limit and keep-alive; handlers run on a separate blocking pool so a
// database call never stalls I/O.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>

#include "http/metrics.hpp"
#include "http/router.hpp"

namespace winston::http {

struct ServerOptions {
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30'000};   // a whole request, headers and body
  std::chrono::milliseconds idle_timeout{60'000};   // between keep-alive requests
  std::chrono::milliseconds write_timeout{30'000};
  std::string name = "api";                          // for logs
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, boost::asio::thread_pool& handler_pool, const Router& router, Metrics& metrics,
         ServerOptions options);

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
  boost::asio::awaitable<Response> handle(const Request& req);

  boost::asio::io_context& ioc_;
  boost::asio::thread_pool& pool_;
  const Router& router_;
  Metrics& metrics_;
  ServerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> open_{0};
  bool stopping_ = false;             // I/O thread only
  std::set<Session*> sessions_;       // I/O thread only
};

}  // namespace winston::http
