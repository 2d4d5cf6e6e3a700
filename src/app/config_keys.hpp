#pragma once
// The configuration's key tables: each key spelled once, with the member it
// sets, its type and allowed values, the environment variable that overrides
// it, and one line of help. Reading (config.cpp), validation, and the
// generated docs/configuration.md and winston.toml.example
// (config_docs.cpp) all walk these tables. Internal to app/.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "app/config.hpp"
#include "core/catalog.hpp"

namespace winston::app::config_keys {

/// What a key holds in TOML.
enum class Kind { kString, kInteger, kNumber, kBool, kStringList };

/// A key's value between TOML (or the environment) and its member.
using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

/// How a key reaches its member of T; made by member<>() or scaled<>() below.
template <typename T>
struct Field {
  Kind kind;
  void (*set)(T&, const Value&);
  std::optional<Value> (*get)(const T&);  // nullopt: unset (an optional member with no value)
};

/// One key. `path` is relative to the table the key sits in ("proxy.listen";
/// "base_url" inside [providers.<id>]); empty for the secrets that are read
/// from the environment only.
template <typename T>
struct Key {
  std::string_view path = {};  // empty: from the environment only
  Field<T> field;
  std::int64_t min = 0, max = 0;                   // kInteger: the allowed range, inclusive
  std::span<const std::string_view> choices = {};  // kString: the allowed values (empty: any)
  std::string_view env = {};                       // the variable that overrides the file
  std::string_view default_text = {};              // when the default is worked out at start-up
  std::string_view help;
};

/// A table whose keys are free-form names ([tiers], [providers.<id>], ...),
/// read by its own function in config.cpp and documented from here.
struct FreeTable {
  std::string_view path;
  std::string_view syntax;  // how an entry is written, for the docs
  std::string_view help;
};

std::span<const Key<Config>> config_keys();
std::span<const Key<Provider>> provider_keys();  // inside [providers.<id>]
std::span<const Key<ModelEntry>> model_keys();   // inside [[models]]
std::span<const FreeTable> free_tables();

// ---- how member types map to values ----

template <typename M>
struct Codec;

template <>
struct Codec<std::string> {
  static constexpr Kind kind = Kind::kString;
  static void store(std::string& m, const Value& v) { m = std::get<std::string>(v); }
  static std::optional<Value> load(const std::string& m) { return m; }
};

template <typename M>
  requires std::integral<M> && (!std::same_as<M, bool>)
struct Codec<M> {
  static constexpr Kind kind = Kind::kInteger;
  static void store(M& m, const Value& v) { m = static_cast<M>(std::get<std::int64_t>(v)); }
  static std::optional<Value> load(const M& m) { return static_cast<std::int64_t>(m); }
};

template <>
struct Codec<bool> {
  static constexpr Kind kind = Kind::kBool;
  static void store(bool& m, const Value& v) { m = std::get<bool>(v); }
  static std::optional<Value> load(const bool& m) { return m; }
};

template <>
struct Codec<std::chrono::milliseconds> {
  static constexpr Kind kind = Kind::kInteger;
  static void store(std::chrono::milliseconds& m, const Value& v) {
    m = std::chrono::milliseconds(std::get<std::int64_t>(v));
  }
  static std::optional<Value> load(const std::chrono::milliseconds& m) { return std::int64_t{m.count()}; }
};

template <>
struct Codec<std::optional<std::string>> {
  static constexpr Kind kind = Kind::kString;
  static void store(std::optional<std::string>& m, const Value& v) { m = std::get<std::string>(v); }
  static std::optional<Value> load(const std::optional<std::string>& m) {
    return m ? std::optional<Value>(*m) : std::nullopt;
  }
};

template <>
struct Codec<std::vector<std::string>> {
  static constexpr Kind kind = Kind::kStringList;
  static void store(std::vector<std::string>& m, const Value& v) { m = std::get<std::vector<std::string>>(v); }
  static std::optional<Value> load(const std::vector<std::string>& m) { return m; }
};

// The key's `choices` ({"anthropic-messages", "openai-completions"}) are checked before store.
template <>
struct Codec<WireApi> {
  static constexpr Kind kind = Kind::kString;
  static void store(WireApi& m, const Value& v) {
    m = std::get<std::string>(v) == to_string(WireApi::kAnthropicMessages) ? WireApi::kAnthropicMessages
                                                                           : WireApi::kOpenAIChat;
  }
  static std::optional<Value> load(const WireApi& m) { return std::string(to_string(m)); }
};

template <typename C, typename M>
C class_of(M C::*);

template <auto Outer, auto... Inner, typename T>
constexpr auto& member_of(T& t) {
  return ((t.*Outer) .* ... .* Inner);
}

/// The Field of `&T::member`, or of `&T::outer` then `&Outer::inner` (e.g. api_http.body_limit).
template <auto Outer, auto... Inner>
constexpr auto member() {
  using T = decltype(class_of(Outer));
  using M = std::remove_cvref_t<decltype(member_of<Outer, Inner...>(std::declval<T&>()))>;
  return Field<T>{
      .kind = Codec<M>::kind,
      .set = [](T& t, const Value& v) { Codec<M>::store(member_of<Outer, Inner...>(t), v); },
      .get = [](const T& t) { return Codec<M>::load(member_of<Outer, Inner...>(t)); },
  };
}

/// A decimal number kept as an integer: 5.0 -> 5000 with Scale 1000 (rounded to the nearest).
template <auto Member, std::int64_t Scale>
constexpr auto scaled() {
  using T = decltype(class_of(Member));
  return Field<T>{
      .kind = Kind::kNumber,
      .set = [](T& t, const Value& v) {
        t.*Member = static_cast<std::int64_t>(std::get<double>(v) * static_cast<double>(Scale) + 0.5);
      },
      .get = [](const T& t) -> std::optional<Value> {
        return static_cast<double>(t.*Member) / static_cast<double>(Scale);
      },
  };
}

}  // namespace winston::app::config_keys
