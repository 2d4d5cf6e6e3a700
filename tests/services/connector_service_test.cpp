// Connectors on SQLite and PostgreSQL: atomic inventory replacement,
// idempotent sales, sealed credentials, the cells' inventory search and sales
// summary, tenant isolation.

#include "services/connector_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "storage/connector_repository.hpp"
#include "support/test_database.hpp"

namespace winston::services {
namespace {

namespace json = boost::json;
using testing::TestDatabase;

constexpr EpochMs kStart = 1'780'000'000'000;
const Actor kActor{"test", std::nullopt};

// ------------------------------------------------------------ settings (no database)
// The upload parsers are tested in core/upload_table_test.cpp, core/decimal_test.cpp,
// core/date_test.cpp and services/connector_import_test.cpp.

TEST(ConnectorSettings, CurrencyDefaultsToUsd) {
  EXPECT_EQ(currency_of(R"({"currency":"CAD"})"), "CAD");
  EXPECT_EQ(currency_of("{}"), "USD");
  EXPECT_EQ(currency_of("not json"), "USD");
  EXPECT_EQ(currency_of(R"({"currency":7})"), "USD");
}

// ------------------------------------------------------------ the service, on both backends

constexpr std::string_view kInventoryCsv =
    "sku,name,brand,category,strain_type,thc,price,quantity\n"
    "BD-35,Blue Dream 3.5g,Green Farms,Flower,Sativa,24%,35.00,12\n"
    "GG-1,\"Gummies, Sour 10pk\",Kiva,Edibles,Hybrid,10mg,18.5,0\n"
    "OG-PR,OG Kush Pre-Roll,Green Farms,Pre-Rolls,Indica,21%,$9,4\n";

constexpr std::string_view kSalesCsv =
    "order_id,line_id,date,sku,product_name,category,quantity,total\n"
    "1001,1,2026-03-01T10:15:00-08:00,BD-35,Blue Dream 3.5g,Flower,2,70.00\n"
    "1001,2,2026-03-01T10:15:00-08:00,GG-1,Gummies Sour 10pk,Edibles,1,18.50\n"
    "1002,1,2026-03-01T23:30:00-08:00,BD-35,Blue Dream 3.5g,Flower,1,35.00\n"
    "1003,1,2026-03-03,OG-PR,OG Kush Pre-Roll,Pre-Rolls,3,27.00\n"
    "1004,1,2026-03-03 18:00,OG-PR,OG Kush Pre-Roll,Pre-Rolls,-1,-9.00\n";

class ConnectorServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    db_ = tdb_.open(4);
    ASSERT_TRUE(db_);
    tenants_ = std::make_unique<TenantService>(*db_, clock_, TierTable::defaults());
    svc_ = std::make_unique<ConnectorService>(*db_, clock_, box_);
    for (auto* t : {&a_, &b_}) {
      const std::string name = t == &a_ ? "Alpha" : "Beta";
      auto r = tenants_->create(kActor, {name + " Dispensary", name + "@example.com", "https://example.com", {}, "free", {}});
      ASSERT_TRUE(r.ok()) << r.error().message;
      *t = *r;
    }
  }
  Connector make(const Tenant& t, const std::string& name, std::optional<json::object> creds = std::nullopt) {
    auto c = svc_->create(kActor, t.slug, {name, "upload", {{"currency", "USD"}}, std::move(creds)});
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? *c : Connector{};
  }
  Result<UploadReport> inventory(const Tenant& t, const Connector& c, std::string_view body,
                                 UploadFormat f = UploadFormat::kCsv) {
    return svc_->upload_inventory(kActor, t.id, c.id, f, body);
  }
  Result<UploadReport> sales(const Tenant& t, const Connector& c, std::string_view body,
                             UploadFormat f = UploadFormat::kCsv) {
    return svc_->upload_sales(kActor, t.id, c.id, f, body);
  }
  InventoryAnswer search(const Tenant& t, InventorySearch s) {
    auto r = svc_->search_inventory(t.id, s);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : InventoryAnswer{};
  }
  std::vector<std::string> names(const InventoryAnswer& a) {
    std::vector<std::string> out;
    for (const auto& h : a.items) out.push_back(h.item.name);
    return out;
  }

  TestDatabase tdb_{GetParam()};
  ManualClock clock_{kStart};
  SecretBox box_ = SecretBox::from_encoded_key(SecretBox::generate_encoded_key()).value();
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<TenantService> tenants_;
  std::unique_ptr<ConnectorService> svc_;
  Tenant a_, b_;
};

