#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>

#include "http/awaitable.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

namespace winston::http {
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
namespace {


bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

void parse_query(std::string_view target, RequestContext& ctx) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return;
  for (const auto& p : url->params()) ctx.query.emplace(p.key, p.value);
}

// Closing with unread request bytes makes the kernel send RST, which can
// destroy the error response in flight. Half-close and discard what the
// client is still sending, bounded in bytes and time.
net::awaitable<void> linger(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 8192> sink{};
  std::size_t drained = 0;
  while (drained < 4 * 1024 * 1024) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), kTuple);
    if (rec) break;
    drained += n;
  }
}

}  // namespace

struct Server::Session {
  beast::tcp_stream stream;
  bool busy = false;
  explicit Session(tcp::socket s) : stream(std::move(s)) {}
};

Server::Server(net::io_context& ioc, ExchangeHandler& handler, ServerOptions options)
    : ioc_(ioc), handler_(handler), options_(std::move(options)), acceptor_(ioc) {}

Result<std::uint16_t> Server::listen(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto addr = net::ip::make_address(address, ec);
  if (ec) return Error::invalid("listen", "invalid listen address '" + address + "'");
  const tcp::endpoint ep{addr, port};
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::unavailable("cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  }
  return acceptor_.local_endpoint().port();
}

void Server::start() { net::co_spawn(ioc_, accept_loop(), net::detached); }

void Server::shutdown() {
  net::post(ioc_, [this] {
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto* s : sessions_) {
      if (!s->busy) s->stream.socket().close(ec);  // idle keep-alive: nothing to lose
    }
  });
}

net::awaitable<void> Server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping_) break;
      log::warn("http.accept_failed", {{"server", options_.name}, {"error", ec.message()}});
      continue;
    }
    net::co_spawn(ioc_, run_session(std::move(socket)), net::detached);
  }
}

net::awaitable<void> Server::run_session(tcp::socket socket) {
  ++open_;
  Session session(std::move(socket));
  sessions_.insert(&session);
  beast::flat_buffer buffer;
  for (bool first = true; !stopping_; first = false) {
    bhttp::request_parser<bhttp::string_body> parser;
    // Beast checks Content-Length against the limit as the header completes, so the
    // header is read under the ceiling and the route's own limit is applied here.
    parser.body_limit(std::max(options_.body_limit, options_.body_limit_ceiling));
    parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
    session.stream.expires_after(first ? options_.read_timeout : options_.idle_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(session.stream, buffer, parser, kTuple);
    boost::system::error_code ec = hec;
    if (!ec) {
      std::size_t limit = options_.body_limit;
      if (options_.body_limit_for) {
        limit = std::min(options_.body_limit_for(parser.get().target()).value_or(limit),
                         std::max(options_.body_limit, options_.body_limit_ceiling));
      }
      if (parser.content_length() && *parser.content_length() > limit) ec = bhttp::error::body_limit;
      parser.body_limit(limit);
    }
    if (!ec && !parser.is_done()) {
      auto [bec, bn] = co_await bhttp::async_read(session.stream, buffer, parser, kTuple);
      ec = bec;
    }
    if (ec) {
      // Answer what we can name (too large, malformed); just close on timeouts and resets.
      std::optional<Error> err;
      if (ec == bhttp::error::body_limit) err = Error{ErrorCode::kPayloadTooLarge, "request body too large", {}};
      else if (ec == bhttp::error::header_limit) err = Error{ErrorCode::kPayloadTooLarge, "request headers too large", {}};
      else if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() && ec != bhttp::error::end_of_stream &&
               ec != bhttp::error::partial_message) {
        err = Error::malformed("malformed HTTP request");
      }
      if (err) {
        auto res = error_response(11, false, new_uuid_v7(SystemClock().now_ms()), *err);
        session.stream.expires_after(options_.write_timeout);
        auto [wec, wn] = co_await bhttp::async_write(session.stream, res, kTuple);
        if (!wec) co_await linger(session.stream);
      }
      break;
    }
    session.busy = true;
    Exchange ex{parser.get(), session.stream, parser.get().keep_alive()};
    co_await handler_.serve(ex);
    session.busy = false;
    if (!ex.keep_alive || stopping_) break;
  }
  boost::system::error_code ignored;
  session.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  session.stream.socket().close(ignored);
  sessions_.erase(&session);
  --open_;
}

std::string request_id_for(const Request& req) {
  const auto given = req["X-Request-Id"];
  return valid_request_id(given) ? std::string(given) : new_uuid_v7(SystemClock().now_ms());
}

net::awaitable<void> RoutedHandler::serve(Exchange& ex) {
  Response res = co_await respond(ex.request);
  res.keep_alive(res.keep_alive() && ex.keep_alive);
  ex.keep_alive = res.keep_alive();
  ex.stream.expires_after(write_timeout_);
  auto [ec, n] = co_await bhttp::async_write(ex.stream, res, kTuple);
  if (ec) ex.keep_alive = false;
}

net::awaitable<Response> RoutedHandler::respond(const Request& req) {
  const auto started = std::chrono::steady_clock::now();
  RequestContext ctx{req, request_id_for(req), {}, {}};
  parse_query(req.target(), ctx);
  std::string route;
  // Hop to the blocking pool for the handler; the result comes back to this I/O thread.
  Response res = co_await net::co_spawn(
      pool_,
      [&]() -> net::awaitable<Response> {
        try {
          co_return router_.dispatch(ctx, route);
        } catch (const std::exception& e) {
          log::error("http.handler_exception", {{"request_id", ctx.request_id}, {"what", e.what()}});
          co_return error_response(ctx, Error::internal("internal error"));
        }
      },
      net::use_awaitable);
  res.set("X-Request-Id", ctx.request_id);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.observe(route, std::string(req.method_string()), res.result_int(), seconds);
  log::info("http.request", {{"server", name_},
                             {"request_id", ctx.request_id},
                             {"method", std::string(req.method_string())},
                             {"route", route},
                             {"status", res.result_int()},
                             {"duration_ms", seconds * 1000.0}});
  co_return res;
}

}  // namespace winston::http
