// The same repository and ledger suite, run on SQLite and on PostgreSQL.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/credits.hpp"
#include "core/ids.hpp"
#include "storage/audit_repository.hpp"
#include "storage/ledger_repository.hpp"
#include "storage/metering_repository.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/tenant_repository.hpp"
#include "support/test_database.hpp"

namespace winston::storage {
namespace {

using testing::TestDatabase;

Tenant make_tenant(std::string slug, MilliCredits balance = 0) {
  Tenant t;
  t.id = new_uuid_v7(1'700'000'000'000);
  t.slug = std::move(slug);
  t.name = "Name of " + t.slug;
  t.email = t.slug + "@example.com";
  t.website_url = "https://" + t.slug + ".example.com";
  t.tier = "free";
  t.balance_mc = balance;
  t.monthly_allotment_mc = 50'000'000;
  t.created_at = t.updated_at = 1'700'000'000'000;
  return t;
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    db_ = tdb_.open(8);
    ASSERT_TRUE(db_);
  }
  Connection& conn() {
    if (!lease_) lease_.emplace(std::move(db_->acquire()).value());
    return **lease_;
  }
  TestDatabase tdb_{GetParam()};
  std::unique_ptr<Database> db_;
  std::optional<Database::Lease> lease_;
};

TEST_P(StorageTest, MigrationsAreIdempotentAndCreateTheSystemTenant) {
  auto again = migrate(*db_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->current_version, latest_schema_version());
  auto sys = tenants::find(conn(), kSystemTenantId);
  ASSERT_TRUE(sys.ok());
  ASSERT_TRUE(sys->has_value());
  EXPECT_TRUE((*sys)->is_system);
  EXPECT_TRUE((*sys)->unlimited);
  EXPECT_EQ((*sys)->slug, "system");
  for (auto table : {"tenants", "tenant_instances", "config_snapshots", "credit_usage", "session_transcripts",
                     "channel_health", "tenant_connectors", "audit_log", "credit_ledger", "api_keys"}) {
    EXPECT_GE(tdb_.count(table), 0) << table;
  }
}

TEST_P(StorageTest, InsertFindByIdOrSlugRoundTripsEveryField) {
  auto t = make_tenant("green-leaf", 123);
  t.name = "Café \"Quotes\" \\ 🌿";
  t.industry = "cannabis-dispensary";
  t.refresh_at = 1'702'000'000'000;
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  for (const auto& key : {t.id, t.slug}) {
    auto got = tenants::find(conn(), key);
    ASSERT_TRUE(got.ok() && got->has_value()) << key;
    const Tenant& g = **got;
    EXPECT_EQ(g.id, t.id);
    EXPECT_EQ(g.name, t.name);
    EXPECT_EQ(g.email, t.email);
    EXPECT_EQ(g.industry, t.industry);
    EXPECT_EQ(g.balance_mc, 123);
    EXPECT_EQ(g.refresh_at, t.refresh_at);
    EXPECT_EQ(g.status, TenantStatus::kActive);
  }
  auto missing = tenants::find(conn(), "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StorageTest, UniqueEmailAndSlugAreEnforcedByTheDatabase) {
  ASSERT_TRUE(tenants::insert(conn(), make_tenant("a")).ok());
  auto dup_slug = make_tenant("a");
  dup_slug.email = "other@example.com";
  auto r = tenants::insert(conn(), dup_slug);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().field, tenants::kSlugConstraint);  // the same name on both backends
  auto dup_email = make_tenant("b");
  dup_email.email = "a@example.com";
  r = tenants::insert(conn(), dup_email);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().field, tenants::kEmailConstraint);
  auto dup_id = make_tenant("c");
  dup_id.id = (*tenants::find(conn(), "a"))->id;
  r = tenants::insert(conn(), dup_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "tenants_pkey");
}

