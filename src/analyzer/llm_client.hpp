#pragma once
// A small blocking LLM client for worker threads: one non-streaming chat
// through Winston's own metering proxy, so the call is authenticated,
// routed and charged like any tenant's. Each call runs on a private
// io_context; nothing is shared between calls or threads.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"

namespace winston::analyzer {

struct LlmOptions {
  std::string base_url = "http://127.0.0.1:8081";  // the proxy, without /v1; https is verified against the system CAs
  std::function<std::string()> own_proxy_url;       // when base_url is empty: this process's proxy, known once it listens
  std::string model = "kimi-k2.5";                  // a catalog id the proxy knows
  WireApi api = WireApi::kOpenAIChat;               // the catalog entry's wire format
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds response_timeout{180'000};  // until the whole (non-streamed) answer is in
  std::size_t max_response_bytes = 1024 * 1024;
  std::int64_t max_tokens = 8192;  // room for a reasoning model's thinking before the JSON
};

struct ChatMessage {
  std::string role;  // "user" or "assistant"
  std::string content;
};

struct Chat {
  std::string system;
  std::vector<ChatMessage> messages;
};

/// The model the analyzer asks: one chat in, the assistant's text out. The
/// analyzer service depends on this, not on how the call is made, so the
/// wiring (app) chooses the implementation as it does the SiteFetcher.
class ChatModel {
 public:
  virtual ~ChatModel() = default;
  /// The assistant's text (empty when a well-formed answer carries none);
  /// every failure is kUnavailable with a message that never contains the key.
  virtual Result<std::string> complete(const Chat& chat, std::string_view api_key) const = 0;
  /// The catalog id asked, as a stored profile records it.
  virtual const std::string& model_id() const = 0;
};

/// A ChatModel reached through Winston's own metering proxy.
class LlmClient final : public ChatModel {
 public:
  explicit LlmClient(LlmOptions options) : options_(std::move(options)) {}

  /// Failures name the proxy's status and error message (401 bad key, 402 no
  /// credits, 429, 5xx, timeouts, a malformed or oversized answer, no proxy URL).
  Result<std::string> complete(const Chat& chat, std::string_view api_key) const override;
  const std::string& model_id() const override { return options_.model; }

  const LlmOptions& options() const { return options_; }

 private:
  LlmOptions options_;
};

}  // namespace winston::analyzer
