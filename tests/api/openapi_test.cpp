// The OpenAPI document is docs/openapi.json, served byte for byte.
// tests/api/tenant_api_test.cpp fetches it over HTTP and checks that it
// documents every route the routers register, and nothing else.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "api/system_api.hpp"

namespace winston::api {
namespace {

TEST(OpenApi, TheDocumentIsTheFileByteForByte) {
  std::ifstream in(std::filesystem::path(WINSTON_SOURCE_DIR) / "docs/openapi.json", std::ios::binary);
  const std::string file(std::istreambuf_iterator<char>(in), {});
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(openapi_document(), file);
}

TEST(OpenApi, TheDocumentIsJson) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(openapi_document(), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc.at("openapi").as_string().starts_with("3."));
  EXPECT_FALSE(doc.at("paths").as_object().empty());
}

}  // namespace
}  // namespace winston::api
