#pragma once
// The credit rules of the proxy: reserve before routing, settle after, each a
// single transaction; a request id is charged at most once; reservations left
// by a crashed process are resolved by one documented rule (recover_orphans).

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/credits.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct MeteringOptions {
  std::int64_t tokens_per_credit = 1000;
  EpochMs reservation_ttl_ms = 15 * 60 * 1000;  // longer than any request may run
  std::string instance_id = "winston";           // owner of this process's reservations
};

struct ReserveRequest {
  std::string tenant_id;
  std::optional<std::string> api_key_id;
  std::string request_id;
  std::string model;
  MilliCredits estimate_mc = 0;
};

struct Reservation {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> api_key_id;
  std::string request_id;
  std::string model;
  MilliCredits amount_mc = 0;
  bool unlimited = false;
  bool replay = false;                 // this request id was already settled: forward, never charge again
  MilliCredits available_before_mc = 0;  // balance - reserved before this reservation
  MilliCredits allotment_mc = 0;
};

struct UsageReport {
  std::string provider;
  TokenUsage tokens;
  std::int64_t multiplier_milli = 1000;
  std::string status = "ok";  // ok | upstream_error | cancelled | truncated | interrupted
  std::optional<std::int64_t> upstream_status;
  std::optional<std::int64_t> latency_ms;
  std::optional<std::int64_t> ttfb_ms;
};

struct Settlement {
  MilliCredits charged_mc = 0;
  MilliCredits balance_mc = 0;     // after the charge
  MilliCredits available_mc = 0;   // balance - what other requests still hold
  bool low = false;                // below 20 % of the allotment
  bool low_crossed = false;        // this settlement crossed the line (warn once)
  bool already_settled = false;    // recovered or replayed: nothing charged now
};

class MeteringService {
 public:
  MeteringService(storage::Database& db, const Clock& clock, MeteringOptions options)
      : db_(db), clock_(clock), options_(std::move(options)) {}

  /// Holds the estimate, or what is left when that is less (a partial hold,
  /// granted only when no other request of the tenant is in flight).
  /// kInsufficientCredits (402) when nothing is available (or a partial hold
  /// would have company), kForbidden when the tenant is suspended, kConflict
  /// when the same request id is in flight.
  Result<Reservation> reserve(const ReserveRequest& req);
  /// Charges the actual usage (which may exceed the reservation) and releases
  /// the hold. Idempotent: a second settle of one reservation charges nothing.
  Result<Settlement> settle(const Reservation& r, const UsageReport& usage);
  /// Resolves reservations whose TTL passed (their process died) and, with
  /// `include_own` (at start-up, before serving), every reservation this
  /// instance id left behind, by charging the reserved amount, the upper
  /// bound of what the interrupted request could have cost, recorded with
  /// status "interrupted". Returns how many were resolved.
  /// At start-up the holds of this instance id's previous run are orphans too;
  /// on the periodic sweep only others' expired holds are.
  enum class Orphans { kExpired, kExpiredAndOwn };
  Result<int> recover_orphans(Orphans which);

  std::int64_t tokens_per_credit() const { return options_.tokens_per_credit; }
  const MeteringOptions& options() const { return options_; }

 private:
  Result<Settlement> settle_once(const std::string& reservation_id, const std::string& tenant_id,
                                 const std::string& request_id, const std::optional<std::string>& api_key_id,
                                 const std::string& model, const UsageReport& usage,
                                 std::optional<MilliCredits> fixed_charge);

  storage::Database& db_;
  const Clock& clock_;
  MeteringOptions options_;
};

}  // namespace winston::services
