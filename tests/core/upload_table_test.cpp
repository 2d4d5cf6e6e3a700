// The upload reader: RFC 4180 CSV and JSON rows into columns and text cells,
// with errors that name the row and line.

#include "core/upload_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace winston {
namespace {

using Columns = std::vector<std::string>;

TEST(UploadTable, CsvHandlesQuotesEscapesLineBreaksAndABom) {
  const std::string csv =
      "\xEF\xBB\xBFSKU, Product Name ,Price,Quantity\r\n"
      "A1,\"Gummies, \"\"Sour\"\" 10pk\",12.50,3\r\n"
      "A2,\"Two\nlines\",1,0\n"
      "\n"
      "A3,,\"\",\n"
      "A4,plain,$2.5,1";  // no final line break
  auto t = parse_csv(csv, 100);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->columns, (std::vector<std::string>{"sku", "product_name", "price", "quantity"}));
  ASSERT_EQ(t->records.size(), 4U);
  EXPECT_EQ(*t->records[0].cells[1], "Gummies, \"Sour\" 10pk");
  EXPECT_EQ(*t->records[1].cells[1], "Two\nlines");
  EXPECT_EQ(*t->records[2].cells[1], "");
  EXPECT_EQ(*t->records[2].cells[3], "");
  EXPECT_EQ(*t->records[3].cells[2], "$2.5");
  EXPECT_EQ(t->records[0].line, 2U);
  EXPECT_EQ(t->records[1].line, 3U);
  EXPECT_EQ(t->records[2].line, 6U);  // the quoted line break and the blank line both count
  EXPECT_EQ(t->records[3].line, 7U);
}

TEST(UploadTable, CsvSyntaxErrorsNameTheRowAndLine) {
  struct Case {
    std::string csv;
    std::string field;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"a,b\n1,2\n3,\"open\n", "rows[2]", "never closed"},
      {"a,b\n1,2\n3,x\"y\n", "rows[2]", "quote inside an unquoted field"},
      {"a,b\n\"1\"x,2\n", "rows[1]", "after a closing quote"},
      {"a,b\n1,2\n1,2,3\n", "rows[2]", "3 fields, but the header names 2"},
      {"a,A\n1,2\n", "header", "appears twice"},
      {"", "header", "empty"},
  };
  for (const auto& c : cases) {
    auto t = parse_csv(c.csv, 100);
    ASSERT_FALSE(t.ok()) << c.csv;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidField) << c.csv;
    EXPECT_EQ(t.error().field, c.field) << c.csv;
    EXPECT_NE(t.error().message.find(c.message_part), std::string::npos) << t.error().message;
  }
  auto e = parse_csv("a,b\n1,2\n3,x\"y\n", 100);
  EXPECT_NE(e.error().message.find("line 3"), std::string::npos) << e.error().message;
  auto big = parse_csv("a\n1\n2\n3\n", 2);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(UploadTable, JsonRowsTakeStringsNumbersAndNull) {
  auto t = parse_json_rows(R"([{"SKU":"A1","price":12.5,"qty":3,"brand":null},{"sku":"A2","Extra Col":"x"}])", 10);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->columns, (std::vector<std::string>{"sku", "price", "qty", "brand", "extra_col"}));
  ASSERT_EQ(t->records.size(), 2U);
  EXPECT_EQ(*t->records[0].cells[1], "12.5");
  EXPECT_EQ(*t->records[0].cells[2], "3");
  EXPECT_FALSE(t->records[0].cells[3].has_value());
  EXPECT_FALSE(t->records[1].cells[1].has_value());
  EXPECT_EQ(*t->records[1].cells[4], "x");

  auto nested = parse_json_rows(R"([{"sku":"A"},{"sku":{"x":1}}])", 10);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().field, "rows[2].sku");
  EXPECT_EQ(parse_json_rows(R"({"sku":"A"})", 10).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_json_rows("[{", 10).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_json_rows(R"([1])", 10).error().field, "rows[1]");
  EXPECT_EQ(parse_json_rows(R"([{},{},{}])", 2).error().code, ErrorCode::kPayloadTooLarge);
}
TEST(UploadTable, CsvTakesCrLfAndBareCrAsLineEnds) {
  auto t = parse_csv("a,b\r1,2\r\n3,4\n5,6", 10);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->records.size(), 3U);
  EXPECT_EQ(*t->records[0].cells[1], "2");
  EXPECT_EQ(*t->records[1].cells[0], "3");
  EXPECT_EQ(*t->records[2].cells[1], "6");
  EXPECT_EQ(t->records[2].line, 4U);
}

