#include "cells/kubernetes_provisioner.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "core/ids.hpp"
#include "http/blocking_client.hpp"
#include "support/fake_kubernetes.hpp"
#include "support/fake_site.hpp"
#include "support/subprocess.hpp"

namespace winston::cells {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::FakeKubernetes;
using testing::FakeKubernetesBehavior;
using testing::FakeKubeRequest;

constexpr std::string_view kGatewayToken = "gw-token-SECRET-4821";
constexpr std::string_view kApiKey = "wk-key-SECRET-9373";

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

class TestRecorder final : public Recorder {
 public:
  Status save(const ExternalIds& ids) override {
    saved.push_back(ids);
    return {};
  }
  void note(std::string_view step, std::string_view message) override {
    notes.push_back(std::string(step) + ": " + std::string(message));
  }
  std::string all_notes() const {
    std::string out;
    for (const auto& n : notes) out += n + "\n";
    return out;
  }
  std::vector<ExternalIds> saved;
  std::vector<std::string> notes;
};

CellSpec spec_at(std::int64_t version) {
  CellSpec s;
  s.instance_id = "inst-1";
  s.tenant_id = "ten-42";
  s.tenant_slug = "acme";
  s.snapshot_version = version;
  s.files["openclaw.json"] = "{}";
  s.gateway_token = std::string(kGatewayToken);
  s.api_key = std::string(kApiKey);
  s.proxy_url = "http://winston.winston.svc:8081";
  return s;
}

KubernetesOptions options_for(const FakeKubernetes& kube) {
  KubernetesOptions o;
  o.api_url = kube.url();
  o.token = kube.token();
  o.timeout = 5s;
  o.watch_timeout = 1s;
  return o;
}

/// Calls `pass` until it stops saying kProgressing (or an error), at most `passes` times.
Result<Observation> drive(const std::function<Result<Observation>()>& pass, int passes = 8) {
  Result<Observation> last = Error::internal("no pass ran");
  for (int i = 0; i < passes; ++i) {
    last = pass();
    if (!last.ok() || last->phase != Phase::kProgressing) return last;
    std::this_thread::sleep_for(50ms);
  }
  return last;
}

std::vector<FakeKubeRequest> with_method(const std::vector<FakeKubeRequest>& all, std::string_view method) {
  std::vector<FakeKubeRequest> out;
  for (const auto& r : all) {
    if (r.method == method) out.push_back(r);
  }
  return out;
}

const json::object& container_of(const json::object& deployment) {
  return deployment.at("spec").at("template").at("spec").at("containers").as_array().at(0).as_object();
}

std::string env_value(const json::object& container, std::string_view name) {
  for (const auto& e : container.at("env").as_array()) {
    if (e.at("name") == json::value(name) && e.as_object().contains("value")) return std::string(e.at("value").as_string());
  }
  return {};
}

class KubernetesProvisionerTest : public ::testing::Test {
 protected:
  Result<Observation> running(std::int64_t version) { return provisioner_.ensure_running(spec_at(version), ids_, recorder_); }
  Result<Observation> run_until_settled(std::int64_t version) {
    return drive([&] { return running(version); });
  }
  json::object deployment() const { return *kube_.object("deployments", "winston-acme"); }

  FakeKubernetes kube_;
  KubernetesProvisioner provisioner_{options_for(kube_)};
  TestRecorder recorder_;
  ExternalIds ids_;
};

// ---- applying ------------------------------------------------------------------

TEST_F(KubernetesProvisionerTest, AppliesFourObjectsWithServerSideApplyAndBecomesReady) {
  const auto obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  EXPECT_EQ(obs->url, "http://winston-acme.winston.svc:8080");
  EXPECT_EQ(obs->deployed_version, 1);

  const auto patches = with_method(kube_.requests(), "PATCH");
  ASSERT_EQ(patches.size(), 4U);
  EXPECT_EQ(patches[0].path, "/api/v1/namespaces/winston/secrets/winston-acme");
  EXPECT_EQ(patches[1].path, "/api/v1/namespaces/winston/persistentvolumeclaims/winston-acme");
  EXPECT_EQ(patches[2].path, "/api/v1/namespaces/winston/services/winston-acme");
  EXPECT_EQ(patches[3].path, "/apis/apps/v1/namespaces/winston/deployments/winston-acme");
  for (const auto& p : patches) {
    EXPECT_EQ(p.content_type, "application/apply-patch+yaml");
    EXPECT_EQ(p.param("fieldManager"), "winston");
    EXPECT_EQ(p.param("force"), "true");
    EXPECT_EQ(p.authorization, "Bearer " + kube_.token());
  }
  EXPECT_EQ(kube_.object_count(), 4U);
  EXPECT_EQ(ids_.at("namespace"), "winston");
  EXPECT_EQ(ids_.at("name"), "winston-acme");
  EXPECT_EQ(ids_.at("deployed_version"), 1);
  EXPECT_EQ(ids_.at("applied_version"), 1);
  EXPECT_EQ(ids_.at("generation"), 1);
  ASSERT_FALSE(recorder_.saved.empty());
  EXPECT_EQ(recorder_.saved.front().at("name"), "winston-acme");  // saved before the first apply answered
}

TEST_F(KubernetesProvisionerTest, ReadinessArrivesThroughTheWatch) {
  const auto obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady);
  std::vector<FakeKubeRequest> watches;
  for (const auto& r : kube_.requests()) {
    if (r.watch()) watches.push_back(r);
  }
  ASSERT_EQ(watches.size(), 1U);
  EXPECT_EQ(watches[0].path, "/apis/apps/v1/namespaces/winston/deployments");
  EXPECT_EQ(watches[0].param("fieldSelector"), "metadata.name=winston-acme");
  EXPECT_FALSE(watches[0].param("resourceVersion").empty());
  EXPECT_EQ(watches[0].param("timeoutSeconds"), "1");
}

