#include "http/blocking_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/url/parse.hpp>

#include <optional>

#include "http/upstream.hpp"

namespace winston::http {
namespace net = boost::asio;
namespace {

// Arguments are named, not temporaries (GCC 12 destroys co_await temporaries twice).
net::awaitable<void> exchange(UpstreamClient& client, const UpstreamEndpoint& endpoint,
                              bhttp::request<bhttp::string_body> request, const BlockingOptions& options,
                              std::optional<Result<BlockingResponse>>& out) {
  auto sent = co_await client.send(endpoint, std::move(request));
  if (!sent.ok()) {
    out.emplace(std::move(sent).error());
    co_return;
  }
  auto response = std::move(sent).value();
  BlockingResponse reply;
  reply.status = response->status();
  reply.headers = response->headers();
  if (options.on_chunk) {
    while (!response->done()) {
      auto piece = co_await response->read_some();
      if (!piece.ok()) {
        out.emplace(std::move(piece).error());
        co_return;
      }
      if (!piece->empty() && !options.on_chunk(*piece)) {
        response->abort();
        break;
      }
    }
  } else {
    auto body = co_await response->read_all(options.max_response_bytes);
    if (!body.ok()) {
      out.emplace(std::move(body).error());
      co_return;
    }
    reply.body = std::move(body).value();
  }
  out.emplace(std::move(reply));
}

}  // namespace

Result<BlockingResponse> blocking_call(const BlockingRequest& request, const BlockingOptions& options) {
  auto url = boost::urls::parse_absolute_uri(request.url);
  if (!url) return Error::invalid("url", "not an absolute URL");
  const std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
  WINSTON_TRY_ASSIGN(const auto endpoint, UpstreamEndpoint::parse(origin));
  std::string target(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) return Error::invalid("method", "unknown HTTP method " + request.method);

  bhttp::request<bhttp::string_body> req{verb, target, 11};
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put || verb == bhttp::verb::patch) {
    req.body() = request.body;
  }

  UpstreamOptions upstream;
  upstream.connect_timeout = options.connect_timeout;
  upstream.first_byte_timeout = options.response_timeout;
  upstream.idle_timeout = options.response_timeout;
  upstream.max_attempts = 1;
  upstream.ca_file = options.ca_file;
  net::io_context ioc(1);
  std::optional<Result<BlockingResponse>> out;
  {
    UpstreamClient client(ioc.get_executor(), upstream);
    net::co_spawn(ioc, exchange(client, endpoint, std::move(req), options, out), net::detached);
    ioc.run();
  }
  if (!out) return Error::internal("the HTTP exchange ended without a result");
  if (!out->ok()) {
    const auto& e = out->error();
    if (e.code == ErrorCode::kGatewayTimeout) {
      return Error::unavailable(endpoint.key() + " did not answer within " +
                                std::to_string(options.response_timeout.count()) + " ms");
    }
    return Error::unavailable(endpoint.key() + ": " + e.message);
  }
  return std::move(*out);
}

}  // namespace winston::http
