#include "support/fake_site.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{10};

}  // namespace

struct FakeSite::Impl {
  net::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::optional<net::ssl::context> tls_;
  bool v6_ = false;
  std::string host_;
  std::uint16_t port_ = 0;
  std::thread thread_;

  // Shared with test threads.
  mutable std::mutex mu_;
  std::map<std::string, FakeRoute, std::less<>> routes_;
  std::vector<FakeSiteRequest> requests_;

  // I/O thread only: what stop_all() must interrupt.
  bool stopping_ = false;
  std::set<beast::tcp_stream*> streams_;
  std::set<net::steady_timer*> timers_;

  FakeRoute route_for(std::string_view target) {
    std::lock_guard lock(mu_);
    if (auto it = routes_.find(target); it != routes_.end()) return it->second;
    FakeRoute missing;
    missing.status = 404;
    missing.body = "<html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>";
    return missing;
  }

  void record(FakeSiteRequest r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }

  /// False when the site is stopping (the timer was cancelled).
  net::awaitable<bool> pause(std::chrono::milliseconds d) {
    net::steady_timer timer(ioc_, d);
    timers_.insert(&timer);
    auto [ec] = co_await timer.async_wait(kTuple);
    timers_.erase(&timer);
    co_return !ec && !stopping_;
  }

  static http::response<http::empty_body> header_for(const FakeRoute& r) {
    http::response<http::empty_body> res;
    res.version(11);
    res.result(r.status);
    res.set(http::field::server, "winston-fake-site");
    if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
    if (!r.location.empty()) res.set(http::field::location, r.location);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(false);
    if (r.chunked) {
      res.chunked(true);
    } else if (!r.close_delimited) {
      res.content_length(r.body.size());
    }
    return res;
  }

  template <typename Stream>
  net::awaitable<void> write_chunks(Stream& s, const FakeRoute& r) {
    const std::size_t size = r.chunk_size == 0 ? std::max<std::size_t>(r.body.size(), 1) : r.chunk_size;
    for (std::size_t pos = 0; pos < r.body.size(); pos += size) {
      if (pos > 0 && r.chunk_delay.count() > 0 && !co_await pause(r.chunk_delay)) co_return;
      const net::const_buffer piece(r.body.data() + pos, std::min(size, r.body.size() - pos));
      auto chunk = http::make_chunk(piece);
      beast::get_lowest_layer(s).expires_after(kIoTimeout);
      auto [ec, n] = co_await net::async_write(s, chunk, kTuple);
      if (ec) co_return;
    }
    auto last = http::make_chunk_last();
    const auto written = co_await net::async_write(s, last, kTuple);
    (void)written;  // the client may have gone; nothing left to do either way
  }

