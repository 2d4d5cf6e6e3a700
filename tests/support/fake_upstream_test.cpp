// Tests of the fake LLM upstreams themselves, through a plain Beast client:
// the proxy's tests trust these fakes to speak the real wire formats.

#include "support/fake_upstream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "support/http_client.hpp"
#include "support/wait.hpp"

namespace winston::testing {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using Headers = std::map<std::string, std::string>;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

Headers anthropic_headers() { return {{"x-api-key", "sk-ant-test"}, {"anthropic-version", "2023-06-01"}}; }
Headers openai_headers() { return {{"Authorization", "Bearer sk-test"}}; }

const std::string kAnthropicBody = R"({"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]})";
const std::string kAnthropicStreamBody =
    R"({"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})";
const std::string kOpenAIBody = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
const std::string kOpenAIStreamBody = R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})";
const std::string kOpenAIStreamUsageBody =
    R"({"model":"kimi-k2-turbo-preview","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})";

/// One request on a fresh connection, read with Beast's parser. `complete` is
/// false when the body ended early (a truncated stream).
struct Exchange {
  unsigned status = 0;
  Headers headers;  // lowercase names
  std::string body;
  bool complete = false;
};

Exchange exchange(std::uint16_t port, http::verb verb, const std::string& target, const std::string& body,
                  const Headers& headers) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.expires_after(30s);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  Exchange e;
  e.complete = !ec && parser.is_done();
  if (parser.is_header_done()) {
    e.status = parser.get().result_int();
    for (const auto& f : parser.get()) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      e.headers[name] = std::string(f.value());
    }
  }
  e.body = parser.get().body();
  return e;
}

Exchange post(std::uint16_t port, const std::string& target, const std::string& body, const Headers& headers) {
  return exchange(port, http::verb::post, target, body, headers);
}

std::vector<std::string> event_names(const std::vector<SseEvent>& events) {
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e.event);
  return names;
}

std::string str(const json::value& v) {
  const auto& s = v.as_string();
  return std::string(s.data(), s.size());
}

bool parses(const std::string& text) {
  boost::system::error_code ec;
  json::parse(text, ec);
  return !ec;
}

/// OpenAI stream: the JSON chunks (without the [DONE] sentinel).
std::vector<json::object> openai_chunks(const std::vector<SseEvent>& events) {
  std::vector<json::object> out;
  for (const auto& e : events) {
    if (e.data != "[DONE]") out.push_back(json::parse(e.data).as_object());
  }
  return out;
}

/// A raw streaming request: writes it, reads until `needle` shows up, then
/// closes the socket (a client going away mid-stream).
void read_until_then_close(std::uint16_t port, const std::string& request, const std::string& needle) {
  net::io_context ioc;
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(sock, net::buffer(request));
  std::string seen;
  std::array<char, 4096> buf{};
  beast::error_code ec;
  while (seen.find(needle) == std::string::npos) {
    const auto n = sock.read_some(net::buffer(buf), ec);
    if (ec) break;
    seen.append(buf.data(), n);
  }
  ASSERT_NE(seen.find(needle), std::string::npos) << seen;
  sock.close();
}

std::string raw_request(const std::string& target, const std::string& body, const Headers& headers) {
  std::string out = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

// ---- Anthropic -----------------------------------------------------------

TEST(FakeUpstreamAnthropic, NonStreamingMessageShapeAndUsage) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.text = "Hi there";
  b.input_tokens = 100;
  b.output_tokens = 20;
  b.cache_creation_tokens = 30;
  b.cache_read_tokens = 40;
  fake.set_behavior(b);
  EXPECT_EQ(fake.base_url(), "http://127.0.0.1:" + std::to_string(fake.port()));

  const auto r = post(fake.port(), "/v1/messages", kAnthropicBody, anthropic_headers());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.headers.at("request-id").rfind("req_", 0), 0u);
  const auto v = json::parse(r.body);
  EXPECT_EQ(v.at("type"), "message");
  EXPECT_EQ(v.at("role"), "assistant");
  EXPECT_EQ(v.at("model"), "claude-sonnet-4-5");
  EXPECT_EQ(str(v.at("id")).substr(0, 4), "msg_");
  EXPECT_EQ(v.at("content").at(0).at("type"), "text");
  EXPECT_EQ(v.at("content").at(0).at("text"), "Hi there");
  EXPECT_EQ(v.at("stop_reason"), "end_turn");
  EXPECT_TRUE(v.at("stop_sequence").is_null());
  const auto& u = v.at("usage");
  EXPECT_EQ(u.at("input_tokens"), 100);
  EXPECT_EQ(u.at("output_tokens"), 20);
  EXPECT_EQ(u.at("cache_creation_input_tokens"), 30);
  EXPECT_EQ(u.at("cache_read_input_tokens"), 40);

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v1/messages");
  EXPECT_EQ(reqs[0].headers.at("x-api-key"), "sk-ant-test");
  EXPECT_EQ(reqs[0].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(reqs[0].body, kAnthropicBody);
}

