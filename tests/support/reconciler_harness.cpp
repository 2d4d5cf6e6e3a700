#include "support/reconciler_harness.hpp"

#include <gtest/gtest.h>

namespace winston::testing {
namespace json = boost::json;

ReconcilerHarness::ReconcilerHarness(const TestDatabase& db, const std::function<void(app::Config&)>& tweak) {
  server_ = std::make_unique<TestServer>(db, std::chrono::seconds(5), [&](app::Config& c) {
    c.cells_reconcile = false;
    if (tweak) tweak(c);
  });
  clock_.set(SystemClock().now_ms() + 1'000);
  options.lease_ttl = std::chrono::milliseconds(60'000);
  options.poll_interval = std::chrono::milliseconds(1'000);
  options.health_interval = std::chrono::milliseconds(30'000);
  options.backoff_base = std::chrono::milliseconds(2'000);
  options.backoff_max = std::chrono::milliseconds(20'000);
  options.max_attempts = 3;
  options.proxy_url = [] { return std::string("http://proxy.test:8081"); };
}

std::unique_ptr<services::Reconciler> ReconcilerHarness::reconciler(
    std::map<std::string, services::Provisioner*, std::less<>> backends, const std::string& owner_prefix) {
  auto o = options;
  o.owner_prefix = owner_prefix;
  o.before_step = [this](std::string_view step) -> Status {
    if (!crash || !crash(step)) return {};
    ++crashes_;
    return Error::unavailable("simulated crash before " + std::string(step));
  };
  auto& rt = server_->runtime();
  return std::make_unique<services::Reconciler>(rt.database(), clock_, rt.tenants(), rt.configs(), nullptr,
                                                std::move(backends), std::move(o));
}

std::string ReconcilerHarness::create(const std::string& slug, bool provision, const std::string& backend) {
  json::object body = {{"name", "Leaf " + slug}, {"email", slug + "@example.com"},
                       {"website_url", "https://" + slug + ".example.com"}, {"slug", slug},
                       {"provision", provision}};
  if (!backend.empty()) body["backend"] = backend;
  auto r = server_->client().post("/v1/tenants", json::serialize(body));
  EXPECT_EQ(r.status, 201U) << r.body;
  return r.status == 201U ? std::string(r.json().at("id").as_string()) : std::string();
}

json::object ReconcilerHarness::instance(const std::string& slug) {
  auto r = server_->client().get("/v1/tenants/" + slug + "/instance");
  if (r.status == 404U) return {};
  EXPECT_EQ(r.status, 200U) << r.body;
  return r.json().as_object();
}

std::string ReconcilerHarness::state(const std::string& slug) {
  const auto i = instance(slug);
  return i.empty() ? "gone" : std::string(i.at("actual_state").as_string());
}

bool ReconcilerHarness::drive(services::Reconciler& r, const std::string& slug, const std::function<bool()>& done,
                              int max) {
  for (int i = 0; i < max && !done(); ++i) {
    const int crashes_before = crashes_;
    auto handled = r.run_once();
    if (!handled.ok() && crashes_ > crashes_before) return false;  // the worker died at a step
    EXPECT_TRUE(handled.ok()) << handled.error().message;
    if (!handled.ok() || done()) return true;
    const auto inst = instance(slug);
    if (const auto* next = inst.if_contains("next_attempt_at"); next && next->is_int64()) {
      clock_.set(std::max(clock_.now_ms(), next->as_int64()) + 1);
    }
  }
  return true;
}

std::vector<std::string> ReconcilerHarness::transitions(const std::string& slug) {
  auto r = server_->client().get("/v1/tenants/" + slug + "/instance/events?limit=200");
  std::vector<std::string> out;
  if (r.status != 200U) return out;
  const auto doc = r.json();  // by value: keep it alive while iterating
  for (const auto& e : doc.at("data").as_array()) {
    if (e.at("kind") == "transition") {
      out.insert(out.begin(), std::string(e.at("from").is_null() ? "" : e.at("from").as_string().c_str()) + ">" +
                                  std::string(e.at("to").as_string()));
    }
  }
  return out;
}

}  // namespace winston::testing
