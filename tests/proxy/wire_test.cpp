// Unit tests of proxy/wire: the request parser, the upstream rewrite, the
// error shapes of both LLM APIs, usage from whole bodies (every documented
// placement) and the SSE meter that bills streams — fed whole, byte by byte,
// in random splits, with CRLF, keep-alives, malformed and oversized events.
// Wire shapes follow tests/support/fake_upstream.cpp.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/wire.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using proxy::error_body;
using proxy::LlmRequest;
using proxy::parse_request;
using proxy::StreamMeter;
using proxy::upstream_body;
using proxy::usage_from_body;
using proxy::wire_status;

constexpr WireApi kAnthropic = WireApi::kAnthropicMessages;
constexpr WireApi kOpenAI = WireApi::kOpenAIChat;

json::object parse_object(std::string_view s) { return json::parse(s).as_object(); }

// ---- parse_request ---------------------------------------------------------

TEST(WireParseRequest, AnthropicValidRequestReadsEveryField) {
  auto r = parse_request(kAnthropic, R"({"model":"claude-x","max_tokens":1024,"stream":true,
                                         "messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->api, kAnthropic);
  EXPECT_EQ(r->model, "claude-x");
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->max_output_tokens, 1024);
  EXPECT_FALSE(r->client_wants_usage);
  ASSERT_TRUE(r->body.contains("messages"));
  EXPECT_EQ(r->body.at("messages").as_array().size(), 1u);
}

TEST(WireParseRequest, OpenAIValidRequestWithoutMaxTokensOrStream) {
  auto r = parse_request(kOpenAI, R"({"model":"gpt-x","messages":[]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->api, kOpenAI);
  EXPECT_EQ(r->model, "gpt-x");
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(r->max_output_tokens, 0);
  EXPECT_FALSE(r->client_wants_usage);
}

TEST(WireParseRequest, StreamFalseAndNullAreNotStreaming) {
  auto f = parse_request(kOpenAI, R"({"model":"m","stream":false})");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->stream);
  auto n = parse_request(kOpenAI, R"({"model":"m","stream":null})");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->stream);
  auto t = parse_request(kOpenAI, R"({"model":"m","stream":true})");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->stream);
}

TEST(WireParseRequest, MaxCompletionTokensCountsAndTheLargerOfBothWins) {
  auto a = parse_request(kOpenAI, R"({"model":"m","max_completion_tokens":300})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->max_output_tokens, 300);
  auto b = parse_request(kOpenAI, R"({"model":"m","max_tokens":500,"max_completion_tokens":300})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->max_output_tokens, 500);
  auto c = parse_request(kOpenAI, R"({"model":"m","max_tokens":200,"max_completion_tokens":700})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_output_tokens, 700);
  auto d = parse_request(kOpenAI, R"({"model":"m","max_tokens":null})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_output_tokens, 0);
}

TEST(WireParseRequest, MissingEmptyOrMistypedModelIsAnInvalidModelField) {
  for (const auto api : {kAnthropic, kOpenAI}) {
    for (const char* body : {R"({"max_tokens":10})", R"({"model":"","max_tokens":10})",
                             R"({"model":42,"max_tokens":10})", R"({"model":null,"max_tokens":10})"}) {
      auto r = parse_request(api, body);
      ASSERT_FALSE(r.ok()) << body;
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidField) << body;
      EXPECT_EQ(r.error().field, "model") << body;
    }
  }
}

TEST(WireParseRequest, BadJsonAndNonObjectsAreMalformed) {
  for (const auto api : {kAnthropic, kOpenAI}) {
    for (const char* body : {"", "{", R"({"model":"m",})", "not json", R"(["model"])", "\"m\"", "42"}) {
      auto r = parse_request(api, body);
      ASSERT_FALSE(r.ok()) << body;
      EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << body;
    }
  }
}

TEST(WireParseRequest, NestingBeyondTheDepthLimitIsMalformed) {
  // max_depth is 64: a body nested 100 deep is refused, 10 deep is fine.
  const auto nested = [](int depth) {
    return R"({"model":"m","x":)" + std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']') + "}";
  };
  auto deep = parse_request(kOpenAI, nested(100));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, ErrorCode::kMalformed);
  EXPECT_TRUE(parse_request(kOpenAI, nested(10)).ok());
}

TEST(WireParseRequest, MistypedStreamIsAnInvalidStreamField) {
  for (const char* body : {R"({"model":"m","stream":"yes"})", R"({"model":"m","stream":1})"}) {
    auto r = parse_request(kOpenAI, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField);
    EXPECT_EQ(r.error().field, "stream");
  }
}

TEST(WireParseRequest, NonIntegerMaxTokensIsAnInvalidFieldNamedAfterTheKey) {
  auto a = parse_request(kOpenAI, R"({"model":"m","max_tokens":1.5})");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidField);
  EXPECT_EQ(a.error().field, "max_tokens");
  auto b = parse_request(kOpenAI, R"({"model":"m","max_completion_tokens":"100"})");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kInvalidField);
  EXPECT_EQ(b.error().field, "max_completion_tokens");
}

