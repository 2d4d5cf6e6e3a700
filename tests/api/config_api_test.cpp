// Config snapshots and skills over HTTP on both backends: versioning,
// identical-content dedupe, diff, rollback, audit rows, and the cell's
// secrets sealed at rest.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using boost::beast::http::verb;
using testing::HttpClient;
using testing::TestDatabase;
using testing::TestServer;

class ConfigApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    server_ = std::make_unique<TestServer>(tdb_);
  }
  HttpClient client() { return server_->client(); }

  std::string create_tenant(const std::string& slug, const std::string& tier = "starter") {
    const json::object body = {{"name", "Green Leaf " + slug}, {"email", slug + "@example.com"},
                               {"website_url", "https://" + slug + ".example.com"},
                               {"industry", "cannabis dispensary"}, {"tier", tier}, {"slug", slug}};
    auto r = client().post("/v1/tenants", json::serialize(body));
    EXPECT_EQ(r.status, 201U) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  std::int64_t audits(const std::string& tenant, const std::string& action) {
    return tdb_.count("audit_log", "tenant_id = '" + tenant + "' AND action = '" + action + "'");
  }

  TestDatabase tdb_{GetParam()};
  std::unique_ptr<TestServer> server_;
};

TEST_P(ConfigApiTest, GeneratesVersionsOnlyWhenTheContentChanges) {
  const auto id = create_tenant("leaf");
  auto c = client();
  auto v1 = c.post("/v1/tenants/leaf/configs", R"({"reason":"first"})");
  ASSERT_EQ(v1.status, 201U) << v1.body;
  EXPECT_EQ(v1.json().at("version").as_int64(), 1);
  EXPECT_TRUE(v1.json().at("created").as_bool());
  EXPECT_EQ(v1.json().at("reason"), "first");
  EXPECT_EQ(v1.json().at("created_by"), "admin");

  auto again = c.post("/v1/tenants/leaf/configs", "");
  ASSERT_EQ(again.status, 200U) << again.body;
  EXPECT_EQ(again.json().at("version").as_int64(), 1) << "identical content is not a new version";
  EXPECT_FALSE(again.json().at("created").as_bool());
  EXPECT_EQ(again.json().at("content_hash"), v1.json().at("content_hash"));

  auto off = c.send(verb::put, "/v1/tenants/leaf/skills/social-media", R"({"enabled":false})");
  ASSERT_EQ(off.status, 200U) << off.body;
  auto v2 = c.post("/v1/tenants/leaf/configs", "");
  ASSERT_EQ(v2.status, 201U);
  EXPECT_EQ(v2.json().at("version").as_int64(), 2);

  auto list = c.get("/v1/tenants/leaf/configs");
  ASSERT_EQ(list.status, 200U);
  EXPECT_EQ(list.json().at("total").as_int64(), 2);
  EXPECT_EQ(list.json().at("data").at(0).at("version").as_int64(), 2) << "newest first";
  EXPECT_FALSE(list.json().at("data").at(0).as_object().contains("files")) << "listings carry no files";
  EXPECT_EQ(tdb_.count("config_snapshots", "tenant_id = '" + id + "'"), 2);
  EXPECT_EQ(audits(id, "config.generate"), 3) << "the unchanged generation is audited too";
  EXPECT_EQ(audits(id, "skill.disable"), 1);
  EXPECT_EQ(tdb_.count("tenant_secrets", "tenant_id = '" + id + "'"), 2) << "gateway token and cell key, once";
  EXPECT_EQ(tdb_.count("api_keys", "tenant_id = '" + id + "' AND name = 'cell'"), 1);
}

