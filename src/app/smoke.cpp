#include "app/smoke.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>
#include <ostream>
#include <thread>
#include <vector>

#include "core/cell.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/blocking_client.hpp"

namespace winston::app {
namespace json = boost::json;
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kFreeAllotmentMc = 50'000 * 1000;  // the POC's free tier: 50,000 credits a month
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

/// One HTTP answer, or why there was none.
struct Reply {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
  std::string transport_error;

  /// The body parsed once (null when it is not JSON); references into it live as long as the Reply.
  const json::value& json() const {
    if (!parsed_) {
      boost::system::error_code ec;
      auto v = json::parse(body, ec);
      parsed_ = ec ? json::value(nullptr) : std::move(v);
    }
    return *parsed_;
  }
  std::string header(std::string_view name) const { return std::string(headers[name]); }
  /// "HTTP 404: {...}" (the body cut short), or the transport error.
  std::string brief() const {
    if (!transport_error.empty()) return transport_error;
    return fmt::format("HTTP {}: {}", status, body.substr(0, 240));
  }

 private:
  mutable std::optional<json::value> parsed_;
};

/// The value at `path` (object keys), or null.
const json::value* at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto key : path) {
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    const auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
  }
  return cur;
}
std::int64_t int_at(const json::value& v, std::initializer_list<std::string_view> path) {
  const auto* x = at(v, path);
  return x && x->is_int64() ? x->as_int64() : (x && x->is_uint64() ? static_cast<std::int64_t>(x->as_uint64()) : -1);
}
/// The array at `path`, or an empty one (an error answer has none).
const json::array& array_at(const json::value& v, std::initializer_list<std::string_view> path) {
  static const json::array kEmpty;
  const auto* x = at(v, path);
  return x && x->is_array() ? x->as_array() : kEmpty;
}
std::string str_at(const json::value& v, std::initializer_list<std::string_view> path) {
  const auto* x = at(v, path);
  return x && x->is_string() ? std::string(x->as_string()) : std::string{};
}

class Endpoint {
 public:
  Endpoint(std::string base, std::chrono::seconds timeout) : base_(std::move(base)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    options_.connect_timeout = 10s;
    options_.response_timeout = timeout;
  }
  Reply call(std::string method, const std::string& path, std::vector<std::pair<std::string, std::string>> headers,
             std::string body = {}) const {
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    http::BlockingRequest req{std::move(method), base_ + path, std::move(headers), std::move(body)};
    auto r = http::blocking_call(req, options_);
    Reply out;
    if (!r.ok()) {
      out.transport_error = r.error().message;
      return out;
    }
    out.status = r->status;
    out.body = std::move(r->body);
    out.headers = std::move(r->headers);
    return out;
  }

 private:
  std::string base_;
  http::BlockingOptions options_;
};

struct Verdict {
  bool ok = false;
  std::string reason;
};
Verdict pass(std::string reason) { return {true, std::move(reason)}; }
Verdict failure(std::string reason) { return {false, std::move(reason)}; }
Verdict unexpected(std::string_view what, const Reply& r, unsigned want) {
  return failure(fmt::format("{}: expected HTTP {}, got {}", what, want, r.brief()));
}

/// One proxied call as the client saw it and as the ledger recorded it.
struct Metered {
  std::string model;
  std::int64_t input_seen = 0, output_seen = 0;  // from the response body's usage
  json::value row;                               // the credit_usage row
  double per_token() const {
    const auto tokens = int_at(row, {"input_tokens"}) + int_at(row, {"output_tokens"}) +
                        int_at(row, {"cache_creation_tokens"}) + int_at(row, {"cache_read_tokens"});
    return tokens > 0 ? static_cast<double>(int_at(row, {"credits_mc"})) / static_cast<double>(tokens) : 0.0;
  }
};

struct CheckDef;

class Smoke {
 public:
  explicit Smoke(const SmokeOptions& o)
      : o_(o), api_(o.api_url, o.call_timeout), proxy_(o.proxy_url, o.call_timeout), suffix_(random_hex(4)) {}
  int run(std::ostream& out);

