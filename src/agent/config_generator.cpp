#include "agent/config_generator.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include <algorithm>

#include "core/text.hpp"
#include "core/utf8.hpp"

namespace winston::agent {
namespace {

namespace json = boost::json;
using kainjow::mustache::data;

constexpr std::size_t kInlineChars = 300;     // one value on one line
constexpr std::size_t kParagraphChars = 1'200;
constexpr std::size_t kListItems = 20;

bool is_space_like(char32_t cp) { return cp < 0x20 || cp == 0x7F || cp == ' ' || cp == 0x85 || cp == 0xA0 || cp == 0x2028 || cp == 0x2029; }

data string_list(const std::vector<std::string>& items, std::size_t max_chars) {
  data list{data::type::list};
  for (std::size_t i = 0; i < items.size() && i < kListItems; ++i) {
    const auto text = markdown_inline(items[i], max_chars);
    if (!text.empty()) list.push_back(data(text));
  }
  return list;
}

/// Sets `key` only for non-empty text: kainjow treats an empty string as true in sections.
void set_text(data& d, const std::string& key, std::string_view text, std::size_t max_chars = kInlineChars) {
  auto v = markdown_inline(text, max_chars);
  if (!v.empty()) d.set(key, v);
}

void set_list(data& d, const std::string& key, const std::vector<std::string>& items, std::size_t max_chars = 160) {
  auto list = string_list(items, max_chars);
  d.set("has_" + key, data(!list.is_empty_list()));
  d.set(key, std::move(list));
}

bool is_cannabis(const BusinessProfile& p) {
  const std::string industry = to_lower(p.industry);
  return industry.find("cannabis") != std::string::npos || industry.find("dispensar") != std::string::npos ||
         industry.find("marijuana") != std::string::npos;
}

std::string location_line(const BusinessLocation& l) {
  std::string out;
  for (const auto* part : {&l.city, &l.region}) {
    if (part->empty()) continue;
    if (!out.empty()) out += ", ";
    out += *part;
  }
  return out;
}

std::string address_line(const BusinessLocation& l) {
  std::string out;
  for (const auto* part : {&l.address, &l.city, &l.region, &l.postal_code, &l.country}) {
    if (part->empty()) continue;
    if (!out.empty()) out += ", ";
    out += *part;
  }
  return out;
}

data template_data(const GeneratorInput& in, const BusinessProfile& p) {
  data d{data::type::object};
  const std::string business = p.business_name.empty() ? in.tenant->name : p.business_name;
  set_text(d, "business_name", business);
  set_text(d, "assistant_name", business + " Assistant");
  set_text(d, "industry", p.industry);
  set_text(d, "summary", p.summary, kParagraphChars);
  set_text(d, "location", location_line(p.location));
  set_text(d, "address", address_line(p.location));
  set_text(d, "phone", p.phone);
  set_text(d, "website", p.website.empty() ? in.tenant->website_url : p.website);
  set_text(d, "audience", p.audience, kParagraphChars);
  d.set("tone", markdown_inline(p.tone_of_voice.empty() ? "warm, knowledgeable and straightforward" : p.tone_of_voice,
                                kInlineChars));
  d.set("vibe", markdown_inline(p.tone_of_voice.empty() ? "friendly, calm, knowledgeable" : p.tone_of_voice, 120));
  d.set("emoji", is_cannabis(p) ? "\xF0\x9F\x8C\xBF" : "\xF0\x9F\x91\x8B");  // herb / waving hand
  set_list(d, "hours", p.hours);
  set_list(d, "products", p.products);
  set_list(d, "services", p.services);
  set_list(d, "prohibited_claims", p.compliance.prohibited_claims, kInlineChars);
  set_list(d, "rules", p.compliance.rules, kInlineChars);
  d.set("minimum_age", std::to_string(p.compliance.minimum_age));
  d.set("is_cannabis", data(is_cannabis(p)));
  d.set("offers_delivery", data(p.offers_delivery));
  d.set("offers_online_ordering", data(p.offers_online_ordering));
  d.set("profile_source", in.profile_source);
  d.set("tier", markdown_inline(in.tenant->tier, 40));
  data skills{data::type::list};
  for (const auto* s : in.skills) {
    data item{data::type::object};
    item.set("name", markdown_inline(s->name, 80));
    item.set("description", markdown_inline(s->description, kInlineChars));
    skills.push_back(std::move(item));
  }
  d.set("has_skills", data(!in.skills.empty()));
  d.set("skills", std::move(skills));
  return d;
}

/// Two-space indented JSON, so snapshot diffs are line by line.
void pretty(const json::value& v, std::string& out, int depth) {
  const std::string pad(static_cast<std::size_t>(2 * (depth + 1)), ' ');
  const std::string close_pad(static_cast<std::size_t>(2 * depth), ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, item] : v.get_object()) {
      out += (first ? "" : ",\n") + pad + json::serialize(json::string(k)) + ": ";
      pretty(item, out, depth + 1);
      first = false;
    }
    out += "\n" + close_pad + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& item : v.get_array()) {
      out += (first ? "" : ",\n") + pad;
      pretty(item, out, depth + 1);
      first = false;
    }
    out += "\n" + close_pad + "]";
  } else if (v.is_double()) {
    out += fmt::format("{}", v.get_double());  // shortest round-trip form: 0.6, not Boost's 6E-1
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty(v, out, 0);
  return out;
}

