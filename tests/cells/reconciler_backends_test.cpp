// The reconciler driving the real Railway and Kubernetes provisioners against
// their fakes: one-step onboarding to a running cell, a new snapshot
// deployed, injected rate limits, CDN errors and failing deploys retried to
// their final states, tenant deletion removing every external resource, and
// a worker killed after every single save without a duplicate resource.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cells/kubernetes_provisioner.hpp"
#include "cells/railway_provisioner.hpp"
#include "support/fake_kubernetes.hpp"
#include "support/fake_railway.hpp"
#include "support/reconciler_harness.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::ReconcilerHarness;

class RailwayUnderReconciler : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = std::make_unique<ReconcilerHarness>(tdb_, [this](app::Config& c) {
      c.railway_api_url = fake_.url();
      c.railway_token = fake_.config().token;
      c.railway_project_id = fake_.config().project_id;
      c.railway_environment_id = fake_.config().environment_id;
      c.cells_backend = "railway";
      c.agent_proxy_url = "http://proxy.test:8081";  // remote cells need an address they can reach
    });
    cells::RailwayOptions o;
    o.api_url = fake_.url();
    o.token = fake_.config().token;
    o.project_id = fake_.config().project_id;
    o.environment_id = fake_.config().environment_id;
    o.timeout = std::chrono::seconds(5);
    railway_ = std::make_unique<cells::RailwayProvisioner>(o);
  }
  std::unique_ptr<services::Reconciler> reconciler(const std::string& prefix = "test-a/") {
    return h_->reconciler({{"railway", railway_.get()}}, prefix);
  }
  bool running(const std::string& slug, std::int64_t version) {
    const auto i = h_->instance(slug);
    return !i.empty() && i.at("actual_state") == "running" && i.at("snapshot_version").is_int64() &&
           i.at("snapshot_version").as_int64() == version;
  }

  testing::TestDatabase tdb_{"sqlite"};
  testing::FakeRailway fake_;
  std::unique_ptr<ReconcilerHarness> h_;
  std::unique_ptr<cells::RailwayProvisioner> railway_;
};

