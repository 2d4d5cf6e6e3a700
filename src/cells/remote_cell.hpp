#pragma once
// What a cell in a container (Railway, Kubernetes) is started with. The
// container runs the pinned OpenClaw image with the command
// `node -e eval(process.env.WINSTON_CELL_BOOTSTRAP)`: the bootstrap script
// (templates/cell/bootstrap.js, compiled in) fetches the snapshot named by
// WINSTON_SNAPSHOT_VERSION from Winston's proxy listener
// (GET $WINSTON_PROXY_URL/v1/cell/config/<version>, authenticated with the
// cell's own WINSTON_API_KEY, so a cell can read only its own tenant's
// config), writes the files atomically into the volume, and then runs the
// gateway in its place. A new snapshot is deployed by changing
// WINSTON_SNAPSHOT_VERSION, which restarts the container on both platforms.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cells/port.hpp"

namespace winston::cells {

/// The pinned OpenClaw release and its image.
inline constexpr std::string_view kOpenClawImage = "ghcr.io/openclaw/openclaw:2026.9.6";
/// Paths inside the container: one volume at /data.
inline constexpr std::string_view kVolumeMountPath = "/data";
inline constexpr std::string_view kStateDir = "/data/.openclaw";
inline constexpr std::string_view kWorkspaceDir = "/data/workspace";
inline constexpr int kGatewayPort = 8080;

struct EnvVar {
  std::string name;
  std::string value;
  bool secret = false;  // OPENCLAW_GATEWAY_TOKEN, WINSTON_API_KEY: a Kubernetes Secret; never logged
};

/// Every variable the container needs, in a stable order.
std::vector<EnvVar> remote_cell_environment(const CellSpec& spec);

/// The container's command (argv): node -e eval(process.env.WINSTON_CELL_BOOTSTRAP).
std::vector<std::string> bootstrap_command();
/// The same as one string, for platforms that take a start command (Railway's startCommand).
std::string bootstrap_start_command();

/// A DNS-1123 label for the tenant's external resources: "winston-<slug>" cut
/// to 63 characters, lower case, ending in a letter or digit.
std::string resource_name(const CellSpec& spec);

}  // namespace winston::cells