TEST(WireParseRequest, AnthropicRequiresAPositiveMaxTokensOpenAIDoesNot) {
  for (const char* body : {R"({"model":"m"})", R"({"model":"m","max_tokens":0})", R"({"model":"m","max_tokens":-5})"}) {
    auto r = parse_request(kAnthropic, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField) << body;
    EXPECT_EQ(r.error().field, "max_tokens") << body;
    EXPECT_TRUE(parse_request(kOpenAI, body).ok()) << body;
  }
  auto ok = parse_request(kAnthropic, R"({"model":"m","max_tokens":1})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->max_output_tokens, 1);
}

TEST(WireParseRequest, IncludeUsageIsReadOnlyWhenItIsABooleanInAnObject) {
  const auto wants = [](const char* body) {
    auto r = parse_request(kOpenAI, body);
    EXPECT_TRUE(r.ok()) << body;
    return r.ok() && r->client_wants_usage;
  };
  EXPECT_TRUE(wants(R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})"));
  EXPECT_FALSE(wants(R"({"model":"m","stream":true,"stream_options":{"include_usage":false}})"));
  EXPECT_FALSE(wants(R"({"model":"m","stream":true,"stream_options":{"include_usage":"true"}})"));
  EXPECT_FALSE(wants(R"({"model":"m","stream":true,"stream_options":{}})"));
  EXPECT_FALSE(wants(R"({"model":"m","stream":true,"stream_options":"include_usage"})"));
  EXPECT_FALSE(wants(R"({"model":"m","stream":true})"));
}

// ---- upstream_body -----------------------------------------------------------

LlmRequest must_parse(WireApi api, std::string_view body) {
  auto r = parse_request(api, body);
  EXPECT_TRUE(r.ok()) << body;
  return r.ok() ? std::move(r).value() : LlmRequest{};
}

TEST(WireUpstreamBody, ReplacesTheModelAndKeepsEverythingElse) {
  const auto req = must_parse(kAnthropic, R"({"model":"alias","max_tokens":64,"temperature":0.5,
                                              "messages":[{"role":"user","content":"hi"}]})");
  const auto up = parse_object(upstream_body(req, "claude-real-1"));
  EXPECT_EQ(up.at("model").as_string(), "claude-real-1");
  EXPECT_EQ(up.at("max_tokens").as_int64(), 64);
  EXPECT_DOUBLE_EQ(up.at("temperature").as_double(), 0.5);
  EXPECT_EQ(up.at("messages").as_array().at(0).at("content").as_string(), "hi");
  EXPECT_EQ(up.size(), 4u);
}

TEST(WireUpstreamBody, OpenAIStreamsAlwaysAskForUsage) {
  const auto req = must_parse(kOpenAI, R"({"model":"alias","stream":true})");
  const auto up = parse_object(upstream_body(req, "gpt-real"));
  EXPECT_EQ(up.at("model").as_string(), "gpt-real");
  ASSERT_TRUE(up.contains("stream_options"));
  EXPECT_EQ(up.at("stream_options").at("include_usage"), json::value(true));
}

TEST(WireUpstreamBody, AClientsIncludeUsageFalseIsOverriddenAndOtherStreamOptionsKept) {
  const auto req = must_parse(kOpenAI, R"({"model":"a","stream":true,"stream_options":{"include_usage":false,"x":1}})");
  const auto up = parse_object(upstream_body(req, "b"));
  EXPECT_EQ(up.at("stream_options").at("include_usage"), json::value(true));
  EXPECT_EQ(up.at("stream_options").at("x").as_int64(), 1);
}

TEST(WireUpstreamBody, ANonObjectStreamOptionsIsReplaced) {
  const auto req = must_parse(kOpenAI, R"({"model":"a","stream":true,"stream_options":"nope"})");
  const auto up = parse_object(upstream_body(req, "b"));
  ASSERT_TRUE(up.at("stream_options").is_object());
  EXPECT_EQ(up.at("stream_options").at("include_usage"), json::value(true));
}

TEST(WireUpstreamBody, AClientThatAskedForUsageKeepsItsOptionsUnchanged) {
  const auto req = must_parse(kOpenAI, R"({"model":"a","stream":true,"stream_options":{"include_usage":true}})");
  const auto up = parse_object(upstream_body(req, "b"));
  EXPECT_EQ(up.at("stream_options"), json::parse(R"({"include_usage":true})"));
}