TEST(FakeUpstreamAnthropic, StreamingEventSequenceAndUsage) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.text = "abcdefgh";
  b.chunks = 4;
  b.input_tokens = 50;
  b.output_tokens = 9;
  b.cache_creation_tokens = 5;
  b.cache_read_tokens = 6;
  fake.set_behavior(b);

  const auto r = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.headers.at("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.headers.at("transfer-encoding"), "chunked");
  const auto events = parse_sse(r.body);
  const std::vector<std::string> expected{"message_start",       "content_block_start", "ping",
                                          "content_block_delta", "content_block_delta", "content_block_delta",
                                          "content_block_delta", "content_block_stop",  "message_delta",
                                          "message_stop"};
  ASSERT_EQ(event_names(events), expected);
  std::string text;
  for (const auto& e : events) {
    const auto v = json::parse(e.data);
    EXPECT_EQ(v.at("type"), e.event.c_str());  // every data.type names its event
    if (e.event == "content_block_delta") {
      EXPECT_EQ(v.at("delta").at("type"), "text_delta");
      text += str(v.at("delta").at("text"));
    }
  }
  EXPECT_EQ(text, "abcdefgh");
  const auto start = json::parse(events[0].data).at("message");
  EXPECT_EQ(start.at("model"), "claude-sonnet-4-5");
  EXPECT_TRUE(start.at("content").as_array().empty());
  EXPECT_EQ(start.at("usage").at("input_tokens"), 50);
  EXPECT_EQ(start.at("usage").at("cache_creation_input_tokens"), 5);
  EXPECT_EQ(start.at("usage").at("cache_read_input_tokens"), 6);
  EXPECT_EQ(start.at("usage").at("output_tokens"), 1);  // the final count comes in message_delta
  const auto delta = json::parse(events[8].data);
  EXPECT_EQ(delta.at("delta").at("stop_reason"), "end_turn");
  EXPECT_EQ(delta.at("usage").at("output_tokens"), 9);
}

TEST(FakeUpstreamAnthropic, UsageNoneOmitsUsageEverywhere) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.usage = UsagePlacement::kNone;
  fake.set_behavior(b);
  const auto plain = post(fake.port(), "/v1/messages", kAnthropicBody, anthropic_headers());
  ASSERT_EQ(plain.status, 200u);
  EXPECT_FALSE(json::parse(plain.body).as_object().contains("usage"));
  const auto streamed = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  ASSERT_EQ(streamed.status, 200u);
  EXPECT_EQ(streamed.body.find("usage"), std::string::npos) << streamed.body;
  EXPECT_EQ(parse_sse(streamed.body).back().event, "message_stop");
}