  // The checks, in the order they run; each leaves what later ones need in the members below.
  Verdict tenant_create();
  Verdict tenant_validation();
  Verdict tenant_read();
  Verdict tenant_list();
  Verdict tenant_update();
  Verdict credits_adjust();
  Verdict tier_allocation();
  Verdict config_generate();
  Verdict skills();
  Verdict analyzer();
  Verdict routing_kimi();
  Verdict routing_claude();
  Verdict routing_opus();
  Verdict metering_tokens();
  Verdict credits_low_warning();
  Verdict credits_402();
  Verdict errors();
  Verdict provisioner();
  Verdict tenant_delete();

 private:
  Reply admin(std::string method, const std::string& path, std::string body = {}) const {
    return api_.call(std::move(method), path, {{"Authorization", "Bearer " + o_.admin_token}}, std::move(body));
  }
  std::string tenant_path(std::string_view rest = {}) const { return "/v1/tenants/" + tenant_id_ + std::string(rest); }
  std::optional<json::value> tenant() const;
  Verdict ensure_key();
  /// Sends one small request of `model` in the wire format its name suggests; records it when metered.
  Verdict call_model(const std::string& model, std::optional<Metered>& out);
  Reply llm(const std::string& model, const std::string& key) const;
  Verdict ratio_to_kimi(const std::optional<Metered>& m, double expected);
  Verdict set_balance(std::int64_t target_mc);

  const SmokeOptions& o_;
  Endpoint api_, proxy_;
  std::string suffix_;
  std::string tenant_id_, slug_, email_, key_;
  bool deleted_ = false;
  std::int64_t config_version_ = 0;
  json::object config_files_;
  std::optional<Metered> kimi_, claude_, opus_;
};

struct CheckDef {
  const char* name;
  bool calls_model;       // costs money on a real provider: only with --with-llm
  bool needs_tenant;
  Verdict (Smoke::*fn)();
};

const std::vector<CheckDef>& checks() {
  static const std::vector<CheckDef> kChecks = {
      {"tenant.create", false, false, &Smoke::tenant_create},
      {"tenant.validation", false, true, &Smoke::tenant_validation},
      {"tenant.read", false, true, &Smoke::tenant_read},
      {"tenant.list", false, true, &Smoke::tenant_list},
      {"tenant.update", false, true, &Smoke::tenant_update},
      {"credits.adjust", false, true, &Smoke::credits_adjust},
      {"tier.allocation", false, true, &Smoke::tier_allocation},
      {"config.generate", false, true, &Smoke::config_generate},
      {"skills", false, true, &Smoke::skills},
      {"analyzer", true, true, &Smoke::analyzer},
      {"routing.kimi_1x", true, true, &Smoke::routing_kimi},
      {"routing.claude_5x", true, true, &Smoke::routing_claude},
      {"routing.opus_12x", true, true, &Smoke::routing_opus},
      {"metering.tokens", true, true, &Smoke::metering_tokens},
      {"credits.low_warning", true, true, &Smoke::credits_low_warning},
      {"credits.402", false, true, &Smoke::credits_402},
      {"errors", false, true, &Smoke::errors},
      {"provisioner", false, true, &Smoke::provisioner},
      {"tenant.delete", false, true, &Smoke::tenant_delete},
  };
  return kChecks;
}

std::optional<json::value> Smoke::tenant() const {
  auto r = admin("GET", tenant_path());
  if (r.status != 200) return std::nullopt;
  return r.json();
}

Verdict Smoke::tenant_create() {
  email_ = "smoke-" + suffix_ + "@example.com";
  const json::object body{{"name", "Winston Smoke " + suffix_}, {"email", email_}, {"website_url", o_.website},
                          {"tier", "free"}};
  const auto before = SystemClock().now_ms();
  auto r = admin("POST", "/v1/tenants", json::serialize(body));
  if (r.status != 201) return unexpected("POST /v1/tenants", r, 201);
  const auto t = r.json();
  tenant_id_ = str_at(t, {"id"});
  slug_ = str_at(t, {"slug"});
  if (tenant_id_.empty() || slug_.empty()) return failure("the created tenant has no id or slug: " + r.body);
  if (str_at(t, {"tier"}) != "free") return failure("tier is '" + str_at(t, {"tier"}) + "', not free");
  const auto allotment = int_at(t, {"monthly_allotment_mc"});
  if (allotment != kFreeAllotmentMc || int_at(t, {"balance_mc"}) != allotment) {
    return failure(fmt::format("free tier: allotment {} mc and balance {} mc, expected {} mc each", allotment,
                               int_at(t, {"balance_mc"}), kFreeAllotmentMc));
  }
  const auto created = int_at(t, {"created_at"});
  const auto updated = int_at(t, {"updated_at"});
  // The deployment's clock may differ from ours; ten minutes is generous.
  if (std::abs(created - before) > 600'000 || updated < created) {
    return failure(fmt::format("timestamps off: created_at {}, updated_at {}, local clock {}", created, updated, before));
  }
  return pass("201, free tier with 50,000 credits granted, created_at/updated_at set");
}

