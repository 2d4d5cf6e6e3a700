// Upload rows mapped to inventory items and sale lines, without a database:
// column aliases, the cents column before the decimal one, bounds, and the
// defaults the service relies on. Database effects are in connector_service_test.

#include "services/connector_import.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace winston::services {
namespace {

using Columns = std::vector<std::string>;

TEST(ConnectorImport, InventoryReadsAliasesAndReportsIgnoredColumns) {
  auto r = read_inventory(UploadFormat::kCsv,
                          "Product ID,Item Name,Vendor,Unit Price,QTY,Shelf\n"
                          "BD-35,Blue Dream,Green Farms,$35.5,12.000,B2\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 1U);
  const auto& i = r->items[0];
  EXPECT_EQ(i.sku, "BD-35");
  EXPECT_EQ(i.name, "Blue Dream");
  EXPECT_EQ(i.brand, "Green Farms");
  EXPECT_EQ(i.price_cents, 3550);
  EXPECT_EQ(i.quantity, 12);
  EXPECT_EQ(r->ignored_columns, Columns{"shelf"});
}

TEST(ConnectorImport, TheCentsColumnWinsWhereARowHasIt) {
  auto r = read_inventory(UploadFormat::kJson, R"([{"sku":"A","name":"a","price":"1.00","price_cents":250,"quantity":1},
                                                  {"sku":"B","name":"b","price":"1.00","price_cents":null,"quantity":1}])");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 2U);
  EXPECT_EQ(r->items[0].price_cents, 250);
  EXPECT_EQ(r->items[1].price_cents, 100);
}

TEST(ConnectorImport, AmountsAndQuantitiesPastTheirBoundsAreRefused) {
  struct Case {
    std::string csv;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"sku,name,price_cents,quantity\nA,a,1000000001,1\n", "rows[1].price_cents"},
      {"sku,name,price,quantity\nA,a,10000000.01,1\n", "rows[1].price"},
      {"sku,name,price,quantity\nA,a,1,1000000001\n", "rows[1].quantity"},
      {"sku,name,price_cents,quantity\nA,a,12.5,1\n", "rows[1].price_cents"},
  };
  for (const auto& c : cases) {
    auto r = read_inventory(UploadFormat::kCsv, c.csv);
    ASSERT_FALSE(r.ok()) << c.csv;
    EXPECT_EQ(r.error().field, c.field) << c.csv << " -> " << r.error().message;
  }
  auto at_bound = read_inventory(UploadFormat::kCsv, "sku,name,price,quantity\nA,a,10000000.00,1000000000\n");
  ASSERT_TRUE(at_bound.ok()) << at_bound.error().message;
  EXPECT_EQ(at_bound->items[0].price_cents, 1'000'000'000);
  EXPECT_EQ(at_bound->items[0].quantity, 1'000'000'000);
}

TEST(ConnectorImport, SaleLinesTakeRefundsAndDefaultTheirLineId) {
  auto r = read_sales(UploadFormat::kCsv,
                      "order,sold_at,sku,item,units,amount\n"
                      "1001,2026-03-01T23:30:00-08:00,BD-35,Blue Dream,2,70\n"
                      "1001,2026-03-01T23:30:00-08:00,,Gift card,-1,-$25.00\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->lines.size(), 2U);
  EXPECT_EQ(r->lines[0].order_id, "1001");
  EXPECT_EQ(r->lines[0].line_id, "BD-35");  // the sku when there is no line_id
  EXPECT_EQ(r->lines[0].sale_date, "2026-03-01");
  EXPECT_EQ(r->lines[0].occurred_at, 1'772'436'600'000);  // 2026-03-02T07:30:00Z
  EXPECT_EQ(r->lines[0].total_cents, 7000);
  EXPECT_EQ(r->lines[1].line_id, "Gift card");  // else the product name
  EXPECT_EQ(r->lines[1].quantity, -1);
  EXPECT_EQ(r->lines[1].total_cents, -2500);
  EXPECT_TRUE(r->ignored_columns.empty());
}

TEST(ConnectorImport, SaleErrorsNameTheRowAndColumn) {
  const std::string header = "order_id,date,product_name,quantity,total\n";
  auto bad_date = read_sales(UploadFormat::kCsv, header + "1,2026-02-30,X,1,1\n");
  ASSERT_FALSE(bad_date.ok());
  EXPECT_EQ(bad_date.error().field, "rows[1].date");
  EXPECT_NE(bad_date.error().message.find("'2026-02-30' is not a date"), std::string::npos)
      << bad_date.error().message;
  auto twice = read_sales(UploadFormat::kCsv, header + "1,2026-03-01,X,1,1\n1,2026-03-01,X,1,1\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().field, "rows[2].line_id");
  auto missing = read_sales(UploadFormat::kCsv, "order_id,date,product_name,quantity\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "columns");
  EXPECT_NE(missing.error().message.find("no 'total' column"), std::string::npos) << missing.error().message;
}

TEST(ConnectorImport, AnUploadOverTheByteLimitIsRefusedBeforeParsing) {
  const std::string body(kMaxUploadBytes + 1, 'a');
  auto r = read_inventory(UploadFormat::kCsv, body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPayloadTooLarge);
}

}  // namespace
}  // namespace winston::services
