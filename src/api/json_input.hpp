#pragma once
// Strict reading of JSON request bodies at the edge: malformed JSON is 400,
// wrong types and unknown fields are 422 naming the field.

#include <boost/json/object.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace winston::api {

/// Parses `body` as a JSON object (bounded depth).
Result<boost::json::object> parse_object(std::string_view body);

/// Field access over a parsed object that remembers which fields exist.
class JsonFields {
 public:
  explicit JsonFields(const boost::json::object& obj) : obj_(obj) {}

  /// 422 for the first field not in `allowed`.
  Status only(std::initializer_list<std::string_view> allowed) const;
  Result<std::string> required_string(std::string_view name) const;
  Result<std::optional<std::string>> optional_string(std::string_view name) const;
  /// Absent -> nullopt; null -> optional holding nullopt; string -> value.
  Result<std::optional<std::optional<std::string>>> nullable_string(std::string_view name) const;
  Result<std::optional<bool>> optional_bool(std::string_view name) const;
  Result<std::int64_t> required_int(std::string_view name) const;

 private:
  const boost::json::object& obj_;
};

/// Parses a non-negative integer query parameter, or the default.
Result<std::int64_t> int_param(const std::optional<std::string>& raw, std::string_view name, std::int64_t dflt);

}  // namespace winston::api
