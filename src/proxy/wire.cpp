#include "proxy/wire.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "http/router.hpp"

namespace winston::proxy {
namespace json = boost::json;
namespace {

std::int64_t int_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return 0;
  const auto* x = v.as_object().if_contains(key);
  if (x == nullptr) return 0;
  if (x->is_int64()) return x->as_int64();
  if (x->is_uint64()) return static_cast<std::int64_t>(x->as_uint64());
  return 0;
}

const json::value* path(const json::value& v, std::initializer_list<std::string_view> keys) {
  const json::value* cur = &v;
  for (auto k : keys) {
    if (!cur->is_object()) return nullptr;
    cur = cur->as_object().if_contains(k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

// OpenAI counts cached tokens inside prompt_tokens; split them so nothing counts twice.
TokenUsage openai_usage(const json::value& u) {
  TokenUsage t;
  const auto cached = [&] {
    const auto* d = path(u, {"prompt_tokens_details"});
    std::int64_t c = d ? int_at(*d, "cached_tokens") : 0;
    return c ? c : int_at(u, "cached_tokens");  // Moonshot's field
  }();
  t.cache_read = cached;
  t.input = std::max<std::int64_t>(int_at(u, "prompt_tokens") - cached, 0);
  t.output = int_at(u, "completion_tokens");
  return t;
}

const json::value* openai_usage_node(const json::value& body) {
  if (const auto* u = path(body, {"usage"}); u && u->is_object()) return u;
  // Some OpenAI-compatible providers (Moonshot) report usage inside the last choice.
  if (const auto* choices = path(body, {"choices"}); choices && choices->is_array()) {
    for (const auto& c : choices->as_array()) {
      if (const auto* u = path(c, {"usage"}); u && u->is_object()) return u;
    }
  }
  return nullptr;
}

std::string_view anthropic_error_type(unsigned status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: return status < 500 ? "invalid_request_error" : "api_error";
  }
}

std::pair<std::string_view, std::string_view> openai_error_type(unsigned status) {
  switch (status) {
    case 401: return {"invalid_request_error", "invalid_api_key"};
    case 402: return {"insufficient_quota", "insufficient_quota"};
    case 403: return {"permission_error", "permission_denied"};
    case 404: return {"invalid_request_error", "model_not_found"};
    case 409: return {"invalid_request_error", "conflict"};
    case 413: return {"invalid_request_error", "request_too_large"};
    case 429: return {"rate_limit_error", "rate_limit_exceeded"};
    case 502: return {"server_error", "upstream_error"};
    case 504: return {"server_error", "upstream_timeout"};
    default: return {status < 500 ? "invalid_request_error" : "server_error", ""};
  }
}

}  // namespace

Result<LlmRequest> parse_request(WireApi api, std::string_view body) {
  json::parse_options opts;
  opts.max_depth = 64;
  boost::system::error_code ec;
  auto v = json::parse(body, ec, {}, opts);
  if (ec) return Error::malformed("request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::malformed("request body must be a JSON object");
  LlmRequest r;
  r.api = api;
  r.body = std::move(v.as_object());
  const auto* model = r.body.if_contains("model");
  if (model == nullptr || !model->is_string() || model->as_string().empty()) {
    return Error::invalid("model", "model is required and must be a string");
  }
  r.model = std::string(model->as_string());
  if (const auto* s = r.body.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return Error::invalid("stream", "stream must be true or false");
    r.stream = s->as_bool();
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* m = r.body.if_contains(key); m && !m->is_null()) {
      if (!m->is_int64() && !m->is_uint64()) return Error::invalid(key, std::string(key) + " must be an integer");
      const auto n = m->is_int64() ? m->as_int64() : static_cast<std::int64_t>(m->as_uint64());
      r.max_output_tokens = std::max(r.max_output_tokens, n);
    }
  }
  if (api == WireApi::kAnthropicMessages && r.max_output_tokens <= 0) {
    return Error::invalid("max_tokens", "max_tokens is required");
  }
  // (r.body is an object: look up directly, a json::value copy of it would be a temporary.)
  if (const auto* so = r.body.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool()) {
      r.client_wants_usage = iu->as_bool();
    }
  }
  return r;
}

std::string upstream_body(const LlmRequest& req, std::string_view upstream_model) {
  json::object body = req.body;
  body["model"] = upstream_model;
  if (req.api == WireApi::kOpenAIChat && req.stream && !req.client_wants_usage) {
    auto& so = body["stream_options"];
    if (!so.is_object()) so = json::object{};
    so.as_object()["include_usage"] = true;
  }
  return json::serialize(body);
}

unsigned wire_status(WireApi /*api*/, ErrorCode code) {
  // The same on both APIs today; the parameter is where a difference would go.
  if (code == ErrorCode::kInvalidField) return 400;
  return static_cast<unsigned>(http::http_status(code));
}

std::string error_body(WireApi api, unsigned status, std::string_view message) {
  if (api == WireApi::kAnthropicMessages) {
    return json::serialize(json::object{
        {"type", "error"}, {"error", json::object{{"type", anthropic_error_type(status)}, {"message", message}}}});
  }
  const auto [type, code] = openai_error_type(status);
  return json::serialize(json::object{
      {"error", json::object{{"message", message},
                             {"type", type},
                             {"param", nullptr},
                             {"code", code.empty() ? json::value(nullptr) : json::value(code)}}}});
}

TokenUsage usage_from_body(WireApi api, const json::value& body) {
  if (api == WireApi::kAnthropicMessages) {
    const auto* u = path(body, {"usage"});
    if (u == nullptr) return {};
    return {int_at(*u, "input_tokens"), int_at(*u, "output_tokens"), int_at(*u, "cache_creation_input_tokens"),
            int_at(*u, "cache_read_input_tokens")};
  }
  const auto* u = openai_usage_node(body);
  return u ? openai_usage(*u) : TokenUsage{};
}

bool StreamMeter::feed(std::string_view bytes, std::string& out) {
  for (char c : bytes) {
    if (c != '\n') {
      line_ += c;
      if (line_.size() + raw_.size() > max_event_bytes_) return false;
      continue;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) {
      if (!dispatch(out)) return false;
      continue;
    }
    raw_ += line_;
    raw_ += '\n';
    if (line_.starts_with("event:")) {
      event_ = line_.substr(line_.size() > 6 && line_[6] == ' ' ? 7 : 6);
    } else if (line_.starts_with("data:")) {
      if (!data_.empty()) data_ += '\n';
      data_ += line_.substr(line_.size() > 5 && line_[5] == ' ' ? 6 : 5);
    }
    line_.clear();
  }
  return true;
}

bool StreamMeter::dispatch(std::string& out) {
  bool forward = true;
  bool ok = true;
  if (!data_.empty()) {
    if (api_ == WireApi::kOpenAIChat && data_ == "[DONE]") {
      complete_ = true;
    } else {
      boost::system::error_code ec;
      auto v = json::parse(data_, ec);
      if (ec) {
        ok = false;
      } else if (api_ == WireApi::kAnthropicMessages) {
        forward = on_anthropic(event_, v);
      } else {
        forward = on_openai(v);
      }
    }
  }
  if (ok && forward && !raw_.empty()) {
    out += raw_;
    out += '\n';
  }
  raw_.clear();
  event_.clear();
  data_.clear();
  return ok;
}

bool StreamMeter::on_anthropic(std::string_view event, const json::value& data) {
  const auto* type = path(data, {"type"});
  const std::string_view t = type && type->is_string() ? std::string_view(type->as_string()) : event;
  if (t == "message_start") {
    if (const auto* u = path(data, {"message", "usage"})) {
      usage_.input = int_at(*u, "input_tokens");
      usage_.cache_creation = int_at(*u, "cache_creation_input_tokens");
      usage_.cache_read = int_at(*u, "cache_read_input_tokens");
      usage_.output = std::max(usage_.output, int_at(*u, "output_tokens"));
      saw_usage_ = true;
    }
  } else if (t == "message_delta") {
    if (const auto* u = path(data, {"usage"})) {
      // Cumulative counts; newer API versions repeat the input figures here too.
      usage_.output = std::max(usage_.output, int_at(*u, "output_tokens"));
      usage_.input = std::max(usage_.input, int_at(*u, "input_tokens"));
      saw_usage_ = true;
    }
  } else if (t == "content_block_delta") {
    if (const auto* text = path(data, {"delta", "text"}); text && text->is_string()) text_bytes_ += text->as_string().size();
  } else if (t == "message_stop") {
    complete_ = true;
  } else if (t == "error") {
    upstream_error_ = true;
  }
  return true;
}

bool StreamMeter::on_openai(const json::value& data) {
  if (path(data, {"error"})) {
    upstream_error_ = true;
    return true;
  }
  const auto* choices = path(data, {"choices"});
  if (const auto* u = openai_usage_node(data)) {
    usage_ = openai_usage(*u);
    saw_usage_ = true;
    // The usage-only chunk exists because we asked for it; a client that did not ask never sees it.
    if (drop_usage_chunk_ && choices && choices->is_array() && choices->as_array().empty()) return false;
  }
  if (choices && choices->is_array()) {
    for (const auto& c : choices->as_array()) {
      if (const auto* text = path(c, {"delta", "content"}); text && text->is_string()) text_bytes_ += text->as_string().size();
    }
  }
  return true;
}

std::string StreamMeter::error_event(std::string_view message) const {
  if (api_ == WireApi::kAnthropicMessages) {
    return "event: error\ndata: " + error_body(api_, wire_status(api_, ErrorCode::kBadGateway), message) + "\n\n";
  }
  return "data: " + error_body(api_, wire_status(api_, ErrorCode::kBadGateway), message) + "\n\n";
}

}  // namespace winston::proxy
