#include "support/fake_upstream.hpp"

#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kBodyLimit = 8 * 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::chrono::seconds kIdleTimeout{60};
constexpr std::chrono::seconds kWriteTimeout{30};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string path_of(std::string_view target) {
  const auto q = target.find('?');
  return std::string(target.substr(0, q));
}

/// Splits text into at most `chunks` non-empty pieces on UTF-8 character
/// boundaries (one empty piece for an empty text).
std::vector<std::string> split_text(const std::string& text, int chunks) {
  const std::size_t n = chunks < 1 ? 1 : static_cast<std::size_t>(chunks);
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n && pos < text.size(); ++i) {
    std::size_t end = i + 1 == n ? text.size() : std::max(pos + 1, text.size() * (i + 1) / n);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) ++end;
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  if (pos < text.size()) out.back() += text.substr(pos);
  if (out.empty()) out.emplace_back();
  return out;
}

std::string sse_event(std::string_view event, const json::value& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
  return out;
}

std::string sse_data(const json::value& data) { return "data: " + json::serialize(data) + "\n\n"; }

struct Reply {
  unsigned status = 200;
  std::string body;               // JSON (non-streaming)
  bool stream = false;
  std::vector<std::string> events;  // complete SSE events (streaming)
  bool abort = false;             // truncated stream: close without ending the body
  std::string request_id;
  std::optional<std::string> retry_after;
  std::chrono::milliseconds first_byte_delay{0};
  std::chrono::milliseconds chunk_delay{0};
};

// ---- Anthropic -----------------------------------------------------------

std::string anthropic_error_type(unsigned status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 500: return "api_error";
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: return status < 500 ? "invalid_request_error" : "api_error";
  }
}

std::string anthropic_default_message(unsigned status) {
  switch (status) {
    case 400: return "Invalid request";
    case 401: return "invalid x-api-key";
    case 402: return "Your credit balance is too low to access the Anthropic API.";
    case 403: return "Your API key does not have permission to use the specified resource.";
    case 404: return "Not found";
    case 413: return "Request exceeds the maximum allowed number of bytes.";
    case 429: return "Number of request tokens has exceeded your per-minute rate limit";
    case 500: return "Internal server error";
    case 504: return "Request timed out";
    case 529: return "Overloaded";
    default: return "Error";
  }
}

json::object anthropic_usage(const FakeBehavior& b, std::int64_t output_tokens) {
  return json::object{{"input_tokens", b.input_tokens},
                      {"cache_creation_input_tokens", b.cache_creation_tokens},
                      {"cache_read_input_tokens", b.cache_read_tokens},
                      {"output_tokens", output_tokens}};
}

// ---- OpenAI --------------------------------------------------------------

struct OpenAIErrorKind {
  std::string type;
  json::value code;
  std::string message;
};

OpenAIErrorKind openai_error_kind(unsigned status, const std::string& model) {
  switch (status) {
    case 400: return {"invalid_request_error", nullptr, "Invalid request"};
    case 401: return {"invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-fake***. You can find your API key at https://platform.openai.com/account/api-keys."};
    case 403: return {"invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"};
    case 404: return {"invalid_request_error", "model_not_found", "The model `" + model + "` does not exist or you do not have access to it."};
    case 413: return {"invalid_request_error", "request_too_large", "Request too large"};
    case 429: return {"requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."};
    case 500: return {"server_error", nullptr, "The server had an error while processing your request. Sorry about that!"};
    case 503: return {"server_error", nullptr, "The engine is currently overloaded, please try again later."};
    default:
      if (status < 500) return {"invalid_request_error", nullptr, "Invalid request"};
      return {"server_error", nullptr, "The server had an error while processing your request."};
  }
}

json::object openai_usage(const FakeBehavior& b) {
  return json::object{
      {"prompt_tokens", b.input_tokens},
      {"completion_tokens", b.output_tokens},
      {"total_tokens", b.input_tokens + b.output_tokens},
      {"prompt_tokens_details", json::object{{"cached_tokens", b.cache_read_tokens}, {"audio_tokens", 0}}},
      {"completion_tokens_details", json::object{{"reasoning_tokens", 0},
                                                 {"audio_tokens", 0},
                                                 {"accepted_prediction_tokens", 0},
                                                 {"rejected_prediction_tokens", 0}}}};
}

