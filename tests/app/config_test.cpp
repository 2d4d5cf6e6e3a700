#include "app/config.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "app/config_keys.hpp"
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

/// The error of `r`, which must be one whose message contains `text`.
Error expect_error(const Result<Config>& r, const std::string& text) {
  if (r.ok()) {
    ADD_FAILURE() << "accepted; expected an error with: " << text;
    return Error{};
  }
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
  return r.error();
}

TEST_F(ConfigTest, ProviderTablesAreCheckedKeyByKey) {
  const auto typo = write("[providers.moonshot]\nbase_url = \"http://x/v1\"\napi_kye_env = \"K\"\n");
  const auto e = expect_error(load_config(typo, env({})), "unknown key 'providers.moonshot.api_kye_env'");
  EXPECT_NE(e.message.find(typo), std::string::npos) << "the file is named: " << e.message;
  EXPECT_EQ(e.field, "providers.moonshot.api_kye_env");
  expect_error(load_config(write("[providers.moonshot]\nbase_url = 5\n"), env({})),
               "providers.moonshot.base_url must be a string");
  expect_error(load_config(write("[providers.moonshot]\nbase_url = \"http://x/v1\"\napi = \"openai\"\n"), env({})),
               "providers.moonshot.api must be anthropic-messages or openai-completions");
  expect_error(load_config(write("providers = 3\n"), env({})), "providers must be a table");
  auto ok = load_config(write("[providers.local]\napi = \"anthropic-messages\"\nbase_url = \"http://127.0.0.1:9\"\n"
                              "api_key_env = \"\"\n"),
                        env({}));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  const auto* local = ok->catalog.provider("local");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->api, WireApi::kAnthropicMessages);
  EXPECT_EQ(local->base_url, "http://127.0.0.1:9");
  EXPECT_EQ(ok->provider_keys.at("local"), "") << "keyless";
  EXPECT_NE(ok->catalog.provider("anthropic"), nullptr) << "the defaults stay";
}

TEST_F(ConfigTest, ModelEntriesAreCheckedKeyByKey) {
  const std::string model = "[[models]]\nid = \"kimi-k2.5\"\nprovider = \"moonshot\"\n";
  const auto e = expect_error(load_config(write(model + "multipler = 2.0\n"), env({})), "unknown key 'models[0].multipler'");
  EXPECT_EQ(e.field, "models[0].multipler");
  expect_error(load_config(write(model + "multiplier = \"5\"\n"), env({})), "models[0].multiplier must be a number");
  expect_error(load_config(write(model + "tiers = [\"pro\", 3]\n"), env({})),
               "models[0].tiers must be a list of strings");
  expect_error(load_config(write(model + "retires_on = 2026-11-30\n"), env({})), "models[0].retires_on must be a string");
  expect_error(load_config(write(model + "context_window = -1\n"), env({})), "models[0].context_window must be an integer");
  expect_error(load_config(write(model + model + "[models.extra]\nx = 1\n"), env({})), "unknown key 'models[1].extra'");
  expect_error(load_config(write("models = 1\n"), env({})), "models must be an array of tables");
}