TEST(FakeUpstreamAnthropic, RequiresApiKeyAndVersionHeaders) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  const auto no_key = post(fake.port(), "/v1/messages", kAnthropicBody, {{"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(no_key.status, 401u);
  const auto v1 = json::parse(no_key.body);
  EXPECT_EQ(v1.at("type"), "error");
  EXPECT_EQ(v1.at("error").at("type"), "authentication_error");
  EXPECT_FALSE(v1.at("error").at("message").as_string().empty());

  const auto no_version = post(fake.port(), "/v1/messages", kAnthropicBody, {{"x-api-key", "k"}});
  EXPECT_EQ(no_version.status, 400u);
  EXPECT_EQ(json::parse(no_version.body).at("error").at("type"), "invalid_request_error");

  const auto bad_json = post(fake.port(), "/v1/messages", "{not json", anthropic_headers());
  EXPECT_EQ(bad_json.status, 400u);
  const auto no_model = post(fake.port(), "/v1/messages", R"({"max_tokens":5})", anthropic_headers());
  EXPECT_EQ(no_model.status, 400u);
  EXPECT_EQ(fake.request_count(), 4u);  // rejected requests are recorded too
}

TEST(FakeUpstreamAnthropic, ErrorStatusesUseDocumentedTypes) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  const std::vector<std::pair<unsigned, std::string>> cases{
      {400, "invalid_request_error"}, {401, "authentication_error"}, {403, "permission_error"},
      {404, "not_found_error"},       {413, "request_too_large"},    {429, "rate_limit_error"},
      {500, "api_error"},             {529, "overloaded_error"}};
  for (const auto& [status, type] : cases) {
    FakeBehavior b;
    b.status = status;
    b.retry_after = "7";
    fake.set_behavior(b);
    for (const auto* body : {&kAnthropicBody, &kAnthropicStreamBody}) {  // errors come before any stream
      const auto r = post(fake.port(), "/v1/messages", *body, anthropic_headers());
      EXPECT_EQ(r.status, status);
      EXPECT_EQ(r.headers.at("content-type"), "application/json");
      EXPECT_EQ(r.headers.at("retry-after"), "7");
      const auto v = json::parse(r.body);
      EXPECT_EQ(v.at("type"), "error") << status;
      EXPECT_EQ(v.at("error").at("type"), type.c_str()) << status;
      EXPECT_TRUE(v.at("error").at("message").is_string());
      EXPECT_EQ(v.at("request_id"), r.headers.at("request-id").c_str());
    }
  }
}

TEST(FakeUpstreamAnthropic, MidstreamErrorEventEndsTheStream) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.midstream_error = true;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(r.complete);
  const auto events = parse_sse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  const auto v = json::parse(events.back().data);
  EXPECT_EQ(v.at("type"), "error");
  EXPECT_EQ(v.at("error").at("type"), "overloaded_error");
  const auto names = event_names(events);
  EXPECT_EQ(std::count(names.begin(), names.end(), "content_block_delta"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "message_stop"), 0);
}

TEST(FakeUpstreamAnthropic, TruncatedStreamStopsAfterFirstDelta) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.truncate_stream = true;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.complete);  // no terminating chunk: the connection just closed
  const auto names = event_names(parse_sse(r.body));
  EXPECT_EQ(names.back(), "content_block_delta");
  EXPECT_EQ(std::count(names.begin(), names.end(), "content_block_delta"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "message_delta"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "message_stop"), 0);
  EXPECT_EQ(fake.cancelled_streams(), 0u);  // the fake's own choice, not a client leaving
}

TEST(FakeUpstreamAnthropic, MalformedStreamHasOneUnparseableDataLine) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.malformed_stream = true;
  b.text = "one two three";
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  ASSERT_EQ(r.status, 200u);
  const auto events = parse_sse(r.body);
  const auto bad = std::count_if(events.begin(), events.end(), [](const SseEvent& e) { return !parses(e.data); });
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(events.back().event, "message_stop");  // the rest of the stream is intact
  std::string text;
  for (const auto& e : events) {
    if (e.event == "content_block_delta" && parses(e.data)) text += str(json::parse(e.data).at("delta").at("text"));
  }
  EXPECT_EQ(text, "one two three");
}

TEST(FakeUpstreamAnthropic, ModelsListAndUnknownRoute) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  const auto models = exchange(fake.port(), http::verb::get, "/v1/models", "", anthropic_headers());
  ASSERT_EQ(models.status, 200u);
  const auto v = json::parse(models.body);
  EXPECT_FALSE(v.at("data").as_array().empty());
  EXPECT_EQ(v.at("data").at(0).at("type"), "model");
  EXPECT_EQ(v.at("has_more"), false);
  const auto missing = post(fake.port(), "/v1/complete", kAnthropicBody, anthropic_headers());
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(json::parse(missing.body).at("error").at("type"), "not_found_error");
}

TEST(FakeUpstreamAnthropic, StreamSplitsMultibyteTextOnCharacterBoundaries) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.text = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac";  // "héllo wörld €"
  b.chunks = 7;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers());
  ASSERT_EQ(r.status, 200u);
  std::string text;
  int deltas = 0;
  for (const auto& e : parse_sse(r.body)) {
    ASSERT_TRUE(parses(e.data)) << e.data;  // Boost.JSON rejects invalid UTF-8
    if (e.event == "content_block_delta") {
      ++deltas;
      text += str(json::parse(e.data).at("delta").at("text"));
    }
  }
  EXPECT_EQ(deltas, 7);
  EXPECT_EQ(text, b.text);
}