TEST_F(RailwayUnderReconciler, OnboardsDeploysThroughFaultsAndDeletes) {
  const auto id = h_->create("green", true, "railway");
  EXPECT_EQ(h_->instance("green").at("backend"), "railway");
  fake_.answer_429(1, 7);
  fake_.answer_502_html(1);
  auto r = reconciler();
  ASSERT_TRUE(r->run_once().ok());
  auto inst = h_->instance("green");
  EXPECT_EQ(inst.at("actual_state"), "provisioning");
  EXPECT_EQ(inst.at("attempts").as_int64(), 0) << "a rate limit is no failure";
  EXPECT_GE(inst.at("next_attempt_at").as_int64() - h_->clock().now_ms(), 6'000) << "Retry-After honoured";
  h_->drive(*r, "green", [&] { return running("green", 1); }, 30);
  ASSERT_TRUE(running("green", 1)) << json::serialize(h_->instance("green"));
  inst = h_->instance("green");
  const auto domains = fake_.domains();
  ASSERT_EQ(domains.size(), 1U);
  EXPECT_EQ(inst.at("url").as_string(), "https://" + domains.front().domain);
  EXPECT_EQ(fake_.services().size(), 1U);
  EXPECT_EQ(fake_.volumes().size(), 1U);
  EXPECT_EQ(fake_.volumes().front().mount_path, "/data");
  const auto service = fake_.services().front();
  EXPECT_EQ(service.variables.at("WINSTON_SNAPSHOT_VERSION"), "1");
  EXPECT_EQ(service.variables.at("WINSTON_PROXY_URL"), "http://proxy.test:8081");
  EXPECT_TRUE(service.variables.at("WINSTON_API_KEY").starts_with("wsk_"));
  // The 502 from the CDN counted as one failed attempt; the events say so without the key.
  const auto events = h_->server().client().get("/v1/tenants/green/instance/events?limit=200").body;
  EXPECT_NE(events.find("attempt 1"), std::string::npos) << events;
  EXPECT_EQ(events.find(service.variables.at("WINSTON_API_KEY")), std::string::npos);
  EXPECT_EQ(events.find(service.variables.at("OPENCLAW_GATEWAY_TOKEN")), std::string::npos);

  // A new snapshot: variables upserted, one more deploy, no new service.
  auto c = h_->server().client();
  ASSERT_EQ(c.send(boost::beast::http::verb::put, "/v1/tenants/green/skills/sales-summary", R"({"enabled":false})").status,
            200U);
  ASSERT_EQ(c.post("/v1/tenants/green/configs", "").status, 201U);
  h_->drive(*r, "green", [&] { return running("green", 2); }, 30);
  ASSERT_TRUE(running("green", 2));
  EXPECT_EQ(fake_.services().front().variables.at("WINSTON_SNAPSHOT_VERSION"), "2");
  EXPECT_EQ(fake_.count("serviceCreate"), 1U);
  EXPECT_EQ(fake_.count("serviceInstanceDeployV2"), 2U);

  // Deleting the tenant removes the service and volume first, then the tenant.
  ASSERT_EQ(c.del("/v1/tenants/green").status, 202U);
  h_->drive(*r, "green", [&] { return h_->state("green") == "gone"; }, 30);
  EXPECT_EQ(c.get("/v1/tenants/green").status, 404U);
  EXPECT_TRUE(fake_.services().empty());
  EXPECT_TRUE(fake_.volumes().empty());
  EXPECT_EQ(tdb_.count("tenant_instances", "tenant_id = '" + id + "'"), 0);
}

TEST_F(RailwayUnderReconciler, FailingDeploysEndFailedAndARetrySucceeds) {
  h_->create("blue", true, "railway");
  testing::FakeDeployOutcome failing;
  failing.final_status = "FAILED";
  fake_.set_deploy_outcome(failing);
  auto r = reconciler();
  h_->drive(*r, "blue", [&] { return h_->state("blue") == "failed"; }, 40);
  auto inst = h_->instance("blue");
  ASSERT_EQ(inst.at("actual_state"), "failed");
  EXPECT_EQ(inst.at("attempts").as_int64(), 3);
  EXPECT_NE(inst.at("last_error").as_string().find("FAILED"), std::string::npos) << json::serialize(inst);
  EXPECT_TRUE(inst.at("next_attempt_at").is_null());
  EXPECT_EQ(fake_.services().size(), 1U) << "retries redeploy, never recreate";

  fake_.set_deploy_outcome({});
  ASSERT_EQ(h_->server().client().post("/v1/tenants/blue/instance/retry", "").status, 202U);
  h_->drive(*r, "blue", [&] { return running("blue", 1); }, 30);
  EXPECT_TRUE(running("blue", 1));
  EXPECT_EQ(fake_.services().size(), 1U);
}

TEST_F(RailwayUnderReconciler, AWorkerKilledAfterEverySaveCreatesNothingTwice) {
  h_->create("iris", true, "railway");
  int saves = 0, crashes = 0;
  h_->crash = [&](std::string_view step) {
    if (step != "save") return false;
    // Die right after each of the first eight records of a created resource.
    if (++saves > 8) return false;
    ++crashes;
    return true;
  };
  for (int worker = 0; worker < 20 && !running("iris", 1); ++worker) {
    auto r = reconciler("host-x/");  // the same host, restarted: its stale lease is freed
    ASSERT_TRUE(r->recover().ok());
    h_->drive(*r, "iris", [&] { return running("iris", 1); }, 30);  // until it runs or the hook kills the worker
  }
  EXPECT_TRUE(running("iris", 1)) << json::serialize(h_->instance("iris"));
  EXPECT_EQ(crashes, 8);
  EXPECT_EQ(fake_.services().size(), 1U);
  EXPECT_EQ(fake_.volumes().size(), 1U);
  EXPECT_EQ(fake_.domains().size(), 1U);
  EXPECT_EQ(tdb_.count("config_snapshots"), 1);
}

class KubernetesUnderReconciler : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = std::make_unique<ReconcilerHarness>(tdb_, [this](app::Config& c) {
      c.kubernetes_api_url = fake_.url();
      c.kubernetes_token = fake_.token();
      c.cells_backend = "kubernetes";
      c.agent_proxy_url = "http://proxy.test:8081";
    });
    cells::KubernetesOptions o;
    o.api_url = fake_.url();
    o.token = fake_.token();
    o.timeout = std::chrono::seconds(5);
    o.watch_timeout = std::chrono::seconds(1);
    kube_ = std::make_unique<cells::KubernetesProvisioner>(o);
  }
  std::unique_ptr<services::Reconciler> reconciler(const std::string& prefix = "test-a/") {
    return h_->reconciler({{"kubernetes", kube_.get()}}, prefix);
  }
  bool running(const std::string& slug, std::int64_t version) {
    const auto i = h_->instance(slug);
    return !i.empty() && i.at("actual_state") == "running" && i.at("snapshot_version").is_int64() &&
           i.at("snapshot_version").as_int64() == version;
  }

  testing::TestDatabase tdb_{"sqlite"};
  testing::FakeKubernetes fake_;
  std::unique_ptr<ReconcilerHarness> h_;
  std::unique_ptr<cells::KubernetesProvisioner> kube_;
};

