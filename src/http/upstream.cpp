#include "http/upstream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <poll.h>

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <variant>

#include "http/awaitable.hpp"
#include "core/log.hpp"
#include "core/retry_after.hpp"

namespace winston::http {
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

bool retryable_status(unsigned s) { return s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 529; }

}  // namespace

/// One connection, plain or TLS, with the parser state of the response in flight.
class UpstreamConnection {
 public:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  UpstreamConnection(net::any_io_executor ex) : stream_(std::in_place_index<0>, ex) {}
  UpstreamConnection(net::any_io_executor ex, net::ssl::context& ctx) : stream_(std::in_place_index<1>, ex, ctx) {}

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream_);
  }
  Tls* tls() { return std::get_if<1>(&stream_); }

  net::awaitable<std::tuple<beast::error_code, std::size_t>> write(bhttp::request<bhttp::string_body>& req) {
    return std::visit([&](auto& s) { return bhttp::async_write(s, req, kTuple); }, stream_);
  }
  net::awaitable<std::tuple<beast::error_code, std::size_t>> read_header() {
    return std::visit([&](auto& s) { return bhttp::async_read_header(s, buffer_, *parser_, kTuple); }, stream_);
  }
  net::awaitable<std::tuple<beast::error_code, std::size_t>> read_some() {
    return std::visit([&](auto& s) { return bhttp::async_read_some(s, buffer_, *parser_, kTuple); }, stream_);
  }
  void reset_parser() {
    parser_.emplace();
    parser_->body_limit(boost::none);  // the caller bounds what it keeps
  }
  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }
  bool open() { return lowest().socket().is_open(); }

  /// Fit to carry a request after lying idle: open, and the server has said
  /// nothing since the last response. A readable socket holds either its FIN
  /// (it closed the connection while idle) or bytes no request asked for;
  /// neither can begin a response. A zero-timeout poll, no read.
  bool quiet() {
    if (!open() || buffer_.size() != 0) return false;
    if (auto* t = tls()) {
      SSL* ssl = t->native_handle();
      if (SSL_pending(ssl) > 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0) return false;
    }
    pollfd p{};
    p.fd = lowest().socket().native_handle();
    p.events = POLLIN | POLLRDHUP;
    return ::poll(&p, 1, 0) == 0;  // 1: readable, hung up or failed; -1: cannot tell, so not fit either
  }

  std::variant<Plain, Tls> stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::array<char, kReadChunk> chunk_{};
};

Result<UpstreamEndpoint> UpstreamEndpoint::parse(std::string_view base_url) {
  auto u = boost::urls::parse_absolute_uri(base_url);
  if (!u) return Error::invalid("base_url", "invalid provider base URL '" + std::string(base_url) + "'");
  UpstreamEndpoint e;
  const auto scheme = u->scheme();
  if (scheme != "http" && scheme != "https") return Error::invalid("base_url", "provider base URL must be http(s)");
  e.tls = scheme == "https";
  e.host = std::string(u->host());
  if (e.host.empty()) return Error::invalid("base_url", "provider base URL needs a host");
  e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
  e.base_path = std::string(u->encoded_path());
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

UpstreamResponse::UpstreamResponse(UpstreamClient& client, std::unique_ptr<UpstreamConnection> conn,
                                   std::string pool_key)
    : client_(client), conn_(std::move(conn)), pool_key_(std::move(pool_key)) {}

UpstreamResponse::~UpstreamResponse() {
  if (!conn_) return;
  // Reusable only when the whole response was read and both sides keep the connection.
  if (conn_->parser_->is_done() && conn_->parser_->get().keep_alive() && conn_->open()) {
    client_.release(pool_key_, std::move(conn_));
  } else {
    conn_->close();
  }
}

unsigned UpstreamResponse::status() const { return conn_->parser_->get().result_int(); }
const bhttp::fields& UpstreamResponse::headers() const { return conn_->parser_->get().base(); }
bool UpstreamResponse::done() const { return !conn_ || conn_->parser_->is_done(); }

void UpstreamResponse::abort() {
  if (conn_) conn_->close();
  conn_.reset();
}

net::awaitable<Result<std::string_view>> UpstreamResponse::read_some() {
  if (done()) co_return std::string_view{};
  auto& body = conn_->parser_->get().body();
  body.data = conn_->chunk_.data();
  body.size = conn_->chunk_.size();
  conn_->lowest().expires_after(client_.options_.idle_timeout);
  auto [ec, n] = co_await conn_->read_some();
  if (ec == bhttp::error::need_buffer) ec = {};
  if (ec) {
    const bool timeout = ec == beast::error::timeout;
    abort();
    co_return Error::unavailable(timeout ? "upstream stopped sending (idle timeout)" : "upstream connection failed: " + ec.message());
  }
  co_return std::string_view(conn_->chunk_.data(), conn_->chunk_.size() - body.size);
}

net::awaitable<Result<std::string>> UpstreamResponse::read_all(std::size_t limit) {
  std::string out;
  while (!done()) {
    auto piece = co_await read_some();
    if (!piece.ok()) co_return piece.error();
    if (out.size() + piece->size() > limit) {
      abort();
      co_return Error::unavailable("upstream response is larger than the proxy's limit");
    }
    out.append(*piece);
  }
  co_return out;
}

UpstreamClient::UpstreamClient(net::any_io_executor executor, UpstreamOptions options)
    : executor_(std::move(executor)), options_(options), tls_(net::ssl::context::tls_client) {
  tls_.set_verify_mode(net::ssl::verify_peer);
  tls_.set_options(net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1);
}

UpstreamClient::~UpstreamClient() {
  for (auto& [_, conns] : idle_) {
    for (auto& c : conns) c.conn->close();
  }
  idle_.clear();
  publish();
}

std::size_t UpstreamClient::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [_, conns] : idle_) n += conns.size();
  return n;
}

