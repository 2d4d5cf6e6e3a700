// The real `winston` binary: operator CLI over the same services as the API,
// and `winston serve` start-up and SIGTERM shutdown.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/ids.hpp"
#include "core/secret_box.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::run;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("winston-cli-" + random_hex(6))).string();
    std::filesystem::create_directories(dir_);
    env_ = {{"WINSTON_DATABASE_URL", "sqlite:" + dir_ + "/w.db"}, {"WINSTON_DATA_DIR", dir_}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  testing::Completed winston(std::vector<std::string> args) {
    args.insert(args.begin(), WINSTON_BINARY);
    return run(args, env_);
  }
  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, TenantLifecycleFromTheCommandLine) {
  auto created = winston({"tenant", "create", "--name", "Blue Dream Co", "--email", "hi@bluedream.example.com",
                          "--website", "https://bluedream.example.com", "--tier", "starter"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto t = json::parse(created.out).as_object();
  EXPECT_EQ(t.at("slug").as_string(), "blue-dream-co");
  EXPECT_EQ(t.at("balance_mc").as_int64(), 250'000'000);

  auto shown = winston({"tenant", "show", "blue-dream-co"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out).at("id"), t.at("id"));

  auto updated = winston({"tenant", "update", "blue-dream-co", "--status", "suspended"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(json::parse(updated.out).at("status").as_string(), "suspended");

  auto credited = winston({"tenant", "credit", "blue-dream-co", "--amount-mc", "-1000", "--reason", "test"});
  ASSERT_EQ(credited.exit_code, 0) << credited.err;
  EXPECT_EQ(json::parse(credited.out).at("balance_after_mc").as_int64(), 249'999'000);
  EXPECT_NE(json::parse(credited.out).at("actor").as_string().subview().find("cli:"), std::string::npos);

  auto listed = winston({"tenant", "list", "--status", "suspended"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out).at("total").as_int64(), 1);

  auto ledger = winston({"tenant", "ledger", "blue-dream-co"});
  EXPECT_EQ(json::parse(ledger.out).at("total").as_int64(), 2);

  auto deleted = winston({"tenant", "delete", "blue-dream-co"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  auto gone = winston({"tenant", "show", "blue-dream-co"});
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_NE(gone.err.find("no tenant"), std::string::npos) << gone.err;
}

TEST_F(CliTest, AuditListShowsWhoChangedATenantPageByPage) {
  for (const auto* name : {"Audit One", "Audit Two"}) {
    const std::string slug = name == std::string("Audit One") ? "audit-one" : "audit-two";
    auto created = winston({"tenant", "create", "--name", name, "--email", slug + "@example.com", "--website",
                            "https://" + slug + ".example.com"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }
  auto credited = winston({"tenant", "credit", "audit-one", "--amount-mc", "250", "--reason", "goodwill"});
  ASSERT_EQ(credited.exit_code, 0) << credited.err;

  auto first = winston({"audit", "list", "--tenant", "audit-one", "--limit", "1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto page1 = json::parse(first.out).as_object();
  ASSERT_EQ(page1.at("data").as_array().size(), 1U);
  EXPECT_EQ(page1.at("data").at(0).at("action").as_string(), "tenant.credit") << "newest first";
  EXPECT_NE(page1.at("data").at(0).at("actor").as_string().subview().find("cli:"), std::string::npos);
  ASSERT_TRUE(page1.at("next_cursor").is_string());
  auto second = winston({"audit", "list", "--tenant", "audit-one", "--limit", "1", "--cursor",
                         std::string(page1.at("next_cursor").as_string())});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto page2 = json::parse(second.out).as_object();
  ASSERT_EQ(page2.at("data").as_array().size(), 1U);
  EXPECT_EQ(page2.at("data").at(0).at("action").as_string(), "tenant.create");
  EXPECT_TRUE(page2.at("next_cursor").is_null());

  auto creates = winston({"audit", "list", "--action", "tenant.create", "--since", "0"});
  ASSERT_EQ(creates.exit_code, 0) << creates.err;
  EXPECT_EQ(json::parse(creates.out).at("data").as_array().size(), 2U);
  auto none = winston({"audit", "list", "--action", "tenant.", "--until", "1"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(json::parse(none.out).at("data").as_array().empty());

  auto bad = winston({"audit", "list", "--limit", "0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("limit"), std::string::npos) << bad.err;
  auto bad_cursor = winston({"audit", "list", "--cursor", "nope"});
  EXPECT_EQ(bad_cursor.exit_code, 2);
  EXPECT_NE(bad_cursor.err.find("cursor"), std::string::npos) << bad_cursor.err;
}

TEST_F(CliTest, ProvisioningFromTheCommandLineRecordsTheWishForTheServer) {
  auto bare = winston({"tenant", "create", "--name", "Plain", "--email", "p@example.com", "--website",
                       "https://p.example.com", "--backend", "local"});
  EXPECT_EQ(bare.exit_code, 2) << "--backend needs --provision";
  auto unknown = winston({"tenant", "create", "--name", "Odd", "--email", "o@example.com", "--website",
                          "https://o.example.com", "--provision", "--backend", "railway"});
  EXPECT_EQ(unknown.exit_code, 2) << "railway is not configured";
  EXPECT_NE(unknown.err.find("backend"), std::string::npos) << unknown.err;

  auto created = winston({"tenant", "create", "--name", "Kush Co", "--email", "k@example.com", "--website",
                          "https://k.example.com", "--provision"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto t = json::parse(created.out).as_object();
  EXPECT_EQ(t.at("instance").at("backend"), "local");
  EXPECT_EQ(t.at("instance").at("actual_state"), "pending");
  EXPECT_EQ(t.at("instance").at("step"), "queued");

  auto shown = winston({"instance", "show", "kush-co"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out).at("desired_state"), "running");
  auto stopped = winston({"instance", "stop", "kush-co"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(json::parse(stopped.out).at("desired_state"), "stopped");
  auto events = winston({"instance", "events", "kush-co"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("asked for stopped"), std::string::npos) << events.out;
  auto listed = winston({"instance", "list", "--state", "pending"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out).at("total").as_int64(), 1);
  EXPECT_EQ(winston({"instance", "show", "nobody"}).exit_code, 4);
  // Nothing was ever started, so the tenant goes at once.
  auto deleted = winston({"tenant", "delete", "kush-co"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("\"deleted\""), std::string::npos) << deleted.out;
}

TEST_F(CliTest, WorkerRunsOnlyTheReconcilerAndStopsOnSigterm) {
  testing::Background worker({WINSTON_BINARY, "worker"}, env_);
  const auto log = worker.wait_for_stderr("cells.reconciler_started", 60'000);
  ASSERT_FALSE(log.empty()) << worker.stderr_text();
  EXPECT_EQ(log.find("http.listening"), std::string::npos) << "a worker listens on nothing";
  EXPECT_EQ(log.find("proxy.provider_unconfigured"), std::string::npos) << "and has no proxy";
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(15'000), 0) << worker.stderr_text();
}

TEST_F(CliTest, InvalidInputIsExplainedWithANonZeroExit) {
  auto bad_email = winston({"tenant", "create", "--name", "X", "--email", "nope", "--website", "https://x.com"});
  EXPECT_EQ(bad_email.exit_code, 2);
  EXPECT_NE(bad_email.err.find("email"), std::string::npos) << bad_email.err;
  auto overdraft = winston({"tenant", "credit", "system", "--amount-mc", "5", "--reason", "x"});
  EXPECT_NE(overdraft.exit_code, 0);
  auto bad_flag = winston({"tenant", "create", "--name", "X", "--email", "x@x.com", "--website", "https://x.com", "--bogus"});
  EXPECT_NE(bad_flag.exit_code, 0);
  EXPECT_NE((bad_flag.err + bad_flag.out).find("--bogus"), std::string::npos) << bad_flag.err;
  auto no_command = winston({});
  EXPECT_NE(no_command.exit_code, 0);
  auto help = winston({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"serve", "migrate", "tenant", "worker", "instance"}) EXPECT_NE(help.out.find(word), std::string::npos) << word;
}

TEST_F(CliTest, BadDatabaseUrlIsAClearErrorWithoutTheSecret) {
  env_["WINSTON_DATABASE_URL"] = "mysql://root:supersecret@db/winston";
  auto r = winston({"migrate"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unsupported database URL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("supersecret"), std::string::npos) << r.err;
  env_["WINSTON_DATABASE_URL"] = "postgres://w:supersecret@127.0.0.1:1/x?connect_timeout=2";
  r = winston({"migrate"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("supersecret"), std::string::npos) << r.err;
}

TEST_F(CliTest, MigrateIsIdempotent) {
  for (int i = 0; i < 2; ++i) {
    auto r = winston({"migrate"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("schema is at version"), std::string::npos);
  }
}

TEST_F(CliTest, ServeStartsOnDefaultsWritesAPrivateAdminTokenAndStopsOnSigterm) {
  env_["WINSTON_API_PORT"] = "0";
  env_["OPENAI_API_KEY"] = "";  // unset: a normal start without that provider
  testing::Background serve({WINSTON_BINARY, "serve"}, env_);
  const auto log = serve.wait_for_stderr("\"event\":\"http.listening\"", 60'000);
  ASSERT_FALSE(log.empty()) << serve.stderr_text();
  EXPECT_NE(log.find(R"("level":"warning","event":"proxy.provider_unconfigured","provider":"openai","set":"OPENAI_API_KEY")"),
            std::string::npos) << "a provider without a key is a warning naming the variable to set: " << log;
  EXPECT_EQ(log.find(R"("level":"error")"), std::string::npos) << "a normal start logs no error: " << log;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"("port":(\d+))")));
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));

  const auto token_file = std::filesystem::path(dir_) / "admin_token";
  ASSERT_TRUE(std::filesystem::exists(token_file));
  EXPECT_EQ(std::filesystem::status(token_file).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  std::string token;
  std::ifstream(token_file) >> token;
  EXPECT_EQ(log.find(token), std::string::npos) << "the token must not be logged";
  const auto key_file = std::filesystem::path(dir_) / "master.key";
  ASSERT_TRUE(std::filesystem::exists(key_file));
  EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  std::string master_key;
  std::ifstream(key_file) >> master_key;
  EXPECT_TRUE(SecretBox::from_encoded_key(master_key).ok());
  EXPECT_EQ(log.find(master_key), std::string::npos) << "the master key must not be logged";

  testing::HttpClient c(port, token);
  EXPECT_EQ(c.get("/readyz").status, 200U);
  EXPECT_EQ(c.post("/v1/tenants", R"({"name":"A","email":"a@a.com","website_url":"https://a.com"})").status, 201U);
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(15'000), 0) << serve.stderr_text();
  EXPECT_NE(serve.stderr_text().find("server.stopped"), std::string::npos);
  EXPECT_EQ(serve.stderr_text().find(token), std::string::npos);
}

// An operator runs the CLI beside a serving Winston, which then dies hard.
// Every write the server answered must still be there at the next start: once,
// a new pooled SQLite connection cost the server its file locks, the CLI's
// exit deleted the WAL under it, and later writes vanished with the kill.
TEST_F(CliTest, WritesAnsweredByServeSurviveACliBesideItAndAKill) {
  env_["WINSTON_API_PORT"] = "0";
  env_["WINSTON_ADMIN_TOKEN"] = "cli-wal-admin-token-0123456789";
  auto serve = std::make_unique<testing::Background>(std::vector<std::string>{WINSTON_BINARY, "serve"}, env_);
  const auto log = serve->wait_for_stderr("\"event\":\"http.listening\"", 60'000);
  ASSERT_FALSE(log.empty()) << serve->stderr_text();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"("port":(\d+))")));
  testing::HttpClient c(static_cast<std::uint16_t>(std::stoi(m[1])), env_["WINSTON_ADMIN_TOKEN"]);
  const auto create = [&](const std::string& slug) {
    return c.post("/v1/tenants", R"({"name":")" + slug + R"(","email":")" + slug + R"(@example.com","website_url":"https://)" +
                                     slug + R"(.example.com"})").status;
  };
  ASSERT_EQ(create("before-cli"), 201U);
  ASSERT_EQ(winston({"tenant", "list"}).exit_code, 0);
  ASSERT_EQ(create("after-cli-one"), 201U);
  ASSERT_EQ(create("after-cli-two"), 201U);
  auto seen = winston({"tenant", "list"});  // another process sees what the server committed
  EXPECT_NE(seen.out.find("after-cli-two"), std::string::npos) << seen.out;
  serve->signal(SIGKILL);
  EXPECT_EQ(serve->wait(15'000), 128 + SIGKILL);
  serve.reset();
  auto listed = winston({"tenant", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* slug : {"before-cli", "after-cli-one", "after-cli-two"}) {
    EXPECT_NE(listed.out.find(slug), std::string::npos) << slug << " was lost: " << listed.out;
  }
}

TEST_F(CliTest, ServeRefusesAMalformedMasterKeyWithoutPrintingIt) {
  env_["WINSTON_API_PORT"] = "0";
  env_["WINSTON_MASTER_KEY"] = "not-a-key-but-a-secret-looking-value";
  auto r = winston({"serve"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("WINSTON_MASTER_KEY"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-a-key-but-a-secret-looking-value"), std::string::npos) << r.err;
}

TEST_F(CliTest, GlobalOptionsAreAcceptedAfterTheSubcommand) {
  // A config file that moves the data directory: only honoured if --config is parsed.
  const auto other = std::filesystem::path(dir_) / "elsewhere";
  const auto file = std::filesystem::path(dir_) / "winston.toml";
  std::ofstream(file) << "data_dir = \"" << other.string() << "\"\n";
  env_.erase("WINSTON_DATABASE_URL");
  env_.erase("WINSTON_DATA_DIR");
  auto after = winston({"migrate", "--config", file.string()});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(std::filesystem::exists(other / "winston.db"));
  auto created = winston({"tenant", "create", "--name", "Late Option", "--email", "late@example.com", "--website",
                          "https://late.example.com", "-c", file.string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto listed = winston({"--config", file.string(), "tenant", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("late@example.com"), std::string::npos) << listed.out;
  auto unknown = winston({"migrate", "--no-such-option"});
  EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(CliTest, VersionPrintsTheVersionAndTheCommit) {
  auto r = winston({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^winston \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\))")))
      << r.out;
}

}  // namespace
}  // namespace winston
