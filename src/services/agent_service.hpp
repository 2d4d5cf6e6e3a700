#pragma once
// The operator talks to a tenant's agent: a message relayed to the tenant's
// running OpenClaw gateway with the gateway token from the sealed cell
// secrets (it never leaves Winston), the answer and its usage returned, and
// one audit row (agent.message) with sizes, model and usage — never the
// texts, which may hold customers' data, and never the token. The model
// calls the agent makes go through Winston's proxy with the cell's own key,
// so they are metered and charged to the tenant like any other.

#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "agent/gateway_chat.hpp"
#include "core/clock.hpp"
#include "services/config_service.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"
#include "storage/instance_repository.hpp"

namespace winston::services {

inline constexpr std::size_t kMaxAgentMessageBytes = 16 * 1024;

struct AgentMessage {
  std::string message;                 // 1..16 KiB
  std::optional<std::string> session;  // continues the conversation with this id (OpenClaw's `user`)
};

struct AgentReply {
  std::string answer;
  std::string model;
  std::string finish_reason;
  boost::json::value usage;  // as the gateway reported it
  std::int64_t duration_ms = 0;
  std::optional<std::string> session;
  std::string instance_id;
};

class AgentService {
 public:
  AgentService(storage::Database& db, const Clock& clock, ConfigService& configs, agent::GatewayChatOptions options)
      : db_(db), clock_(clock), configs_(configs), options_(options) {}

  /// Blocks for the agent's turn (up to the configured timeout). Errors:
  /// unknown tenant 404; no cell, or a cell that is not running, 409 naming
  /// its state; the gateway unreachable or failing 502, silent 504.
  Result<AgentReply> ask(const Actor& actor, std::string_view tenant, const AgentMessage& m);

 private:
  Status audit(const Actor& actor, const CellInstance& cell, const AgentMessage& m,
               const Result<agent::GatewayAnswer>& outcome, std::int64_t duration_ms);

  storage::Database& db_;
  const Clock& clock_;
  ConfigService& configs_;
  agent::GatewayChatOptions options_;
};

/// 422 unless the message is 1..16 KiB and not blank, and the session id, if
/// any, is 1..128 letters, digits and `._:-`.
Status validate(const AgentMessage& m);

}  // namespace winston::services