TEST_F(KubernetesProvisionerTest, TheDeploymentIsLockedDown) {
  ASSERT_TRUE(running(3).ok());
  const auto d = deployment();
  const auto& spec = d.at("spec").as_object();
  EXPECT_EQ(spec.at("replicas"), 1);
  EXPECT_EQ(spec.at("strategy").at("type"), "Recreate");
  const auto& tmpl = spec.at("template").as_object();
  EXPECT_EQ(tmpl.at("metadata").at("annotations").at("winston.dev/snapshot-version"), "3");
  const auto& pod = tmpl.at("spec").as_object();
  EXPECT_EQ(pod.at("automountServiceAccountToken"), false);
  EXPECT_EQ(pod.at("securityContext").at("fsGroup"), 1000);
  EXPECT_EQ(pod.at("securityContext").at("runAsNonRoot"), true);

  const auto& c = container_of(d);
  EXPECT_EQ(c.at("image"), json::value(kOpenClawImage));
  EXPECT_EQ(c.at("command"), (json::array{"node", "-e", "eval(process.env.WINSTON_CELL_BOOTSTRAP)"}));
  const auto& sc = c.at("securityContext").as_object();
  EXPECT_EQ(sc.at("runAsNonRoot"), true);
  EXPECT_EQ(sc.at("runAsUser"), 1000);
  EXPECT_EQ(sc.at("readOnlyRootFilesystem"), true);
  EXPECT_EQ(sc.at("allowPrivilegeEscalation"), false);
  EXPECT_EQ(sc.at("capabilities").at("drop"), json::array{"ALL"});
  EXPECT_EQ(sc.at("seccompProfile").at("type"), "RuntimeDefault");
  EXPECT_EQ(c.at("readinessProbe").at("httpGet").at("path"), "/readyz");
  EXPECT_EQ(c.at("readinessProbe").at("httpGet").at("port"), 8080);
  EXPECT_EQ(c.at("livenessProbe").at("httpGet").at("path"), "/healthz");
  EXPECT_GT(c.at("livenessProbe").at("initialDelaySeconds").as_int64(), 0);
  EXPECT_EQ(c.at("resources").at("limits").at("memory"), "2Gi");
  EXPECT_EQ(c.at("resources").at("limits").at("cpu"), "1");
  EXPECT_EQ(c.at("resources").at("requests").at("cpu"), "250m");
  EXPECT_EQ(c.at("resources").at("requests").at("memory"), "1Gi");
  EXPECT_EQ(env_value(c, "WINSTON_SNAPSHOT_VERSION"), "3");
  EXPECT_EQ(env_value(c, "OPENCLAW_STATE_DIR"), "/data/.openclaw");

  const auto& mounts = c.at("volumeMounts").as_array();
  ASSERT_EQ(mounts.size(), 2U);
  EXPECT_EQ(mounts[0].at("mountPath"), "/data");
  EXPECT_EQ(mounts[1].at("mountPath"), "/tmp");
  const auto& volumes = pod.at("volumes").as_array();
  EXPECT_EQ(volumes[0].at("persistentVolumeClaim").at("claimName"), "winston-acme");
  EXPECT_TRUE(volumes[1].as_object().contains("emptyDir"));

  for (const auto& plural : {"deployments", "services", "secrets", "persistentvolumeclaims"}) {
    const auto o = kube_.object(plural, "winston-acme");
    ASSERT_TRUE(o.has_value()) << plural;
    const auto& labels = o->at("metadata").at("labels");
    EXPECT_EQ(labels.at("app.kubernetes.io/name"), "openclaw") << plural;
    EXPECT_EQ(labels.at("app.kubernetes.io/managed-by"), "winston") << plural;
    EXPECT_EQ(labels.at("winston.dev/tenant"), "ten-42") << plural;
  }
  const auto claim = *kube_.object("persistentvolumeclaims", "winston-acme");
  EXPECT_EQ(claim.at("spec").at("accessModes"), json::array{"ReadWriteOnce"});
  EXPECT_EQ(claim.at("spec").at("resources").at("requests").at("storage"), "5Gi");
  const auto service = *kube_.object("services", "winston-acme");
  EXPECT_EQ(service.at("spec").at("type"), "ClusterIP");
  EXPECT_EQ(service.at("spec").at("ports").at(0).at("port"), 8080);
  EXPECT_EQ(service.at("spec").at("ports").at(0).at("targetPort"), 8080);
}