  template <typename Stream>
  net::awaitable<void> serve(Stream& s, const std::string& sni) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    beast::get_lowest_layer(s).expires_after(kIoTimeout);
    auto [rec, rn] = co_await http::async_read(s, buffer, req, kTuple);
    if (rec) co_return;
    const std::string target(req.target());
    record({target, std::string(req[http::field::host]), std::string(req[http::field::user_agent]), sni});
    const FakeRoute r = route_for(target);
    if (r.delay.count() > 0 && !co_await pause(r.delay)) co_return;
    auto res = header_for(r);
    http::response_serializer<http::empty_body> sr{res};
    beast::get_lowest_layer(s).expires_after(kIoTimeout);
    auto [hec, hn] = co_await http::async_write_header(s, sr, kTuple);
    if (hec) co_return;
    if (r.chunked) {
      co_await write_chunks(s, r);
    } else if (!r.body.empty()) {
      const auto written = co_await net::async_write(s, net::buffer(r.body), kTuple);
      (void)written;  // a client that stops reading (a size cap) closes early
    }
  }

  /// Registers a connection so stop_all() can close it.
  struct Tracked {
    Impl& self;
    beast::tcp_stream& stream;
    Tracked(Impl& i, beast::tcp_stream& s) : self(i), stream(s) { self.streams_.insert(&stream); }
    ~Tracked() {
      self.streams_.erase(&stream);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.socket().close(ignored);
    }
    Tracked(const Tracked&) = delete;
    Tracked& operator=(const Tracked&) = delete;
  };

  net::awaitable<void> session(tcp::socket socket) {
    try {
      if (!tls_) {
        beast::tcp_stream s(std::move(socket));
        Tracked tracked(*this, s);
        const std::string no_sni;
        co_await serve(s, no_sni);
        co_return;
      }
      beast::ssl_stream<beast::tcp_stream> s(std::move(socket), *tls_);
      Tracked tracked(*this, beast::get_lowest_layer(s));
      beast::get_lowest_layer(s).expires_after(kIoTimeout);
      auto [ec] = co_await s.async_handshake(net::ssl::stream_base::server, kTuple);
      if (ec) co_return;  // the client refused our certificate, as some tests intend
      const char* name = SSL_get_servername(s.native_handle(), TLSEXT_NAMETYPE_host_name);
      const std::string sni = name != nullptr ? name : "";
      co_await serve(s, sni);
    } catch (const std::exception&) {
      // A bug in the fixture: drop the connection rather than the process.
    }
  }

  net::awaitable<void> accept_loop() {
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        if (ec == net::error::operation_aborted || stopping_) break;
        continue;
      }
      net::co_spawn(ioc_, session(std::move(socket)), net::detached);
    }
  }

  void stop_all() {
    stopping_ = true;
    beast::error_code ignored;
    acceptor_.close(ignored);
    for (auto* t : timers_) t->cancel();
    for (auto* s : streams_) s->socket().close(ignored);
  }
};

FakeSite::FakeSite(std::string address, std::optional<FakeTls> tls) : impl_(std::make_unique<Impl>()) {
  auto& impl = *impl_;
  const auto ip = net::ip::make_address(address);
  impl.v6_ = ip.is_v6();
  impl.host_ = impl.v6_ ? "[" + address + "]" : address;
  if (tls) {
    impl.tls_.emplace(net::ssl::context::tls_server);
    impl.tls_->use_certificate_chain(net::buffer(tls->cert_pem));
    impl.tls_->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
  }
  const tcp::endpoint ep{ip, 0};
  impl.acceptor_.open(ep.protocol());
  impl.acceptor_.set_option(net::socket_base::reuse_address(true));
  impl.acceptor_.bind(ep);
  impl.acceptor_.listen(net::socket_base::max_listen_connections);
  impl.port_ = impl.acceptor_.local_endpoint().port();
  net::co_spawn(impl.ioc_, impl.accept_loop(), net::detached);
  impl.thread_ = std::thread([&impl] {
    try {
      impl.ioc_.run();
    } catch (const std::exception&) {
      // Nothing sensible to do in a fixture thread; the destructor still joins.
    }
  });
}

FakeSite::~FakeSite() {
  auto& impl = *impl_;
  net::post(impl.ioc_, [&impl] { impl.stop_all(); });
  impl.thread_.join();
}

std::uint16_t FakeSite::port() const { return impl_->port_; }

std::string FakeSite::origin() const {
  return std::string(impl_->tls_ ? "https://" : "http://") + impl_->host_ + ":" + std::to_string(impl_->port_);
}

void FakeSite::route(std::string target, FakeRoute route) {
  std::lock_guard lock(impl_->mu_);
  impl_->routes_[std::move(target)] = std::move(route);
}

std::vector<FakeSiteRequest> FakeSite::requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->requests_;
}

std::size_t FakeSite::hits(std::string_view target) const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<std::size_t>(std::count_if(impl_->requests_.begin(), impl_->requests_.end(),
                                                [&](const FakeSiteRequest& r) { return r.target == target; }));
}

}  // namespace winston::testing
