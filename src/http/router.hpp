#pragma once
// Routes a request to a handler by method and path pattern ("/v1/tenants/{id}").
// Handlers are synchronous and run on the blocking pool, never on an I/O thread.

#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace winston::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

/// What a handler sees: the request plus what the router and server worked out.
struct RequestContext {
  const Request& request;
  std::string request_id;
  std::map<std::string, std::string, std::less<>> path_params;
  std::multimap<std::string, std::string, std::less<>> query;  // percent-decoded

  std::string_view param(std::string_view name) const;
  std::optional<std::string> query_param(std::string_view name) const;
};

using Handler = std::function<Response(RequestContext&)>;

struct Route {
  bhttp::verb method;
  std::string pattern;
  Handler handler;
};

class Router {
 public:
  void add(bhttp::verb method, std::string pattern, Handler handler);
  /// Matches, fills path params and calls the handler; 404/405 in the error
  /// shape when nothing matches. `matched` receives the pattern for metrics.
  Response dispatch(RequestContext& ctx, std::string& matched) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

/// A JSON response with the request's HTTP version and keep-alive.
Response json_response(const RequestContext& ctx, bhttp::status status, const boost::json::value& body);
/// The one error shape: {"error":{"code","message"[,"field"],"request_id"}}, with the status for its code.
Response error_response(const RequestContext& ctx, const Error& error);
/// Builds the error body alone (the server uses it before a context exists).
Response error_response(unsigned version, bool keep_alive, const std::string& request_id, const Error& error);
/// The single mapping from ErrorCode to HTTP status.
bhttp::status http_status(ErrorCode code);

/// The key a client presents: `x-api-key` (Anthropic's clients) or
/// `Authorization: Bearer` (OpenAI's); empty when neither is there.
std::string presented_key(const Request& req);

}  // namespace winston::http