TEST(UploadTable, CsvKeepsLineBreaksInsideQuotesAsContent) {
  auto t = parse_csv("note,n\r\n\"first\r\nsecond\",1\r\n\"a\"\"b\",2\r\n", 10);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->records.size(), 2U);
  EXPECT_EQ(*t->records[0].cells[0], "first\r\nsecond");
  EXPECT_EQ(*t->records[1].cells[0], "a\"b");
  EXPECT_EQ(t->records[0].line, 2U);
  EXPECT_EQ(t->records[1].line, 4U);  // the quoted line break moved it down one line
}

TEST(UploadTable, CsvKeepsSpacesInsideCellsAndOnlyAByteOrderMarkAtTheStartIsDropped) {
  auto t = parse_csv("\xEF\xBB\xBF" "a\n  padded \t\n\xEF\xBB\xBFx\n", 10);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->columns, Columns{"a"});
  ASSERT_EQ(t->records.size(), 2U);
  EXPECT_EQ(*t->records[0].cells[0], "  padded \t");  // trimming is the reader's choice of meaning, not the parser's
  EXPECT_EQ(*t->records[1].cells[0], "\xEF\xBB\xBFx");
  auto only_bom = parse_csv("\xEF\xBB\xBF", 10);
  ASSERT_FALSE(only_bom.ok());
  EXPECT_EQ(only_bom.error().field, "header");
}

TEST(UploadTable, CsvBlankLinesAndATrailingLineBreakAreNotRows) {
  auto t = parse_csv("a,b\n\n1,2\n\n\n3,4\n\n", 2);  // two data rows fit a limit of two
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->records.size(), 2U);
  EXPECT_EQ(t->records[0].line, 3U);
  EXPECT_EQ(t->records[1].line, 6U);
  auto over = parse_csv("a\n1\n2\n3\n", 2);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(UploadTable, CsvRejectsShortRowsAndEmptyColumnNames) {
  auto short_row = parse_csv("a,b,c\n1,2\n", 10);
  ASSERT_FALSE(short_row.ok());
  EXPECT_EQ(short_row.error().field, "rows[1]");
  EXPECT_NE(short_row.error().message.find("2 fields, but the header names 3 columns"), std::string::npos)
      << short_row.error().message;
  auto empty_name = parse_csv("a,,c\n1,2,3\n", 10);
  ASSERT_FALSE(empty_name.ok());
  EXPECT_EQ(empty_name.error().field, "header");
  EXPECT_NE(empty_name.error().message.find("empty column name"), std::string::npos);
}

TEST(UploadTable, ColumnNamesAreNormalised) {
  EXPECT_EQ(normalise_column(" Product Name\t"), "product_name");
  EXPECT_EQ(normalise_column("Quantity-On-Hand"), "quantity_on_hand");
  EXPECT_EQ(normalise_column("SKU"), "sku");
  auto t = parse_csv("Product Name,product-name\n1,2\n", 10);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("column 'product_name' appears twice"), std::string::npos) << t.error().message;
}

TEST(UploadTable, JsonNumbersKeepTheirTextAndOtherValuesAreRefused) {
  auto t = parse_json_rows(R"([{"a":-7,"b":18446744073709551615,"c":0.1,"d":""}])", 10);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t->records[0].cells[0], "-7");
  EXPECT_EQ(*t->records[0].cells[1], "18446744073709551615");
  EXPECT_EQ(*t->records[0].cells[2], "0.1");
  EXPECT_EQ(*t->records[0].cells[3], "");
  EXPECT_EQ(t->records[0].line, 0U);
  for (const char* bad : {R"([{"a":true}])", R"([{"a":[1]}])"}) {
    auto r = parse_json_rows(bad, 10);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "rows[1].a") << bad;
    EXPECT_NE(r.error().message.find("strings, numbers or null"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(parse_json_rows(R"([[[[[[[[[[1]]]]]]]]]])", 10).error().code, ErrorCode::kMalformed);  // past max depth
}

TEST(UploadTable, RowErrorsNameRowLineAndColumn) {
  const Error with_line = upload_row_error(3, 7, "price", "is not an amount");
  EXPECT_EQ(with_line.code, ErrorCode::kInvalidField);
  EXPECT_EQ(with_line.field, "rows[3].price");
  EXPECT_EQ(with_line.message, "row 3 (line 7), column 'price': is not an amount");
  const Error json_row = upload_row_error(2, 0, "", "each row must be a JSON object");
  EXPECT_EQ(json_row.field, "rows[2]");
  EXPECT_EQ(json_row.message, "row 2: each row must be a JSON object");
}

}  // namespace
}  // namespace winston