TEST_P(ConnectorServiceTest, CredentialsAreSealedAtRestAndNeverInViews) {
  const std::string secret = "sk-live-PLAINTEXT-0123456789";
  auto c = make(a_, "POS", json::object{{"api_key", secret}});
  EXPECT_TRUE(c.has_credentials);
  EXPECT_EQ(tdb_.count("tenant_connectors", "id = '" + c.id + "' AND credentials_enc LIKE 'sb1:%'"), 1);
  EXPECT_EQ(tdb_.count("tenant_connectors", "credentials_enc LIKE '%PLAINTEXT%'"), 0);
  EXPECT_EQ(tdb_.count("audit_log", "details LIKE '%PLAINTEXT%'"), 0);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'connector.create' AND target = 'connector:" + c.id + "'"), 1);

  auto opened = svc_->open_credentials(a_.id, c.id);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  ASSERT_TRUE(opened->has_value());
  EXPECT_EQ((**opened).at("api_key").as_string(), secret);

  // The ciphertext is bound to its row: copied onto another connector it does not open.
  auto other = make(a_, "Other");
  {
    auto conn = db_->acquire();
    ASSERT_TRUE((*conn)->query("UPDATE tenant_connectors SET credentials_enc = (SELECT credentials_enc FROM "
                               "tenant_connectors WHERE id = $1) WHERE id = $2",
                               {c.id, other.id}).ok());
  }
  EXPECT_FALSE(svc_->open_credentials(a_.id, other.id).ok());
  auto none = make(b_, "Plain");
  EXPECT_FALSE(none.has_credentials);
  EXPECT_FALSE(svc_->open_credentials(b_.id, none.id)->has_value());
}

TEST_P(ConnectorServiceTest, CreateValidatesKindSettingsCredentialsAndName) {
  const auto err = [&](NewConnector in) {
    auto r = svc_->create(kActor, a_.id, in);
    return r.ok() ? Error{} : r.error();
  };
  EXPECT_EQ(err({"x", "dutchie", {}, {}}).field, "kind");
  EXPECT_EQ(err({"x", "upload", {{"colour", "red"}}, {}}).field, "settings.colour");
  EXPECT_EQ(err({"x", "upload", {{"currency", "dollars"}}, {}}).field, "settings.currency");
  EXPECT_EQ(err({"x", "upload", {{"currency", 1}}, {}}).field, "settings.currency");
  EXPECT_EQ(err({"x", "upload", {}, json::object{{"api_key", 5}}}).field, "credentials.api_key");
  EXPECT_EQ(err({"x", "upload", {}, json::object{{"Bad Key", "v"}}}).field, "credentials.Bad Key");
  EXPECT_EQ(err({"  ", "upload", {}, {}}).field, "name");
  EXPECT_EQ(err({std::string(101, 'n'), "upload", {}, {}}).field, "name");
  EXPECT_EQ(svc_->create(kActor, "no-such-tenant", {"x", "upload", {}, {}}).error().code, ErrorCode::kNotFound);
  make(a_, "Main");
  auto dup = svc_->create(kActor, a_.id, {"Main", "upload", {}, {}});
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_EQ(dup.error().field, "name");
  EXPECT_TRUE(svc_->create(kActor, b_.id, {"Main", "upload", {}, {}}).ok()) << "names are unique per tenant only";
}

TEST_P(ConnectorServiceTest, InventoryUploadReplacesTheWholeInventoryAtomically) {
  auto c = make(a_, "Main");
  auto first = inventory(a_, c, kInventoryCsv);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->rows, 3);
  EXPECT_EQ(first->replaced_rows, 0);
  const auto row = [&](const std::string& where) {
    return tdb_.count("connector_inventory", "connector_id = '" + c.id + "' AND " + where);
  };
  EXPECT_EQ(row("sku = 'BD-35' AND price_cents = 3500 AND quantity = 12 AND thc = '24%'"), 1);
  EXPECT_EQ(row("sku = 'GG-1' AND price_cents = 1850 AND name = 'Gummies, Sour 10pk'"), 1);
  EXPECT_EQ(row("sku = 'OG-PR' AND price_cents = 900"), 1);

  auto second = inventory(a_, c, R"([{"sku":"N1","name":"New One","price_cents":1000,"quantity":1},
                                     {"sku":"N2","name":"New Two","price":"2.05","quantity":"2.000","colour":"x"}])",
                          UploadFormat::kJson);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->replaced_rows, 3);
  EXPECT_EQ(second->ignored_columns, std::vector<std::string>{"colour"});
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + c.id + "'"), 2);
  EXPECT_EQ(row("sku = 'N2' AND price_cents = 205 AND quantity = 2"), 1);

  // A bad row anywhere refuses the whole upload and leaves the current inventory as it was.
  auto bad = inventory(a_, c, "sku,name,price,quantity\nX1,Fine,1.00,1\nX2,Broken,12,5,1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + c.id + "'"), 2);
  EXPECT_EQ(row("sku = 'N1'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'connector.inventory_upload' AND target = 'connector:" + c.id + "'"), 2);

  // More rows than one INSERT batch; and an empty upload (header only) clears the inventory.
  std::string many = "sku,name,price,quantity\n";
  for (int i = 0; i < 250; ++i) many += fmt::format("S{},Item {},{}.99,{}\n", i, i, i, i % 3);
  ASSERT_TRUE(inventory(a_, c, many).ok());
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + c.id + "'"), 250);
  ASSERT_TRUE(inventory(a_, c, "sku,name,price,quantity\n").ok());
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + c.id + "'"), 0);
}

