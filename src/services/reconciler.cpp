#include "services/reconciler.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/instance_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace inst = storage::instances;
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

bool no_resources(const CellInstance& row) { return parse_ids(row.external_ids).empty(); }

EpochMs jittered(std::chrono::milliseconds base, std::chrono::milliseconds max, std::int64_t attempts) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto exp = std::min<std::int64_t>(attempts - 1, 20);
  const auto full = std::min<std::int64_t>(base.count() << std::max<std::int64_t>(exp, 0), max.count());
  std::uniform_int_distribution<std::int64_t> half(full / 2, full);
  return half(rng);
}

}  // namespace

/// Everything one pass learns and changes; written back in one transaction.
struct CellPass {
  CellInstance row;
  Tenant tenant;
  services::CellSpec spec;
  services::ExternalIds ids;  // the backend's, saved with the row
  std::vector<std::pair<CellState, CellState>> transitions;  // from, to: every state the pass went through
  std::vector<std::pair<std::string, std::string>> notes;    // step, message
  std::optional<std::string> error_event;
  bool purge_now = false;      // the cell is gone and the tenant goes with it
  std::optional<Error> abort;  // the test hook killed the worker: nothing more is written

  // Every state the pass goes through is recorded, not only the last one.
  void enter(CellState state) {
    if (row.actual_state == state) return;
    transitions.emplace_back(row.actual_state, state);
    row.actual_state = state;
  }
};

struct Reconciler::WindDown {
  CellState during;
  std::string_view step;  // the row's step while it winds down
  std::string_view hook;  // the test hook's name for the backend call
  Phase done;
  CellState done_state;
  Result<services::Observation> (services::Provisioner::*call)(const services::CellSpec&, services::ExternalIds&, services::Recorder&);
};

namespace {

/// The backends' Recorder: ids are persisted at once, under the lease.
class PassRecorder final : public services::Recorder {
 public:
  using Checkpoint = std::function<Status(std::string_view)>;
  PassRecorder(storage::Database& db, CellPass& pass, const std::string& owner, Checkpoint checkpoint)
      : db_(db), pass_(pass), owner_(owner), checkpoint_(std::move(checkpoint)) {}
  Status save(const services::ExternalIds& ids) override {
    WINSTON_TRY(checkpoint_("save"));
    pass_.row.external_ids = json::serialize(ids);
    WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
    WINSTON_TRY_ASSIGN(const bool held, inst::save_progress(*conn, pass_.row, owner_, inst::Lease::kKeep));
    if (!held) return Error::conflict("the instance's lease was lost");
    return {};
  }
  void note(std::string_view step, std::string_view message) override {
    pass_.notes.emplace_back(std::string(step), clip(std::string(message)));
  }

 private:
  storage::Database& db_;
  CellPass& pass_;
  const std::string& owner_;
  Checkpoint checkpoint_;
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
    CellPass pass;
    try {
      auto s = reconcile(id, pass);
      if (pass.abort) return *pass.abort;  // a killed worker starts no other pass
      if (!s.ok()) log::warn("cells.reconcile_failed", {{"instance_id", id}, {"error", s.error().message}});
      ++handled;
    } catch (const std::exception& e) {
      // A bug; the lease is left to expire: nothing after the failure point was written.
      log::error("cells.reconcile_crashed", {{"instance_id", id}, {"error", e.what()}});
    }
  }
  return handled;
}

Status Reconciler::reconcile(const std::string& id, CellPass& pass) {
  WINSTON_TRY_ASSIGN(const bool loaded, load(id, pass));
  if (!loaded) return {};
  PassRecorder recorder(db_, pass, owner_, [this, &pass](std::string_view step) { return checkpoint(pass, step); });
  const auto backend = backends_.find(pass.row.backend);
  if (backend == backends_.end()) {
    fail(pass, fmt::format("the {} backend is not configured on this Winston", pass.row.backend));
  } else {
    // Only the test hook's abort comes back as an error: every other failure is recorded on the row.
    switch (pass.row.desired_state) {
      case DesiredState::kRunning: WINSTON_TRY(drive_running(pass, *backend->second, recorder)); break;
      case DesiredState::kStopped: WINSTON_TRY(drive_stopped(pass, *backend->second, recorder)); break;
      case DesiredState::kDeleted: WINSTON_TRY(drive_deleted(pass, *backend->second, recorder)); break;
    }
  }
  WINSTON_TRY(checkpoint(pass, "save"));
  WINSTON_TRY(save(pass));
  if (pass.purge_now) WINSTON_TRY(tenants_.purge(kActor, pass.row.tenant_id));
  return {};
}