TEST_F(KubernetesProvisionerTest, SecretValuesTravelOnlyInTheSecret) {
  ASSERT_TRUE(running(1).ok());
  const auto d = deployment();
  const auto& c = container_of(d);
  int refs = 0;
  for (const auto& e : c.at("env").as_array()) {
    const auto& var = e.as_object();
    const std::string name(var.at("name").as_string());
    if (name == "OPENCLAW_GATEWAY_TOKEN" || name == "WINSTON_API_KEY") {
      ++refs;
      EXPECT_FALSE(var.contains("value")) << name;
      EXPECT_EQ(var.at("valueFrom").at("secretKeyRef").at("name"), "winston-acme");
      EXPECT_EQ(var.at("valueFrom").at("secretKeyRef").at("key"), json::value(name));
    }
  }
  EXPECT_EQ(refs, 2);
  const auto secret = *kube_.object("secrets", "winston-acme");
  EXPECT_EQ(secret.at("data").at("OPENCLAW_GATEWAY_TOKEN"), json::value(base64(kGatewayToken)));
  EXPECT_EQ(secret.at("data").at("WINSTON_API_KEY"), json::value(base64(kApiKey)));

  for (const auto& r : kube_.requests()) {
    if (contains(r.path, "/secrets/")) continue;
    for (const auto s : {kGatewayToken, kApiKey}) {
      EXPECT_FALSE(contains(r.body, s)) << r.path;
      EXPECT_FALSE(contains(r.body, base64(s))) << r.path;
    }
  }
  const std::string ids = json::serialize(ids_);
  for (const auto s : {kGatewayToken, kApiKey, std::string_view(kube_.token())}) {
    EXPECT_FALSE(contains(ids, s));
    EXPECT_FALSE(contains(recorder_.all_notes(), s));
  }
}

TEST_F(KubernetesProvisionerTest, ACurrentCellIsObservedNotReapplied) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  kube_.clear_requests();
  const auto obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady);
  EXPECT_TRUE(with_method(kube_.requests(), "PATCH").empty());
  EXPECT_EQ(with_method(kube_.requests(), "GET").size(), 1U);
}

TEST_F(KubernetesProvisionerTest, ANewSnapshotRollsTheDeploymentWithoutDuplicates) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  kube_.clear_requests();
  const auto obs = run_until_settled(2);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady);
  EXPECT_EQ(obs->deployed_version, 2);
  const auto patches = with_method(kube_.requests(), "PATCH");
  ASSERT_EQ(patches.size(), 3U) << "Secret, Service, Deployment: the existing claim is not re-applied";
  const auto body = json::parse(patches[2].body);
  EXPECT_EQ(body.at("spec").at("template").at("metadata").at("annotations").at("winston.dev/snapshot-version"), "2");
  EXPECT_EQ(kube_.object_count(), 4U);
  const auto d = deployment();
  EXPECT_EQ(d.at("metadata").at("generation"), 2);
  EXPECT_EQ(env_value(container_of(d), "WINSTON_SNAPSHOT_VERSION"), "2");
  EXPECT_EQ(ids_.at("deployed_version"), 2);
}

TEST_F(KubernetesProvisionerTest, AMissingOrScaledDeploymentIsAppliedAgain) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  http::BlockingRequest del{"DELETE", kube_.url() + "/apis/apps/v1/namespaces/winston/deployments/winston-acme",
                             {{"Authorization", "Bearer " + kube_.token()}}, {}};
  ASSERT_EQ(http::blocking_call(del)->status, 200U);
  const auto obs = run_until_settled(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady);
  EXPECT_TRUE(kube_.object("deployments", "winston-acme").has_value());

  auto scaled = deployment();  // someone scales it to 0 with kubectl
  scaled["spec"].as_object()["replicas"] = 0;
  kube_.put("deployments", scaled, "kubectl");
  const auto again = run_until_settled(1);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kReady);
  EXPECT_EQ(deployment().at("spec").at("replicas"), 1);
}

// ---- waiting and failing ---------------------------------------------------------