// ---- OpenAI / Moonshot ---------------------------------------------------

TEST(FakeUpstreamOpenAI, NonStreamingCompletionShapeAndUsage) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.text = "Hello!";
  b.input_tokens = 80;
  b.output_tokens = 11;
  b.cache_read_tokens = 64;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/chat/completions", kOpenAIBody, openai_headers());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_FALSE(r.headers.at("x-request-id").empty());
  const auto v = json::parse(r.body);
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("model"), "gpt-4o-mini");
  EXPECT_EQ(str(v.at("id")).substr(0, 9), "chatcmpl-");
  EXPECT_TRUE(v.at("created").is_int64());
  EXPECT_EQ(v.at("choices").at(0).at("message").at("role"), "assistant");
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), "Hello!");
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), "stop");
  const auto& u = v.at("usage");
  EXPECT_EQ(u.at("prompt_tokens"), 80);
  EXPECT_EQ(u.at("completion_tokens"), 11);
  EXPECT_EQ(u.at("total_tokens"), 91);
  EXPECT_EQ(u.at("prompt_tokens_details").at("cached_tokens"), 64);
  EXPECT_EQ(fake.requests().at(0).headers.at("authorization"), "Bearer sk-test");
}

TEST(FakeUpstreamOpenAI, StreamingWithoutIncludeUsageHasNoUsage) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.text = "streamed words";
  b.chunks = 3;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/chat/completions", kOpenAIStreamBody, openai_headers());
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.headers.at("content-type"), "text/event-stream; charset=utf-8");
  const auto events = parse_sse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().data, "[DONE]");
  for (const auto& e : events) EXPECT_TRUE(e.event.empty());  // data-only lines
  const auto chunks = openai_chunks(events);
  ASSERT_EQ(chunks.size(), 5u);  // role, 3 deltas, finish
  EXPECT_EQ(chunks.front().at("choices").at(0).at("delta").at("role"), "assistant");
  std::string text;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.at("object"), "chat.completion.chunk");
    EXPECT_EQ(c.at("model"), "gpt-4o-mini");
    EXPECT_FALSE(c.contains("usage"));
    const auto& delta = c.at("choices").at(0).at("delta").as_object();
    if (const auto* content = delta.if_contains("content")) text += str(*content);
  }
  EXPECT_EQ(text, "streamed words");
  EXPECT_EQ(chunks.back().at("choices").at(0).at("finish_reason"), "stop");
}

TEST(FakeUpstreamOpenAI, IncludeUsageAddsFinalUsageChunkWithEmptyChoices) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.input_tokens = 30;
  b.output_tokens = 4;
  b.cache_read_tokens = 10;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/chat/completions", kOpenAIStreamUsageBody, openai_headers());
  ASSERT_EQ(r.status, 200u);
  const auto events = parse_sse(r.body);
  ASSERT_EQ(events.back().data, "[DONE]");
  const auto chunks = openai_chunks(events);
  ASSERT_GE(chunks.size(), 2u);
  const auto& last = chunks.back();
  EXPECT_TRUE(last.at("choices").as_array().empty());
  EXPECT_EQ(last.at("usage").at("prompt_tokens"), 30);
  EXPECT_EQ(last.at("usage").at("completion_tokens"), 4);
  EXPECT_EQ(last.at("usage").at("total_tokens"), 34);
  EXPECT_EQ(last.at("usage").at("prompt_tokens_details").at("cached_tokens"), 10);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_TRUE(chunks[i].at("usage").is_null()) << i;  // present but null, as OpenAI does
    EXPECT_EQ(chunks[i].at("choices").as_array().size(), 1u);
  }
  EXPECT_EQ(chunks[chunks.size() - 2].at("choices").at(0).at("finish_reason"), "stop");
}

