// The winston executable: argument parsing and wiring only.

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>
#include <pwd.h>

#include "api/agent_api.hpp"
#include "api/audit_api.hpp"
#include "api/instance_api.hpp"
#include "api/views.hpp"
#include "app/config.hpp"
#include "app/runtime.hpp"
#include "app/smoke.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "services/tenant_service.hpp"
#include "storage/migrations.hpp"

namespace {
using namespace winston;
namespace json = boost::json;

int fail(const Error& e) {
  std::cerr << "winston: error: " << e.message;
  if (!e.field.empty() && e.message.find(e.field) == std::string::npos) std::cerr << " (" << e.field << ")";
  std::cerr << '\n';
  switch (e.code) {
    case ErrorCode::kNotFound: return 4;
    case ErrorCode::kConflict: return 5;
    case ErrorCode::kInvalidField:
    case ErrorCode::kMalformed: return 2;
    case ErrorCode::kUnavailable:
    case ErrorCode::kBadGateway:
    case ErrorCode::kGatewayTimeout: return 3;
    default: return 1;
  }
}

void print(const json::value& v) { std::cout << json::serialize(v) << '\n'; }

std::string cli_actor() {
  const passwd* pw = getpwuid(geteuid());
  return std::string("cli:") + (pw ? pw->pw_name : "unknown");
}

struct TenantArgs {
  std::string id;
  std::optional<std::string> url;
  std::optional<std::string> name, email, website, industry, tier, slug, status, q;
  std::int64_t limit = 50, offset = 0, amount_mc = 0;
  std::string reason;
  bool force = false;
  bool provision = false;               // create: also run its cell (the server's reconciler does the work)
  std::optional<std::string> backend;   // create --provision: local|railway|kubernetes
};

// Runs one tenant subcommand against the service layer the API also uses.
int run_tenant(const std::string& cmd, const TenantArgs& a, services::TenantService& svc,
               services::InstanceService& cells) {
  const services::Actor actor{cli_actor(), std::nullopt};
  if (cmd == "create") {
    services::NewTenant t{a.name.value_or(""), a.email.value_or(""), a.website.value_or(""), a.industry,
                          a.tier.value_or("free"), a.slug};
    if (a.backend && !a.provision) return fail(Error::invalid("backend", "--backend needs --provision"));
    std::optional<CellInstance> cell;
    const auto with_cell = a.provision ? cells.with_cell(actor, a.backend, cell) : nullptr;
    auto r = svc.create(actor, t, with_cell);
    if (!r.ok()) return fail(r.error());
    auto body = api::tenant_json(*r);
    if (cell) body.as_object()["instance"] = api::instance_json(services::InstanceView{*cell, {}});
    print(body);
  } else if (cmd == "list") {
    auto r = svc.list({a.status, a.tier, a.q, a.limit, a.offset});
    if (!r.ok()) return fail(r.error());
    json::array items;
    for (const auto& t : r->items) items.push_back(api::tenant_json(t));
    print({{"data", items}, {"total", r->total}});
  } else if (cmd == "show") {
    auto r = svc.get(a.id);
    if (!r.ok()) return fail(r.error());
    print(api::tenant_json(*r));
  } else if (cmd == "update") {
    services::TenantPatch p{a.name, a.email, a.website, {}, a.tier, a.status};
    if (a.industry) p.industry = a.industry->empty() ? std::optional<std::string>{} : a.industry;
    auto r = svc.update(actor, a.id, p);
    if (!r.ok()) return fail(r.error());
    print(api::tenant_json(*r));
  } else if (cmd == "delete") {
    auto r = svc.remove(actor, a.id);
    if (!r.ok()) return fail(r.error());
    if (*r == services::RemoveOutcome::kDeleted) {
      print({{"deleted", a.id}});
    } else {
      print({{"deleting", a.id}, {"note", "its cell is removed first by the running server; the tenant goes then"}});
    }
  } else if (cmd == "credit") {
    auto r = svc.adjust_credits(actor, a.id, {a.amount_mc, a.reason, a.force});
    if (!r.ok()) return fail(r.error());
    print(api::ledger_json(*r));
  } else if (cmd == "ledger") {
    auto r = svc.ledger(a.id, a.limit, a.offset);
    if (!r.ok()) return fail(r.error());
    json::array items;
    for (const auto& e : r->items) items.push_back(api::ledger_json(e));
    print({{"data", items}, {"total", r->total}});
  }
  return 0;
}

int run_tenant_agent(const std::string& cmd, const TenantArgs& a, app::Runtime& rt) {
  const services::Actor actor{cli_actor(), std::nullopt};
  if (cmd == "analyze") {
    auto r = rt.analyzer().analyze(actor, a.id, a.url);
    if (!r.ok()) return fail(r.error());
    print(services::to_json(*r));
  } else if (cmd == "profile") {
    auto r = rt.analyzer().latest(a.id);
    if (!r.ok()) return fail(r.error());
    print(services::to_json(*r));
  }
  return 0;
}

struct InstanceArgs {
  std::string tenant;
  std::optional<std::string> backend, state;
  std::int64_t limit = 50, offset = 0;
};

int print_instance(const Result<services::InstanceView>& r) {
  if (!r.ok()) return fail(r.error());
  print(api::instance_json(*r));
  return 0;
}

// Records what the operator wants; a running `winston serve` or `winston worker` does the work.
int run_instance(const std::string& cmd, const InstanceArgs& a, services::InstanceService& svc) {
  const services::Actor actor{cli_actor(), std::nullopt};
  if (cmd == "provision") return print_instance(svc.provision(actor, a.tenant, a.backend));
  if (cmd == "show") return print_instance(svc.get(a.tenant));
  if (cmd == "start") return print_instance(svc.set_desired(actor, a.tenant, DesiredState::kRunning));
  if (cmd == "stop") return print_instance(svc.set_desired(actor, a.tenant, DesiredState::kStopped));
  if (cmd == "retry") return print_instance(svc.retry(actor, a.tenant));
  if (cmd == "deprovision") return print_instance(svc.deprovision(actor, a.tenant));
  if (cmd == "events") {
    auto r = svc.events(a.tenant, a.limit, a.offset);
    if (!r.ok()) return fail(r.error());
    json::array items;
    for (const auto& e : r->items) items.push_back(api::instance_event_json(e));
    print({{"data", items}});
    return 0;
  }
  auto r = svc.list(a.state, a.limit, a.offset);
  if (!r.ok()) return fail(r.error());
  json::array items;
  for (const auto& i : r->items) items.push_back(api::instance_row_json(i));
  print({{"data", items}, {"total", r->total}});
  return 0;
}

void add_instance_commands(CLI::App& instance, InstanceArgs& a, std::string& chosen) {
  instance.require_subcommand(1);
  auto* provision = instance.add_subcommand("provision", "Give the tenant a running cell (analyze and configure first if needed)");
  provision->add_option("--backend", a.backend, "local|railway|kubernetes (default: cells.backend)");
  auto* show = instance.add_subcommand("show", "The tenant's cell: states, step, URL, last error, recent events");
  auto* start = instance.add_subcommand("start", "Run the tenant's stopped cell again");
  auto* stop = instance.add_subcommand("stop", "Stop the tenant's cell, keeping its state");
  auto* retry = instance.add_subcommand("retry", "Try a failed cell again now");
  auto* deprovision = instance.add_subcommand("deprovision", "Remove the cell's resources and state (the tenant stays)");
  auto* events = instance.add_subcommand("events", "The cell's transitions and steps, newest first");
  events->add_option("--limit", a.limit)->capture_default_str();
  events->add_option("--offset", a.offset)->capture_default_str();
  auto* list = instance.add_subcommand("list", "Every cell, newest first");
  list->add_option("--state", a.state, "Only this actual state, e.g. failed");
  list->add_option("--limit", a.limit)->capture_default_str();
  list->add_option("--offset", a.offset)->capture_default_str();
  for (auto* sub : {provision, show, start, stop, retry, deprovision, events}) {
    sub->add_option("tenant", a.tenant, "Tenant id or slug")->required();
  }
  for (auto* sub : {provision, show, start, stop, retry, deprovision, events, list}) {
    sub->callback([&chosen, sub] { chosen = sub->get_name(); });
  }
}

struct ConfigArgs {
  std::string tenant;
  std::int64_t version = 0, other = 0, limit = 50, offset = 0;
  std::string reason;
  std::optional<std::string> file;
  std::string skill;
};

int print_outcome(const Result<services::GenerateOutcome>& r) {
  if (!r.ok()) return fail(r.error());
  auto body = api::snapshot_meta_json(r->snapshot.meta);
  body["created"] = r->created;
  print(body);
  return 0;
}

int run_config(const std::string& cmd, const ConfigArgs& a, services::ConfigService& svc) {
  const services::Actor actor{cli_actor(), std::nullopt};
  if (cmd == "generate") return print_outcome(svc.generate(actor, a.tenant, a.reason));
  if (cmd == "rollback") return print_outcome(svc.rollback(actor, a.tenant, a.version));
  if (cmd == "list") {
    auto r = svc.list(a.tenant, a.limit, a.offset);
    if (!r.ok()) return fail(r.error());
    json::array items;
    for (const auto& s : r->items) items.push_back(api::snapshot_meta_json(s));
    print({{"data", items}, {"total", r->total}});
  } else if (cmd == "show") {
    auto r = svc.get(actor, a.tenant, a.version);
    if (!r.ok()) return fail(r.error());
    if (!a.file) {
      print(api::snapshot_json(*r));
      return 0;
    }
    const auto it = r->files.find(*a.file);
    if (it == r->files.end()) return fail(Error::not_found("no file " + *a.file + " in this version"));
    std::cout << it->second;
  } else if (cmd == "diff") {
    auto r = svc.diff(actor, a.tenant, a.version, a.other);
    if (!r.ok()) return fail(r.error());
    for (const auto& d : *r) std::cout << d.diff;
  }
  return 0;
}

int run_skill(const std::string& cmd, const ConfigArgs& a, services::ConfigService& svc) {
  const services::Actor actor{cli_actor(), std::nullopt};
  auto r = cmd == "list" ? svc.skills(a.tenant) : svc.set_skill(actor, a.tenant, a.skill, cmd == "enable");
  if (!r.ok()) return fail(r.error());
  json::array items;
  for (const auto& s : *r) items.push_back(api::skill_json(s));
  print({{"data", items}});
  return 0;
}

void add_config_commands(CLI::App& config, CLI::App& skill, ConfigArgs& a, std::string& chosen) {
  config.require_subcommand(1);
  auto* generate = config.add_subcommand("generate", "Generate the tenant's OpenClaw config; a new version only if it changed");
  generate->add_option("--reason", a.reason, "Why (kept with the version)");
  auto* list = config.add_subcommand("list", "List the tenant's config versions, newest first");
  list->add_option("--limit", a.limit)->capture_default_str();
  list->add_option("--offset", a.offset)->capture_default_str();
  auto* show = config.add_subcommand("show", "Show one version's files (JSON), or one file's content with --file");
  show->add_option("--file", a.file, "e.g. openclaw.json or workspace/AGENTS.md");
  auto* diff = config.add_subcommand("diff", "Unified diff between two versions");
  auto* rollback = config.add_subcommand("rollback", "Make a new version equal to an old one");
  for (auto* sub : {generate, list, show, diff, rollback}) {
    sub->add_option("tenant", a.tenant, "Tenant id or slug")->required();
    sub->callback([&chosen, sub] { chosen = "config " + sub->get_name(); });
  }
  for (auto* sub : {show, diff, rollback}) sub->add_option("version", a.version, "Version number")->required();
  diff->add_option("to", a.other, "The version to compare with")->required();
  // Winston's own configuration, not a tenant's: generated from the key table.
  auto* docs = config.add_subcommand("docs", "Print docs/configuration.md: every winston.toml key and variable");
  auto* example = config.add_subcommand("example", "Print winston.toml.example: every key with its default and help");
  for (auto* sub : {docs, example}) sub->callback([&chosen, sub] { chosen = "config " + sub->get_name(); });

  skill.require_subcommand(1);
  auto* skills = skill.add_subcommand("list", "The skills catalog with the tenant's choices");
  auto* enable = skill.add_subcommand("enable", "Enable a skill for a tenant (takes effect at the next config generate)");
  auto* disable = skill.add_subcommand("disable", "Disable a skill for a tenant");
  for (auto* sub : {skills, enable, disable}) {
    sub->add_option("tenant", a.tenant, "Tenant id or slug")->required();
    sub->callback([&chosen, sub] { chosen = "skill " + sub->get_name(); });
  }
  for (auto* sub : {enable, disable}) sub->add_option("name", a.skill, "Skill name")->required();
}

struct AgentArgs {
  std::string tenant, message;
  std::optional<std::string> session;
};

// Relays to the tenant's gateway from here (the cell's URL must be reachable from this host) and waits for the answer.
int run_agent(const AgentArgs& a, services::AgentService& svc) {
  auto r = svc.ask({cli_actor(), std::nullopt}, a.tenant, {a.message, a.session});
  if (!r.ok()) return fail(r.error());
  print(api::agent_reply_json(*r));
  return 0;
}

void add_agent_commands(CLI::App& agent, AgentArgs& a) {
  agent.require_subcommand(1);
  auto* ask = agent.add_subcommand("ask", "Send a message to the tenant's running agent and print its answer and usage");
  ask->add_option("tenant", a.tenant, "Tenant id or slug")->required();
  ask->add_option("message", a.message, "What to say (up to 16 KiB)")->required();
  ask->add_option("--session", a.session, "Continue the conversation with this id (letters, digits, ._:-)");
}

void add_tenant_commands(CLI::App& tenant, TenantArgs& a, std::string& chosen) {
  tenant.require_subcommand(1);
  auto* create = tenant.add_subcommand("create", "Create a tenant and grant its tier's monthly credits");
  create->add_option("--name", a.name, "Business name")->required();
  create->add_option("--email", a.email, "Owner email (unique)")->required();
  create->add_option("--website", a.website, "Website URL (http or https)")->required();
  create->add_option("--industry", a.industry, "Industry, e.g. cannabis-dispensary");
  create->add_option("--tier", a.tier, "free|starter|pro|enterprise (default free)");
  create->add_option("--slug", a.slug, "URL/container-safe name (default: derived from the name)");
  create->add_flag("--provision", a.provision,
                   "Also give it a cell: the running server analyzes its website, configures and starts it");
  create->add_option("--backend", a.backend, "With --provision: local|railway|kubernetes (default: cells.backend)");

  auto* list = tenant.add_subcommand("list", "List tenants, newest first");
  list->add_option("--status", a.status, "active|suspended");
  list->add_option("--tier", a.tier, "Only this tier");
  list->add_option("--q", a.q, "Name contains (case-insensitive)");
  list->add_option("--limit", a.limit, "Page size 1-200")->capture_default_str();
  list->add_option("--offset", a.offset, "Skip this many")->capture_default_str();

  auto* show = tenant.add_subcommand("show", "Show one tenant with balance and refresh date");
  auto* update = tenant.add_subcommand("update", "Change a tenant's fields");
  update->add_option("--name", a.name);
  update->add_option("--email", a.email);
  update->add_option("--website", a.website);
  update->add_option("--industry", a.industry, "Empty string clears it");
  update->add_option("--tier", a.tier);
  update->add_option("--status", a.status, "active|suspended");
  auto* del = tenant.add_subcommand(
      "delete", "Delete a tenant and everything it owns (a tenant with a cell: the cell is removed first, by the server)");
  auto* credit = tenant.add_subcommand("credit", "Adjust a tenant's balance (ledger row + audit)");
  credit->add_option("--amount-mc", a.amount_mc, "Milli-credits, negative to deduct (1 credit = 1000)")->required();
  credit->add_option("--reason", a.reason, "Why (kept in the ledger)")->required();
  credit->add_flag("--force", a.force, "Allow the balance to go below zero");
  auto* ledger = tenant.add_subcommand("ledger", "Show a tenant's ledger, newest first");
  ledger->add_option("--limit", a.limit)->capture_default_str();
  ledger->add_option("--offset", a.offset)->capture_default_str();
  auto* analyze = tenant.add_subcommand(
      "analyze", "Crawl the tenant's website and store a business profile (LLM via the running proxy at analyzer.proxy_url)");
  analyze->add_option("--url", a.url, "Analyze this URL instead of the tenant's website_url");
  auto* profile = tenant.add_subcommand("profile", "Show the tenant's latest business profile");
  for (auto* sub : {show, update, del, credit, ledger, analyze, profile}) {
    sub->add_option("id", a.id, "Tenant id or slug")->required();
  }
  for (auto* sub : {create, list, show, update, del, credit, ledger, analyze, profile}) {
    sub->callback([&chosen, sub] { chosen = sub->get_name(); });
  }
}

struct SmokeArgs {
  app::SmokeOptions options;
  std::optional<std::string> api, proxy, token_file;
  std::vector<std::string> skip;
  std::int64_t cell_timeout_s = 300;
};

void add_smoke_command(CLI::App& smoke, SmokeArgs& a) {
  smoke.add_option("--api", a.api, "The admin API's base URL (default: this config's, e.g. http://127.0.0.1:8080)");
  smoke.add_option("--proxy", a.proxy, "The LLM proxy's base URL (default: this config's, e.g. http://127.0.0.1:8081)");
  smoke.add_option("--admin-token-file", a.token_file,
                   "File with the admin token (default: WINSTON_ADMIN_TOKEN, else <data_dir>/admin_token)");
  smoke.add_flag("--with-llm", a.options.with_llm, "Also run the checks that call a real model (they cost money)");
  smoke.add_option("--skip", a.skip, "Check names not to run, e.g. --skip provisioner")->delimiter(',');
  smoke.add_option("--website", a.options.website, "The throw-away tenant's website")->capture_default_str();
  smoke.add_option("--kimi-model", a.options.kimi_model)->capture_default_str();
  smoke.add_option("--sonnet-model", a.options.sonnet_model)->capture_default_str();
  smoke.add_option("--opus-model", a.options.opus_model)->capture_default_str();
  smoke.add_option("--paid-tier", a.options.paid_tier, "A tier offered every model above")->capture_default_str();
  smoke.add_option("--cell-timeout", a.cell_timeout_s, "Seconds to wait for the cell, and for the tenant's deletion")
      ->capture_default_str();
}

// The admin token for `winston smoke`: the environment or config, else a token file.
Result<std::string> smoke_token(const app::Config& config, const SmokeArgs& a) {
  if (!config.admin_token.empty() && !a.token_file) return config.admin_token;
  const auto file = a.token_file.value_or((std::filesystem::path(config.data_dir) / "admin_token").string());
  std::ifstream in(file);
  std::string token;
  if (!(in >> token)) {
    return Error::invalid("admin_token", "no admin token: set WINSTON_ADMIN_TOKEN or pass --admin-token-file (tried " +
                                             file + ")");
  }
  return token;
}

int run_smoke_command(const app::Config& config, SmokeArgs& a) {
  for (const auto& name : a.skip) {
    if (!app::smoke_check_names().contains(name)) return fail(Error::invalid("skip", "no check named " + name));
  }
  auto token = smoke_token(config, a);
  if (!token.ok()) return fail(token.error());
  a.options.admin_token = *token;
  a.options.api_url = a.api.value_or(fmt::format("http://{}:{}", config.api_listen, config.api_port));
  a.options.proxy_url = a.proxy.value_or(fmt::format("http://{}:{}", config.proxy_listen, config.proxy_port));
  a.options.skip = {a.skip.begin(), a.skip.end()};
  a.options.cell_timeout = std::chrono::seconds(a.cell_timeout_s);
  return app::run_smoke(a.options, std::cout);
}

struct AuditArgs {
  services::AuditFilter filter;
};

// Prints one page; the next one is `--cursor <next_cursor>`.
int run_audit(const AuditArgs& a, services::AuditService& svc) {
  auto r = svc.list(a.filter);
  if (!r.ok()) return fail(r.error());
  print(api::audit_page_json(*r));
  return 0;
}

void add_audit_commands(CLI::App& audit, AuditArgs& a) {
  audit.require_subcommand(1);
  auto* list = audit.add_subcommand("list", "Audit rows, newest first (JSON, with next_cursor for the next page)");
  auto& f = a.filter;
  list->add_option("--tenant", f.tenant, "Tenant id or slug (a deleted tenant by its id)");
  list->add_option("--actor", f.actor, "Exact actor, e.g. admin or cli:root");
  list->add_option("--action", f.action, "Exact action, or a prefix ending in . or * (tenant., cell.*)");
  list->add_option("--target", f.target, "Exact target, e.g. tenant:<id>");
  list->add_option("--since", f.from, "From this time, epoch ms (inclusive)");
  list->add_option("--until", f.to, "Before this time, epoch ms (exclusive)");
  list->add_option("--limit", f.limit, "Page size 1-200")->capture_default_str();
  list->add_option("--cursor", f.cursor, "next_cursor of the previous page");
}

/// The command line: the subcommands, and what parsing fills in.
struct Cli {
  CLI::App app{
      "Winston: the control plane for managed OpenClaw agents.\n"
      "Configuration comes from winston.toml (or --config) and WINSTON_* environment variables;\n"
      "with neither, `winston serve` runs on SQLite in ./data on 127.0.0.1:8080.",
      "winston"};
  std::optional<std::string> config_file;
  CLI::App *serve = nullptr, *api_only = nullptr, *proxy_only = nullptr, *worker = nullptr, *migrate = nullptr;
  CLI::App *smoke = nullptr, *instance = nullptr, *audit = nullptr, *agent = nullptr;
  SmokeArgs smoke_args;
  AgentArgs agent_args;
  TenantArgs tenant_args;
  std::string tenant_cmd;
  ConfigArgs config_args;
  std::string config_cmd;  // "config generate", "skill list", ...
  InstanceArgs instance_args;
  std::string instance_cmd;
  AuditArgs audit_args;
};

void add_server_commands(Cli& cli) {
  auto& app = cli.app;
  cli.serve = app.add_subcommand("serve", "Run everything in one process: migrate, then serve the admin API and the LLM proxy");
  cli.api_only = app.add_subcommand("api", "Serve only the admin API (a stateless replica sharing one PostgreSQL)");
  cli.proxy_only = app.add_subcommand("proxy", "Serve only the LLM proxy (a stateless replica sharing one PostgreSQL)");
  cli.worker = app.add_subcommand("worker", "Run only the cell reconciler (several may share one PostgreSQL)");
  cli.migrate = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
}

void add_operator_commands(Cli& cli) {
  auto& app = cli.app;
  cli.instance = app.add_subcommand("instance", "A tenant's cell (its OpenClaw gateway): provision, show, stop, start, retry, deprovision");
  auto* tenant = app.add_subcommand("tenant", "Manage tenants directly on the database (no server needed)");
  auto* config = app.add_subcommand(
      "config", "A tenant's OpenClaw configuration: generate, versions, diff, rollback; Winston's own: docs, example");
  auto* skill = app.add_subcommand("skill", "A tenant's skills: list, enable, disable");
  cli.smoke = app.add_subcommand(
      "smoke", "The acceptance run against a live deployment: a throw-away tenant through every check; exit 1 on a FAIL");
  add_smoke_command(*cli.smoke, cli.smoke_args);
  cli.audit = app.add_subcommand("audit", "Read the audit log: who did what to which tenant, and when");
  cli.agent = app.add_subcommand("agent", "Talk to a tenant's running agent: ask");
  add_agent_commands(*cli.agent, cli.agent_args);
  add_tenant_commands(*tenant, cli.tenant_args, cli.tenant_cmd);
  add_config_commands(*config, *skill, cli.config_args, cli.config_cmd);
  add_instance_commands(*cli.instance, cli.instance_args, cli.instance_cmd);
  add_audit_commands(*cli.audit, cli.audit_args);
}

void build_cli(Cli& cli) {
  cli.app.require_subcommand(1);
  // Global options are accepted after the subcommand too (`winston serve --config FILE`):
  // subcommands inherit fallthrough, so what they do not know is matched here.
  cli.app.fallthrough();
  cli.app.set_version_flag("-V,--version", fmt::format("winston {} (commit {})", version(), commit()),
                           "Print the version and the commit it was built from");
  cli.app.add_option("-c,--config", cli.config_file, "TOML configuration file (default: ./winston.toml if present)");
  add_server_commands(cli);
  add_operator_commands(cli);
}

std::optional<app::Role> server_role(const Cli& cli) {
  if (cli.serve->parsed()) return app::Role::kAll;
  if (cli.api_only->parsed()) return app::Role::kApi;
  if (cli.proxy_only->parsed()) return app::Role::kProxy;
  if (cli.worker->parsed()) return app::Role::kWorker;
  return std::nullopt;
}

int run_server(const app::Config& config, app::Role role) {
  SystemClock clock;
  auto rt = app::Runtime::create(config, clock, role);
  if (!rt.ok()) return fail(rt.error());
  auto started = (*rt)->start();
  if (!started.ok()) return fail(started.error());
  (*rt)->wait_for_signal();
  return 0;
}

int run_migrate(const app::Config& config) {
  auto db = app::open_database(config);
  if (!db.ok()) return fail(db.error());
  std::cout << "schema is at version " << storage::latest_schema_version() << '\n';
  return 0;
}

// Operator commands use the same services as the server, on the same database, without listening.
int run_operator(Cli& cli, const app::Config& config) {
  SystemClock clock;
  auto rt = app::Runtime::create(config, clock, app::Role::kCli);
  if (!rt.ok()) return fail(rt.error());
  const auto& cmd = cli.config_cmd;
  if (cli.tenant_cmd == "analyze" || cli.tenant_cmd == "profile") return run_tenant_agent(cli.tenant_cmd, cli.tenant_args, **rt);
  if (cmd.starts_with("config ")) return run_config(cmd.substr(7), cli.config_args, (*rt)->configs());
  if (cmd.starts_with("skill ")) return run_skill(cmd.substr(6), cli.config_args, (*rt)->configs());
  if (cli.instance->parsed()) return run_instance(cli.instance_cmd, cli.instance_args, (*rt)->instances());
  if (cli.audit->parsed()) return run_audit(cli.audit_args, (*rt)->audit());
  if (cli.agent->parsed()) return run_agent(cli.agent_args, (*rt)->agent());
  return run_tenant(cli.tenant_cmd, cli.tenant_args, (*rt)->tenants(), (*rt)->instances());
}

}  // namespace

int main(int argc, char** argv) {
  Cli cli;
  build_cli(cli);
  CLI11_PARSE(cli.app, argc, argv);
  // Generated from the key table, so they need no configuration (scripts/config-docs.sh).
  if (cli.config_cmd == "config docs" || cli.config_cmd == "config example") {
    std::cout << (cli.config_cmd == "config docs" ? app::configuration_reference_markdown()
                                                  : app::configuration_example_toml());
    return 0;
  }

  auto config = app::load_config(cli.config_file);
  if (!config.ok()) return fail(config.error());
  const auto role = server_role(cli);
  // Operator commands print JSON on stdout; keep stderr for warnings and errors.
  log::init(role ? log::parse_level(config->log_level) : log::Level::kWarn);
  if (role) return run_server(*config, *role);
  if (cli.smoke->parsed()) return run_smoke_command(*config, cli.smoke_args);
  if (cli.migrate->parsed()) return run_migrate(*config);
  return run_operator(cli, *config);
}