Result<bool> Reconciler::load(const std::string& id, CellPass& pass) {
  const EpochMs started = clock_.now_ms();
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(const bool claimed, inst::claim(*conn, id, owner_, started, started + options_.lease_ttl.count()));
  if (!claimed) return false;  // another worker has it
  WINSTON_TRY_ASSIGN(auto row, inst::get(*conn, id));
  if (!row) return false;
  WINSTON_TRY_ASSIGN(auto tenant, storage::tenants::find(*conn, row->tenant_id));
  if (!tenant) return false;  // deleted under us; the row went with it
  pass.row = std::move(*row);
  pass.tenant = std::move(*tenant);
  pass.spec.instance_id = pass.row.id;
  pass.spec.tenant_id = pass.row.tenant_id;
  pass.spec.tenant_slug = pass.tenant.slug;
  pass.ids = parse_ids(pass.row.external_ids);
  return true;
}

Status Reconciler::checkpoint(CellPass& pass, std::string_view step) {
  if (!options_.before_step) return {};
  auto verdict = options_.before_step(step);
  if (!verdict.ok()) pass.abort = verdict.error();
  return verdict;
}

Status Reconciler::drive_running(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder) {
  auto& row = pass.row;
  if (auto prepared = prepare(pass, recorder); !prepared.ok()) {
    if (pass.abort) return prepared;
    fail(pass, row.step + ": " + prepared.error().message);
    return {};
  }
  if (row.actual_state != CellState::kRunning && row.actual_state != CellState::kDegraded) {
    pass.enter(CellState::kProvisioning);
  }
  const bool new_version = !row.snapshot_version || *row.snapshot_version != pass.spec.snapshot_version;
  row.step = new_version ? fmt::format("deploy v{}", pass.spec.snapshot_version) : "watch";
  WINSTON_TRY(checkpoint(pass, "ensure_running"));
  auto obs = backend.ensure_running(pass.spec, pass.ids, recorder);
  if (pass.abort) return *pass.abort;  // killed at a save inside the backend
  row.external_ids = json::serialize(pass.ids);
  if (obs.ok()) {
    observe_running(pass, *obs, new_version);
  } else {
    fail(pass, obs.error().message);
  }
  return {};
}

Status Reconciler::prepare(CellPass& pass, services::Recorder& recorder) {
  WINSTON_TRY_ASSIGN(auto latest, configs_.latest(pass.row.tenant_id));
  if (!latest) {
    WINSTON_TRY(onboard(pass, recorder));
    WINSTON_TRY_ASSIGN(latest, configs_.latest(pass.row.tenant_id));
    if (!latest) return Error::internal("the generated config is missing");
  }
  pass.spec.snapshot_version = latest->meta.version;
  pass.spec.files = std::move(latest->files);
  WINSTON_TRY_ASSIGN(const auto secrets, configs_.cell_secrets(kActor, pass.row.tenant_id));
  pass.spec.gateway_token = secrets.gateway_token;
  pass.spec.api_key = secrets.api_key;
  pass.spec.proxy_url = options_.proxy_url ? options_.proxy_url() : std::string();
  return {};
}

Status Reconciler::onboard(CellPass& pass, services::Recorder& recorder) {
  auto& row = pass.row;
  WINSTON_TRY_ASSIGN(const bool has_profile, configs_.has_profile(row.tenant_id));
  // A failed analysis does not stop onboarding: the config is generated without a profile.
  if (!has_profile && analyzer_ != nullptr && !pass.tenant.website_url.empty()) {
    row.step = "analyze";
    WINSTON_TRY(checkpoint(pass, "analyze"));
    auto profile = analyzer_->analyze(kActor, row.tenant_id, std::nullopt);
    if (profile.ok()) {
      recorder.note("analyze", fmt::format("business profile v{} from {} ({})", profile->version,
                                           profile->source_url, profile->source));
    } else {
      recorder.note("analyze", "website analysis failed, configuring without a profile: " + profile.error().message);
    }
  }
  row.step = "configure";
  WINSTON_TRY(checkpoint(pass, "configure"));
  WINSTON_TRY_ASSIGN(auto generated, configs_.generate(kActor, row.tenant_id, "onboarding"));
  recorder.note("configure", fmt::format("config v{} generated", generated.snapshot.meta.version));
  return {};
}

void Reconciler::observe_running(CellPass& pass, const services::Observation& obs, bool new_version) {
  auto& row = pass.row;
  if (obs.phase == Phase::kReady) {
    if (row.actual_state != CellState::kRunning) row.ready_at = clock_.now_ms();
    settle(pass, CellState::kRunning, clock_.now_ms() + options_.health_interval.count());
    if (!obs.url.empty()) row.url = obs.url;
    row.snapshot_version = obs.deployed_version != 0 ? obs.deployed_version : pass.spec.snapshot_version;
    row.step = fmt::format("running v{}", *row.snapshot_version);
  } else if (obs.phase == Phase::kFailed) {
    fail(pass, obs.message.empty() ? "the cell failed" : obs.message);
  } else {
    // Deploying a new version again is provisioning; a running version that stopped answering is degraded.
    if (row.actual_state == CellState::kRunning) {
      pass.enter(new_version ? CellState::kProvisioning : CellState::kDegraded);
    }
    if (!obs.url.empty()) row.url = obs.url;
    if (!obs.message.empty()) row.step += ": " + clip(obs.message);
    recheck(pass, obs);
  }
}

