// The cell reconciler against a scriptable in-memory backend, on both
// database backends: onboarding to running, deploys of new snapshots,
// suspend/resume, backoff to failed and retry, tenant deletion through
// deprovisioning, leases between replicas, and workers killed between steps.
// (The Railway and Kubernetes backends under the reconciler:
// tests/cells/reconciler_backends_test.cpp; real local gateways: tests/cells/local_e2e_test.cpp.)

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "services/reconciler.hpp"
#include "storage/instance_repository.hpp"
#include "support/reconciler_harness.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using services::Observation;
using services::Phase;
using testing::TestDatabase;

/// An "external platform" shared by every FakeProvisioner, like Railway's
/// project: creating is not idempotent, so a backend must look up by name.
struct World {
  std::mutex mu;
  std::map<std::string, std::int64_t> resources;  // name -> version running
  int creates = 0;
  int deletes = 0;
};

class FakeProvisioner final : public services::Provisioner {
 public:
  explicit FakeProvisioner(World& world) : world_(world) {}
  std::string_view backend() const override { return "local"; }

  Result<Observation> ensure_running(const services::CellSpec& spec, services::ExternalIds& ids,
                                     services::Recorder& rec) override {
    const InFlight guard(*this, spec.tenant_slug);
    {
      std::lock_guard lock(mu_);
      ++running_calls;
      last_spec = spec;
    }
    if (fail_running > 0) {
      --fail_running;
      return Error::unavailable("platform answered 503");
    }
    const std::string name = "cell-" + spec.tenant_slug;
    if (!ids.contains("rid")) {
      {
        std::lock_guard lock(world_.mu);
        if (!world_.resources.contains(name)) {
          world_.resources[name] = 0;
          ++world_.creates;
          rec.note("create", "service " + name + " created");
        }
      }
      ids["rid"] = name;
      WINSTON_TRY(rec.save(ids));
    }
    std::lock_guard lock(world_.mu);
    auto& running = world_.resources[name];
    if (running != spec.snapshot_version) {
      running = spec.snapshot_version;
      ids["deployed"] = spec.snapshot_version;
      return Observation{Phase::kProgressing, "", 0, "deploying", std::chrono::milliseconds(0)};
    }
    if (crashed) return Observation{Phase::kFailed, "", 0, "the gateway crashed (exit 1)", {}};
    return Observation{Phase::kReady, "http://" + name + ".internal:8080", running, "", {}};
  }
  Result<Observation> ensure_stopped(const services::CellSpec& spec, services::ExternalIds&, services::Recorder&) override {
    const InFlight guard(*this, spec.tenant_slug);
    ++stop_calls;
    std::lock_guard lock(world_.mu);
    world_.resources["cell-" + spec.tenant_slug] = -1;
    return Observation{Phase::kStopped, "", 0, "", {}};
  }
  Result<Observation> ensure_deleted(const services::CellSpec& spec, services::ExternalIds& ids, services::Recorder&) override {
    const InFlight guard(*this, spec.tenant_slug);
    ++delete_calls;
    std::lock_guard lock(world_.mu);
    if (world_.resources.erase("cell-" + spec.tenant_slug) > 0) ++world_.deletes;
    ids.clear();
    return Observation{Phase::kGone, "", 0, "", {}};
  }

  std::mutex mu_;
  std::atomic<int> running_calls{0}, stop_calls{0}, delete_calls{0}, fail_running{0};
  std::atomic<int> in_flight{0}, max_in_flight{0};  // over all cells
  std::map<std::string, int> cell_in_flight;
  int max_cell_in_flight = 0;  // on one cell: must stay 1
  std::atomic<bool> crashed{false};
  std::chrono::milliseconds dwell{0};
  services::CellSpec last_spec;

