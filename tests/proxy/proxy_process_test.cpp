// The proxy as real processes: kill -9 mid-stream and restart, and two
// replicas sharing one database. On SQLite and PostgreSQL.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "core/ids.hpp"
#include "services/key_service.hpp"
#include "services/tenant_service.hpp"
#include "support/fake_upstream.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/test_database.hpp"

namespace winston {
namespace {
using testing::Background;
using testing::FakeBehavior;
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::HttpClient;
using testing::TestDatabase;

class ProxyProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    db_ = tdb_.open(2);
    ASSERT_TRUE(db_);
    services::TenantService tenants(*db_, clock_, TierTable::defaults());
    // Starter: the default catalog offers claude-sonnet-4-5 from starter up.
    auto t = tenants.create({"test", {}}, {"Crashy", "c@example.com", "https://c.example.com", {}, "starter", {}});
    ASSERT_TRUE(t.ok());
    tenant_id_ = t->id;
    services::KeyService keys(*db_, clock_);
    key_ = keys.create({"test", {}}, tenant_id_, "cell")->secret;
    dir_ = (std::filesystem::temp_directory_path() / ("winston-proc-" + random_hex(6))).string();
    std::filesystem::create_directories(dir_);
    config_ = dir_ + "/winston.toml";
    std::ofstream(config_) << "[providers.anthropic]\napi = \"anthropic-messages\"\nbase_url = \"" << anthropic_.base_url()
                           << "\"\napi_key_env = \"FAKE_ANTHROPIC_KEY\"\n"
                           << "[providers.moonshot]\napi = \"openai-completions\"\nbase_url = \"" << openai_.base_url()
                           << "/v1\"\napi_key_env = \"FAKE_MOONSHOT_KEY\"\n";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  /// Starts `winston proxy` as `instance`; returns the process and its port.
  std::pair<std::unique_ptr<Background>, std::uint16_t> start_proxy(const std::string& instance) {
    auto p = std::make_unique<Background>(
        std::vector<std::string>{WINSTON_BINARY, "--config", config_, "proxy"},
        std::map<std::string, std::string>{{"WINSTON_DATABASE_URL", tdb_.url()},
                                           {"WINSTON_DATA_DIR", dir_},
                                           {"WINSTON_ADMIN_TOKEN", "process-test-admin-token"},
                                           {"WINSTON_PROXY_PORT", "0"},
                                           {"WINSTON_INSTANCE_ID", instance},
                                           {"FAKE_ANTHROPIC_KEY", "sk-fake"},
                                           {"FAKE_MOONSHOT_KEY", "sk-fake"}});
    const auto log = p->wait_for_stderr("\"server\":\"proxy\"", 60'000);
    std::smatch m;
    EXPECT_TRUE(std::regex_search(log, m, std::regex(R"("server":"proxy","address":"[^"]*","port":(\d+))")))
        << p->stderr_text();
    const auto port = m.empty() ? std::uint16_t{0} : static_cast<std::uint16_t>(std::stoi(m[1]));
    return {std::move(p), port};
  }
  std::int64_t balance() {
    auto conn = storage::connect(tdb_.url());
    return (*conn)->query("SELECT balance_mc FROM tenants WHERE id = $1", {tenant_id_})->front().i64(0);
  }
  std::int64_t ledger_sum() {
    auto conn = storage::connect(tdb_.url());
    return (*conn)->query("SELECT COALESCE(SUM(amount_mc), 0) FROM credit_ledger WHERE tenant_id = $1", {tenant_id_})
        ->front().i64(0);
  }

  TestDatabase tdb_{GetParam()};
  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<storage::Database> db_;
  FakeUpstream anthropic_{FakeFlavor::kAnthropic};
  FakeUpstream openai_{FakeFlavor::kOpenAI};
  std::string tenant_id_, key_, dir_, config_;
};

TEST_P(ProxyProcessTest, KillNineMidStreamLeavesNoOpenReservationAfterRestart) {
  FakeBehavior slow;
  slow.chunks = 30;
  slow.text = std::string(300, 'z');
  slow.chunk_delay = std::chrono::milliseconds(200);
  anthropic_.set_behavior(slow);
  auto [proxy, port] = start_proxy("crashy");
  ASSERT_NE(port, 0);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string body =
      R"({"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Hi"}]})";
  const std::string req = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + key_ +
                          "\r\nIdempotency-Key: doomed\r\ncontent-type: application/json\r\ncontent-length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  boost::asio::write(s, boost::asio::buffer(req));
  std::array<char, 512> buf{};
  std::size_t got = 0;
  while (got < 200) got += s.read_some(boost::asio::buffer(buf));  // the stream is flowing

  proxy->signal(SIGKILL);
  EXPECT_EQ(proxy->wait(10'000), 128 + SIGKILL);
  EXPECT_EQ(tdb_.count("credit_reservations"), 1) << "the crash left the hold open";
  const auto held = [&] {
    auto conn = storage::connect(tdb_.url());
    return (*conn)->query("SELECT amount_mc FROM credit_reservations", {})->front().i64(0);
  }();
  EXPECT_GT(held, 0);

  auto [restarted, port2] = start_proxy("crashy");
  ASSERT_NE(port2, 0);
  EXPECT_EQ(tdb_.count("credit_reservations"), 0) << "resolved before the restarted proxy served anything";
  EXPECT_EQ(tdb_.count("credit_usage", "request_id = 'doomed' AND status = 'interrupted' AND credits_mc = " +
                                          std::to_string(held)),
            1);
  EXPECT_EQ(balance(), 250'000'000 - held);
  EXPECT_EQ(balance(), ledger_sum());
  restarted->signal(SIGTERM);
  EXPECT_EQ(restarted->wait(15'000), 0);
}

TEST_P(ProxyProcessTest, TwoReplicasOnOneDatabaseKeepTheCreditRules) {
  {
    services::TenantService tenants(*db_, clock_, TierTable::defaults());
    auto cur = tenants.get(tenant_id_)->balance_mc;
    ASSERT_TRUE(tenants.adjust_credits({"test", {}}, tenant_id_, {20 * 19 - cur, "test", true}).ok());
  }
  FakeBehavior b;
  b.first_byte_delay = std::chrono::milliseconds(30);
  openai_.set_behavior(b);
  auto [a, port_a] = start_proxy("replica-a");
  auto [c, port_b] = start_proxy("replica-b");
  ASSERT_NE(port_a, 0);
  ASSERT_NE(port_b, 0);
  std::atomic<int> ok{0}, payment{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 20; ++w) {
    threads.emplace_back([&, w] {
      HttpClient client(w % 2 ? port_a : port_b, key_);
      for (int i = 0; i < 10; ++i) {
        auto r = client.send(boost::beast::http::verb::post, "/v1/chat/completions",
                             R"({"model":"kimi-k2.5","max_completion_tokens":64,"messages":[{"role":"user","content":"Hi"}]})",
                             {{"Idempotency-Key", "r" + std::to_string(w) + "-" + std::to_string(i)}});
        (r.status == 200U ? ok : r.status == 402U ? payment : other)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + payment.load(), 200);
  EXPECT_GE(ok.load(), 1);
  EXPECT_LE(ok.load(), 21);
  EXPECT_EQ(tdb_.count("credit_usage", "credits_mc > 0"), ok.load());
  EXPECT_GE(balance(), -19);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
  for (auto* p : {a.get(), c.get()}) {
    p->signal(SIGTERM);
    EXPECT_EQ(p->wait(15'000), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ProxyProcessTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