TEST_P(ConnectorServiceTest, BadInventoryRowsAreNamedByRowAndColumn) {
  auto c = make(a_, "Main");
  struct Case {
    std::string csv;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"sku,name,quantity\nA,B,1\n", "columns"},
      {"sku,name,price\nA,B,1\n", "columns"},
      {"sku,name,price,quantity\nA,B,1,1\nC,D,12.345,1\n", "rows[2].price"},
      {"sku,name,price,quantity\nA,B,1,1\nC,D,\"12,50\",1\n", "rows[2].price"},
      {"sku,name,price,quantity\nA,B,-1,1\n", "rows[1].price"},
      {"sku,name,price,quantity\nA,B,1,-1\n", "rows[1].quantity"},
      {"sku,name,price,quantity\nA,B,1,1.5\n", "rows[1].quantity"},
      {"sku,name,price,quantity\nA,,1,1\n", "rows[1].name"},
      {"sku,name,price,quantity\nA,B,1,1\nA,C,1,1\n", "rows[2].sku"},
      {"sku,name,price,quantity\nA,\"B\x01\",1,1\n", "rows[1].name"},
      {"sku,name,price,quantity\nA," + std::string(201, 'n') + ",1,1\n", "rows[1].name"},
  };
  for (const auto& k : cases) {
    auto r = inventory(a_, c, k.csv);
    ASSERT_FALSE(r.ok()) << k.csv;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField) << k.csv;
    EXPECT_EQ(r.error().field, k.field) << k.csv << " -> " << r.error().message;
  }
  auto r = inventory(a_, c, "sku,name,price,quantity\nA,B,1,1\nC,D,abc,1\n");
  EXPECT_EQ(r.error().message, "row 2 (line 3), column 'price': 'abc' is not an amount like 12.50");
}

TEST_P(ConnectorServiceTest, SalesUploadsAreIdempotentByOrderAndLine) {
  auto c = make(a_, "Main");
  auto first = sales(a_, c, kSalesCsv);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->rows, 5);
  EXPECT_EQ(first->new_rows, 5);
  auto again = sales(a_, c, kSalesCsv);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->new_rows, 0);
  EXPECT_EQ(again->replaced_rows, 5);
  EXPECT_EQ(tdb_.count("connector_sales", "connector_id = '" + c.id + "'"), 5);

  // The store's calendar date as written; the instant converted with the offset.
  EXPECT_EQ(tdb_.count("connector_sales", "order_id = '1002' AND sale_date = '2026-03-01' AND occurred_at = " +
                                              std::to_string(1'772'436'600'000)),
            1);
  // A corrected line replaces the old one; a new line is added (JSON, line id from the sku).
  auto fix = sales(a_, c, R"([{"order_id":"1001","line_id":"1","date":"2026-03-01","sku":"BD-35",
                               "product_name":"Blue Dream 3.5g","quantity":2,"total":"60.00"},
                              {"order_id":1005,"date":"2026-03-02","sku":"GG-1","product_name":"Gummies","quantity":1,"total_cents":1850}])",
                   UploadFormat::kJson);
  ASSERT_TRUE(fix.ok()) << fix.error().message;
  EXPECT_EQ(fix->new_rows, 1);
  EXPECT_EQ(tdb_.count("connector_sales", "connector_id = '" + c.id + "'"), 6);
  EXPECT_EQ(tdb_.count("connector_sales", "order_id = '1001' AND line_id = '1' AND total_cents = 6000"), 1);
  EXPECT_EQ(tdb_.count("connector_sales", "order_id = '1005' AND line_id = 'GG-1'"), 1);

  auto dup = sales(a_, c, "order_id,date,sku,product_name,quantity,total\n9,2026-03-01,A,X,1,1\n9,2026-03-01,A,X,1,1\n");
  EXPECT_EQ(dup.error().field, "rows[2].line_id");
  auto bad_date = sales(a_, c, "order_id,date,product_name,quantity,total\n9,03/01/2026,X,1,1\n");
  EXPECT_EQ(bad_date.error().field, "rows[1].date");
  EXPECT_EQ(sales(a_, c, "order_id,date,product_name,quantity,total\n9,2026-02-30,X,1,1\n").error().field,
            "rows[1].date");
  EXPECT_EQ(sales(a_, c, "order_id,date,product_name,quantity,total\n9,2026-03-01T25:00,X,1,1\n").error().field,
            "rows[1].date");
  EXPECT_EQ(sales(a_, c, "order_id,date,product_name,quantity\n9,2026-03-01,X,1\n").error().field, "columns");
  EXPECT_EQ(tdb_.count("connector_sales", "connector_id = '" + c.id + "'"), 6);
}

