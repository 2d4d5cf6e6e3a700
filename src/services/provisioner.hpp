#pragma once
// One interface over the places a tenant's OpenClaw gateway (its *cell*) can
// run: local processes, Railway, Kubernetes. The reconciler
// (cells/reconciler) owns the lifecycle and calls one of the three
// `ensure_*` methods per pass; a backend makes one bounded, idempotent step
// toward that state and reports what it observes. Nothing here blocks for
// long: waiting for a deployment is the reconciler calling again later.
//
// Crash safety: a backend records every external resource it creates in
// `ids` and calls `Recorder::save` right away, before its next remote call,
// so a worker killed at any point finds the resource on the next pass. Where
// creation is not idempotent (Railway's serviceCreate) the backend also looks
// the resource up by name before creating it.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/config_generator.hpp"
#include "core/error.hpp"

namespace winston::services {

/// What the cell should run. Holds secrets in clear: never log it.
struct CellSpec {
  std::string instance_id;
  std::string tenant_id;
  std::string tenant_slug;          // readable part of external names (validated: [a-z0-9-], ≤ 63)
  std::int64_t snapshot_version = 0;  // the config snapshot to run (0 for ensure_stopped/ensure_deleted)
  agent::ConfigFiles files;         // that snapshot's files: "openclaw.json", "workspace/…"
  std::string gateway_token;        // OPENCLAW_GATEWAY_TOKEN
  std::string api_key;              // WINSTON_API_KEY, the cell's own proxy key
  std::string proxy_url;            // Winston's proxy as the cell reaches it, no trailing "/v1"
};

/// The backend's own record of the cell's external resources (service ids,
/// port, deployed version, …). Persisted by the reconciler as JSON on the
/// instance row; must never hold a secret.
using ExternalIds = boost::json::object;

class Recorder {
 public:
  virtual ~Recorder() = default;
  /// Persists `ids` now. Call right after creating an external resource;
  /// on error, stop and return it (the next pass retries).
  virtual Status save(const ExternalIds& ids) = 0;
  /// A line for the instance's events list ("service created", "deploying v3"); no secrets.
  virtual void note(std::string_view step, std::string_view message) = 0;
};

enum class Phase {
  kProgressing,  // working toward the desired state; call again after `recheck_after`
  kReady,        // running `deployed_version` and ready (desired running)
  kStopped,      // nothing runs, state kept (desired stopped)
  kGone,         // every resource and the state removed (desired deleted)
  kFailed,       // the attempt failed for good (crashed, deploy failed, never ready): the reconciler backs off and retries
};

struct Observation {
  Phase phase = Phase::kProgressing;
  std::string url;                  // where the gateway answers, when known
  std::int64_t deployed_version = 0;
  std::string message;              // what it waits for or why it failed; no secrets
  std::chrono::milliseconds recheck_after{0};  // 0: the reconciler's default poll interval
};

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  /// "local", "railway" or "kubernetes": the value of tenant_instances.backend.
  virtual std::string_view backend() const = 0;

  /// Creates what is missing, deploys spec.snapshot_version when the cell
  /// runs another one (or is stopped), restarts a dead cell, and reports.
  /// kReady only when the gateway runs that version and answers ready.
  /// An error (kUnavailable: API down, 5xx, timeouts; kInvalidField:
  /// rejected arguments) counts as a failed attempt and is retried by the
  /// reconciler with exponential backoff. A rate limit (429) is not a
  /// failure: return kProgressing with recheck_after = Retry-After.
  virtual Result<Observation> ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) = 0;
  /// Stops the gateway, keeping its state and resources (tenant suspended). kStopped when nothing runs.
  virtual Result<Observation> ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) = 0;
  /// Removes every resource and the state; kGone when nothing is left. A
  /// resource already missing is success (so a repeated delete is harmless).
  virtual Result<Observation> ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) = 0;
  /// Called once when the worker starts, before any ensure_*: adopt or clean
  /// up what a previous run of this process left behind (local processes).
  virtual Status recover() { return {}; }
  /// Called when the worker stops: local processes are stopped; remote cells keep running.
  virtual void shutdown() {}
};

}  // namespace winston::services
