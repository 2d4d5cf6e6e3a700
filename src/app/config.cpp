#include "app/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "app/config_keys.hpp"

namespace winston::app {
namespace {

using config_keys::FreeTable;
using config_keys::Key;
using config_keys::Kind;
using config_keys::Value;

std::string join(std::string_view prefix, std::string_view key) {
  return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
}

std::string one_of(std::span<const std::string_view> choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

// What a key must be, for the error message: "{key} must be {expectation}".
template <typename T>
std::string expectation(const Key<T>& key) {
  switch (key.field.kind) {
    case Kind::kString: return key.choices.empty() ? "a string" : one_of(key.choices);
    case Kind::kInteger: return fmt::format("an integer in [{}, {}]", key.min, key.max);
    case Kind::kNumber: return "a number";
    case Kind::kBool: return "true or false";
    case Kind::kStringList: return "a list of strings";
  }
  return "valid";
}

// toml++'s value<T>() converts where nothing is lost (1 reads as 1.0), never a string to a number.
std::optional<Value> from_node(Kind kind, const toml::node& node) {
  switch (kind) {
    case Kind::kString: return node.value<std::string>();
    case Kind::kInteger: return node.value<std::int64_t>();
    case Kind::kNumber: return node.value<double>();
    case Kind::kBool: return node.value<bool>();
    case Kind::kStringList: break;
  }
  const auto* arr = node.as_array();
  if (arr == nullptr) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : *arr) {
    const auto str = v.value<std::string>();
    if (!str) return std::nullopt;
    out.push_back(*str);
  }
  return out;
}

template <typename T>
bool allowed(const Key<T>& key, const Value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n >= key.min && *n <= key.max;
  if (const auto* s = std::get_if<std::string>(&v); s && !key.choices.empty()) {
    return std::find(key.choices.begin(), key.choices.end(), *s) != key.choices.end();
  }
  return true;
}

enum class Known { kLeaf, kSection, kFreeTable, kUnknown };

template <typename T>
Known classify(std::span<const Key<T>> keys, std::span<const FreeTable> free, std::string_view path) {
  for (const auto& t : free) {
    if (t.path == path) return Known::kFreeTable;
  }
  Known known = Known::kUnknown;
  for (const auto& k : keys) {
    if (k.path == path) return Known::kLeaf;
    if (k.path.size() > path.size() && k.path.starts_with(path) && k.path[path.size()] == '.') known = Known::kSection;
  }
  return known;
}

/// Every key in `tbl` is one of `keys`, a section holding some, or a free-form table.
/// `rel` is the path inside the key table; `prefix` where that table sits in the file.
template <typename T>
Status check_known(std::span<const Key<T>> keys, std::span<const FreeTable> free, const toml::table& tbl,
                   const std::string& rel, const std::string& prefix, const std::string& file) {
  for (const auto& [k, node] : tbl) {
    const std::string path = join(rel, k.str());
    const std::string shown = join(prefix, path);
    switch (classify(keys, free, path)) {
      case Known::kLeaf:
      case Known::kFreeTable: break;
      case Known::kSection:
        if (const auto* sub = node.as_table()) {
          WINSTON_TRY(check_known(keys, free, *sub, path, prefix, file));
          break;
        }
        return Error::invalid(shown, fmt::format("{}: {} must be a table", file, shown));
      case Known::kUnknown: return Error::invalid(shown, fmt::format("{}: unknown key '{}'", file, shown));
    }
  }
  return {};
}

/// Sets each key of `keys` that `tbl` holds; a wrong type or a value out of range is an error naming it.
template <typename T>
Status read_keys(std::span<const Key<T>> keys, const toml::table& tbl, const std::string& prefix,
                 const std::string& file, T& out) {
  for (const auto& key : keys) {
    if (key.path.empty()) continue;  // from the environment only
    const auto node = tbl.at_path(key.path);
    if (!node) continue;
    const auto v = from_node(key.field.kind, *node.node());
    if (!v || !allowed(key, *v)) {
      const std::string path = join(prefix, key.path);
      return Error::invalid(path, fmt::format("{}: {} must be {}", file, path, expectation(key)));
    }
    key.field.set(out, *v);
  }
  return {};
}

// [providers.<id>] and [[models]] entries: nothing unknown, nothing of the wrong type.
template <typename T>
Status read_entry(std::span<const Key<T>> keys, const toml::table& tbl, const std::string& prefix,
                  const std::string& file, T& out) {
  WINSTON_TRY(check_known<T>(keys, {}, tbl, "", prefix, file));
  return read_keys(keys, tbl, prefix, file, out);
}

/// A free-form table of the file, or nullptr when absent; anything but a table is an error.
Result<const toml::table*> free_table(const toml::table& tbl, std::string_view path, const std::string& file) {
  const auto node = tbl.at_path(path);
  if (!node) return static_cast<const toml::table*>(nullptr);
  if (const auto* t = node.as_table()) return t;
  return Error::invalid(std::string(path), fmt::format("{}: {} must be a table", file, path));
}

// [providers.<id>] tables replace or add providers.
Status apply_providers(std::vector<Provider>& providers, const toml::table& tbl, const std::string& file) {
  WINSTON_TRY_ASSIGN(const auto* ps, free_table(tbl, "providers", file));
  if (ps == nullptr) return {};
  for (const auto& [id, node] : *ps) {
    const std::string key = join("providers", id.str());
    const auto* p = node.as_table();
    if (!p) return Error::invalid(key, fmt::format("{}: {} must be a table", file, key));
    Provider prov;
    prov.id = id.str();
    WINSTON_TRY(read_entry(config_keys::provider_keys(), *p, key, file, prov));
    std::erase_if(providers, [&](const Provider& x) { return x.id == prov.id; });
    providers.push_back(std::move(prov));
  }
  return {};
}

Result<ModelEntry> read_model(const toml::node& node, std::size_t index, const std::string& file) {
  const auto* m = node.as_table();
  if (!m) return Error::invalid("models", file + ": each [[models]] entry must be a table");
  ModelEntry e;
  WINSTON_TRY(read_entry(config_keys::model_keys(), *m, fmt::format("models[{}]", index), file, e));
  if (e.id.empty()) return Error::invalid("models", file + ": every [[models]] entry needs an id");
  if (!m->contains("upstream_model")) e.upstream_model = e.id;
  return e;
}

// [[models]] replaces the model list.
Status apply_catalog(Config& c, const toml::table& tbl, const std::string& file) {
  std::vector<Provider> providers = c.catalog.providers();
  WINSTON_TRY(apply_providers(providers, tbl, file));
  std::vector<ModelEntry> models = c.catalog.models();
  if (const auto node = tbl["models"]) {
    const auto* ms = node.as_array();
    if (!ms) return Error::invalid("models", file + ": models must be an array of tables ([[models]])");
    models.clear();
    for (std::size_t i = 0; i < ms->size(); ++i) {
      WINSTON_TRY_ASSIGN(auto e, read_model(*ms->get(i), i, file));
      models.push_back(std::move(e));
    }
  }
  Catalog catalog(std::move(providers), std::move(models));
  if (auto problem = catalog.check(); !problem.empty()) return Error::invalid("models", file + ": " + problem);
  c.catalog = std::move(catalog);
  return {};
}

Status apply_default_models(Config& c, const toml::table& tbl, const std::string& file) {
  WINSTON_TRY_ASSIGN(const auto* models, free_table(tbl, "agent.default_models", file));
  if (models == nullptr) return {};
  for (const auto& [tier, v] : *models) {
    const auto model = v.value<std::string>();
    const std::string key = join("agent.default_models", tier.str());
    if (!model) return Error::invalid(key, fmt::format("{}: {} must be a model id", file, key));
    c.agent_default_models[std::string(tier.str())] = *model;
  }
  return {};
}

Status apply_tiers(Config& c, const toml::table& tbl, const std::string& file) {
  WINSTON_TRY_ASSIGN(const auto* tiers, free_table(tbl, "tiers", file));
  if (tiers == nullptr) return {};
  TierTable t;
  for (const auto& [name, v] : *tiers) {
    const auto credits = v.value<std::int64_t>();
    const std::string key = join("tiers", name.str());
    if (!credits || *credits < 0 || *credits > INT64_MAX / kMilliPerCredit) {
      return Error::invalid(key, fmt::format("{}: {} must be a non-negative number of credits", file, key));
    }
    t.monthly_mc[std::string(name.str())] = *credits * kMilliPerCredit;
  }
  c.tiers = std::move(t);
  return {};
}

Status apply_file(Config& c, const std::string& file) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return Error::invalid("config", fmt::format("{}:{}: {}", file, e.source().begin.line, e.description()));
  }
  WINSTON_TRY(check_known(config_keys::config_keys(), config_keys::free_tables(), tbl, "", "", file));
  WINSTON_TRY(read_keys(config_keys::config_keys(), tbl, "", file, c));
  WINSTON_TRY(apply_catalog(c, tbl, file));
  WINSTON_TRY(apply_default_models(c, tbl, file));
  return apply_tiers(c, tbl, file);
}

