#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <utility>

namespace winston::testing {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// How long the destructor lets sessions wind down after closing their sockets.
constexpr std::chrono::seconds kStopGrace{5};

}  // namespace

FakeServerLoop::FakeServerLoop(const std::string& address, Session session, std::uint16_t port)
    : session_(std::move(session)) {
  const tcp::endpoint ep{net::ip::make_address(address), port};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(ioc_, accept_loop(), net::detached);
  thread_ = std::thread([this] { run(); });
}

FakeServerLoop::~FakeServerLoop() {
  net::post(ioc_, [this] { stop(); });
  {
    std::unique_lock lock(done_mu_);
    if (!done_cv_.wait_for(lock, kStopGrace, [this] { return done_; })) ioc_.stop();
  }
  thread_.join();
}

void FakeServerLoop::run() {
  try {
    ioc_.run();
  } catch (const std::exception&) {
    // Nothing sensible to do in a fixture thread; the destructor still joins.
  }
  std::lock_guard lock(done_mu_);
  done_ = true;
  done_cv_.notify_all();
}

net::awaitable<void> FakeServerLoop::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_) break;
      continue;
    }
    net::co_spawn(ioc_, session_(std::move(socket)), net::detached);
  }
}

void FakeServerLoop::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto* t : timers_) t->cancel();
  for (auto* s : streams_) s->socket().close(ignored);
}

net::awaitable<bool> FakeServerLoop::pause(std::chrono::milliseconds d) {
  net::steady_timer timer(ioc_, d);
  TrackedTimer tracked(*this, timer);
  auto [ec] = co_await timer.async_wait(kTuple);
  co_return !ec && !stopping_;
}

FakeServerLoop::TrackedStream::TrackedStream(FakeServerLoop& loop, boost::beast::tcp_stream& stream)
    : loop_(loop), stream_(stream) {
  loop_.streams_.insert(&stream_);
}

FakeServerLoop::TrackedStream::~TrackedStream() {
  loop_.streams_.erase(&stream_);
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

FakeServerLoop::TrackedTimer::TrackedTimer(FakeServerLoop& loop, net::steady_timer& timer)
    : loop_(loop), timer_(timer) {
  loop_.timers_.insert(&timer_);
}

FakeServerLoop::TrackedTimer::~TrackedTimer() { loop_.timers_.erase(&timer_); }

}  // namespace winston::testing
