#pragma once
// One HTTP exchange from a worker thread, blocking: the proxy's
// UpstreamClient (TLS with certificate and host name verification, connect /
// first-byte / idle timeouts) driven on a private io_context. Used by the
// cell provisioners (Railway, Kubernetes, local readiness probes) and the
// analyzer's LLM client. Nothing is retried here: callers decide, because a
// retried POST may create a second resource.

#include <boost/beast/http/fields.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace winston::http {

struct BlockingRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string url;             // absolute http:// or https:// URL, query included
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct BlockingOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds response_timeout{30'000};  // until the response header, and between body reads
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  std::string ca_file;  // PEM bundle to verify the server with instead of the system's (Kubernetes' ca.crt)
  /// Streaming: called with each piece of the body as it arrives (the body is
  /// then not accumulated); return false to stop reading and close.
  std::function<bool(std::string_view)> on_chunk;
};

struct BlockingResponse {
  unsigned status = 0;
  boost::beast::http::fields headers;
  std::string body;  // empty when on_chunk consumed it
};

/// kUnavailable when the server cannot be reached, does not answer in time,
/// breaks the connection or sends more than max_response_bytes; kInvalidField
/// for a URL that is not absolute http(s). Any HTTP status is a response.
/// Messages name the host, never the headers.
Result<BlockingResponse> blocking_call(const BlockingRequest& request, const BlockingOptions& options = {});

}  // namespace winston::http
