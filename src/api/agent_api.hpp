#pragma once
// The operator's routes for a tenant's agent: website analysis and business
// profiles, config snapshots (generate, list, show, diff, rollback) and
// skill choices. All behind the admin token.

#include "api/admin_api.hpp"
#include "services/agent_service.hpp"
#include "services/analyzer_service.hpp"
#include "services/config_service.hpp"

namespace winston::api {

void register_agent_routes(http::Router& router, services::AnalyzerService& analyzer, services::ConfigService& configs,
                           const AdminAuth& auth);

/// POST /v1/tenants/{id}/agent/messages: the operator's message to the tenant's running agent.
void register_agent_message_routes(http::Router& router, services::AgentService& agent, const AdminAuth& auth);
/// The reply as the API and the CLI show it.
boost::json::object agent_reply_json(const services::AgentReply& r);

boost::json::object snapshot_meta_json(const storage::configs::SnapshotRow& s);
boost::json::object snapshot_json(const services::Snapshot& s);
boost::json::object diff_json(std::int64_t from, std::int64_t to, const std::vector<agent::FileDiff>& diffs);
boost::json::object skill_json(const services::SkillState& s);

}  // namespace winston::api