// The environment is a string per key; a bad one is an error naming the variable.
Result<Value> from_env(const Key<Config>& key, const std::string& name, const std::string& raw) {
  const auto bad = [&] { return Error::invalid(name, fmt::format("{} must be {}", name, expectation(key))); };
  Value v;
  switch (key.field.kind) {
    case Kind::kString: v = raw; break;
    case Kind::kInteger: {
      std::int64_t n = 0;
      const auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
      if (ec != std::errc{} || p != raw.data() + raw.size()) return bad();
      v = n;
      break;
    }
    // As it always was: 1 or true, anything else is false.
    case Kind::kBool: v = raw == "1" || raw == "true"; break;
    case Kind::kNumber:
    case Kind::kStringList: return bad();  // no such variable in the table
  }
  if (!allowed(key, v)) return bad();
  return v;
}

Status apply_env(Config& c, const EnvLookup& env) {
  for (const auto& key : config_keys::config_keys()) {
    if (key.env.empty()) continue;
    const std::string name(key.env);
    const auto raw = env(name.c_str());
    if (!raw) continue;
    WINSTON_TRY_ASSIGN(const Value v, from_env(key, name, *raw));
    key.field.set(c, v);
  }
  for (const auto& p : c.catalog.providers()) {
    if (p.api_key_env.empty()) {
      c.provider_keys[p.id] = "";  // a keyless provider, e.g. a local llama.cpp or Ollama server
    } else if (auto key = env(p.api_key_env.c_str())) {
      c.provider_keys[p.id] = *key;
    }
  }
  return {};
}