TEST_P(ConfigApiTest, ShowsFilesDiffsAndRollsBack) {
  const auto id = create_tenant("bud", "pro");
  auto c = client();
  ASSERT_EQ(c.post("/v1/tenants/bud/configs", "").status, 201U);
  ASSERT_EQ(c.send(verb::put, "/v1/tenants/bud/skills/sales-summary", R"({"enabled":false})").status, 200U);
  ASSERT_EQ(c.post("/v1/tenants/bud/configs", "").status, 201U);

  auto shown = c.get("/v1/tenants/bud/configs/1");
  ASSERT_EQ(shown.status, 200U) << shown.body;
  const auto shown_json = shown.json();
  const auto& files = shown_json.at("files").as_object();
  for (const char* f : {"openclaw.json", "workspace/SOUL.md", "workspace/AGENTS.md", "workspace/USER.md",
                        "workspace/IDENTITY.md", "workspace/skills/sales-summary/SKILL.md"}) {
    EXPECT_TRUE(files.contains(f)) << f;
  }
  const std::string config(files.at("openclaw.json").as_string());
  EXPECT_NE(config.find("${WINSTON_API_KEY}"), std::string::npos);
  EXPECT_EQ(config.find("wsk_"), std::string::npos) << "no key in a snapshot";

  auto diff = c.get("/v1/tenants/bud/configs/1/diff/2");
  ASSERT_EQ(diff.status, 200U) << diff.body;
  std::map<std::string, std::string> status;
  const auto diff_json = diff.json();
  for (const auto& f : diff_json.at("files").as_array()) {
    status[std::string(f.at("path").as_string())] = std::string(f.at("status").as_string());
  }
  EXPECT_EQ(status["workspace/skills/sales-summary/SKILL.md"], "removed");
  EXPECT_EQ(status["openclaw.json"], "modified");
  EXPECT_EQ(status["workspace/AGENTS.md"], "modified") << "the Tools section lists the enabled skills";
  EXPECT_FALSE(status.contains("workspace/SOUL.md"));
  const auto json_diff = diff.json().at("files").as_array();  // a copy: json() returns by value
  const auto it = std::find_if(json_diff.begin(), json_diff.end(), [](const json::value& f) { return f.at("path") == "openclaw.json"; });
  ASSERT_NE(it, json_diff.end());
  EXPECT_NE(std::string(it->at("diff").as_string()).find("\n-      \"sales-summary\": {"), std::string::npos)
      << it->at("diff").as_string();

  auto rolled = c.post("/v1/tenants/bud/configs/1/rollback", "");
  ASSERT_EQ(rolled.status, 201U) << rolled.body;
  EXPECT_EQ(rolled.json().at("version").as_int64(), 3);
  EXPECT_EQ(rolled.json().at("content_hash"), shown.json().at("content_hash"));
  EXPECT_EQ(rolled.json().at("reason"), "rollback to version 1");
  auto same = c.post("/v1/tenants/bud/configs/1/rollback", "");
  EXPECT_EQ(same.status, 200U) << "v3 already equals v1";
  EXPECT_EQ(same.json().at("version").as_int64(), 3);
  EXPECT_TRUE(c.get("/v1/tenants/bud/configs/3/diff/1").json().at("files").as_array().empty());
  EXPECT_EQ(audits(id, "config.rollback"), 2);
  EXPECT_EQ(audits(id, "config.view"), 1);
  EXPECT_EQ(audits(id, "config.diff"), 2);
}

TEST_P(ConfigApiTest, RefusesBadVersionsUnknownSkillsAndMissingTokens) {
  create_tenant("kind");
  auto c = client();
  EXPECT_EQ(c.get("/v1/tenants/kind/configs/1").status, 404U);
  EXPECT_EQ(c.get("/v1/tenants/kind/configs/abc").status, 422U);
  EXPECT_EQ(c.get("/v1/tenants/kind/configs/0").status, 422U);
  EXPECT_EQ(c.post("/v1/tenants/kind/configs/7/rollback", "").status, 404U);
  EXPECT_EQ(c.post("/v1/tenants/nobody/configs", "").status, 404U);
  EXPECT_EQ(c.post("/v1/tenants/kind/configs", R"({"reason":"x","extra":1})").status, 422U);
  EXPECT_EQ(c.post("/v1/tenants/system/configs", "").status, 403U);
  EXPECT_EQ(c.send(verb::put, "/v1/tenants/kind/skills/teleport", R"({"enabled":true})").status, 404U);
  EXPECT_EQ(c.send(verb::put, "/v1/tenants/kind/skills/social-media", R"({"enabled":"yes"})").status, 422U);
  EXPECT_EQ(c.send(verb::put, "/v1/tenants/kind/skills/social-media", "{}").status, 422U);
  auto anon = server_->client("wrong-token-0123456789");
  EXPECT_EQ(anon.post("/v1/tenants/kind/configs", "").status, 401U);
  EXPECT_EQ(anon.get("/v1/tenants/kind/skills").status, 401U);
  EXPECT_EQ(tdb_.count("config_snapshots"), 0);
}

TEST_P(ConfigApiTest, SkillsFollowTheDefaultUntilChosen) {
  create_tenant("herb");
  auto c = client();
  auto skills = c.get("/v1/tenants/herb/skills");
  ASSERT_EQ(skills.status, 200U);
  ASSERT_EQ(skills.json().at("data").as_array().size(), 3U);
  const auto listed = skills.json();
  for (const auto& s : listed.at("data").as_array()) {
    EXPECT_TRUE(s.at("enabled").as_bool());
    EXPECT_TRUE(s.at("default").as_bool());
  }
  auto changed = c.send(verb::put, "/v1/tenants/herb/skills/inventory-lookup", R"({"enabled":false})");
  const auto changed_json = changed.json();
  const auto& first = changed_json.at("data").at(0);
  EXPECT_EQ(first.at("name"), "inventory-lookup");
  EXPECT_FALSE(first.at("enabled").as_bool());
  EXPECT_FALSE(first.at("default").as_bool());
}

