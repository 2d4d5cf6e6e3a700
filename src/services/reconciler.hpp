#pragma once
// The cell reconciler: a worker that moves every tenant_instances row from
// its actual state toward its desired one through the row's backend
// (services::Provisioner), one bounded step per pass. The states are CellState
// (core/cell.hpp). A pass: load (claim the lease, read the cell and tenant),
// drive toward running, stopped or deleted, save (one transaction).
//
// Onboarding rides on the same passes: a cell whose tenant has no config yet
// is analysed (website → business profile) and configured first.
//
// Several replicas on one PostgreSQL: each pass takes the row's lease with
// one conditional UPDATE, writes only while holding it, and frees it with
// the next due time. A worker killed at any point leaves the lease to expire
// (or to be freed by its own restart) and the backend's saved external ids
// let the next pass continue without creating anything twice.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/provisioner.hpp"
#include "core/clock.hpp"
#include "services/analyzer_service.hpp"
#include "services/config_service.hpp"
#include "services/instance_service.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct ReconcilerOptions {
  std::string owner_prefix = "winston/";  // "<instance id>/": leases left by an earlier run of this instance are freed at start
  std::chrono::milliseconds lease_ttl{300'000};       // longer than the longest step (an analysis: crawl + LLM)
  std::chrono::milliseconds poll_interval{2'000};     // while a cell is on its way
  std::chrono::milliseconds health_interval{30'000};  // a settled running cell is looked at again
  std::chrono::milliseconds backoff_base{2'000};      // doubled per failed attempt, with jitter
  std::chrono::milliseconds backoff_max{300'000};
  int max_attempts = 8;  // then failed
  int threads = 2;
  std::chrono::milliseconds idle_sleep{1'000};
  /// Winston's proxy as cells reach it (agent.proxy_url, else this process's proxy).
  std::function<std::string()> proxy_url;
  /// Test hook, asked before each step that changes something ("analyze",
  /// "configure", "ensure_running", "ensure_stopped", "ensure_deleted",
  /// "save"). An error kills the worker there, as a crash would: the pass
  /// stops, nothing after that point is written (the lease is left to
  /// expire) and run_once returns that error without starting another pass.
  std::function<Status(std::string_view step)> before_step;
};

struct CellPass;  // what one pass over one cell learns and changes (reconciler.cpp)

class Reconciler {
 public:
  Reconciler(storage::Database& db, const Clock& clock, TenantService& tenants, ConfigService& configs,
             AnalyzerService* analyzer, std::map<std::string, services::Provisioner*, std::less<>> backends,
             ReconcilerOptions options);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  /// recover(), then starts the worker threads.
  Status start();
  /// Lets the backends recover what an earlier run left and frees the leases
  /// an earlier run of this instance (same owner prefix) held.
  Status recover();
  /// Stops the threads (a pass in progress finishes) and the backends' local processes.
  void stop();
  /// One pass over every instance due now, on the calling thread; the number
  /// handled. An error only when the test hook killed the worker.
  Result<int> run_once();

 private:
  void loop();
  /// One pass over one cell; errors are logged by the caller (pass.abort: the hook killed it).
  Status reconcile(const std::string& id, CellPass& pass);
  /// Claims the lease and reads the cell and its tenant; false when there is nothing to do.
  Result<bool> load(const std::string& id, CellPass& pass);
  /// The test hook's verdict on `step`; an error marks the pass aborted.
  Status checkpoint(CellPass& pass, std::string_view step);
  Status drive_running(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder);
  /// Onboarding (analyse, configure) when the tenant has no config, then the spec's snapshot and secrets.
  Status prepare(CellPass& pass, services::Recorder& recorder);
  Status onboard(CellPass& pass, services::Recorder& recorder);
  void observe_running(CellPass& pass, const services::Observation& obs, bool new_version);
  Status drive_stopped(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder);
  Status drive_deleted(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder);
  struct WindDown;
  /// Stopping and deleting share one shape: one backend call, then done, waiting or failed. True when done.
  Result<bool> wind_down(CellPass& pass, services::Provisioner& backend, services::Recorder& recorder, const WindDown& how);
  // Outcomes; each sets the fields save() stores.
  void settle(CellPass& pass, CellState state, std::optional<EpochMs> next);
  void fail(CellPass& pass, std::string message);
  void recheck(CellPass& pass, const services::Observation& obs);
  /// Events, transitions and the row in one transaction, freeing the lease.
  Status save(CellPass& pass);

  storage::Database& db_;
  const Clock& clock_;
  TenantService& tenants_;
  ConfigService& configs_;
  AnalyzerService* analyzer_;
  std::map<std::string, services::Provisioner*, std::less<>> backends_;
  ReconcilerOptions options_;
  std::string owner_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace winston::services
