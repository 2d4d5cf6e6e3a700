#include "analyzer/llm_client.hpp"

#include <boost/json.hpp>

#include "analyzer/profile_prompt.hpp"
#include "core/text.hpp"
#include "http/blocking_client.hpp"
#include "http/upstream.hpp"

namespace winston::analyzer {
namespace json = boost::json;
namespace {

constexpr std::string_view kAnthropicVersion = "2023-06-01";
constexpr std::size_t kMaxErrorMessage = 300;
constexpr std::size_t kKeyPrefixChars = 16;  // what key listings show ("wsk_" + 12 hex): redacted as well

/// `message` without the key or its listed prefix; a prefix under 8 characters
/// says nothing and would blank ordinary words.
std::string redact_key(std::string message, std::string_view key) {
  for (const auto secret : {key, key.substr(0, std::min(key.size(), kKeyPrefixChars))}) {
    if (secret.size() >= 8) message = redact(std::move(message), secret);
  }
  return message;
}

json::object request_body(const LlmOptions& o, const Chat& chat) {
  json::array messages;
  if (o.api == WireApi::kOpenAIChat && !chat.system.empty()) {
    messages.push_back(json::object{{"role", "system"}, {"content", chat.system}});
  }
  for (const auto& m : chat.messages) messages.push_back(json::object{{"role", m.role}, {"content", m.content}});
  json::object body{{"model", o.model}, {"max_tokens", o.max_tokens}, {"messages", std::move(messages)}};
  if (o.api == WireApi::kAnthropicMessages && !chat.system.empty()) body["system"] = chat.system;
  return body;
}

http::BlockingRequest build_request(const LlmOptions& o, const http::UpstreamEndpoint& ep, const Chat& chat,
                                     std::string_view key) {
  const bool anthropic = o.api == WireApi::kAnthropicMessages;
  http::BlockingRequest req;
  req.method = "POST";
  req.url = ep.key() + ep.base_path + (anthropic ? "/v1/messages" : "/v1/chat/completions");
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}, {"User-Agent", "winston-analyzer"}};
  if (anthropic) {
    req.headers.emplace_back("x-api-key", std::string(key));
    req.headers.emplace_back("anthropic-version", std::string(kAnthropicVersion));
  } else {
    req.headers.emplace_back("Authorization", "Bearer " + std::string(key));
  }
  req.body = json::serialize(request_body(o, chat));
  return req;
}

/// {"error":{"message"}} is the error shape of both APIs (and of the proxy's own errors).
std::string error_message(std::string_view body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) return std::string(m->as_string());
    }
  }
  return body.empty() ? "no error message" : std::string(body);
}

/// Text parts as Anthropic's content blocks or OpenAI's content-part array.
std::string join_text_parts(const json::array& parts) {
  std::string out;
  for (const auto& part : parts) {
    const auto* o = part.if_object();
    const auto* type = o ? o->if_contains("type") : nullptr;
    const auto* text = o ? o->if_contains("text") : nullptr;
    if (type && type->is_string() && type->as_string() == "text" && text && text->is_string()) out += text->as_string();
  }
  return out;
}

/// The answer's text; "" when a well-formed answer has none (a refusal, or
/// every token spent on reasoning), which the caller treats as invalid output.
Result<std::string> assistant_text(WireApi api, std::string_view body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  const auto malformed = Error::unavailable("the LLM proxy's answer is not a " + std::string(to_string(api)) + " response");
  if (ec || !v.is_object()) return malformed;
  const auto& o = v.as_object();
  if (api == WireApi::kAnthropicMessages) {
    const auto* content = o.if_contains("content");
    if (!content || !content->is_array()) return malformed;
    return join_text_parts(content->as_array());
  }
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty()) return malformed;
  const auto* choice = choices->as_array().front().if_object();
  const auto* message = choice ? choice->if_contains("message") : nullptr;
  if (!message || !message->is_object()) return malformed;
  const auto* content = message->as_object().if_contains("content");
  if (content && content->is_string()) return std::string(content->as_string());
  if (content && content->is_array()) return join_text_parts(content->as_array());
  return std::string();
}

}  // namespace

Result<std::string> LlmClient::complete(const Chat& chat, std::string_view api_key) const {
  const std::string base_url =
      options_.base_url.empty() && options_.own_proxy_url ? options_.own_proxy_url() : options_.base_url;
  if (base_url.empty()) return Error::unavailable("no proxy URL is configured for the analyzer");
  WINSTON_TRY_ASSIGN(auto endpoint, http::UpstreamEndpoint::parse(base_url));
  if (endpoint.base_path.ends_with("/v1")) endpoint.base_path.resize(endpoint.base_path.size() - 3);
  http::BlockingOptions call;
  call.connect_timeout = options_.connect_timeout;
  call.response_timeout = options_.response_timeout;
  call.max_response_bytes = options_.max_response_bytes;
  // Not retried here: the proxy already retries its providers; a second layer would multiply waits.
  auto reply = http::blocking_call(build_request(options_, endpoint, chat, api_key), call);
  if (!reply.ok()) return Error::unavailable(redact_key("the LLM proxy at " + reply.error().message, api_key));
  if (reply->status != 200) {
    const auto message = clean_utf8(error_message(reply->body), kMaxErrorMessage);
    return Error::unavailable(redact_key("the LLM proxy at " + endpoint.key() + " answered " +
                                         std::to_string(reply->status) + ": " + message,
                                     api_key));
  }
  return assistant_text(options_.api, reply->body);
}

}  // namespace winston::analyzer