TEST_P(ConnectorServiceTest, SalesSummaryTotalsDaysProductsAndCategories) {
  auto c = make(a_, "Main");
  ASSERT_TRUE(sales(a_, c, kSalesCsv).ok());
  auto s = svc_->sales_summary(a_.id, "2026-02-28", "2026-03-03");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->totals.orders, 4);
  EXPECT_EQ(s->totals.units, 6);
  EXPECT_EQ(s->totals.revenue_cents, 7000 + 1850 + 3500 + 2700 - 900);
  ASSERT_EQ(s->days.size(), 4U);
  EXPECT_EQ(s->days[0].key, "2026-02-28");
  EXPECT_EQ(s->days[0].revenue_cents, 0);
  EXPECT_EQ(s->days[1].key, "2026-03-01");
  EXPECT_EQ(s->days[1].orders, 2);
  EXPECT_EQ(s->days[1].revenue_cents, 12350);
  EXPECT_EQ(s->days[2].key, "2026-03-02");
  EXPECT_EQ(s->days[2].orders, 0);
  EXPECT_EQ(s->days[3].revenue_cents, 1800);
  ASSERT_EQ(s->top_products.size(), 3U);
  EXPECT_EQ(s->top_products[0].key, "BD-35");
  EXPECT_EQ(s->top_products[0].name, "Blue Dream 3.5g");
  EXPECT_EQ(s->top_products[0].units, 3);
  EXPECT_EQ(s->top_products[0].revenue_cents, 10500);
  ASSERT_EQ(s->categories.size(), 3U);
  EXPECT_EQ(s->categories[0].key, "Flower");
  EXPECT_EQ(*s->first_sale_date, "2026-03-01");
  EXPECT_EQ(*s->last_sale_date, "2026-03-03");

  auto one_day = svc_->sales_summary(a_.id, "2026-03-03", "2026-03-03");
  EXPECT_EQ(one_day->totals.orders, 2);
  EXPECT_EQ(one_day->totals.units, 2);

  const auto field = [&](std::string_view from, std::string_view to) {
    auto r = svc_->sales_summary(a_.id, from, to);
    return r.ok() ? std::string("ok") : r.error().field;
  };
  EXPECT_EQ(field("2026-3-1", "2026-03-02"), "from");
  EXPECT_EQ(field("2026-03-01", "tomorrow"), "to");
  EXPECT_EQ(field("2026-03-02", "2026-03-01"), "to");
  EXPECT_EQ(field("2025-01-01", "2026-01-01"), "ok");  // 366 days
  EXPECT_EQ(field("2025-01-01", "2026-01-02"), "to");
}

