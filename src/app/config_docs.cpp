// docs/configuration.md and winston.toml.example, generated from the key
// tables (app/config_keys.cpp) and the defaults they read from the structs.

#include <fmt/format.h>

#include <sstream>

#include "app/config.hpp"
#include "app/config_keys.hpp"

namespace winston::app {
namespace {

using config_keys::FreeTable;
using config_keys::Key;
using config_keys::Kind;
using config_keys::Value;

constexpr std::size_t kCommentWidth = 100;

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}

/// A value as TOML writes it (and as the docs show it).
std::string toml_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return quoted(*s);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return fmt::format("{}", *n);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&v)) {
    auto text = fmt::format("{}", *d);
    return text.find_first_of(".e") == std::string::npos ? text + ".0" : text;
  }
  std::string out = "[";
  for (const auto& s : std::get<std::vector<std::string>>(v)) out += (out.size() > 1 ? ", " : "") + quoted(s);
  return out + "]";
}

std::string section_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(path.substr(0, dot));
}

std::string leaf_of(std::string_view path) { return std::string(path.substr(path.rfind('.') + 1)); }

// ---- docs/configuration.md ----

std::string cell(std::string_view text) {
  std::string out;
  for (const char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

template <typename T>
std::string type_text(const Key<T>& key) {
  switch (key.field.kind) {
    case Kind::kString: {
      if (key.choices.empty()) return "string";
      std::string out = "one of";
      for (const auto c : key.choices) out += fmt::format(" `{}`", c);
      return out;
    }
    case Kind::kInteger: return fmt::format("integer, {} to {}", key.min, key.max);
    case Kind::kNumber: return "number";
    case Kind::kBool: return "boolean";
    case Kind::kStringList: return "list of strings";
  }
  return {};
}

// Words with a placeholder such as <data_dir> become code, which Markdown shows as written.
std::string with_code(std::string_view text) {
  std::string out;
  std::istringstream words{std::string(text)};
  for (std::string word; words >> word;) {
    const bool code = word.find('<') != std::string::npos;
    out += (out.empty() ? "" : " ") + (code ? "`" + word + "`" : word);
  }
  return out;
}

template <typename T>
std::string default_text(const Key<T>& key, const T& defaults) {
  if (!key.default_text.empty()) return with_code(key.default_text);
  const auto v = key.field.get(defaults);
  return v ? fmt::format("`{}`", toml_text(*v)) : "none";
}

template <typename T>
void key_rows(std::ostream& out, std::span<const Key<T>> keys, const T& defaults, bool with_env) {
  out << (with_env ? "| key | type | default | environment | |\n|---|---|---|---|---|\n"
                   : "| key | type | default | |\n|---|---|---|---|\n");
  for (const auto& key : keys) {
    const auto name = key.path.empty() ? std::string("(environment only)") : fmt::format("`{}`", key.path);
    out << "| " << name << " | " << cell(type_text(key)) << " | " << cell(default_text(key, defaults)) << " | ";
    if (with_env) out << (key.env.empty() ? std::string() : fmt::format("`{}`", key.env)) << " | ";
    out << cell(key.help) << " |\n";
  }
}

std::string tier_list(const TierTable& tiers) {
  std::string out;
  for (const auto& [name, mc] : tiers.monthly_mc) {
    out += fmt::format("{}{} = {}", out.empty() ? "" : ", ", name, mc / kMilliPerCredit);
  }
  return out;
}

void free_table_rows(std::ostream& out, const Config& defaults) {
  out << "| table | entries | |\n|---|---|---|\n";
  for (const auto& t : config_keys::free_tables()) {
    std::string help(t.help);
    if (t.path == "tiers") help += "; default: " + tier_list(defaults.tiers);
    out << fmt::format("| `{}` | `{}` | {} |\n", t.path, t.syntax, cell(help));
  }
}

void catalog_sections(std::ostream& out, const Config& defaults) {
  out << "\n## `[providers.<id>]`\n\n";
  key_rows(out, config_keys::provider_keys(), Provider{}, false);
  out << "\nThe default providers:";
  for (const auto& p : defaults.catalog.providers()) {
    out << fmt::format("{} `{}` ({}, key from `{}`)", &p == &defaults.catalog.providers().front() ? "" : ",", p.id,
                       to_string(p.api), p.api_key_env);
  }
  out << ". A provider's key is read from the variable it names, never from the file, and never logged.\n";
  out << "\n## `[[models]]`\n\n";
  key_rows(out, config_keys::model_keys(), ModelEntry{}, false);
  out << "\nThe default models:";
  for (const auto& m : defaults.catalog.models()) {
    out << fmt::format("{} `{}` ({}, x{})", &m == &defaults.catalog.models().front() ? "" : ",", m.id, m.provider,
                       static_cast<double>(m.multiplier_milli) / 1000.0);
  }
  out << "; [docs/proxy.md](proxy.md) explains routing, multipliers and tiers.\n";
}

// ---- winston.toml.example ----

/// `text` as "# " comment lines of at most kCommentWidth characters.
std::string comment(std::string_view text) {
  std::string out, line;
  std::istringstream words{std::string(text)};
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > kCommentWidth - 2) {
      out += "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return line.empty() ? out : out + "# " + line + "\n";
}

template <typename T>
std::string key_help(const Key<T>& key) {
  std::string help(key.help);
  if (!key.env.empty() && !key.path.empty()) help += fmt::format(". Environment: {}", key.env);
  if (!key.default_text.empty()) help += fmt::format(". Default: {}", key.default_text);
  return help;
}

template <typename T>
std::string value_text(const Key<T>& key, const T& defaults) {
  const auto v = key.field.get(defaults);
  return v ? toml_text(*v) : std::string("\"\"");
}

/// One key: its help, then `name = default`, commented out when the default is worked out at start-up.
std::string example_key(const Key<Config>& key, const Config& defaults) {
  if (key.path.empty()) return comment(fmt::format("{}, environment only: {}", key.env, key_help(key)));
  const bool commented = !key.default_text.empty() || !key.field.get(defaults);
  return comment(key_help(key)) +
         fmt::format("{}{} = {}\n", commented ? "# " : "", leaf_of(key.path), value_text(key, defaults));
}

/// The keys of a [providers.<id>] or [[models]] entry, commented out, each followed by its help.
template <typename T>
std::string example_entry(std::span<const Key<T>> keys, const T& entry) {
  std::string out;
  for (const auto& key : keys) {
    out += fmt::format("# {} = {}  # {}\n", key.path, value_text(key, entry), key_help(key));
  }
  return out;
}

void example_catalog(std::ostream& out, const Config& defaults) {
  out << "\n" << comment("[providers.<id>] replaces a default provider or adds one, e.g. the default:");
  out << "# [providers." << defaults.catalog.providers().front().id << "]\n"
      << example_entry(config_keys::provider_keys(), defaults.catalog.providers().front());
  out << "\n" << comment("[[models]] replaces the default model list; every entry is one model, e.g. the first default:")
      << "# [[models]]\n" << example_entry(config_keys::model_keys(), defaults.catalog.models().front());
}

void example_free_tables(std::ostream& out, const Config& defaults) {
  for (const auto& t : config_keys::free_tables()) {
    if (t.path != "tiers" && t.path != "agent.default_models") continue;  // the catalog follows
    out << "\n" << comment(fmt::format("{} ({}).", t.help, t.syntax));
    if (t.path == "tiers") {
      out << "[tiers]\n";
      for (const auto& [name, mc] : defaults.tiers.monthly_mc) out << name << " = " << mc / kMilliPerCredit << "\n";
    } else {
      out << "# [agent.default_models]\n# pro = " << quoted(defaults.catalog.models().back().id) << "\n";
    }
  }
}

}  // namespace

std::string configuration_reference_markdown() {
  const Config defaults;
  std::ostringstream out;
  out << "# Configuration\n\n"
         "<!-- Generated from the key table (src/app/config_keys.cpp) by scripts/config-docs.sh;\n"
         "     a test fails when this file differs from what the table generates. -->\n\n"
         "Winston reads its embedded defaults, then `winston.toml` (or `--config FILE`, or the file\n"
         "`WINSTON_CONFIG` names), then the environment; each overrides the one before.\n"
         "[`winston.toml.example`](../winston.toml.example) shows every key with its default.\n\n"
         "A key Winston does not know is an error naming the file and the key, inside `[providers.<id>]`\n"
         "and `[[models]]` too; so is a value of the wrong type or outside its range. An environment\n"
         "variable with a bad value is an error naming the variable.\n";
  std::string section = "-";
  std::vector<Key<Config>> keys;
  const auto flush = [&] {
    if (keys.empty()) return;
    out << "\n## " << (section.empty() ? std::string("Top level") : fmt::format("`[{}]`", section)) << "\n\n";
    key_rows<Config>(out, keys, defaults, true);
    keys.clear();
  };
  for (const auto& key : config_keys::config_keys()) {
    if (!key.path.empty() && section_of(key.path) != section) {
      flush();
      section = section_of(key.path);
    }
    keys.push_back(key);
  }
  flush();
  out << "\n## Tables of names\n\n";
  free_table_rows(out, defaults);
  catalog_sections(out, defaults);
  return out.str();
}

std::string configuration_example_toml() {
  const Config defaults;
  std::ostringstream out;
  out << comment("winston.toml.example: every key with its default, generated from the key table "
                 "(src/app/config_keys.cpp) by scripts/config-docs.sh. docs/configuration.md explains each key.")
      << comment("Copy it to winston.toml and keep what you change. A commented-out key has a default worked out "
                 "at start-up; a variable named after a key overrides the file.");
  std::string section;
  for (const auto& key : config_keys::config_keys()) {
    if (!key.path.empty() && section_of(key.path) != section) {
      section = section_of(key.path);
      out << "\n[" << section << "]\n";
    } else {
      out << "\n";
    }
    out << example_key(key, defaults);
  }
  example_free_tables(out, defaults);
  example_catalog(out, defaults);
  return out.str();
}

}  // namespace winston::app
