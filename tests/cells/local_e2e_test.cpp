// Issue #5 end to end with the real thing: `winston serve` (a real process,
// SQLite, the local backend) onboards a dispensary in one step — its website
// analysed (served on loopback), its config generated, its real OpenClaw
// gateway started on loopback — then one agent turn through that gateway goes
// through Winston's proxy to a fake Moonshot and is charged to the tenant, and
// the operator's message through POST /v1/tenants/{id}/agent/messages does the
// same without the gateway token ever leaving Winston; a
// config change is deployed into the running cell; Winston killed with -9
// takes its gateway with it and a restart brings the cell back; deleting the
// tenant stops the gateway and removes its state.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "app/runtime.hpp"
#include "core/ids.hpp"
#include "http/blocking_client.hpp"
#include "support/fake_site.hpp"
#include "support/fake_upstream.hpp"
#include "support/http_client.hpp"
#include "support/openclaw_cli.hpp"
#include "support/subprocess.hpp"
#include "support/wait.hpp"

namespace winston {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using testing::Background;
using testing::HttpClient;

constexpr const char* kToken = "e2e-admin-token-0123456789";

const std::string kHome = R"html(<!doctype html><html><head><title>Green Leaf Dispensary</title>
<meta name="description" content="Adult-use cannabis in Oakland. 21+ with valid ID."></head>
<body><h1>Green Leaf</h1><h2>Flower</h2><p>Open daily 9-9. Order online for pickup.</p></body></html>)html";

const std::string kProfile = R"({"business_name":"Green Leaf Dispensary","industry":"cannabis dispensary",
"summary":"An adult-use dispensary in Oakland.","location":{"address":"1 Broadway","city":"Oakland","region":"CA","postal_code":"94607","country":"US"},
"phone":"+1-510-555-0100","hours":["Daily 9:00-21:00"],"products":["flower"],"services":["pickup"],
"tone_of_voice":"calm","offers_online_ordering":true,
"compliance":{"minimum_age":21,"prohibited_claims":["health benefits"],"rules":["valid ID for every sale"]}})";

std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

class LocalCellEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("winston-e2e-" + random_hex(6));
    fs::create_directories(dir_);
    api_port_ = free_port();
    proxy_port_ = free_port();
    std::ofstream(dir_ / "winston.toml") << "[providers.moonshot]\napi = \"openai-completions\"\nbase_url = \""
                                         << moonshot_.base_url() << "/v1\"\napi_key_env = \"FAKE_MOONSHOT_KEY\"\n"
                                         << "[analyzer]\nallow_networks = [\"127.0.0.2/32\"]\n"
                                         << "[cells]\npoll_interval_ms = 500\nhealth_interval_ms = 5000\n";
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start_server(const std::string& deps) {
    server_ = std::make_unique<Background>(
        std::vector<std::string>{WINSTON_BINARY, "--config", (dir_ / "winston.toml").string(), "serve"},
        std::map<std::string, std::string>{{"WINSTON_DATA_DIR", (dir_ / "data").string()},
                                           {"WINSTON_ADMIN_TOKEN", kToken},
                                           {"WINSTON_API_PORT", std::to_string(api_port_)},
                                           {"WINSTON_PROXY_PORT", std::to_string(proxy_port_)},
                                           {"WINSTON_INSTANCE_ID", "e2e"},
                                           {"WINSTON_OPENCLAW_DIR", deps},
                                           {"FAKE_MOONSHOT_KEY", "sk-fake-moonshot"}});
    ASSERT_NE(server_->wait_for_stderr("cells.reconciler_started", 60'000), "") << server_->stderr_text();
  }
  HttpClient admin() const { return HttpClient(api_port_, kToken); }

  json::object instance() {
    auto r = admin().get("/v1/tenants/green-leaf/instance");
    if (r.status != 200U) return {};
    return r.json().as_object();
  }
  /// Polls the instance until `pred` or `timeout`; returns the last view.
  json::object wait_for(const std::function<bool(const json::object&)>& pred, int timeout_s, const char* what) {
    json::object last;
    const auto seen = [&] {
      last = instance();
      return pred(last);
    };
    if (testing::wait_until(seen, std::chrono::seconds(timeout_s), std::chrono::milliseconds(500))) return last;
    ADD_FAILURE() << "timed out waiting for " << what << ": " << json::serialize(last) << "\n--- server log tail:\n"
                  << server_->stderr_text().substr(server_->stderr_text().size() > 6000 ? server_->stderr_text().size() - 6000 : 0);
    return last;
  }
  static bool running_version(const json::object& i, std::int64_t v) {
    return !i.empty() && i.at("actual_state") == "running" && i.at("snapshot_version").is_int64() &&
           i.at("snapshot_version").as_int64() == v;
  }
  static pid_t pid_of(const json::object& i) {
    const auto* p = i.at("external").as_object().if_contains("pid");
    return p != nullptr && p->is_int64() ? static_cast<pid_t>(p->as_int64()) : -1;
  }

  /// The cell's secrets, read through the services from the same database and master key.
  services::CellSecrets secrets(const std::string& tenant_id) {
    app::Config c;
    c.data_dir = (dir_ / "data").string();
    c.database_url = "sqlite:" + (dir_ / "data" / "winston.db").string();
    c.admin_token = kToken;
    SystemClock clock;
    auto rt = app::Runtime::create(c, clock, app::Role::kCli);
    EXPECT_TRUE(rt.ok()) << rt.error().message;
    auto s = (*rt)->configs().cell_secrets({"test", std::nullopt}, tenant_id);
    EXPECT_TRUE(s.ok());
    return *s;
  }

  fs::path dir_;
  std::uint16_t api_port_ = 0, proxy_port_ = 0;
  testing::FakeUpstream moonshot_{testing::FakeFlavor::kOpenAI};
  std::unique_ptr<Background> server_;
};

TEST_F(LocalCellEndToEnd, OnboardsRunsMetersDeploysSurvivesACrashAndDeletes) {
  WINSTON_REQUIRE_OPENCLAW(deps);
  testing::FakeSite site("127.0.0.2");
  testing::FakeRoute home;
  home.body = kHome;
  site.route("/", home);
  testing::FakeBehavior b;
  b.texts = {kProfile, "Six times seven is 42."};  // the analysis, then every agent turn
  moonshot_.set_behavior(b);
  start_server(*deps);

  // One step: create with provisioning.
  const json::object body = {{"name", "Green Leaf"}, {"email", "owner@greenleaf.example.com"},
                             {"website_url", site.url("/")}, {"industry", "cannabis dispensary"},
                             {"tier", "starter"}, {"provision", true}};
  auto created = admin().post("/v1/tenants", json::serialize(body));
  ASSERT_EQ(created.status, 201U) << created.body;
  const std::string tenant_id(created.json().at("id").as_string());
  EXPECT_EQ(created.json().at("instance").at("backend"), "local");
  EXPECT_EQ(created.json().at("instance").at("actual_state"), "pending");

  auto ready = wait_for([](const json::object& i) { return running_version(i, 1); }, 300, "running v1");
  ASSERT_TRUE(running_version(ready, 1));
  EXPECT_EQ(admin().get("/v1/tenants/green-leaf/profile").json().at("source"), "llm") << "the website was analysed";
  const std::string url(ready.at("url").as_string());
  EXPECT_TRUE(url.starts_with("http://127.0.0.1:")) << url;
  const pid_t pid1 = pid_of(ready);
  ASSERT_TRUE(alive(pid1));
  const fs::path cell = dir_ / "data" / "cells" / tenant_id;
  EXPECT_TRUE(fs::exists(cell / "workspace" / "SOUL.md"));
  EXPECT_TRUE(fs::exists(cell / "workspace" / "skills" / "social-media" / "SKILL.md"));

  // One agent turn through the gateway: through the proxy to the fake, charged to the tenant.
  const auto cell_secrets = secrets(tenant_id);
  const auto before = admin().get("/v1/tenants/green-leaf").json().at("balance_mc").as_int64();
  const auto calls_before = moonshot_.request_count();
  http::BlockingOptions long_call;
  long_call.response_timeout = std::chrono::seconds(180);
  auto turn = http::blocking_call(
      {"POST", url + "/v1/chat/completions",
       {{"Authorization", "Bearer " + cell_secrets.gateway_token}, {"Content-Type", "application/json"}},
       R"({"model":"openclaw/default","messages":[{"role":"user","content":"What is 6 times 7?"}]})"},
      long_call);
  ASSERT_TRUE(turn.ok()) << turn.error().message;
  ASSERT_EQ(turn->status, 200U) << turn->body;
  EXPECT_NE(turn->body.find("42"), std::string::npos) << turn->body;
  ASSERT_GT(moonshot_.request_count(), calls_before);
  const auto upstream = moonshot_.requests().back();
  EXPECT_EQ(upstream.headers.at("authorization"), "Bearer sk-fake-moonshot") << "the proxy swapped in the provider key";
  EXPECT_LT(admin().get("/v1/tenants/green-leaf").json().at("balance_mc").as_int64(), before) << "charged";
  auto ledger = admin().get("/v1/tenants/green-leaf/ledger").body;
  EXPECT_NE(ledger.find("usage"), std::string::npos) << ledger;
  // The operator talks to the agent through Winston (POST …/agent/messages): the gateway token never leaves Winston.
  const auto before_ask = admin().get("/v1/tenants/green-leaf").json().at("balance_mc").as_int64();
  const auto calls_before_ask = moonshot_.request_count();
  auto asked = http::blocking_call(
      {"POST", "http://127.0.0.1:" + std::to_string(api_port_) + "/v1/tenants/green-leaf/agent/messages",
       {{"Authorization", std::string("Bearer ") + kToken}, {"Content-Type", "application/json"}},
       R"({"message":"What is 6 times 7?"})"},
      long_call);
  ASSERT_TRUE(asked.ok()) << asked.error().message;
  ASSERT_EQ(asked->status, 200U) << asked->body;
  const auto reply = json::parse(asked->body).as_object();
  EXPECT_NE(std::string(reply.at("answer").as_string()).find("42"), std::string::npos) << asked->body;
  EXPECT_EQ(reply.at("model"), "openclaw/default");
  EXPECT_TRUE(reply.at("usage").is_object()) << asked->body;
  EXPECT_GT(moonshot_.request_count(), calls_before_ask) << "the agent called its model through the proxy";
  EXPECT_LT(admin().get("/v1/tenants/green-leaf").json().at("balance_mc").as_int64(), before_ask)
      << "the turn was charged to the tenant";
  EXPECT_EQ(asked->body.find(cell_secrets.gateway_token), std::string::npos);
  for (const auto& h : asked->headers) {
    EXPECT_EQ(std::string(h.value()).find(cell_secrets.gateway_token), std::string::npos) << h.name_string();
  }
  EXPECT_EQ(server_->stderr_text().find(cell_secrets.gateway_token), std::string::npos)
      << "the gateway token is in no log line";
  auto bad_token = http::blocking_call({"POST", url + "/v1/chat/completions",
                                         {{"Authorization", "Bearer wrong"}, {"Content-Type", "application/json"}},
                                         R"({"model":"openclaw/default","messages":[]})"});
  ASSERT_TRUE(bad_token.ok());
  EXPECT_EQ(bad_token->status, 401U) << "the gateway wants its token";

  // A config change is deployed into the running cell.
  ASSERT_EQ(admin().send(boost::beast::http::verb::put, "/v1/tenants/green-leaf/skills/social-media",
                         R"({"enabled":false})").status,
            200U);
  ASSERT_EQ(admin().post("/v1/tenants/green-leaf/configs", R"({"reason":"no social media"})").status, 201U);
  auto v2 = wait_for([](const json::object& i) { return running_version(i, 2); }, 300, "running v2");
  ASSERT_TRUE(running_version(v2, 2));
  EXPECT_FALSE(fs::exists(cell / "workspace" / "skills" / "social-media" / "SKILL.md")) << "the disabled skill is gone";
  EXPECT_TRUE(fs::exists(cell / "workspace" / "skills" / "inventory-lookup" / "SKILL.md"));
  const pid_t pid2 = pid_of(v2);
  EXPECT_NE(pid2, pid1) << "applied by a restart";
  EXPECT_FALSE(alive(pid1));

  // Winston dies hard: its gateway goes with it; a restart brings the cell back.
  server_->signal(SIGKILL);
  EXPECT_EQ(server_->wait(10'000), 128 + SIGKILL);
  EXPECT_TRUE(testing::wait_until([&] { return !alive(pid2); }, std::chrono::seconds(10))) << "no gateway outlives Winston";
  start_server(*deps);
  auto back = wait_for([&](const json::object& i) { return running_version(i, 2) && pid_of(i) != pid2; }, 300,
                       "running again after the restart");
  ASSERT_TRUE(running_version(back, 2));
  const pid_t pid3 = pid_of(back);
  EXPECT_TRUE(alive(pid3));

  // Deleting the tenant stops the gateway and removes its state, then the tenant.
  auto del = admin().del("/v1/tenants/green-leaf");
  ASSERT_EQ(del.status, 202U) << del.body;
  EXPECT_TRUE(testing::wait_until([&] { return admin().get("/v1/tenants/green-leaf").status == 404U; },
                                  std::chrono::seconds(60), std::chrono::milliseconds(500)))
      << "the tenant is gone once its cell is deleted";
  EXPECT_FALSE(alive(pid3));
  EXPECT_FALSE(fs::exists(cell)) << "the cell's state is removed";

  // A clean stop leaves nothing running either.
  server_->signal(SIGTERM);
  EXPECT_EQ(server_->wait(30'000), 0) << server_->stderr_text();
}

}  // namespace
}  // namespace winston