TEST_P(ConnectorServiceTest, InventorySearchIsCaseInsensitiveInStockFirstAndBounded) {
  auto c = make(a_, "Main");
  ASSERT_TRUE(inventory(a_, c, kInventoryCsv).ok());
  EXPECT_EQ(names(search(a_, {"BLUE dream", {}, false, 10})), std::vector<std::string>{"Blue Dream 3.5g"});
  EXPECT_EQ(names(search(a_, {"green farms", {}, false, 10})),
            (std::vector<std::string>{"Blue Dream 3.5g", "OG Kush Pre-Roll"}));
  EXPECT_EQ(names(search(a_, {"gg-1", {}, false, 10})).size(), 1U) << "by sku";
  EXPECT_EQ(names(search(a_, {"indica", {}, false, 10})), std::vector<std::string>{"OG Kush Pre-Roll"});
  EXPECT_EQ(names(search(a_, {{}, "edibles", false, 10})), std::vector<std::string>{"Gummies, Sour 10pk"});
  EXPECT_TRUE(search(a_, {"%", {}, false, 10}).items.empty()) << "LIKE wildcards are literal";
  EXPECT_TRUE(search(a_, {"_", {}, false, 10}).items.empty());

  const auto all = search(a_, {{}, {}, false, 10});
  ASSERT_EQ(all.items.size(), 3U);
  EXPECT_EQ(all.items.back().item.name, "Gummies, Sour 10pk") << "sold out last";
  EXPECT_EQ(all.inventory_items, 3);
  EXPECT_EQ(all.inventory_updated_at, kStart);
  EXPECT_EQ(all.items.front().connector_name, "Main");
  EXPECT_EQ(search(a_, {{}, {}, true, 10}).items.size(), 2U);

  const auto limited = search(a_, {{}, {}, false, 1});
  EXPECT_EQ(limited.items.size(), 1U);
  EXPECT_EQ(limited.total_matches, 3);
  EXPECT_EQ(svc_->search_inventory(a_.id, {{}, {}, false, 51}).error().field, "limit");
  EXPECT_EQ(svc_->search_inventory(a_.id, {{}, {}, false, 0}).error().field, "limit");
  EXPECT_EQ(svc_->search_inventory(a_.id, {std::string(101, 'q'), {}, false, 10}).error().field, "q");
  EXPECT_EQ(svc_->search_inventory(a_.id, {"a b c d e f g h i", {}, false, 10}).error().field, "q");
}

TEST_P(ConnectorServiceTest, EachTenantSeesOnlyItsOwnData) {
  auto ca = make(a_, "Main");
  auto cb = make(b_, "Main");
  ASSERT_TRUE(inventory(a_, ca, kInventoryCsv).ok());
  ASSERT_TRUE(sales(a_, ca, kSalesCsv).ok());
  ASSERT_TRUE(inventory(b_, cb, "sku,name,price,quantity\nZ1,Beta Only Blue,1,1\n").ok());

  EXPECT_EQ(names(search(b_, {"blue", {}, false, 10})), std::vector<std::string>{"Beta Only Blue"});
  EXPECT_EQ(search(b_, {{}, {}, false, 50}).inventory_items, 1);
  auto b_sales = svc_->sales_summary(b_.id, "2026-03-01", "2026-03-31");
  EXPECT_EQ(b_sales->totals.orders, 0);
  EXPECT_FALSE(b_sales->last_sale_date.has_value());

  // Another tenant's connector id is simply not found.
  EXPECT_EQ(inventory(b_, ca, kInventoryCsv).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->get(b_.id, ca.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->remove(kActor, b_.id, ca.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->list(b_.id)->size(), 1U);
}

TEST_P(ConnectorServiceTest, DeletingAConnectorDeletesItsDataAndIsAudited) {
  auto c = make(a_, "Main");
  auto keep = make(a_, "Second");
  ASSERT_TRUE(inventory(a_, c, kInventoryCsv).ok());
  ASSERT_TRUE(sales(a_, c, kSalesCsv).ok());
  ASSERT_TRUE(inventory(a_, keep, "sku,name,price,quantity\nK,Kept,1,1\n").ok());
  auto got = svc_->get(a_.slug, c.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stats.inventory_items, 3);
  EXPECT_EQ(got->stats.sales_lines, 5);
  EXPECT_EQ(*got->stats.last_sale_date, "2026-03-03");

  ASSERT_TRUE(svc_->remove(kActor, a_.id, c.id).ok());
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + c.id + "'"), 0);
  EXPECT_EQ(tdb_.count("connector_sales", "connector_id = '" + c.id + "'"), 0);
  EXPECT_EQ(tdb_.count("connector_inventory", "connector_id = '" + keep.id + "'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'connector.delete' AND target = 'connector:" + c.id + "'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'connector.sales_upload' AND target = 'connector:" + c.id + "'"), 1);
  EXPECT_EQ(svc_->get(a_.id, c.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc_->remove(kActor, a_.id, c.id).error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectorServiceTest, testing::kBackends);

}  // namespace
}  // namespace winston::services