std::chrono::steady_clock::time_point UpstreamClient::now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void UpstreamClient::publish() { stats_.idle = static_cast<std::int64_t>(idle_connections()); }

// Closes every idle connection that has waited pool_idle, on every host, so
// none is kept open past it by a host that went quiet (a client without
// requests keeps them until its next request: no timer, which would also keep
// a blocking client's private io_context running).
void UpstreamClient::prune() {
  const auto cutoff = now() - options_.pool_idle;
  for (auto host = idle_.begin(); host != idle_.end();) {
    auto& conns = host->second;
    const auto kept = std::find_if(conns.begin(), conns.end(), [&](const IdleConnection& c) { return c.since > cutoff; });
    for (auto c = conns.begin(); c != kept; ++c) c->conn->close();
    stats_.expired += static_cast<std::uint64_t>(kept - conns.begin());
    conns.erase(conns.begin(), kept);
    host = conns.empty() ? idle_.erase(host) : std::next(host);
  }
}

// The host's remaining idle connections went idle before the one found stale,
// so the upstream (restarted, or closing on its own timeout) has most likely
// closed them too: close them all rather than try them one by one.
void UpstreamClient::drop_host(Pool::iterator host) {
  for (auto& c : host->second) c.conn->close();
  stats_.dropped += host->second.size();
  idle_.erase(host);
}

// The most recently idle connection of the host if it is still fit, else none
// (and then none of the host's are kept).
std::unique_ptr<UpstreamConnection> UpstreamClient::take_idle(const std::string& key) {
  prune();
  auto host = idle_.find(key);
  if (host == idle_.end()) return nullptr;
  auto conn = std::move(host->second.back().conn);
  host->second.pop_back();
  if (!conn->quiet()) {
    conn->close();
    conn.reset();
    ++stats_.stale;
    log::debug("upstream.pool_stale", {{"upstream", key}, {"dropped", host->second.size()}});
    drop_host(host);
  } else if (host->second.empty()) {
    idle_.erase(host);
  }
  publish();
  return conn;
}

void UpstreamClient::release(std::string key, std::unique_ptr<UpstreamConnection> conn) {
  prune();
  auto host = idle_.find(key);
  const std::size_t pooled = host == idle_.end() ? 0 : host->second.size();
  if (pooled >= options_.max_idle_per_host || options_.pool_idle.count() <= 0) {
    conn->close();
  } else {
    idle_[key].push_back({std::move(conn), now()});
  }
  publish();
}

net::awaitable<Result<std::unique_ptr<UpstreamConnection>>> UpstreamClient::connect(const UpstreamEndpoint& ep) {
  if (ep.tls && !trust_loaded_) {
    // Loaded on the first TLS connection: the system bundle costs a few hundred
    // milliseconds, which a client that only speaks plain HTTP never pays.
    trust_loaded_ = true;
    boost::system::error_code ec;
    if (options_.ca_file.empty()) {
      tls_.set_default_verify_paths(ec);
    } else {
      tls_.load_verify_file(options_.ca_file, ec);
    }
    if (ec) ca_error_ = "cannot load the CA bundle " + (options_.ca_file.empty() ? std::string("of the system") : options_.ca_file) + ": " + ec.message();
  }
  if (ep.tls && !ca_error_.empty()) co_return Error::unavailable(ca_error_);
  tcp::resolver resolver(executor_);
  net::steady_timer guard(executor_, options_.connect_timeout);
  guard.async_wait([&](beast::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, results] = co_await resolver.async_resolve(ep.host, ep.port, kTuple);
  guard.cancel();
  if (rec) co_return Error::unavailable("cannot resolve " + ep.host + ": " + rec.message());
  auto conn = ep.tls ? std::make_unique<UpstreamConnection>(executor_, tls_) : std::make_unique<UpstreamConnection>(executor_);
  conn->lowest().expires_after(options_.connect_timeout);
  auto [cec, endpoint] = co_await conn->lowest().async_connect(results, kTuple);
  if (cec) co_return Error::unavailable("cannot connect to " + ep.key() + ": " + cec.message());
  if (auto* tls = conn->tls()) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"  // OpenSSL's macro
    const bool sni = SSL_set_tlsext_host_name(tls->native_handle(), ep.host.c_str());
#pragma GCC diagnostic pop
    if (!sni) {
      co_return Error::unavailable("TLS: cannot set SNI for " + ep.host);
    }
    tls->set_verify_callback(net::ssl::host_name_verification(ep.host));
    auto [hec] = co_await tls->async_handshake(net::ssl::stream_base::client, kTuple);
    if (hec) co_return Error::unavailable("TLS handshake with " + ep.key() + " failed: " + hec.message());
  }
  co_return conn;
}

