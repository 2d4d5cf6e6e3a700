// `winston smoke` against the binary the README's first command builds: the
// release `winston serve` (WINSTON_RELEASE_BINARY, set by scripts/test.sh) on
// its embedded defaults — SQLite, local cells with the real OpenClaw — with
// fake Anthropic and Moonshot upstreams behind its proxy. Every check passes;
// a deployment whose catalog prices Sonnet wrong fails that check by name.
// (The suite is named LocalCell* so it runs one at a time with the other
// tests that start real gateways.)

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/ids.hpp"
#include "support/fake_site.hpp"
#include "support/fake_upstream.hpp"
#include "support/openclaw_cli.hpp"
#include "support/subprocess.hpp"

namespace winston {
namespace {
namespace fs = std::filesystem;
using testing::Background;

constexpr const char* kToken = "smoke-admin-token-0123456789abcdef";

std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

/// The release binary when the test command built one; else this build's (slower, same behaviour).
std::string winston_binary() {
  if (const char* release = std::getenv("WINSTON_RELEASE_BINARY"); release != nullptr && *release != '\0') {
    return release;
  }
  return WINSTON_BINARY;
}

class LocalCellSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* require = std::getenv("WINSTON_TEST_REQUIRE_RELEASE");
    if (require != nullptr && std::string(require) == "1") {
      ASSERT_NE(winston_binary(), std::string(WINSTON_BINARY)) << "WINSTON_RELEASE_BINARY is not set";
      ASSERT_TRUE(fs::exists(winston_binary())) << winston_binary();
    }
    dir_ = fs::temp_directory_path() / ("winston-smoke-" + random_hex(6));
    fs::create_directories(dir_);
    api_port_ = free_port();
    proxy_port_ = free_port();
    testing::FakeBehavior claude;
    claude.input_tokens = 40;
    claude.output_tokens = 9;
    anthropic_.set_behavior(claude);
    testing::FakeBehavior kimi;
    kimi.input_tokens = 37;
    kimi.output_tokens = 11;
    moonshot_.set_behavior(kimi);
    testing::FakeRoute home;
    home.body = "<!doctype html><html><head><title>Smoke Leaf</title></head><body><h1>Smoke Leaf</h1>"
                "<p>Adult-use cannabis, 21+ with ID. Open daily 9-9.</p></body></html>";
    site_.route("/", home);
  }
  void TearDown() override {
    if (server_) {
      server_->signal(SIGTERM);
      EXPECT_EQ(server_->wait(60'000), 0) << server_->stderr_text();
    }
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// `winston serve --config FILE` (the option after the subcommand, as the README writes it).
  void start_server(const std::string& deps, const std::string& extra_toml = {}, bool provider_keys = true) {
    const auto config = dir_ / "winston.toml";
    std::ofstream(config) << "[providers.anthropic]\napi = \"anthropic-messages\"\nbase_url = \"" << anthropic_.base_url()
                          << "\"\napi_key_env = \"FAKE_ANTHROPIC_KEY\"\n"
                          << "[providers.moonshot]\napi = \"openai-completions\"\nbase_url = \"" << moonshot_.base_url()
                          << "/v1\"\napi_key_env = \"FAKE_MOONSHOT_KEY\"\n"
                          << "[cells]\npoll_interval_ms = 500\n"
                          << "[analyzer]\nallow_networks = [\"127.0.0.2/32\"]\n"
                          << extra_toml;
    std::map<std::string, std::string> env{{"WINSTON_DATA_DIR", (dir_ / "data").string()},
                                           {"WINSTON_ADMIN_TOKEN", kToken},
                                           {"WINSTON_API_PORT", std::to_string(api_port_)},
                                           {"WINSTON_PROXY_PORT", std::to_string(proxy_port_)},
                                           {"FAKE_ANTHROPIC_KEY", "sk-fake-anthropic"},
                                           {"FAKE_MOONSHOT_KEY", "sk-fake-moonshot"}};
    if (!deps.empty()) env["WINSTON_OPENCLAW_DIR"] = deps;
    if (!provider_keys) {
      env.erase("FAKE_ANTHROPIC_KEY");
      env.erase("FAKE_MOONSHOT_KEY");
    }
    server_ = std::make_unique<Background>(std::vector<std::string>{winston_binary(), "serve", "--config", config.string()},
                                           env);
    ASSERT_NE(server_->wait_for_stderr("cells.reconciler_started", 60'000), "") << server_->stderr_text();
  }

  testing::Completed smoke(std::vector<std::string> extra) {
    std::vector<std::string> args{winston_binary(), "smoke", "--api", "http://127.0.0.1:" + std::to_string(api_port_),
                                  "--proxy", "http://127.0.0.1:" + std::to_string(proxy_port_), "--with-llm",
                                  "--cell-timeout", "300", "--website", site_.url("/")};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run(args, {{"WINSTON_ADMIN_TOKEN", kToken}, {"WINSTON_DATA_DIR", (dir_ / "cli").string()}},
                        600'000);
  }

  /// The table line of one check: "name RESULT reason".
  static std::string line_of(const std::string& out, const std::string& check) {
    std::smatch m;
    const std::regex re("(^|\n)(" + std::regex_replace(check, std::regex(R"(\.)"), R"(\.)") + R"( +[A-Z]+ [^\n]*))");
    return std::regex_search(out, m, re) ? m[2].str() : std::string{};
  }

  fs::path dir_;
  std::uint16_t api_port_ = 0, proxy_port_ = 0;
  testing::FakeSite site_{"127.0.0.2"};  // the throw-away tenant's website, on loopback
  testing::FakeUpstream anthropic_{testing::FakeFlavor::kAnthropic};
  testing::FakeUpstream moonshot_{testing::FakeFlavor::kOpenAI};
  std::unique_ptr<Background> server_;
};

TEST_F(LocalCellSmoke, EveryCheckPassesAgainstTheReleaseServe) {
  WINSTON_REQUIRE_OPENCLAW(deps);
  start_server(*deps);
  const auto r = smoke({});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* check : {"tenant.create", "tenant.validation", "tenant.read", "tenant.list", "tenant.update",
                            "credits.adjust", "tier.allocation", "config.generate", "skills", "analyzer",
                            "routing.kimi_1x", "routing.claude_5x", "routing.opus_12x", "metering.tokens",
                            "credits.low_warning", "credits.402", "errors", "provisioner", "tenant.delete"}) {
    EXPECT_NE(line_of(r.out, check).find(" PASS "), std::string::npos) << check << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("19 checks: 19 passed, 0 failed, 0 skipped"), std::string::npos) << r.out;
  EXPECT_GE(anthropic_.request_count(), 2U) << "Sonnet and Opus reached the fake Anthropic";
  EXPECT_EQ(server_->stderr_text().find(kToken), std::string::npos) << "the admin token must not be logged";
}

TEST_F(LocalCellSmoke, AWrongSonnetMultiplierFailsThatCheckByName) {
  // This deployment's catalog charges Sonnet 4x instead of the design's 5x.
  start_server("", R"toml(
[[models]]
id = "kimi-k2.5"
provider = "moonshot"
multiplier = 1.0
[[models]]
id = "claude-sonnet-4-6"
provider = "anthropic"
multiplier = 4.0
[[models]]
id = "claude-opus-4-6"
provider = "anthropic"
multiplier = 12.0
)toml");
  const auto r = smoke({"--skip", "provisioner"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto claude = line_of(r.out, "routing.claude_5x");
  EXPECT_NE(claude.find(" FAIL "), std::string::npos) << r.out;
  EXPECT_NE(claude.find("expected 5x"), std::string::npos) << claude;
  EXPECT_NE(line_of(r.out, "routing.opus_12x").find(" PASS "), std::string::npos) << r.out;
  EXPECT_NE(line_of(r.out, "provisioner").find(" SKIP "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;
}

TEST_F(LocalCellSmoke, WithoutLlmTheModelChecksAreSkippedAndSaySo) {
  // A fresh deployment as scripts/serve.sh starts it: no provider keys. A tenant at zero still hears 402.
  start_server("", {}, false);
  const auto r = testing::run({winston_binary(), "smoke", "--api", "http://127.0.0.1:" + std::to_string(api_port_),
                               "--proxy", "http://127.0.0.1:" + std::to_string(proxy_port_), "--skip",
                               "provisioner"},
                              {{"WINSTON_ADMIN_TOKEN", kToken}, {"WINSTON_DATA_DIR", (dir_ / "cli").string()}},
                              300'000);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(line_of(r.out, "routing.claude_5x").find("SKIP  calls a real model"), std::string::npos) << r.out;
  EXPECT_EQ(anthropic_.request_count(), 0U) << "no model was called without --with-llm";
  EXPECT_EQ(moonshot_.request_count(), 0U);
  EXPECT_NE(line_of(r.out, "credits.402").find(" PASS "), std::string::npos) << r.out;
  const auto wrong_token = testing::run({winston_binary(), "smoke", "--api",
                                         "http://127.0.0.1:" + std::to_string(api_port_), "--proxy",
                                         "http://127.0.0.1:" + std::to_string(proxy_port_)},
                                        {{"WINSTON_ADMIN_TOKEN", "wrong"}, {"WINSTON_DATA_DIR", (dir_ / "cli").string()}});
  EXPECT_EQ(wrong_token.exit_code, 1);
  EXPECT_NE(line_of(wrong_token.out, "tenant.create").find("FAIL"), std::string::npos) << wrong_token.out;
}

}  // namespace
}  // namespace winston
