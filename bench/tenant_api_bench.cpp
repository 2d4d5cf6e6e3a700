// Tenant admin API benchmark: tenant creates per second (POST /v1/tenants) and
// GET /v1/tenants/{id} latency with 10,000 tenants, on SQLite and PostgreSQL.
//
// Each registration starts a real server in-process (winston::app::Runtime on
// 127.0.0.1, port 0) on a fresh database: a temporary SQLite file, or a fresh
// schema in the PostgreSQL database named by WINSTON_BENCH_PG_URL (reached via
// `?options=-csearch_path%3D<schema>`, dropped afterwards). Clients are
// synchronous Boost.Beast HTTP/1.1 clients, one keep-alive connection per client
// thread. Every response is checked (201/200, the ids it names); any failure
// aborts the run. Run it with scripts/bench.sh; the figures are in
// docs/benchmarks.md.
//
// Environment:
//   WINSTON_BENCH_PG_URL        postgres://... (unset: the PostgreSQL benchmarks are skipped)
//   WINSTON_BENCH_REQUIRE_PG=1  fail instead of skipping when WINSTON_BENCH_PG_URL is unset
//   WINSTON_BENCH_TENANTS       tenants in the lookup data set (default 10000)
//   WINSTON_BENCH_LOOKUPS       timed GET lookups per lookup benchmark (default 20000)
//   WINSTON_BENCH_CREATES       creates per create benchmark (default 2000)

// GCC 12 at -O2 reports -Wnull-dereference false positives inside Boost.Asio's
// io_context/scheduler after inlining (pointers the optimiser cannot prove
// non-null); they are in Boost's code, not ours, so silence that one warning for
// the headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <benchmark/benchmark.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/runtime.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/database.hpp"
#pragma GCC diagnostic pop

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Failure: loud, immediate, never a silently wrong figure.

[[noreturn]] void fatal(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "\nwinston_bench: FATAL: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

std::optional<std::string> getenv_str(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::size_t env_count(const char* name, std::size_t fallback) {
  const auto v = getenv_str(name);
  if (!v) return fallback;
  try {
    const long long n = std::stoll(*v);
    if (n <= 0) fatal(fmt::format("{} must be a positive integer, got '{}'", name, *v));
    return static_cast<std::size_t>(n);
  } catch (const std::exception&) {
    fatal(fmt::format("{} must be a positive integer, got '{}'", name, *v));
  }
}

// ---------------------------------------------------------------------------
// A synchronous keep-alive HTTP/1.1 client: one TCP connection, reused.

class Client {
 public:
  struct Reply {
    unsigned status = 0;
    std::string body;
    std::string location;
  };

  Client(std::uint16_t port, std::string token)
      : socket_(ioc_), host_(fmt::format("127.0.0.1:{}", port)), auth_("Bearer " + std::move(token)) {
    beast::error_code ec;
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) fatal(fmt::format("cannot connect to 127.0.0.1:{}: {}", port, ec.message()));
    socket_.set_option(tcp::no_delay(true), ec);
    if (ec) fatal("cannot set TCP_NODELAY: " + ec.message());
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  Reply send(bhttp::verb method, const std::string& target, std::string body = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, host_);
    req.set(bhttp::field::authorization, auth_);
    req.set(bhttp::field::user_agent, "winston_bench");
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    beast::error_code ec;
    bhttp::write(socket_, req, ec);
    if (ec) fatal(fmt::format("{} {}: write failed: {}", std::string(bhttp::to_string(method)), target, ec.message()));
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket_, buffer_, res, ec);
    if (ec) fatal(fmt::format("{} {}: read failed: {}", std::string(bhttp::to_string(method)), target, ec.message()));
    if (!res.keep_alive()) {
      fatal(fmt::format("{} {}: the server closed the keep-alive connection (status {})",
                        std::string(bhttp::to_string(method)), target, res.result_int()));
    }
    return Reply{res.result_int(), std::move(res.body()), std::string(res[bhttp::field::location])};
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string host_;
  std::string auth_;
};

void expect_status(const Client::Reply& r, unsigned want, std::string_view what) {
  if (r.status != want) {
    fatal(fmt::format("{}: expected HTTP {}, got {}: {}", what, want, r.status, r.body));
  }
}

json::object parse_object(const std::string& body, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) fatal(fmt::format("{}: response is not a JSON object: {}", what, body));
  return std::move(v.as_object());
}