json::object moonshot_usage(const FakeBehavior& b) {
  return json::object{{"prompt_tokens", b.input_tokens},
                      {"completion_tokens", b.output_tokens},
                      {"total_tokens", b.input_tokens + b.output_tokens},
                      {"cached_tokens", b.cache_read_tokens}};
}

struct Conn {
  beast::tcp_stream stream;
  net::steady_timer timer;
  explicit Conn(tcp::socket s) : stream(std::move(s)), timer(stream.get_executor()) {}
};

}  // namespace

struct FakeUpstream::Impl {
  explicit Impl(FakeFlavor f) : flavor_(f) {}

  const FakeFlavor flavor_;

  // Shared with test threads (mu_ guards the first three).
  mutable std::mutex mu_;
  FakeBehavior behavior_;
  std::size_t served_ = 0;  // completion requests since the last set_behavior
  std::vector<RecordedRequest> recorded_;
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> cancelled_{0};
  std::atomic<std::uint64_t> next_id_{0};

  std::string new_id(std::string_view prefix) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(++next_id_));
    return std::string(prefix) + "fake" + buf.data();
  }

  FakeBehavior snapshot() const {
    std::lock_guard lock(mu_);
    return behavior_;
  }

  /// The behaviour for one completion request, with fail_first applied.
  FakeBehavior take_completion() {
    std::lock_guard lock(mu_);
    FakeBehavior b = behavior_;
    const std::size_t index = served_++;
    if (b.status != 200 && b.fail_first >= 0 && index >= static_cast<std::size_t>(b.fail_first)) b.status = 200;
    if (!b.texts.empty()) b.text = b.texts[std::min(index, b.texts.size() - 1)];
    return b;
  }

  void record(const Request& req) {
    RecordedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) {
      auto name = lower(f.name_string());
      auto [it, inserted] = r.headers.emplace(name, std::string(f.value()));
      if (!inserted) it->second += ", " + std::string(f.value());
    }
    r.body = req.body();
    std::lock_guard lock(mu_);
    recorded_.push_back(std::move(r));
  }

  // ---- replies -----------------------------------------------------------

  Reply base_reply(const FakeBehavior& b) {
    Reply r;
    r.request_id = new_id("req_");
    r.first_byte_delay = b.first_byte_delay;
    r.chunk_delay = b.chunk_delay;
    return r;
  }

  Reply error_reply(unsigned status, std::string message, const FakeBehavior& b, const std::string& model = "") {
    Reply r = base_reply(b);
    r.status = status;
    if (status != 200) r.retry_after = b.retry_after;
    if (flavor_ == FakeFlavor::kAnthropic) {
      if (message.empty()) message = anthropic_default_message(status);
      json::object body{{"type", "error"},
                        {"error", json::object{{"type", anthropic_error_type(status)}, {"message", message}}},
                        {"request_id", r.request_id}};
      r.body = json::serialize(body);
    } else {
      auto kind = openai_error_kind(status, model.empty() ? "unknown" : model);
      if (!message.empty()) kind.message = std::move(message);
      json::object body{{"error", json::object{{"message", kind.message}, {"type", kind.type}, {"param", nullptr}, {"code", kind.code}}}};
      r.body = json::serialize(body);
    }
    return r;
  }

  Reply openai_plain_error(unsigned status, std::string message, json::value code, const FakeBehavior& b) {
    Reply r = base_reply(b);
    r.status = status;
    json::object body{{"error", json::object{{"message", std::move(message)}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", std::move(code)}}}};
    r.body = json::serialize(body);
    return r;
  }

  Reply build(const Request& req) {
    return flavor_ == FakeFlavor::kAnthropic ? build_anthropic(req) : build_openai(req);
  }

  Reply build_anthropic(const Request& req) {
    const FakeBehavior now = snapshot();
    const std::string path = path_of(req.target());
    const bool messages = path == "/v1/messages";
    const bool models = path == "/v1/models";
    if (!messages && !models) return error_reply(404, "Not Found", now);
    if ((messages && req.method() != http::verb::post) || (models && req.method() != http::verb::get)) {
      return error_reply(405, "Method Not Allowed", now);
    }
    if (req["x-api-key"].empty()) return error_reply(401, "x-api-key header is required", now);
    if (req["anthropic-version"].empty()) return error_reply(400, "anthropic-version: header is required", now);
    if (models) {
      Reply r = base_reply(now);
      json::array data;
      for (const auto* id : {"claude-sonnet-4-5", "claude-haiku-4-5"}) {
        data.push_back(json::object{{"type", "model"}, {"id", id}, {"display_name", id}, {"created_at", "2025-10-01T00:00:00Z"}});
      }
      r.body = json::serialize(json::object{{"data", std::move(data)}, {"has_more", false}, {"first_id", "claude-sonnet-4-5"}, {"last_id", "claude-haiku-4-5"}});
      return r;
    }
    boost::system::error_code ec;
    const auto parsed = json::parse(req.body(), ec);
    if (ec || !parsed.is_object()) return error_reply(400, "There was an error parsing the body of your request: invalid JSON", now);
    const auto& obj = parsed.as_object();
    const auto* model_v = obj.if_contains("model");
    if (!model_v || !model_v->is_string()) return error_reply(400, "model: Field required", now);
    const std::string model(model_v->as_string());
    const auto* stream_v = obj.if_contains("stream");
    const bool stream = stream_v && stream_v->is_bool() && stream_v->as_bool();

    const FakeBehavior b = take_completion();
    if (b.status != 200) return error_reply(b.status, "", b);

    Reply r = base_reply(b);
    const std::string id = new_id("msg_");
    const bool with_usage = b.usage != UsagePlacement::kNone;
    if (!stream) {
      json::object msg{{"id", id},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"model", model},
                       {"content", json::array{json::object{{"type", "text"}, {"text", b.text}}}},
                       {"stop_reason", "end_turn"},
                       {"stop_sequence", nullptr}};
      if (with_usage) msg["usage"] = anthropic_usage(b, b.output_tokens);
      r.body = json::serialize(msg);
      return r;
    }
    r.stream = true;
    json::object start_msg{{"id", id},
                           {"type", "message"},
                           {"role", "assistant"},
                           {"model", model},
                           {"content", json::array{}},
                           {"stop_reason", nullptr},
                           {"stop_sequence", nullptr}};
    if (with_usage) start_msg["usage"] = anthropic_usage(b, std::min<std::int64_t>(1, b.output_tokens));
    r.events.push_back(sse_event("message_start", json::object{{"type", "message_start"}, {"message", std::move(start_msg)}}));
    r.events.push_back(sse_event("content_block_start",
                                 json::object{{"type", "content_block_start"},
                                              {"index", 0},
                                              {"content_block", json::object{{"type", "text"}, {"text", ""}}}}));
    r.events.push_back(sse_event("ping", json::object{{"type", "ping"}}));
    const auto pieces = split_text(b.text, b.chunks);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      r.events.push_back(sse_event("content_block_delta",
                                   json::object{{"type", "content_block_delta"},
                                                {"index", 0},
                                                {"delta", json::object{{"type", "text_delta"}, {"text", pieces[i]}}}}));
      if (i != 0) continue;
      if (b.malformed_stream) {
        r.events.push_back("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_de\n\n");
      }
      if (b.truncate_stream) {
        r.abort = true;
        return r;
      }
      if (b.midstream_error) {
        r.events.push_back(sse_event("error", json::object{{"type", "error"},
                                                             {"error", json::object{{"type", "overloaded_error"}, {"message", "Overloaded"}}}}));
        return r;
      }
    }
    r.events.push_back(sse_event("content_block_stop", json::object{{"type", "content_block_stop"}, {"index", 0}}));
    json::object delta{{"type", "message_delta"}, {"delta", json::object{{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}}};
    if (with_usage) delta["usage"] = json::object{{"output_tokens", b.output_tokens}};
    r.events.push_back(sse_event("message_delta", delta));
    r.events.push_back(sse_event("message_stop", json::object{{"type", "message_stop"}}));
    return r;
  }

  Reply build_openai(const Request& req) {
    const FakeBehavior now = snapshot();
    const std::string path = path_of(req.target());
    const bool chat = path == "/v1/chat/completions" && req.method() == http::verb::post;
    const bool models = path == "/v1/models" && req.method() == http::verb::get;
    if (!chat && !models) {
      return openai_plain_error(404, "Invalid URL (" + std::string(req.method_string()) + " " + path + ")", nullptr, now);
    }
    const std::string_view auth = req[http::field::authorization];
    const bool bearer = auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer " &&
                        auth.find_first_not_of(' ', 7) != std::string_view::npos;
    if (!bearer) {
      return openai_plain_error(401,
                                "You didn't provide an API key. You need to provide your API key in an Authorization "
                                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                                nullptr, now);
    }
    if (models) {
      Reply r = base_reply(now);
      json::array data;
      for (const auto* id : {"gpt-4o-mini", "kimi-k2-turbo-preview"}) {
        data.push_back(json::object{{"id", id}, {"object", "model"}, {"created", 1700000000}, {"owned_by", "system"}});
      }
      r.body = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
      return r;
    }
    boost::system::error_code ec;
    const auto parsed = json::parse(req.body(), ec);
    if (ec || !parsed.is_object()) {
      return openai_plain_error(400,
                                "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                                "using your HTTP library correctly.)",
                                nullptr, now);
    }
    const auto& obj = parsed.as_object();
    const auto* model_v = obj.if_contains("model");
    if (!model_v || !model_v->is_string()) return openai_plain_error(400, "you must provide a model parameter", nullptr, now);
    const std::string model(model_v->as_string());
    const auto* stream_v = obj.if_contains("stream");
    const bool stream = stream_v && stream_v->is_bool() && stream_v->as_bool();
    bool include_usage = false;
    if (const auto* so = obj.if_contains("stream_options"); so && so->is_object()) {
      const auto* iu = so->as_object().if_contains("include_usage");
      include_usage = iu && iu->is_bool() && iu->as_bool();
    }

    const FakeBehavior b = take_completion();
    if (b.status != 200) return error_reply(b.status, "", b, model);

    Reply r = base_reply(b);
    const std::string id = new_id("chatcmpl-");
    const auto created = static_cast<std::int64_t>(std::time(nullptr));
    if (!stream) {
      json::object msg{{"id", id},
                       {"object", "chat.completion"},
                       {"created", created},
                       {"model", model},
                       {"choices", json::array{json::object{
                                       {"index", 0},
                                       {"message", json::object{{"role", "assistant"}, {"content", b.text}, {"refusal", nullptr}}},
                                       {"logprobs", nullptr},
                                       {"finish_reason", "stop"}}}},
                       {"system_fingerprint", "fp_fake"}};
      if (b.usage != UsagePlacement::kNone) msg["usage"] = openai_usage(b);
      r.body = json::serialize(msg);
      return r;
    }
    r.stream = true;
    const bool usage_chunk = include_usage && b.usage == UsagePlacement::kStandard;
    auto chunk = [&](json::object delta, json::value finish) {
      json::object c{{"id", id},
                     {"object", "chat.completion.chunk"},
                     {"created", created},
                     {"model", model},
                     {"system_fingerprint", "fp_fake"},
                     {"choices", json::array{json::object{{"index", 0},
                                                          {"delta", std::move(delta)},
                                                          {"logprobs", nullptr},
                                                          {"finish_reason", std::move(finish)}}}}};
      if (usage_chunk) c["usage"] = nullptr;
      return c;
    };
    r.events.push_back(sse_data(chunk(json::object{{"role", "assistant"}, {"content", ""}}, nullptr)));
    const auto pieces = split_text(b.text, b.chunks);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      r.events.push_back(sse_data(chunk(json::object{{"content", pieces[i]}}, nullptr)));
      if (i != 0) continue;
      if (b.malformed_stream) {
        r.events.push_back("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"cont\n\n");
      }
      if (b.truncate_stream) {
        r.abort = true;
        return r;
      }
      if (b.midstream_error) {
        r.events.push_back(sse_data(json::object{{"error", json::object{{"message", "The server had an error while processing your request."},
                                                                        {"type", "server_error"},
                                                                        {"param", nullptr},
                                                                        {"code", nullptr}}}}));
        return r;
      }
    }
    auto last = chunk(json::object{}, "stop");
    if (b.usage == UsagePlacement::kInChoice) last["choices"].as_array()[0].as_object()["usage"] = moonshot_usage(b);
    r.events.push_back(sse_data(last));
    if (usage_chunk) {
      json::object u{{"id", id},
                     {"object", "chat.completion.chunk"},
                     {"created", created},
                     {"model", model},
                     {"system_fingerprint", "fp_fake"},
                     {"choices", json::array{}},
                     {"usage", openai_usage(b)}};
      r.events.push_back(sse_data(u));
    }
    r.events.emplace_back("data: [DONE]\n\n");
    return r;
  }

  // ---- I/O ---------------------------------------------------------------

  /// Waits `d`, watching the connection: false if the client went away (or
  /// the fake is stopping) meanwhile.
  net::awaitable<bool> pause(Conn& c, std::chrono::milliseconds d) {
    using namespace net::experimental::awaitable_operators;
    if (d.count() <= 0) co_return !loop_.stopping();
    const auto deadline = std::chrono::steady_clock::now() + d;
    bool watch = true;
    while (!loop_.stopping()) {
      c.timer.expires_at(deadline);
      if (!watch) {
        co_await c.timer.async_wait(kTuple);
        co_return !loop_.stopping();
      }
      auto which = co_await (c.timer.async_wait(kTuple) || c.stream.socket().async_wait(tcp::socket::wait_read, kTuple));
      if (which.index() == 0) co_return !loop_.stopping();
      boost::system::error_code ec;
      const auto available = c.stream.socket().available(ec);
      if (ec || available == 0) co_return false;  // readable with nothing to read: EOF or reset
      watch = false;  // a pipelined request is waiting; stop watching and finish the delay
    }
    co_return false;
  }

  template <class Response>
  void set_common_headers(Response& res, const Reply& r, bool keep_alive) {
    res.set(http::field::server, "winston-fake-upstream");
    res.set(flavor_ == FakeFlavor::kAnthropic ? "request-id" : "x-request-id", r.request_id);
    if (r.retry_after) res.set(http::field::retry_after, *r.retry_after);
    res.keep_alive(keep_alive);
  }

  /// Writes one reply; true if the connection may serve another request.
  net::awaitable<bool> respond(Conn& c, Reply& r, bool keep_alive, unsigned version) {
    if (!co_await pause(c, r.first_byte_delay)) {
      if (r.stream && !loop_.stopping()) ++cancelled_;
      co_return false;
    }
    if (!r.stream) {
      http::response<http::string_body> res;
      res.version(version == 10 ? 10 : 11);
      res.result(r.status);
      if (r.status == 529) res.reason("Site Overloaded");
      res.set(http::field::content_type, "application/json");
      set_common_headers(res, r, keep_alive);
      res.body() = std::move(r.body);
      res.prepare_payload();
      c.stream.expires_after(kWriteTimeout);
      auto [ec, n] = co_await http::async_write(c.stream, res, kTuple);
      co_return !ec && keep_alive;
    }

    const bool chunked = version >= 11;
    if (!chunked) keep_alive = false;  // HTTP/1.0: the body ends at close
    http::response<http::empty_body> res{http::status::ok, version == 10 ? 10U : 11U};
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    set_common_headers(res, r, keep_alive);
    if (chunked) res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    c.stream.expires_after(kWriteTimeout);
    auto [hec, hn] = co_await http::async_write_header(c.stream, sr, kTuple);
    auto gone = [&] {
      if (!loop_.stopping()) ++cancelled_;
      return false;
    };
    if (hec) co_return gone();
    for (std::size_t i = 0; i < r.events.size(); ++i) {
      if (i > 0 && !co_await pause(c, r.chunk_delay)) co_return gone();
      c.stream.expires_after(kWriteTimeout);
      boost::system::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) = co_await net::async_write(c.stream, http::make_chunk(net::const_buffer(r.events[i].data(), r.events[i].size())), kTuple);
      } else {
        std::tie(ec, std::ignore) = co_await net::async_write(c.stream, net::buffer(r.events[i]), kTuple);
      }
      if (ec) co_return gone();
    }
    if (r.abort) co_return false;  // truncated: the connection closes mid-body
    if (chunked) {
      c.stream.expires_after(kWriteTimeout);
      auto [lec, ln] = co_await net::async_write(c.stream, http::make_chunk_last(), kTuple);
      if (lec) co_return gone();
    }
    co_return keep_alive;
  }

  // Closing with unread request bytes would RST away the error response:
  // half-close and discard what the client still sends, bounded.
  net::awaitable<void> linger(Conn& c) {
    boost::system::error_code ec;
    c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c.stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16384> sink{};
    std::size_t drained = 0;
    while (drained < 2 * kBodyLimit && !loop_.stopping()) {
      auto [rec, n] = co_await c.stream.async_read_some(net::buffer(sink), kTuple);
      if (rec) break;
      drained += n;
    }
  }

  net::awaitable<void> session(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small SSE writes go out at once
    Conn conn(std::move(socket));
    ++open_;
    struct Exit {
      std::atomic<std::size_t>& open;
      ~Exit() { --open; }
    } exit_guard{open_};
    FakeServerLoop::TrackedStream tracked_stream(loop_, conn.stream);
    FakeServerLoop::TrackedTimer tracked_timer(loop_, conn.timer);

    try {
      beast::flat_buffer buffer;
      while (!loop_.stopping()) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(kBodyLimit);
        parser.header_limit(kHeaderLimit);
        conn.stream.expires_after(kIdleTimeout);
        auto [ec, n] = co_await http::async_read(conn.stream, buffer, parser, kTuple);
        if (ec == http::error::body_limit) {
          record(parser.get());
          Reply r = error_reply(413, "", snapshot());
          r.first_byte_delay = {};
          co_await respond(conn, r, false, parser.get().version());
          co_await linger(conn);
          break;
        }
        if (ec) break;
        const Request& req = parser.get();
        record(req);
        Reply reply = build(req);
        const bool keep_alive = req.keep_alive() && !loop_.stopping();
        if (!co_await respond(conn, reply, keep_alive, req.version())) break;
      }
    } catch (const std::exception&) {
      // A bug in the fake: drop the connection rather than the process.
    }
  }

  // Last: serves the state above and stops before it is destroyed.
  FakeServerLoop loop_{"127.0.0.1", [this](tcp::socket socket) { return session(std::move(socket)); }};
};

