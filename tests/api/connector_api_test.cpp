// The connector routes over HTTP on SQLite and PostgreSQL: the operator's
// routes on the admin API (admin token), the cells' routes on the proxy
// listener (tenant key only), uploads, body limits and tenant isolation.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
namespace beast = boost::beast;
using boost::beast::http::verb;
using testing::HttpClient;
using testing::HttpReply;
using testing::kAdminToken;
using testing::TestDatabase;
using testing::TestServer;

constexpr std::string_view kInventoryCsv =
    "SKU,Name,Brand,Category,Type,THC,Price,Quantity\r\n"
    "BD-35,Blue Dream 3.5g,Green Farms,Flower,Sativa,24%,35.00,12\r\n"
    "GG-1,\"Gummies, \"\"Sour\"\" 10pk\",Kiva,Edibles,Hybrid,10mg,18.50,0\r\n";

constexpr std::string_view kSalesCsv =
    "order_id,date,sku,product_name,category,quantity,total\n"
    "A-1,2026-03-01,BD-35,Blue Dream 3.5g,Flower,2,70.00\n"
    "A-2,2026-03-02,GG-1,Gummies,Edibles,1,18.50\n";

/// One request with any Content-Type (HttpClient always sends JSON), on a fresh connection.
HttpReply send(std::uint16_t port, verb method, const std::string& target, const std::string& body,
               const std::string& content_type, const std::map<std::string, std::string>& headers = {}) {
  namespace bhttp = beast::http;
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  bhttp::write(stream, req, ec);  // a refused large body may fail mid-write; the answer is still there
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return {};
  HttpReply reply{parser.get().result_int(), parser.get().body(), {}};
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    reply.headers[name] = std::string(f.value());
  }
  return reply;
}

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class ConnectorApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    start();
  }
  void start(const std::function<void(app::Config&)>& tweak = {}) {
    server_.reset();
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::milliseconds(5000), tweak);
  }
  HttpClient admin() { return server_->client(); }
  /// A tenant with one upload connector and a proxy key: {tenant id, connector id, key}.
  std::array<std::string, 3> tenant(const std::string& name) {
    auto c = admin();
    auto t = c.post("/v1/tenants", json::serialize(json::object{{"name", name}, {"email", name + "@example.com"},
                                                                {"website_url", "https://example.com"}}));
    EXPECT_EQ(t.status, 201U) << t.body;
    const std::string id(t.json().at("id").as_string());
    auto conn = c.post("/v1/tenants/" + id + "/connectors", R"({"name":"Main menu","kind":"upload"})");
    EXPECT_EQ(conn.status, 201U) << conn.body;
    auto key = c.post("/v1/tenants/" + id + "/keys", R"({"name":"cell"})");
    EXPECT_EQ(key.status, 201U) << key.body;
    return {id, std::string(conn.json().at("id").as_string()), std::string(key.json().at("key").as_string())};
  }
  HttpReply upload(const std::string& tenant, const std::string& connector, std::string_view what,
                   std::string_view body, const std::string& type = "text/csv", const std::string& token = kAdminToken) {
    return send(server_->port(), verb::post, fmt::format("/v1/tenants/{}/connectors/{}/{}", tenant, connector, what),
                std::string(body), type, bearer(token));
  }
  HttpReply cell(const std::string& target, const std::map<std::string, std::string>& headers) {
    return send(server_->proxy_port(), verb::get, target, "", "", headers);
  }

  TestDatabase tdb_{GetParam()};
  std::unique_ptr<TestServer> server_;
};

