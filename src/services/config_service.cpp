#include "services/config_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/business_profile.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/audit_repository.hpp"
#include "storage/instance_repository.hpp"
#include "storage/profile_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace {

constexpr std::string_view kGatewayToken = "gateway_token";
constexpr std::string_view kCellApiKey = "cell_api_key";
constexpr std::string_view kAnalyzerApiKey = "analyzer_api_key";

std::string secret_context(std::string_view tenant_id, std::string_view name) {
  return fmt::format("tenant/{}/{}", tenant_id, name);
}

Status audit(storage::Connection& c, const Actor& actor, const Tenant& t, std::string action, std::string target,
             const boost::json::object& details, EpochMs now) {
  return record_audit(c, actor,
                      {.tenant_id = t.id, .action = std::move(action), .target = std::move(target), .details = details},
                      now);
}

boost::json::array warning_codes(const std::vector<agent::ConfigWarning>& warnings) {
  boost::json::array codes;
  for (const auto& w : warnings) codes.push_back(boost::json::string(w.code));
  return codes;
}

// Once per generation, so an operator reading the log learns which rules the
// agent lacks and how to add them (the same text the API returns).
void log_partial(const Tenant& t, std::int64_t version, const std::vector<agent::ConfigWarning>& warnings) {
  if (warnings.empty()) return;
  std::string message;
  for (const auto& w : warnings) message += (message.empty() ? "" : " | ") + w.message;
  log::warn("config.partial_profile", {{"tenant_id", t.id},
                                       {"tenant", t.slug},
                                       {"version", version},
                                       {"warnings", warning_codes(warnings)},
                                       {"message", message}});
}

Result<Snapshot> to_snapshot(storage::configs::SnapshotRow row) {
  WINSTON_TRY_ASSIGN(auto files, agent::files_from_json(row.files_json));
  row.files_json.clear();  // the parsed files travel instead
  return Snapshot{std::move(row), std::move(files)};
}

}  // namespace

ConfigService::ConfigService(storage::Database& db, const Clock& clock, const Catalog& catalog,
                             const agent::AgentAssets& assets, const SecretBox& secrets, KeyService& keys,
                             ConfigOptions options)
    : db_(db), clock_(clock), catalog_(catalog), assets_(assets), secrets_(secrets), keys_(keys),
      options_(std::move(options)) {}

Result<std::vector<SkillState>> ConfigService::skill_states(storage::Connection& c, const Tenant& t) {
  WINSTON_TRY_ASSIGN(const auto choices, storage::skills::list(c, t.id));
  std::vector<SkillState> out;
  for (const auto& s : assets_.skills()) {
    SkillState st{s.name, s.description, false, true};
    const auto choice = std::find_if(choices.begin(), choices.end(), [&](const auto& x) { return x.skill == s.name; });
    if (choice != choices.end()) {
      st.enabled = choice->enabled;
      st.is_default = false;
    } else {
      st.enabled = std::find(options_.default_skills.begin(), options_.default_skills.end(), s.name) !=
                   options_.default_skills.end();
    }
    out.push_back(std::move(st));
  }
  return out;
}

Result<ConfigService::Rendered> ConfigService::render(storage::Connection& c, const Tenant& t) {
  WINSTON_TRY_ASSIGN(const auto stored, storage::profiles::latest(c, t.id));
  std::optional<BusinessProfile> profile;
  if (stored) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(stored->profile_json, ec);
    if (ec) return Error::internal("the stored business profile is not JSON");
    WINSTON_TRY_ASSIGN(profile, profile_from_json(v));
  }
  WINSTON_TRY_ASSIGN(const auto skills, skill_states(c, t));
  agent::GeneratorInput in;
  in.tenant = &t;
  in.profile = profile ? &*profile : nullptr;
  in.profile_source = stored ? stored->source : "none";
  in.catalog = &catalog_;
  in.models = catalog_.models_for_tier(t.tier);
  if (const auto it = options_.default_models.find(t.tier); it != options_.default_models.end()) {
    in.default_model = it->second;
  }
  for (const auto& s : skills) {
    if (s.enabled) in.skills.push_back(assets_.skill(s.name));
  }
  in.assets = &assets_;
  in.cell = options_.cell;
  if (in.cell.proxy_url.empty() && options_.own_proxy_url) in.cell.proxy_url = options_.own_proxy_url();
  WINSTON_TRY_ASSIGN(auto files, agent::generate_config(in));
  return Rendered{std::move(files), agent::config_warnings(in)};
}

