#pragma once
// A Winston runtime whose own reconciler is off, and reconcilers a test
// builds over the backends it chooses, on a manual clock: passes are driven
// one at a time, time jumps to each next attempt, and a test can kill the
// worker before any step (the before_step hook returns an error there).

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/reconciler.hpp"
#include "support/test_server.hpp"

namespace winston::testing {

class ReconcilerHarness {
 public:
  /// `tweak` adjusts the runtime's configuration (e.g. to configure Railway).
  explicit ReconcilerHarness(const TestDatabase& db, const std::function<void(app::Config&)>& tweak = {});

  std::unique_ptr<services::Reconciler> reconciler(std::map<std::string, services::Provisioner*, std::less<>> backends,
                                                   const std::string& owner_prefix = "test-a/");
  /// POST /v1/tenants; returns the tenant id.
  std::string create(const std::string& slug, bool provision = true, const std::string& backend = "");
  /// The instance as the API shows it; empty once the tenant is gone.
  boost::json::object instance(const std::string& slug);
  /// Its actual_state, or "gone".
  std::string state(const std::string& slug);
  /// Runs passes, moving the clock to each next attempt, until `done` or `max`
  /// passes; false when `crash` killed the worker on the way.
  bool drive(services::Reconciler& r, const std::string& slug, const std::function<bool()>& done, int max = 12);
  /// "from>to" of every transition, oldest first.
  std::vector<std::string> transitions(const std::string& slug);

  TestServer& server() { return *server_; }
  ManualClock& clock() { return clock_; }
  /// The hook kills the worker (returns an error) when `crash(step)` says so.
  std::function<bool(std::string_view step)> crash;
  /// How many times the hook killed a worker.
  int crashes() const { return crashes_; }
  /// Passed to every reconciler made afterwards.
  services::ReconcilerOptions options;

 private:
  std::unique_ptr<TestServer> server_;
  ManualClock clock_{0};
  int crashes_ = 0;
};

}  // namespace winston::testing