std::string string_field(const json::object& o, std::string_view key, std::string_view what) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string() || v->as_string().empty()) {
    fatal(fmt::format("{}: response has no string \"{}\": {}", what, key, json::serialize(o)));
  }
  return std::string(v->as_string());
}

// ---------------------------------------------------------------------------
// Latency statistics (nearest-rank percentiles), in microseconds.

struct Stats {
  std::size_t n = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

Stats stats_of(std::vector<double> us) {
  if (us.empty()) fatal("no latency samples");
  std::sort(us.begin(), us.end());
  Stats s;
  s.n = us.size();
  double sum = 0;
  for (double x : us) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  const auto rank = [&](double p) {
    const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(s.n)));
    return us[std::clamp<std::size_t>(k, 1, s.n) - 1];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.p999 = rank(0.999);
  s.max = us.back();
  return s;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---------------------------------------------------------------------------
// A server on a fresh database.

enum class Backend { kSqlite, kPostgres };
std::string_view name_of(Backend b) { return b == Backend::kSqlite ? "sqlite" : "postgres"; }

const winston::SystemClock kSystemClock;

class Env {
 public:
  explicit Env(Backend backend) : backend_(backend), token_(winston::random_hex(24)) {
    const std::string id = winston::random_hex(6);
    winston::app::Config config;
    if (backend == Backend::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("winston-bench-" + id);
      std::filesystem::create_directories(dir_);
      config.database_url = "sqlite:" + (dir_ / "winston.db").string();
    } else {
      const auto base = getenv_str("WINSTON_BENCH_PG_URL");
      if (!base) fatal("WINSTON_BENCH_PG_URL is unset");
      pg_base_url_ = *base;
      schema_ = "winston_bench_" + id;
      pg_exec(fmt::format("CREATE SCHEMA {}", schema_));
      config.database_url = fmt::format("{}{}options=-csearch_path%3D{}", pg_base_url_,
                                        pg_base_url_.find('?') == std::string::npos ? '?' : '&', schema_);
    }
    config.data_dir = std::filesystem::temp_directory_path().string();  // unused: the token is set
    config.api_listen = "127.0.0.1";
    config.api_port = 0;
    config.admin_token = token_;
    config.log_level = "warn";
    config.proxy_port = 0;  // not started (Role::kApi); 0 keeps the instance id free of a fixed port
    auto rt = winston::app::Runtime::create(std::move(config), kSystemClock, winston::app::Role::kApi);
    if (!rt.ok()) fatal(fmt::format("{}: Runtime::create failed: {}", name_of(backend), rt.error().message));
    runtime_ = std::move(rt).value();
    if (auto s = runtime_->start(); !s.ok()) {
      fatal(fmt::format("{}: Runtime::start failed: {}", name_of(backend), s.error().message));
    }
    port_ = runtime_->api_port();
    if (port_ == 0) fatal(fmt::format("{}: the API server did not report its port", name_of(backend)));
    if (backend == Backend::kPostgres) check_schema_isolation();
  }

  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  ~Env() {
    runtime_->stop(std::chrono::seconds(5));
    runtime_.reset();  // closes every database connection
    if (backend_ == Backend::kSqlite) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      pg_exec(fmt::format("DROP SCHEMA {} CASCADE", schema_));
    }
  }

  Backend backend() const { return backend_; }
  std::uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  std::unique_ptr<Client> client() const { return std::make_unique<Client>(port_, token_); }

  /// Tenants in the database, by the API's own count (includes the system tenant).
  std::int64_t tenant_total() const {
    Client c(port_, token_);
    const auto r = c.send(bhttp::verb::get, "/v1/tenants?limit=1");
    expect_status(r, 200, "GET /v1/tenants?limit=1");
    const auto o = parse_object(r.body, "GET /v1/tenants?limit=1");
    const auto* total = o.if_contains("total");
    if (total == nullptr || !total->is_int64()) fatal("GET /v1/tenants: no integer \"total\": " + r.body);
    return total->as_int64();
  }

 private:
  void pg_exec(const std::string& sql) const {
    auto conn = winston::storage::connect(pg_base_url_);
    if (!conn.ok()) fatal("PostgreSQL: " + conn.error().message);
    if (auto s = conn.value()->execute_script(sql); !s.ok()) fatal(fmt::format("PostgreSQL: {}: {}", sql, s.error().message));
  }

