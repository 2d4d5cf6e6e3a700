// HTTP integration tests of the admin API against a real server on port 0,
// on SQLite and on PostgreSQL.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <thread>

#include "api/system_api.hpp"
#include "storage/migrations.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using boost::beast::http::verb;
using testing::HttpClient;
using testing::HttpReply;
using testing::TestDatabase;
using testing::TestServer;

std::string body_with(json::object obj) { return json::serialize(obj); }

json::object base_tenant(const std::string& email = "owner@greenleaf.example.com") {
  return {{"name", "Green Leaf Dispensary"}, {"email", email}, {"website_url", "https://greenleaf.example.com"},
          {"industry", "cannabis-dispensary"}};
}

class TenantApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::milliseconds(1500));
  }
  HttpClient client() { return server_->client(); }

  struct Counts {
    std::int64_t tenants, audit, ledger;
    bool operator==(const Counts&) const = default;
  };
  Counts counts() {
    return {tdb_.count("tenants"), tdb_.count("audit_log"), tdb_.count("credit_ledger")};
  }
  json::object create(HttpClient& c, json::object body) {
    auto r = c.post("/v1/tenants", body_with(std::move(body)));
    EXPECT_EQ(r.status, 201U) << r.body;
    return r.json().is_object() ? r.json().as_object() : json::object{};
  }
  std::int64_t ledger_sum(const std::string& id) {
    auto conn = storage::connect(tdb_.url());
    auto rows = (*conn)->query("SELECT COALESCE(SUM(amount_mc), 0) FROM credit_ledger WHERE tenant_id = $1", {id});
    return rows->front().i64(0);
  }

  TestDatabase tdb_{GetParam()};
  std::unique_ptr<TestServer> server_;
};

TEST_P(TenantApiTest, CreateGrantsTheTierAllotmentAndReturnsTheTenant) {
  auto c = client();
  auto r = c.post("/v1/tenants", body_with(base_tenant()));
  ASSERT_EQ(r.status, 201U) << r.body;
  const auto t = r.json().as_object();
  const std::string id(t.at("id").as_string());
  EXPECT_EQ(r.headers["location"], "/v1/tenants/" + id);
  EXPECT_EQ(t.at("slug").as_string(), "green-leaf-dispensary");
  EXPECT_EQ(t.at("tier").as_string(), "free");
  EXPECT_EQ(t.at("status").as_string(), "active");
  EXPECT_EQ(t.at("balance_mc").as_int64(), 50'000'000);
  EXPECT_EQ(t.at("monthly_allotment_mc").as_int64(), 50'000'000);
  const auto created = t.at("created_at").as_int64();
  const auto refresh = t.at("refresh_at").as_int64();
  EXPECT_GE(refresh - created, 28LL * 86'400'000);
  EXPECT_LE(refresh - created, 31LL * 86'400'000);
  EXPECT_EQ(ledger_sum(id), 50'000'000);
  EXPECT_EQ(tdb_.count("credit_ledger", "tenant_id = '" + id + "' AND kind = 'grant'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'tenant.create' AND actor = 'admin'"), 1);
}