Verdict Smoke::tenant_validation() {
  const auto bad = admin("POST", "/v1/tenants",
                         R"({"name":"Smoke Bad","email":"not-an-email","website_url":"https://example.com"})");
  if (bad.status != 422 || str_at(bad.json(), {"error", "field"}) != "email") {
    return unexpected("a malformed email", bad, 422);
  }
  const json::object dup{{"name", "Smoke Dup " + suffix_}, {"email", email_}, {"website_url", o_.website}};
  const auto duplicate = admin("POST", "/v1/tenants", json::serialize(dup));
  if (duplicate.status != 409) return unexpected("a duplicate email", duplicate, 409);
  const auto missing = admin("POST", "/v1/tenants", R"({"email":"x@example.com","website_url":"https://example.com"})");
  if (missing.status != 422) return unexpected("a missing name", missing, 422);
  return pass("malformed email 422 naming the field, duplicate email 409, missing name 422");
}

Verdict Smoke::tenant_read() {
  const auto by_id = admin("GET", tenant_path());
  if (by_id.status != 200) return unexpected("GET by id", by_id, 200);
  const auto by_slug = admin("GET", "/v1/tenants/" + slug_);
  if (by_slug.status != 200 || str_at(by_slug.json(), {"id"}) != tenant_id_) return unexpected("GET by slug", by_slug, 200);
  const auto missing = admin("GET", "/v1/tenants/no-such-tenant-" + suffix_);
  if (missing.status != 404) return unexpected("GET of an unknown tenant", missing, 404);
  return pass("by id and by slug; an unknown tenant is 404");
}

Verdict Smoke::tenant_list() {
  const auto r = admin("GET", "/v1/tenants?q=" + suffix_ + "&limit=10");
  if (r.status != 200) return unexpected("GET /v1/tenants", r, 200);
  const auto* data = at(r.json(), {"data"});
  if (!data || !data->is_array()) return failure("no data array: " + r.body);
  for (const auto& item : data->as_array()) {
    if (str_at(item, {"id"}) == tenant_id_) {
      return pass(fmt::format("found by name search; total {}", int_at(r.json(), {"total"})));
    }
  }
  return failure("the new tenant is not in GET /v1/tenants?q=" + suffix_);
}

Verdict Smoke::tenant_update() {
  const auto before = tenant();
  if (!before) return failure("cannot read the tenant");
  std::this_thread::sleep_for(20ms);  // timestamps are milliseconds: let updated_at move
  const std::string website = "https://smoke-" + suffix_ + ".example.com";
  const json::object patch{{"website_url", website}, {"industry", "cannabis-dispensary"}};
  const auto r = admin("PATCH", tenant_path(), json::serialize(patch));
  if (r.status != 200) return unexpected("PATCH", r, 200);
  const auto after = tenant();
  if (!after) return failure("cannot read the tenant after the update");
  if (str_at(*after, {"website_url"}) != website || str_at(*after, {"industry"}) != "cannabis-dispensary") {
    return failure("the update did not persist: " + json::serialize(*after));
  }
  if (int_at(*after, {"updated_at"}) <= int_at(*before, {"updated_at"}) ||
      int_at(*after, {"created_at"}) != int_at(*before, {"created_at"})) {
    return failure("updated_at did not advance (or created_at moved): the updated_at trigger");
  }
  return pass("website and industry persisted; updated_at advanced, created_at kept");
}

Verdict Smoke::credits_adjust() {
  const auto before = tenant();
  if (!before) return failure("cannot read the tenant");
  const auto balance = int_at(*before, {"balance_mc"});
  const auto r = admin("POST", tenant_path("/credits"), R"({"amount_mc":1234,"reason":"winston smoke"})");
  if (r.status != 201) return unexpected("POST credits", r, 201);
  if (int_at(r.json(), {"balance_after_mc"}) != balance + 1234) return failure("balance_after_mc is wrong: " + r.body);
  const json::object overdraw{{"amount_mc", -(balance + 1234 + 1)}, {"reason", "smoke overdraft"}};
  const auto refused = admin("POST", tenant_path("/credits"), json::serialize(overdraw));
  if (refused.status != 409) return unexpected("an overdraft", refused, 409);
  const auto ledger = admin("GET", tenant_path("/ledger?limit=200"));
  if (ledger.status != 200) return unexpected("GET ledger", ledger, 200);
  std::int64_t sum = 0;
  for (const auto& e : array_at(ledger.json(), {"data"})) sum += int_at(e, {"amount_mc"});
  const auto now = tenant();
  if (!now || int_at(*now, {"balance_mc"}) != balance + 1234 || sum != balance + 1234) {
    return failure(fmt::format("balance {} mc, sum of ledger rows {} mc, expected {} mc",
                               now ? int_at(*now, {"balance_mc"}) : -1, sum, balance + 1234));
  }
  return pass("+1.234 credits as a ledger row; overdraft refused 409; balance == sum of ledger rows");
}

Verdict Smoke::tier_allocation() {
  const auto before = tenant();
  if (!before) return failure("cannot read the tenant");
  const auto created = int_at(*before, {"created_at"});
  const auto refresh = int_at(*before, {"refresh_at"});
  if (refresh < created + 27 * kDayMs || refresh > created + 32 * kDayMs) {
    return failure(fmt::format("refresh_at {} is not one calendar month after created_at {}", refresh, created));
  }
  const json::object patch{{"tier", o_.paid_tier}};
  const auto r = admin("PATCH", tenant_path(), json::serialize(patch));
  if (r.status != 200) return unexpected("PATCH tier", r, 200);
  const auto allotment = int_at(r.json(), {"monthly_allotment_mc"});
  if (str_at(r.json(), {"tier"}) != o_.paid_tier || allotment <= kFreeAllotmentMc) {
    return failure(fmt::format("tier {} with allotment {} mc: not above the free tier's", str_at(r.json(), {"tier"}),
                               allotment));
  }
  return pass(fmt::format("free 50,000 credits/month, refresh in {} days; {} {} credits/month",
                          (refresh - created) / kDayMs, o_.paid_tier, allotment / 1000));
}

Verdict Smoke::config_generate() {
  const auto r = admin("POST", tenant_path("/configs"), R"({"reason":"winston smoke"})");
  if (r.status != 201 && r.status != 200) return unexpected("POST configs", r, 201);
  config_version_ = int_at(r.json(), {"version"});
  const auto shown = admin("GET", tenant_path("/configs/" + std::to_string(config_version_)));
  if (shown.status != 200) return unexpected("GET the config version", shown, 200);
  const auto* files = at(shown.json(), {"files"});
  if (!files || !files->is_object()) return failure("no files in the snapshot: " + shown.brief());
  config_files_ = files->as_object();
  for (const char* f : {"openclaw.json", "workspace/SOUL.md", "workspace/AGENTS.md", "workspace/USER.md",
                        "workspace/IDENTITY.md"}) {
    const auto* content = config_files_.if_contains(f);
    if (!content || !content->is_string() || content->as_string().empty()) return failure(std::string("missing ") + f);
  }
  boost::system::error_code ec;
  const auto openclaw = json::parse(config_files_.at("openclaw.json").as_string(), ec);
  if (ec) return failure("openclaw.json is not JSON: " + ec.message());
  // The gateway token is the tenant's own, sealed in Winston; the config only names the variable that carries it.
  if (str_at(openclaw, {"gateway", "auth", "mode"}) != "token" ||
      str_at(openclaw, {"gateway", "auth", "token"}) != "${OPENCLAW_GATEWAY_TOKEN}") {
    return failure("openclaw.json gateway.auth is not token auth through ${OPENCLAW_GATEWAY_TOKEN}");
  }
  const std::string agents(config_files_.at("workspace/AGENTS.md").as_string());
  if (agents.find("No medical claims") == std::string::npos || agents.find("+ only") == std::string::npos) {
    return failure("AGENTS.md lacks the dispensary rules (age limit, no medical claims)");
  }
  return pass(fmt::format("v{}: openclaw.json (per-tenant gateway token, sealed) and the four Markdown files; "
                          "dispensary rules in AGENTS.md",
                          config_version_));
}

Verdict Smoke::skills() {
  const auto r = admin("GET", tenant_path("/skills"));
  if (r.status != 200) return unexpected("GET skills", r, 200);
  std::vector<std::string> missing;
  for (const char* name : {"inventory-lookup", "sales-summary", "social-media"}) {
    bool enabled = false;
    for (const auto& s : array_at(r.json(), {"data"})) {
      if (str_at(s, {"name"}) == name && at(s, {"enabled"}) && at(s, {"enabled"})->is_bool()) {
        enabled = at(s, {"enabled"})->as_bool();
      }
    }
    const bool in_config = config_files_.contains(fmt::format("workspace/skills/{}/SKILL.md", name));
    if (!enabled || (config_version_ > 0 && !in_config)) missing.emplace_back(name);
  }
  if (!missing.empty()) return failure(fmt::format("not enabled or not in the config: {}", fmt::join(missing, ", ")));
  return pass("inventory-lookup, sales-summary, social-media enabled and in the generated workspace");
}

Verdict Smoke::analyzer() {
  const json::object body{{"url", o_.website}};
  const auto r = admin("POST", tenant_path("/analyze"), json::serialize(body));
  if (r.status != 201) {
    return failure(fmt::format("POST analyze of {} (set a reachable site with --website): expected HTTP 201, got {}",
                               o_.website, r.brief()));
  }
  const auto version = int_at(r.json(), {"version"});
  const auto source = str_at(r.json(), {"source"});
  if (version < 1 || (source != "llm" && source != "extracted")) return failure("no profile version/source: " + r.body);
  const auto latest = admin("GET", tenant_path("/profile"));
  if (latest.status != 200 || int_at(latest.json(), {"version"}) != version) return unexpected("GET profile", latest, 200);
  return pass(fmt::format("profile v{} (source: {}{})", version, source,
                          source == "extracted" ? ", the website or the model gave no analysis" : ""));
}

Verdict Smoke::ensure_key() {
  if (!key_.empty()) return pass("");
  const auto r = admin("POST", tenant_path("/keys"), R"({"name":"winston smoke"})");
  if (r.status != 201) return unexpected("POST keys", r, 201);
  key_ = str_at(r.json(), {"key"});
  if (key_.empty()) return failure("the key was not returned");
  return pass("");
}

Reply Smoke::llm(const std::string& model, const std::string& key) const {
  const bool claude = model.starts_with("claude");
  const json::object body{{"model", model},
                          {"max_tokens", 16},
                          {"messages", json::array{json::object{{"role", "user"}, {"content", "Reply with one word: ok"}}}}};
  if (claude) {
    return proxy_.call("POST", "/v1/messages", {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}},
                       json::serialize(body));
  }
  return proxy_.call("POST", "/v1/chat/completions", {{"Authorization", "Bearer " + key}}, json::serialize(body));
}

Verdict Smoke::call_model(const std::string& model, std::optional<Metered>& out) {
  if (auto k = ensure_key(); !k.ok) return k;
  const auto r = llm(model, key_);
  if (r.status != 200) return unexpected("POST " + model + " through the proxy", r, 200);
  const auto body = r.json();
  Metered m{model, 0, 0, nullptr};
  const bool claude = model.starts_with("claude");
  m.input_seen = int_at(body, {"usage", claude ? "input_tokens" : "prompt_tokens"});
  m.output_seen = int_at(body, {"usage", claude ? "output_tokens" : "completion_tokens"});
  const auto request_id = r.header("X-Winston-Request-Id");
  const auto usage = admin("GET", tenant_path("/usage?limit=50"));
  if (usage.status != 200) return unexpected("GET usage", usage, 200);
  for (const auto& row : array_at(usage.json(), {"data"})) {
    if (str_at(row, {"request_id"}) == request_id) m.row = row;
  }
  if (m.row.is_null()) return failure("no credit_usage row for request " + request_id);
  if (r.header("X-Winston-Credits-Warning") == "low") return failure("a low-credit warning on a full balance");
  out = std::move(m);
  return pass("");
}

Verdict Smoke::ratio_to_kimi(const std::optional<Metered>& m, double expected) {
  if (!kimi_) return failure("needs routing.kimi_1x (the 1x reference)");
  const double ratio = m->per_token() / kimi_->per_token();
  // Charges are whole milli-credits rounded up: allow one of them on the smaller side, plus 1 %.
  const double tokens = static_cast<double>(int_at(m->row, {"input_tokens"}) + int_at(m->row, {"output_tokens"}));
  const double tolerance = expected * 0.01 + expected / std::max(1.0, tokens) + 1.0 / std::max(1.0, tokens);
  const auto text = fmt::format("{}: {} mc for {} tokens, {:.2f}x Kimi's charge per token (upstream {})", m->model,
                                int_at(m->row, {"credits_mc"}), static_cast<std::int64_t>(tokens), ratio,
                                str_at(m->row, {"provider"}));
  if (std::abs(ratio - expected) > tolerance) return failure(fmt::format("expected {}x; {}", expected, text));
  return pass(text);
}

Verdict Smoke::routing_kimi() {
  // A full month's allotment of the paid tier, so no low-credit rule applies to the routing checks.
  const auto t = tenant();
  if (!t) return failure("cannot read the tenant");
  if (auto v = set_balance(int_at(*t, {"monthly_allotment_mc"})); !v.ok) return v;
  if (auto v = call_model(o_.kimi_model, kimi_); !v.ok) return v;
  const double per_token = kimi_->per_token();
  const auto tokens = int_at(kimi_->row, {"input_tokens"}) + int_at(kimi_->row, {"output_tokens"});
  // 1 credit = 1,000 tokens at 1.0x: one milli-credit a token, rounded up once per request.
  if (std::abs(per_token - 1.0) > 1.0 / static_cast<double>(std::max<std::int64_t>(1, tokens)) + 1e-9) {
    return failure(fmt::format("{} mc for {} tokens: not 1 credit per 1,000 tokens", int_at(kimi_->row, {"credits_mc"}),
                               tokens));
  }
  return pass(fmt::format("{}: {} mc for {} tokens (1 credit per 1,000 tokens), provider {}", o_.kimi_model,
                          int_at(kimi_->row, {"credits_mc"}), tokens, str_at(kimi_->row, {"provider"})));
}

Verdict Smoke::routing_claude() {
  if (auto v = call_model(o_.sonnet_model, claude_); !v.ok) return v;
  return ratio_to_kimi(claude_, 5.0);
}

Verdict Smoke::routing_opus() {
  if (auto v = call_model(o_.opus_model, opus_); !v.ok) return v;
  return ratio_to_kimi(opus_, 12.0);
}

Verdict Smoke::metering_tokens() {
  std::int64_t rows = 0;
  for (const auto* m : {&kimi_, &claude_, &opus_}) {
    if (!*m) continue;
    ++rows;
    const auto in = int_at((*m)->row, {"input_tokens"});
    const auto out = int_at((*m)->row, {"output_tokens"});
    if (in <= 0 || out <= 0 || in != (*m)->input_seen || out != (*m)->output_seen) {
      return failure(fmt::format("{}: credit_usage has {} in / {} out, the response said {} / {}", (*m)->model, in, out,
                                 (*m)->input_seen, (*m)->output_seen));
    }
  }
  if (rows == 0) return failure("needs a routed request");
  const auto ledger = admin("GET", tenant_path("/ledger?limit=200"));
  const auto now = tenant();
  std::int64_t sum = 0;
  for (const auto& e : array_at(ledger.json(), {"data"})) sum += int_at(e, {"amount_mc"});
  if (!now || sum != int_at(*now, {"balance_mc"})) return failure("balance != sum of ledger rows after usage");
  return pass(fmt::format("{} requests: input and output tokens stored apart, equal to the upstream's usage; "
                          "balance == sum of ledger rows",
                          rows));
}

Verdict Smoke::set_balance(std::int64_t target_mc) {
  const auto t = tenant();
  if (!t) return failure("cannot read the tenant");
  const auto delta = target_mc - int_at(*t, {"balance_mc"});
  if (delta == 0) return pass("");
  const json::object adj{{"amount_mc", delta}, {"reason", "winston smoke"}};
  const auto r = admin("POST", tenant_path("/credits"), json::serialize(adj));
  if (r.status != 201) return unexpected("POST credits", r, 201);
  return pass("");
}

Verdict Smoke::credits_low_warning() {
  const auto t = tenant();
  if (!t) return failure("cannot read the tenant");
  const auto allotment = int_at(*t, {"monthly_allotment_mc"});
  if (auto v = set_balance(allotment * 19 / 100); !v.ok) return v;  // just under 20 %
  if (auto k = ensure_key(); !k.ok) return k;
  const auto r = llm(o_.kimi_model, key_);
  if (r.status != 200) return unexpected("a request below 20 %", r, 200);
  if (r.header("X-Winston-Credits-Warning") != "low" || r.header("X-Winston-Credits-Remaining").empty()) {
    return failure("no X-Winston-Credits-Warning: low / X-Winston-Credits-Remaining at 19 % of the allotment");
  }
  return pass("at 19 % of the allotment: 200 with X-Winston-Credits-Warning: low, remaining " +
              r.header("X-Winston-Credits-Remaining"));
}

Verdict Smoke::credits_402() {
  if (auto v = set_balance(0); !v.ok) return v;
  if (auto k = ensure_key(); !k.ok) return k;
  const auto usage_before = int_at(admin("GET", tenant_path("/usage?limit=1")).json(), {"total"});
  const auto openai = llm(o_.kimi_model, key_);
  if (openai.status != 402 || str_at(openai.json(), {"error", "message"}).empty()) {
    return unexpected("a Chat Completions request at zero", openai, 402);
  }
  const auto anthropic = llm(o_.sonnet_model, key_);
  if (anthropic.status != 402 || str_at(anthropic.json(), {"type"}) != "error" ||
      str_at(anthropic.json(), {"error", "message"}).empty()) {
    return unexpected("a Messages request at zero", anthropic, 402);
  }
  const auto usage_after = int_at(admin("GET", tenant_path("/usage?limit=1")).json(), {"total"});
  const auto t = tenant();
  if (usage_after != usage_before || !t || int_at(*t, {"balance_mc"}) != 0) {
    return failure("a refused request left a usage row or moved the balance");
  }
  return pass("402 on both APIs in their error shapes, nothing metered: \"" +
              str_at(openai.json(), {"error", "message"}).substr(0, 90) + "\"");
}

Verdict Smoke::errors() {
  const auto no_token = api_.call("GET", "/v1/tenants", {});
  if (no_token.status != 401 || str_at(no_token.json(), {"error", "code"}).empty()) {
    return unexpected("the admin API without a token", no_token, 401);
  }
  const auto malformed = admin("POST", "/v1/tenants", "{\"name\":");
  if (malformed.status != 400) return unexpected("malformed JSON", malformed, 400);
  const auto too_big = admin("POST", "/v1/tenants", std::string(70 * 1024, ' '));
  if (too_big.status != 413) return unexpected("a 70 KiB body", too_big, 413);
  const auto bad_key = proxy_.call("POST", "/v1/messages", {{"x-api-key", "wsk_not_a_key"}, {"anthropic-version", "2023-06-01"}},
                                   R"({"model":"x","max_tokens":1,"messages":[]})");
  if (bad_key.status != 401 || str_at(bad_key.json(), {"error", "type"}) != "authentication_error") {
    return unexpected("the proxy with an unknown key (Anthropic shape)", bad_key, 401);
  }
  if (auto k = ensure_key(); !k.ok) return k;
  const auto unknown_model = llm("no-such-model-" + suffix_, key_);
  if (unknown_model.status != 404 || str_at(unknown_model.json(), {"error", "message"}).empty()) {
    return unexpected("an unknown model (OpenAI shape)", unknown_model, 404);
  }
  return pass("401 without a token, 400 malformed JSON, 413 over the body limit, 401 bad key and 404 unknown "
              "model in the LLM APIs' shapes");
}

Verdict Smoke::provisioner() {
  const auto started = std::chrono::steady_clock::now();
  const auto r = admin("POST", tenant_path("/instance"), "{}");
  if (r.status != 201 && r.status != 202 && r.status != 200) return unexpected("POST instance", r, 201);
  std::string last;
  while (std::chrono::steady_clock::now() - started < o_.cell_timeout) {
    const auto shown = admin("GET", tenant_path("/instance"));
    const auto j = shown.json();
    const auto shown_state = str_at(j, {"actual_state"});
    last = fmt::format("{} ({})", shown_state, str_at(j, {"step"}));
    const auto state = parse_cell_state(shown_state);
    if (state == CellState::kRunning) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
      return pass(fmt::format("{} cell running in {} s at {}", str_at(j, {"backend"}), secs.count(), str_at(j, {"url"})));
    }
    if (state == CellState::kFailed) return failure("the cell failed: " + str_at(j, {"last_error"}));
    std::this_thread::sleep_for(2s);
  }
  return failure(fmt::format("not running after {} s; last seen {}", o_.cell_timeout.count(), last));
}