TEST(WireUpstreamBody, NoStreamOptionsForNonStreamingOrAnthropic) {
  const auto plain = parse_object(upstream_body(must_parse(kOpenAI, R"({"model":"a"})"), "b"));
  EXPECT_FALSE(plain.contains("stream_options"));
  const auto anth = parse_object(upstream_body(must_parse(kAnthropic, R"({"model":"a","max_tokens":5,"stream":true})"), "b"));
  EXPECT_FALSE(anth.contains("stream_options"));
  EXPECT_EQ(anth.at("stream"), json::value(true));
}

// ---- wire_status -------------------------------------------------------------

TEST(WireStatus, EveryErrorCodeOnBothApis) {
  const std::vector<std::pair<ErrorCode, unsigned>> table = {
      {ErrorCode::kMalformed, 400},       {ErrorCode::kUnauthenticated, 401}, {ErrorCode::kInsufficientCredits, 402},
      {ErrorCode::kForbidden, 403},       {ErrorCode::kNotFound, 404},        {ErrorCode::kMethodNotAllowed, 405},
      {ErrorCode::kConflict, 409},        {ErrorCode::kPayloadTooLarge, 413}, {ErrorCode::kInvalidField, 400},
      {ErrorCode::kUnavailable, 503},     {ErrorCode::kBadGateway, 502},      {ErrorCode::kGatewayTimeout, 504},
      {ErrorCode::kInternal, 500},
  };
  for (const auto api : {kAnthropic, kOpenAI}) {
    for (const auto& [code, status] : table) {
      EXPECT_EQ(wire_status(api, code), status) << to_string(api) << " " << to_string(code);
    }
  }
}

// ---- error_body ----------------------------------------------------------------

TEST(WireErrorBody, AnthropicShapeAndTypePerStatus) {
  const std::vector<std::pair<unsigned, std::string_view>> table = {
      {400, "invalid_request_error"}, {401, "authentication_error"}, {402, "billing_error"},
      {403, "permission_error"},      {404, "not_found_error"},      {413, "request_too_large"},
      {429, "rate_limit_error"},      {504, "timeout_error"},        {529, "overloaded_error"},
      {409, "invalid_request_error"}, {500, "api_error"},            {502, "api_error"},
      {503, "api_error"},
  };
  for (const auto& [status, type] : table) {
    const auto body = parse_object(error_body(kAnthropic, status, "went \"wrong\"\n"));
    EXPECT_EQ(body.size(), 2u) << status;
    EXPECT_EQ(body.at("type").as_string(), "error") << status;
    const auto& err = body.at("error").as_object();
    EXPECT_EQ(err.size(), 2u) << status;
    EXPECT_EQ(err.at("type").as_string(), type) << status;
    EXPECT_EQ(err.at("message").as_string(), "went \"wrong\"\n") << status;
  }
}

TEST(WireErrorBody, OpenAIShapeTypeAndCodePerStatus) {
  struct Row {
    unsigned status;
    std::string_view type;
    std::string_view code;  // empty: null
  };
  const std::vector<Row> table = {
      {400, "invalid_request_error", ""},
      {401, "invalid_request_error", "invalid_api_key"},
      {402, "insufficient_quota", "insufficient_quota"},
      {403, "permission_error", "permission_denied"},
      {404, "invalid_request_error", "model_not_found"},
      {409, "invalid_request_error", "conflict"},
      {413, "invalid_request_error", "request_too_large"},
      {429, "rate_limit_error", "rate_limit_exceeded"},
      {500, "server_error", ""},
      {502, "server_error", "upstream_error"},
      {503, "server_error", ""},
      {504, "server_error", "upstream_timeout"},
  };
  for (const auto& row : table) {
    const auto body = parse_object(error_body(kOpenAI, row.status, "nope"));
    EXPECT_EQ(body.size(), 1u) << row.status;  // no top-level "type" as Anthropic has
    const auto& err = body.at("error").as_object();
    EXPECT_EQ(err.size(), 4u) << row.status;
    EXPECT_EQ(err.at("message").as_string(), "nope") << row.status;
    EXPECT_EQ(err.at("type").as_string(), row.type) << row.status;
    EXPECT_TRUE(err.at("param").is_null()) << row.status;
    if (row.code.empty()) {
      EXPECT_TRUE(err.at("code").is_null()) << row.status;
    } else {
      ASSERT_TRUE(err.at("code").is_string()) << row.status;
      EXPECT_EQ(err.at("code").as_string(), row.code) << row.status;
    }
  }
}

// ---- usage_from_body -------------------------------------------------------------

