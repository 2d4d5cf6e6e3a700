#include "app/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "app/runtime.hpp"
#include "core/ids.hpp"

namespace winston::app {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / ("winston-" + random_hex(6) + ".toml");
    std::ofstream(path) << text;
    files_.push_back(path);
    return path.string();
  }
  EnvLookup env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
  void TearDown() override {
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::vector<std::filesystem::path> files_;
};

TEST_F(ConfigTest, EmbeddedDefaultsUseSqliteUnderTheDataDir) {
  auto c = load_config(std::nullopt, env({{"WINSTON_CONFIG", "/nonexistent-but-unused"}}));
  ASSERT_FALSE(c.ok()) << "an explicit but missing file is an error";
  c = load_config(std::nullopt, env({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->database_url, "sqlite:data/winston.db");
  EXPECT_EQ(c->api_port, 8080);
  EXPECT_EQ(c->api_listen, "127.0.0.1");
  EXPECT_EQ(c->tiers.allotment("free"), 50'000'000);
}

TEST_F(ConfigTest, FileValuesAreReadAndEnvironmentOverridesThem) {
  const auto path = write(R"(
data_dir = "/var/lib/winston"
[database]
url = "postgres://w@db/winston"
pool_size = 16
[api]
port = 9000
read_timeout_ms = 2500
[tiers]
free = 1000
pro = 5000
[log]
level = "debug"
)");
  auto c = load_config(path, env({{"WINSTON_API_PORT", "9100"}, {"WINSTON_ADMIN_TOKEN", "from-the-environment-123"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->database_url, "postgres://w@db/winston");
  EXPECT_EQ(c->database_pool_size, 16U);
  EXPECT_EQ(c->api_port, 9100);
  EXPECT_EQ(c->api_http.read_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->admin_token, "from-the-environment-123");
  EXPECT_EQ(c->tiers.allotment("free"), 1'000'000);
  EXPECT_EQ(c->tiers.allotment("pro"), 5'000'000);
  EXPECT_FALSE(c->tiers.allotment("starter").has_value());
  EXPECT_EQ(c->log_level, "debug");
  auto env_db = load_config(path, env({{"WINSTON_DATABASE_URL", "sqlite:/tmp/x.db"}}));
  EXPECT_EQ(env_db->database_url, "sqlite:/tmp/x.db");
}

TEST_F(ConfigTest, MistakesAreNamed) {
  auto typo = load_config(write("[databse]\nurl = \"x\"\n"), env({}));
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("unknown key 'databse'"), std::string::npos) << typo.error().message;
  auto bad_port = load_config(write("[api]\nport = 70000\n"), env({}));
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("api.port"), std::string::npos);
  auto bad_toml = load_config(write("[api\n"), env({}));
  ASSERT_FALSE(bad_toml.ok());
  auto bad_env = load_config(std::nullopt, env({{"WINSTON_API_PORT", "http"}}));
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.error().field, "WINSTON_API_PORT");
  auto no_free = load_config(write("[tiers]\npro = 5\n"), env({}));
  ASSERT_FALSE(no_free.ok());
}

TEST_F(ConfigTest, UpstreamPoolSettingsAreReadAndChecked) {
  auto defaults = load_config(std::nullopt, env({}));
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->upstream_pool_idle_ms, 4'000) << "below Node's 5 s keep-alive timeout";
  EXPECT_EQ(defaults->upstream_pool_max_idle_per_host, 64);
  auto c = load_config(write("[proxy]\npool_idle_ms = 1500\npool_max_idle_per_host = 8\n"), env({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->upstream_pool_idle_ms, 1'500);
  EXPECT_EQ(c->upstream_pool_max_idle_per_host, 8);
  auto off = load_config(write("[proxy]\npool_idle_ms = 0\npool_max_idle_per_host = 0\n"), env({}));
  ASSERT_TRUE(off.ok()) << "0 turns reuse off";
  for (const auto* bad : {"[proxy]\npool_idle_ms = -1\n", "[proxy]\npool_idle_ms = 600001\n",
                          "[proxy]\npool_max_idle_per_host = 10001\n", "[proxy]\npool_max_idle_per_host = \"8\"\n"}) {
    SCOPED_TRACE(bad);
    auto r = load_config(write(bad), env({}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("proxy.pool_"), std::string::npos) << r.error().message;
  }
}

/// Runtime::create with a remote backend configured and `proxy_url` as agent.proxy_url.
Result<std::unique_ptr<Runtime>> with_kubernetes(const std::string& proxy_url, bool remote = true) {
  Config c;
  c.data_dir = (std::filesystem::temp_directory_path() / ("winston-cfg-" + random_hex(6))).string();
  c.database_url = "sqlite:" + c.data_dir + "/winston.db";
  c.proxy_port = 8081;
  if (remote) c.kubernetes_api_url = "https://kube.test:6443";
  c.agent_proxy_url = proxy_url;
  const SystemClock clock;
  auto rt = Runtime::create(c, clock, Role::kCli);
  std::error_code ec;
  if (rt.ok()) rt->reset();  // closes the database before its directory goes
  std::filesystem::remove_all(c.data_dir, ec);
  return rt;
}

TEST(CellProxyUrl, RemoteCellsRefuseAnAddressOnlyThisMachineReaches) {
  for (const std::string url : {"", "http://127.0.0.1:8081", "http://localhost:8081", "http://0.0.0.0:8081",
                                "http://[::1]:8081", "http://LOCALHOST:8081/"}) {
    auto rt = with_kubernetes(url);
    ASSERT_FALSE(rt.ok()) << "accepted '" << url << "'";
    EXPECT_EQ(rt.error().field, "agent.proxy_url");
    EXPECT_NE(rt.error().message.find("agent.proxy_url (or WINSTON_AGENT_PROXY_URL)"), std::string::npos)
        << rt.error().message;
    EXPECT_NE(rt.error().message.find("kubernetes cells"), std::string::npos) << rt.error().message;
  }
  EXPECT_NE(with_kubernetes("").error().message.find("unset, so cells would be given http://127.0.0.1:8081"),
            std::string::npos);
  auto reachable = with_kubernetes("http://winston-proxy.winston.svc:8081");
  EXPECT_TRUE(reachable.ok()) << reachable.error().message;
  auto local_only = with_kubernetes("", false);
  EXPECT_TRUE(local_only.ok()) << "local cells keep loopback: " << local_only.error().message;
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

TEST(FileModes, TheDataDirectoryAndTheDatabaseAreOwnerOnlyWhateverTheUmask) {
  const auto dir = std::filesystem::temp_directory_path() / ("winston-modes-" + random_hex(6));
  // An older run left them world-readable; a fresh one would get the umask's modes.
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  std::ofstream(dir / "winston.db-shm").put('\0');
  ::chmod((dir / "winston.db-shm").c_str(), 0644);
  const auto old_mask = ::umask(022);
  Config c;
  c.data_dir = dir.string();
  c.database_url = "sqlite:" + (dir / "winston.db").string();
  const SystemClock clock;
  auto rt = Runtime::create(c, clock, Role::kCli);
  ::umask(old_mask);
  ASSERT_TRUE(rt.ok()) << rt.error().message;
  EXPECT_EQ(mode_of(dir), 0700U);
  for (const char* f : {"winston.db", "winston.db-wal", "winston.db-shm", "master.key", "admin_token"}) {
    ASSERT_TRUE(std::filesystem::exists(dir / f)) << f;
    EXPECT_EQ(mode_of(dir / f), 0600U) << f;
  }
  rt->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace winston::app