Result<GenerateOutcome> ConfigService::store(const Actor& actor, const Tenant& t, Rendered config,
                                             std::string_view action, std::string reason,
                                             boost::json::object details) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY(storage::tenants::lock(*conn, t.id));  // concurrent generations compare with the same latest
  const auto now = clock_.now_ms();
  const std::string hash = agent::content_hash(config.files);
  const std::string warnings = boost::json::serialize(agent::warnings_to_json(config.warnings));
  if (!config.warnings.empty()) details["warnings"] = warning_codes(config.warnings);
  WINSTON_TRY_ASSIGN(auto latest, storage::configs::latest(*conn, t.id));
  if (latest && latest->content_hash == hash) {
    details["version"] = latest->version;
    details["unchanged"] = true;
    WINSTON_TRY(audit(*conn, actor, t, std::string(action), "config:" + std::to_string(latest->version), details, now));
    // A version made before warnings were kept learns them now.
    if (latest->warnings_json != warnings) WINSTON_TRY(storage::configs::set_warnings(*conn, latest->id, warnings));
    WINSTON_TRY(tx.commit());
    latest->warnings_json = warnings;
    log_partial(t, latest->version, config.warnings);
    WINSTON_TRY_ASSIGN(auto snapshot, to_snapshot(std::move(*latest)));
    return GenerateOutcome{std::move(snapshot), false};
  }
  storage::configs::SnapshotRow row{new_uuid_v7(now), t.id, 0, hash,
                                    boost::json::serialize(agent::files_to_json(config.files)), actor.name,
                                    std::move(reason), now, warnings};
  WINSTON_TRY(storage::configs::insert_next(*conn, row));
  details["version"] = row.version;
  details["content_hash"] = hash;
  WINSTON_TRY(audit(*conn, actor, t, std::string(action), "config:" + std::to_string(row.version), details, now));
  // A running cell deploys the new version: the reconciler looks at it now.
  WINSTON_TRY_ASSIGN(const auto cell, storage::instances::find_by_tenant(*conn, t.id));
  if (cell && cell->desired_state == DesiredState::kRunning) WINSTON_TRY(storage::instances::wake(*conn, cell->id, now));
  WINSTON_TRY(tx.commit());
  log_partial(t, row.version, config.warnings);
  row.files_json.clear();
  return GenerateOutcome{Snapshot{std::move(row), std::move(config.files)}, true};
}

Result<GenerateOutcome> ConfigService::generate(const Actor& actor, std::string_view tenant, std::string_view reason) {
  if (reason.size() > 500) return Error::invalid("reason", "reason must be at most 500 characters");
  // Rendered on one connection, stored on another: the lease is released before store() begins.
  const auto load = [&]() -> Result<std::pair<Tenant, Rendered>> {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(Tenant t, storage::tenants::require(*conn, tenant));
    if (t.is_system) return Error{ErrorCode::kForbidden, "the system tenant has no agent", {}};
    WINSTON_TRY_ASSIGN(auto config, render(*conn, t));
    return std::pair{std::move(t), std::move(config)};
  };
  WINSTON_TRY_ASSIGN(auto rendered, load());
  // The cell this config is for gets its gateway token and proxy key with its first config.
  WINSTON_TRY(cell_secrets(actor, rendered.first.id));
  return store(actor, rendered.first, std::move(rendered.second), "config.generate",
               reason.empty() ? "generate" : std::string(reason), {});
}

Result<Page<storage::configs::SnapshotRow>> ConfigService::list(std::string_view tenant, std::int64_t limit,
                                                                std::int64_t offset) {
  WINSTON_TRY(validate_page(limit, offset));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  Page<storage::configs::SnapshotRow> page;
  WINSTON_TRY_ASSIGN(page.items, storage::configs::list(*conn, t.id, limit, offset));
  WINSTON_TRY_ASSIGN(page.total, storage::configs::count(*conn, t.id));
  page.limit = limit;
  page.offset = offset;
  return page;
}

