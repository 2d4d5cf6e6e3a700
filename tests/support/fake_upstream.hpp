#pragma once
// In-process fake LLM upstreams for the metering proxy's tests: a fake
// Anthropic Messages API and a fake OpenAI-compatible Chat Completions API
// (OpenAI, Moonshot), speaking the documented wire formats, errors and
// streaming edge cases included.
//
// Each FakeUpstream listens on 127.0.0.1:<free port> and serves every
// connection as a coroutine on its own I/O thread, so delays never block other
// connections. Behaviour is set with set_behavior() and applies to requests
// that arrive afterwards.
//
// Routes
//   Anthropic: POST /v1/messages    needs a non-empty `x-api-key` (else 401
//                                   authentication_error) and an
//                                   `anthropic-version` header (else 400
//                                   invalid_request_error)
//              GET  /v1/models
//   OpenAI:    POST /v1/chat/completions  needs `Authorization: Bearer <key>`
//                                   (else 401); honours `stream` and
//                                   `stream_options.include_usage`
//              GET  /v1/models
// Both: the body must be a JSON object with a string `model` (else 400; the
// model is echoed back), at most 8 MiB (else 413); unknown paths answer 404
// in the flavor's error shape. Every request, including rejected ones, is
// recorded.
//
// Wire formats
//   Anthropic JSON:  {"id":"msg_…","type":"message","role":"assistant",
//                     "model",content:[{"type":"text","text"}],"stop_reason":
//                     "end_turn","stop_sequence":null,"usage":{input_tokens,
//                     cache_creation_input_tokens,cache_read_input_tokens,
//                     output_tokens}}; header `request-id: req_…`.
//   Anthropic SSE:   message_start (usage as above, output_tokens 1 — the
//                    final count is in message_delta), content_block_start,
//                    ping, content_block_delta×chunks (text_delta),
//                    content_block_stop, message_delta {delta:{stop_reason:
//                    "end_turn",stop_sequence:null},usage:{output_tokens}},
//                    message_stop.
//   Anthropic error: {"type":"error","error":{"type","message"},"request_id"}
//                    400 invalid_request_error, 401 authentication_error,
//                    402 billing_error, 403 permission_error, 404
//                    not_found_error, 413 request_too_large, 429
//                    rate_limit_error, 500 api_error, 504 timeout_error, 529
//                    overloaded_error; other 4xx invalid_request_error, other
//                    5xx api_error.
//   OpenAI JSON:     chat.completion with usage{prompt_tokens,
//                    completion_tokens,total_tokens,prompt_tokens_details
//                    {cached_tokens},completion_tokens_details}; header
//                    `x-request-id`. prompt_tokens = input_tokens (OpenAI
//                    counts cached tokens inside prompt_tokens, so set
//                    input_tokens to the total); cached_tokens =
//                    cache_read_tokens; cache_creation_tokens is not an
//                    OpenAI field and is ignored.
//   OpenAI SSE:      `data: {chat.completion.chunk}` lines: a role chunk,
//                    the content deltas, a chunk with finish_reason "stop",
//                    then — only if the request set
//                    stream_options.include_usage — a chunk with "choices":[]
//                    and usage (earlier chunks then carry "usage":null), then
//                    `data: [DONE]`.
//   Moonshot (UsagePlacement::kInChoice, OpenAI flavor): the finish_reason
//                    chunk carries choices[0].usage {prompt_tokens,
//                    completion_tokens,total_tokens,cached_tokens} whether or
//                    not include_usage was asked; no separate usage chunk.
//                    Non-streaming responses keep usage at the top level.
//   OpenAI error:    {"error":{"message","type","param","code"}}: 400/403/
//                    404/413 invalid_request_error (404 code
//                    model_not_found), 401 invalid_request_error /
//                    invalid_api_key (code null when no key was sent), 429
//                    type "requests" / rate_limit_exceeded, 5xx server_error.
// SSE responses are `content-type: text/event-stream; charset=utf-8`,
// chunked on HTTP/1.1 (close-delimited on HTTP/1.0); JSON responses carry
// Content-Length. Keep-alive is honoured for both.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winston::testing {

enum class FakeFlavor { kAnthropic, kOpenAI };

/// Where token usage appears. kInChoice is Moonshot's streaming placement
/// (OpenAI flavor only; Anthropic treats it as kStandard). kNone omits usage
/// entirely (both flavors, streaming or not; an OpenAI include_usage request
/// then gets no usage chunk).
enum class UsagePlacement { kStandard, kInChoice /*Moonshot*/, kNone };

struct FakeBehavior {
  unsigned status = 200;               // non-200: the flavor's documented error body for that status
  int fail_first = -1;                 // if >= 0: the first N requests get `status`, later ones 200 (for retry tests); -1 = every request gets `status`
  std::int64_t input_tokens = 12, output_tokens = 7, cache_creation_tokens = 0, cache_read_tokens = 0;
  std::string text = "Hello from the fake upstream.";
  std::vector<std::string> texts;      // if non-empty: the answer text per completion request in order (counted like
                                       // fail_first, from set_behavior), the last one repeated; overrides `text`
  int chunks = 3;                      // streaming: text split into this many deltas (fewer if the text is shorter)
  std::chrono::milliseconds first_byte_delay{0};  // before the response headers
  std::chrono::milliseconds chunk_delay{0};       // between stream events
  UsagePlacement usage = UsagePlacement::kStandard;
  bool truncate_stream = false;        // stream: close the connection after the first delta (no final usage/[DONE]/message_stop)
  bool malformed_stream = false;       // stream: one extra data line after the first delta is not valid JSON
  bool midstream_error = false;        // stream: after the first delta, Anthropic sends `event: error` (overloaded_error),
                                       // OpenAI a `data: {"error":{…}}` line; then the body ends (no message_stop/[DONE])
  std::optional<std::string> retry_after;  // `retry-after` header on error responses (none unless set)
};

struct RecordedRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

/// One server-sent event: `event:` (empty for OpenAI's data-only lines) and
/// its `data:` lines joined with '\n'.
struct SseEvent {
  std::string event;
  std::string data;
};
/// Splits an SSE body into events (for assertions on streamed bodies).
std::vector<SseEvent> parse_sse(std::string_view body);

class FakeUpstream {
 public:
  explicit FakeUpstream(FakeFlavor flavor);   // binds 127.0.0.1:0, serves on its own thread
  ~FakeUpstream();                            // stops cleanly, joins threads, no leaks under ASan
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;               // "http://127.0.0.1:PORT" for both flavors
  /// Thread-safe; applies to subsequent requests and restarts the fail_first count.
  void set_behavior(FakeBehavior b);
  FakeBehavior behavior() const;
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  /// Currently open client connections (idle keep-alive ones included).
  std::size_t open_connections() const;
  /// Streams whose client went away before the fake finished writing. A
  /// departure is seen at once while the fake is waiting (first_byte_delay,
  /// chunk_delay) and otherwise only when a write fails, so cancellation
  /// tests should set chunk_delay.
  std::size_t cancelled_streams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winston::testing