TEST_P(ConnectorApiTest, CreateListGetAndDeleteNeverShowCredentials) {
  auto c = admin();
  auto t = c.post("/v1/tenants", R"({"name":"Green Leaf","email":"gl@example.com","website_url":"https://gl.example.com"})");
  const std::string id(t.json().at("id").as_string());
  const std::string body =
      R"({"name":"Front store","kind":"upload","settings":{"currency":"USD","location":"Main St"},"credentials":{"api_key":"sk-SECRET-4242"}})";
  auto created = c.post("/v1/tenants/green-leaf/connectors", body);
  ASSERT_EQ(created.status, 201U) << created.body;
  const auto created_doc = created.json();
  const auto& v = created_doc.as_object();
  const std::string cid(v.at("id").as_string());
  EXPECT_EQ(created.headers["location"], "/v1/tenants/" + id + "/connectors/" + cid);
  EXPECT_EQ(v.at("kind").as_string(), "upload");
  EXPECT_EQ(v.at("settings").at("location").as_string(), "Main St");
  EXPECT_TRUE(v.at("has_credentials").as_bool());
  EXPECT_TRUE(v.at("accepts_uploads").as_bool());
  EXPECT_FALSE(v.contains("credentials"));
  EXPECT_EQ(created.body.find("SECRET"), std::string::npos);

  auto list = c.get("/v1/tenants/" + id + "/connectors");
  ASSERT_EQ(list.status, 200U);
  ASSERT_EQ(list.json().at("data").as_array().size(), 1U);
  EXPECT_EQ(list.body.find("SECRET"), std::string::npos);
  auto one = c.get("/v1/tenants/" + id + "/connectors/" + cid);
  ASSERT_EQ(one.status, 200U);
  EXPECT_EQ(one.json().at("inventory").at("items").as_int64(), 0);
  EXPECT_EQ(one.body.find("SECRET"), std::string::npos);
  EXPECT_EQ(tdb_.count("tenant_connectors", "credentials_enc LIKE '%SECRET%'"), 0);

  EXPECT_EQ(c.post("/v1/tenants/" + id + "/connectors", body).status, 409U);
  EXPECT_EQ(c.post("/v1/tenants/" + id + "/connectors", R"({"name":"x","kind":"upload","extra":1})").error_field(),
            "extra");
  EXPECT_EQ(c.post("/v1/tenants/" + id + "/connectors", R"({"name":"x","kind":"treez"})").error_field(), "kind");
  EXPECT_EQ(c.post("/v1/tenants/" + id + "/connectors", R"({"name":"x","kind":"upload","settings":[]})").error_field(),
            "settings");
  EXPECT_EQ(c.post("/v1/tenants/" + id + "/connectors", "{not json").status, 400U);
  EXPECT_EQ(c.post("/v1/tenants/nobody/connectors", R"({"name":"x","kind":"upload"})").status, 404U);

  EXPECT_EQ(c.del("/v1/tenants/" + id + "/connectors/" + cid).status, 204U);
  EXPECT_EQ(c.get("/v1/tenants/" + id + "/connectors/" + cid).status, 404U);
  EXPECT_EQ(c.del("/v1/tenants/" + id + "/connectors/" + cid).status, 404U);
  EXPECT_EQ(tdb_.count("audit_log", "action IN ('connector.create', 'connector.delete') AND actor = 'admin' AND "
                                    "target = 'connector:" + cid + "' AND request_id IS NOT NULL"),
            2);
}

TEST_P(ConnectorApiTest, AdminRoutesNeedTheAdminTokenAndRefuseATenantKey) {
  const auto [id, cid, key] = tenant("Alpha");
  const std::vector<std::pair<verb, std::string>> routes = {
      {verb::post, "/v1/tenants/" + id + "/connectors"},
      {verb::get, "/v1/tenants/" + id + "/connectors"},
      {verb::get, "/v1/tenants/" + id + "/connectors/" + cid},
      {verb::delete_, "/v1/tenants/" + id + "/connectors/" + cid},
      {verb::post, "/v1/tenants/" + id + "/connectors/" + cid + "/inventory"},
      {verb::post, "/v1/tenants/" + id + "/connectors/" + cid + "/sales"},
  };
  for (const auto& [method, target] : routes) {
    EXPECT_EQ(send(server_->port(), method, target, "{}", "application/json").status, 401U) << target;
    EXPECT_EQ(send(server_->port(), method, target, "{}", "application/json", bearer(key)).status, 401U) << target;
  }
  EXPECT_EQ(admin().get("/v1/tenants/" + id + "/connectors/" + cid).status, 200U) << "still there";
}

TEST_P(ConnectorApiTest, UploadsThenTheCellSearchesItsInventory) {
  const auto [id, cid, key] = tenant("Alpha");
  auto up = upload(id, cid, "inventory", kInventoryCsv);
  ASSERT_EQ(up.status, 200U) << up.body;
  EXPECT_EQ(up.json().at("rows").as_int64(), 2);
  EXPECT_EQ(up.json().at("ignored_columns").as_array().size(), 0U);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'connector.inventory_upload' AND tenant_id = '" + id + "'"), 1);

  auto r = cell("/v1/connector/inventory?q=SOUR%20gummies", bearer(key));
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = r.json();
  const auto& body = doc.as_object();
  EXPECT_EQ(body.at("count").as_int64(), 1);
  EXPECT_EQ(body.at("inventory_items").as_int64(), 2);
  const auto& item = body.at("items").as_array().at(0).as_object();
  EXPECT_EQ(item.at("name").as_string(), "Gummies, \"Sour\" 10pk");
  EXPECT_EQ(item.at("price").as_string(), "18.50");
  EXPECT_EQ(item.at("price_cents").as_int64(), 1850);
  EXPECT_EQ(item.at("currency").as_string(), "USD");
  EXPECT_EQ(item.at("strain_type").as_string(), "Hybrid");
  EXPECT_FALSE(item.at("in_stock").as_bool());
  EXPECT_EQ(body.at("inventory_updated_at").as_string().size(), 20U);  // 2026-03-01T17:05:00Z

  // x-api-key works too; filters and limits come from the query.
  auto flower = cell("/v1/connector/inventory?category=flower&in_stock=true&limit=5", {{"x-api-key", key}});
  ASSERT_EQ(flower.status, 200U) << flower.body;
  EXPECT_EQ(flower.json().at("items").as_array().at(0).at("sku").as_string(), "BD-35");
  EXPECT_EQ(cell("/v1/connector/inventory?limit=500", bearer(key)).error_field(), "limit");
  EXPECT_EQ(cell("/v1/connector/inventory?in_stock=maybe", bearer(key)).error_field(), "in_stock");

  // The cells' routes live on the proxy listener only.
  EXPECT_EQ(send(server_->port(), verb::get, "/v1/connector/inventory", "", "", bearer(key)).status, 404U);
}

TEST_P(ConnectorApiTest, BadUploadsAre422WithRowAndColumn) {
  const auto [id, cid, key] = tenant("Alpha");
  auto bad = upload(id, cid, "inventory", "sku,name,price,quantity\nA,Fine,1,1\nB,Broken,twelve,1\n");
  ASSERT_EQ(bad.status, 422U) << bad.body;
  EXPECT_EQ(bad.error_field(), "rows[2].price");
  EXPECT_NE(bad.error_message().find("row 2 (line 3)"), std::string::npos) << bad.error_message();
  auto quote = upload(id, cid, "inventory", "sku,name,price,quantity\nA,Br\"oken,1,1\n");
  EXPECT_EQ(quote.status, 422U);
  EXPECT_EQ(quote.error_field(), "rows[1]");
  EXPECT_EQ(upload(id, cid, "inventory", "sku,name\nA,B\n").error_field(), "columns");
  EXPECT_EQ(upload(id, cid, "inventory", "[{\"sku\":\"A\"", "application/json").status, 400U);
  auto wrong_type = upload(id, cid, "inventory", "sku=1", "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong_type.status, 422U);
  EXPECT_EQ(wrong_type.error_field(), "Content-Type");
  EXPECT_EQ(upload(id, cid, "sales", "order_id,date,product_name,quantity,total\n1,yesterday,X,1,1\n").error_field(),
            "rows[1].date");
  EXPECT_EQ(upload(id, "no-such-connector", "inventory", kInventoryCsv).status, 404U);
  EXPECT_EQ(tdb_.count("connector_inventory"), 0);
  EXPECT_EQ(tdb_.count("audit_log", "action LIKE 'connector.%_upload'"), 0);
}

TEST_P(ConnectorApiTest, SalesUploadIsIdempotentAndTheCellGetsASummary) {
  const auto [id, cid, key] = tenant("Alpha");
  ASSERT_EQ(upload(id, cid, "sales", kSalesCsv).status, 200U);
  auto again = upload(id, cid, "sales", kSalesCsv);
  ASSERT_EQ(again.status, 200U);
  EXPECT_EQ(again.json().at("new_rows").as_int64(), 0);
  EXPECT_EQ(again.json().at("replaced_rows").as_int64(), 2);
  EXPECT_EQ(tdb_.count("connector_sales"), 2);

  auto r = cell("/v1/connector/sales?from=2026-03-01&to=2026-03-03", bearer(key));
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = r.json();
  const auto& s = doc.as_object();
  EXPECT_EQ(s.at("totals").at("orders").as_int64(), 2);
  EXPECT_EQ(s.at("totals").at("revenue").as_string(), "88.50");
  EXPECT_EQ(s.at("totals").at("revenue_cents").as_int64(), 8850);
  ASSERT_EQ(s.at("days").as_array().size(), 3U);
  EXPECT_EQ(s.at("days").as_array()[2].at("revenue_cents").as_int64(), 0);
  EXPECT_EQ(s.at("top_products").as_array()[0].at("sku").as_string(), "BD-35");
  EXPECT_EQ(s.at("data_range").at("last_sale_date").as_string(), "2026-03-02");

  EXPECT_EQ(cell("/v1/connector/sales?to=2026-03-03", bearer(key)).error_field(), "from");
  EXPECT_EQ(cell("/v1/connector/sales?from=2026-03-01", bearer(key)).error_field(), "to");
  EXPECT_EQ(cell("/v1/connector/sales?from=2024-01-01&to=2026-03-01", bearer(key)).status, 422U);
  EXPECT_EQ(cell("/v1/connector/sales?from=2026-03-04&to=2026-03-01", bearer(key)).error_field(), "to");
}

TEST_P(ConnectorApiTest, CellRoutesNeedALiveTenantKeyNotTheAdminToken) {
  const auto [id, cid, key] = tenant("Alpha");
  for (const std::string target : {"/v1/connector/inventory", "/v1/connector/sales?from=2026-03-01&to=2026-03-01"}) {
    auto none = cell(target, {});
    EXPECT_EQ(none.status, 401U) << target;
    EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
    EXPECT_EQ(cell(target, bearer(kAdminToken)).status, 401U) << target;
    EXPECT_EQ(cell(target, bearer("wsk_" + std::string(40, '0'))).status, 401U) << target;
    EXPECT_EQ(cell(target, bearer(key)).status, 200U) << target;
  }
  auto keys = admin().get("/v1/tenants/" + id + "/keys");
  const std::string key_id(keys.json().at("data").as_array().at(0).at("id").as_string());
  ASSERT_EQ(admin().del("/v1/tenants/" + id + "/keys/" + key_id).status, 204U);
  auto revoked = cell("/v1/connector/inventory", bearer(key));
  EXPECT_EQ(revoked.status, 401U);
  EXPECT_EQ(revoked.error_code(), "unauthenticated");
}

TEST_P(ConnectorApiTest, EachKeySeesOnlyItsOwnTenantsData) {
  const auto [a, ca, key_a] = tenant("Alpha");
  const auto [b, cb, key_b] = tenant("Beta");
  ASSERT_EQ(upload(a, ca, "inventory", kInventoryCsv).status, 200U);
  ASSERT_EQ(upload(a, ca, "sales", kSalesCsv).status, 200U);
  ASSERT_EQ(upload(b, cb, "inventory", "sku,name,price,quantity\nB-1,Blue Beta Cookies,20,3\n").status, 200U);

  const auto skus = [&](const std::string& key) {
    std::set<std::string> out;
    auto r = cell("/v1/connector/inventory?q=blue&limit=50", bearer(key));
    EXPECT_EQ(r.status, 200U) << r.body;
    const auto doc = r.json();
    for (const auto& i : doc.at("items").as_array()) out.insert(std::string(i.at("sku").as_string()));
    return out;
  };
  EXPECT_EQ(skus(key_a), std::set<std::string>{"BD-35"});
  EXPECT_EQ(skus(key_b), std::set<std::string>{"B-1"});
  auto b_all = cell("/v1/connector/inventory?limit=50", bearer(key_b));
  EXPECT_EQ(b_all.json().at("inventory_items").as_int64(), 1);
  auto b_sales = cell("/v1/connector/sales?from=2026-03-01&to=2026-03-31", bearer(key_b));
  ASSERT_EQ(b_sales.status, 200U);
  EXPECT_EQ(b_sales.json().at("totals").at("orders").as_int64(), 0);
  EXPECT_TRUE(b_sales.json().at("data_range").at("last_sale_date").is_null());
  // The operator cannot reach one tenant's connector through another tenant's path either.
  EXPECT_EQ(upload(b, ca, "inventory", kInventoryCsv).status, 404U);
}

TEST_P(ConnectorApiTest, UploadsHaveTheirOwnBodyLimitAndOtherRoutesKeepTheApis) {
  const auto [id, cid, key] = tenant("Alpha");
  std::string big = "sku,name,price,quantity\n";
  for (int i = 0; big.size() < 200 * 1024; ++i) big += fmt::format("SKU-{:06},Product number {},{}.50,{}\n", i, i, i % 90, i % 7);
  // Default: a 200 KiB menu is accepted (uploads may be 16 MiB) while other admin bodies stay at 64 KiB.
  auto accepted = upload(id, cid, "inventory", big);
  ASSERT_EQ(accepted.status, 200U) << accepted.body.substr(0, 300);
  EXPECT_GT(accepted.json().at("rows").as_int64(), 5000);
  auto r = cell("/v1/connector/inventory?q=sku-000042", bearer(key));
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("items").as_array().at(0).at("name").as_string(), "Product number 42");
  const std::string padded = json::serialize(json::object{{"name", std::string(100 * 1024, 'x')}});
  EXPECT_EQ(admin().send(boost::beast::http::verb::patch, "/v1/tenants/" + id, padded).status, 413U);

  start([](app::Config& c) { c.api_upload_limit = 100 * 1024; });
  auto refused = upload(id, cid, "inventory", big);
  EXPECT_EQ(refused.status, 413U);
  EXPECT_EQ(tdb_.count("connector_inventory", "tenant_id = '" + id + "'"), accepted.json().at("rows").as_int64())
      << "the refused upload changed nothing";
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectorApiTest, testing::kBackends);

}  // namespace
}  // namespace winston