Result<Snapshot> ConfigService::get(const Actor& actor, std::string_view tenant, std::int64_t version) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  WINSTON_TRY_ASSIGN(auto row, storage::configs::get(*conn, t.id, version));
  if (!row) return Error::not_found(fmt::format("tenant {} has no config version {}", t.slug, version));
  WINSTON_TRY(audit(*conn, actor, t, "config.view", "config:" + std::to_string(version), {}, clock_.now_ms()));
  WINSTON_TRY(tx.commit());
  return to_snapshot(std::move(*row));
}

Result<std::vector<agent::FileDiff>> ConfigService::diff(const Actor& actor, std::string_view tenant, std::int64_t from,
                                                         std::int64_t to) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  WINSTON_TRY_ASSIGN(auto a, storage::configs::get(*conn, t.id, from));
  WINSTON_TRY_ASSIGN(auto b, storage::configs::get(*conn, t.id, to));
  for (const auto& [row, v] : {std::pair{&a, from}, std::pair{&b, to}}) {
    if (!*row) return Error::not_found(fmt::format("tenant {} has no config version {}", t.slug, v));
  }
  WINSTON_TRY(audit(*conn, actor, t, "config.diff", fmt::format("config:{}..{}", from, to), {}, clock_.now_ms()));
  WINSTON_TRY(tx.commit());
  WINSTON_TRY_ASSIGN(const auto files_a, agent::files_from_json(a->files_json));
  WINSTON_TRY_ASSIGN(const auto files_b, agent::files_from_json(b->files_json));
  return agent::diff_files(files_a, files_b, fmt::format("v{}", from), fmt::format("v{}", to));
}

Result<GenerateOutcome> ConfigService::rollback(const Actor& actor, std::string_view tenant, std::int64_t version) {
  const auto load = [&]() -> Result<std::pair<Tenant, Rendered>> {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(Tenant t, storage::tenants::require(*conn, tenant));
    WINSTON_TRY_ASSIGN(auto row, storage::configs::get(*conn, t.id, version));
    if (!row) return Error::not_found(fmt::format("tenant {} has no config version {}", t.slug, version));
    WINSTON_TRY_ASSIGN(auto files, agent::files_from_json(row->files_json));
    // The old files come back with the warnings they were made with.
    return std::pair{std::move(t), Rendered{std::move(files), agent::warnings_from_json(row->warnings_json)}};
  };
  WINSTON_TRY_ASSIGN(auto old, load());
  return store(actor, old.first, std::move(old.second), "config.rollback", fmt::format("rollback to version {}", version),
               {{"rolled_back_to", version}});
}

Result<std::optional<Snapshot>> ConfigService::latest(std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto row, storage::configs::latest(*conn, tenant_id));
  if (!row) return std::optional<Snapshot>{};
  WINSTON_TRY_ASSIGN(auto snapshot, to_snapshot(std::move(*row)));
  return std::optional<Snapshot>{std::move(snapshot)};
}

Result<bool> ConfigService::has_profile(std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const auto profile, storage::profiles::latest(*conn, tenant_id));
  return profile.has_value();
}

Result<std::vector<SkillState>> ConfigService::skills(std::string_view tenant) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  return skill_states(*conn, t);
}

Result<std::vector<SkillState>> ConfigService::set_skill(const Actor& actor, std::string_view tenant,
                                                         std::string_view skill, bool enabled) {
  if (assets_.skill(skill) == nullptr) return Error::not_found(fmt::format("no skill named '{}'", skill));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(const Tenant t, storage::tenants::require(*conn, tenant));
  const auto now = clock_.now_ms();
  WINSTON_TRY(storage::skills::set(*conn, new_uuid_v7(now), t.id, skill, enabled, now));
  WINSTON_TRY(audit(*conn, actor, t, enabled ? "skill.enable" : "skill.disable", "skill:" + std::string(skill), {}, now));
  WINSTON_TRY(tx.commit());
  return skill_states(*conn, t);
}

Result<std::string> ConfigService::ensure_secret(const Tenant& t, std::string_view name,
                                                 const std::function<Result<std::string>()>& make) {
  const std::string context = secret_context(t.id, name);
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto sealed, storage::secrets::get(*conn, t.id, name));
  if (sealed) return secrets_.open(*sealed, context);
  WINSTON_TRY_ASSIGN(std::string value, make());
  const auto now = clock_.now_ms();
  WINSTON_TRY_ASSIGN(const bool inserted, storage::secrets::insert_if_absent(*conn, new_uuid_v7(now), t.id, name,
                                                                             secrets_.seal(value, context), now));
  if (inserted) return value;
  WINSTON_TRY_ASSIGN(sealed, storage::secrets::get(*conn, t.id, name));  // a concurrent caller won; use theirs
  if (!sealed) return Error::internal("a tenant secret vanished while being created");
  return secrets_.open(*sealed, context);
}