Status Reconciler::drive_stopped(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder) {
  auto& row = pass.row;
  if (row.actual_state == CellState::kStopped) {
    row.next_attempt_at.reset();
    return {};
  }
  if (row.actual_state == CellState::kPending && no_resources(row)) {
    settle(pass, CellState::kStopped, std::nullopt);
    return {};
  }
  const WindDown how{.during = CellState::kStopping,
                     .step = "stop",
                     .hook = "ensure_stopped",
                     .done = Phase::kStopped,
                     .done_state = CellState::kStopped,
                     .call = &services::Provisioner::ensure_stopped};
  WINSTON_TRY_ASSIGN(const bool done, wind_down(pass, backend, recorder, how));
  if (done) row.step = "stopped";
  return {};
}

Status Reconciler::drive_deleted(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder) {
  auto& row = pass.row;
  // A cell that never got a resource has nothing to remove.
  bool gone = row.actual_state == CellState::kDeleted || (row.actual_state == CellState::kPending && no_resources(row));
  if (gone) {
    settle(pass, CellState::kDeleted, std::nullopt);
  } else {
    const WindDown how{.during = CellState::kDeleting,
                       .step = "delete",
                       .hook = "ensure_deleted",
                       .done = Phase::kGone,
                       .done_state = CellState::kDeleted,
                       .call = &services::Provisioner::ensure_deleted};
    WINSTON_TRY_ASSIGN(gone, wind_down(pass, backend, recorder, how));
    if (gone) {
      row.step = "deleted";
      row.external_ids = "{}";
      row.url.reset();
      row.snapshot_version.reset();
    }
  }
  pass.purge_now = gone && row.delete_tenant;
  return {};
}

Result<bool> Reconciler::wind_down(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder,
                                   const WindDown& how) {
  auto& row = pass.row;
  pass.enter(how.during);
  row.step = std::string(how.step);
  WINSTON_TRY(checkpoint(pass, how.hook));
  auto obs = (backend.*how.call)(pass.spec, pass.ids, recorder);
  if (pass.abort) return *pass.abort;  // killed at a save inside the backend
  row.external_ids = json::serialize(pass.ids);
  if (!obs.ok()) {
    fail(pass, obs.error().message);
    return false;
  }
  if (obs->phase == how.done) {
    settle(pass, how.done_state, std::nullopt);
    return true;
  }
  if (obs->phase == Phase::kFailed) {
    fail(pass, obs->message);
  } else {
    recheck(pass, *obs);
  }
  return false;
}

void Reconciler::settle(CellPass& pass, CellState state, std::optional<EpochMs> next) {
  pass.enter(state);
  pass.row.attempts = 0;
  pass.row.last_error.reset();
  pass.row.next_attempt_at = next;
}

void Reconciler::fail(CellPass& pass, std::string message) {
  auto& row = pass.row;
  message = clip(std::move(message));
  row.attempts += 1;
  row.last_error = message;
  pass.error_event = message;
  if (row.attempts >= options_.max_attempts) {
    pass.enter(CellState::kFailed);
    row.next_attempt_at.reset();
    row.step = "failed: " + row.step;
    return;
  }
  if (row.actual_state == CellState::kRunning) pass.enter(CellState::kDegraded);
  row.next_attempt_at = clock_.now_ms() + jittered(options_.backoff_base, options_.backoff_max, row.attempts);
}

// Due again after the poll interval, or when the platform asked (a 429's Retry-After).
void Reconciler::recheck(CellPass& pass, const services::Observation& obs) {
  const auto wait = obs.recheck_after.count() > 0 ? obs.recheck_after : options_.poll_interval;
  pass.row.next_attempt_at = clock_.now_ms() + wait.count();
}

Status Reconciler::save(CellPass& pass) {
  const auto& row = pass.row;
  const EpochMs now = clock_.now_ms();
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
                                   {"from", to_string(from)},
                                   {"to", to_string(to)},
                                   {"step", row.step}});
  }
  WINSTON_TRY_ASSIGN(const bool held, inst::save_progress(*conn, row, owner_, inst::Lease::kRelease));
  if (!held) return Error::conflict("the instance's lease was lost; its pass is discarded");
  return tx.commit();
}

}  // namespace winston::services