TEST_F(KubernetesProvisionerTest, NeverReadyStaysProgressingAfterTheWatch) {
  FakeKubernetesBehavior b;
  b.never_ready = true;
  kube_.set_behavior(b);
  const auto started = std::chrono::steady_clock::now();
  const auto obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kProgressing);
  EXPECT_TRUE(contains(obs->message, "0 available")) << obs->message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);  // it watched, bounded by watch_timeout
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_FALSE(ids_.contains("deployed_version"));
}

TEST_F(KubernetesProvisionerTest, ProgressDeadlineExceededFails) {
  FakeKubernetesBehavior b;
  b.progress_deadline_exceeded = true;
  kube_.set_behavior(b);
  const auto obs = run_until_settled(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kFailed);
  EXPECT_TRUE(contains(obs->message, "timed out progressing")) << obs->message;
}

TEST_F(KubernetesProvisionerTest, RateLimitIsProgressWithRetryAfter) {
  kube_.fail_next(1, 429, "7");
  auto obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kProgressing);
  EXPECT_EQ(obs->recheck_after, 7s);
  EXPECT_TRUE(contains(obs->message, "rate limit")) << obs->message;

  kube_.fail_next(1, 429);  // no Retry-After: the default
  obs = running(1);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->recheck_after, 10s);
  EXPECT_EQ(run_until_settled(1)->phase, Phase::kReady);
}

TEST_F(KubernetesProvisionerTest, ServerErrorIsUnavailable) {
  kube_.fail_next(1, 500);
  const auto obs = running(1);
  ASSERT_FALSE(obs.ok());
  EXPECT_EQ(obs.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(obs.error().message, "InternalError")) << obs.error().message;
  EXPECT_EQ(run_until_settled(1)->phase, Phase::kReady);  // the next pass recovers
}

TEST_F(KubernetesProvisionerTest, InvalidObjectIsInvalidFieldNamingTheCause) {
  auto options = options_for(kube_);
  options.storage_size = "lots";
  KubernetesProvisioner provisioner(options);
  const auto obs = provisioner.ensure_running(spec_at(1), ids_, recorder_);
  ASSERT_FALSE(obs.ok());
  EXPECT_EQ(obs.error().code, ErrorCode::kInvalidField);
  EXPECT_EQ(obs.error().field, "spec.resources.requests[storage]");
  EXPECT_TRUE(contains(obs.error().message, "quantities must match")) << obs.error().message;

  options = options_for(kube_);
  options.image.clear();
  KubernetesProvisioner no_image(options);
  const auto again = no_image.ensure_running(spec_at(1), ids_, recorder_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidField);
  EXPECT_TRUE(contains(again.error().message, "spec.template.spec.containers[0].image: Required value"))
      << again.error().message;
}

