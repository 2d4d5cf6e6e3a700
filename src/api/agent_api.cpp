#include "api/agent_api.hpp"

#include "api/json_input.hpp"

namespace winston::api {
namespace json = boost::json;
using http::RequestContext;
using http::Response;
using bhttp = boost::beast::http::status;
using boost::beast::http::verb;

namespace {

Result<std::int64_t> version_param(const RequestContext& ctx, std::string_view name) {
  WINSTON_TRY_ASSIGN(const auto v, int_param(std::string(ctx.param(name)), name, 0));
  if (v < 1) return Error::invalid(std::string(name), std::string(name) + " must be a version number (1, 2, ...)");
  return v;
}

/// An optional JSON object body restricted to `fields`.
Result<json::object> optional_body(const RequestContext& ctx, std::initializer_list<std::string_view> fields) {
  if (ctx.request.body().empty()) return json::object{};
  WINSTON_TRY_ASSIGN(auto obj, parse_object(ctx.request.body()));
  WINSTON_TRY(JsonFields(obj).only(fields));
  return obj;
}

Response outcome_response(const RequestContext& ctx, const services::GenerateOutcome& o) {
  auto body = snapshot_meta_json(o.snapshot.meta);
  body["created"] = o.created;
  json::array paths;
  for (const auto& [path, content] : o.snapshot.files) paths.push_back(json::string(path));
  body["files"] = std::move(paths);
  return http::json_response(ctx, o.created ? bhttp::created : bhttp::ok, body);
}

json::array skills_json(const std::vector<services::SkillState>& skills) {
  json::array out;
  for (const auto& s : skills) out.push_back(skill_json(s));
  return out;
}

void register_analyzer_routes(http::Router& router, services::AnalyzerService& analyzer, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/analyze", admin(auth, [&analyzer](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto body, optional_body(ctx, {"url"}));
    WINSTON_TRY_ASSIGN(auto url, JsonFields(body).optional_string("url"));
    WINSTON_TRY_ASSIGN(const auto stored, analyzer.analyze(actor_of(ctx), ctx.param("id"), std::move(url)));
    return http::json_response(ctx, bhttp::created, services::to_json(stored));
  }));
  router.add(verb::get, "/v1/tenants/{id}/profile", admin(auth, [&analyzer](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto stored, analyzer.latest(ctx.param("id")));
    return http::json_response(ctx, bhttp::ok, services::to_json(stored));
  }));
  router.add(verb::get, "/v1/tenants/{id}/profiles", admin(auth, [&analyzer](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 20));
    WINSTON_TRY_ASSIGN(const auto list, analyzer.list(ctx.param("id"), limit));
    json::array data;
    for (const auto& p : list) data.push_back(services::to_json(p));
    return http::json_response(ctx, bhttp::ok, {{"data", std::move(data)}});
  }));
  router.add(verb::get, "/v1/tenants/{id}/profiles/{version}",
             admin(auth, [&analyzer](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto version, version_param(ctx, "version"));
               WINSTON_TRY_ASSIGN(const auto stored, analyzer.get(ctx.param("id"), version));
               return http::json_response(ctx, bhttp::ok, services::to_json(stored));
             }));
}

void register_config_routes(http::Router& router, services::ConfigService& configs, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/configs", admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto body, optional_body(ctx, {"reason"}));
    WINSTON_TRY_ASSIGN(const auto reason, JsonFields(body).optional_string("reason"));
    WINSTON_TRY_ASSIGN(const auto outcome, configs.generate(actor_of(ctx), ctx.param("id"), reason.value_or("")));
    return outcome_response(ctx, outcome);
  }));
  router.add(verb::get, "/v1/tenants/{id}/configs", admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto limit, int_param(ctx.query_param("limit"), "limit", 50));
    WINSTON_TRY_ASSIGN(const auto offset, int_param(ctx.query_param("offset"), "offset", 0));
    WINSTON_TRY_ASSIGN(const auto page, configs.list(ctx.param("id"), limit, offset));
    return http::json_response(ctx, bhttp::ok, page_json(page, snapshot_meta_json));
  }));
  router.add(verb::get, "/v1/tenants/{id}/configs/{version}",
             admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto version, version_param(ctx, "version"));
               WINSTON_TRY_ASSIGN(const auto snap, configs.get(actor_of(ctx), ctx.param("id"), version));
               return http::json_response(ctx, bhttp::ok, snapshot_json(snap));
             }));
  router.add(verb::get, "/v1/tenants/{id}/configs/{from}/diff/{to}",
             admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto from, version_param(ctx, "from"));
               WINSTON_TRY_ASSIGN(const auto to, version_param(ctx, "to"));
               WINSTON_TRY_ASSIGN(const auto diffs, configs.diff(actor_of(ctx), ctx.param("id"), from, to));
               return http::json_response(ctx, bhttp::ok, diff_json(from, to, diffs));
             }));
  router.add(verb::post, "/v1/tenants/{id}/configs/{version}/rollback",
             admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto version, version_param(ctx, "version"));
               WINSTON_TRY_ASSIGN(const auto outcome, configs.rollback(actor_of(ctx), ctx.param("id"), version));
               return outcome_response(ctx, outcome);
             }));
}

