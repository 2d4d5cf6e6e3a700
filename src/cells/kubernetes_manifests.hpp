#pragma once
// The objects of one Kubernetes cell as pure functions of a plain struct:
// no I/O, no clock, so tests/cells/golden/kubernetes/ pins them byte for byte.
// The bytes matter beyond the API server: the provisioner hashes the
// serialised claim, Service and Deployment to notice a changed image, size or
// limit, so any change here (key order included) re-applies every cell once.

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cells/remote_cell.hpp"

namespace winston::cells {

/// One object kind the provisioner writes, with where it lives in the API.
struct KubernetesKind {
  std::string_view kind, api_version, prefix, plural;
};
inline constexpr KubernetesKind kSecretKind{"Secret", "v1", "/api/v1", "secrets"};
inline constexpr KubernetesKind kClaimKind{"PersistentVolumeClaim", "v1", "/api/v1", "persistentvolumeclaims"};
inline constexpr KubernetesKind kServiceKind{"Service", "v1", "/api/v1", "services"};
inline constexpr KubernetesKind kDeploymentKind{"Deployment", "apps/v1", "/apis/apps/v1", "deployments"};

/// The pod template's annotation that names the snapshot a Deployment runs.
inline constexpr std::string_view kSnapshotAnnotation = "winston.dev/snapshot-version";

/// Everything one cell's objects are made of.
struct KubernetesCell {
  std::string name;        // every object's name: resource_name(spec)
  std::string namespace_;
  std::string tenant_id;   // the winston.dev/tenant label (cut to a label value)
  std::int64_t snapshot_version = 0;
  std::vector<EnvVar> environment;  // the secret ones go into the Secret, the others inline
  std::vector<std::string> command;
  std::string image;
  std::string storage_size;
  std::string storage_class;  // empty: the cluster's default StorageClass
  std::string cpu_request, cpu_limit, memory_request, memory_limit;
};

/// The secret variables, base64 encoded, as an Opaque Secret.
boost::json::object secret_manifest(const KubernetesCell& cell);
/// One ReadWriteOnce volume for /data.
boost::json::object claim_manifest(const KubernetesCell& cell);
/// A ClusterIP Service in front of the gateway port.
boost::json::object service_manifest(const KubernetesCell& cell);
/// One replica, Recreate, locked down; stopping the cell is a merge patch of
/// spec.replicas, so this is always the running shape.
boost::json::object deployment_manifest(const KubernetesCell& cell);

}  // namespace winston::cells
