#include "services/reconciler.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "agent/snapshot.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/config_repository.hpp"
#include "storage/instance_repository.hpp"
#include "storage/profile_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace inst = storage::instances;
namespace st = cell_state;
using services::Phase;

namespace {

const Actor kActor{"reconciler", std::nullopt};
constexpr std::size_t kMaxMessage = 1000;

std::string clip(std::string s) {
  if (s.size() > kMaxMessage) {
    s.resize(kMaxMessage);
    s += "…";
  }
  return s;
}

json::object parse_ids(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

bool no_resources(const inst::InstanceRow& row) { return parse_ids(row.external_ids).empty(); }

EpochMs jittered(std::chrono::milliseconds base, std::chrono::milliseconds max, std::int64_t attempts) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto exp = std::min<std::int64_t>(attempts - 1, 20);
  const auto full = std::min<std::int64_t>(base.count() << std::max<std::int64_t>(exp, 0), max.count());
  std::uniform_int_distribution<std::int64_t> half(full / 2, full);
  return half(rng);
}

/// Everything one pass learns and changes; written back in one transaction.
struct Pass {
  inst::InstanceRow row;
  std::vector<std::pair<std::string, std::string>> transitions;  // from, to: every state the pass went through
  std::vector<std::pair<std::string, std::string>> notes;  // step, message
  std::optional<std::string> error_event;
};

/// The backends' Recorder: ids are persisted at once, under the lease.
class PassRecorder final : public services::Recorder {
 public:
  PassRecorder(storage::Database& db, Pass& pass, const std::string& owner,
               const std::function<void(std::string_view)>& hook)
      : db_(db), pass_(pass), owner_(owner), hook_(hook) {}
  Status save(const services::ExternalIds& ids) override {
    if (hook_) hook_("save");
    pass_.row.external_ids = json::serialize(ids);
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(const bool held, inst::save_progress(*conn, pass_.row, owner_, false));
    if (!held) return Error::conflict("the instance's lease was lost");
    return {};
  }
  void note(std::string_view step, std::string_view message) override {
    pass_.notes.emplace_back(std::string(step), clip(std::string(message)));
  }

 private:
  storage::Database& db_;
  Pass& pass_;
  const std::string& owner_;
  const std::function<void(std::string_view)>& hook_;
};

}  // namespace

Reconciler::Reconciler(storage::Database& db, const Clock& clock, TenantService& tenants, ConfigService& configs,
                       AnalyzerService* analyzer, std::map<std::string, services::Provisioner*, std::less<>> backends,
                       ReconcilerOptions options)
    : db_(db),
      clock_(clock),
      tenants_(tenants),
      configs_(configs),
      analyzer_(analyzer),
      backends_(std::move(backends)),
      options_(std::move(options)),
      owner_(options_.owner_prefix + random_hex(8)) {}

Reconciler::~Reconciler() { stop(); }

Status Reconciler::start() {
  WINSTON_TRY(recover());
  started_ = true;
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { loop(); });
  log::info("cells.reconciler_started", {{"owner", owner_}, {"threads", threads_.size()}});
  return {};
}

Status Reconciler::recover() {
  for (auto& [name, backend] : backends_) {
    if (auto s = backend->recover(); !s.ok()) {
      log::warn("cells.recover_failed", {{"backend", name}, {"error", s.error().message}});
    }
  }
  {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(const auto freed, inst::release_stale(*conn, options_.owner_prefix));
    if (freed > 0) log::info("cells.leases_freed", {{"count", freed}, {"owner_prefix", options_.owner_prefix}});
  }
  return {};
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (started_) {
    for (auto& [_, backend] : backends_) backend->shutdown();
  }
}

void Reconciler::loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto handled = run_once();
    if (!handled.ok()) log::warn("cells.pass_failed", {{"error", handled.error().message}});
    if (handled.ok() && *handled > 0) continue;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.idle_sleep, [this] { return stopping_; });
  }
}

Result<int> Reconciler::run_once() {
  std::vector<std::string> ids;
  {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(ids, inst::due(*conn, clock_.now_ms(), 16));
  }
  int handled = 0;
  for (const auto& id : ids) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    try {
      auto s = reconcile(id);
      if (!s.ok()) log::warn("cells.reconcile_failed", {{"instance_id", id}, {"error", s.error().message}});
      ++handled;
    } catch (const std::exception& e) {
      // The lease is left to expire: nothing after the failure point was written.
      log::error("cells.reconcile_crashed", {{"instance_id", id}, {"error", e.what()}});
      if (options_.before_step) throw;  // tests simulate a dying worker
    }
  }
  return handled;
}

