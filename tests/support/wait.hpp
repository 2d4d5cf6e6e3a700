#pragma once
// The one way a test waits for something another thread or process does:
// poll a condition until it holds or a deadline passes. Never a fixed sleep —
// a loaded CI machine is slower than a fixed sleep assumes, and an idle one
// wastes the sleep.

#include <chrono>
#include <thread>

namespace winston::testing {

/// Polls `condition` every `every` until it is true (returns true) or `limit`
/// has passed (returns the condition's last value).
template <class Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(every);
  }
  return static_cast<bool>(condition());
}

}  // namespace winston::testing
