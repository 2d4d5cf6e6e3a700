// The objects of one Kubernetes cell, compared with the golden files under
// tests/cells/golden/kubernetes/. The files hold each object as it is sent,
// keys in their order: the provisioner hashes those bytes, so even a
// reordering re-applies (and restarts) every cell once, and shows up here.
//
// After an intended change, rewrite the files and review them with git diff:
//   WINSTON_UPDATE_GOLDEN=1 build/debug/tests/winston_tests --gtest_filter='KubernetesManifests.*'

#include "cells/kubernetes_manifests.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "agent/config_generator.hpp"
#include "cells/kubernetes_provisioner.hpp"

namespace winston::cells {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kRegenerate =
    "if the change is intended, rewrite the golden files with\n"
    "  WINSTON_UPDATE_GOLDEN=1 build/debug/tests/winston_tests --gtest_filter='KubernetesManifests.*'\n"
    "and review them with git diff";

/// The cell of tests/cells/kubernetes_provisioner_test.cpp, with the shipped defaults.
KubernetesCell golden_cell() {
  const CellSpec spec{.instance_id = "inst-1",
                      .tenant_id = "ten-42",
                      .tenant_slug = "acme",
                      .snapshot_version = 7,
                      .files = {},
                      .gateway_token = "gw-token-example",
                      .api_key = "wsk_example",
                      .proxy_url = "http://winston.winston.svc:8081"};
  auto cell = kubernetes_cell(KubernetesOptions{}, spec, resource_name(spec));
  // The script is pinned by its own file (templates/cell/bootstrap.js);
  // inlined here, it would bury the objects under 4 KB of escaped JavaScript.
  for (auto& var : cell.environment) {
    if (var.name == "WINSTON_CELL_BOOTSTRAP") var.value = "<templates/cell/bootstrap.js>";
  }
  return cell;
}

bool updating() {
  const char* v = std::getenv("WINSTON_UPDATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

void expect_golden(std::string_view file, const json::object& manifest) {
  const fs::path path = fs::path(WINSTON_SOURCE_DIR) / "tests/cells/golden/kubernetes" / file;
  const std::string actual = agent::pretty_json(manifest) + "\n";
  if (updating()) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; " << kRegenerate;
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(expected, actual) << path << " differs from what the code builds; " << kRegenerate;
}

TEST(KubernetesManifests, Secret) { expect_golden("secret.json", secret_manifest(golden_cell())); }

TEST(KubernetesManifests, Claim) { expect_golden("claim.json", claim_manifest(golden_cell())); }

TEST(KubernetesManifests, ClaimWithAStorageClass) {
  auto cell = golden_cell();
  cell.storage_class = "fast-ssd";
  cell.storage_size = "20Gi";
  expect_golden("claim-with-class.json", claim_manifest(cell));
}

TEST(KubernetesManifests, Service) { expect_golden("service.json", service_manifest(golden_cell())); }

TEST(KubernetesManifests, Deployment) { expect_golden("deployment.json", deployment_manifest(golden_cell())); }

TEST(KubernetesManifests, TheTenantLabelIsAValidLabelValue) {
  auto cell = golden_cell();
  cell.tenant_id = "_ten/42:x.";
  EXPECT_EQ(service_manifest(cell).at("metadata").at("labels").at("winston.dev/tenant"), "ten42x");
  cell.tenant_id = std::string(100, 'a');
  const auto selector = deployment_manifest(cell).at("spec").at("selector").at("matchLabels");
  EXPECT_EQ(selector.at("winston.dev/tenant"), json::value(std::string(63, 'a')));
}

}  // namespace
}  // namespace winston::cells