TEST_P(StorageTest, LedgerReArmsTheLowCreditWarningExactlyWhereIsLowBalanceEnds) {
  auto t = make_tenant("low");  // allotment 50,000,000 mc
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  const auto armed = [&] {
    auto rows = conn().query("SELECT COUNT(*) FROM tenants WHERE id = $1 AND low_credit_since IS NULL", {t.id});
    return rows.ok() && rows->front().i64(0) == 1;
  };
  ASSERT_TRUE(metering::mark_low_credit(conn(), t.id, 1).ok());
  ASSERT_FALSE(armed());
  const MilliCredits just_low = t.monthly_allotment_mc / kLowBalanceDivisor - 1;
  ASSERT_TRUE(is_low_balance(just_low, t.monthly_allotment_mc));
  ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kGrant, just_low, "grant", std::nullopt, "test", false}, 2).ok());
  EXPECT_FALSE(armed()) << "the SQL re-armed a balance core/credits calls low";
  ASSERT_FALSE(is_low_balance(just_low + 1, t.monthly_allotment_mc));
  ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kGrant, 1, "grant", std::nullopt, "test", false}, 3).ok());
  EXPECT_TRUE(armed()) << "the SQL kept the warning on a balance core/credits does not call low";
}

TEST_P(StorageTest, UpdatedAtIsMaintainedByTheDatabase) {
  auto t = make_tenant("trig");
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  TenantChanges ch;
  ch.name = "Renamed";
  ASSERT_TRUE(tenants::update(conn(), t.id, ch).ok());
  auto got = tenants::find(conn(), t.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, "Renamed");
  // The row was written with a 2023 timestamp; the trigger stamps "now".
  EXPECT_GT((*got)->updated_at, t.updated_at + 365LL * 24 * 3600 * 1000);
  EXPECT_EQ((*got)->created_at, t.created_at);
}

