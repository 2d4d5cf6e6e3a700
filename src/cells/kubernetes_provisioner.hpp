#pragma once
// Cells on Kubernetes: one Deployment (1 replica, Recreate), a
// PersistentVolumeClaim for /data, a Secret for the two secret variables
// and a ClusterIP Service per tenant, all named resource_name(spec) in one
// namespace and written with server-side apply (idempotent, so a crash
// between two applies is repaired by the next pass). The claim is the
// exception: created once, then only resized (see ensure_claim). Readiness follows the
// Deployment's status (observedGeneration, updatedReplicas,
// availableReplicas), watched for at most `watch_timeout` per pass.
// docs/cells-kubernetes.md describes the objects and the failure handling.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "cells/kubernetes_manifests.hpp"
#include "cells/port.hpp"
#include "cells/remote_cell.hpp"

namespace winston::cells {

/// Where a pod finds its service account's credentials.
inline constexpr std::string_view kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubernetesOptions {
  std::string api_url;     // "https://10.0.0.1:443", no trailing slash
  std::string token;       // bearer token; never logged
  std::string token_file;  // if set, re-read on every pass (projected tokens rotate); wins over `token`
  std::string ca_file;     // PEM bundle the API server's certificate is verified with; empty: the system's
  std::string namespace_ = "winston";
  std::string image = std::string(kOpenClawImage);
  std::string storage_size = "5Gi";
  std::string storage_class;  // empty: the cluster's default StorageClass
  std::string cpu_request = "250m", cpu_limit = "1", memory_request = "1Gi", memory_limit = "2Gi";
  std::chrono::milliseconds timeout{30'000};  // per API request (connect, and until each piece of the answer)
  std::chrono::seconds watch_timeout{5};      // how long one pass waits on a Deployment watch

  /// The options of a pod running in the cluster: the service account's
  /// token, ca.crt and namespace under `service_account_dir`, the API server
  /// from KUBERNETES_SERVICE_HOST/_PORT. kUnavailable when not in a cluster.
  static Result<KubernetesOptions> in_cluster(
      const std::filesystem::path& service_account_dir = std::filesystem::path(kServiceAccountDir));
};

/// The input of the cell's objects (kubernetes_manifests.hpp): the spec's
/// environment and the configured image, storage and limits, named `name`.
KubernetesCell kubernetes_cell(const KubernetesOptions& o, const CellSpec& spec, const std::string& name);

class KubernetesProvisioner final : public Provisioner {
 public:
  explicit KubernetesProvisioner(KubernetesOptions options);

  std::string_view backend() const override { return "kubernetes"; }
  Result<Observation> ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  /// Scales the Deployment to 0 (a merge patch of spec.replicas only, so the
  /// pod template and its ReplicaSet stay); the Secret, volume and Service stay.
  Result<Observation> ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;
  /// Deletes the four objects (Foreground); kGone once none is left, ids cleared.
  Result<Observation> ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) override;

 private:
  KubernetesOptions options_;
};

}  // namespace winston::cells