 private:
  struct InFlight {
    InFlight(FakeProvisioner& p, std::string cell) : p_(p), cell_(std::move(cell)) {
      {
        std::lock_guard lock(p_.mu_);
        p_.max_cell_in_flight = std::max(p_.max_cell_in_flight, ++p_.cell_in_flight[cell_]);
      }
      const int now = ++p_.in_flight;
      int seen = p_.max_in_flight.load();
      while (now > seen && !p_.max_in_flight.compare_exchange_weak(seen, now)) {
      }
      if (p_.dwell.count() > 0) std::this_thread::sleep_for(p_.dwell);
    }
    ~InFlight() {
      --p_.in_flight;
      std::lock_guard lock(p_.mu_);
      --p_.cell_in_flight[cell_];
    }
    FakeProvisioner& p_;
    std::string cell_;
  };
  World& world_;
};

class ReconcilerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    h_ = std::make_unique<testing::ReconcilerHarness>(tdb_);
    h_->crash = [this](std::string_view step) {
      if (crash_at_ != step) return false;
      crash_at_.clear();
      return true;
    };
  }
  std::unique_ptr<services::Reconciler> reconciler(FakeProvisioner& fake, const std::string& prefix = "test-a/") {
    return h_->reconciler({{"local", &fake}}, prefix);
  }
  std::string create(const std::string& slug, bool provision = true) { return h_->create(slug, provision); }
  json::object instance(const std::string& slug) { return h_->instance(slug); }
  std::string state(const std::string& slug) { return h_->state(slug); }
  void drive(services::Reconciler& r, const std::string& slug, const std::function<bool()>& done, int max = 12) {
    h_->drive(r, slug, done, max);
  }
  std::vector<std::string> transitions(const std::string& slug) { return h_->transitions(slug); }

  TestDatabase tdb_{GetParam()};
  std::unique_ptr<testing::ReconcilerHarness> h_;
  World world_;
  std::string crash_at_;
};