FakeUpstream::FakeUpstream(FakeFlavor flavor) : impl_(std::make_unique<Impl>(flavor)) {}

FakeUpstream::~FakeUpstream() = default;

std::uint16_t FakeUpstream::port() const { return impl_->loop_.port(); }

std::string FakeUpstream::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->loop_.port()); }

void FakeUpstream::set_behavior(FakeBehavior b) {
  std::lock_guard lock(impl_->mu_);
  impl_->behavior_ = std::move(b);
  impl_->served_ = 0;
}

FakeBehavior FakeUpstream::behavior() const { return impl_->snapshot(); }

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->recorded_;
}

std::size_t FakeUpstream::request_count() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->recorded_.size();
}

std::size_t FakeUpstream::open_connections() const { return impl_->open_.load(); }

std::size_t FakeUpstream::cancelled_streams() const { return impl_->cancelled_.load(); }

std::vector<SseEvent> parse_sse(std::string_view body) {
  std::vector<SseEvent> out;
  SseEvent cur;
  bool has_data = false;
  bool any = false;
  auto flush = [&] {
    if (any) {
      out.push_back(std::move(cur));
      cur = {};
    }
    has_data = any = false;
  };
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto eol = body.find('\n', pos);
    const bool last = eol == std::string_view::npos;
    std::string_view line = body.substr(pos, last ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
    } else if (line.front() != ':') {
      const auto colon = line.find(':');
      const std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "event") {
        cur.event = std::string(value);
        any = true;
      } else if (field == "data") {
        if (has_data) cur.data += '\n';
        cur.data += value;
        has_data = any = true;
      }
    }
    if (last) break;
    pos = eol + 1;
  }
  flush();
  return out;
}

}  // namespace winston::testing
