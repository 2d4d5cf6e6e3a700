#pragma once
// The Railway backend of the cell provisioner: one Railway service per
// tenant, named resource_name(spec), in one project and environment, running
// the pinned OpenClaw image with the bootstrap start command, its config in
// service variables, a volume at /data and a *.up.railway.app domain on the
// gateway port. Every call goes to Railway's public GraphQL API through
// http::blocking_call; docs/cells-railway.md lists the operations.

#include <chrono>
#include <string>
#include <string_view>

#include "cells/port.hpp"
#include "cells/remote_cell.hpp"

namespace winston::cells {

struct RailwayOptions {
  std::string api_url = "https://backboard.railway.com/graphql/v2";
  std::string token;           // account/workspace token, or a project token (see project_token)
  bool project_token = false;  // true: send `Project-Access-Token` instead of `Authorization: Bearer`
  std::string project_id;
  std::string environment_id;
  std::string image = std::string(kOpenClawImage);
  std::chrono::milliseconds timeout{30'000};  // bound of each API call (connect, and until the answer)
};

class RailwayProvisioner final : public Provisioner {
 public:
  explicit RailwayProvisioner(RailwayOptions options);

  std::string_view backend() const override { return "railway"; }
  Result<Observation> ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  /// Removes the service's live deployments (deploymentRemove); the service,
  /// its variables, volume and domain stay, so ensure_running can deploy again.
  Result<Observation> ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  /// Deletes the volume (volumeDelete) and then the service (serviceDelete).
  Result<Observation> ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;

 private:
  RailwayOptions options_;
};

}  // namespace winston::cells