TEST_F(KubernetesProvisionerTest, RbacRefusalSaysSoAndABadTokenIsNeverShown) {
  kube_.forbid("patch", "secrets");
  const auto obs = running(1);
  ASSERT_FALSE(obs.ok());
  EXPECT_EQ(obs.error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(contains(obs.error().message, "RBAC")) << obs.error().message;
  EXPECT_TRUE(contains(obs.error().message, "cannot patch resource \"secrets\"")) << obs.error().message;

  auto options = options_for(kube_);
  options.token = "wrong-token-SECRET-1111";
  KubernetesProvisioner wrong(options);
  const auto denied = wrong.ensure_running(spec_at(1), ids_, recorder_);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(contains(denied.error().message, "wrong-token-SECRET-1111"));
}

TEST_F(KubernetesProvisionerTest, ARotatedTokenFileIsReadOnEveryPass) {
  const auto dir = std::filesystem::temp_directory_path() / ("winston-k8s-token-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "expired-token\n";
  auto options = options_for(kube_);
  options.token.clear();
  options.token_file = (dir / "token").string();
  KubernetesProvisioner provisioner(options);
  EXPECT_FALSE(provisioner.ensure_running(spec_at(1), ids_, recorder_).ok());
  std::ofstream(dir / "token") << kube_.token() << "\n";
  const auto obs = drive([&] { return provisioner.ensure_running(spec_at(1), ids_, recorder_); });
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady);
  std::filesystem::remove_all(dir);
}

/// A 410 on the watch (either way a server says it) is followed by a list and a new watch.
void expect_relist_after_expiry(testing::WatchExpiry expiry) {
  FakeKubernetes kube;
  KubernetesProvisioner provisioner(options_for(kube));
  TestRecorder recorder;
  ExternalIds ids;
  FakeKubernetesBehavior b;
  b.never_ready = true;
  b.watch_expiry = expiry;
  kube.set_behavior(b);
  ASSERT_EQ(provisioner.ensure_running(spec_at(1), ids, recorder)->phase, Phase::kProgressing);

  b.never_ready = false;
  b.ready_after = 1h;
  b.ready_after_reads = 2;  // the GET sees it unready; the relist after the 410 sees it ready
  kube.set_behavior(b);
  kube.put("configmaps", json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", json::object{{"name", "other"}}}},
           "kubectl");
  kube.compact();
  kube.clear_requests();
  const auto obs = provisioner.ensure_running(spec_at(1), ids, recorder);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  const auto requests = kube.requests();
  ASSERT_GE(requests.size(), 3U);
  EXPECT_EQ(requests[0].path, "/apis/apps/v1/namespaces/winston/deployments/winston-acme");
  EXPECT_TRUE(requests[1].watch());
  EXPECT_FALSE(requests[2].watch());
  EXPECT_EQ(requests[2].path, "/apis/apps/v1/namespaces/winston/deployments");
  EXPECT_EQ(requests[2].param("fieldSelector"), "metadata.name=winston-acme");
  EXPECT_TRUE(contains(recorder.all_notes(), "410")) << recorder.all_notes();
}

TEST(KubernetesWatch, ExpiredWatchEventRelists) { expect_relist_after_expiry(testing::WatchExpiry::kErrorEvent); }

TEST(KubernetesWatch, HttpGoneRelists) { expect_relist_after_expiry(testing::WatchExpiry::kHttpGone); }

// ---- stopping and deleting ---------------------------------------------------------

TEST_F(KubernetesProvisionerTest, StopScalesToZeroAndKeepsTheRest) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  const auto template_before = deployment().at("spec").at("template");
  kube_.clear_requests();
  const auto stopped = drive([&] { return provisioner_.ensure_stopped(spec_at(0), ids_, recorder_); });
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(stopped->phase, Phase::kStopped);
  const auto d = deployment();
  EXPECT_EQ(d.at("spec").at("replicas"), 0);
  // Only the replica count changed: the same pod template, so no new ReplicaSet.
  EXPECT_EQ(d.at("spec").at("template"), template_before);
  EXPECT_EQ(kube_.replica_sets("winston-acme"), 1U);
  const auto patches = with_method(kube_.requests(), "PATCH");
  ASSERT_EQ(patches.size(), 1U);
  EXPECT_EQ(patches[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(json::parse(patches[0].body), json::parse(R"({"spec":{"replicas":0}})"));
  EXPECT_EQ(env_value(container_of(d), "WINSTON_PROXY_URL"), "http://winston.winston.svc:8081");
  EXPECT_EQ(d.at("spec").at("template").at("metadata").at("annotations").at("winston.dev/snapshot-version"), "1");
  EXPECT_EQ(kube_.object_count(), 4U);
  EXPECT_EQ(ids_.at("replicas"), 0);

  const auto back = run_until_settled(1);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->phase, Phase::kReady);
  EXPECT_EQ(deployment().at("spec").at("replicas"), 1);
  EXPECT_EQ(deployment().at("spec").at("template"), template_before);
  EXPECT_EQ(kube_.replica_sets("winston-acme"), 1U) << "resuming the same snapshot rolls nothing new either";
}

// ---- storage settings on an existing claim ---------------------------------------------

class KubernetesStorageTest : public KubernetesProvisionerTest {
 protected:
  /// The cell, first provisioned with 5Gi on "standard", passes again with other settings.
  Result<Observation> reprovision(const std::string& storage_class, const std::string& size, std::int64_t version) {
    auto o = options_for(kube_);
    o.storage_class = storage_class;
    o.storage_size = size;
    KubernetesProvisioner changed(o);
    return drive([&] { return changed.ensure_running(spec_at(version), ids_, recorder_); });
  }
  void SetUp() override {
    auto o = options_for(kube_);
    o.storage_class = "standard";
    KubernetesProvisioner first(o);
    ASSERT_EQ(drive([&] { return first.ensure_running(spec_at(1), ids_, recorder_); })->phase, Phase::kReady);
    recorder_.notes.clear();
  }
  std::string claim_field(std::string_view field) const {
    const auto c = *kube_.object("persistentvolumeclaims", "winston-acme");
    if (field == "class") return std::string(c.at("spec").at("storageClassName").as_string());
    return std::string(c.at("spec").at("resources").at("requests").at("storage").as_string());
  }
};

TEST_F(KubernetesStorageTest, AChangedClassIsReportedAndTheOtherUpdatesGoOn) {
  const auto obs = reprovision("fast", "5Gi", 2);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  EXPECT_EQ(obs->deployed_version, 2) << "the new snapshot is deployed all the same";
  EXPECT_EQ(claim_field("class"), "standard");
  const auto notes = recorder_.all_notes();
  EXPECT_TRUE(contains(notes, "warning: storage settings can't change on an existing claim: storage_class standard -> "
                              "fast")) << notes;
  EXPECT_TRUE(contains(notes, "delete and re-provision")) << notes;
  for (const auto& r : with_method(kube_.requests(), "PATCH")) {
    EXPECT_FALSE(contains(r.path, "persistentvolumeclaims") && contains(r.body, "fast")) << r.body;
  }
}

TEST_F(KubernetesStorageTest, AShrinkIsRefusedByKubernetesAndReported) {
  const auto obs = reprovision("standard", "1Gi", 2);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  EXPECT_EQ(obs->deployed_version, 2);
  EXPECT_EQ(claim_field("size"), "5Gi");
  const auto notes = recorder_.all_notes();
  EXPECT_TRUE(contains(notes, "storage_size 5Gi -> 1Gi")) << notes;
  EXPECT_TRUE(contains(notes, "field can not be less than previous value")) << notes;
  EXPECT_FALSE(contains(notes, "RBAC")) << notes;
}

TEST_F(KubernetesStorageTest, AGrowthIsAResizeWhereTheClassExpandsAndReportedWhereNot) {
  kube_.set_behavior({});  // volume_expansion false: the resize admission plugin forbids it (403)
  auto obs = reprovision("standard", "10Gi", 2);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  EXPECT_EQ(claim_field("size"), "5Gi");
  auto notes = recorder_.all_notes();
  EXPECT_TRUE(contains(notes, "storage_size 5Gi -> 10Gi")) << notes;
  EXPECT_TRUE(contains(notes, "must support resize")) << notes;
  EXPECT_FALSE(contains(notes, "RBAC")) << notes;

  FakeKubernetesBehavior expands;
  expands.volume_expansion = true;
  kube_.set_behavior(expands);
  recorder_.notes.clear();
  obs = reprovision("standard", "20Gi", 3);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kReady) << obs->message;
  EXPECT_EQ(claim_field("size"), "20Gi");
  notes = recorder_.all_notes();
  EXPECT_TRUE(contains(notes, "resized claim winston/winston-acme from 5Gi to 20Gi")) << notes;
  EXPECT_FALSE(contains(notes, "warning")) << notes;
}

