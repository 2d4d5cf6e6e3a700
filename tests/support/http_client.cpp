#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

boost::json::value HttpReply::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value{} : v;
}

std::string HttpReply::error_code() const {
  const auto v = json();
  if (!v.is_object() || !v.as_object().contains("error")) return {};
  return std::string(v.at("error").at("code").as_string());
}

std::string HttpReply::error_field() const {
  const auto v = json();
  if (!v.is_object() || !v.as_object().contains("error")) return {};
  const auto* f = v.at("error").as_object().if_contains("field");
  return f ? std::string(f->as_string()) : std::string{};
}

std::string HttpReply::error_message() const {
  const auto v = json();
  if (!v.is_object() || !v.as_object().contains("error")) return {};
  return std::string(v.at("error").at("message").as_string());
}

HttpClient::HttpClient(std::uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}

void HttpClient::connect() {
  stream_ = std::make_unique<beast::tcp_stream>(ioc_);
  stream_->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
}

HttpReply HttpClient::send(http::verb method, const std::string& target, const std::string& body,
                           std::map<std::string, std::string> headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!stream_) connect();
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token_.empty() && !headers.contains("Authorization")) req.set(http::field::authorization, "Bearer " + token_);
    for (const auto& [k, v] : headers) {
      if (!v.empty()) req.set(k, v);
    }
    if (!body.empty() || method == http::verb::post || method == http::verb::patch) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    req.keep_alive(true);
    stream_->expires_after(std::chrono::seconds(30));
    beast::error_code ec;
    http::write(*stream_, req, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) http::read(*stream_, buffer, parser, ec);
    if (ec) {  // server closed an idle keep-alive connection: reconnect once
      stream_.reset();
      continue;
    }
    auto res = parser.release();
    HttpReply reply{res.result_int(), res.body(), {}};
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      reply.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) stream_.reset();
    return reply;
  }
  throw std::runtime_error("HTTP request failed twice: " + target);
}

std::string HttpClient::raw_exchange(std::uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(sock, net::buffer(bytes));
  std::string out;
  beast::error_code ec;
  std::array<char, 4096> buf{};
  while (true) {
    const auto n = sock.read_some(net::buffer(buf), ec);
    out.append(buf.data(), n);
    if (ec) break;
  }
  return out;
}

}  // namespace winston::testing