TEST(FakeUpstreamOpenAI, MoonshotPlacementPutsUsageInFinalChoice) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.usage = UsagePlacement::kInChoice;
  b.input_tokens = 21;
  b.output_tokens = 8;
  b.cache_read_tokens = 16;
  fake.set_behavior(b);
  for (const auto* body : {&kOpenAIStreamBody, &kOpenAIStreamUsageBody}) {  // regardless of include_usage
    const auto r = post(fake.port(), "/v1/chat/completions", *body, openai_headers());
    ASSERT_EQ(r.status, 200u);
    const auto chunks = openai_chunks(parse_sse(r.body));
    ASSERT_FALSE(chunks.empty());
    const auto& last = chunks.back();
    ASSERT_EQ(last.at("choices").as_array().size(), 1u);  // no empty-choices usage chunk
    const auto& choice = last.at("choices").at(0);
    EXPECT_EQ(choice.at("finish_reason"), "stop");
    EXPECT_EQ(choice.at("usage").at("prompt_tokens"), 21);
    EXPECT_EQ(choice.at("usage").at("completion_tokens"), 8);
    EXPECT_EQ(choice.at("usage").at("total_tokens"), 29);
    EXPECT_EQ(choice.at("usage").at("cached_tokens"), 16);
    for (const auto& c : chunks) EXPECT_FALSE(c.contains("usage"));
  }
}

TEST(FakeUpstreamOpenAI, UsageNoneEvenWhenRequested) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.usage = UsagePlacement::kNone;
  fake.set_behavior(b);
  const auto streamed = post(fake.port(), "/v1/chat/completions", kOpenAIStreamUsageBody, openai_headers());
  ASSERT_EQ(streamed.status, 200u);
  EXPECT_EQ(streamed.body.find("usage"), std::string::npos) << streamed.body;
  EXPECT_EQ(parse_sse(streamed.body).back().data, "[DONE]");
  const auto plain = post(fake.port(), "/v1/chat/completions", kOpenAIBody, openai_headers());
  ASSERT_EQ(plain.status, 200u);
  EXPECT_FALSE(json::parse(plain.body).as_object().contains("usage"));
}

TEST(FakeUpstreamOpenAI, RequiresBearerToken) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  for (const auto& headers : {Headers{}, Headers{{"Authorization", "Basic abc"}}, Headers{{"Authorization", "Bearer "}}}) {
    const auto r = post(fake.port(), "/v1/chat/completions", kOpenAIBody, headers);
    EXPECT_EQ(r.status, 401u);
    const auto e = json::parse(r.body).at("error");
    EXPECT_TRUE(e.at("message").is_string());
    EXPECT_EQ(e.at("type"), "invalid_request_error");
    EXPECT_TRUE(e.at("param").is_null());
    EXPECT_TRUE(e.as_object().contains("code"));
  }
  const auto no_model = post(fake.port(), "/v1/chat/completions", R"({"messages":[]})", openai_headers());
  EXPECT_EQ(no_model.status, 400u);
  const auto models = exchange(fake.port(), http::verb::get, "/v1/models", "", openai_headers());
  ASSERT_EQ(models.status, 200u);
  EXPECT_EQ(json::parse(models.body).at("object"), "list");
  const auto missing = post(fake.port(), "/v1/completions", kOpenAIBody, openai_headers());
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(json::parse(missing.body).at("error").at("type"), "invalid_request_error");
}

TEST(FakeUpstreamOpenAI, ErrorBodiesAndRetryAfter) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.status = 429;
  b.retry_after = "2";
  fake.set_behavior(b);
  const auto limited = post(fake.port(), "/v1/chat/completions", kOpenAIStreamBody, openai_headers());
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.headers.at("retry-after"), "2");
  EXPECT_EQ(limited.headers.at("content-type"), "application/json");
  const auto e = json::parse(limited.body).at("error");
  EXPECT_EQ(e.at("type"), "requests");
  EXPECT_EQ(e.at("code"), "rate_limit_exceeded");
  EXPECT_TRUE(e.at("param").is_null());
  EXPECT_FALSE(e.at("message").as_string().empty());

  b.status = 500;
  b.retry_after.reset();
  fake.set_behavior(b);
  const auto broken = post(fake.port(), "/v1/chat/completions", kOpenAIBody, openai_headers());
  EXPECT_EQ(broken.status, 500u);
  EXPECT_FALSE(broken.headers.contains("retry-after"));
  EXPECT_EQ(json::parse(broken.body).at("error").at("type"), "server_error");
  b.status = 401;
  fake.set_behavior(b);
  EXPECT_EQ(json::parse(post(fake.port(), "/v1/chat/completions", kOpenAIBody, openai_headers()).body)
                .at("error")
                .at("code"),
            "invalid_api_key");
}

