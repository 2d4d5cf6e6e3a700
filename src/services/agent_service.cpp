#include "services/agent_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "services/instance_service.hpp"
#include "storage/audit_repository.hpp"
#include "storage/instance_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace inst = storage::instances;

namespace {

constexpr std::size_t kMaxSessionChars = 128;
// Keeps the operator's conversations apart from any other `user` a gateway client might send.
constexpr std::string_view kSessionPrefix = "winston-operator:";

bool session_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

// The tenant's cell, if it can take a message now; the connection is released before the (long) relay.
Result<CellInstance> running_cell(storage::Database& db, std::string_view tenant) {
  WINSTON_TRY_ASSIGN(auto conn, db.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  WINSTON_TRY_ASSIGN(auto row, inst::find_by_tenant(*conn, t.id));
  if (!row) return Error::conflict(fmt::format("tenant '{}' has no cell; POST …/instance creates one", t.slug));
  if (row->actual_state != CellState::kRunning || !row->url) {
    return Error::conflict(fmt::format("the cell of tenant '{}' is {} ({}), not running; its agent cannot answer now",
                                       t.slug, to_string(row->actual_state), row->step.empty() ? "no step" : row->step));
  }
  return std::move(*row);
}

}  // namespace

Status validate(const AgentMessage& m) {
  const bool blank = std::all_of(m.message.begin(), m.message.end(),
                                 [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
  if (blank) return Error::invalid("message", "message must not be empty");
  if (m.message.size() > kMaxAgentMessageBytes) {
    return Error::invalid("message", fmt::format("message must be at most {} bytes", kMaxAgentMessageBytes));
  }
  if (m.session && (m.session->empty() || m.session->size() > kMaxSessionChars ||
                    !std::all_of(m.session->begin(), m.session->end(), session_char))) {
    return Error::invalid("session", "session must be 1-128 letters, digits, '.', '_', ':' or '-'");
  }
  return {};
}

Result<AgentReply> AgentService::ask(const Actor& actor, std::string_view tenant, const AgentMessage& m) {
  WINSTON_TRY(validate(m));
  WINSTON_TRY_ASSIGN(const auto cell, running_cell(db_, tenant));
  WINSTON_TRY_ASSIGN(std::string token, configs_.gateway_token(cell.tenant_id));
  agent::GatewayChatRequest request{*cell.url, std::move(token), m.message, std::nullopt};
  if (m.session) request.user = std::string(kSessionPrefix) + *m.session;

  const auto started = clock_.now_ms();
  auto answer = agent::gateway_chat(request, options_);
  const auto duration = clock_.now_ms() - started;
  if (!answer.ok()) {
    log::warn("agent.message_failed", {{"tenant_id", cell.tenant_id}, {"instance_id", cell.id},
                                       {"code", to_string(answer.error().code)}, {"message", answer.error().message}});
    WINSTON_TRY(audit(actor, cell, m, answer, duration));
    return std::move(answer).error();
  }
  WINSTON_TRY(audit(actor, cell, m, answer, duration));
  return AgentReply{std::move(answer->answer), std::move(answer->model), std::move(answer->finish_reason),
                    std::move(answer->usage), duration, m.session, cell.id};
}

// One row per relayed message, answered or not: sizes, model and usage, never the texts nor the token.
Status AgentService::audit(const Actor& actor, const CellInstance& cell, const AgentMessage& m,
                           const Result<agent::GatewayAnswer>& outcome, std::int64_t duration_ms) {
  json::object details{{"instance_id", cell.id},
                       {"message_bytes", m.message.size()},
                       {"session", m.session ? json::value(*m.session) : json::value(nullptr)},
                       {"duration_ms", duration_ms}};
  if (outcome.ok()) {
    details["outcome"] = "answered";
    details["answer_bytes"] = outcome->answer.size();
    details["model"] = outcome->model;
    details["usage"] = outcome->usage;
  } else {
    details["outcome"] = "failed";
    details["error"] = to_string(outcome.error().code);
  }
  const auto now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  return record_audit(*conn, actor,
                      {.tenant_id = cell.tenant_id,
                       .action = "agent.message",
                       .target = "instance:" + cell.id,
                       .details = std::move(details)},
                      now);
}

}  // namespace winston::services
