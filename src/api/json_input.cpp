#include "api/json_input.hpp"

#include <boost/json/parse.hpp>

#include <charconv>

namespace winston::api {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view body) {
  json::parse_options opts;
  opts.max_depth = 16;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec) return Error::malformed("request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::malformed("request body must be a JSON object");
  return std::move(v.as_object());
}

Status JsonFields::only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, _] : obj_) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error::invalid(std::string(key), "unknown field '" + std::string(key) + "'");
    }
  }
  return {};
}

Result<std::string> JsonFields::required_string(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (v == nullptr) return Error::invalid(std::string(name), std::string(name) + " is required");
  if (!v->is_string()) return Error::invalid(std::string(name), std::string(name) + " must be a string");
  return std::string(v->as_string());
}

Result<std::optional<std::string>> JsonFields::optional_string(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return Error::invalid(std::string(name), std::string(name) + " must be a string");
  return std::optional<std::string>{std::string(v->as_string())};
}

Result<std::optional<std::optional<std::string>>> JsonFields::nullable_string(std::string_view name) const {
  using R = std::optional<std::optional<std::string>>;
  const auto* v = obj_.if_contains(name);
  if (v == nullptr) return R{};
  if (v->is_null()) return R{std::optional<std::string>{}};
  if (!v->is_string()) return Error::invalid(std::string(name), std::string(name) + " must be a string or null");
  return R{std::optional<std::string>{std::string(v->as_string())}};
}

Result<std::optional<bool>> JsonFields::optional_bool(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return Error::invalid(std::string(name), std::string(name) + " must be true or false");
  return std::optional<bool>{v->as_bool()};
}

Result<std::int64_t> JsonFields::required_int(std::string_view name) const {
  const auto* v = obj_.if_contains(name);
  if (v == nullptr) return Error::invalid(std::string(name), std::string(name) + " is required");
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  return Error::invalid(std::string(name), std::string(name) + " must be an integer");
}

Result<std::int64_t> int_param(const std::optional<std::string>& raw, std::string_view name, std::int64_t dflt) {
  if (!raw) return dflt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc{} || p != raw->data() + raw->size()) {
    return Error::invalid(std::string(name), std::string(name) + " must be an integer");
  }
  return v;
}

}  // namespace winston::api