void register_skill_routes(http::Router& router, services::ConfigService& configs, const AdminAuth& auth) {
  router.add(verb::get, "/v1/tenants/{id}/skills", admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
    WINSTON_TRY_ASSIGN(const auto skills, configs.skills(ctx.param("id")));
    return http::json_response(ctx, bhttp::ok, {{"data", skills_json(skills)}});
  }));
  router.add(verb::put, "/v1/tenants/{id}/skills/{name}",
             admin(auth, [&configs](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto obj, parse_object(ctx.request.body()));
               const JsonFields f(obj);
               WINSTON_TRY(f.only({"enabled"}));
               WINSTON_TRY_ASSIGN(const auto enabled, f.optional_bool("enabled"));
               if (!enabled) return Error::invalid("enabled", "enabled (true or false) is required");
               WINSTON_TRY_ASSIGN(const auto skills,
                                  configs.set_skill(actor_of(ctx), ctx.param("id"), ctx.param("name"), *enabled));
               return http::json_response(ctx, bhttp::ok, {{"data", skills_json(skills)}});
             }));
}

}  // namespace

json::object agent_reply_json(const services::AgentReply& r) {
  return {{"answer", r.answer},
          {"model", r.model},
          {"finish_reason", r.finish_reason},
          {"usage", r.usage},
          {"duration_ms", r.duration_ms},
          {"session", r.session ? json::value(*r.session) : json::value(nullptr)},
          {"instance_id", r.instance_id}};
}

void register_agent_message_routes(http::Router& router, services::AgentService& agent, const AdminAuth& auth) {
  router.add(verb::post, "/v1/tenants/{id}/agent/messages",
             admin(auth, [&agent](RequestContext& ctx) -> Result<Response> {
               WINSTON_TRY_ASSIGN(const auto obj, parse_object(ctx.request.body()));
               const JsonFields f(obj);
               WINSTON_TRY(f.only({"message", "session"}));
               services::AgentMessage m;
               WINSTON_TRY_ASSIGN(m.message, f.required_string("message"));
               WINSTON_TRY_ASSIGN(m.session, f.optional_string("session"));
               WINSTON_TRY_ASSIGN(const auto reply, agent.ask(actor_of(ctx), ctx.param("id"), m));
               return http::json_response(ctx, bhttp::ok, agent_reply_json(reply));
             }));
}

json::object snapshot_meta_json(const storage::configs::SnapshotRow& s) {
  return {{"version", s.version},
          {"content_hash", s.content_hash},
          {"created_by", s.created_by},
          {"reason", s.reason},
          {"created_at", s.created_at},
          {"tenant_id", s.tenant_id},
          {"warnings", agent::warnings_to_json(agent::warnings_from_json(s.warnings_json))}};
}

json::object snapshot_json(const services::Snapshot& s) {
  auto body = snapshot_meta_json(s.meta);
  body["files"] = agent::files_to_json(s.files);
  return body;
}

json::object diff_json(std::int64_t from, std::int64_t to, const std::vector<agent::FileDiff>& diffs) {
  json::array files;
  for (const auto& d : diffs) files.push_back({{"path", d.path}, {"status", d.status}, {"diff", d.diff}});
  return {{"from", from}, {"to", to}, {"files", std::move(files)}};
}

json::object skill_json(const services::SkillState& s) {
  return {{"name", s.name}, {"description", s.description}, {"enabled", s.enabled}, {"default", s.is_default}};
}

void register_agent_routes(http::Router& router, services::AnalyzerService& analyzer, services::ConfigService& configs,
                           const AdminAuth& auth) {
  register_analyzer_routes(router, analyzer, auth);
  register_config_routes(router, configs, auth);
  register_skill_routes(router, configs, auth);
}

}  // namespace winston::api