TEST_F(KubernetesProvisionerTest, StoppingACellNeverDeployedIsStopped) {
  const auto obs = provisioner_.ensure_stopped(spec_at(0), ids_, recorder_);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  EXPECT_EQ(obs->phase, Phase::kStopped);
  EXPECT_EQ(kube_.object_count(), 0U);
}

TEST_F(KubernetesProvisionerTest, DeleteRemovesAllFourAndRepeatsHarmlessly) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  kube_.clear_requests();
  const auto gone = provisioner_.ensure_deleted(spec_at(0), ids_, recorder_);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(gone->phase, Phase::kGone);
  EXPECT_EQ(kube_.object_count(), 0U);
  EXPECT_TRUE(ids_.empty());
  const auto deletes = with_method(kube_.requests(), "DELETE");
  ASSERT_EQ(deletes.size(), 4U);
  for (const auto& d : deletes) EXPECT_EQ(d.param("propagationPolicy"), "Foreground");
  EXPECT_TRUE(contains(deletes[0].path, "/deployments/winston-acme"));

  kube_.clear_requests();
  const auto again = provisioner_.ensure_deleted(spec_at(0), ids_, recorder_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kGone);
  EXPECT_EQ(with_method(kube_.requests(), "DELETE").size(), 4U);
}

TEST_F(KubernetesProvisionerTest, DeleteWaitsForFinalizers) {
  ASSERT_EQ(run_until_settled(1)->phase, Phase::kReady);
  FakeKubernetesBehavior b;
  b.terminating_reads = 1;
  kube_.set_behavior(b);
  const auto first = provisioner_.ensure_deleted(spec_at(0), ids_, recorder_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->phase, Phase::kProgressing);
  EXPECT_TRUE(contains(first->message, "Deployment")) << first->message;
  EXPECT_FALSE(ids_.empty());
  const auto second = provisioner_.ensure_deleted(spec_at(0), ids_, recorder_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->phase, Phase::kGone);
  EXPECT_EQ(kube_.object_count(), 0U);
}

// ---- credentials and TLS -------------------------------------------------------------

class KubernetesInCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("winston-k8s-sa-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "token") << "sa-token-value\n";
    std::ofstream(dir_ / "ca.crt") << "-----BEGIN CERTIFICATE-----\n";
    std::ofstream(dir_ / "namespace") << "cells\n";
    ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    ::setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  }
  void TearDown() override {
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
};

TEST_F(KubernetesInCluster, ReadsTheServiceAccountFiles) {
  const auto o = KubernetesOptions::in_cluster(dir_);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->api_url, "https://10.96.0.1:6443");
  EXPECT_EQ(o->token, "sa-token-value");
  EXPECT_EQ(o->token_file, (dir_ / "token").string());
  EXPECT_EQ(o->ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(o->namespace_, "cells");
}

TEST_F(KubernetesInCluster, BracketsAnIpv6HostAndFailsOutsideACluster) {
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  const auto v6 = KubernetesOptions::in_cluster(dir_);
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->api_url, "https://[fd00::1]:6443");

  std::filesystem::remove(dir_ / "token");
  const auto no_token = KubernetesOptions::in_cluster(dir_);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code, ErrorCode::kUnavailable);

  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(KubernetesOptions::in_cluster(dir_).ok());
}