Result<std::string> ConfigService::reissue_if_revoked(const Actor& actor, const Tenant& t, std::string current) {
  auto who = keys_.authenticate(current);
  if (who.ok() || who.error().code != ErrorCode::kUnauthenticated) return current;
  // Issued before the transaction: SQLite's write lock is held from BEGIN on.
  WINSTON_TRY_ASSIGN(const auto fresh, keys_.create(actor, t.id, "cell"));
  const std::string context = secret_context(t.id, kCellApiKey);
  const auto swap_in = [&]() -> Result<std::string> {
    const auto now = clock_.now_ms();
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
    WINSTON_TRY(storage::tenants::lock(*conn, t.id));  // one re-issue at a time
    WINSTON_TRY_ASSIGN(const auto sealed, storage::secrets::get(*conn, t.id, kCellApiKey));
    if (!sealed) return Error::internal("the cell key vanished while being re-issued");
    WINSTON_TRY_ASSIGN(std::string stored, secrets_.open(*sealed, context));
    if (stored != current) return stored;  // a concurrent caller re-issued it already
    WINSTON_TRY(storage::secrets::replace(*conn, t.id, kCellApiKey, secrets_.seal(fresh.secret, context), now));
    WINSTON_TRY(audit(*conn, actor, t, "cell.key_reissued", "key:" + fresh.meta.id, {{"reason", "revoked"}}, now));
    WINSTON_TRY(tx.commit());
    return fresh.secret;
  };
  WINSTON_TRY_ASSIGN(std::string key, swap_in());
  if (key != fresh.secret) WINSTON_TRY(keys_.revoke(actor, t.id, fresh.meta.id));  // ours went unused
  return key;
}

Result<CellSecrets> ConfigService::cell_secrets(const Actor& actor, std::string_view tenant) {
  const auto load = [&]() -> Result<Tenant> {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    return storage::tenants::require(*conn, tenant);
  };
  WINSTON_TRY_ASSIGN(const Tenant t, load());
  if (t.is_system) return Error{ErrorCode::kForbidden, "the system tenant has no cell", {}};
  CellSecrets out;
  const auto new_token = [] { return Result<std::string>(random_hex(32)); };
  WINSTON_TRY_ASSIGN(out.gateway_token, ensure_secret(t, kGatewayToken, new_token));
  std::optional<IssuedKey> issued;
  const auto new_key = [&]() -> Result<std::string> {
    WINSTON_TRY_ASSIGN(issued, keys_.create(actor, t.id, "cell"));
    return issued->secret;
  };
  WINSTON_TRY_ASSIGN(out.api_key, ensure_secret(t, kCellApiKey, new_key));
  if (issued && issued->secret != out.api_key) {
    WINSTON_TRY(keys_.revoke(actor, t.id, issued->meta.id));  // a concurrent caller's key was stored; ours is unused
  }
  if (!issued) {
    WINSTON_TRY_ASSIGN(out.api_key, reissue_if_revoked(actor, t, std::move(out.api_key)));
  }
  return out;
}

Result<std::string> ConfigService::gateway_token(std::string_view tenant_id) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const auto sealed, storage::secrets::get(*conn, tenant_id, kGatewayToken));
  if (!sealed) return Error::conflict("the tenant's cell has no gateway token yet; generate its config first");
  return secrets_.open(*sealed, secret_context(tenant_id, kGatewayToken));
}

Result<std::string> ConfigService::system_api_key() {
  const auto load = [&]() -> Result<Tenant> {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    return storage::tenants::require(*conn, kSystemTenantId);
  };
  WINSTON_TRY_ASSIGN(const Tenant system, load());
  const Actor actor{"system", std::nullopt};
  const auto new_key = [&]() -> Result<std::string> {
    WINSTON_TRY_ASSIGN(auto issued, keys_.create(actor, system.id, "analyzer"));
    return std::move(issued.secret);
  };
  return ensure_secret(system, kAnalyzerApiKey, new_key);
}

}  // namespace winston::services
