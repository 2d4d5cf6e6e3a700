// The audit log over HTTP on SQLite and PostgreSQL: every filter, keyset
// pages without duplicates or gaps when rows share a millisecond, and one
// tenant's filter never showing another tenant's rows.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <set>

#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::HttpClient;
using testing::HttpReply;
using testing::TestDatabase;
using testing::TestServer;

// Synthetic rows live far in the past, so a time window isolates them from
// the rows the API writes while the test sets up.
constexpr std::int64_t kBase = 1'000'000;
constexpr std::int64_t kEnd = 2'000'000;

class AuditApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    server_ = std::make_unique<TestServer>(tdb_);
    auto c = client();
    a_ = create(c, "Alpha Buds", "a@alpha.example.com");
    b_ = create(c, "Beta Leaf", "b@beta.example.com");
    conn_ = std::move(*storage::connect(tdb_.url()));
  }
  HttpClient client() { return server_->client(); }

  std::string create(HttpClient& c, const std::string& name, const std::string& email) {
    auto r = c.post("/v1/tenants", json::serialize(json::object{
                                       {"name", name}, {"email", email}, {"website_url", "https://x.example.com"}}));
    EXPECT_EQ(r.status, 201U) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  void insert(const std::string& id, std::optional<std::string> tenant, const std::string& actor,
              const std::string& action, const std::string& target, std::int64_t at) {
    auto r = conn_->query(
        "INSERT INTO audit_log (id, tenant_id, actor, action, target, details, created_at) "
        "VALUES ($1, $2, $3, $4, $5, '{\"n\":1}', $6)",
        {id, tenant ? storage::Value{*tenant} : storage::Value{nullptr}, actor, action, target, at});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // Every row of a listing, following next_cursor; fails on a page over `limit`.
  std::vector<json::object> all_pages(HttpClient& c, const std::string& path, int limit, int* pages = nullptr) {
    std::vector<json::object> rows;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      const auto sep = path.find('?') == std::string::npos ? "?" : "&";
      auto r = c.get(fmt::format("{}{}limit={}{}", path, sep, limit, cursor.empty() ? "" : "&cursor=" + cursor));
      EXPECT_EQ(r.status, 200U) << r.body;
      if (r.status != 200U) break;
      const auto body = r.json();
      const auto& data = body.at("data").as_array();
      EXPECT_LE(data.size(), static_cast<std::size_t>(limit));
      for (const auto& row : data) rows.push_back(row.as_object());
      if (pages != nullptr) ++*pages;
      const auto& next = body.at("next_cursor");
      if (next.is_null()) break;
      cursor = std::string(next.as_string());
    }
    return rows;
  }

  static std::vector<std::string> ids(const std::vector<json::object>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.emplace_back(r.at("id").as_string());
    return out;
  }
  std::vector<std::string> get_ids(HttpClient& c, const std::string& path) {
    auto r = c.get(path);
    EXPECT_EQ(r.status, 200U) << path << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200U) return out;
    const auto body = r.json();
    for (const auto& row : body.at("data").as_array()) out.emplace_back(row.at("id").as_string());
    return out;
  }

  TestDatabase tdb_{GetParam()};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<storage::Connection> conn_;
  std::string a_, b_;
};

TEST_P(AuditApiTest, RowsOfTheApiAreListedNewestFirstWithTheirDetails) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/tenants/" + a_ + "/credits", R"({"amount_mc": 700, "reason": "goodwill"})").status, 201U);
  auto r = c.get("/v1/tenants/alpha-buds/audit");
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto body = r.json();
  const auto& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2U);
  EXPECT_EQ(data.at(0).at("action").as_string(), "tenant.credit") << "newest first";
  EXPECT_EQ(data.at(0).at("actor").as_string(), "admin");
  EXPECT_EQ(data.at(0).at("target").as_string(), "tenant:" + a_);
  EXPECT_EQ(data.at(0).at("tenant_id").as_string(), a_);
  EXPECT_TRUE(data.at(0).at("details").is_object()) << "details are JSON, not a string";
  EXPECT_FALSE(data.at(0).at("request_id").as_string().empty());
  EXPECT_EQ(data.at(1).at("action").as_string(), "tenant.create");
  EXPECT_TRUE(body.at("next_cursor").is_null());
  EXPECT_EQ(body.at("limit").as_int64(), 50);
}