TEST(WireUsageFromBody, AnthropicReadsAllFourCounts) {
  const auto u = usage_from_body(kAnthropic, json::parse(R"({"type":"message","content":[],
      "usage":{"input_tokens":120,"output_tokens":45,"cache_creation_input_tokens":30,"cache_read_input_tokens":900}})"));
  EXPECT_EQ(u.input, 120);
  EXPECT_EQ(u.output, 45);
  EXPECT_EQ(u.cache_creation, 30);
  EXPECT_EQ(u.cache_read, 900);
  EXPECT_EQ(u.total(), 1095);
}

TEST(WireUsageFromBody, AnthropicWithoutCacheFieldsOrWithoutUsage) {
  const auto u = usage_from_body(kAnthropic, json::parse(R"({"usage":{"input_tokens":7,"output_tokens":3}})"));
  EXPECT_EQ(u.input, 7);
  EXPECT_EQ(u.output, 3);
  EXPECT_EQ(u.cache_creation, 0);
  EXPECT_EQ(u.cache_read, 0);
  EXPECT_EQ(usage_from_body(kAnthropic, json::parse(R"({"type":"message"})")).total(), 0);
  EXPECT_EQ(usage_from_body(kAnthropic, json::parse(R"({"usage":null})")).total(), 0);
  EXPECT_EQ(usage_from_body(kAnthropic, json::parse("[1,2]")).total(), 0);
}

TEST(WireUsageFromBody, OpenAISplitsCachedTokensOutOfPromptTokens) {
  const auto u = usage_from_body(kOpenAI, json::parse(R"({"choices":[{"index":0,"message":{"content":"x"}}],
      "usage":{"prompt_tokens":1000,"completion_tokens":50,"total_tokens":1050,
               "prompt_tokens_details":{"cached_tokens":600,"audio_tokens":0}}})"));
  EXPECT_EQ(u.input, 400);
  EXPECT_EQ(u.cache_read, 600);
  EXPECT_EQ(u.output, 50);
  EXPECT_EQ(u.cache_creation, 0);
  EXPECT_EQ(u.total(), 1050);  // equal to total_tokens: nothing counted twice
}

TEST(WireUsageFromBody, OpenAIWithoutDetails) {
  const auto u = usage_from_body(kOpenAI, json::parse(R"({"usage":{"prompt_tokens":11,"completion_tokens":22}})"));
  EXPECT_EQ(u.input, 11);
  EXPECT_EQ(u.output, 22);
  EXPECT_EQ(u.cache_read, 0);
}

TEST(WireUsageFromBody, MoonshotTopLevelCachedTokens) {
  const auto u = usage_from_body(kOpenAI, json::parse(
      R"({"usage":{"prompt_tokens":300,"completion_tokens":10,"total_tokens":310,"cached_tokens":120}})"));
  EXPECT_EQ(u.input, 180);
  EXPECT_EQ(u.cache_read, 120);
  EXPECT_EQ(u.output, 10);
}

TEST(WireUsageFromBody, MoonshotUsageInsideAChoice) {
  const auto u = usage_from_body(kOpenAI, json::parse(R"({"choices":[{"index":0,"message":{"content":"x"},
      "finish_reason":"stop","usage":{"prompt_tokens":90,"completion_tokens":9,"total_tokens":99,"cached_tokens":40}}]})"));
  EXPECT_EQ(u.input, 50);
  EXPECT_EQ(u.cache_read, 40);
  EXPECT_EQ(u.output, 9);
  // A null top-level usage does not hide the choice's.
  const auto n = usage_from_body(kOpenAI, json::parse(
      R"({"usage":null,"choices":[{"usage":{"prompt_tokens":5,"completion_tokens":6}}]})"));
  EXPECT_EQ(n.input, 5);
  EXPECT_EQ(n.output, 6);
}

TEST(WireUsageFromBody, TopLevelUsageWinsOverAChoicesUsage) {
  const auto u = usage_from_body(kOpenAI, json::parse(R"({"usage":{"prompt_tokens":1,"completion_tokens":2},
      "choices":[{"usage":{"prompt_tokens":100,"completion_tokens":200}}]})"));
  EXPECT_EQ(u.input, 1);
  EXPECT_EQ(u.output, 2);
}

TEST(WireUsageFromBody, CachedBeyondPromptClampsInputAtZero) {
  const auto u = usage_from_body(kOpenAI, json::parse(
      R"({"usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":25}}})"));
  EXPECT_EQ(u.input, 0);
  EXPECT_EQ(u.cache_read, 25);
}

TEST(WireUsageFromBody, OpenAINoUsageAnywhere) {
  EXPECT_EQ(usage_from_body(kOpenAI, json::parse(R"({"choices":[{"message":{"content":"x"}}]})")).total(), 0);
  EXPECT_EQ(usage_from_body(kOpenAI, json::parse(R"({"usage":null})")).total(), 0);
  EXPECT_EQ(usage_from_body(kOpenAI, json::parse("null")).total(), 0);
}