TEST_P(ReconcilerTest, OnboardsATenantToARunningCell) {
  const auto id = create("green");
  EXPECT_EQ(state("green"), "pending");
  EXPECT_EQ(instance("green").at("step"), "queued");
  FakeProvisioner fake(world_);
  auto r = reconciler(fake);
  drive(*r, "green", [&] { return state("green") == "running"; });

  const auto inst = instance("green");
  EXPECT_EQ(inst.at("actual_state"), "running");
  EXPECT_EQ(inst.at("snapshot_version").as_int64(), 1) << "the onboarding generated config v1 and deployed it";
  EXPECT_EQ(inst.at("url"), "http://cell-green.internal:8080");
  EXPECT_EQ(inst.at("attempts").as_int64(), 0);
  EXPECT_EQ(inst.at("external").at("rid"), "cell-green");
  EXPECT_EQ(inst.at("step"), "running v1");
  EXPECT_TRUE(inst.at("ready_at").is_int64());
  EXPECT_EQ(transitions("green"), (std::vector<std::string>{">pending", "pending>provisioning", "provisioning>running"}));
  EXPECT_EQ(tdb_.count("config_snapshots", "tenant_id = '" + id + "'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'instance.transition'"), 3);

  // What the cell was given: the snapshot's files, its own secrets and the proxy.
  EXPECT_TRUE(fake.last_spec.files.contains("openclaw.json"));
  EXPECT_TRUE(fake.last_spec.files.contains("workspace/SOUL.md"));
  EXPECT_TRUE(fake.last_spec.api_key.starts_with("wsk_"));
  EXPECT_EQ(fake.last_spec.gateway_token.size(), 64U);
  EXPECT_EQ(fake.last_spec.proxy_url, "http://proxy.test:8081");
  EXPECT_EQ(fake.last_spec.tenant_id, id);
  EXPECT_EQ(world_.creates, 1);
  // The notes the backend wrote are in the events list, never a secret.
  const auto events = h_->server().client().get("/v1/tenants/green/instance/events?limit=200").body;
  EXPECT_NE(events.find("service cell-green created"), std::string::npos);
  EXPECT_NE(events.find("config v1 generated"), std::string::npos);
  EXPECT_EQ(events.find(fake.last_spec.api_key), std::string::npos);
  EXPECT_EQ(events.find(fake.last_spec.gateway_token), std::string::npos);

  // Settled: looked at again only after the health interval.
  const auto calls = fake.running_calls.load();
  ASSERT_TRUE(r->run_once().ok());
  EXPECT_EQ(fake.running_calls.load(), calls);
  h_->clock().advance(31'000);
  ASSERT_TRUE(r->run_once().ok());
  EXPECT_EQ(fake.running_calls.load(), calls + 1);
  EXPECT_EQ(state("green"), "running");
}

TEST_P(ReconcilerTest, DeploysANewSnapshotAndMarksACrashDegraded) {
  create("blue");
  FakeProvisioner fake(world_);
  auto r = reconciler(fake);
  drive(*r, "blue", [&] { return state("blue") == "running"; });
  ASSERT_EQ(instance("blue").at("snapshot_version").as_int64(), 1);

  auto c = h_->server().client();
  ASSERT_EQ(c.send(boost::beast::http::verb::put, "/v1/tenants/blue/skills/social-media", R"({"enabled":false})").status,
            200U);
  ASSERT_EQ(c.post("/v1/tenants/blue/configs", R"({"reason":"no social"})").status, 201U);
  EXPECT_TRUE(instance("blue").at("next_attempt_at").as_int64() <= h_->clock().now_ms()) << "a new config wakes the cell";
  ASSERT_TRUE(r->run_once().ok());
  EXPECT_EQ(state("blue"), "provisioning") << "deploying v2";
  EXPECT_EQ(instance("blue").at("step").as_string().subview().substr(0, 9), "deploy v2");
  drive(*r, "blue", [&] { return state("blue") == "running"; });
  EXPECT_EQ(instance("blue").at("snapshot_version").as_int64(), 2);
  EXPECT_FALSE(fake.last_spec.files.contains("workspace/skills/social-media/SKILL.md"));
  EXPECT_EQ(world_.creates, 1);

  fake.crashed = true;
  h_->clock().advance(31'000);
  ASSERT_TRUE(r->run_once().ok());
  EXPECT_EQ(state("blue"), "degraded");
  EXPECT_EQ(instance("blue").at("attempts").as_int64(), 1);
  EXPECT_NE(instance("blue").at("last_error").as_string().find("crashed"), std::string::npos);
  fake.crashed = false;
  drive(*r, "blue", [&] { return state("blue") == "running"; });
  EXPECT_EQ(instance("blue").at("attempts").as_int64(), 0);
  EXPECT_TRUE(instance("blue").at("last_error").is_null());
  const auto t = transitions("blue");
  EXPECT_NE(std::find(t.begin(), t.end(), "running>degraded"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "degraded>running"), t.end());
}

TEST_P(ReconcilerTest, BacksOffThenFailsAndRetriesOnRequest) {
  create("red");
  FakeProvisioner fake(world_);
  fake.fail_running = 100;
  auto r = reconciler(fake);
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r->run_once().ok());
    const auto inst = instance("red");
    EXPECT_EQ(inst.at("attempts").as_int64(), i + 1);
    if (i < 2) {
      const auto wait = inst.at("next_attempt_at").as_int64() - h_->clock().now_ms();
      waits.push_back(wait);
      // Exponential with jitter: half to all of base·2^(n-1).
      EXPECT_GE(wait, 1'000 << i);
      EXPECT_LE(wait, 2'000 << i);
      ASSERT_TRUE(r->run_once().ok());
      EXPECT_EQ(instance("red").at("attempts").as_int64(), i + 1) << "not due before the backoff";
      h_->clock().advance(wait + 1);
    }
  }
  auto inst = instance("red");
  EXPECT_EQ(inst.at("actual_state"), "failed");
  EXPECT_TRUE(inst.at("next_attempt_at").is_null());
  EXPECT_NE(inst.at("last_error").as_string().find("503"), std::string::npos);
  h_->clock().advance(3'600'000);
  ASSERT_TRUE(r->run_once().ok());
  EXPECT_EQ(fake.running_calls.load(), 3) << "a failed cell waits for an operator";

  fake.fail_running = 0;
  auto retry = h_->server().client().post("/v1/tenants/red/instance/retry", "");
  ASSERT_EQ(retry.status, 202U) << retry.body;
  EXPECT_EQ(retry.json().at("attempts").as_int64(), 0);
  drive(*r, "red", [&] { return state("red") == "running"; });
  EXPECT_EQ(state("red"), "running");
  const auto t = transitions("red");
  EXPECT_NE(std::find(t.begin(), t.end(), "provisioning>failed"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "failed>provisioning"), t.end());
}

TEST_P(ReconcilerTest, SuspensionStopsTheCellAndActivationStartsIt) {
  create("teal");
  FakeProvisioner fake(world_);
  auto r = reconciler(fake);
  drive(*r, "teal", [&] { return state("teal") == "running"; });
  auto c = h_->server().client();
  ASSERT_EQ(c.patch("/v1/tenants/teal", R"({"status":"suspended"})").status, 200U);
  EXPECT_EQ(instance("teal").at("desired_state"), "stopped");
  drive(*r, "teal", [&] { return state("teal") == "stopped"; });
  EXPECT_EQ(fake.stop_calls.load(), 1);
  EXPECT_EQ(state("teal"), "stopped");
  EXPECT_EQ(c.patch("/v1/tenants/teal/instance", R"({"desired_state":"running"})").status, 409U)
      << "a suspended tenant's cell does not run";
  ASSERT_EQ(c.patch("/v1/tenants/teal", R"({"status":"active"})").status, 200U);
  drive(*r, "teal", [&] { return state("teal") == "running"; });
  EXPECT_EQ(state("teal"), "running");
  EXPECT_EQ(world_.creates, 1) << "started again, not created again";
  const auto t = transitions("teal");
  EXPECT_NE(std::find(t.begin(), t.end(), "running>stopping"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "stopping>stopped"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "stopped>provisioning"), t.end());
}

TEST_P(ReconcilerTest, DeletingATenantRemovesItsCellFirst) {
  const auto id = create("gold");
  FakeProvisioner fake(world_);
  auto r = reconciler(fake);
  drive(*r, "gold", [&] { return state("gold") == "running"; });
  auto c = h_->server().client();
  auto del = c.del("/v1/tenants/gold");
  ASSERT_EQ(del.status, 202U) << del.body;
  EXPECT_TRUE(del.json().at("deleting").as_bool());
  EXPECT_EQ(del.json().at("status"), "suspended") << "its keys stop working while the cell is removed";
  EXPECT_EQ(c.get("/v1/tenants/gold").status, 200U);
  EXPECT_EQ(c.patch("/v1/tenants/gold", R"({"status":"active"})").status, 409U);
  drive(*r, "gold", [&] { return c.get("/v1/tenants/gold").status == 404U; });
  EXPECT_EQ(c.get("/v1/tenants/gold").status, 404U);
  EXPECT_EQ(fake.delete_calls.load(), 1);
  EXPECT_EQ(world_.deletes, 1);
  EXPECT_TRUE(world_.resources.empty());
  for (const auto* table : {"tenant_instances", "instance_events", "config_snapshots", "api_keys"}) {
    EXPECT_EQ(tdb_.count(table, "tenant_id = '" + id + "'"), 0) << table;
  }
  EXPECT_EQ(tdb_.count("audit_log", "action = 'tenant.delete' AND target = 'tenant:" + id + "'"), 1);

  // A tenant whose cell was never started goes at once.
  create("never");
  EXPECT_EQ(c.del("/v1/tenants/never").status, 204U);
}

TEST_P(ReconcilerTest, AWorkerKilledBetweenCreateAndSaveLeavesNoDuplicate) {
  create("iris");
  FakeProvisioner fake(world_);
  auto a = reconciler(fake, "host-a/");
  crash_at_ = "save";  // the backend created the service; the worker dies before recording it
  EXPECT_FALSE(a->run_once().ok()) << "the hook killed the worker";
  EXPECT_EQ(h_->crashes(), 1);
  EXPECT_EQ(world_.creates, 1);
  auto inst = instance("iris");
  EXPECT_EQ(inst.at("external").as_object().size(), 0U) << "the id was never saved";

  // Another replica: the lease holds it off until it expires.
  auto b = reconciler(fake, "host-b/");
  ASSERT_TRUE(b->run_once().ok());
  EXPECT_EQ(fake.running_calls.load(), 1);
  h_->clock().advance(61'000);
  drive(*b, "iris", [&] { return state("iris") == "running"; });
  EXPECT_EQ(state("iris"), "running");
  EXPECT_EQ(world_.creates, 1) << "found by name, not created twice";
  EXPECT_EQ(instance("iris").at("external").at("rid"), "cell-iris");
}

TEST_P(ReconcilerTest, AWorkerKilledAtEveryStepStillConverges) {
  for (const std::string step : {"configure", "ensure_running", "save"}) {
    SCOPED_TRACE(step);
    const std::string slug = "step-" + std::string(step == "ensure_running" ? "run" : step);
    create(slug);
    FakeProvisioner fake(world_);
    {
      auto dying = reconciler(fake, "host-x/");
      crash_at_ = step;
      const int crashes = h_->crashes();
      EXPECT_FALSE(dying->run_once().ok()) << "the hook killed the worker";
      EXPECT_EQ(h_->crashes(), crashes + 1);
    }
    // Nothing after the crash point was written: the cell reads as it was queued.
    EXPECT_EQ(state(slug), "pending");
    EXPECT_EQ(instance(slug).at("step"), "queued");
    EXPECT_EQ(instance(slug).at("external").as_object().size(), 0U);
    // The same host restarted: start() frees the leases its previous run held, no waiting.
    auto restarted = reconciler(fake, "host-x/");
    ASSERT_TRUE(restarted->recover().ok());
    drive(*restarted, slug, [&] { return state(slug) == "running"; });
    EXPECT_EQ(state(slug), "running");
    EXPECT_EQ(instance(slug).at("snapshot_version").as_int64(), 1);
  }
  EXPECT_EQ(world_.creates, 3) << "one resource per tenant";
  EXPECT_EQ(tdb_.count("config_snapshots"), 3) << "one config per tenant, never two";
}

TEST_P(ReconcilerTest, AWorkerKilledWhileStoppingOrDeletingStillConverges) {
  create("wren");
  FakeProvisioner fake(world_);
  auto r = reconciler(fake, "host-y/");
  drive(*r, "wren", [&] { return state("wren") == "running"; });
  auto c = h_->server().client();
  const auto kill_then_converge = [&](const std::string& step, const std::string& settled) {
    SCOPED_TRACE(step);
    const auto before = instance("wren");
    {
      auto dying = reconciler(fake, "host-y/");
      crash_at_ = step;
      EXPECT_FALSE(dying->run_once().ok()) << "the hook killed the worker";
    }
    EXPECT_EQ(instance("wren").at("actual_state"), before.at("actual_state")) << "nothing after the crash was written";
    EXPECT_EQ(instance("wren").at("step"), before.at("step"));
    auto restarted = reconciler(fake, "host-y/");
    ASSERT_TRUE(restarted->recover().ok());
    drive(*restarted, "wren", [&] { return state("wren") == settled; });
    EXPECT_EQ(state("wren"), settled);
  };
  ASSERT_EQ(c.patch("/v1/tenants/wren/instance", R"({"desired_state":"stopped"})").status, 202U);
  kill_then_converge("ensure_stopped", "stopped");
  ASSERT_EQ(c.del("/v1/tenants/wren/instance").status, 202U);
  kill_then_converge("ensure_deleted", "deleted");
  EXPECT_EQ(fake.stop_calls.load(), 1) << "the killed worker never reached the backend";
  EXPECT_EQ(fake.delete_calls.load(), 1);
}

TEST_P(ReconcilerTest, TwoReplicasNeverWorkOnOneCellAtOnce) {
  for (int i = 0; i < 4; ++i) create("pair" + std::to_string(i));
  FakeProvisioner fake(world_);
  fake.dwell = std::chrono::milliseconds(30);
  auto a = reconciler(fake, "host-a/");
  auto b = reconciler(fake, "host-b/");
  std::atomic<bool> failed{false};
  const auto work = [&](services::Reconciler& r) {
    for (int i = 0; i < 10; ++i) {
      if (!r.run_once().ok()) failed = true;
    }
  };
  std::thread ta(work, std::ref(*a)), tb(work, std::ref(*b));
  ta.join();
  tb.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(fake.max_cell_in_flight, 1) << "one cell was never worked on by both";
  EXPECT_GE(fake.max_in_flight.load(), 1);
  EXPECT_EQ(world_.creates, 4);
  EXPECT_EQ(tdb_.count("config_snapshots"), 4);
  EXPECT_EQ(tdb_.count("tenant_instances", "lease_owner IS NOT NULL"), 0) << "every lease was freed";
}

TEST_P(ReconcilerTest, InstanceApiValidatesAndReports) {
  auto c = h_->server().client();
  create("plain", false);
  EXPECT_EQ(c.get("/v1/tenants/plain/instance").status, 404U);
  EXPECT_EQ(c.post("/v1/tenants/plain/instance", R"({"backend":"mainframe"})").status, 422U);
  EXPECT_EQ(c.post("/v1/tenants/plain/instance", R"({"backend":"railway"})").status, 422U)
      << "railway is not configured here";
  EXPECT_EQ(c.post("/v1/tenants/plain/instance", R"({"size":1})").status, 422U);
  auto made = c.post("/v1/tenants/plain/instance", "");
  ASSERT_EQ(made.status, 202U) << made.body;
  EXPECT_EQ(made.json().at("backend"), "local");
  EXPECT_EQ(made.json().at("desired_state"), "running");
  EXPECT_EQ(c.post("/v1/tenants/plain/instance", "").status, 202U) << "idempotent";
  EXPECT_EQ(tdb_.count("tenant_instances"), 1);
  EXPECT_EQ(c.patch("/v1/tenants/plain/instance", R"({"desired_state":"deleted"})").status, 422U);
  EXPECT_EQ(made.json().at("tenant_slug"), "plain");
  EXPECT_EQ(made.json().at("tenant_name"), "Leaf plain");
  auto list = c.get("/v1/instances?state=pending");
  ASSERT_EQ(list.status, 200U);
  EXPECT_EQ(list.json().at("total").as_int64(), 1);
  // Each cell names its tenant by slug and name beside the id.
  const auto listed = list.json();
  const auto& row = listed.at("data").as_array().at(0);
  EXPECT_EQ(row.at("tenant_slug"), "plain");
  EXPECT_EQ(row.at("tenant_name"), "Leaf plain");
  EXPECT_EQ(row.at("tenant_id"), made.json().at("tenant_id"));
  EXPECT_EQ(testing::HttpClient(h_->server().port(), "wrong-token").get("/v1/instances").status, 401U);
  EXPECT_EQ(c.post("/v1/tenants", R"({"name":"X","email":"x@example.com","website_url":"https://x.example.com","backend":"local"})").status,
            422U)
      << "backend without provision";
  EXPECT_EQ(c.post("/v1/tenants", R"({"name":"Y","email":"y@example.com","website_url":"https://y.example.com","provision":true,"backend":"nope"})").status,
            422U);
  EXPECT_EQ(tdb_.count("tenants", "email = 'y@example.com'"), 0) << "no tenant without its cell";
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconcilerTest, testing::kBackends);

}  // namespace
}  // namespace winston
