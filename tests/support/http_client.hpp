#pragma once
// A small synchronous HTTP/1.1 client for tests (Boost.Beast), one
// keep-alive connection per client.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>

namespace winston::testing {

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
  boost::json::value json() const;             // parsed body (null when not JSON)
  std::string error_code() const;              // error.code of an error body
  std::string error_field() const;
  std::string error_message() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string token = {});
  HttpReply send(boost::beast::http::verb method, const std::string& target, const std::string& body = {},
                 std::map<std::string, std::string> headers = {});
  HttpReply get(const std::string& target) { return send(boost::beast::http::verb::get, target); }
  HttpReply post(const std::string& target, const std::string& body) {
    return send(boost::beast::http::verb::post, target, body);
  }
  HttpReply patch(const std::string& target, const std::string& body) {
    return send(boost::beast::http::verb::patch, target, body);
  }
  HttpReply del(const std::string& target) { return send(boost::beast::http::verb::delete_, target); }

  /// Writes raw bytes on a fresh connection and returns whatever comes back until close.
  static std::string raw_exchange(std::uint16_t port, const std::string& bytes);

 private:
  void connect();
  std::uint16_t port_;
  std::string token_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
};

}  // namespace winston::testing