// ---- StreamMeter -------------------------------------------------------------------

std::string sse(std::string_view event, std::string_view data) {
  return "event: " + std::string(event) + "\ndata: " + std::string(data) + "\n\n";
}
std::string sse_data(std::string_view data) { return "data: " + std::string(data) + "\n\n"; }

// A full Anthropic stream as the API sends it: usage in message_start (input and
// cache counts, output 1) and the cumulative output in message_delta.
std::string anthropic_stream(bool with_stop = true) {
  std::string s;
  s += sse("message_start", R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
                            R"("model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,)"
                            R"("usage":{"input_tokens":25,"cache_creation_input_tokens":7,"cache_read_input_tokens":11,"output_tokens":1}}})");
  s += sse("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  s += sse("ping", R"({"type": "ping"})");
  s += sse("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})");
  s += sse("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", world"}})");
  s += sse("content_block_stop", R"({"type":"content_block_stop","index":0})");
  s += sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":42}})");
  if (with_stop) s += sse("message_stop", R"({"type":"message_stop"})");
  return s;
}

constexpr std::string_view kOpenAIUsageChunk =
    R"({"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,)"
    R"("total_tokens":120,"prompt_tokens_details":{"cached_tokens":30}}})";

// An OpenAI stream with include_usage: every chunk has "usage": null, then a
// usage-only chunk with empty choices, then [DONE].
std::string openai_stream(bool with_done = true) {
  std::string s;
  s += sse_data(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null})");
  s += sse_data(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi "},"finish_reason":null}],"usage":null})");
  s += sse_data(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"there!"},"finish_reason":null}],"usage":null})");
  s += sse_data(R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null})");
  s += sse_data(kOpenAIUsageChunk);
  if (with_done) s += "data: [DONE]\n\n";
  return s;
}

// Moonshot: no usage-only chunk; usage sits in choices[0] of the last chunk.
std::string moonshot_stream() {
  std::string s;
  s += sse_data(R"({"id":"k1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Yo"},"finish_reason":null}]})");
  s += sse_data(R"({"id":"k1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop",)"
                R"("usage":{"prompt_tokens":64,"completion_tokens":8,"total_tokens":72,"cached_tokens":24}}]})");
  s += "data: [DONE]\n\n";
  return s;
}

struct Fed {
  bool ok = true;
  std::string out;
  TokenUsage usage;
  bool saw_usage = false;
  bool complete = false;
  bool upstream_error = false;
  std::size_t text_bytes = 0;
};

Fed feed_chunks(WireApi api, bool drop, const std::vector<std::string_view>& chunks, std::size_t max = 1 << 20) {
  StreamMeter m(api, drop, max);
  Fed f;
  for (auto c : chunks) {
    if (!m.feed(c, f.out)) {
      f.ok = false;
      break;
    }
  }
  f.usage = m.usage();
  f.saw_usage = m.saw_usage();
  f.complete = m.complete();
  f.upstream_error = m.upstream_error();
  f.text_bytes = m.text_bytes();
  return f;
}

Fed feed_whole(WireApi api, bool drop, std::string_view s, std::size_t max = 1 << 20) {
  return feed_chunks(api, drop, {s}, max);
}

std::vector<std::string_view> byte_by_byte(std::string_view s) {
  std::vector<std::string_view> v;
  for (std::size_t i = 0; i < s.size(); ++i) v.push_back(s.substr(i, 1));
  return v;
}

std::vector<std::string_view> random_split(std::string_view s, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> len(0, 40);  // empty chunks included
  std::vector<std::string_view> v;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t n = std::min(len(rng), s.size() - pos);
    v.push_back(s.substr(pos, n));
    pos += n;
  }
  return v;
}

std::string to_crlf(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '\n') r += '\r';
    r += c;
  }
  return r;
}

void expect_same(const Fed& a, const Fed& b, const std::string& what) {
  EXPECT_EQ(a.ok, b.ok) << what;
  EXPECT_EQ(a.out, b.out) << what;
  EXPECT_EQ(a.usage.input, b.usage.input) << what;
  EXPECT_EQ(a.usage.output, b.usage.output) << what;
  EXPECT_EQ(a.usage.cache_creation, b.usage.cache_creation) << what;
  EXPECT_EQ(a.usage.cache_read, b.usage.cache_read) << what;
  EXPECT_EQ(a.saw_usage, b.saw_usage) << what;
  EXPECT_EQ(a.complete, b.complete) << what;
  EXPECT_EQ(a.upstream_error, b.upstream_error) << what;
  EXPECT_EQ(a.text_bytes, b.text_bytes) << what;
}