TEST_F(ConfigTest, ModelEntriesAreReadWithTheirDefaults) {
  auto c = load_config(write(R"(
[[models]]
id = "kimi-k2.5"
provider = "moonshot"
multiplier = 2
usd_input_per_mtok = 0.6
tiers = ["pro"]
retires_on = "2026-11-30"
replacement = "cheap"
[[models]]
id = "cheap"
aliases = ["c"]
provider = "moonshot"
upstream_model = "cheap-v2"
multiplier = 0.5
context_window = 32768
)"),
                       env({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->catalog.models().size(), 2U) << "[[models]] replaces the list";
  const auto& kimi = c->catalog.models()[0];
  EXPECT_EQ(kimi.multiplier_milli, 2000) << "an integer is a number too";
  EXPECT_EQ(kimi.usd_input_micro, 600'000);
  EXPECT_EQ(kimi.upstream_model, "kimi-k2.5") << "upstream_model defaults to the id";
  EXPECT_EQ(kimi.tiers, std::vector<std::string>{"pro"});
  EXPECT_EQ(kimi.retires_on, "2026-11-30");
  EXPECT_EQ(kimi.replacement, "cheap");
  const auto& cheap = c->catalog.models()[1];
  EXPECT_EQ(cheap.upstream_model, "cheap-v2");
  EXPECT_EQ(cheap.multiplier_milli, 500);
  EXPECT_EQ(cheap.context_window, 32768);
  EXPECT_EQ(c->catalog.find("c"), &cheap);
  EXPECT_FALSE(cheap.retires_on.has_value());
}

TEST_F(ConfigTest, EveryKeyOfTheTableIsReadFromTheFile) {
  // agent.message_timeout_ms was read but missing from the old list of known keys.
  auto c = load_config(write("[agent]\nmessage_timeout_ms = 5000\n[cells.kubernetes]\nnamespace = \"cells\"\n"), env({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->agent_message_timeout_ms, 5000);
  EXPECT_EQ(c->kubernetes_namespace, "cells");
  expect_error(load_config(write("api = 5\n"), env({})), "api must be a table");
  expect_error(load_config(write("[cells.railway]\ntoken = \"secret\"\n"), env({})),
               "unknown key 'cells.railway.token'");  // secrets come from the environment only
  expect_error(load_config(write("[cells]\nbackend = \"docker\"\n"), env({})),
               "cells.backend must be local, railway or kubernetes");
  expect_error(load_config(write("[tiers]\nfree = \"lots\"\n"), env({})), "tiers.free must be a non-negative");
}

TEST_F(ConfigTest, TheEnvironmentVariablesKeepTheirNamesAndEachOverridesItsKey) {
  const std::set<std::string> expected = {
      "WINSTON_DATA_DIR",        "WINSTON_DATABASE_URL",   "WINSTON_ADMIN_TOKEN",     "WINSTON_MASTER_KEY",
      "WINSTON_LISTEN",          "WINSTON_LOG_LEVEL",      "WINSTON_API_PORT",        "WINSTON_PROXY_PORT",
      "WINSTON_INSTANCE_ID",     "WINSTON_AGENT_PROXY_URL", "WINSTON_OPENCLAW_DIR",   "WINSTON_CELLS_BACKEND",
      "RAILWAY_TOKEN",           "WINSTON_KUBERNETES_TOKEN", "WINSTON_ANALYZER_ALLOW_PRIVATE"};
  std::set<std::string> names;
  const auto defaults = load_config(std::nullopt, env({}));
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  for (const auto& key : config_keys::config_keys()) {
    if (key.env.empty()) continue;
    const std::string name(key.env);
    names.insert(name);
    std::string value = "from-the-environment";
    if (!key.choices.empty()) value = key.choices.back();
    if (key.field.kind == config_keys::Kind::kInteger) value = std::to_string(key.min + 1);
    if (key.field.kind == config_keys::Kind::kBool) value = "true";
    auto c = load_config(std::nullopt, env({{name, value}}));
    ASSERT_TRUE(c.ok()) << name << ": " << c.error().message;
    const auto changed = differing_keys(*c, *defaults);
    const std::string shown(key.path.empty() ? key.env : key.path);
    EXPECT_NE(std::find(changed.begin(), changed.end(), shown), changed.end()) << name << " did not set " << shown;
  }
  EXPECT_EQ(names, expected);
  expect_error(load_config(std::nullopt, env({{"WINSTON_CELLS_BACKEND", "docker"}})),
               "WINSTON_CELLS_BACKEND must be local, railway or kubernetes");
  expect_error(load_config(std::nullopt, env({{"WINSTON_PROXY_PORT", "65536"}})), "WINSTON_PROXY_PORT must be an integer");
}

std::string source_file(const std::string& relative) {
  std::ifstream in(std::filesystem::path(WINSTON_SOURCE_DIR) / relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Empty when equal; else the first line that differs, in both.
std::string first_difference(const std::string& file, const std::string& generated) {
  std::istringstream a(file), b(generated);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la)), more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return file == generated ? "" : "a final newline";
    if (more_a != more_b || la != lb) return fmt::format("line {}: file '{}', table '{}'", line, la, lb);
  }
}

TEST(ConfigDocs, TheReferenceIsWhatTheKeyTableGenerates) {
  const auto generated = configuration_reference_markdown();
  EXPECT_EQ(first_difference(source_file("docs/configuration.md"), generated), "")
      << "docs/configuration.md is out of date: run scripts/config-docs.sh";
  for (const auto& key : config_keys::config_keys()) {
    const std::string shown(key.path.empty() ? key.env : key.path);
    EXPECT_NE(generated.find("`" + shown + "`"), std::string::npos) << shown;
  }
  for (const auto& key : config_keys::model_keys()) {
    EXPECT_NE(generated.find("`" + std::string(key.path) + "`"), std::string::npos) << key.path;
  }
}

TEST(ConfigDocs, TheExampleIsWhatTheKeyTableGenerates) {
  const auto generated = configuration_example_toml();
  EXPECT_EQ(first_difference(source_file("winston.toml.example"), generated), "")
      << "winston.toml.example is out of date: run scripts/config-docs.sh";
  for (const auto& key : config_keys::config_keys()) {
    const std::string leaf(key.path.substr(key.path.rfind('.') + 1));
    const std::string line = key.path.empty() ? std::string(key.env) : "\n" + leaf + " = ";
    EXPECT_TRUE(generated.find(line) != std::string::npos || generated.find("# " + leaf + " = ") != std::string::npos)
        << key.path << key.env;
  }
}

TEST_F(ConfigTest, TheExampleFileLoadsToTheDefaults) {
  const auto example = (std::filesystem::path(WINSTON_SOURCE_DIR) / "winston.toml.example").string();
  auto loaded = load_config(example, env({}));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->source, example);
  auto defaults = load_config(std::nullopt, env({}));
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(differing_keys(*loaded, *defaults), std::vector<std::string>{});
  // The comparison can fail: a changed key is reported by name.
  defaults->analyzer_model = "other";
  EXPECT_EQ(differing_keys(*loaded, *defaults), std::vector<std::string>{"analyzer.model"});
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