TEST_P(AuditApiTest, EachFilterSelectsExactlyItsRows) {
  insert("f1", a_, "admin", "tenant.update", "tenant:" + a_, kBase + 1);
  insert("f2", a_, "cli:root", "tenant.credit", "tenant:" + a_, kBase + 2);
  insert("f3", a_, "admin", "key.create", "key:k1", kBase + 3);
  insert("f4", b_, "admin", "tenant.update", "tenant:" + b_, kBase + 4);
  insert("f5", b_, "cli:root", "cell.key_reissued", "key:k2", kBase + 5);
  insert("f6", std::nullopt, "admin", "tenant.delete", "tenant:gone", kBase + 6);
  auto c = client();
  const std::string window = fmt::format("from={}&to={}", kBase, kEnd);
  const auto q = [&](const std::string& filter) { return get_ids(c, "/v1/audit?" + window + "&" + filter); };
  using V = std::vector<std::string>;
  EXPECT_EQ(get_ids(c, "/v1/audit?" + window), (V{"f6", "f5", "f4", "f3", "f2", "f1"}));
  EXPECT_EQ(q("tenant=" + a_), (V{"f3", "f2", "f1"}));
  EXPECT_EQ(q("tenant=beta-leaf"), (V{"f5", "f4"})) << "a slug works too";
  EXPECT_EQ(q("actor=cli:root"), (V{"f5", "f2"}));
  EXPECT_EQ(q("action=tenant.update"), (V{"f4", "f1"}));
  EXPECT_EQ(q("action=tenant."), (V{"f6", "f4", "f2", "f1"})) << "a trailing dot is a prefix";
  EXPECT_EQ(q("action=cell.*"), (V{"f5"}));
  EXPECT_EQ(q("action=tenant"), V{}) << "no dot, no star: exact";
  EXPECT_EQ(q("action=key_*"), V{}) << "'_' is a character, not a wildcard";
  EXPECT_EQ(q("target=key:k1"), (V{"f3"}));
  EXPECT_EQ(q("tenant=" + a_ + "&action=tenant.&actor=admin"), (V{"f1"})) << "filters combine";
  EXPECT_EQ(get_ids(c, fmt::format("/v1/audit?from={}&to={}", kBase + 2, kBase + 4)), (V{"f3", "f2"}))
      << "from inclusive, to exclusive";
  EXPECT_EQ(get_ids(c, fmt::format("/v1/tenants/{}/audit?{}&actor=admin", a_, window)), (V{"f3", "f1"}));
  EXPECT_EQ(get_ids(c, "/v1/audit?" + window + "&actor="), (V{"f6", "f5", "f4", "f3", "f2", "f1"}))
      << "an empty parameter is no filter";
}

TEST_P(AuditApiTest, PagesHaveNoDuplicatesOrGapsWhenRowsShareAMillisecond) {
  // 130 rows of A and 60 of B, interleaved, seven to a millisecond.
  std::set<std::string> a_ids;
  for (int i = 0; i < 190; ++i) {
    const bool of_a = i % 19 < 13;
    const auto id = fmt::format("r{:04}", (i * 7919) % 10007);  // ids not in time order
    insert(id, of_a ? a_ : b_, "admin", "tenant.update", "tenant:" + (of_a ? a_ : b_), kBase + i / 7);
    if (of_a) a_ids.insert(id);
  }
  ASSERT_EQ(a_ids.size(), 130U);
  auto c = client();
  for (const auto& path : std::vector<std::string>{fmt::format("/v1/audit?tenant={}&from={}&to={}", a_, kBase, kEnd),
                                 fmt::format("/v1/tenants/{}/audit?from={}&to={}", a_, kBase, kEnd)}) {
    int pages = 0;
    const auto rows = all_pages(c, path, 25, &pages);
    EXPECT_EQ(pages, 6) << path;
    const auto got = ids(rows);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), a_ids) << "no gaps, nothing of B: " << path;
    EXPECT_EQ(got.size(), a_ids.size()) << "no duplicates: " << path;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const auto t0 = rows[i - 1].at("created_at").as_int64(), t1 = rows[i].at("created_at").as_int64();
      EXPECT_TRUE(t0 > t1 || (t0 == t1 && got[i - 1] > got[i])) << "newest first, then by id, at " << i;
    }
  }
  const auto everything = all_pages(c, fmt::format("/v1/audit?from={}&to={}", kBase, kEnd), 200);
  EXPECT_EQ(everything.size(), 190U);
  const auto exact = all_pages(c, fmt::format("/v1/audit?from={}&to={}", kBase, kEnd), 19);
  EXPECT_EQ(exact.size(), 190U) << "a last page that is exactly full";
}