TEST_P(ConfigApiTest, CellSecretsAreCreatedOnceAndSealedAtRest) {
  const auto id = create_tenant("cell");
  auto& configs = server_->runtime().configs();
  const services::Actor actor{"test", std::nullopt};
  auto a = configs.cell_secrets(actor, "cell");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->gateway_token.size(), 64U) << "256 bits, hex";
  EXPECT_TRUE(a->api_key.starts_with("wsk_"));
  auto b = configs.cell_secrets(actor, id);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->gateway_token, a->gateway_token);
  EXPECT_EQ(b->api_key, a->api_key);
  EXPECT_EQ(tdb_.count("api_keys", "tenant_id = '" + id + "' AND name = 'cell'"), 1);
  EXPECT_EQ(tdb_.count("tenant_secrets", "tenant_id = '" + id + "'"), 2);
  EXPECT_EQ(tdb_.count("tenant_secrets", "value_enc LIKE '%" + a->gateway_token + "%' OR value_enc LIKE '%" +
                                              a->api_key + "%'"),
            0)
      << "stored sealed";
  EXPECT_EQ(tdb_.count("tenant_secrets", "value_enc LIKE 'sb1:%'"), 2);
  // The key works at the proxy: it authenticates as the tenant.
  auto who = server_->runtime().keys().authenticate(a->api_key);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->tenant_id, id);
}

std::vector<std::string> warning_codes(const json::value& warnings) {
  std::vector<std::string> out;
  for (const auto& w : warnings.as_array()) out.emplace_back(w.at("code").as_string());
  return out;
}

TEST_P(ConfigApiTest, AConfigWithoutTheIndustryCarriesAWarningUntilItIsSet) {
  using Codes = std::vector<std::string>;
  auto c = client();
  const json::object body = {{"name", "Quiet Leaf"}, {"email", "q@example.com"},
                             {"website_url", "https://quiet.example.com"}, {"slug", "quiet"}};
  auto created = c.post("/v1/tenants", json::serialize(body));
  ASSERT_EQ(created.status, 201U) << created.body;
  const std::string id(created.json().at("id").as_string());

  auto v1 = c.post("/v1/tenants/quiet/configs", "");
  ASSERT_EQ(v1.status, 201U) << v1.body;
  EXPECT_EQ(warning_codes(v1.json().at("warnings")), (Codes{"industry_unknown", "not_analyzed"}));
  const std::string message(v1.json().at("warnings").at(0).at("message").as_string());
  EXPECT_NE(message.find("21+"), std::string::npos) << message;
  EXPECT_NE(message.find("PATCH /v1/tenants/quiet"), std::string::npos) << message;
  auto shown = c.get("/v1/tenants/quiet/configs/1");
  ASSERT_EQ(shown.status, 200U);
  EXPECT_EQ(shown.json().at("warnings"), v1.json().at("warnings")) << "stored with the snapshot";
  const std::string agents(shown.json().at("files").at("workspace/AGENTS.md").as_string());
  EXPECT_EQ(agents.find("No medical claims"), std::string::npos);
  EXPECT_EQ(agents.find("Adults 21+"), std::string::npos);
  auto again = c.post("/v1/tenants/quiet/configs", "");
  EXPECT_EQ(again.json().at("warnings"), v1.json().at("warnings")) << "an unchanged generation says it again";
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + id + "' AND action = 'config.generate' AND details LIKE "
                                    "'%industry_unknown%'"),
            2);

  // The instance view shows the warnings of the version its cell runs.
  {
    auto conn = storage::connect(tdb_.url());
    ASSERT_TRUE(conn.ok());
    auto r = (*conn)->query("INSERT INTO tenant_instances (id, tenant_id, backend, desired_state, actual_state, "
                            "snapshot_version, created_at, updated_at) VALUES ('i1', $1, 'local', 'stopped', "
                            "'stopped', 1, 1, 1)",
                            {id});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto instance = c.get("/v1/tenants/quiet/instance");
  ASSERT_EQ(instance.status, 200U) << instance.body;
  EXPECT_EQ(instance.json().at("config_warnings"), v1.json().at("warnings"));

  ASSERT_EQ(c.patch("/v1/tenants/quiet", R"({"industry":"cannabis-dispensary"})").status, 200U);
  auto v2 = c.post("/v1/tenants/quiet/configs", "");
  ASSERT_EQ(v2.status, 201U) << v2.body;
  EXPECT_EQ(warning_codes(v2.json().at("warnings")), (Codes{"not_analyzed"}));
  auto shown2 = c.get("/v1/tenants/quiet/configs/2");
  const std::string agents2(shown2.json().at("files").at("workspace/AGENTS.md").as_string());
  EXPECT_NE(agents2.find("No medical claims"), std::string::npos);
  EXPECT_NE(agents2.find("Adults 21+ only"), std::string::npos);
  auto list = c.get("/v1/tenants/quiet/configs");
  EXPECT_EQ(warning_codes(list.json().at("data").at(0).at("warnings")), (Codes{"not_analyzed"}));
  EXPECT_EQ(warning_codes(list.json().at("data").at(1).at("warnings")), (Codes{"industry_unknown", "not_analyzed"}));
  // A rollback brings the old files back with their warnings.
  auto rolled = c.post("/v1/tenants/quiet/configs/1/rollback", "");
  ASSERT_EQ(rolled.status, 201U) << rolled.body;
  EXPECT_EQ(rolled.json().at("warnings"), v1.json().at("warnings"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigApiTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