TEST(WireStreamMeter, AnthropicUsageFromMessageStartAndMessageDelta) {
  const auto s = anthropic_stream();
  const auto f = feed_whole(kAnthropic, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.usage.input, 25);
  EXPECT_EQ(f.usage.cache_creation, 7);
  EXPECT_EQ(f.usage.cache_read, 11);
  EXPECT_EQ(f.usage.output, 42);  // message_delta's cumulative count, not message_start's 1
  EXPECT_TRUE(f.saw_usage);
  EXPECT_TRUE(f.complete);
  EXPECT_FALSE(f.upstream_error);
  EXPECT_EQ(f.text_bytes, std::string_view("Hello, world").size());
  EXPECT_EQ(f.out, s);  // every event relayed verbatim
}

TEST(WireStreamMeter, AnthropicNotCompleteWithoutMessageStop) {
  const auto f = feed_whole(kAnthropic, false, anthropic_stream(false));
  ASSERT_TRUE(f.ok);
  EXPECT_FALSE(f.complete);
  EXPECT_TRUE(f.saw_usage);
  EXPECT_EQ(f.usage.output, 42);
}

TEST(WireStreamMeter, AnthropicMessageDeltaMayRepeatInputCounts) {
  std::string s = sse("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})");
  s += sse("message_delta", R"({"type":"message_delta","usage":{"input_tokens":15,"output_tokens":30}})");
  s += sse("message_delta", R"({"type":"message_delta","usage":{"output_tokens":12}})");  // never lowers the count
  const auto f = feed_whole(kAnthropic, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.usage.input, 15);
  EXPECT_EQ(f.usage.output, 30);
}

TEST(WireStreamMeter, AnthropicEventNameUsedWhenDataHasNoType) {
  const auto f = feed_whole(kAnthropic, false, sse("message_stop", "{}"));
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.complete);
}

TEST(WireStreamMeter, AnthropicStreamWithoutUsage) {
  std::string s = sse("message_start", R"({"type":"message_start","message":{"id":"m"}})");
  s += sse("message_stop", R"({"type":"message_stop"})");
  const auto f = feed_whole(kAnthropic, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_FALSE(f.saw_usage);
  EXPECT_EQ(f.usage.total(), 0);
  EXPECT_TRUE(f.complete);
}

TEST(WireStreamMeter, AnthropicMidstreamErrorIsFlaggedAndRelayed) {
  std::string s = sse("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}})");
  const std::string err = sse("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  s += err;
  const auto f = feed_whole(kAnthropic, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.upstream_error);
  EXPECT_FALSE(f.complete);
  EXPECT_NE(f.out.find(err), std::string::npos);
}

TEST(WireStreamMeter, OpenAIUsageChunkIsReadAndDroppedWhenTheClientDidNotAsk) {
  const auto s = openai_stream();
  const auto f = feed_whole(kOpenAI, true, s);
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.saw_usage);
  EXPECT_EQ(f.usage.input, 70);
  EXPECT_EQ(f.usage.cache_read, 30);
  EXPECT_EQ(f.usage.output, 20);
  EXPECT_EQ(f.usage.cache_creation, 0);
  EXPECT_TRUE(f.complete);
  EXPECT_EQ(f.text_bytes, std::string_view("Hi there!").size());
  EXPECT_EQ(f.out.find(R"("prompt_tokens")"), std::string::npos);  // the usage chunk is not relayed
  EXPECT_EQ(f.out, s.substr(0, s.find(std::string(kOpenAIUsageChunk)) - 6) + "data: [DONE]\n\n");
}

TEST(WireStreamMeter, OpenAIUsageChunkIsRelayedWhenTheClientAsked) {
  const auto s = openai_stream();
  const auto f = feed_whole(kOpenAI, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.usage.input, 70);
  EXPECT_EQ(f.usage.output, 20);
  EXPECT_EQ(f.out, s);
}

TEST(WireStreamMeter, OpenAINullUsageChunksDoNotCountAsUsage) {
  const auto s = openai_stream();
  // Everything before the usage chunk: usage null on every chunk.
  const auto f = feed_whole(kOpenAI, true, s.substr(0, s.find(std::string(kOpenAIUsageChunk))));
  ASSERT_TRUE(f.ok);
  EXPECT_FALSE(f.saw_usage);
  EXPECT_EQ(f.usage.total(), 0);
  EXPECT_FALSE(f.complete);
}

TEST(WireStreamMeter, OpenAINotCompleteWithoutDone) {
  const auto f = feed_whole(kOpenAI, true, openai_stream(false));
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.saw_usage);
  EXPECT_FALSE(f.complete);
}

TEST(WireStreamMeter, MoonshotUsageInTheLastChoiceIsReadAndThatChunkKept) {
  const auto s = moonshot_stream();
  const auto f = feed_whole(kOpenAI, true, s);  // drop requested, but this chunk carries content/finish_reason
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.saw_usage);
  EXPECT_EQ(f.usage.input, 40);
  EXPECT_EQ(f.usage.cache_read, 24);
  EXPECT_EQ(f.usage.output, 8);
  EXPECT_TRUE(f.complete);
  EXPECT_EQ(f.text_bytes, 2u);
  EXPECT_EQ(f.out, s);
}