template <typename T>
bool same(std::span<const Key<T>> keys, const T& a, const T& b) {
  return std::all_of(keys.begin(), keys.end(), [&](const Key<T>& k) { return k.field.get(a) == k.field.get(b); });
}

// A provider's id is its table's name, not one of its keys, hence `id`.
template <typename T>
bool same_list(std::span<const Key<T>> keys, const std::vector<T>& a, const std::vector<T>& b,
               std::string T::*id) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].*id != b[i].*id || !same(keys, a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

Result<Config> load_config(const std::optional<std::string>& file, const EnvLookup& env) {
  Config c;
  std::optional<std::string> path = file;
  if (!path) path = env("WINSTON_CONFIG");
  if (!path && std::filesystem::exists("winston.toml")) path = "winston.toml";
  if (path) {
    if (!std::filesystem::exists(*path)) return Error::invalid("config", "config file not found: " + *path);
    WINSTON_TRY(apply_file(c, *path));
    c.source = *path;
  } else {
    c.source = "embedded defaults";
  }
  WINSTON_TRY(apply_env(c, env));
  if (c.database_url.empty()) c.database_url = "sqlite:" + (std::filesystem::path(c.data_dir) / "winston.db").string();
  if (!c.tiers.allotment("free")) return Error::invalid("tiers.free", "the tier table must define 'free'");
  return c;
}

std::vector<std::string> differing_keys(const Config& a, const Config& b) {
  std::vector<std::string> out;
  for (const auto& key : config_keys::config_keys()) {
    if (key.field.get(a) != key.field.get(b)) out.emplace_back(key.path.empty() ? key.env : key.path);
  }
  if (a.agent_default_models != b.agent_default_models) out.emplace_back("agent.default_models");
  if (a.tiers.monthly_mc != b.tiers.monthly_mc) out.emplace_back("tiers");
  if (!same_list(config_keys::provider_keys(), a.catalog.providers(), b.catalog.providers(), &Provider::id)) {
    out.emplace_back("providers");
  }
  if (!same_list(config_keys::model_keys(), a.catalog.models(), b.catalog.models(), &ModelEntry::id)) {
    out.emplace_back("models");
  }
  return out;
}

}  // namespace winston::app
