#include "http/router.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "core/log.hpp"

namespace winston::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool match(std::string_view pattern, const std::vector<std::string_view>& path,
           std::map<std::string, std::string, std::less<>>& params) {
  const auto pat = split_path(pattern);
  if (pat.size() != path.size()) return false;
  std::map<std::string, std::string, std::less<>> found;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}') {
      if (path[i].empty()) return false;
      found.emplace(std::string(pat[i].substr(1, pat[i].size() - 2)), std::string(path[i]));
    } else if (pat[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

std::string_view RequestContext::param(std::string_view name) const {
  const auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view{} : std::string_view(it->second);
}

std::optional<std::string> RequestContext::query_param(std::string_view name) const {
  const auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

void Router::add(bhttp::verb method, std::string pattern, Handler handler) {
  routes_.push_back(Route{method, std::move(pattern), std::move(handler)});
}

Response Router::dispatch(RequestContext& ctx, std::string& matched) const {
  const std::string_view target = ctx.request.target();
  const auto path = split_path(target.substr(0, target.find('?')));
  std::vector<std::string_view> allowed;
  for (const auto& route : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!match(route.pattern, path, params)) continue;
    matched = route.pattern;
    if (route.method != ctx.request.method()) {
      allowed.push_back(bhttp::to_string(route.method));
      continue;
    }
    // Path params arrive percent-encoded; the id/slug alphabet needs no decoding,
    // anything else simply fails to match a tenant.
    ctx.path_params = std::move(params);
    return route.handler(ctx);
  }
  if (!allowed.empty()) {
    auto res = error_response(ctx, Error{ErrorCode::kMethodNotAllowed, "method not allowed on this path", {}});
    std::string allow;
    for (auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
    res.set(bhttp::field::allow, allow);
    return res;
  }
  matched = "unmatched";
  return error_response(ctx, Error::not_found("no such endpoint"));
}

bhttp::status http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed: return bhttp::status::bad_request;
    case ErrorCode::kUnauthenticated: return bhttp::status::unauthorized;
    case ErrorCode::kInsufficientCredits: return bhttp::status::payment_required;
    case ErrorCode::kForbidden: return bhttp::status::forbidden;
    case ErrorCode::kNotFound: return bhttp::status::not_found;
    case ErrorCode::kMethodNotAllowed: return bhttp::status::method_not_allowed;
    case ErrorCode::kConflict: return bhttp::status::conflict;
    case ErrorCode::kPayloadTooLarge: return bhttp::status::payload_too_large;
    case ErrorCode::kInvalidField: return bhttp::status::unprocessable_entity;
    case ErrorCode::kUnavailable: return bhttp::status::service_unavailable;
    case ErrorCode::kBadGateway: return bhttp::status::bad_gateway;
    case ErrorCode::kGatewayTimeout: return bhttp::status::gateway_timeout;
    case ErrorCode::kInternal: return bhttp::status::internal_server_error;
  }
  return bhttp::status::internal_server_error;
}

Response json_response(const RequestContext& ctx, bhttp::status status, const boost::json::value& body) {
  Response res{status, ctx.request.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(ctx.request.keep_alive());
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

Response error_response(unsigned version, bool keep_alive, const std::string& request_id, const Error& error) {
  boost::json::object err{{"code", to_string(error.code)}, {"message", error.message}};
  if (!error.field.empty()) err["field"] = error.field;
  if (!request_id.empty()) err["request_id"] = request_id;
  Response res{http_status(error.code), version};
  res.set(bhttp::field::content_type, "application/json");
  if (error.code == ErrorCode::kUnauthenticated) res.set(bhttp::field::www_authenticate, "Bearer");
  res.keep_alive(keep_alive);
  res.body() = boost::json::serialize(boost::json::object{{"error", std::move(err)}});
  res.prepare_payload();
  return res;
}

Response error_response(const RequestContext& ctx, const Error& error) {
  if (error.code == ErrorCode::kInternal || error.code == ErrorCode::kUnavailable) {
    // Internal details (SQL, hosts) stay in the log; the client gets the request id to quote.
    log::error("http.handler_error", {{"request_id", ctx.request_id}, {"code", to_string(error.code)},
                                      {"message", error.message}});
    return error_response(ctx.request.version(), ctx.request.keep_alive(), ctx.request_id,
                          Error{error.code, error.code == ErrorCode::kInternal ? "internal error" : "service unavailable, retry later", {}});
  }
  return error_response(ctx.request.version(), ctx.request.keep_alive(), ctx.request_id, error);
}

std::string presented_key(const Request& req) {
  if (auto k = req["x-api-key"]; !k.empty()) return std::string(k);
  const std::string_view auth = req[bhttp::field::authorization];
  if (auth.starts_with("Bearer ")) return std::string(auth.substr(7));
  return {};
}

}  // namespace winston::http