Verdict Smoke::tenant_delete() {
  const auto r = admin("DELETE", tenant_path());
  if (r.status != 204 && r.status != 202) return unexpected("DELETE", r, 204);
  const auto started = std::chrono::steady_clock::now();
  while (admin("GET", tenant_path()).status != 404) {
    if (std::chrono::steady_clock::now() - started > o_.cell_timeout) return failure("the tenant is still there");
    std::this_thread::sleep_for(1s);
  }
  deleted_ = true;
  for (const char* rest : {"/ledger", "/usage", "/configs", "/keys", "/skills"}) {
    const auto child = admin("GET", tenant_path(rest));
    if (child.status != 404) return unexpected(std::string("GET ") + rest + " after the delete", child, 404);
  }
  if (!key_.empty()) {
    // The proxy caches keys for a few seconds; the cascade removed this one.
    Reply models;
    for (int i = 0; i < 20; ++i) {
      models = proxy_.call("GET", "/v1/models", {{"Authorization", "Bearer " + key_}});
      if (models.status == 401) break;
      std::this_thread::sleep_for(1s);
    }
    if (models.status != 401) return unexpected("the deleted tenant's key", models, 401);
  }
  return pass(fmt::format("{} then 404; ledger, usage, configs, keys gone (cascade); its key refused",
                          r.status));
}