  // The server's tables must live in our schema, not in public.
  void check_schema_isolation() const {
    auto conn = winston::storage::connect(pg_base_url_);
    if (!conn.ok()) fatal("PostgreSQL: " + conn.error().message);
    auto rows = conn.value()->query(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tenants'", {schema_});
    if (!rows.ok()) fatal("PostgreSQL: " + rows.error().message);
    if (rows.value().front().i64(0) != 1) {
      fatal(fmt::format("PostgreSQL: the migrations did not create tenants in schema {}; search_path not applied?",
                        schema_));
    }
  }

  Backend backend_;
  std::string token_;
  std::filesystem::path dir_;
  std::string pg_base_url_;
  std::string schema_;
  std::unique_ptr<winston::app::Runtime> runtime_;
  std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------
// Workloads.

struct CreateRun {
  std::vector<std::string> ids;
  std::vector<double> latency_us;
  std::vector<Clock::time_point> done_at;  // completion times, sorted
  Clock::duration wall{};
};

std::atomic<std::uint64_t> g_tenant_seq{0};

/// `clients` threads, each with its own connection, each creating `per_client`
/// tenants via POST /v1/tenants. Connections are opened before the clock starts.
CreateRun create_tenants(const Env& env, std::size_t clients, std::size_t per_client) {
  CreateRun run;
  std::mutex mu;
  std::barrier start(static_cast<std::ptrdiff_t>(clients + 1));
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&env, &mu, &start, &run, per_client] {
      auto client = env.client();
      std::vector<std::string> ids;
      std::vector<double> lat;
      std::vector<Clock::time_point> done;
      ids.reserve(per_client);
      lat.reserve(per_client);
      done.reserve(per_client);
      start.arrive_and_wait();
      for (std::size_t i = 0; i < per_client; ++i) {
        const auto n = g_tenant_seq.fetch_add(1);
        const std::string email = fmt::format("owner{}@bench{}.example.com", n, n % 97);
        json::object body{{"name", fmt::format("Bench Tenant {}", n)},
                          {"email", email},
                          {"website_url", fmt::format("https://bench{}.example.com", n)}};
        const auto t0 = Clock::now();
        auto r = client->send(bhttp::verb::post, "/v1/tenants", json::serialize(body));
        const auto t1 = Clock::now();
        expect_status(r, 201, "POST /v1/tenants");
        const auto o = parse_object(r.body, "POST /v1/tenants");
        auto id = string_field(o, "id", "POST /v1/tenants");
        if (string_field(o, "email", "POST /v1/tenants") != email) fatal("POST /v1/tenants: email mismatch: " + r.body);
        if (r.location != "/v1/tenants/" + id) fatal("POST /v1/tenants: Location is '" + r.location + "'");
        ids.push_back(std::move(id));
        lat.push_back(micros(t1 - t0));
        done.push_back(t1);
      }
      std::lock_guard lock(mu);
      run.ids.insert(run.ids.end(), ids.begin(), ids.end());
      run.latency_us.insert(run.latency_us.end(), lat.begin(), lat.end());
      run.done_at.insert(run.done_at.end(), done.begin(), done.end());
    });
  }
  start.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  run.wall = Clock::now() - t0;
  std::sort(run.done_at.begin(), run.done_at.end());
  if (run.ids.size() != clients * per_client) fatal("create: lost results");
  return run;
}

/// Creates per second over the `window` completions starting at completion index `from`.
double window_rate(const CreateRun& run, std::size_t from, std::size_t window) {
  if (from + window >= run.done_at.size() || window == 0) return 0;
  return static_cast<double>(window) / seconds(run.done_at[from + window] - run.done_at[from]);
}

struct GetRun {
  std::vector<double> latency_us;
  Clock::duration wall{};
};