TEST_P(AuditApiTest, TenantAFilterNeverReturnsTenantBRows) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/tenants/" + a_ + "/credits", R"({"amount_mc": 5, "reason": "x"})").status, 201U);
  ASSERT_EQ(c.patch("/v1/tenants/" + b_, R"({"name":"Beta Leaf II"})").status, 200U);
  ASSERT_EQ(c.post("/v1/tenants/" + b_ + "/keys", R"({"name":"pos"})").status, 201U);
  // A row of B that names A as its target is still B's row.
  insert("b-about-a", b_, "admin", "tenant.note", "tenant:" + a_, kBase);
  // A third tenant, deleted: its deletion row outlives it without a tenant_id.
  const auto gone = create(c, "Gamma Grow", "g@gamma.example.com");
  ASSERT_EQ(c.del("/v1/tenants/" + gone).status, 204U);

  const std::vector<std::string> paths_of_a = {"/v1/audit?tenant=" + a_, "/v1/audit?tenant=alpha-buds",
                                               "/v1/tenants/" + a_ + "/audit", "/v1/tenants/alpha-buds/audit",
                                               "/v1/tenants/" + a_ + "/audit?action=tenant."};
  for (const auto& path : paths_of_a) {
    const auto rows = all_pages(c, path, 1);
    ASSERT_FALSE(rows.empty()) << path;
    for (const auto& r : rows) {
      EXPECT_EQ(r.at("tenant_id"), json::value(a_)) << path << ": " << json::serialize(r);
    }
  }
  const auto of_b = all_pages(c, "/v1/audit?tenant=" + b_, 50);
  EXPECT_EQ(of_b.size(), 4U) << "create, update, key.create and the note";

  // The deleted tenant: found by its id on /v1/audit, 404 on its own route.
  const auto deleted = all_pages(c, "/v1/audit?tenant=" + gone, 50);
  ASSERT_EQ(deleted.size(), 1U);
  EXPECT_EQ(deleted.front().at("action").as_string(), "tenant.delete");
  EXPECT_TRUE(deleted.front().at("tenant_id").is_null());
  EXPECT_EQ(deleted.front().at("details").at("slug").as_string(), "gamma-grow");
  EXPECT_EQ(c.get("/v1/tenants/" + gone + "/audit").status, 404U);
  EXPECT_EQ(c.get("/v1/tenants/no-such-tenant/audit").status, 404U);
  EXPECT_TRUE(get_ids(c, "/v1/audit?tenant=no-such-tenant").empty());
}

TEST_P(AuditApiTest, InvalidFiltersAre422NamingTheField) {
  auto c = client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=0", "limit"},           {"limit=201", "limit"},        {"limit=ten", "limit"},
      {"cursor=garbage", "cursor"},   {"cursor=12_", "cursor"},      {"cursor=_abc", "cursor"},
      {"cursor=1_a%27b", "cursor"},   {"from=yesterday", "from"},    {"to=-5", "to"},
      {"from=10&to=5", "to"},         {"from=10&to=10", "to"},       {"action=Tenant%20Update", "action"},
      {"action=*", "action"},         {"actor=" + std::string(201, 'x'), "actor"}};
  for (const auto& [query, field] : cases) {
    for (const auto& path : std::vector<std::string>{"/v1/audit?", "/v1/tenants/" + a_ + "/audit?"}) {
      auto r = c.get(path + query);
      EXPECT_EQ(r.status, 422U) << path << query << ": " << r.body;
      EXPECT_EQ(r.error_field(), field) << path << query;
    }
  }
  auto both = c.get("/v1/tenants/" + a_ + "/audit?tenant=" + b_);
  EXPECT_EQ(both.status, 422U);
  EXPECT_EQ(both.error_field(), "tenant");
}

TEST_P(AuditApiTest, ReadingTheAuditLogNeedsTheAdminToken) {
  for (const std::string token : {"", "wrong-token"}) {
    HttpClient anon(server_->port(), token);
    for (const auto& path : std::vector<std::string>{"/v1/audit", "/v1/audit?tenant=" + a_, "/v1/tenants/" + a_ + "/audit"}) {
      auto r = anon.get(path);
      EXPECT_EQ(r.status, 401U) << path;
      EXPECT_EQ(r.body.find(a_), std::string::npos) << "nothing of the log leaks";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditApiTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