net::awaitable<UpstreamClient::Exchange> UpstreamClient::exchange(UpstreamConnection& conn,
                                                                  bhttp::request<bhttp::string_body>& req) {
  conn.reset_parser();
  conn.lowest().expires_after(options_.first_byte_timeout);
  auto [wec, wn] = co_await conn.write(req);
  if (wec) co_return Exchange{.ec = wec, .on_write = true, .silent = wec != beast::error::timeout};
  auto [hec, hn] = co_await conn.read_header();
  // Nothing parsed and nothing buffered: not one byte came back. A timeout
  // instead means the server has the request and is slow with it.
  if (hec) {
    co_return Exchange{.ec = hec, .silent = hn == 0 && conn.buffer_.size() == 0 && hec != beast::error::timeout};
  }
  co_return Exchange{};
}

namespace {

Error exchange_error(const boost::system::error_code& ec, bool on_write, bool reused) {
  if (on_write) {
    return Error::unavailable(std::string(reused ? "pooled" : "new") + " upstream connection failed on write: " +
                              ec.message());
  }
  if (ec == beast::error::timeout) return Error{ErrorCode::kGatewayTimeout, std::string(kUpstreamTimeout), {}};
  return Error::unavailable("upstream connection failed: " + ec.message());
}

}  // namespace

net::awaitable<Result<std::unique_ptr<UpstreamResponse>>> UpstreamClient::attempt(
    const UpstreamEndpoint& ep, bhttp::request<bhttp::string_body>& req, bool& retryable) {
  retryable = true;  // nothing reached the upstream's application yet
  const std::string key = ep.key();
  if (auto pooled = take_idle(key)) {
    const auto sent = co_await exchange(*pooled, req);
    if (!sent.ec) {
      retryable = false;
      co_return std::make_unique<UpstreamResponse>(*this, std::move(pooled), key);
    }
    pooled->close();
    if (!sent.silent) {
      retryable = sent.on_write;  // after the write, the server may have the request
      co_return exchange_error(sent.ec, sent.on_write, true);
    }
    // The server closed it after the check (or as the request arrived) and did
    // nothing with the request: send it again now, on a new connection — the
    // host's other idle ones are older still.
    ++stats_.stale;
    ++stats_.fresh_retries;
    if (auto host = idle_.find(key); host != idle_.end()) drop_host(host);
    publish();
    log::debug("upstream.fresh_retry", {{"upstream", key}, {"error", sent.ec.message()}});
  }
  auto fresh = co_await connect(ep);
  if (!fresh.ok()) co_return fresh.error();
  auto conn = std::move(fresh).value();
  const auto sent = co_await exchange(*conn, req);
  if (sent.ec) {
    conn->close();
    retryable = sent.on_write;  // a new connection that fails after the write may have delivered the request
    co_return exchange_error(sent.ec, sent.on_write, false);
  }
  retryable = false;
  co_return std::make_unique<UpstreamResponse>(*this, std::move(conn), key);
}

net::awaitable<Result<std::unique_ptr<UpstreamResponse>>> UpstreamClient::send(const UpstreamEndpoint& ep,
                                                                                bhttp::request<bhttp::string_body> req) {
  req.set(bhttp::field::host, ep.host);
  req.keep_alive(true);
  req.prepare_payload();
  static thread_local std::minstd_rand jitter{std::random_device{}()};
  auto delay = options_.backoff;
  for (int attempt_no = 1;; ++attempt_no) {
    bool retryable = false;
    auto r = co_await attempt(ep, req, retryable);
    const bool last = attempt_no >= options_.max_attempts;
    std::chrono::milliseconds wait = delay + std::chrono::milliseconds(jitter() % (delay.count() / 2 + 1));
    if (r.ok()) {
      if (last || !retryable_status((*r)->status())) co_return r;
      if (auto ra = parse_retry_after((*r)->headers()["retry-after"], options_.max_retry_after)) wait = *ra;
      auto drained = co_await (*r)->read_all(1 << 20);  // reuse the connection if the error body is small
      (void)drained;
      log::warn("upstream.retry", {{"upstream", ep.key()}, {"status", (*r)->status()}, {"attempt", attempt_no}});
    } else {
      if (last || !retryable) co_return r;
      log::warn("upstream.retry", {{"upstream", ep.key()}, {"error", r.error().message}, {"attempt", attempt_no}});
    }
    net::steady_timer timer(executor_, wait);
    co_await timer.async_wait(kTuple);
    delay *= 2;
  }
}

}  // namespace winston::http
