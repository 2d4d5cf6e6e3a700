#pragma once
// Injectable time source: services never read the system clock directly,
// so tests can move time without sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace winston {

/// Milliseconds since the Unix epoch, the unit of every stored timestamp.
using EpochMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  EpochMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(EpochMs start) : now_(start) {}
  EpochMs now_ms() const override { return now_.load(); }
  void set(EpochMs t) { now_.store(t); }
  void advance(EpochMs d) { now_.fetch_add(d); }

 private:
  std::atomic<EpochMs> now_;
};

/// The same instant one calendar month later (clamped to the month's last day),
/// in UTC: Jan 31 -> Feb 28/29, Mar 15 -> Apr 15.
EpochMs add_one_month(EpochMs t);

}  // namespace winston