/// `clients` threads each doing `per_client` GET /v1/tenants/{id} for ids drawn
/// uniformly from `ids`, after `warmup` untimed lookups each. Every response is
/// checked to be 200 and to name the id asked for.
GetRun get_tenants(const Env& env, const std::vector<std::string>& ids, std::size_t clients, std::size_t per_client,
                   std::size_t warmup) {
  GetRun run;
  std::mutex mu;
  std::barrier start(static_cast<std::ptrdiff_t>(clients + 1));
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&env, &ids, &mu, &start, &run, c, per_client, warmup] {
      auto client = env.client();
      std::mt19937_64 rng(0x5eed + c);
      std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
      const auto check = [&](const std::string& id, const Client::Reply& r) {
        const std::string what = "GET /v1/tenants/" + id;
        expect_status(r, 200, what);
        if (string_field(parse_object(r.body, what), "id", what) != id) fatal(what + ": wrong tenant: " + r.body);
      };
      for (std::size_t i = 0; i < warmup; ++i) {
        const auto& id = ids[pick(rng)];
        check(id, client->send(bhttp::verb::get, "/v1/tenants/" + id));
      }
      std::vector<double> lat;
      lat.reserve(per_client);
      start.arrive_and_wait();
      for (std::size_t i = 0; i < per_client; ++i) {
        const auto& id = ids[pick(rng)];
        const std::string target = "/v1/tenants/" + id;
        const auto t0 = Clock::now();
        auto r = client->send(bhttp::verb::get, target);
        const auto t1 = Clock::now();
        lat.push_back(micros(t1 - t0));
        check(id, r);  // outside the timed region
      }
      std::lock_guard lock(mu);
      run.latency_us.insert(run.latency_us.end(), lat.begin(), lat.end());
    });
  }
  start.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  run.wall = Clock::now() - t0;
  return run;
}

// ---------------------------------------------------------------------------
// Benchmarks and the summary table.

struct Options {
  std::size_t tenants = 10'000;
  std::size_t lookups = 20'000;
  std::size_t creates = 2'000;
  std::size_t warmup = 1'000;
};
Options g_opt;

struct SummaryRow {
  std::string name;
  std::string backend;
  std::size_t clients = 0;
  std::size_t requests = 0;
  double per_second = 0;
  Stats lat;
  std::string note;
};
std::vector<SummaryRow> g_summary;

void set_latency_counters(benchmark::State& state, const Stats& s) {
  state.counters["p50_us"] = s.p50;
  state.counters["p90_us"] = s.p90;
  state.counters["p99_us"] = s.p99;
  state.counters["p99.9_us"] = s.p999;
  state.counters["mean_us"] = s.mean;
  state.counters["max_us"] = s.max;
}

// The 10,000-tenant data set, built once per backend and shared by the lookup
// benchmarks of that backend.
struct Dataset {
  std::unique_ptr<Env> env;
  std::vector<std::string> ids;
  CreateRun seed;
};
std::map<Backend, std::unique_ptr<Dataset>> g_datasets;

Dataset& dataset(Backend b) {
  auto& d = g_datasets[b];
  if (d) return *d;
  d = std::make_unique<Dataset>();
  d->env = std::make_unique<Env>(b);
  constexpr std::size_t kSeedClients = 4;
  const std::size_t per_client = (g_opt.tenants + kSeedClients - 1) / kSeedClients;
  std::fprintf(stderr, "winston_bench: %s: creating %zu tenants for the lookup benchmarks...\n",
               std::string(name_of(b)).c_str(), per_client * kSeedClients);
  d->seed = create_tenants(*d->env, kSeedClients, per_client);
  d->ids = d->seed.ids;
  d->ids.resize(g_opt.tenants);  // exactly the data set size (rounding)
  const auto total = d->env->tenant_total();
  const auto want = static_cast<std::int64_t>(per_client * kSeedClients) + 1;  // + the system tenant
  if (total != want) fatal(fmt::format("{}: the API reports {} tenants, expected {}", name_of(b), total, want));

  const double rate = static_cast<double>(d->seed.ids.size()) / seconds(d->seed.wall);
  const std::size_t w = std::min<std::size_t>(1000, d->seed.ids.size() / 4);
  const double first = window_rate(d->seed, 0, w);
  const double last = window_rate(d->seed, d->seed.done_at.size() - w - 1, w);
  g_summary.push_back({"seed: POST /v1/tenants (0 -> " + std::to_string(d->seed.ids.size()) + " tenants)",
                       std::string(name_of(b)), kSeedClients, d->seed.ids.size(), rate, stats_of(d->seed.latency_us),
                       fmt::format("first {} {:.0f}/s, last {} {:.0f}/s", w, first, w, last)});
  return *d;
}

