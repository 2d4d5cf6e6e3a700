#include "agent/gateway_chat.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/text.hpp"
#include "http/blocking_client.hpp"

namespace winston::agent {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxQuotedError = 300;

std::string request_body(const GatewayChatRequest& r) {
  json::object body{{"model", kGatewayModel},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", r.message}}}}};
  if (r.user) body["user"] = *r.user;
  return json::serialize(body);
}

// The gateway's own error message ({"error":{"message"}}), shortened; the status alone when there is none.
std::string gateway_message(const http::BlockingResponse& res) {
  boost::system::error_code ec;
  const auto doc = json::parse(res.body, ec);
  std::string text;
  if (!ec && doc.is_object()) {
    const auto* err = doc.as_object().if_contains("error");
    const auto* msg = err != nullptr && err->is_object() ? err->as_object().if_contains("message") : nullptr;
    if (msg != nullptr && msg->is_string()) text = std::string(msg->as_string());
  }
  if (text.size() > kMaxQuotedError) text = text.substr(0, kMaxQuotedError) + "…";
  return text.empty() ? fmt::format("HTTP {}", res.status) : fmt::format("HTTP {}: {}", res.status, text);
}

Error status_error(const http::BlockingResponse& res) {
  const std::string what = gateway_message(res);
  if (res.status == 401 || res.status == 403) {
    return {ErrorCode::kBadGateway,
            "the agent's gateway refused Winston's token (" + what +
                "); restarting the cell (instance stop, then start) gives it its current token",
            {}};
  }
  if (res.status == 402) {
    return {ErrorCode::kInsufficientCredits, "the agent could not call its model: " + what, {}};
  }
  return {ErrorCode::kBadGateway, "the agent's gateway failed: " + what, {}};
}

Result<GatewayAnswer> parse_answer(const std::string& body) {
  const Error bad{ErrorCode::kBadGateway, "the agent's gateway answered something that is not a chat completion", {}};
  boost::system::error_code ec;
  const auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return bad;
  const auto& o = doc.as_object();
  const auto* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->as_array().empty()) return bad;
  const auto& choice = choices->as_array().front();
  const auto* msg = choice.is_object() ? choice.as_object().if_contains("message") : nullptr;
  const auto* content = msg != nullptr && msg->is_object() ? msg->as_object().if_contains("content") : nullptr;
  if (content == nullptr || !(content->is_string() || content->is_null())) return bad;
  GatewayAnswer a;
  if (content->is_string()) a.answer = std::string(content->as_string());
  if (const auto* m = o.if_contains("model"); m != nullptr && m->is_string()) a.model = std::string(m->as_string());
  if (const auto* f = choice.as_object().if_contains("finish_reason"); f != nullptr && f->is_string()) {
    a.finish_reason = std::string(f->as_string());
  }
  if (const auto* u = o.if_contains("usage"); u != nullptr && u->is_object()) a.usage = *u;
  return a;
}

Result<GatewayAnswer> exchange(const GatewayChatRequest& r, const GatewayChatOptions& options) {
  std::string url = r.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  http::BlockingOptions o;
  o.connect_timeout = options.connect_timeout;
  o.response_timeout = options.timeout;
  o.max_response_bytes = options.max_response_bytes;
  const auto started = std::chrono::steady_clock::now();
  auto res = http::blocking_call({"POST", url + "/v1/chat/completions",
                                   {{"Authorization", "Bearer " + r.token}, {"Content-Type", "application/json"}},
                                   request_body(r)},
                                  o);
  if (!res.ok()) {
    // The client's messages name the host, never the headers. A whole timeout is 504; anything sooner is 502.
    if (res.error().code == ErrorCode::kInvalidField) {
      return Error{ErrorCode::kBadGateway, "the cell's URL is not usable: " + r.base_url, {}};
    }
    if (std::chrono::steady_clock::now() - started >= options.timeout) {
      return Error{ErrorCode::kGatewayTimeout,
                   fmt::format("the agent's gateway did not answer within {} s", options.timeout.count() / 1000), {}};
    }
    return Error{ErrorCode::kBadGateway, "the agent's gateway could not be reached: " + res.error().message, {}};
  }
  if (res->status != 200) return status_error(*res);
  return parse_answer(res->body);
}

}  // namespace

Result<GatewayAnswer> gateway_chat(const GatewayChatRequest& request, const GatewayChatOptions& options) {
  auto out = exchange(request, options);
  if (!out.ok()) {
    Error e = std::move(out).error();
    e.message = redact(std::move(e.message), request.token);
    return e;
  }
  out->answer = redact(std::move(out->answer), request.token);
  return out;
}

}  // namespace winston::agent
