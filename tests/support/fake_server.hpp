#pragma once
// The plumbing the in-process fake HTTP servers share: an acceptor bound to
// <address>:0, an io_context run on its own thread, an accept loop that spawns
// one session coroutine per connection, and a stop that closes whatever is
// still open so the destructor can join without waiting out timeouts.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace winston::testing {

/// Serves connections with a fake's session coroutine. Declare it as the last
/// member of the fake's state: it starts serving once constructed, and it is
/// then destroyed (stopped and joined) before the state its sessions use.
class FakeServerLoop {
 public:
  using Session = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

  /// Binds `address`:`port` ("127.0.0.1", "::1", ...; port 0: a free one) and
  /// starts accepting; throws if it cannot bind. A fixed port is for a fake
  /// that is stopped and started again where its clients expect it.
  FakeServerLoop(const std::string& address, Session session, std::uint16_t port = 0);
  /// Closes the acceptor and every tracked stream, cancels every tracked
  /// timer and joins; a loop still running after a grace period is stopped
  /// outright, its pending sessions destroyed.
  ~FakeServerLoop();
  FakeServerLoop(const FakeServerLoop&) = delete;
  FakeServerLoop& operator=(const FakeServerLoop&) = delete;

  std::uint16_t port() const { return port_; }

  // For sessions, on the I/O thread only.

  /// True once the destructor has begun stopping the server.
  bool stopping() const { return stopping_; }
  /// Waits `d`; false if the server began stopping meanwhile.
  boost::asio::awaitable<bool> pause(std::chrono::milliseconds d);

  /// While alive, stopping closes the stream's socket; on destruction it
  /// shuts the socket down and closes it.
  class TrackedStream {
   public:
    TrackedStream(FakeServerLoop& loop, boost::beast::tcp_stream& stream);
    ~TrackedStream();
    TrackedStream(const TrackedStream&) = delete;
    TrackedStream& operator=(const TrackedStream&) = delete;

   private:
    FakeServerLoop& loop_;
    boost::beast::tcp_stream& stream_;
  };

  /// While alive, stopping cancels the timer.
  class TrackedTimer {
   public:
    TrackedTimer(FakeServerLoop& loop, boost::asio::steady_timer& timer);
    ~TrackedTimer();
    TrackedTimer(const TrackedTimer&) = delete;
    TrackedTimer& operator=(const TrackedTimer&) = delete;

   private:
    FakeServerLoop& loop_;
    boost::asio::steady_timer& timer_;
  };

 private:
  boost::asio::awaitable<void> accept_loop();
  void stop();
  void run();

  const Session session_;
  std::uint16_t port_ = 0;

  // I/O thread only.
  bool stopping_ = false;
  std::set<boost::beast::tcp_stream*> streams_;
  std::set<boost::asio::steady_timer*> timers_;

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool done_ = false;  // the I/O thread has left run()

  // Destroyed before the state above: sessions destroyed with the io_context
  // (only after a forced stop) still unregister their streams and timers.
  boost::asio::io_context ioc_{1};
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
};

}  // namespace winston::testing