void bm_create(benchmark::State& state, Backend b, std::size_t clients) {
  for (auto _ : state) {
    const Env env(b);  // a fresh, empty database for every run
    const std::size_t per_client = g_opt.creates / clients;
    const auto run = create_tenants(env, clients, per_client);
    if (env.tenant_total() != static_cast<std::int64_t>(run.ids.size()) + 1) fatal("create: tenant count mismatch");
    state.SetIterationTime(seconds(run.wall));
    const double rate = static_cast<double>(run.ids.size()) / seconds(run.wall);
    const auto s = stats_of(run.latency_us);
    state.counters["creates"] = static_cast<double>(run.ids.size());
    state.counters["creates_per_s"] = rate;
    set_latency_counters(state, s);
    g_summary.push_back({"POST /v1/tenants (empty database)", std::string(name_of(b)), clients, run.ids.size(), rate,
                         s, ""});
  }
}

void bm_get(benchmark::State& state, Backend b, std::size_t clients) {
  auto& d = dataset(b);  // built outside the timed region (manual time: only the lookups count)
  for (auto _ : state) {
    const std::size_t per_client = g_opt.lookups / clients;
    const auto run = get_tenants(*d.env, d.ids, clients, per_client, g_opt.warmup);
    state.SetIterationTime(seconds(run.wall));
    const double rate = static_cast<double>(run.latency_us.size()) / seconds(run.wall);
    const auto s = stats_of(run.latency_us);
    state.counters["tenants"] = static_cast<double>(d.ids.size());
    state.counters["lookups"] = static_cast<double>(run.latency_us.size());
    state.counters["gets_per_s"] = rate;
    set_latency_counters(state, s);
    g_summary.push_back({fmt::format("GET /v1/tenants/{{id}} ({} tenants)", d.ids.size()), std::string(name_of(b)),
                         clients, run.latency_us.size(), rate, s, ""});
  }
}

void register_backend(Backend b) {
  const std::string n(name_of(b));
  for (const std::size_t clients : {std::size_t{1}, std::size_t{4}}) {
    benchmark::RegisterBenchmark(fmt::format("tenant_create/{}/clients:{}", n, clients).c_str(),
                                 [b, clients](benchmark::State& s) { bm_create(s, b, clients); })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (const std::size_t clients : {std::size_t{1}, std::size_t{4}}) {
    benchmark::RegisterBenchmark(
        fmt::format("tenant_get/{}/tenants:{}/clients:{}", n, g_opt.tenants, clients).c_str(),
        [b, clients](benchmark::State& s) { bm_get(s, b, clients); })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

void print_summary() {
  std::printf("\nSummary (latency in microseconds, measured at the client; nearest-rank percentiles)\n\n");
  std::printf("| benchmark | backend | clients | requests | req/s | p50 | p90 | p99 | p99.9 | mean | max | note |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const auto& r : g_summary) {
    std::printf("| %s | %s | %zu | %zu | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s |\n", r.name.c_str(),
                r.backend.c_str(), r.clients, r.requests, r.per_second, r.lat.p50, r.lat.p90, r.lat.p99, r.lat.p999,
                r.lat.mean, r.lat.max, r.note.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  winston::log::init(winston::log::Level::kWarn);
  g_opt.tenants = env_count("WINSTON_BENCH_TENANTS", g_opt.tenants);
  g_opt.lookups = env_count("WINSTON_BENCH_LOOKUPS", g_opt.lookups);
  g_opt.creates = env_count("WINSTON_BENCH_CREATES", g_opt.creates);
  g_opt.warmup = std::min(g_opt.warmup, g_opt.lookups);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  register_backend(Backend::kSqlite);
  if (getenv_str("WINSTON_BENCH_PG_URL")) {
    register_backend(Backend::kPostgres);
  } else if (getenv_str("WINSTON_BENCH_REQUIRE_PG") == std::optional<std::string>("1")) {
    std::fprintf(stderr, "winston_bench: WINSTON_BENCH_REQUIRE_PG=1 but WINSTON_BENCH_PG_URL is unset\n");
    return 1;
  } else {
    std::fprintf(stderr,
                 "winston_bench: SKIPPING the PostgreSQL benchmarks: WINSTON_BENCH_PG_URL is unset "
                 "(scripts/bench.sh starts a private server and sets it)\n");
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  g_datasets.clear();  // stops the servers, drops the schemas, removes the files
  return 0;
}
