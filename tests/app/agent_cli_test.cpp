// `winston agent ask TENANT "text"`: the real binary on the database
// directly, relaying to a fake gateway the instance row points at (the
// running server's reconciler would have recorded it), through the same
// AgentService as the API.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

#include "app/runtime.hpp"
#include "core/ids.hpp"
#include "support/fake_upstream.hpp"
#include "support/subprocess.hpp"

namespace winston {
namespace {
namespace json = boost::json;

class AgentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("winston-agent-cli-" + random_hex(6))).string();
    std::filesystem::create_directories(dir_);
    env_ = {{"WINSTON_DATABASE_URL", "sqlite:" + dir_ + "/w.db"}, {"WINSTON_DATA_DIR", dir_}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  testing::Completed winston(std::vector<std::string> args) {
    args.insert(args.begin(), WINSTON_BINARY);
    return testing::run(args, env_);
  }
  /// Marks the tenant's cell running at `url` and returns its gateway token, through the services.
  std::string run_cell_at(const std::string& slug, const std::string& url) {
    app::Config c;
    c.data_dir = dir_;
    c.database_url = "sqlite:" + dir_ + "/w.db";
    SystemClock clock;
    auto rt = app::Runtime::create(c, clock, app::Role::kCli);
    EXPECT_TRUE(rt.ok()) << rt.error().message;
    auto conn = (*rt)->database().acquire();
    auto updated = (*conn)->query(
        "UPDATE tenant_instances SET actual_state = 'running', url = $1 "
        "WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $2)",
        {url, slug});
    EXPECT_TRUE(updated.ok());
    return (*rt)->configs().cell_secrets({"test", std::nullopt}, slug)->gateway_token;
  }
  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(AgentCliTest, AskRelaysToTheTenantsGatewayAndPrintsTheAnswer) {
  auto created = winston({"tenant", "create", "--name", "Kush Co", "--email", "k@example.com", "--website",
                          "https://k.example.com", "--provision"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto before = winston({"agent", "ask", "kush-co", "hello"});
  EXPECT_EQ(before.exit_code, 5) << "not running yet: a conflict";
  EXPECT_NE(before.err.find("pending"), std::string::npos) << before.err;
  ASSERT_EQ(winston({"config", "generate", "kush-co"}).exit_code, 0);

  testing::FakeUpstream gateway(testing::FakeFlavor::kOpenAI);
  testing::FakeBehavior b;
  b.text = "Hello from Kush Co's agent.";
  gateway.set_behavior(b);
  const auto token = run_cell_at("kush-co", gateway.base_url());

  auto asked = winston({"agent", "ask", "kush-co", "hello", "--session", "ops-1"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const auto reply = json::parse(asked.out).as_object();
  EXPECT_EQ(reply.at("answer"), "Hello from Kush Co's agent.");
  EXPECT_EQ(reply.at("session"), "ops-1");
  EXPECT_TRUE(reply.at("usage").is_object());
  ASSERT_EQ(gateway.request_count(), 1U);
  EXPECT_EQ(gateway.requests().front().headers.at("authorization"), "Bearer " + token);
  EXPECT_EQ(asked.out.find(token), std::string::npos);
  EXPECT_EQ(asked.err.find(token), std::string::npos);

  EXPECT_EQ(winston({"agent", "ask", "nobody", "hello"}).exit_code, 4);
  EXPECT_EQ(winston({"agent", "ask", "kush-co", " "}).exit_code, 2);
  run_cell_at("kush-co", "http://127.0.0.1:1");
  auto down = winston({"agent", "ask", "kush-co", "hello"});
  EXPECT_EQ(down.exit_code, 3) << down.err;
  EXPECT_NE(down.err.find("could not be reached"), std::string::npos) << down.err;
  EXPECT_EQ(down.err.find(token), std::string::npos);
}

}  // namespace
}  // namespace winston
