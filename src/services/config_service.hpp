#pragma once
// A tenant's agent configuration as versioned snapshots: generate (a new
// version only when the content changed), list, show, diff, roll back, and
// the per-tenant skill choices. Also owns the secrets a cell needs in clear
// (gateway token, proxy key), sealed at rest, never part of a snapshot.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/assets.hpp"
#include "agent/config_generator.hpp"
#include "agent/snapshot.hpp"
#include "core/catalog.hpp"
#include "core/clock.hpp"
#include "core/secret_box.hpp"
#include "services/key_service.hpp"
#include "services/tenant_service.hpp"
#include "storage/config_repository.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct ConfigOptions {
  agent::CellSettings cell;                    // an empty cell.proxy_url is filled from `own_proxy_url`
  std::function<std::string()> own_proxy_url;  // this process's proxy, known once it listens
  std::map<std::string, std::string, std::less<>> default_models;  // tier -> model id; else the tier's first model
  std::vector<std::string> default_skills = {"inventory-lookup", "sales-summary", "social-media"};
};

struct Snapshot {
  storage::configs::SnapshotRow meta;  // meta.warnings_json: what a partial profile left out
  agent::ConfigFiles files;
};

struct GenerateOutcome {
  Snapshot snapshot;
  bool created = false;  // false: the content equals the latest version, which is returned
};

struct SkillState {
  std::string name;
  std::string description;
  bool enabled = false;
  bool is_default = false;  // no per-tenant choice recorded; follows the deployment default
};

/// What a cell is started with; plaintext, never logged or stored unsealed.
struct CellSecrets {
  std::string gateway_token;  // 256 random bits, hex
  std::string api_key;        // the cell's own proxy key (wsk_…)
};

class ConfigService {
 public:
  ConfigService(storage::Database& db, const Clock& clock, const Catalog& catalog, const agent::AgentAssets& assets,
                const SecretBox& secrets, KeyService& keys, ConfigOptions options);

  /// Also creates the tenant's cell secrets on first use.
  Result<GenerateOutcome> generate(const Actor& actor, std::string_view tenant, std::string_view reason);
  Result<Page<storage::configs::SnapshotRow>> list(std::string_view tenant, std::int64_t limit, std::int64_t offset);
  /// Audited as config.view: the files describe the tenant's agent.
  Result<Snapshot> get(const Actor& actor, std::string_view tenant, std::int64_t version);
  Result<std::vector<agent::FileDiff>> diff(const Actor& actor, std::string_view tenant, std::int64_t from,
                                            std::int64_t to);
  /// A new version whose files equal `version`'s (or the latest, unchanged, when they already do).
  Result<GenerateOutcome> rollback(const Actor& actor, std::string_view tenant, std::int64_t version);
  /// The tenant's newest snapshot with its files, if it has one. Not audited:
  /// for the reconciler, which deploys it, not for showing it to a person.
  Result<std::optional<Snapshot>> latest(std::string_view tenant_id);
  /// Whether the tenant has a business profile to generate from (onboarding analyses its website when not).
  Result<bool> has_profile(std::string_view tenant_id);

  Result<std::vector<SkillState>> skills(std::string_view tenant);
  Result<std::vector<SkillState>> set_skill(const Actor& actor, std::string_view tenant, std::string_view skill,
                                            bool enabled);

  /// The cell's gateway token and proxy key, created on first use. A cell key
  /// an operator revoked is replaced by a new one (audited as cell.key_reissued),
  /// which the cell gets at its next start or deploy.
  Result<CellSecrets> cell_secrets(const Actor& actor, std::string_view tenant);

  /// The gateway token of a tenant whose cell was configured, read only (never
  /// created here): for relaying the operator's messages to its gateway.
  Result<std::string> gateway_token(std::string_view tenant_id);

  /// The system tenant's own proxy key, for Winston's internal LLM calls (the website analyzer).
  Result<std::string> system_api_key();

  const agent::AgentAssets& assets() const { return assets_; }

 private:
  struct Rendered {
    agent::ConfigFiles files;
    std::vector<agent::ConfigWarning> warnings;
  };
  Result<Rendered> render(storage::Connection& c, const Tenant& t);
  Result<GenerateOutcome> store(const Actor& actor, const Tenant& t, Rendered config, std::string_view action,
                                std::string reason, boost::json::object details);
  Result<std::vector<SkillState>> skill_states(storage::Connection& c, const Tenant& t);
  Result<std::string> reissue_if_revoked(const Actor& actor, const Tenant& t, std::string current);
  Result<std::string> ensure_secret(const Tenant& t, std::string_view name,
                                    const std::function<Result<std::string>()>& make);

  storage::Database& db_;
  const Clock& clock_;
  const Catalog& catalog_;
  const agent::AgentAssets& assets_;
  const SecretBox& secrets_;
  KeyService& keys_;
  ConfigOptions options_;
};

}  // namespace winston::services
