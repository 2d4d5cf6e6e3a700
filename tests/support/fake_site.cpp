#include "support/fake_site.hpp"

#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{10};

/// The TLS context for an https site, nothing for a plain one.
std::optional<net::ssl::context> server_context(const std::optional<FakeTls>& tls) {
  if (!tls) return std::nullopt;
  std::optional<net::ssl::context> ctx(std::in_place, net::ssl::context::tls_server);
  ctx->use_certificate_chain(net::buffer(tls->cert_pem));
  ctx->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem);
  return ctx;
}

/// How the site's address appears in a URL: IPv6 in brackets.
std::string url_host(const std::string& address) {
  return net::ip::make_address(address).is_v6() ? "[" + address + "]" : address;
}

}  // namespace

struct FakeSite::Impl {
  Impl(const std::string& address, const std::optional<FakeTls>& tls)
      : host_(url_host(address)), tls_(server_context(tls)), loop_(address, [this](tcp::socket socket) {
          return session(std::move(socket));
        }) {}

  const std::string host_;
  std::optional<net::ssl::context> tls_;

  // Shared with test threads.
  mutable std::mutex mu_;
  std::map<std::string, FakeRoute, std::less<>> routes_;
  std::vector<FakeSiteRequest> requests_;

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
      if (pos > 0 && r.chunk_delay.count() > 0 && !co_await loop_.pause(r.chunk_delay)) co_return;
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
    if (r.delay.count() > 0 && !co_await loop_.pause(r.delay)) co_return;
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

  net::awaitable<void> session(tcp::socket socket) {
    try {
      if (!tls_) {
        beast::tcp_stream s(std::move(socket));
        FakeServerLoop::TrackedStream tracked(loop_, s);
        const std::string no_sni;
        co_await serve(s, no_sni);
        co_return;
      }
      beast::ssl_stream<beast::tcp_stream> s(std::move(socket), *tls_);
      FakeServerLoop::TrackedStream tracked(loop_, beast::get_lowest_layer(s));
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

  // Last: serves the state above and stops before it is destroyed.
  FakeServerLoop loop_;
};

FakeSite::FakeSite(std::string address, std::optional<FakeTls> tls) : impl_(std::make_unique<Impl>(address, tls)) {}

FakeSite::~FakeSite() = default;

std::uint16_t FakeSite::port() const { return impl_->loop_.port(); }

std::string FakeSite::origin() const {
  return std::string(impl_->tls_ ? "https://" : "http://") + impl_->host_ + ":" + std::to_string(impl_->loop_.port());
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
