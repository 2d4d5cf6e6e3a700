#pragma once
// One message to a tenant's OpenClaw gateway through its OpenAI-compatible
// `POST /v1/chat/completions` (enabled by the generated openclaw.json), with
// the gateway's shared token as the bearer. The model `openclaw/default` is
// the gateway's default agent, not a provider model; an OpenAI `user` string
// makes OpenClaw keep one agent session per value, else every call is a new
// session (docs/gateway/openai-http-api.md in the openclaw package).
//
// The token is the gateway's owner credential: it goes into the request
// header and nowhere else. Every text this returns (errors, the answer) has
// it scrubbed, in case a gateway or an agent with shell tools echoes it.

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace winston::agent {

inline constexpr std::string_view kGatewayModel = "openclaw/default";

struct GatewayChatRequest {
  std::string base_url;  // the cell's URL, e.g. http://127.0.0.1:PORT
  std::string token;     // the gateway token (secret)
  std::string message;
  std::optional<std::string> user;  // OpenClaw derives the session from it
};

struct GatewayChatOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{120'000};  // until the answer: agent turns take 10-30 s, tool use longer
  std::size_t max_response_bytes = 1024 * 1024;
};

struct GatewayAnswer {
  std::string answer;
  std::string model;
  std::string finish_reason;
  boost::json::value usage;  // as the gateway reported it; null when it did not
};

/// kGatewayTimeout when no answer came within `timeout`; kBadGateway when the
/// gateway cannot be reached, refuses the token, fails or answers nonsense;
/// kInsufficientCredits when the gateway's provider (Winston's proxy) said
/// the tenant has no credits (HTTP 402).
Result<GatewayAnswer> gateway_chat(const GatewayChatRequest& request, const GatewayChatOptions& options);

}  // namespace winston::agent