TEST(FakeUpstreamOpenAI, TruncatedStreamHasNoDoneOrUsage) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.truncate_stream = true;
  fake.set_behavior(b);
  const auto r = post(fake.port(), "/v1/chat/completions", kOpenAIStreamUsageBody, openai_headers());
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.complete);
  const auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 2u);  // the role chunk and the first delta
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(r.body.find("\"prompt_tokens\""), std::string::npos);
}

TEST(FakeUpstreamOpenAI, MalformedAndMidstreamError) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.malformed_stream = true;
  fake.set_behavior(b);
  const auto malformed = parse_sse(post(fake.port(), "/v1/chat/completions", kOpenAIStreamBody, openai_headers()).body);
  EXPECT_EQ(std::count_if(malformed.begin(), malformed.end(), [](const SseEvent& e) { return !parses(e.data); }), 2);  // the bad line and [DONE]
  EXPECT_EQ(malformed.back().data, "[DONE]");

  b = {};
  b.midstream_error = true;
  fake.set_behavior(b);
  const auto errored = parse_sse(post(fake.port(), "/v1/chat/completions", kOpenAIStreamBody, openai_headers()).body);
  ASSERT_FALSE(errored.empty());
  EXPECT_EQ(json::parse(errored.back().data).at("error").at("type"), "server_error");
}

// ---- Shared behaviour ----------------------------------------------------

TEST(FakeUpstream, FailFirstFailsThenSucceedsAndResetsOnSetBehavior) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.status = 529;
  b.fail_first = 2;
  fake.set_behavior(b);
  std::vector<unsigned> statuses;
  for (int i = 0; i < 4; ++i) statuses.push_back(post(fake.port(), "/v1/messages", kAnthropicBody, anthropic_headers()).status);
  EXPECT_EQ(statuses, (std::vector<unsigned>{529, 529, 200, 200}));

  b.status = 500;
  b.fail_first = 1;
  fake.set_behavior(b);  // the count starts again
  EXPECT_EQ(post(fake.port(), "/v1/messages", kAnthropicBody, anthropic_headers()).status, 500u);
  EXPECT_EQ(post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers()).status, 200u);
  EXPECT_EQ(fake.request_count(), 6u);
}

TEST(FakeUpstream, StatusWithoutFailFirstAppliesToEveryRequest) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.status = 503;
  fake.set_behavior(b);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(post(fake.port(), "/v1/chat/completions", kOpenAIBody, openai_headers()).status, 503u);
  }
}

TEST(FakeUpstream, KeepAliveAcrossJsonAndStreamedResponses) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  HttpClient client(fake.port(), "sk-test");
  const auto first = client.post("/v1/chat/completions", kOpenAIBody);
  const auto streamed = client.post("/v1/chat/completions", kOpenAIStreamUsageBody);
  const auto third = client.post("/v1/chat/completions", kOpenAIBody);
  EXPECT_EQ(first.status, 200u);
  EXPECT_EQ(streamed.status, 200u);
  EXPECT_EQ(parse_sse(streamed.body).back().data, "[DONE]");
  EXPECT_EQ(third.status, 200u);
  EXPECT_EQ(fake.request_count(), 3u);
  EXPECT_EQ(fake.open_connections(), 1u);  // all three on one connection
}

TEST(FakeUpstream, ClientLeavingMidStreamIsCountedAsCancelled) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.text = std::string(200, 'x');
  b.chunks = 20;
  b.chunk_delay = 100ms;
  fake.set_behavior(b);

  read_until_then_close(fake.port(), raw_request("/v1/messages", kAnthropicStreamBody, anthropic_headers()),
                        "event: content_block_delta");
  EXPECT_TRUE(wait_until([&] { return fake.open_connections() == 0; }, 1500ms)) << fake.open_connections();
  EXPECT_EQ(fake.cancelled_streams(), 1u);

  // A stream read to the end is not a cancellation.
  b.chunk_delay = 1ms;
  fake.set_behavior(b);
  EXPECT_TRUE(post(fake.port(), "/v1/messages", kAnthropicStreamBody, anthropic_headers()).complete);
  EXPECT_EQ(fake.cancelled_streams(), 1u);
}