TEST(WireStreamMeter, OpenAIErrorChunkIsFlaggedAndRelayed) {
  const std::string s = sse_data(R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})");
  const auto f = feed_whole(kOpenAI, true, s);
  ASSERT_TRUE(f.ok);
  EXPECT_TRUE(f.upstream_error);
  EXPECT_EQ(f.out, s);
}

TEST(WireStreamMeter, AnEventIsHandledOnlyAtItsBlankLine) {
  StreamMeter m(kAnthropic, false);
  std::string out;
  const std::string start =
      sse("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":4,"output_tokens":1}}})");
  const std::string delta = sse("message_delta", R"({"type":"message_delta","usage":{"output_tokens":77}})");
  ASSERT_TRUE(m.feed(start + delta.substr(0, 30), out));
  EXPECT_EQ(m.usage().output, 1);
  EXPECT_EQ(out, start);  // no half event relayed
  ASSERT_TRUE(m.feed(delta.substr(30, delta.size() - 31), out));  // all but the final blank line
  EXPECT_EQ(m.usage().output, 1);
  EXPECT_EQ(out, start);
  ASSERT_TRUE(m.feed("\n", out));
  EXPECT_EQ(m.usage().output, 77);
  EXPECT_EQ(out, start + delta);
}

TEST(WireStreamMeter, SplitsAnywhereGiveIdenticalResults) {
  struct Case {
    std::string name;
    WireApi api;
    bool drop;
    std::string stream;
  };
  const std::vector<Case> cases = {
      {"anthropic", kAnthropic, false, anthropic_stream()},
      {"openai-drop", kOpenAI, true, openai_stream()},
      {"openai-keep", kOpenAI, false, openai_stream()},
      {"moonshot", kOpenAI, true, moonshot_stream()},
      {"anthropic-crlf", kAnthropic, false, to_crlf(anthropic_stream())},
      {"openai-crlf", kOpenAI, true, to_crlf(openai_stream())},
  };
  for (const auto& c : cases) {
    const auto whole = feed_whole(c.api, c.drop, c.stream);
    ASSERT_TRUE(whole.ok) << c.name;
    ASSERT_TRUE(whole.saw_usage) << c.name;
    ASSERT_TRUE(whole.complete) << c.name;
    expect_same(whole, feed_chunks(c.api, c.drop, byte_by_byte(c.stream)), c.name + " byte by byte");
    for (std::uint32_t seed = 1; seed <= 200; ++seed) {
      expect_same(whole, feed_chunks(c.api, c.drop, random_split(c.stream, seed)),
                  c.name + " seed " + std::to_string(seed));
    }
  }
}

TEST(WireStreamMeter, CrlfLineEndingsReadTheSameUsageAndRelayAsLf) {
  const auto lf = feed_whole(kAnthropic, false, anthropic_stream());
  const auto crlf = feed_whole(kAnthropic, false, to_crlf(anthropic_stream()));
  ASSERT_TRUE(crlf.ok);
  EXPECT_EQ(crlf.usage.input, 25);
  EXPECT_EQ(crlf.usage.output, 42);
  EXPECT_EQ(crlf.usage.cache_creation, 7);
  EXPECT_EQ(crlf.usage.cache_read, 11);
  EXPECT_TRUE(crlf.complete);
  expect_same(lf, crlf, "crlf vs lf");  // the relay normalises to LF
  const auto o = feed_whole(kOpenAI, true, to_crlf(openai_stream()));
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.usage.input, 70);
  EXPECT_TRUE(o.complete);  // "[DONE]\r" would not match: the CR must be stripped
}

TEST(WireStreamMeter, CommentsAndKeepAlivesAreRelayedAndIgnored) {
  std::string s = ": ping\n\n";
  s += sse_data(R"({"choices":[{"index":0,"delta":{"content":"ab"}}],"usage":null})");
  s += ":keep-alive\n\n";
  s += ": inside an event\n" + sse_data(kOpenAIUsageChunk);
  s += "data: [DONE]\n\n";
  const auto f = feed_whole(kOpenAI, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.usage.input, 70);
  EXPECT_EQ(f.usage.output, 20);
  EXPECT_EQ(f.text_bytes, 2u);
  EXPECT_TRUE(f.complete);
  EXPECT_EQ(f.out, s);

  std::string a = ": ping\n\n" + anthropic_stream();
  const auto g = feed_whole(kAnthropic, false, a);
  ASSERT_TRUE(g.ok);
  EXPECT_EQ(g.usage.output, 42);
  EXPECT_EQ(g.out, a);
}