TEST_F(KubernetesUnderReconciler, OnboardsRollsSuspendsAndDeletes) {
  const auto id = h_->create("kale", true, "kubernetes");
  fake_.fail_next(1, 429, "3");
  auto r = reconciler();
  h_->drive(*r, "kale", [&] { return running("kale", 1); }, 30);
  ASSERT_TRUE(running("kale", 1)) << json::serialize(h_->instance("kale"));
  EXPECT_EQ(h_->instance("kale").at("url"), "http://winston-kale.winston.svc:8080");
  const auto deployment = fake_.object("deployments", "winston-kale");
  ASSERT_TRUE(deployment.has_value());
  EXPECT_EQ(fake_.object_count(), 4U) << "Secret, PVC, Deployment, Service";
  const auto secret = fake_.object("secrets", "winston-kale");
  ASSERT_TRUE(secret.has_value());
  EXPECT_NE(json::serialize(*secret).find("WINSTON_API_KEY"), std::string::npos);

  // A new snapshot rolls the Deployment; nothing is duplicated.
  auto c = h_->server().client();
  ASSERT_EQ(c.send(boost::beast::http::verb::put, "/v1/tenants/kale/skills/social-media", R"({"enabled":false})").status,
            200U);
  ASSERT_EQ(c.post("/v1/tenants/kale/configs", "").status, 201U);
  h_->drive(*r, "kale", [&] { return running("kale", 2); }, 30);
  ASSERT_TRUE(running("kale", 2));
  EXPECT_EQ(fake_.object_count(), 4U);
  EXPECT_NE(json::serialize(*fake_.object("deployments", "winston-kale")).find(R"("WINSTON_SNAPSHOT_VERSION","value":"2")"),
            std::string::npos);

  // Suspension scales to zero and keeps the rest.
  ASSERT_EQ(c.patch("/v1/tenants/kale", R"({"status":"suspended"})").status, 200U);
  h_->drive(*r, "kale", [&] { return h_->state("kale") == "stopped"; }, 30);
  EXPECT_EQ(h_->state("kale"), "stopped");
  EXPECT_EQ(fake_.object("deployments", "winston-kale")->at("spec").at("replicas").as_int64(), 0);
  EXPECT_EQ(fake_.object_count(), 4U);

  // Deleting the tenant deletes all four objects, then the tenant.
  ASSERT_EQ(c.del("/v1/tenants/kale").status, 202U);
  h_->drive(*r, "kale", [&] { return h_->state("kale") == "gone"; }, 30);
  EXPECT_EQ(c.get("/v1/tenants/kale").status, 404U);
  EXPECT_EQ(fake_.object_count(), 0U);
  EXPECT_EQ(tdb_.count("tenant_instances", "tenant_id = '" + id + "'"), 0);
}

TEST_F(KubernetesUnderReconciler, ARolloutPastItsDeadlineEndsFailed) {
  h_->create("sage", true, "kubernetes");
  testing::FakeKubernetesBehavior b;
  b.progress_deadline_exceeded = true;
  fake_.set_behavior(b);
  auto r = reconciler();
  h_->drive(*r, "sage", [&] { return h_->state("sage") == "failed"; }, 40);
  const auto inst = h_->instance("sage");
  ASSERT_EQ(inst.at("actual_state"), "failed") << json::serialize(inst);
  EXPECT_NE(inst.at("last_error").as_string().find("timed out progressing"), std::string::npos) << json::serialize(inst);
  EXPECT_EQ(fake_.object_count(), 4U) << "retried by re-applying, never by creating twice";
}

TEST_F(KubernetesUnderReconciler, AWorkerKilledAtEverySaveConverges) {
  h_->create("fern", true, "kubernetes");
  int saves = 0;
  h_->crash = [&](std::string_view step) { return step == "save" && ++saves <= 4; };
  for (int worker = 0; worker < 12 && !running("fern", 1); ++worker) {
    auto r = reconciler("host-k/");
    ASSERT_TRUE(r->recover().ok());
    h_->drive(*r, "fern", [&] { return running("fern", 1); }, 30);  // until it runs or the hook kills the worker
  }
  EXPECT_TRUE(running("fern", 1)) << json::serialize(h_->instance("fern"));
  EXPECT_GE(saves, 4);
  EXPECT_EQ(fake_.object_count(), 4U);
}

}  // namespace
}  // namespace winston
