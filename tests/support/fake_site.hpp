#pragma once
// A website served on a loopback address for the analyzer's fetcher tests.
//
// Linux routes all of 127.0.0.0/8 to the loopback interface, so a FakeSite
// on 127.0.0.2 is a different host from one on 127.0.0.1: a test can allow
// exactly the site's address through the SSRF guard and watch that nothing
// else is contacted. Binds port 0, serves each connection as a coroutine on
// its own I/O thread (delays never block other connections), answers one
// request per connection, and records every request.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace winston::testing {

struct FakeRoute {
  unsigned status = 200;
  std::string content_type = "text/html; charset=utf-8";  // empty: no Content-Type header
  std::string body;
  std::string location;  // sent as Location when not empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  std::chrono::milliseconds delay{0};  // before the response header
  bool chunked = false;                // Transfer-Encoding: chunked instead of Content-Length
  bool close_delimited = false;        // neither: the body ends when the connection closes
  std::size_t chunk_size = 0;          // chunked: bytes per chunk (0: the body in one chunk)
  std::chrono::milliseconds chunk_delay{0};  // chunked: pause between chunks
};

/// Certificate chain and key, PEM, for an https site.
struct FakeTls {
  std::string cert_pem;
  std::string key_pem;
};

struct FakeSiteRequest {
  std::string target;  // path and query as sent
  std::string host;    // the Host header
  std::string user_agent;
  std::string sni;     // the TLS server name the client sent (https only)
};

class FakeSite {
 public:
  /// Binds `address`:0 ("127.0.0.2", "::1", ...); throws if it cannot.
  explicit FakeSite(std::string address = "127.0.0.2", std::optional<FakeTls> tls = std::nullopt);
  ~FakeSite();  // stops at once, pending delays included, and joins
  FakeSite(const FakeSite&) = delete;
  FakeSite& operator=(const FakeSite&) = delete;

  std::uint16_t port() const;
  /// "http://127.0.0.2:PORT" ("https://", "[::1]" as appropriate).
  std::string origin() const;
  std::string url(std::string_view path) const { return origin() + std::string(path); }

  /// Serves `route` for requests whose target (path and query) is exactly
  /// `target`; others get a 404 HTML page. Thread-safe.
  void route(std::string target, FakeRoute route);
  std::vector<FakeSiteRequest> requests() const;
  std::size_t hits(std::string_view target) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winston::testing