TEST(WireStreamMeter, DataWithoutASpaceAndMultiLineDataAreJoined) {
  std::string s = "event: message_start\ndata:{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":6}}}\n\n";
  s += "event: message_delta\ndata: {\"type\":\"message_delta\",\ndata: \"usage\":{\"output_tokens\":9}}\n\n";
  const auto f = feed_whole(kAnthropic, false, s);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.usage.input, 6);
  EXPECT_EQ(f.usage.output, 9);
}

TEST(WireStreamMeter, MalformedJsonStopsTheStreamAndIsNotRelayed) {
  const std::string start =
      sse("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}})");
  // The fake upstream's malformed event: a data line cut in the middle.
  const std::string bad =
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_de\n\n";
  const std::string after = sse("message_delta", R"({"type":"message_delta","usage":{"output_tokens":50}})");
  StreamMeter m(kAnthropic, false);
  std::string out;
  EXPECT_FALSE(m.feed(start + bad + after, out));
  EXPECT_EQ(out, start);
  EXPECT_EQ(m.usage().input, 5);
  EXPECT_EQ(m.usage().output, 1);  // nothing after the bad event was read
  EXPECT_FALSE(m.complete());

  StreamMeter o(kOpenAI, true);
  std::string oout;
  EXPECT_FALSE(o.feed("data: {\"choices\":[\n\n", oout));
  EXPECT_TRUE(oout.empty());
}

TEST(WireStreamMeter, DoneEndsOnlyOpenAIStreams) {
  const auto o = feed_whole(kOpenAI, true, "data: [DONE]\n\n");
  ASSERT_TRUE(o.ok);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.out, "data: [DONE]\n\n");
  // Anthropic never sends [DONE]; it is not JSON, so the stream is malformed.
  const auto a = feed_whole(kAnthropic, false, "data: [DONE]\n\n");
  EXPECT_FALSE(a.ok);
  EXPECT_FALSE(a.complete);
}

TEST(WireStreamMeter, AnOversizedLineOrEventStopsTheStream) {
  constexpr std::size_t kMax = 64;
  const std::string fits = "data: " + std::string(kMax - 6, 'x');  // exactly kMax bytes, not yet terminated
  StreamMeter at(kOpenAI, true, kMax);
  std::string out;
  EXPECT_TRUE(at.feed(fits, out));
  EXPECT_FALSE(StreamMeter(kOpenAI, true, kMax).feed(fits + "x", out));

  // Two lines that each fit but together exceed the bound.
  const std::string line = "event: " + std::string(40, 'e') + "\n";
  StreamMeter two(kAnthropic, false, kMax);
  EXPECT_TRUE(two.feed(line, out));
  EXPECT_FALSE(two.feed(line, out));

  // The bound is per event: a long stream of small events is fine.
  std::string many;
  for (int i = 0; i < 100; ++i) many += R"(data: {"choices":[],"n":1})" "\n\n";
  EXPECT_GT(many.size(), 20 * kMax);
  const auto f = feed_whole(kOpenAI, false, many, kMax);
  EXPECT_TRUE(f.ok);
  EXPECT_EQ(f.out, many);
}

TEST(WireStreamMeter, ErrorEventHasEachApisShapeAndIsRecognisedAsAnError) {
  StreamMeter a(kAnthropic, false);
  const auto ae = a.error_event("upstream went away");
  ASSERT_TRUE(ae.starts_with("event: error\ndata: "));
  ASSERT_TRUE(ae.ends_with("\n\n"));
  const auto ab = parse_object(ae.substr(19, ae.size() - 21));
  EXPECT_EQ(ab.at("type").as_string(), "error");
  EXPECT_EQ(ab.at("error").at("type").as_string(), "api_error");  // 502
  EXPECT_EQ(ab.at("error").at("message").as_string(), "upstream went away");
  const auto af = feed_whole(kAnthropic, false, ae);
  EXPECT_TRUE(af.ok);
  EXPECT_TRUE(af.upstream_error);

  StreamMeter o(kOpenAI, true);
  const auto oe = o.error_event("upstream went away");
  ASSERT_TRUE(oe.starts_with("data: "));
  ASSERT_TRUE(oe.ends_with("\n\n"));
  const auto ob = parse_object(oe.substr(6, oe.size() - 8));
  EXPECT_FALSE(ob.contains("type"));
  EXPECT_EQ(ob.at("error").at("type").as_string(), "server_error");
  EXPECT_EQ(ob.at("error").at("code").as_string(), "upstream_error");
  const auto of = feed_whole(kOpenAI, true, oe);
  EXPECT_TRUE(of.ok);
  EXPECT_TRUE(of.upstream_error);
}

}  // namespace
}  // namespace winston