int Smoke::run(std::ostream& out) {
  struct Line {
    std::string name, result, reason;
  };
  std::vector<Line> lines;
  int failed = 0, passed = 0, skipped = 0;
  for (const auto& c : checks()) {
    Line line{c.name, "", ""};
    if (o_.skip.contains(c.name)) {
      line.result = "SKIP";
      line.reason = "skipped with --skip";
    } else if (c.calls_model && !o_.with_llm) {
      line.result = "SKIP";
      line.reason = "calls a real model (costs money): run with --with-llm";
    } else if (c.needs_tenant && (tenant_id_.empty() || deleted_)) {
      line.result = "FAIL";
      line.reason = "needs the tenant of tenant.create";
    } else {
      const auto v = (this->*c.fn)();
      line.result = v.ok ? "PASS" : "FAIL";
      line.reason = v.reason;
    }
    (line.result == "PASS" ? passed : line.result == "FAIL" ? failed : skipped) += 1;
    out << fmt::format("{:<20} {:<5} {}\n", line.name, line.result, line.reason) << std::flush;
    lines.push_back(std::move(line));
  }
  if (!tenant_id_.empty() && !deleted_) {
    const auto r = admin("DELETE", tenant_path());
    out << fmt::format("cleanup: DELETE {} -> {}\n", tenant_id_, r.brief().substr(0, 80));
  }
  out << fmt::format("{} checks: {} passed, {} failed, {} skipped\n", lines.size(), passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}

}  // namespace

const std::set<std::string>& smoke_check_names() {
  static const std::set<std::string> kNames = [] {
    std::set<std::string> s;
    for (const auto& c : checks()) s.insert(c.name);
    return s;
  }();
  return kNames;
}

int run_smoke(const SmokeOptions& options, std::ostream& out) {
  out << fmt::format("{:<20} {:<5} {}\n", "CHECK", "RESULT", "REASON");
  Smoke smoke(options);
  return smoke.run(out);
}

}  // namespace winston::app
