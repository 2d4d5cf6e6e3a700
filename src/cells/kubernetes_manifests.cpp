#include "cells/kubernetes_manifests.hpp"

#include <cctype>

#include "core/ids.hpp"

namespace winston::cells {
namespace json = boost::json;

namespace {

constexpr std::string_view kTenantLabel = "winston.dev/tenant";

/// A label value: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric.
std::string label_value(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    if (ok && out.size() < 63) out += c;
  }
  auto edge = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; };
  while (!out.empty() && edge(out.back())) out.pop_back();
  while (!out.empty() && edge(out.front())) out.erase(out.begin());
  return out;
}

json::object labels(const KubernetesCell& cell) {
  return {{"app.kubernetes.io/name", "openclaw"},
          {"app.kubernetes.io/managed-by", "winston"},
          {kTenantLabel, label_value(cell.tenant_id)}};
}

json::object selector(const KubernetesCell& cell) {
  return {{"app.kubernetes.io/name", "openclaw"}, {kTenantLabel, label_value(cell.tenant_id)}};
}

json::object skeleton(const KubernetesKind& k, const KubernetesCell& cell) {
  return {{"apiVersion", k.api_version},
          {"kind", k.kind},
          {"metadata", json::object{{"name", cell.name}, {"namespace", cell.namespace_}, {"labels", labels(cell)}}}};
}

json::object http_probe(std::string_view path, int delay, int period, int failures) {
  return {{"httpGet", json::object{{"path", path}, {"port", kGatewayPort}}},
          {"initialDelaySeconds", delay},
          {"periodSeconds", period},
          {"timeoutSeconds", 3},
          {"failureThreshold", failures}};
}

json::array container_env(const KubernetesCell& cell) {
  json::array env;
  for (const auto& var : cell.environment) {
    if (!var.secret) {
      env.push_back(json::object{{"name", var.name}, {"value", var.value}});
      continue;
    }
    json::object ref{{"name", cell.name}, {"key", var.name}};
    env.push_back(json::object{{"name", var.name}, {"valueFrom", json::object{{"secretKeyRef", std::move(ref)}}}});
  }
  return env;
}

json::object container(const KubernetesCell& cell) {
  json::array command;
  for (const auto& arg : cell.command) command.emplace_back(arg);
  json::object security{{"runAsNonRoot", true},
                        {"runAsUser", 1000},
                        {"runAsGroup", 1000},
                        {"allowPrivilegeEscalation", false},
                        {"readOnlyRootFilesystem", true},
                        {"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                        {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}};
  json::object resources{{"requests", json::object{{"cpu", cell.cpu_request}, {"memory", cell.memory_request}}},
                         {"limits", json::object{{"cpu", cell.cpu_limit}, {"memory", cell.memory_limit}}}};
  return {{"name", "openclaw"},
          {"image", cell.image},
          {"imagePullPolicy", "IfNotPresent"},
          {"command", std::move(command)},
          {"env", container_env(cell)},
          {"ports", json::array{json::object{{"name", "gateway"}, {"containerPort", kGatewayPort}, {"protocol", "TCP"}}}},
          {"resources", std::move(resources)},
          {"securityContext", std::move(security)},
          {"volumeMounts", json::array{json::object{{"name", "data"}, {"mountPath", kVolumeMountPath}},
                                       json::object{{"name", "tmp"}, {"mountPath", "/tmp"}}}},
          // The bootstrap fetches the snapshot (retrying for up to ~2 minutes)
          // before the gateway listens: the startup probe covers that, so
          // liveness never kills a cell that is still starting.
          {"startupProbe", http_probe("/healthz", 5, 5, 60)},
          {"readinessProbe", http_probe("/readyz", 5, 5, 3)},
          {"livenessProbe", http_probe("/healthz", 10, 20, 3)}};
}

json::object pod_template(const KubernetesCell& cell) {
  json::object pod{{"automountServiceAccountToken", false},
                   {"enableServiceLinks", false},
                   {"securityContext", json::object{{"runAsNonRoot", true},
                                                    {"runAsUser", 1000},
                                                    {"runAsGroup", 1000},
                                                    {"fsGroup", 1000},
                                                    {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}},
                   {"containers", json::array{container(cell)}},
                   {"volumes", json::array{json::object{{"name", "data"},
                                                        {"persistentVolumeClaim", json::object{{"claimName", cell.name}}}},
                                           json::object{{"name", "tmp"},
                                                        {"emptyDir", json::object{{"sizeLimit", "256Mi"}}}}}}};
  json::object meta{{"labels", labels(cell)},
                    {"annotations", json::object{{kSnapshotAnnotation, std::to_string(cell.snapshot_version)}}}};
  return {{"metadata", std::move(meta)}, {"spec", std::move(pod)}};
}

}  // namespace

json::object secret_manifest(const KubernetesCell& cell) {
  auto s = skeleton(kSecretKind, cell);
  json::object data;
  for (const auto& var : cell.environment) {
    if (var.secret) data[var.name] = base64(var.value);
  }
  s["type"] = "Opaque";
  s["data"] = std::move(data);
  return s;
}

json::object claim_manifest(const KubernetesCell& cell) {
  auto c = skeleton(kClaimKind, cell);
  json::object claim{{"accessModes", json::array{"ReadWriteOnce"}},
                     {"resources", json::object{{"requests", json::object{{"storage", cell.storage_size}}}}}};
  if (!cell.storage_class.empty()) claim["storageClassName"] = cell.storage_class;
  c["spec"] = std::move(claim);
  return c;
}

json::object service_manifest(const KubernetesCell& cell) {
  auto s = skeleton(kServiceKind, cell);
  s["spec"] = json::object{
      {"type", "ClusterIP"},
      {"selector", selector(cell)},
      {"ports", json::array{json::object{
                    {"name", "gateway"}, {"port", kGatewayPort}, {"targetPort", kGatewayPort}, {"protocol", "TCP"}}}}};
  return s;
}

json::object deployment_manifest(const KubernetesCell& cell) {
  auto d = skeleton(kDeploymentKind, cell);
  // Recreate: the ReadWriteOnce volume cannot be mounted by a second pod while the old one runs.
  d["spec"] = json::object{{"replicas", 1},
                           {"revisionHistoryLimit", 2},
                           {"progressDeadlineSeconds", 600},
                           {"strategy", json::object{{"type", "Recreate"}}},
                           {"selector", json::object{{"matchLabels", selector(cell)}}},
                           {"template", pod_template(cell)}};
  return d;
}

}  // namespace winston::cells