TEST_P(TenantApiTest, FullCrudThroughTheApi) {
  auto c = client();
  auto t = create(c, base_tenant());
  const std::string id(t.at("id").as_string());
  const std::string slug(t.at("slug").as_string());

  for (const auto& key : {id, slug}) {
    auto r = c.get("/v1/tenants/" + key);
    ASSERT_EQ(r.status, 200U) << r.body;
    EXPECT_EQ(r.json().at("id").as_string(), id);
  }

  auto patched = c.patch("/v1/tenants/" + id,
                         R"({"name":"Green Leaf II","tier":"pro","status":"suspended","industry":null})");
  ASSERT_EQ(patched.status, 200U) << patched.body;
  EXPECT_EQ(patched.json().at("name").as_string(), "Green Leaf II");
  EXPECT_EQ(patched.json().at("tier").as_string(), "pro");
  EXPECT_EQ(patched.json().at("monthly_allotment_mc").as_int64(), 1'000'000'000);
  EXPECT_EQ(patched.json().at("status").as_string(), "suspended");
  EXPECT_TRUE(patched.json().at("industry").is_null());
  EXPECT_EQ(patched.json().at("slug").as_string(), slug) << "a rename keeps the slug stable";
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'tenant.update'"), 1);

  auto credit = c.post("/v1/tenants/" + slug + "/credits", R"({"amount_mc": -1500, "reason": "goodwill correction"})");
  ASSERT_EQ(credit.status, 201U) << credit.body;
  EXPECT_EQ(credit.json().at("balance_after_mc").as_int64(), 50'000'000 - 1'500);
  EXPECT_EQ(credit.json().at("kind").as_string(), "adjustment");
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'tenant.credit'"), 1);

  auto ledger = c.get("/v1/tenants/" + id + "/ledger?limit=1");
  ASSERT_EQ(ledger.status, 200U);
  EXPECT_EQ(ledger.json().at("total").as_int64(), 2);
  EXPECT_TRUE(ledger.json().at("has_more").as_bool());
  ASSERT_EQ(ledger.json().at("data").as_array().size(), 1U);
  EXPECT_EQ(ledger.json().at("data").at(0).at("amount_mc").as_int64(), -1'500) << "newest first";
  auto page2 = c.get("/v1/tenants/" + id + "/ledger?limit=1&offset=1");
  EXPECT_EQ(page2.json().at("data").at(0).at("kind").as_string(), "grant");

  auto shown = c.get("/v1/tenants/" + id);
  EXPECT_EQ(shown.json().at("balance_mc").as_int64(), ledger_sum(id)) << "balance == sum of ledger rows";

  auto del = c.del("/v1/tenants/" + id);
  EXPECT_EQ(del.status, 204U) << del.body;
  EXPECT_EQ(c.get("/v1/tenants/" + id).status, 404U);
  EXPECT_EQ(c.del("/v1/tenants/" + id).status, 404U);
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "'"), 0) << "the tenant's rows cascade";
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id IS NULL AND action = 'tenant.delete' AND target = 'tenant:" + id + "'"), 1)
      << "the deletion itself stays on record";
}

TEST_P(TenantApiTest, ListFiltersSearchesAndPaginates) {
  auto c = client();
  for (int i = 0; i < 5; ++i) {
    auto body = base_tenant("o" + std::to_string(i) + "@example.com");
    body["name"] = i == 2 ? "Zebra Cannabis" : "Shop " + std::to_string(i);
    body["tier"] = i % 2 ? "starter" : "free";
    create(c, body);
  }
  auto all = c.get("/v1/tenants?limit=2");
  ASSERT_EQ(all.status, 200U);
  EXPECT_EQ(all.json().at("total").as_int64(), 6) << "five tenants plus the system tenant";
  EXPECT_EQ(all.json().at("data").as_array().size(), 2U);
  EXPECT_TRUE(all.json().at("has_more").as_bool());
  EXPECT_EQ(all.json().at("data").at(0).at("name").as_string(), "Shop 4") << "newest first";

  EXPECT_EQ(c.get("/v1/tenants?tier=starter").json().at("total").as_int64(), 2);
  EXPECT_EQ(c.get("/v1/tenants?q=zebra").json().at("total").as_int64(), 1);
  EXPECT_EQ(c.get("/v1/tenants?q=%25").json().at("total").as_int64(), 0) << "% is literal, not a wildcard";
  EXPECT_EQ(c.get("/v1/tenants?status=suspended").json().at("total").as_int64(), 0);
  auto last = c.get("/v1/tenants?limit=2&offset=4");
  EXPECT_EQ(last.json().at("data").as_array().size(), 2U);
  EXPECT_FALSE(last.json().at("has_more").as_bool());
}

TEST_P(TenantApiTest, DerivedSlugsAreUniqueAndExplicitDuplicatesConflict) {
  auto c = client();
  auto a = create(c, base_tenant("a@example.com"));
  auto b = create(c, base_tenant("b@example.com"));
  EXPECT_EQ(a.at("slug").as_string(), "green-leaf-dispensary");
  EXPECT_EQ(b.at("slug").as_string(), "green-leaf-dispensary-2");
  auto body = base_tenant("c@example.com");
  body["slug"] = "green-leaf-dispensary";
  const auto before = counts();
  auto r = c.post("/v1/tenants", body_with(body));
  EXPECT_EQ(r.status, 409U);
  EXPECT_EQ(r.error_field(), "slug");
  EXPECT_EQ(counts(), before);
}

TEST_P(TenantApiTest, ConcurrentCreatesWithOneNameGetDistinctSlugs) {
  constexpr int kClients = 6;
  std::vector<std::string> slugs(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = client();
      auto r = c.post("/v1/tenants", body_with(base_tenant("same" + std::to_string(i) + "@example.com")));
      if (r.status == 201U) slugs[static_cast<std::size_t>(i)] = std::string(r.json().at("slug").as_string());
    });
  }
  for (auto& t : threads) t.join();
  const std::set<std::string> unique(slugs.begin(), slugs.end());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kClients));
  EXPECT_FALSE(unique.contains(""));
}

