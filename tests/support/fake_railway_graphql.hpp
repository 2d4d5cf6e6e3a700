#pragma once
// The GraphQL half of the fake Railway API (tests/support/fake_railway.*):
// a parser for the part of the language Railway's clients use, the part of
// Railway's schema the provisioner touches, and graphql-js's validation and
// variable coercion over both. The fake's state and HTTP server use it; it
// knows nothing about services or deployments.
//
// Language: one query or mutation (optional name, variable definitions with
// defaults), fields with aliases and arguments, named fragments
// (`fragment F on Type { … }` and `...F`) and inline fragments
// (`... on Type { … }`). Directives and subscriptions are a syntax error.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace winston::testing::railway_gql {

struct GqlValue {
  enum class Kind { kVariable, kNull, kBool, kInt, kFloat, kString, kEnum, kList, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // variable name, string, enum name, number
  bool boolean = false;
  std::vector<GqlValue> items;
  std::vector<std::pair<std::string, GqlValue>> fields;
};

/// One entry of a selection set: a field, a fragment spread (`...name`) or an
/// inline fragment. Validation replaces every selection set by its fields
/// with the fragments spread in, so execution sees fields only.
struct GqlField {
  enum class Kind { kField, kSpread, kInline };
  Kind kind = Kind::kField;
  std::string alias, name;     // name: the field, or the spread fragment
  std::string type_condition;  // inline fragments; empty: none
  std::vector<std::pair<std::string, GqlValue>> args;
  std::vector<GqlField> selection;
  std::string key() const { return alias.empty() ? name : alias; }
};

struct GqlFragment {
  std::string name, type_condition;
  std::vector<GqlField> selection;
};

struct GqlVariable {
  std::string name, type;
  std::optional<GqlValue> default_value;
};

struct GqlDocument {
  std::string operation = "query";
  std::string name;
  std::vector<GqlVariable> variables;
  std::vector<GqlField> selection;
  std::map<std::string, GqlFragment, std::less<>> fragments;
};

struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One GraphQL error as Railway reports it: `message`, `extensions.code` and,
/// for an error of one root field, `path`.
struct GqlError {
  std::string message;
  std::string code;
  std::string path;
};

/// Parses a request's `query`; throws SyntaxError.
GqlDocument parse(std::string_view text);

/// graphql-js's validation rules over the fake's schema (GRAPHQL_VALIDATION_FAILED
/// errors); spreads the fragments into `doc`'s selection sets on the way.
std::vector<GqlError> validate(GqlDocument& doc);

/// The operation's variables after coercion (defaults applied); problems with
/// the values sent are appended to `errors` (BAD_USER_INPUT).
boost::json::object coerce_variables(const GqlDocument& doc, const boost::json::object& sent, std::vector<GqlError>& errors);

/// A literal (or a variable) as JSON; enum names become strings.
boost::json::value to_json(const GqlValue& v, const boost::json::object& variables);

/// `v` cut down to a validated selection, as a GraphQL server answers.
boost::json::value project(const boost::json::value& v, const std::vector<GqlField>& selection);

}  // namespace winston::testing::railway_gql