/// Two unrelated self-signed certificates for 127.0.0.1, made once.
class KubernetesTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("winston-k8s-tls-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    for (const std::string name : {"server", "other"}) {
      const auto gen = testing::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=kubernetes", "-addext",
                                     "subjectAltName=IP:127.0.0.1", "-days", "2", "-keyout",
                                     (dir_ / (name + ".key")).string(), "-out", (dir_ / (name + ".crt")).string()},
                                    {}, 30'000);
      ASSERT_EQ(gen.exit_code, 0) << gen.err;
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static inline std::filesystem::path dir_;
};

TEST_F(KubernetesTls, RefusesAnUntrustedCertificateAndTrustsTheClusterCa) {
  testing::FakeSite site("127.0.0.1", testing::FakeTls{slurp(dir_ / "server.crt"), slurp(dir_ / "server.key")});
  KubernetesOptions options;
  options.api_url = site.origin();
  options.token = "tls-token";
  options.ca_file = (dir_ / "other.crt").string();
  TestRecorder recorder;
  ExternalIds ids;
  const auto refused = KubernetesProvisioner(options).ensure_running(spec_at(1), ids, recorder);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(refused.error().message, "TLS")) << refused.error().message;
  EXPECT_TRUE(site.requests().empty());

  // With the right CA the request arrives; the site is no API server (an
  // HTML 404), which must read as an error, not as JSON.
  options.ca_file = (dir_ / "server.crt").string();
  const auto reached = KubernetesProvisioner(options).ensure_running(spec_at(1), ids, recorder);
  ASSERT_FALSE(reached.ok());
  EXPECT_TRUE(contains(reached.error().message, "without a Kubernetes Status object")) << reached.error().message;
  ASSERT_EQ(site.requests().size(), 1U);
  EXPECT_EQ(site.requests()[0].target, "/api/v1/namespaces/winston/secrets/winston-acme?fieldManager=winston&force=true");
}

// ---- the fake itself -------------------------------------------------------------------

http::BlockingResponse call(const FakeKubernetes& kube, std::string method, const std::string& target,
                             std::string body = {}, std::string content_type = "application/apply-patch+yaml",
                             bool auth = true) {
  http::BlockingRequest req{std::move(method), kube.url() + target, {}, std::move(body)};
  if (auth) req.headers.emplace_back("Authorization", "Bearer " + kube.token());
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  auto r = http::blocking_call(req);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : http::BlockingResponse{};
}

std::string reason_of(const http::BlockingResponse& r) {
  const auto v = json::parse(r.body);
  return std::string(v.at("reason").as_string());
}

const std::string kSecretPath = "/api/v1/namespaces/winston/secrets/s1";
const std::string kSecretBody = R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"k":"dg=="}})";

TEST(KubernetesFake, RejectsWhatTheApiServerRejects) {
  FakeKubernetes kube;
  auto r = call(kube, "PATCH", kSecretPath + "?fieldManager=w", kSecretBody, "application/apply-patch+yaml", false);
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(reason_of(r), "Unauthorized");
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=w", kSecretBody, "text/plain");
  EXPECT_EQ(r.status, 415U);
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=w", kSecretBody, "application/merge-patch+json");
  EXPECT_EQ(r.status, 404U) << "a merge patch needs an existing object";
  r = call(kube, "PATCH", kSecretPath, kSecretBody);
  EXPECT_EQ(r.status, 400U);
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=w",
           R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"dta":{}})");
  EXPECT_EQ(r.status, 422U);
  EXPECT_TRUE(contains(r.body, "\"field\":\"dta\"")) << r.body;
  r = call(kube, "PATCH", "/apis/apps/v1/namespaces/winston/deployments/d1?fieldManager=w",
           R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d1"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[]}}}})");
  EXPECT_EQ(r.status, 422U);
  EXPECT_TRUE(contains(r.body, "spec.template.spec.containers")) << r.body;
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=w",
           R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"other"}})");
  EXPECT_EQ(r.status, 400U);
  r = call(kube, "GET", kSecretPath, {}, {});
  EXPECT_EQ(r.status, 404U);
  EXPECT_EQ(reason_of(r), "NotFound");
  r = call(kube, "DELETE", kSecretPath, {}, {});
  EXPECT_EQ(r.status, 404U);
}