TEST(FakeUpstream, ClientLeavingDuringFirstByteDelayIsSeenAtOnce) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.first_byte_delay = 5s;
  fake.set_behavior(b);
  {
    net::io_context ioc;
    tcp::socket sock(ioc);
    sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), fake.port()));
    net::write(sock, net::buffer(raw_request("/v1/chat/completions", kOpenAIStreamBody, openai_headers())));
    ASSERT_TRUE(wait_until([&] { return fake.request_count() == 1; }, 2s));
    EXPECT_EQ(fake.open_connections(), 1u);
  }
  EXPECT_TRUE(wait_until([&] { return fake.open_connections() == 0; }, 2s));  // well before the 5 s delay ends
  EXPECT_EQ(fake.cancelled_streams(), 1u);
}

net::awaitable<void> one_stream(std::uint16_t port, int& ok) {
  beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(30s);
  auto [cec] = co_await stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), kTuple);
  if (cec) co_return;
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer sk-test");
  req.set(http::field::content_type, "application/json");
  req.body() = kOpenAIStreamUsageBody;
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
  if (wec) co_return;
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [rec, rn] = co_await http::async_read(stream, buffer, res, kTuple);
  if (!rec && res.result_int() == 200 && res.body().find("data: [DONE]") != std::string::npos) ++ok;
}

TEST(FakeUpstream, DelaysDoNotBlockConcurrentConnections) {
  FakeUpstream fake(FakeFlavor::kOpenAI);
  FakeBehavior b;
  b.first_byte_delay = 300ms;
  b.chunk_delay = 20ms;
  fake.set_behavior(b);
  constexpr int kClients = 200;
  net::io_context ioc;
  int ok = 0;
  for (int i = 0; i < kClients; ++i) net::co_spawn(ioc, one_stream(fake.port(), ok), net::detached);
  const auto started = std::chrono::steady_clock::now();
  ioc.run();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(ok, kClients);
  EXPECT_EQ(fake.request_count(), static_cast<std::size_t>(kClients));
  EXPECT_LT(elapsed, 20s);  // serially this would take over a minute
  EXPECT_TRUE(wait_until([&] { return fake.open_connections() == 0; }, 2s));
  EXPECT_EQ(fake.cancelled_streams(), 0u);
}

TEST(FakeUpstream, OversizedBodyGets413InFlavorShape) {
  FakeUpstream fake(FakeFlavor::kAnthropic);
  const std::string big = R"({"model":"m","pad":")" + std::string(9 * 1024 * 1024, 'a') + R"("})";
  const auto r = post(fake.port(), "/v1/messages", big, anthropic_headers());
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(json::parse(r.body).at("error").at("type"), "request_too_large");
  EXPECT_EQ(r.headers.at("connection"), "close");
}

TEST(FakeUpstream, DestructorStopsPromptlyWithStreamInFlight) {
  auto fake = std::make_unique<FakeUpstream>(FakeFlavor::kAnthropic);
  FakeBehavior b;
  b.chunks = 10;
  b.chunk_delay = 1s;
  fake->set_behavior(b);
  net::io_context ioc;
  tcp::socket sock(ioc);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), fake->port()));
  net::write(sock, net::buffer(raw_request("/v1/messages", kAnthropicStreamBody, anthropic_headers())));
  std::array<char, 4096> buf{};
  beast::error_code ec;
  sock.read_some(net::buffer(buf), ec);  // the stream has started
  ASSERT_FALSE(ec);
  ASSERT_EQ(fake->open_connections(), 1u);
  const auto started = std::chrono::steady_clock::now();
  fake.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  std::string rest;
  while (!ec) {  // the client sees the connection end
    const auto n = sock.read_some(net::buffer(buf), ec);
    rest.append(buf.data(), n);
  }
  EXPECT_EQ(rest.find("message_stop"), std::string::npos);
}

TEST(FakeUpstream, ParseSseHandlesCrlfCommentsAndMultilineData) {
  const auto events = parse_sse(": comment\r\nevent: a\r\ndata: {\"x\":1}\r\n\r\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "a");
  EXPECT_EQ(events[0].data, "{\"x\":1}");
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "line1\nline2");
  EXPECT_EQ(events[2].data, "[DONE]");
}

}  // namespace
}  // namespace winston::testing