struct BadCase {
  std::string name;
  verb method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;
  unsigned status;
  std::string code;
  std::string field;
  std::string message_part;
};

TEST_P(TenantApiTest, BadInputGetsTheRightStatusAndMessageAndWritesNothing) {
  auto c = client();
  auto existing = create(c, base_tenant("taken@example.com"));
  const std::string id(existing.at("id").as_string());
  const auto with = [](json::object kv) {
    auto o = base_tenant("new@example.com");
    for (const auto& [k, v] : kv) o[k] = v;
    return json::serialize(o);
  };
  const std::vector<BadCase> cases = {
      {"malformed json", verb::post, "/v1/tenants", R"({"name": "x",)", {}, 400, "malformed_request", "", "not valid JSON"},
      {"not an object", verb::post, "/v1/tenants", R"(["name"])", {}, 400, "malformed_request", "", "JSON object"},
      {"empty body", verb::post, "/v1/tenants", "", {}, 400, "malformed_request", "", "not valid JSON"},
      {"name wrong type", verb::post, "/v1/tenants", with({{"name", 42}}), {}, 422, "invalid_field", "name", "must be a string"},
      {"tier wrong type", verb::post, "/v1/tenants", with({{"tier", json::array{}}}), {}, 422, "invalid_field", "tier", "must be a string"},
      {"unknown field", verb::post, "/v1/tenants", with({{"balance_mc", 999}}), {}, 422, "invalid_field", "balance_mc", "unknown field"},
      {"missing email", verb::post, "/v1/tenants", R"({"name":"A","website_url":"https://a.com"})", {}, 422, "invalid_field", "email", "required"},
      {"missing auth", verb::post, "/v1/tenants", with({}), {{"Authorization", "-"}}, 401, "unauthenticated", "", "Authorization"},
      {"wrong token", verb::post, "/v1/tenants", with({}), {{"Authorization", "Bearer wrong-token-wrong-token"}}, 401, "unauthenticated", "", "invalid admin token"},
      {"basic auth", verb::post, "/v1/tenants", with({}), {{"Authorization", "Basic dGVzdDp0ZXN0"}}, 401, "unauthenticated", "", "invalid admin token"},
      {"invalid email", verb::post, "/v1/tenants", with({{"email", "not-an-email"}}), {}, 422, "invalid_field", "email", "email address"},
      {"invalid url scheme", verb::post, "/v1/tenants", with({{"website_url", "ftp://x.com"}}), {}, 422, "invalid_field", "website_url", "http or https"},
      {"javascript url", verb::post, "/v1/tenants", with({{"website_url", "javascript:alert(1)"}}), {}, 422, "invalid_field", "website_url", "http or https"},
      {"invalid tier", verb::post, "/v1/tenants", with({{"tier", "platinum"}}), {}, 422, "invalid_field", "tier", "free"},
      {"sql in email", verb::post, "/v1/tenants", with({{"email", "x@y.com'; DROP TABLE tenants; --"}}), {}, 422, "invalid_field", "email", "email"},
      {"sql in tier", verb::post, "/v1/tenants", with({{"tier", "free' OR '1'='1"}}), {}, 422, "invalid_field", "tier", "tier"},
      {"name too long", verb::post, "/v1/tenants", with({{"name", std::string(201, 'n')}}), {}, 422, "invalid_field", "name", "at most 200"},
      {"name control chars", verb::post, "/v1/tenants", with({{"name", "a\u0007b"}}), {}, 422, "invalid_field", "name", "control"},
      {"blank name", verb::post, "/v1/tenants", with({{"name", "   "}}), {}, 422, "invalid_field", "name", "empty"},
      {"bad explicit slug", verb::post, "/v1/tenants", with({{"slug", "Bad_Slug"}}), {}, 422, "invalid_field", "slug", "lowercase"},
      {"duplicate email", verb::post, "/v1/tenants", with({{"email", "TAKEN@example.com"}}), {}, 409, "conflict", "email", "already exists"},
      {"oversized body", verb::post, "/v1/tenants", with({{"name", std::string(70 * 1024, 'x')}}), {}, 413, "payload_too_large", "", "too large"},
      {"patch nothing", verb::patch, "/v1/tenants/" + id, "{}", {}, 422, "invalid_field", "body", "nothing to update"},
      {"patch bad status", verb::patch, "/v1/tenants/" + id, R"({"status":"deleted"})", {}, 422, "invalid_field", "status", "active or suspended"},
      {"patch unknown field", verb::patch, "/v1/tenants/" + id, R"({"balance_mc":1})", {}, 422, "invalid_field", "balance_mc", "unknown field"},
      {"patch unknown tenant", verb::patch, "/v1/tenants/nope", R"({"name":"x"})", {}, 404, "not_found", "", "no tenant"},
      {"patch system tenant", verb::patch, "/v1/tenants/system", R"({"name":"x"})", {}, 403, "forbidden", "", "system tenant"},
      {"delete system tenant", verb::delete_, "/v1/tenants/system", "", {}, 403, "forbidden", "", "system tenant"},
      {"delete unknown", verb::delete_, "/v1/tenants/00000000-0000-7000-8000-000000000999", "", {}, 404, "not_found", "", "no tenant"},
      {"sql in path", verb::get, "/v1/tenants/'%20OR%20'1'='1", "", {}, 404, "not_found", "", "no tenant"},
      {"credit zero", verb::post, "/v1/tenants/" + id + "/credits", R"({"amount_mc":0,"reason":"x"})", {}, 422, "invalid_field", "amount_mc", "not be zero"},
      {"credit string amount", verb::post, "/v1/tenants/" + id + "/credits", R"({"amount_mc":"5","reason":"x"})", {}, 422, "invalid_field", "amount_mc", "integer"},
      {"credit float amount", verb::post, "/v1/tenants/" + id + "/credits", R"({"amount_mc":1.5,"reason":"x"})", {}, 422, "invalid_field", "amount_mc", "integer"},
      {"credit no reason", verb::post, "/v1/tenants/" + id + "/credits", R"({"amount_mc":5})", {}, 422, "invalid_field", "reason", "required"},
      {"credit overdraft", verb::post, "/v1/tenants/" + id + "/credits", R"({"amount_mc":-50000001,"reason":"x"})", {}, 409, "conflict", "amount_mc", "force"},
      {"credit unlimited", verb::post, "/v1/tenants/system/credits", R"({"amount_mc":5,"reason":"x"})", {}, 403, "forbidden", "", "unlimited"},
      {"list bad limit", verb::get, "/v1/tenants?limit=0", "", {}, 422, "invalid_field", "limit", "between 1 and 200"},
      {"list huge limit", verb::get, "/v1/tenants?limit=100000", "", {}, 422, "invalid_field", "limit", "between 1 and 200"},
      {"list text limit", verb::get, "/v1/tenants?limit=ten", "", {}, 422, "invalid_field", "limit", "integer"},
      {"list bad status", verb::get, "/v1/tenants?status=gone", "", {}, 422, "invalid_field", "status", "active or suspended"},
      {"unknown route", verb::get, "/v1/nothing", "", {}, 404, "not_found", "", "no such endpoint"},
      {"wrong method", verb::put, "/v1/tenants", "{}", {}, 405, "method_not_allowed", "", "method not allowed"},
  };
  for (const auto& bc : cases) {
    SCOPED_TRACE(bc.name);
    const auto before = counts();
    HttpClient fresh(server_->port(), testing::kAdminToken);
    auto headers = bc.headers;
    if (headers.contains("Authorization") && headers["Authorization"] == "-") headers["Authorization"] = "";
    HttpReply r;
    if (headers.contains("Authorization") && headers["Authorization"].empty()) {
      HttpClient anon(server_->port());
      r = anon.send(bc.method, bc.target, bc.body);
    } else {
      r = fresh.send(bc.method, bc.target, bc.body, headers);
    }
    EXPECT_EQ(r.status, bc.status) << r.body;
    EXPECT_EQ(r.error_code(), bc.code) << r.body;
    EXPECT_EQ(r.error_field(), bc.field) << r.body;
    EXPECT_NE(r.error_message().find(bc.message_part), std::string::npos) << r.body;
    EXPECT_FALSE(r.json().at("error").at("request_id").as_string().empty());
    EXPECT_EQ(counts(), before) << "nothing may be written";
  }
  auto t = c.get("/v1/tenants/" + id).json();
  EXPECT_EQ(t.at("balance_mc").as_int64(), 50'000'000);
  EXPECT_EQ(t.at("name").as_string(), "Green Leaf Dispensary");
}

TEST_P(TenantApiTest, HostileButValidTextIsStoredVerbatim) {
  auto c = client();
  for (const std::string& name : std::vector<std::string>{"Robert'); DROP TABLE tenants; --", "Café Ñandú 大麻 🌿 \"quoted\" \\slash\\",
                                 "${OPENCLAW_GATEWAY_TOKEN} <script>alert(1)</script>", std::string(200, 'L')}) {
    auto body = base_tenant(std::to_string(std::hash<std::string>{}(name)) + "@example.com");
    body["name"] = name;
    auto t = create(c, body);
    ASSERT_TRUE(t.contains("id"));
    auto got = c.get("/v1/tenants/" + std::string(t.at("id").as_string()));
    EXPECT_EQ(got.json().at("name").as_string(), name);
    EXPECT_TRUE(storage::connect(tdb_.url()).ok());
  }
  EXPECT_EQ(tdb_.count("tenants"), 5);
}

TEST_P(TenantApiTest, ForcedAdjustmentMayGoNegativeAndIsAudited) {
  auto c = client();
  auto t = create(c, base_tenant());
  const std::string id(t.at("id").as_string());
  auto r = c.post("/v1/tenants/" + id + "/credits", R"({"amount_mc":-50000500,"reason":"chargeback","force":true})");
  ASSERT_EQ(r.status, 201U) << r.body;
  EXPECT_EQ(r.json().at("balance_after_mc").as_int64(), -500);
  EXPECT_EQ(ledger_sum(id), -500);
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'tenant.credit'"), 1);
}

TEST_P(TenantApiTest, DeleteThroughTheApiLeavesNoOrphanRowsAnywhere) {
  auto c = client();
  auto t = create(c, base_tenant());
  const std::string id(t.at("id").as_string());
  ASSERT_EQ(c.post("/v1/tenants/" + id + "/credits", R"({"amount_mc":5,"reason":"x"})").status, 201U);
  {
    auto conn = storage::connect(tdb_.url());
    ASSERT_TRUE(conn.ok());
    for (const std::string sql : {
             "INSERT INTO api_keys (id, tenant_id, prefix, key_hash, created_at, updated_at) VALUES ('k', $1, 'p', 'h', 1, 1)",
             "INSERT INTO tenant_instances (id, tenant_id, backend, created_at, updated_at) VALUES ('i', $1, 'local', 1, 1)",
             "INSERT INTO instance_events (id, instance_id, tenant_id, at, kind, message) VALUES ('e', 'i', $1, 1, 'step', 'x')",
             "INSERT INTO config_snapshots (id, tenant_id, version, content_hash, files, created_by, created_at) VALUES ('c', $1, 1, 'h', '{}', 't', 1)",
             "INSERT INTO credit_usage (id, tenant_id, request_id, model, provider, multiplier_milli, status, created_at) VALUES ('u', $1, 'r', 'm', 'p', 1000, 'ok', 1)",
             "INSERT INTO session_transcripts (id, tenant_id, session_id, seq, content, occurred_at, created_at) VALUES ('s', $1, 's', 1, '{}', 1, 1)",
             "INSERT INTO channel_health (id, tenant_id, channel, status, checked_at, changed_at, created_at, updated_at) VALUES ('h', $1, 'telegram', 'ok', 1, 1, 1, 1)",
             "INSERT INTO tenant_connectors (id, tenant_id, kind, name, created_at, updated_at) VALUES ('n', $1, 'csv', 'inv', 1, 1)",
             "INSERT INTO credit_reservations (id, tenant_id, request_id, model, amount_mc, owner, created_at, expires_at) VALUES ('r', $1, 'r', 'm', 0, 'o', 1, 2)",
             "INSERT INTO business_profiles (id, tenant_id, version, source, source_url, profile, created_by, created_at) VALUES ('b', $1, 1, 'llm', 'u', '{}', 't', 1)",
             "INSERT INTO tenant_secrets (id, tenant_id, name, value_enc, created_at, updated_at) VALUES ('x', $1, 'n', 'v', 1, 1)",
             "INSERT INTO tenant_skills (id, tenant_id, skill, enabled, created_at, updated_at) VALUES ('k2', $1, 's', 1, 1, 1)",
             "INSERT INTO connector_inventory (id, tenant_id, connector_id, sku, name, price_cents, search_text, updated_at) VALUES ('ci', $1, 'n', 's', 'n', 1, 'n', 1)",
             "INSERT INTO connector_sales (id, tenant_id, connector_id, order_id, line_id, sale_date, occurred_at, product_name, quantity, total_cents, created_at) VALUES ('cs', $1, 'n', 'o', 'l', '2026-01-01', 1, 'p', 1, 1, 1)"}) {
      auto r = (*conn)->query(sql, {id});
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }
  for (auto table : storage::tenant_owned_tables()) {
    EXPECT_GE(tdb_.count(std::string(table), "tenant_id = '" + id + "'"), 1) << table;
  }
  ASSERT_EQ(c.del("/v1/tenants/" + id).status, 204U);
  for (auto table : storage::tenant_owned_tables()) {
    EXPECT_EQ(tdb_.count(std::string(table), "tenant_id = '" + id + "'"), 0) << table;
  }
  EXPECT_EQ(tdb_.count("tenants", "id = '" + id + "'"), 0);
}

TEST_P(TenantApiTest, EveryAdminRouteRequiresTheToken) {
  const std::set<std::string> open = {"/healthz", "/readyz", "/v1/openapi.json"};
  HttpClient anon(server_->port());
  int checked = 0;
  for (const auto& route : server_->runtime().router().routes()) {
    if (open.contains(route.pattern)) continue;
    std::string target = route.pattern;
    if (auto p = target.find("{id}"); p != std::string::npos) target.replace(p, 4, "system");
    auto r = anon.send(route.method, target, "{}");
    EXPECT_EQ(r.status, 401U) << route.pattern;
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer") << route.pattern;
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

TEST_P(TenantApiTest, OpenApiDocumentsEveryRouteAndNothingElse) {
  auto c = client();
  auto r = c.get("/v1/openapi.json");
  ASSERT_EQ(r.status, 200U);
  const auto doc = r.json();
  ASSERT_TRUE(doc.is_object()) << "not JSON";
  EXPECT_EQ(doc.at("openapi").as_string().subview().substr(0, 2), "3.");
  const auto& paths = doc.at("paths").as_object();
  std::set<std::pair<std::string, std::string>> routed, documented;
  for (const auto* router : {&server_->runtime().router(), &server_->runtime().proxy_router()}) {
    for (const auto& route : router->routes()) {  // the proxy listener's routed part: the cells' connector API
      std::string m(boost::beast::http::to_string(route.method));
      std::transform(m.begin(), m.end(), m.begin(), [](unsigned char ch) { return std::tolower(ch); });
      routed.insert({route.pattern, m});
    }
  }
  for (const auto& [path, item] : paths) {
    for (const auto& [method, op] : item.as_object()) {
      if (method != "parameters") documented.insert({std::string(path), std::string(method)});
    }
  }
  EXPECT_EQ(routed, documented);
}

TEST_P(TenantApiTest, HealthReadinessAndMetrics) {
  auto c = client();
  EXPECT_EQ(c.get("/healthz").status, 200U);
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 200U);
  EXPECT_EQ(ready.json().at("database").as_string(), "ok");
  create(c, base_tenant());
  c.get("/v1/tenants/nope");
  auto m = c.get("/metrics");
  ASSERT_EQ(m.status, 200U);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find(R"(winston_http_requests_total{route="/v1/tenants",method="POST",status="201"} 1)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(winston_http_requests_total{route="/v1/tenants/{id}",method="GET",status="404"} 1)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(winston_http_request_duration_seconds_bucket{route="/v1/tenants",le="+Inf"} 1)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("# TYPE winston_http_request_duration_seconds histogram"), std::string::npos);
}

TEST_P(TenantApiTest, RequestIdsAreEchoedOrGenerated) {
  auto c = client();
  auto given = c.send(verb::get, "/healthz", "", {{"X-Request-Id", "trace-abc.123"}});
  EXPECT_EQ(given.headers["x-request-id"], "trace-abc.123");
  auto hostile = c.send(verb::get, "/v1/tenants/nope", "", {{"X-Request-Id", "bad id\"with quotes"}});
  EXPECT_NE(hostile.headers["x-request-id"], "bad id\"with quotes");
  EXPECT_EQ(hostile.headers["x-request-id"].size(), 36U);
  EXPECT_EQ(hostile.json().at("error").at("request_id").as_string(), hostile.headers["x-request-id"]);
}

TEST_P(TenantApiTest, MalformedHttpGets400AndStalledRequestsAreCut) {
  const auto garbage = HttpClient::raw_exchange(server_->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(garbage.find("400"), std::string::npos) << garbage;
  const auto started = std::chrono::steady_clock::now();
  // Headers never finish: the server's read timeout (1.5 s here) must close the connection.
  const auto stalled = HttpClient::raw_exchange(server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(stalled.empty()) << stalled;
  EXPECT_LT(waited, std::chrono::seconds(10));
}

TEST_P(TenantApiTest, ShutdownClosesIdleConnectionsAndStopsListening) {
  auto c = client();
  EXPECT_EQ(c.get("/healthz").status, 200U);  // leaves an idle keep-alive connection open
  const auto port = server_->port();
  const auto started = std::chrono::steady_clock::now();
  server_->runtime().stop(std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4)) << "idle connections are closed, not waited for";
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_TRUE(ec) << "still accepting after shutdown";
}

INSTANTIATE_TEST_SUITE_P(Backends, TenantApiTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