TEST(KubernetesFake, AnExistingClaimKeepsItsClassAndNeverShrinks) {
  FakeKubernetes kube;
  const std::string path = "/api/v1/namespaces/winston/persistentvolumeclaims/c1?fieldManager=w&force=true";
  auto claim = [](std::string_view cls, std::string_view size) {
    return fmt::format(R"({{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{{"name":"c1"}},)"
                       R"("spec":{{"accessModes":["ReadWriteOnce"],"storageClassName":"{}",)"
                       R"("resources":{{"requests":{{"storage":"{}"}}}}}}}})",
                       cls, size);
  };
  ASSERT_EQ(call(kube, "PATCH", path, claim("standard", "5Gi")).status, 201U);
  auto r = call(kube, "PATCH", path, claim("fast", "5Gi"));
  EXPECT_EQ(r.status, 422U);
  EXPECT_TRUE(contains(r.body, "spec is immutable after creation")) << r.body;
  r = call(kube, "PATCH", path, claim("standard", "1Gi"));
  EXPECT_EQ(r.status, 422U);
  EXPECT_TRUE(contains(r.body, "\"field\":\"spec.resources.requests.storage\"")) << r.body;
  EXPECT_TRUE(contains(r.body, "field can not be less than previous value")) << r.body;
  r = call(kube, "PATCH", path, claim("standard", "10Gi"));
  EXPECT_EQ(r.status, 403U);
  EXPECT_TRUE(contains(r.body, "must support resize")) << r.body;
  EXPECT_EQ(call(kube, "PATCH", path, claim("standard", "5120Mi")).status, 200U) << "the same quantity";
  FakeKubernetesBehavior expands;
  expands.volume_expansion = true;
  kube.set_behavior(expands);
  EXPECT_EQ(call(kube, "PATCH", path, claim("standard", "10Gi")).status, 200U);
}

TEST(KubernetesFake, AMergePatchChangesOnlyWhatItNames) {
  FakeKubernetes kube;
  ASSERT_EQ(call(kube, "PATCH", kSecretPath + "?fieldManager=w", kSecretBody).status, 201U);
  auto r = call(kube, "PATCH", kSecretPath + "?fieldManager=w&force=true", R"({"data":{"j":"dg=="}})",
                "application/merge-patch+json");
  EXPECT_EQ(r.status, 400U) << "force is for apply patches only";
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=w", R"({"data":{"j":"dg=="}})", "application/merge-patch+json");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto s = *kube.object("secrets", "s1");
  EXPECT_EQ(s.at("data").at("k"), "dg==");
  EXPECT_EQ(s.at("data").at("j"), "dg==");
}

TEST(KubernetesFake, ApplyingOverAnotherManagerNeedsForce) {
  FakeKubernetes kube;
  kube.put("secrets", json::parse(kSecretBody).as_object(), "kubectl");
  auto r = call(kube, "PATCH", kSecretPath + "?fieldManager=winston", kSecretBody);
  EXPECT_EQ(r.status, 409U);
  EXPECT_EQ(reason_of(r), "Conflict");
  EXPECT_TRUE(contains(r.body, "FieldManagerConflict"));
  r = call(kube, "PATCH", kSecretPath + "?fieldManager=winston&force=true", kSecretBody);
  EXPECT_EQ(r.status, 200U);
}

TEST(KubernetesFake, WatchStreamsAddedThenModifiedAndEndsAtTimeout) {
  FakeKubernetes kube;
  TestRecorder recorder;
  ExternalIds ids;
  FakeKubernetesBehavior b;
  b.never_ready = true;
  kube.set_behavior(b);
  auto options = options_for(kube);
  options.watch_timeout = 0s;  // apply only; the watch below follows the rollout
  ASSERT_TRUE(KubernetesProvisioner(options).ensure_running(spec_at(1), ids, recorder).ok());
  kube.clear_requests();
  // Once the watch is open, the pods become available.
  std::thread controller([&] {
    for (int i = 0; i < 200 && kube.requests().empty(); ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms);
    kube.set_behavior(FakeKubernetesBehavior{});
  });
  std::string stream;
  http::BlockingOptions streaming;
  streaming.on_chunk = [&](std::string_view piece) {
    stream.append(piece);
    return true;
  };
  http::BlockingRequest req{"GET",
                             kube.url() + "/apis/apps/v1/namespaces/winston/deployments?watch=1&timeoutSeconds=1",
                             {{"Authorization", "Bearer " + kube.token()}},
                             {}};
  const auto started = std::chrono::steady_clock::now();
  const auto r = http::blocking_call(req, streaming);
  controller.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  std::vector<std::string> types;
  std::istringstream lines(stream);
  for (std::string line; std::getline(lines, line);) types.emplace_back(json::parse(line).at("type").as_string());
  ASSERT_EQ(types.size(), 2U) << stream.size() << " bytes";
  EXPECT_EQ(types[0], "ADDED");
  EXPECT_EQ(types[1], "MODIFIED");
  EXPECT_FALSE(contains(stream.substr(0, stream.find('\n')), "\"availableReplicas\""));
  EXPECT_TRUE(contains(stream.substr(stream.find('\n')), "\"availableReplicas\":1"));
}

}  // namespace
}  // namespace winston::cells
