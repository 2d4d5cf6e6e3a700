// The ledger rules of the proxy, on SQLite and PostgreSQL.

#include "services/metering_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/ids.hpp"
#include "services/key_service.hpp"
#include "services/tenant_service.hpp"
#include "storage/ledger_repository.hpp"
#include "support/test_database.hpp"

namespace winston::services {
namespace {

using testing::TestDatabase;

constexpr EpochMs kStart = 1'780'000'000'000;

class MeteringTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    db_ = tdb_.open(8);
    ASSERT_TRUE(db_);
    tenants_ = std::make_unique<TenantService>(*db_, clock_, TierTable::defaults());
    metering_ = make_metering("proxy-a");
    auto t = tenants_->create({"test", {}}, {"Metered", "m@example.com", "https://m.example.com", {}, "free", {}});
    ASSERT_TRUE(t.ok()) << t.error().message;
    tenant_ = *t;
  }
  std::unique_ptr<MeteringService> make_metering(std::string instance) {
    return std::make_unique<MeteringService>(*db_, clock_, MeteringOptions{.tokens_per_credit = 1000, .reservation_ttl_ms = 60'000, .instance_id = std::move(instance)});
  }
  /// Sets the balance to exactly `mc` with a forced adjustment.
  void set_balance(MilliCredits mc) {
    auto cur = tenants_->get(tenant_.id)->balance_mc;
    if (cur == mc) return;
    ASSERT_TRUE(tenants_->adjust_credits({"test", {}}, tenant_.id, {mc - cur, "test setup", true}).ok());
  }
  MilliCredits balance() { return tenants_->get(tenant_.id)->balance_mc; }
  MilliCredits ledger_sum() {
    auto conn = db_->acquire();
    return storage::ledger::sum(**conn, tenant_.id).value();
  }
  UsageReport usage(std::int64_t in, std::int64_t out, std::int64_t multiplier = 1000) {
    UsageReport u;
    u.provider = "fake";
    u.tokens = {in, out, 0, 0};
    u.multiplier_milli = multiplier;
    return u;
  }

  TestDatabase tdb_{GetParam()};
  ManualClock clock_{kStart};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<TenantService> tenants_;
  std::unique_ptr<MeteringService> metering_;
  Tenant tenant_;
};

TEST_P(MeteringTest, ReserveThenSettleChargesExactlyTheUsage) {
  auto r = metering_->reserve({tenant_.id, std::nullopt, "req-1", "claude-sonnet-4-5", 9'000});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->amount_mc, 9'000);
  EXPECT_EQ(tdb_.count("credit_reservations"), 1);
  // 1,200 input + 301 output tokens at 5.0x: ceil(1501 * 5000 / 1000) = 7,505 mc.
  auto s = metering_->settle(*r, usage(1'200, 301, 5000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->charged_mc, 7'505);
  EXPECT_EQ(s->balance_mc, 50'000'000 - 7'505);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
  EXPECT_EQ(tdb_.count("tenants", "id = '" + tenant_.id + "' AND reserved_mc = 0"), 1);
  EXPECT_EQ(tdb_.count("credit_usage", "request_id = 'req-1' AND input_tokens = 1200 AND output_tokens = 301 "
                                       "AND credits_mc = 7505 AND multiplier_milli = 5000 AND status = 'ok'"),
            1);
  EXPECT_EQ(tdb_.count("credit_ledger", "kind = 'usage' AND request_id = 'req-1' AND amount_mc = -7505"), 1);
}

TEST_P(MeteringTest, NothingAvailableIs402AndWritesNothing) {
  set_balance(0);
  const auto ledger_rows = tdb_.count("credit_ledger");
  auto r = metering_->reserve({tenant_.id, std::nullopt, "req-0", "m", 100});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInsufficientCredits);
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
  EXPECT_EQ(tdb_.count("credit_ledger"), ledger_rows);
  set_balance(-5);
  EXPECT_EQ(metering_->reserve({tenant_.id, std::nullopt, "req-neg", "m", 100}).error().code,
            ErrorCode::kInsufficientCredits);
}

TEST_P(MeteringTest, ReservationsHoldCreditsAndPartialHoldsOnlyRunAlone) {
  set_balance(10'000);
  auto a = metering_->reserve({tenant_.id, std::nullopt, "a", "m", 7'000});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->amount_mc, 7'000);
  auto b = metering_->reserve({tenant_.id, std::nullopt, "b", "m", 3'000});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->amount_mc, 3'000);
  auto c = metering_->reserve({tenant_.id, std::nullopt, "c", "m", 1});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInsufficientCredits) << "nothing left beside the holds";
  ASSERT_TRUE(metering_->settle(*b, usage(1'000, 0)).ok());  // frees 2,000 of b's hold
  auto partial_with_company = metering_->reserve({tenant_.id, std::nullopt, "d", "m", 5'000});
  ASSERT_FALSE(partial_with_company.ok()) << "2,000 available < 5,000 wanted while a is in flight";
  EXPECT_EQ(partial_with_company.error().code, ErrorCode::kInsufficientCredits);
  EXPECT_TRUE(metering_->reserve({tenant_.id, std::nullopt, "e", "m", 2'000}).ok()) << "a full hold still fits";
}

TEST_P(MeteringTest, APartialHoldIsGrantedToARequestRunningAlone) {
  set_balance(500);
  auto r = metering_->reserve({tenant_.id, std::nullopt, "alone", "m", 5'000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->amount_mc, 500);
  auto s = metering_->settle(*r, usage(800, 0));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->balance_mc, -300) << "the overdraft is bounded by this one request";
  EXPECT_EQ(metering_->reserve({tenant_.id, std::nullopt, "next", "m", 1}).error().code,
            ErrorCode::kInsufficientCredits);
}

TEST_P(MeteringTest, SuspendedTenantIsForbidden) {
  TenantPatch suspend;
  suspend.status = "suspended";
  ASSERT_TRUE(tenants_->update({"test", {}}, tenant_.id, suspend).ok());
  auto r = metering_->reserve({tenant_.id, std::nullopt, "s", "m", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
}

TEST_P(MeteringTest, ConcurrentRequestsCannotOverspendByMoreThanOneRequest) {
  // Each request holds an estimate of 3x its real cost, as the proxy's
  // estimates (input bytes / 3 plus max_tokens) usually do.
  constexpr MilliCredits kCost = 1'000;  // 1,000 tokens at 1.0x
  set_balance(20 * kCost);
  std::atomic<int> charged{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (int i = w; i < 200; i += 8) {
        auto r = metering_->reserve({tenant_.id, std::nullopt, "c-" + std::to_string(i), "m", 3 * kCost});
        if (!r.ok()) {
          (r.error().code == ErrorCode::kInsufficientCredits ? refused : other)++;
          continue;
        }
        auto s = metering_->settle(*r, usage(600, 400));
        (s.ok() && s->charged_mc == kCost ? charged : other)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_LE(charged.load(), 21);
  EXPECT_GE(charged.load(), 1);
  EXPECT_EQ(charged.load() + refused.load(), 200);
  EXPECT_GE(balance(), -kCost);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_usage"), charged.load());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
}

TEST_P(MeteringTest, ARequestIdIsNeverChargedTwice) {
  auto r = metering_->reserve({tenant_.id, std::nullopt, "dup", "m", 5'000});
  ASSERT_TRUE(r.ok());
  auto in_flight = metering_->reserve({tenant_.id, std::nullopt, "dup", "m", 5'000});
  ASSERT_FALSE(in_flight.ok());
  EXPECT_EQ(in_flight.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(metering_->settle(*r, usage(2'000, 0)).ok());
  auto again = metering_->settle(*r, usage(2'000, 0));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_settled);
  EXPECT_EQ(again->charged_mc, 0);
  auto retry = metering_->reserve({tenant_.id, std::nullopt, "dup", "m", 5'000});
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->replay);
  auto s = metering_->settle(*retry, usage(2'000, 0));
  EXPECT_EQ(s->charged_mc, 0);
  EXPECT_EQ(balance(), 50'000'000 - 2'000);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_usage", "request_id = 'dup'"), 1);
}

TEST_P(MeteringTest, ReservationsOfACrashedInstanceAreChargedAtTheirAmountOnRestart) {
  auto r = metering_->reserve({tenant_.id, std::nullopt, "crash", "m", 4'321});
  ASSERT_TRUE(r.ok());
  metering_.reset();  // the process dies without settling
  auto other = make_metering("proxy-b");
  auto untouched = other->recover_orphans(MeteringService::Orphans::kExpiredAndOwn);
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(*untouched, 0) << "another live instance's fresh reservation is not an orphan";
  auto restarted = make_metering("proxy-a");
  auto n = restarted->recover_orphans(MeteringService::Orphans::kExpiredAndOwn);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
  EXPECT_EQ(tdb_.count("credit_usage", "request_id = 'crash' AND status = 'interrupted' AND credits_mc = 4321"), 1);
  EXPECT_EQ(balance(), 50'000'000 - 4'321);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("tenants", "id = '" + tenant_.id + "' AND reserved_mc = 0"), 1);
}

TEST_P(MeteringTest, ExpiredReservationsOfAnyInstanceAreRecovered) {
  ASSERT_TRUE(metering_->reserve({tenant_.id, std::nullopt, "stale", "m", 1'000}).ok());
  auto other = make_metering("proxy-b");
  EXPECT_EQ(*other->recover_orphans(MeteringService::Orphans::kExpired), 0);
  clock_.advance(60'001);
  EXPECT_EQ(*other->recover_orphans(MeteringService::Orphans::kExpired), 1);
  EXPECT_EQ(balance(), ledger_sum());
}

TEST_P(MeteringTest, LowBalanceWarnsOncePerCrossing) {
  set_balance(10'000'001);  // 20 % of 50,000 credits is 10,000,000 mc
  const auto settle_one = [&](const std::string& id, std::int64_t tokens) {
    auto r = metering_->reserve({tenant_.id, std::nullopt, id, "m", 1});
    EXPECT_TRUE(r.ok());
    return *metering_->settle(*r, usage(tokens, 0));
  };
  auto first = settle_one("w1", 2);
  EXPECT_TRUE(first.low);
  EXPECT_TRUE(first.low_crossed);
  auto second = settle_one("w2", 2);
  EXPECT_TRUE(second.low);
  EXPECT_FALSE(second.low_crossed);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'credits.low'"), 1);
  ASSERT_TRUE(tenants_->adjust_credits({"test", {}}, tenant_.id, {5'000'000, "top-up", false}).ok());
  auto above = settle_one("w3", 2);
  EXPECT_FALSE(above.low);
  set_balance(9'000'000);
  auto again = settle_one("w4", 2);
  EXPECT_TRUE(again.low_crossed) << "re-armed after climbing back above 20 %";
  EXPECT_EQ(tdb_.count("audit_log", "action = 'credits.low'"), 2);
}

TEST_P(MeteringTest, UnlimitedTenantIsNeverRefusedOrCharged) {
  auto r = metering_->reserve({std::string(kSystemTenantId), std::nullopt, "sys", "m", 999'999'999});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->amount_mc, 0);
  auto s = metering_->settle(*r, usage(10'000, 10'000, 12000));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->charged_mc, 0);
  EXPECT_EQ(tdb_.count("credit_usage", "request_id = 'sys' AND credits_mc = 240000"), 1) << "priced for analytics";
  EXPECT_EQ(tdb_.count("credit_ledger", "tenant_id = '" + std::string(kSystemTenantId) + "'"), 0);
}

TEST_P(MeteringTest, KeysAreShownOnceStoredHashedAndRevocable) {
  KeyService keys(*db_, clock_, 5'000);
  auto issued = keys.create({"admin", {}}, tenant_.slug, "cell");
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_TRUE(issued->secret.starts_with("wsk_"));
  EXPECT_EQ(tdb_.count("api_keys", "key_hash = '" + sha256_hex(issued->secret) + "'"), 1);
  EXPECT_EQ(tdb_.count("api_keys", "key_hash = '" + issued->secret + "' OR prefix = '" + issued->secret + "'"), 0);
  auto who = keys.authenticate(issued->secret);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->tenant_id, tenant_.id);
  std::string tampered = issued->secret;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(keys.authenticate(tampered).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(keys.authenticate("sk-ant-something").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(keys.authenticate("").error().code, ErrorCode::kUnauthenticated);

  KeyService other_replica(*db_, clock_, 5'000);
  ASSERT_TRUE(other_replica.authenticate(issued->secret).ok());  // now cached there
  ASSERT_TRUE(keys.revoke({"admin", {}}, tenant_.id, issued->meta.id).ok());
  EXPECT_FALSE(keys.authenticate(issued->secret).ok()) << "revoked here at once";
  EXPECT_TRUE(other_replica.authenticate(issued->secret).ok()) << "cached until the TTL";
  clock_.advance(5'001);
  EXPECT_FALSE(other_replica.authenticate(issued->secret).ok()) << "refused after the TTL";
  EXPECT_EQ(keys.revoke({"admin", {}}, tenant_.id, issued->meta.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tdb_.count("audit_log", "action IN ('key.create', 'key.revoke')"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, MeteringTest, testing::kBackends, [](const auto& p) { return p.param; });

TEST(Credits, ArithmeticIsExactAndRoundsUp) {
  EXPECT_EQ(credits_for(1'000, 1000, 1000), 1'000);   // 1,000 tokens at 1.0x = 1 credit
  EXPECT_EQ(credits_for(1'000, 5000, 1000), 5'000);   // Sonnet 5.0x
  EXPECT_EQ(credits_for(1'000, 12000, 1000), 12'000); // Opus 12.0x
  EXPECT_EQ(credits_for(1, 1000, 1000), 1);
  EXPECT_EQ(credits_for(1, 1000, 3000), 1) << "a fraction of a milli-credit rounds up";
  EXPECT_EQ(credits_for(3'000, 1000, 3000), 1'000);
  EXPECT_EQ(credits_for(0, 5000, 1000), 0);
  EXPECT_EQ(credits_for(-5, 5000, 1000), 0);
  EXPECT_EQ(reservation_estimate(3'000, 500, 1000, 1000), 1'501);
  EXPECT_TRUE(is_low_balance(9'999, 50'000));
  EXPECT_FALSE(is_low_balance(10'000, 50'000));
}

}  // namespace
}  // namespace winston::services
