#pragma once
// The two LLM wire formats the proxy speaks: reading requests, rewriting them
// for the upstream, reading usage (whole bodies and SSE streams), and errors
// in each API's own shape so the official SDKs parse them.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "core/catalog.hpp"
#include "core/credits.hpp"
#include "core/error.hpp"

namespace winston::proxy {

struct LlmRequest {
  WireApi api = WireApi::kOpenAIChat;
  boost::json::object body;
  std::string model;
  bool stream = false;
  std::int64_t max_output_tokens = 0;  // max_tokens / max_completion_tokens, 0 when absent
  bool client_wants_usage = false;     // OpenAI streaming: the client set include_usage itself
};

/// Parses a client request body: kMalformed for bad JSON, kInvalidField for a
/// missing or mistyped model/stream/max_tokens.
Result<LlmRequest> parse_request(WireApi api, std::string_view body);

/// The body sent upstream: the catalog's upstream model id, and for OpenAI
/// streams `stream_options.include_usage: true` so usage is always reported.
std::string upstream_body(const LlmRequest& req, std::string_view upstream_model);

/// The HTTP status the proxy answers an error of `code` with on `api`: the
/// proxy's one ErrorCode-to-status mapping. Both LLM APIs use 400 for any
/// invalid request, where the admin API says 422; otherwise the admin API's
/// statuses (http_status in http/router.cpp).
unsigned wire_status(WireApi api, ErrorCode code);

/// An error body in `api`'s shape for an HTTP status the proxy chose.
std::string error_body(WireApi api, unsigned status, std::string_view message);

/// Usage from a complete, non-streaming response body (all documented places).
TokenUsage usage_from_body(WireApi api, const boost::json::value& body);

/// Incremental SSE relay: splits upstream bytes into events, reads usage from
/// them, and decides what the client receives. Memory is bounded by one event.
class StreamMeter {
 public:
  StreamMeter(WireApi api, bool drop_usage_chunk, std::size_t max_event_bytes = 1 << 20)
      : api_(api), drop_usage_chunk_(drop_usage_chunk), max_event_bytes_(max_event_bytes) {}

  /// Appends what should be forwarded to `out`. False when the stream is
  /// malformed (an unparsable event or an oversized one): stop relaying.
  bool feed(std::string_view bytes, std::string& out);

  const TokenUsage& usage() const { return usage_; }
  bool saw_usage() const { return saw_usage_; }
  bool complete() const { return complete_; }     // message_stop or [DONE]
  bool upstream_error() const { return upstream_error_; }
  std::size_t text_bytes() const { return text_bytes_; }
  /// The event that ends a broken stream, in `api`'s shape.
  std::string error_event(std::string_view message) const;

 private:
  bool dispatch(std::string& out);
  bool on_anthropic(std::string_view event, const boost::json::value& data);
  bool on_openai(const boost::json::value& data);

  WireApi api_;
  bool drop_usage_chunk_;
  std::size_t max_event_bytes_;
  std::string line_;       // partial line
  std::string raw_;        // current event, as received
  std::string event_;      // its `event:` field
  std::string data_;       // its `data:` lines, joined
  TokenUsage usage_;
  bool saw_usage_ = false;
  bool complete_ = false;
  bool upstream_error_ = false;
  std::size_t text_bytes_ = 0;
};

}  // namespace winston::proxy