Status Reconciler::reconcile(const std::string& id) {
  const auto hook = [this](std::string_view step) {
    if (options_.before_step) options_.before_step(step);
  };
  const EpochMs started = clock_.now_ms();
  Pass pass;
  {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(const bool claimed, inst::claim(*conn, id, owner_, started, started + options_.lease_ttl.count()));
    if (!claimed) return {};  // another worker has it
    WINSTON_TRY_ASSIGN(auto row, inst::get(*conn, id));
    if (!row) return {};
    pass.row = std::move(*row);
  }
  auto& row = pass.row;
  // Every state the pass goes through is recorded, not only the last one.
  const auto move = [&](std::string_view state) {
    if (row.actual_state == state) return;
    pass.transitions.emplace_back(row.actual_state, std::string(state));
    row.actual_state = std::string(state);
  };
  PassRecorder recorder(db_, pass, owner_, options_.before_step);

  // Outcome handlers; each sets the fields the final write stores.
  const auto settle = [&](std::string_view state, std::optional<EpochMs> next) {
    move(state);
    row.attempts = 0;
    row.last_error.reset();
    row.next_attempt_at = next;
  };
  const auto fail = [&](std::string message) {
    message = clip(std::move(message));
    row.attempts += 1;
    row.last_error = message;
    pass.error_event = message;
    const EpochMs now = clock_.now_ms();
    if (row.attempts >= options_.max_attempts) {
      move(st::kFailed);
      row.next_attempt_at.reset();
      row.step = "failed: " + row.step;
      return;
    }
    if (row.actual_state == st::kRunning) move(st::kDegraded);
    row.next_attempt_at = now + jittered(options_.backoff_base, options_.backoff_max, row.attempts);
  };

  const auto backend_it = backends_.find(row.backend);
  WINSTON_TRY_ASSIGN(const auto tenant, [&]() -> Result<std::optional<Tenant>> {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    return storage::tenants::find(*conn, row.tenant_id);
  }());
  if (!tenant) return {};  // deleted under us; the row went with it
  const bool purge_after = row.delete_tenant;
  bool purge_now = false;

  services::CellSpec spec;
  spec.instance_id = row.id;
  spec.tenant_id = row.tenant_id;
  spec.tenant_slug = tenant->slug;
  auto ids = parse_ids(row.external_ids);

  // Due again after the poll interval, or when the platform asked (a 429's Retry-After).
  const auto recheck = [&](const services::Observation& obs) {
    const auto wait = obs.recheck_after.count() > 0 ? obs.recheck_after : options_.poll_interval;
    row.next_attempt_at = clock_.now_ms() + wait.count();
  };
  // Stopping and deleting share one shape: one backend call, then done, waiting or failed. True when done.
  const auto wind_down = [&](std::string_view during, std::string_view step, std::string_view hook_name, Phase done,
                             std::string_view done_state, const std::function<Result<services::Observation>()>& call) {
    move(during);
    row.step = std::string(step);
    hook(hook_name);
    auto obs = call();
    row.external_ids = json::serialize(ids);
    if (!obs.ok()) {
      fail(obs.error().message);
    } else if (obs->phase == done) {
      settle(done_state, std::nullopt);
      return true;
    } else if (obs->phase == Phase::kFailed) {
      fail(obs->message);
    } else {
      recheck(*obs);
    }
    return false;
  };

  if (backend_it == backends_.end()) {
    fail(fmt::format("the {} backend is not configured on this Winston", row.backend));
  } else if (row.desired_state == st::kRunning) {
    auto& backend = *backend_it->second;
    const auto prepare = [&]() -> Status {
      // Onboarding: a tenant without a config is analysed and configured first.
      std::optional<storage::configs::SnapshotRow> latest;
      {
        WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
        WINSTON_TRY_ASSIGN(latest, storage::configs::latest(*conn, row.tenant_id));
      }
      if (!latest) {
        bool has_profile = false;
        {
          WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
          WINSTON_TRY_ASSIGN(const auto profile, storage::profiles::latest(*conn, row.tenant_id));
          has_profile = profile.has_value();
        }
        if (!has_profile && analyzer_ != nullptr && !tenant->website_url.empty()) {
          row.step = "analyze";
          hook("analyze");
          auto profile = analyzer_->analyze(kActor, row.tenant_id, std::nullopt);
          if (profile.ok()) {
            recorder.note("analyze", fmt::format("business profile v{} from {} ({})", profile->version,
                                                 profile->source_url, profile->source));
          } else {
            recorder.note("analyze", "website analysis failed, configuring without a profile: " +
                                         profile.error().message);
          }
        }
        row.step = "configure";
        hook("configure");
        WINSTON_TRY_ASSIGN(auto generated, configs_.generate(kActor, row.tenant_id, "onboarding"));
        recorder.note("configure", fmt::format("config v{} generated", generated.snapshot.meta.version));
        WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
        WINSTON_TRY_ASSIGN(latest, storage::configs::latest(*conn, row.tenant_id));
        if (!latest) return Error::internal("the generated config is missing");
      }
      spec.snapshot_version = latest->version;
      WINSTON_TRY_ASSIGN(spec.files, agent::files_from_json(latest->files_json));
      WINSTON_TRY_ASSIGN(const auto secrets, configs_.cell_secrets(kActor, row.tenant_id));
      spec.gateway_token = secrets.gateway_token;
      spec.api_key = secrets.api_key;
      spec.proxy_url = options_.proxy_url ? options_.proxy_url() : std::string();
      return {};
    };
    if (auto s = prepare(); !s.ok()) {
      fail(row.step + ": " + s.error().message);
    } else {
      if (row.actual_state != st::kRunning && row.actual_state != st::kDegraded) move(st::kProvisioning);
      const bool new_version = !row.snapshot_version || *row.snapshot_version != spec.snapshot_version;
      row.step = new_version ? fmt::format("deploy v{}", spec.snapshot_version) : "watch";
      hook("ensure_running");
      auto obs = backend.ensure_running(spec, ids, recorder);
      row.external_ids = json::serialize(ids);
      if (!obs.ok()) {
        fail(obs.error().message);
      } else if (obs->phase == Phase::kReady) {
        if (row.actual_state != st::kRunning) row.ready_at = clock_.now_ms();
        settle(st::kRunning, clock_.now_ms() + options_.health_interval.count());
        row.url = obs->url.empty() ? row.url : std::optional<std::string>(obs->url);
        row.snapshot_version = obs->deployed_version != 0 ? obs->deployed_version : spec.snapshot_version;
        row.step = fmt::format("running v{}", *row.snapshot_version);
      } else if (obs->phase == Phase::kFailed) {
        fail(obs->message.empty() ? "the cell failed" : obs->message);
      } else {
        if (row.actual_state == st::kRunning) move(new_version ? st::kProvisioning : st::kDegraded);
        if (!obs->url.empty()) row.url = obs->url;
        if (!obs->message.empty()) row.step += ": " + clip(obs->message);
        recheck(*obs);
      }
    }
  } else if (row.desired_state == st::kStopped) {
    if (row.actual_state == st::kStopped) {
      row.next_attempt_at.reset();
    } else if (row.actual_state == st::kPending && no_resources(row)) {
      settle(st::kStopped, std::nullopt);
    } else if (wind_down(st::kStopping, "stop", "ensure_stopped", Phase::kStopped, st::kStopped,
                         [&] { return backend_it->second->ensure_stopped(spec, ids, recorder); })) {
      row.step = "stopped";
    }
  } else {  // deleted
    bool gone = row.actual_state == st::kDeleted || (row.actual_state == st::kPending && no_resources(row));
    if (gone) {
      settle(st::kDeleted, std::nullopt);
    } else if (wind_down(st::kDeleting, "delete", "ensure_deleted", Phase::kGone, st::kDeleted,
                         [&] { return backend_it->second->ensure_deleted(spec, ids, recorder); })) {
      gone = true;
      row.step = "deleted";
      row.external_ids = "{}";
      row.url.reset();
      row.snapshot_version.reset();
    }
    purge_now = gone && purge_after;
  }

  hook("save");
  const EpochMs now = clock_.now_ms();
  {
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
    for (const auto& [step, message] : pass.notes) {
      WINSTON_TRY(record_cell_event(*conn, kActor, row, "step", std::nullopt, std::nullopt, step + ": " + message, now));
    }
    if (pass.error_event) {
      WINSTON_TRY(record_cell_event(*conn, kActor, row, "error", std::nullopt, std::nullopt,
                                    fmt::format("attempt {}: {}", row.attempts, *pass.error_event), now));
    }
    for (const auto& [from, to] : pass.transitions) {
      WINSTON_TRY(record_cell_event(*conn, kActor, row, "transition", from, to, row.step, now));
      log::info("cells.transition", {{"instance_id", row.id},
                                     {"tenant_id", row.tenant_id},
                                     {"backend", row.backend},
                                     {"from", from},
                                     {"to", to},
                                     {"step", row.step}});
    }
    WINSTON_TRY_ASSIGN(const bool held, inst::save_progress(*conn, row, owner_, true));
    if (!held) return Error::conflict("the instance's lease was lost; its pass is discarded");
    WINSTON_TRY(tx.commit());
  }
  if (purge_now) WINSTON_TRY(tenants_.purge(kActor, row.tenant_id));
  return {};
}

}  // namespace winston::services