TEST_P(StorageTest, ListFiltersByStatusTierAndNameAndPaginates) {
  for (int i = 0; i < 5; ++i) {
    auto t = make_tenant("shop-" + std::to_string(i));
    t.created_at = 1'700'000'000'000 + i;
    t.tier = i % 2 ? "pro" : "free";
    t.status = i == 4 ? TenantStatus::kSuspended : TenantStatus::kActive;
    t.name = i == 3 ? "100%_Organic" : "Shop " + std::to_string(i);
    ASSERT_TRUE(tenants::insert(conn(), t).ok());
  }
  TenantQuery q;
  q.tier = "pro";
  EXPECT_EQ(tenants::count(conn(), q).value(), 2);
  q = {};
  q.status = "suspended";
  EXPECT_EQ(tenants::count(conn(), q).value(), 1);
  q = {};
  q.name_contains = "SHOP";
  EXPECT_EQ(tenants::count(conn(), q).value(), 4);
  q.name_contains = "%_";  // LIKE wildcards are literal
  EXPECT_EQ(tenants::count(conn(), q).value(), 1);
  q = {};
  q.name_contains = "shop";
  q.limit = 2;
  q.offset = 1;
  auto page = tenants::list(conn(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2U);
  EXPECT_EQ((*page)[0].slug, "shop-2");  // newest first: 4, [2, 1], 0
  EXPECT_EQ((*page)[1].slug, "shop-1");
}

TEST_P(StorageTest, LedgerApplyChangesBalanceAndAppendsOneRow) {
  auto t = make_tenant("led");
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  auto e = ledger::apply(conn(), t.id, {LedgerKind::kGrant, 5'000, "grant", std::nullopt, "test", false}, 1);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->balance_after_mc, 5'000);
  e = ledger::apply(conn(), t.id, {LedgerKind::kUsage, -1'500, "use", std::string("req-1"), "proxy", false}, 2);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->balance_after_mc, 3'500);
  EXPECT_EQ(ledger::sum(conn(), t.id).value(), 3'500);
  EXPECT_EQ((*tenants::find(conn(), t.id))->balance_mc, 3'500);
  auto rows = ledger::list(conn(), t.id, 10, 0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ((*rows)[0].kind, LedgerKind::kUsage);  // newest first
  EXPECT_EQ((*rows)[0].request_id, "req-1");
  EXPECT_EQ((*rows)[1].kind, LedgerKind::kGrant);
}

TEST_P(StorageTest, LedgerRefusesOverdraftUnlessAllowedAndWritesNothing) {
  auto t = make_tenant("over");
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kGrant, 1'000, "g", std::nullopt, "t", false}, 1).ok());
  auto r = ledger::apply(conn(), t.id, {LedgerKind::kAdjustment, -1'001, "too much", std::nullopt, "t", false}, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(ledger::count(conn(), t.id).value(), 1);
  EXPECT_EQ((*tenants::find(conn(), t.id))->balance_mc, 1'000);
  r = ledger::apply(conn(), t.id, {LedgerKind::kAdjustment, -1'001, "forced", std::nullopt, "t", true}, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->balance_after_mc, -1);
  EXPECT_EQ(ledger::sum(conn(), t.id).value(), -1);
  auto unknown = ledger::apply(conn(), "no-such", {LedgerKind::kGrant, 1, "g", std::nullopt, "t", false}, 4);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(StorageTest, LedgerNeverRecordsTheSameRequestIdTwice) {
  auto t = make_tenant("idem", 0);
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kGrant, 10'000, "g", std::nullopt, "t", false}, 1).ok());
  {
    auto tx = Transaction::begin(conn());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kUsage, -100, "u", std::string("r1"), "p", false}, 2).ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  {
    auto tx = Transaction::begin(conn());
    ASSERT_TRUE(tx.ok());
    auto again = ledger::apply(conn(), t.id, {LedgerKind::kUsage, -100, "u", std::string("r1"), "p", false}, 3);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
    // tx rolls back here, undoing the balance change of the refused row
  }
  EXPECT_EQ((*tenants::find(conn(), t.id))->balance_mc, 9'900);
  EXPECT_EQ(ledger::sum(conn(), t.id).value(), 9'900);
}

TEST_P(StorageTest, ConcurrentDebitsNeverOverspendAndBalanceEqualsLedgerSum) {
  auto t = make_tenant("race");
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  ASSERT_TRUE(ledger::apply(conn(), t.id, {LedgerKind::kGrant, 20 * 100, "g", std::nullopt, "t", false}, 1).ok());
  lease_.reset();
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        auto c = db_->acquire();
        if (!c.ok()) { ++other; continue; }
        auto tx = Transaction::begin(**c);
        if (!tx.ok()) { ++other; continue; }
        auto r = ledger::apply(**c, t.id,
                               {LedgerKind::kUsage, -100, "u", "w" + std::to_string(w) + "-" + std::to_string(i), "p", false}, 2);
        if (r.ok() && tx->commit().ok()) ++ok;
        else if (!r.ok() && r.error().code == ErrorCode::kConflict) ++refused;
        else ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(refused.load(), 60);
  EXPECT_EQ((*tenants::find(conn(), t.id))->balance_mc, 0);
  EXPECT_EQ(ledger::sum(conn(), t.id).value(), 0);
}

TEST_P(StorageTest, DeletingATenantCascadesToEveryOwnedTable) {
  auto t = make_tenant("gone");
  auto keep = make_tenant("kept");
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  ASSERT_TRUE(tenants::insert(conn(), keep).ok());
  for (const auto& owner : {t.id, keep.id}) {
    const Params p{owner};
    const auto exec = [&](const std::string& sql) {
      auto r = conn().query(sql, p);
      ASSERT_TRUE(r.ok()) << r.error().message;
    };
    ASSERT_TRUE(ledger::apply(conn(), owner, {LedgerKind::kGrant, 1, "g", std::nullopt, "t", false}, 1).ok());
    exec("INSERT INTO api_keys (id, tenant_id, prefix, key_hash, created_at, updated_at) VALUES ($1 || 'k', $1, $1 || 'p', $1 || 'h', 1, 1)");
    exec("INSERT INTO tenant_instances (id, tenant_id, backend, created_at, updated_at) VALUES ($1 || 'i', $1, 'local', 1, 1)");
    exec("INSERT INTO instance_events (id, instance_id, tenant_id, at, kind, message) VALUES ($1 || 'e', $1 || 'i', $1, 1, 'step', 'x')");
    exec("INSERT INTO config_snapshots (id, tenant_id, version, content_hash, files, created_by, created_at) VALUES ($1 || 'c', $1, 1, 'h', '{}', 't', 1)");
    exec("INSERT INTO credit_usage (id, tenant_id, request_id, model, provider, multiplier_milli, status, created_at) VALUES ($1 || 'u', $1, 'r', 'm', 'p', 1000, 'ok', 1)");
    exec("INSERT INTO session_transcripts (id, tenant_id, session_id, seq, content, occurred_at, created_at) VALUES ($1 || 's', $1, 's', 1, '{}', 1, 1)");
    exec("INSERT INTO channel_health (id, tenant_id, channel, status, checked_at, changed_at, created_at, updated_at) VALUES ($1 || 'h', $1, 'telegram', 'ok', 1, 1, 1, 1)");
    exec("INSERT INTO tenant_connectors (id, tenant_id, kind, name, created_at, updated_at) VALUES ($1 || 'n', $1, 'csv', 'inv', 1, 1)");
    exec("INSERT INTO credit_reservations (id, tenant_id, request_id, model, amount_mc, owner, created_at, expires_at) VALUES ($1 || 'r', $1, 'r', 'm', 0, 'o', 1, 2)");
    exec("INSERT INTO business_profiles (id, tenant_id, version, source, source_url, profile, created_by, created_at) VALUES ($1 || 'b', $1, 1, 'llm', 'u', '{}', 't', 1)");
    exec("INSERT INTO tenant_secrets (id, tenant_id, name, value_enc, created_at, updated_at) VALUES ($1 || 'x', $1, 'n', 'v', 1, 1)");
    exec("INSERT INTO tenant_skills (id, tenant_id, skill, enabled, created_at, updated_at) VALUES ($1 || 'k2', $1, 's', 1, 1, 1)");
    exec("INSERT INTO connector_inventory (id, tenant_id, connector_id, sku, name, price_cents, search_text, updated_at) VALUES ($1 || 'ci', $1, $1 || 'n', 's', 'n', 1, 'n', 1)");
    exec("INSERT INTO connector_sales (id, tenant_id, connector_id, order_id, line_id, sale_date, occurred_at, product_name, quantity, total_cents, created_at) VALUES ($1 || 'cs', $1, $1 || 'n', 'o', 'l', '2026-01-01', 1, 'p', 1, 1, 1)");
    ASSERT_TRUE(audit::append(conn(), {owner + "a", owner, "t", "x", "tenant:" + owner, "{}", std::nullopt, 1}).ok());
  }
  auto removed = tenants::remove(conn(), t.id);
  ASSERT_TRUE(removed.ok() && *removed);
  for (auto table : tenant_owned_tables()) {
    EXPECT_EQ(tdb_.count(std::string(table), "tenant_id = '" + t.id + "'"), 0) << table;
    EXPECT_EQ(tdb_.count(std::string(table), "tenant_id = '" + keep.id + "'"), 1) << table;
  }
  EXPECT_FALSE(*tenants::remove(conn(), t.id));
}

TEST_P(StorageTest, TransactionRollsBackWhenNotCommitted) {
  {
    auto tx = Transaction::begin(conn());
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(tenants::insert(conn(), make_tenant("ghost")).ok());
  }
  EXPECT_EQ(tdb_.count("tenants", "slug = 'ghost'"), 0);
}

TEST_P(StorageTest, ParametersAreNeverInterpretedAsSql) {
  auto t = make_tenant("inj");
  t.name = "x'); DROP TABLE tenants; --";
  ASSERT_TRUE(tenants::insert(conn(), t).ok());
  auto got = tenants::find(conn(), "' OR '1'='1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ((*tenants::find(conn(), t.id))->name, t.name);
  EXPECT_EQ(tdb_.count("tenants"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, testing::kBackends,
                         [](const auto& p) { return p.param; });

TEST(SqliteConstraintName, NamesTheConstraintAsPostgresDoesByDefault) {
  EXPECT_EQ(sqlite_constraint_name("UNIQUE constraint failed: tenants.email", false), "tenants_email_key");
  EXPECT_EQ(sqlite_constraint_name("UNIQUE constraint failed: tenants.id", true), "tenants_pkey");
  EXPECT_EQ(sqlite_constraint_name("UNIQUE constraint failed: usage.tenant_id, usage.request_id", false),
            "usage_tenant_id_request_id_key");
  EXPECT_EQ(sqlite_constraint_name("UNIQUE constraint failed: index 'one_per_tenant'", false), "one_per_tenant");
  EXPECT_EQ(sqlite_constraint_name("database is locked", false), "");
  EXPECT_EQ(sqlite_constraint_name("UNIQUE constraint failed: nonsense", false), "");
}

TEST(DatabaseUrl, RejectsUnknownSchemesWithAClearMessage) {
  auto r = Database::open("mysql://root:secret@localhost/db", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("postgres://"), std::string::npos);
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos) << "password leaked: " << r.error().message;
}

TEST(DatabaseUrl, UnreachablePostgresIsUnavailableAndRedacted) {
  auto r = Database::open("postgres://winston:hunter2@127.0.0.1:1/x?connect_timeout=2", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace winston::storage