namespace {

double usd_per_mtok(std::int64_t micro) { return static_cast<double>(micro) / 1e6; }

json::object model_json(const ModelEntry& m) {
  return {{"id", m.id},
          {"name", m.name.empty() ? m.id : m.name},
          {"reasoning", false},
          {"input", json::array{"text"}},
          {"cost",
           {{"input", usd_per_mtok(m.usd_input_micro)},
            {"output", usd_per_mtok(m.usd_output_micro)},
            {"cacheRead", usd_per_mtok(m.usd_cache_read_micro)},
            {"cacheWrite", usd_per_mtok(m.usd_cache_write_micro)}}},
          {"contextWindow", m.context_window > 0 ? m.context_window : 128'000},
          {"maxTokens", m.max_output_tokens > 0 ? m.max_output_tokens : 8'192}};
}

Result<WireApi> model_api(const GeneratorInput& in, const ModelEntry& m) {
  const auto* provider = in.catalog->provider(m.provider);
  if (provider == nullptr) return Error::invalid("models", fmt::format("model {} has no provider", m.id));
  return provider->api;
}

Result<json::object> providers_json(const GeneratorInput& in, const std::string& proxy) {
  json::object providers;
  for (const auto* m : in.models) {
    WINSTON_TRY_ASSIGN(const WireApi api, model_api(in, *m));
    auto& p = providers[openclaw_provider_id(api)];
    if (p.is_null()) {
      const bool anthropic = api == WireApi::kAnthropicMessages;
      // anthropic-messages appends /v1/messages to baseUrl; openai-completions appends /chat/completions.
      p = json::object{{"baseUrl", anthropic ? proxy : proxy + "/v1"},
                       {"apiKey", "${WINSTON_API_KEY}"},
                       {"api", std::string(to_string(api))},
                       {"models", json::array{}}};
    }
    p.as_object()["models"].as_array().push_back(model_json(*m));
  }
  return providers;
}

Result<std::string> primary_model(const GeneratorInput& in) {
  const ModelEntry* chosen = in.models.front();
  if (in.default_model) {
    const auto it = std::find_if(in.models.begin(), in.models.end(),
                                 [&](const ModelEntry* m) { return m->id == *in.default_model; });
    if (it == in.models.end()) {
      return Error::invalid("default_model", fmt::format("the default model {} is not offered to tier {}",
                                                         *in.default_model, in.tenant->tier));
    }
    chosen = *it;
  }
  WINSTON_TRY_ASSIGN(const WireApi api, model_api(in, *chosen));
  return fmt::format("{}/{}", openclaw_provider_id(api), chosen->id);
}

Result<std::string> openclaw_json(const GeneratorInput& in) {
  std::string proxy = in.cell.proxy_url;
  while (!proxy.empty() && proxy.back() == '/') proxy.pop_back();
  WINSTON_TRY_ASSIGN(json::object providers, providers_json(in, proxy));
  WINSTON_TRY_ASSIGN(const std::string primary, primary_model(in));
  json::object skill_entries;
  for (const auto* s : in.skills) {
    skill_entries[s->name] = {{"enabled", true}, {"env", {{"WINSTON_CONNECTOR_URL", proxy}}}};
  }
  const json::object config = {
      {"gateway",
       {{"mode", "local"},
        {"bind", in.cell.gateway_bind},
        {"port", in.cell.gateway_port},
        {"auth", {{"mode", "token"}, {"token", "${OPENCLAW_GATEWAY_TOKEN}"}}},
        {"http", {{"endpoints", {{"chatCompletions", {{"enabled", true}}}}}}}}},
      {"models", {{"mode", "replace"}, {"catalogRefresh", {{"enabled", false}}}, {"providers", std::move(providers)}}},
      {"agents",
       {{"defaults",
         {{"model", {{"primary", primary}}},
          {"workspace", in.cell.workspace},
          {"skipBootstrap", true},
          {"heartbeat", {{"every", "0m"}}}}}}},
      {"skills", {{"entries", std::move(skill_entries)}}},
      {"discovery", {{"mdns", {{"mode", "off"}}}}},
      {"update", {{"checkOnStart", false}}},
      {"telemetry", {{"enabled", false}}},
  };
  return pretty_json(config) + "\n";
}

BusinessProfile minimal_profile(const Tenant& t) {
  BusinessProfile p;
  p.business_name = t.name;
  p.industry = t.industry.value_or("");
  p.website = t.website_url;
  return p;
}

Status render_workspace(const GeneratorInput& in, const BusinessProfile& profile, ConfigFiles& files) {
  const data context = template_data(in, profile);
  std::size_t total = 0;
  for (const auto name : kTemplateNames) {
    kainjow::mustache::mustache tmpl(in.assets->template_text(name));
    // Every value in the context is already Markdown-safe (markdown_inline); no HTML entities on top.
    tmpl.set_custom_escape([](const std::string& s) { return s; });
    std::string text = tmpl.render(context);
    if (!tmpl.is_valid()) return Error::invalid("templates", fmt::format("template {}: {}", name, tmpl.error_message()));
    if (text.size() > kMaxWorkspaceFileChars) {
      return Error::invalid("templates", fmt::format("{} would be {} characters; OpenClaw reads at most {}", name,
                                                     text.size(), kMaxWorkspaceFileChars));
    }
    total += text.size();
    files["workspace/" + std::string(name)] = std::move(text);
  }
  if (total > kMaxWorkspaceTotalChars) {
    return Error::invalid("templates", fmt::format("the workspace files would be {} characters; OpenClaw reads at most {}",
                                                   total, kMaxWorkspaceTotalChars));
  }
  return {};
}

}  // namespace

std::string_view openclaw_provider_id(WireApi api) {
  return api == WireApi::kAnthropicMessages ? "winston-anthropic" : "winston";
}

std::string markdown_inline(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t count = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size() && count < max_chars;) {
    const Utf8Char decoded = decode_utf8(text, i);
    const char32_t cp = decoded.length == 0 ? kReplacementChar : decoded.cp;
    i += decoded.length == 0 ? 1 : decoded.length;
    if (is_space_like(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      ++count;
      pending_space = false;
    }
    const bool leading = out.empty();
    const bool special = cp < 0x80 && (std::string_view("\\`*_[]<>|~").find(static_cast<char>(cp)) != std::string_view::npos ||
                                       (leading && std::string_view("#>-+=").find(static_cast<char>(cp)) != std::string_view::npos));
    if (special) out += '\\';
    append_utf8(out, cp);
    ++count;
  }
  return out;
}

Result<ConfigFiles> generate_config(const GeneratorInput& in) {
  if (in.tenant == nullptr || in.catalog == nullptr || in.assets == nullptr) {
    return Error::internal("generate_config: incomplete input");
  }
  if (in.models.empty()) {
    return Error::invalid("tier", fmt::format("no model of the catalog is offered to tier {}", in.tenant->tier));
  }
  const BusinessProfile profile = in.profile != nullptr ? *in.profile : minimal_profile(*in.tenant);
  ConfigFiles files;
  WINSTON_TRY_ASSIGN(files["openclaw.json"], openclaw_json(in));
  WINSTON_TRY(render_workspace(in, profile, files));
  for (const auto* s : in.skills) {
    for (const auto& [path, content] : s->files) files["workspace/skills/" + s->name + "/" + path] = content;
  }
  return files;
}

std::vector<ConfigWarning> config_warnings(const GeneratorInput& in) {
  std::vector<ConfigWarning> out;
  if (in.tenant == nullptr) return out;
  const BusinessProfile profile = in.profile != nullptr ? *in.profile : minimal_profile(*in.tenant);
  const std::string& tenant = in.tenant->slug;
  if (profile.industry.find_first_not_of(" \t") == std::string::npos) {
    out.push_back({"industry_unknown",
                   fmt::format("industry is not set: the cannabis-dispensary compliance rules (21+, no medical claims) "
                               "are not in AGENTS.md; set it with PATCH /v1/tenants/{} "
                               "{{\"industry\":\"cannabis-dispensary\"}} and generate the config again",
                               tenant)});
  }
  if (in.profile_source == "extracted") {
    out.push_back({"analysis_fallback",
                   fmt::format("the website analysis fell back to the text extracted without the model (the site "
                               "was unreachable or the model call failed): hours, products, tone and compliance notes "
                               "may be missing; re-run POST /v1/tenants/{}/analyze and generate the config again",
                               tenant)});
  } else if (in.profile_source == "none") {
    out.push_back({"not_analyzed", fmt::format("the website has not been analyzed: the agent knows only the tenant "
                                               "record; run POST /v1/tenants/{}/analyze and generate the config again",
                                               tenant)});
  }
  return out;
}

json::array warnings_to_json(const std::vector<ConfigWarning>& warnings) {
  json::array out;
  for (const auto& w : warnings) out.push_back(json::object{{"code", w.code}, {"message", w.message}});
  return out;
}

std::vector<ConfigWarning> warnings_from_json(std::string_view text) {
  std::vector<ConfigWarning> out;
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.as_array()) {
    const auto* obj = item.if_object();
    const auto* code = obj != nullptr ? obj->if_contains("code") : nullptr;
    const auto* message = obj != nullptr ? obj->if_contains("message") : nullptr;
    if (code == nullptr || message == nullptr || !code->is_string() || !message->is_string()) continue;
    out.push_back({std::string(code->as_string()), std::string(message->as_string())});
  }
  return out;
}

}  // namespace winston::agent
