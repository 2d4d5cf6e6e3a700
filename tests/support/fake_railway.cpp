#include "support/fake_railway.hpp"

#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <variant>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{10};

// ---------------------------------------------------------------------------
// A GraphQL document, as much of the language as Railway's clients use:
// one operation (query/mutation, optional name, variable definitions with
// defaults), fields with aliases, arguments and nested selections. Fragments
// and directives are a syntax error here.

struct GqlValue {
  enum class Kind { kVariable, kNull, kBool, kInt, kFloat, kString, kEnum, kList, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // variable name, string, enum name, number
  bool boolean = false;
  std::vector<GqlValue> items;
  std::vector<std::pair<std::string, GqlValue>> fields;
};

struct GqlField {
  std::string alias, name;
  std::vector<std::pair<std::string, GqlValue>> args;
  std::vector<GqlField> selection;
  std::string key() const { return alias.empty() ? name : alias; }
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
};

struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class GqlParser {
 public:
  explicit GqlParser(std::string_view text) : s_(text) {}

  GqlDocument document() {
    GqlDocument doc;
    skip();
    if (peek_name()) {
      doc.operation = name();
      if (doc.operation != "query" && doc.operation != "mutation") fail("Unexpected Name \"" + doc.operation + "\"");
      if (peek_name()) doc.name = name();
      if (try_punct('(')) {
        while (!try_punct(')')) doc.variables.push_back(variable());
      }
    }
    doc.selection = selection_set();
    skip();
    if (pos_ < s_.size()) fail("Unexpected character after the operation (only one operation is supported)");
    return doc;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw SyntaxError("Syntax Error: " + what + " at offset " + std::to_string(pos_) + ".");
  }

  void skip() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  static bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
  static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

  bool peek_name() {
    skip();
    return pos_ < s_.size() && name_start(s_[pos_]);
  }

  std::string name() {
    if (!peek_name()) fail("Expected Name");
    const std::size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  bool try_punct(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!try_punct(c)) fail(std::string("Expected \"") + c + "\"");
  }

  std::string type() {
    std::string t;
    if (try_punct('[')) {
      t = "[" + type();
      expect(']');
      t += "]";
    } else {
      t = name();
    }
    if (try_punct('!')) t += "!";
    return t;
  }

  GqlVariable variable() {
    expect('$');
    GqlVariable v;
    v.name = name();
    expect(':');
    v.type = type();
    if (try_punct('=')) v.default_value = value();
    return v;
  }

  std::string string_literal() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        const char e = s_[pos_++];
        c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
      out += c;
    }
    if (pos_ >= s_.size()) fail("Unterminated string");
    ++pos_;
    return out;
  }

  GqlValue number() {
    GqlValue v;
    v.kind = GqlValue::Kind::kInt;
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.' || s_[pos_] == 'e' ||
                                s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-')) {
      if (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E') v.kind = GqlValue::Kind::kFloat;
      ++pos_;
    }
    v.text = std::string(s_.substr(start, pos_ - start));
    return v;
  }

  GqlValue value() {
    skip();
    if (pos_ >= s_.size()) fail("Expected a value");
    GqlValue v;
    const char c = s_[pos_];
    if (c == '$') {
      ++pos_;
      v.kind = GqlValue::Kind::kVariable;
      v.text = name();
    } else if (c == '"') {
      v.kind = GqlValue::Kind::kString;
      v.text = string_literal();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v = number();
    } else if (c == '[') {
      ++pos_;
      v.kind = GqlValue::Kind::kList;
      while (!try_punct(']')) v.items.push_back(value());
    } else if (c == '{') {
      ++pos_;
      v.kind = GqlValue::Kind::kObject;
      while (!try_punct('}')) {
        std::string key = name();
        expect(':');
        v.fields.emplace_back(std::move(key), value());
      }
    } else {
      v.text = name();
      v.kind = v.text == "true" || v.text == "false" ? GqlValue::Kind::kBool
               : v.text == "null"                    ? GqlValue::Kind::kNull
                                                     : GqlValue::Kind::kEnum;
      v.boolean = v.text == "true";
    }
    return v;
  }

  std::vector<GqlField> selection_set() {
    expect('{');
    std::vector<GqlField> out;
    while (!try_punct('}')) {
      skip();
      if (s_.substr(pos_, 3) == "...") fail("Fragments are not supported by this fake");
      if (pos_ < s_.size() && s_[pos_] == '@') fail("Directives are not supported by this fake");
      out.push_back(field());
    }
    if (out.empty()) fail("Expected Name, found \"}\"");
    return out;
  }

  GqlField field() {
    GqlField f;
    f.name = name();
    if (try_punct(':')) {
      f.alias = f.name;
      f.name = name();
    }
    if (try_punct('(')) {
      while (!try_punct(')')) {
        std::string key = name();
        expect(':');
        f.args.emplace_back(std::move(key), value());
      }
    }
    skip();
    if (pos_ < s_.size() && s_[pos_] == '{') f.selection = selection_set();
    return f;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// The part of Railway's schema the fake serves: input types, enums, and the
// root fields with their arguments (types as GraphQL spells them).

struct TypedName {
  std::string name, type;
};

const std::map<std::string, std::vector<TypedName>, std::less<>>& input_types() {
  static const std::map<std::string, std::vector<TypedName>, std::less<>> kTypes = {
      {"ServiceCreateInput",
       {{"branch", "String"}, {"environmentId", "String"}, {"icon", "String"}, {"name", "String"},
        {"projectId", "String!"}, {"registryCredentials", "RegistryCredentialsInput"}, {"source", "ServiceSourceInput"},
        {"templateServiceId", "String"}, {"variables", "ServiceVariables"}}},
      {"ServiceSourceInput", {{"image", "String"}, {"repo", "String"}}},
      {"RegistryCredentialsInput", {{"password", "String!"}, {"username", "String!"}}},
      {"ServiceInstanceUpdateInput",
       {{"buildCommand", "String"}, {"builder", "Builder"}, {"cronSchedule", "String"}, {"healthcheckPath", "String"},
        {"healthcheckTimeout", "Int"}, {"nixpacksPlan", "JSON"}, {"numReplicas", "Int"}, {"preDeployCommand", "[String!]"},
        {"railwayConfigFile", "String"}, {"region", "String"}, {"registryCredentials", "RegistryCredentialsInput"},
        {"restartPolicyMaxRetries", "Int"}, {"restartPolicyType", "RestartPolicyType"}, {"rootDirectory", "String"},
        {"sleepApplication", "Boolean"}, {"source", "ServiceSourceInput"}, {"startCommand", "String"},
        {"watchPatterns", "[String!]"}}},
      {"VariableCollectionUpsertInput",
       {{"environmentId", "String!"}, {"projectId", "String!"}, {"replace", "Boolean"}, {"serviceId", "String"},
        {"skipDeploys", "Boolean"}, {"variables", "ServiceVariables!"}}},
      {"VolumeCreateInput", {{"environmentId", "String"}, {"mountPath", "String!"}, {"projectId", "String!"}, {"serviceId", "String"}}},
      {"ServiceDomainCreateInput", {{"environmentId", "String!"}, {"serviceId", "String!"}, {"targetPort", "Int"}}},
      {"DeploymentListInput",
       {{"environmentId", "String"}, {"includeDeleted", "Boolean"}, {"projectId", "String"}, {"serviceId", "String"},
        {"status", "DeploymentStatusInput"}}},
      {"DeploymentStatusInput", {{"in", "[DeploymentStatus!]"}, {"notIn", "[DeploymentStatus!]"}}},
  };
  return kTypes;
}

const std::map<std::string, std::set<std::string, std::less<>>, std::less<>>& enums() {
  static const std::map<std::string, std::set<std::string, std::less<>>, std::less<>> kEnums = {
      {"DeploymentStatus",
       {"BUILDING", "CRASHED", "DEPLOYING", "FAILED", "INITIALIZING", "NEEDS_APPROVAL", "QUEUED", "REMOVED", "REMOVING",
        "SKIPPED", "SLEEPING", "SUCCESS", "WAITING"}},
      {"Builder", {"HEROKU", "NIXPACKS", "PAKETO", "RAILPACK"}},
      {"RestartPolicyType", {"ALWAYS", "NEVER", "ON_FAILURE"}},
  };
  return kEnums;
}

struct RootField {
  std::string root;  // "Query" or "Mutation"
  std::string type;  // the result type, for messages
  std::vector<TypedName> args;
};

const std::map<std::string, RootField, std::less<>>& root_fields() {
  static const std::map<std::string, RootField, std::less<>> kFields = {
      {"project", {"Query", "Project!", {{"id", "String!"}}}},
      {"deployment", {"Query", "Deployment!", {{"id", "String!"}}}},
      {"deployments",
       {"Query", "QueryDeploymentsConnection!",
        {{"after", "String"}, {"before", "String"}, {"first", "Int"}, {"input", "DeploymentListInput!"}, {"last", "Int"}}}},
      {"serviceInstance", {"Query", "ServiceInstance!", {{"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"domains", {"Query", "AllDomains!", {{"environmentId", "String!"}, {"projectId", "String!"}, {"serviceId", "String!"}}}},
      {"variables",
       {"Query", "EnvironmentVariables!",
        {{"environmentId", "String!"}, {"pluginId", "String"}, {"projectId", "String!"}, {"serviceId", "String"},
         {"unrendered", "Boolean"}}}},
      {"serviceCreate", {"Mutation", "Service!", {{"input", "ServiceCreateInput!"}}}},
      {"serviceInstanceUpdate",
       {"Mutation", "Boolean!", {{"environmentId", "String"}, {"input", "ServiceInstanceUpdateInput!"}, {"serviceId", "String!"}}}},
      {"variableCollectionUpsert", {"Mutation", "Boolean!", {{"input", "VariableCollectionUpsertInput!"}}}},
      {"volumeCreate", {"Mutation", "Volume!", {{"input", "VolumeCreateInput!"}}}},
      {"volumeDelete", {"Mutation", "Boolean!", {{"volumeId", "String!"}}}},
      {"serviceDomainCreate", {"Mutation", "ServiceDomain!", {{"input", "ServiceDomainCreateInput!"}}}},
      {"serviceInstanceDeployV2",
       {"Mutation", "String!", {{"commitSha", "String"}, {"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"serviceInstanceRedeploy", {"Mutation", "Boolean!", {{"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"deploymentStop", {"Mutation", "Boolean!", {{"id", "String!"}}}},
      {"deploymentRemove", {"Mutation", "Boolean!", {{"id", "String!"}}}},
      {"serviceDelete", {"Mutation", "Boolean!", {{"environmentId", "String"}, {"id", "String!"}}}},
  };
  return kFields;
}

/// One GraphQL error.
struct GqlError {
  std::string message;
  std::string code;
  std::string path;  // the root field, when the error belongs to one
};

bool non_null(std::string_view type) { return !type.empty() && type.back() == '!'; }
std::string_view nullable(std::string_view type) { return non_null(type) ? type.substr(0, type.size() - 1) : type; }

/// Why `v` is not a valid `type` (graphql-js wording), with the path of the
/// offending part and that part itself; nullopt when valid.
struct Invalid {
  std::string path, detail;
  json::value at;
};

std::optional<Invalid> check_value(const json::value& v, std::string_view type, const std::string& path);

std::optional<Invalid> check_object(const json::value& v, std::string_view name, const std::string& path) {
  const auto& fields = input_types().at(std::string(name));
  if (!v.is_object()) return Invalid{path, "Expected type \"" + std::string(name) + "\" to be an object.", v};
  const auto& o = v.as_object();
  for (const auto& [key, _] : o) {
    const bool known = std::any_of(fields.begin(), fields.end(), [&](const TypedName& f) { return f.name == key; });
    if (!known) return Invalid{path, "Field \"" + std::string(key) + "\" is not defined by type \"" + std::string(name) + "\".", v};
  }
  for (const auto& f : fields) {
    const auto* field = o.if_contains(f.name);
    if (field == nullptr) {
      if (non_null(f.type)) return Invalid{path, "Field \"" + f.name + "\" of required type \"" + f.type + "\" was not provided.", v};
      continue;
    }
    if (auto bad = check_value(*field, f.type, path.empty() ? f.name : path + "." + f.name)) return bad;
  }
  return std::nullopt;
}

std::optional<Invalid> check_scalar(const json::value& v, std::string_view base, const std::string& path) {
  const std::string shown = json::serialize(v);
  if (base == "String" || base == "ID") {
    if (v.is_string() || (base == "ID" && v.is_int64())) return std::nullopt;
    return Invalid{path, std::string(base) + " cannot represent a non string value: " + shown, v};
  }
  if (base == "Int") {
    if (v.is_int64() && v.as_int64() >= INT32_MIN && v.as_int64() <= INT32_MAX) return std::nullopt;
    return Invalid{path, "Int cannot represent non-integer value: " + shown, v};
  }
  if (base == "Float") {
    if (v.is_number()) return std::nullopt;
    return Invalid{path, "Float cannot represent non numeric value: " + shown, v};
  }
  if (base == "Boolean") {
    if (v.is_bool()) return std::nullopt;
    return Invalid{path, "Boolean cannot represent a non boolean value: " + shown, v};
  }
  if (base == "ServiceVariables" || base == "EnvironmentVariables") {
    const bool ok = v.is_object() && std::all_of(v.as_object().begin(), v.as_object().end(),
                                                 [](const auto& kv) { return kv.value().is_string(); });
    if (ok) return std::nullopt;
    return Invalid{path, "Expected type \"" + std::string(base) + "\": a map of variable names to string values.", v};
  }
  if (base == "JSON") return std::nullopt;
  if (const auto e = enums().find(base); e != enums().end()) {
    if (v.is_string() && e->second.contains(v.as_string())) return std::nullopt;
    return Invalid{path, "Value " + shown + " does not exist in \"" + std::string(base) + "\" enum.", v};
  }
  throw std::logic_error("fake_railway: unknown type " + std::string(base));
}

std::optional<Invalid> check_value(const json::value& v, std::string_view type, const std::string& path) {
  if (v.is_null()) {
    if (non_null(type)) return Invalid{path, "Expected non-nullable type \"" + std::string(type) + "\" not to be null.", v};
    return std::nullopt;
  }
  const std::string_view base = nullable(type);
  if (base.front() == '[') {
    const std::string_view inner = base.substr(1, base.size() - 2);
    if (!v.is_array()) return check_value(v, inner, path);  // input coercion accepts one item for a list
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      if (auto bad = check_value(v.as_array()[i], inner, path + "[" + std::to_string(i) + "]")) return bad;
    }
    return std::nullopt;
  }
  if (input_types().contains(base)) return check_object(v, base, path);
  return check_scalar(v, base, path);
}

/// A literal (or a variable) as JSON; enum names become strings.
json::value to_json(const GqlValue& v, const json::object& variables) {
  switch (v.kind) {
    case GqlValue::Kind::kVariable: {
      const auto* found = variables.if_contains(v.text);
      return found != nullptr ? *found : json::value(nullptr);
    }
    case GqlValue::Kind::kNull: return nullptr;
    case GqlValue::Kind::kBool: return v.boolean;
    case GqlValue::Kind::kInt: return std::stoll(v.text);
    case GqlValue::Kind::kFloat: return std::stod(v.text);
    case GqlValue::Kind::kString:
    case GqlValue::Kind::kEnum: return json::value(v.text);
    case GqlValue::Kind::kList: {
      json::array a;
      for (const auto& item : v.items) a.push_back(to_json(item, variables));
      return a;
    }
    case GqlValue::Kind::kObject: {
      json::object o;
      for (const auto& [key, item] : v.fields) o[key] = to_json(item, variables);
      return o;
    }
  }
  return nullptr;
}

void collect_variables(const GqlValue& v, std::vector<std::string>& out) {
  if (v.kind == GqlValue::Kind::kVariable) out.push_back(v.text);
  for (const auto& item : v.items) collect_variables(item, out);
  for (const auto& [_, item] : v.fields) collect_variables(item, out);
}

/// Whether a variable of type `var` may be used where `arg` is expected.
bool fits(std::string_view var, std::string_view arg) {
  return var == arg || (non_null(var) && !non_null(arg) && nullable(var) == arg);
}

// ---------------------------------------------------------------------------
// Responses.

const char* const kCdnPage =
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    "<p>The upstream server is unavailable. Please try again in a few moments.</p><hr><center>edge</center></body></html>";

std::string errors_body(const std::vector<GqlError>& errors, bool with_data) {
  json::array list;
  for (const auto& e : errors) {
    json::object item{{"message", e.message}};
    if (!e.path.empty()) item["path"] = json::array{json::value(e.path)};
    item["extensions"] = json::object{{"code", e.code}};
    list.push_back(std::move(item));
  }
  json::object body;
  if (with_data) body["data"] = nullptr;
  body["errors"] = std::move(list);
  return json::serialize(body);
}

/// The object types the answers are made of: field name → GraphQL type.
const std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>& object_types() {
  using Fields = std::map<std::string, std::string, std::less<>>;
  auto connection = [](const std::string& edge) { return Fields{{"edges", "[" + edge + "!]!"}, {"pageInfo", "PageInfo!"}}; };
  auto edge = [](const std::string& node) { return Fields{{"cursor", "String!"}, {"node", node + "!"}}; };
  static const std::map<std::string, Fields, std::less<>> kTypes = {
      {"Project", {{"id", "ID!"}, {"name", "String!"}, {"services", "ProjectServicesConnection!"},
                   {"volumes", "ProjectVolumesConnection!"}}},
      {"ProjectServicesConnection", connection("ProjectServicesConnectionEdge")},
      {"ProjectServicesConnectionEdge", edge("Service")},
      {"ProjectVolumesConnection", connection("ProjectVolumesConnectionEdge")},
      {"ProjectVolumesConnectionEdge", edge("Volume")},
      {"VolumeVolumeInstancesConnection", connection("VolumeVolumeInstancesConnectionEdge")},
      {"VolumeVolumeInstancesConnectionEdge", edge("VolumeInstance")},
      {"QueryDeploymentsConnection", connection("QueryDeploymentsConnectionEdge")},
      {"QueryDeploymentsConnectionEdge", edge("Deployment")},
      {"PageInfo", {{"endCursor", "String"}, {"hasNextPage", "Boolean!"}, {"hasPreviousPage", "Boolean!"}, {"startCursor", "String"}}},
      {"Service", {{"id", "ID!"}, {"name", "String!"}, {"projectId", "String!"}, {"icon", "String"},
                   {"createdAt", "DateTime!"}, {"deletedAt", "DateTime"}}},
      {"Volume", {{"id", "ID!"}, {"name", "String!"}, {"projectId", "String!"}, {"createdAt", "DateTime!"},
                  {"volumeInstances", "VolumeVolumeInstancesConnection!"}}},
      {"VolumeInstance", {{"id", "ID!"}, {"volumeId", "String!"}, {"serviceId", "String"}, {"environmentId", "String!"},
                          {"mountPath", "String!"}, {"state", "VolumeState"}, {"sizeMB", "Int!"}, {"currentSizeMB", "Float!"}}},
      {"ServiceDomain", {{"id", "ID!"}, {"domain", "String!"}, {"environmentId", "String!"}, {"serviceId", "String!"},
                         {"projectId", "String"}, {"suffix", "String"}, {"targetPort", "Int"}, {"createdAt", "DateTime"},
                         {"updatedAt", "DateTime"}, {"deletedAt", "DateTime"}}},
      {"CustomDomain", {{"id", "ID!"}, {"domain", "String!"}, {"serviceId", "String!"}, {"environmentId", "String!"}}},
      {"AllDomains", {{"serviceDomains", "[ServiceDomain!]!"}, {"customDomains", "[CustomDomain!]!"}}},
      {"Deployment", {{"id", "ID!"}, {"status", "DeploymentStatus!"}, {"createdAt", "DateTime!"}, {"updatedAt", "DateTime!"},
                      {"serviceId", "String"}, {"environmentId", "String!"}, {"projectId", "String!"},
                      {"staticUrl", "String"}, {"url", "String"}, {"canRedeploy", "Boolean!"}, {"canRollback", "Boolean!"},
                      {"deploymentStopped", "Boolean!"}, {"meta", "DeploymentMeta"}}},
      {"ServiceInstance", {{"id", "ID!"}, {"serviceId", "String!"}, {"serviceName", "String!"}, {"environmentId", "String!"},
                           {"startCommand", "String"}, {"source", "ServiceSource"}, {"latestDeployment", "Deployment"},
                           {"numReplicas", "Int"}, {"region", "String"}, {"sleepApplication", "Boolean"}}},
      {"ServiceSource", {{"image", "String"}, {"repo", "String"}}},
  };
  return kTypes;
}

std::string base_type(std::string_view type) {
  std::string out;
  for (const char c : type) {
    if (c != '[' && c != ']' && c != '!') out += c;
  }
  return out;
}

/// graphql-js's checks of a selection against the object types.
void check_selection(const std::vector<GqlField>& selection, const std::string& parent, const std::string& type,
                     std::vector<GqlError>& errors) {
  const std::string base = base_type(type);
  const auto object = object_types().find(base);
  if (object == object_types().end()) {
    if (!selection.empty()) {
      errors.push_back({"Field \"" + parent + "\" must not have a selection since type \"" + type + "\" has no subfields.",
                        "GRAPHQL_VALIDATION_FAILED", {}});
    }
    return;
  }
  if (selection.empty()) {
    errors.push_back({"Field \"" + parent + "\" of type \"" + type + "\" must have a selection of subfields. Did you mean \"" +
                          parent + " { ... }\"?",
                      "GRAPHQL_VALIDATION_FAILED", {}});
    return;
  }
  for (const auto& f : selection) {
    if (f.name == "__typename") continue;
    const auto field = object->second.find(f.name);
    if (field == object->second.end()) {
      errors.push_back({"Cannot query field \"" + f.name + "\" on type \"" + base + "\".", "GRAPHQL_VALIDATION_FAILED", {}});
      continue;
    }
    for (const auto& [arg, _] : f.args) {
      if (arg != "first" && arg != "after" && arg != "last" && arg != "before") {
        errors.push_back({"Unknown argument \"" + arg + "\" on field \"" + base + "." + f.name + "\".", "GRAPHQL_VALIDATION_FAILED", {}});
      }
    }
    check_selection(f.selection, f.name, field->second, errors);
  }
}

/// `v` cut down to the (already validated) selection, as a GraphQL server answers.
json::value project(const json::value& v, const std::vector<GqlField>& selection) {
  if (selection.empty() || v.is_null()) return v;
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.as_array()) out.push_back(project(item, selection));
    return out;
  }
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& f : selection) {
    const auto* field = v.as_object().if_contains(f.name);
    out[f.key()] = field != nullptr ? project(*field, f.selection) : json::value(nullptr);
  }
  return out;
}

json::object edges(json::array nodes) {
  json::array list;
  for (auto& n : nodes) list.push_back(json::object{{"cursor", "c"}, {"node", std::move(n)}});
  return json::object{{"edges", std::move(list)},
                      {"pageInfo", json::object{{"hasNextPage", false}, {"hasPreviousPage", false},
                                                {"startCursor", nullptr}, {"endCursor", nullptr}}}};
}

struct ResolveError {
  std::string message, code = "INTERNAL_SERVER_ERROR";
};

std::string arg_str(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object& arg_obj(const json::object& args, std::string_view key) {
  static const json::object kEmpty;
  const auto* v = args.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : kEmpty;
}

std::string uuid_like(char kind, int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%c%07x-5a1e-4c0d-9e2f-%012x", kind, static_cast<unsigned>(n), static_cast<unsigned>(n * 7919));
  return buf;
}

}  // namespace

struct FakeRailway::Impl {
  struct Deployment {
    FakeRailwayDeployment pub;
    FakeDeployOutcome outcome;
    int reads = 0;
    std::string fixed;  // a status that no longer changes (REMOVED, set by a test, a finished one)
  };
  struct Answer {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::optional<int> retry_after;
  };
  using Resolved = std::variant<json::value, ResolveError>;

  explicit Impl(FakeRailwayConfig c) : config_(std::move(c)) {}

  FakeRailwayConfig config_;

  // Shared with test threads, under mu_.
  mutable std::mutex mu_;
  int answer_429_ = 0;
  std::optional<int> retry_after_;
  int answer_502_ = 0;
  int delayed_ = 0;
  std::chrono::milliseconds delay_{0};
  struct FieldFault {
    std::string message, code;
    int times = 0;
  };
  std::map<std::string, FieldFault, std::less<>> field_faults_;
  FakeDeployOutcome outcome_;
  int next_id_ = 1;
  std::vector<FakeRailwayService> services_;
  std::vector<FakeRailwayVolume> volumes_;
  std::vector<FakeRailwayDomain> domains_;
  std::vector<Deployment> deployments_;
  std::vector<FakeRailwayOperation> operations_;
  std::size_t http_requests_ = 0;

  // ---- state (mu_ held) ---------------------------------------------------

  std::string new_id(char kind) { return uuid_like(kind, next_id_++); }

  FakeRailwayService* service(std::string_view id) {
    const auto it = std::find_if(services_.begin(), services_.end(), [&](const auto& s) { return s.id == id; });
    return it == services_.end() ? nullptr : &*it;
  }

  Deployment* deployment(std::string_view id) {
    const auto it = std::find_if(deployments_.begin(), deployments_.end(), [&](const auto& d) { return d.pub.id == id; });
    return it == deployments_.end() ? nullptr : &*it;
  }

  /// The status now; a status read (`advance`) moves a deployment along.
  std::string status_of(Deployment& d, bool advance) {
    if (!d.fixed.empty()) return d.pub.status = d.fixed;
    if (d.pub.image.empty()) return d.pub.status = d.fixed = "FAILED";  // nothing to run
    if (advance) ++d.reads;
    if (d.outcome.final_status == "DEPLOYING" || d.reads <= d.outcome.polls_before_final) return d.pub.status = "DEPLOYING";
    d.fixed = d.outcome.final_status;
    if (d.fixed == "SUCCESS" || d.fixed == "SLEEPING") {
      // The new deployment replaces the service's previous one.
      for (auto& other : deployments_) {
        if (&other != &d && other.pub.service_id == d.pub.service_id && (other.fixed == "SUCCESS" || other.fixed == "SLEEPING")) {
          other.fixed = other.pub.status = "REMOVED";
        }
      }
    }
    return d.pub.status = d.fixed;
  }

  std::string deploy(FakeRailwayService& s) {
    Deployment d;
    d.pub.id = new_id('d');
    d.pub.service_id = s.id;
    d.pub.status = "QUEUED";
    d.pub.image = s.image;
    d.pub.start_command = s.start_command;
    d.pub.variables = s.variables;
    d.outcome = outcome_;
    deployments_.push_back(std::move(d));
    return deployments_.back().pub.id;
  }

  // ---- JSON views of the state ---------------------------------------------

  json::object service_json(const FakeRailwayService& s) const {
    return {{"__typename", "Service"}, {"id", s.id}, {"name", s.name}, {"projectId", config_.project_id},
            {"icon", nullptr}, {"createdAt", "2026-01-01T00:00:00.000Z"}, {"deletedAt", nullptr}};
  }

  json::object volume_json(const FakeRailwayVolume& v) const {
    json::object inst{{"__typename", "VolumeInstance"}, {"id", v.id + "-i"}, {"volumeId", v.id},
                      {"serviceId", v.service_id.empty() ? json::value(nullptr) : json::value(v.service_id)},
                      {"environmentId", v.environment_id}, {"mountPath", v.mount_path}, {"state", "READY"},
                      {"sizeMB", 5000}, {"currentSizeMB", 12.5}};
    json::array instances;
    instances.push_back(std::move(inst));
    return {{"__typename", "Volume"}, {"id", v.id}, {"name", "volume-" + v.id.substr(0, 6)}, {"projectId", config_.project_id},
            {"createdAt", "2026-01-01T00:00:00.000Z"}, {"volumeInstances", edges(std::move(instances))}};
  }

  json::object domain_json(const FakeRailwayDomain& d) const {
    return {{"__typename", "ServiceDomain"}, {"id", d.id}, {"domain", d.domain}, {"environmentId", d.environment_id},
            {"serviceId", d.service_id}, {"projectId", config_.project_id}, {"suffix", "up.railway.app"},
            {"targetPort", d.target_port}, {"createdAt", nullptr}, {"updatedAt", nullptr}, {"deletedAt", nullptr}};
  }

  json::object deployment_json(Deployment& d, bool advance) {
    const std::string status = status_of(d, advance);
    json::value url = nullptr;
    for (const auto& dom : domains_) {
      if (dom.service_id == d.pub.service_id) url = dom.domain;
    }
    return {{"__typename", "Deployment"}, {"id", d.pub.id}, {"status", status},
            {"createdAt", "2026-01-01T00:00:00.000Z"}, {"updatedAt", "2026-01-01T00:00:00.000Z"},
            {"serviceId", d.pub.service_id}, {"environmentId", config_.environment_id}, {"projectId", config_.project_id},
            {"staticUrl", url}, {"url", url}, {"canRedeploy", true}, {"canRollback", false},
            {"deploymentStopped", status == "REMOVED"}, {"meta", nullptr}};
  }

  // ---- resolvers (mu_ held; arguments already validated) --------------------

  std::optional<ResolveError> check_scope(const json::object& args) const {
    if (args.contains("projectId") && arg_str(args, "projectId") != config_.project_id) {
      return ResolveError{"Project not found", "NOT_FOUND"};
    }
    if (args.contains("environmentId") && !args.at("environmentId").is_null() &&
        arg_str(args, "environmentId") != config_.environment_id) {
      return ResolveError{"Environment not found", "NOT_FOUND"};
    }
    return std::nullopt;
  }

  Resolved project_query(const json::object& args) {
    if (arg_str(args, "id") != config_.project_id) return ResolveError{"Project not found", "NOT_FOUND"};
    json::array services, volumes;
    for (const auto& s : services_) services.push_back(service_json(s));
    for (const auto& v : volumes_) volumes.push_back(volume_json(v));
    return json::value{{"__typename", "Project"}, {"id", config_.project_id}, {"name", "winston-cells"},
                       {"services", edges(std::move(services))}, {"volumes", edges(std::move(volumes))}};
  }

  Resolved service_create(const json::object& args) {
    const auto& input = arg_obj(args, "input");
    if (auto bad = check_scope(input)) return *bad;
    FakeRailwayService s;
    s.id = new_id('s');
    s.name = input.contains("name") && input.at("name").is_string() ? arg_str(input, "name") : "service-" + s.id.substr(0, 6);
    s.image = arg_str(arg_obj(input, "source"), "image");
    for (const auto& [k, v] : arg_obj(input, "variables")) s.variables[std::string(k)] = std::string(v.as_string());
    services_.push_back(s);
    if (!s.image.empty()) deploy(services_.back());  // an image service deploys when created
    return json::value(service_json(s));
  }

  Resolved instance_update(const json::object& args) {
    if (auto bad = check_scope(args)) return *bad;
    auto* s = service(arg_str(args, "serviceId"));
    if (s == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    const auto& input = arg_obj(args, "input");
    if (input.contains("source")) s->image = arg_str(arg_obj(input, "source"), "image");
    if (input.contains("startCommand")) s->start_command = arg_str(input, "startCommand");
    return json::value(true);
  }

  Resolved variables_upsert(const json::object& args) {
    const auto& input = arg_obj(args, "input");
    if (auto bad = check_scope(input)) return *bad;
    auto* s = service(arg_str(input, "serviceId"));
    if (s == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    if (input.contains("replace") && input.at("replace").is_bool() && input.at("replace").as_bool()) s->variables.clear();
    for (const auto& [k, v] : arg_obj(input, "variables")) s->variables[std::string(k)] = std::string(v.as_string());
    const bool skip = input.contains("skipDeploys") && input.at("skipDeploys").is_bool() && input.at("skipDeploys").as_bool();
    const bool deployed = std::any_of(deployments_.begin(), deployments_.end(), [&](const auto& d) { return d.pub.service_id == s->id; });
    if (!skip && deployed) deploy(*s);  // Railway redeploys on a variable change
    return json::value(true);
  }

  Resolved volume_create(const json::object& args) {
    const auto& input = arg_obj(args, "input");
    if (auto bad = check_scope(input)) return *bad;
    FakeRailwayVolume v;
    v.service_id = arg_str(input, "serviceId");
    if (!v.service_id.empty() && service(v.service_id) == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    const bool taken = std::any_of(volumes_.begin(), volumes_.end(), [&](const auto& o) { return !v.service_id.empty() && o.service_id == v.service_id; });
    if (taken) return ResolveError{"A volume is already attached to this service", "BAD_USER_INPUT"};
    v.mount_path = arg_str(input, "mountPath");
    if (!v.mount_path.starts_with("/")) return ResolveError{"Mount path must be an absolute path", "BAD_USER_INPUT"};
    v.id = new_id('v');
    v.environment_id = config_.environment_id;
    volumes_.push_back(v);
    return json::value(volume_json(v));
  }

  Resolved volume_delete(const json::object& args) {
    const auto id = arg_str(args, "volumeId");
    const auto n = std::erase_if(volumes_, [&](const auto& v) { return v.id == id; });
    if (n == 0) return ResolveError{"Volume not found", "NOT_FOUND"};
    return json::value(true);
  }

  Resolved domain_create(const json::object& args) {
    const auto& input = arg_obj(args, "input");
    if (auto bad = check_scope(input)) return *bad;
    const auto* s = service(arg_str(input, "serviceId"));
    if (s == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    FakeRailwayDomain d;
    d.id = new_id('m');
    d.service_id = s->id;
    d.environment_id = config_.environment_id;
    d.domain = s->name + "-" + d.id.substr(1, 4) + ".up.railway.app";
    d.target_port = input.contains("targetPort") && input.at("targetPort").is_int64() ? input.at("targetPort").as_int64() : 0;
    domains_.push_back(d);
    return json::value(domain_json(d));
  }

  Resolved domains_query(const json::object& args) {
    if (auto bad = check_scope(args)) return *bad;
    json::array list;
    for (const auto& d : domains_) {
      if (d.service_id == arg_str(args, "serviceId")) list.push_back(domain_json(d));
    }
    return json::value{{"__typename", "AllDomains"}, {"serviceDomains", std::move(list)}, {"customDomains", json::array{}}};
  }

  Resolved deploy_v2(const json::object& args, bool redeploy) {
    if (auto bad = check_scope(args)) return *bad;
    auto* s = service(arg_str(args, "serviceId"));
    if (s == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    const bool any = std::any_of(deployments_.begin(), deployments_.end(), [&](const auto& d) { return d.pub.service_id == s->id; });
    if (redeploy && !any) return ResolveError{"No deployment found to redeploy", "BAD_USER_INPUT"};
    const std::string id = deploy(*s);
    return redeploy ? json::value(true) : json::value(id);
  }

  Resolved deployment_remove(const json::object& args) {
    auto* d = deployment(arg_str(args, "id"));
    if (d == nullptr) return ResolveError{"Deployment not found", "NOT_FOUND"};
    d->fixed = d->pub.status = "REMOVED";
    return json::value(true);
  }

  Resolved service_delete(const json::object& args) {
    if (auto bad = check_scope(args)) return *bad;
    const auto id = arg_str(args, "id");
    if (service(id) == nullptr) return ResolveError{"Service not found", "NOT_FOUND"};
    std::erase_if(services_, [&](const auto& s) { return s.id == id; });
    std::erase_if(domains_, [&](const auto& d) { return d.service_id == id; });
    std::erase_if(deployments_, [&](const auto& d) { return d.pub.service_id == id; });
    for (auto& v : volumes_) {
      if (v.service_id == id) v.service_id.clear();  // the volume stays, detached
    }
    return json::value(true);
  }

  Resolved deployment_query(const json::object& args) {
    auto* d = deployment(arg_str(args, "id"));
    if (d == nullptr) return ResolveError{"Deployment not found", "NOT_FOUND"};
    return json::value(deployment_json(*d, true));
  }

  Resolved deployments_query(const json::object& args) {
    const auto& input = arg_obj(args, "input");
    if (auto bad = check_scope(input)) return *bad;
    const auto& status = arg_obj(input, "status");
    auto listed = [&](std::string_view key, const std::string& s) {
      const auto* list = status.if_contains(key);
      if (list == nullptr || list->is_null()) return key == "in";
      const auto& a = list->is_array() ? list->as_array() : json::array{*list};
      return std::any_of(a.begin(), a.end(), [&](const auto& v) { return v.as_string() == s; });
    };
    json::array nodes;
    const auto limit = args.contains("first") && args.at("first").is_int64() ? args.at("first").as_int64() : 1000;
    for (auto it = deployments_.rbegin(); it != deployments_.rend() && std::ssize(nodes) < limit; ++it) {
      if (input.contains("serviceId") && arg_str(input, "serviceId") != it->pub.service_id) continue;
      const auto s = status_of(*it, false);
      if (!listed("in", s) || (status.contains("notIn") && listed("notIn", s))) continue;
      nodes.push_back(deployment_json(*it, false));
    }
    return json::value(edges(std::move(nodes)));
  }

  Resolved instance_query(const json::object& args) {
    if (auto bad = check_scope(args)) return *bad;
    const auto* s = service(arg_str(args, "serviceId"));
    if (s == nullptr) return ResolveError{"ServiceInstance not found", "NOT_FOUND"};
    json::value latest = nullptr;
    for (auto it = deployments_.rbegin(); it != deployments_.rend(); ++it) {
      if (it->pub.service_id == s->id) {
        latest = deployment_json(*it, true);
        break;
      }
    }
    json::value source = nullptr;
    if (!s->image.empty()) source = json::object{{"__typename", "ServiceSource"}, {"image", s->image}, {"repo", nullptr}};
    return json::value{{"__typename", "ServiceInstance"}, {"id", s->id + "-" + config_.environment_id},
                       {"serviceId", s->id}, {"serviceName", s->name}, {"environmentId", config_.environment_id},
                       {"startCommand", s->start_command.empty() ? json::value(nullptr) : json::value(s->start_command)},
                       {"source", source}, {"latestDeployment", latest}, {"numReplicas", 1}, {"region", "us-west2"},
                       {"sleepApplication", false}};
  }

  Resolved variables_query(const json::object& args) {
    if (auto bad = check_scope(args)) return *bad;
    json::object out;
    if (const auto* s = service(arg_str(args, "serviceId"))) {
      for (const auto& [k, v] : s->variables) out[k] = v;
    }
    return json::value(std::move(out));
  }

  Resolved resolve(const std::string& field, const json::object& args) {
    if (field == "project") return project_query(args);
    if (field == "serviceCreate") return service_create(args);
    if (field == "serviceInstanceUpdate") return instance_update(args);
    if (field == "variableCollectionUpsert") return variables_upsert(args);
    if (field == "volumeCreate") return volume_create(args);
    if (field == "volumeDelete") return volume_delete(args);
    if (field == "serviceDomainCreate") return domain_create(args);
    if (field == "domains") return domains_query(args);
    if (field == "serviceInstanceDeployV2") return deploy_v2(args, false);
    if (field == "serviceInstanceRedeploy") return deploy_v2(args, true);
    if (field == "deploymentStop" || field == "deploymentRemove") return deployment_remove(args);
    if (field == "serviceDelete") return service_delete(args);
    if (field == "deployment") return deployment_query(args);
    if (field == "deployments") return deployments_query(args);
    if (field == "serviceInstance") return instance_query(args);
    if (field == "variables") return variables_query(args);
    throw std::logic_error("fake_railway: no resolver for " + field);
  }

  // ---- validation ------------------------------------------------------------

  /// The operation's variables after coercion (defaults applied), or errors.
  json::object coerce_variables(const GqlDocument& doc, const json::object& sent, std::vector<GqlError>& errors) const {
    json::object out;
    for (const auto& def : doc.variables) {
      const auto base = base_type(def.type);
      const bool known = input_types().contains(base) || enums().contains(base) ||
                         std::set<std::string, std::less<>>{"String", "ID", "Int", "Float", "Boolean", "JSON",
                                                            "ServiceVariables", "EnvironmentVariables"}
                             .contains(base);
      if (!known) {
        errors.push_back({"Unknown type \"" + base + "\".", "GRAPHQL_VALIDATION_FAILED", {}});
        continue;
      }
      const auto* given = sent.if_contains(def.name);
      if (given == nullptr && def.default_value) {
        out[def.name] = to_json(*def.default_value, {});
        continue;
      }
      if (given == nullptr) {
        if (non_null(def.type)) {
          errors.push_back({"Variable \"$" + def.name + "\" of required type \"" + def.type + "\" was not provided.", "BAD_USER_INPUT", {}});
        }
        continue;
      }
      if (auto bad = check_value(*given, def.type, "")) {
        std::string msg = "Variable \"$" + def.name + "\" got invalid value " + json::serialize(bad->at);
        if (!bad->path.empty()) msg += " at \"" + def.name + "." + bad->path + "\"";
        errors.push_back({msg + "; " + bad->detail, "BAD_USER_INPUT", {}});
        continue;
      }
      out[def.name] = *given;
    }
    return out;
  }

  void check_field(const GqlDocument& doc, const GqlField& f, const json::object& vars, std::vector<GqlError>& errors) const {
    const std::string root = doc.operation == "mutation" ? "Mutation" : "Query";
    const auto def = root_fields().find(f.name);
    if (def == root_fields().end() || def->second.root != root) {
      errors.push_back({"Cannot query field \"" + f.name + "\" on type \"" + root + "\".", "GRAPHQL_VALIDATION_FAILED", {}});
      return;
    }
    const auto& args = def->second.args;
    for (const auto& [name, value] : f.args) {
      const auto arg = std::find_if(args.begin(), args.end(), [&](const TypedName& a) { return a.name == name; });
      if (arg == args.end()) {
        errors.push_back({"Unknown argument \"" + name + "\" on field \"" + root + "." + f.name + "\".", "GRAPHQL_VALIDATION_FAILED", {}});
        continue;
      }
      check_argument(doc, f, *arg, value, vars, errors);
    }
    for (const auto& a : args) {
      const bool given = std::any_of(f.args.begin(), f.args.end(), [&](const auto& p) { return p.first == a.name; });
      if (!given && non_null(a.type)) {
        errors.push_back({"Field \"" + f.name + "\" argument \"" + a.name + "\" of type \"" + a.type +
                              "\" is required, but it was not provided.",
                          "GRAPHQL_VALIDATION_FAILED", {}});
      }
    }
    check_selection(f.selection, f.name, def->second.type, errors);
  }

  void check_argument(const GqlDocument& doc, const GqlField& f, const TypedName& arg, const GqlValue& value,
                      const json::object& vars, std::vector<GqlError>& errors) const {
    std::vector<std::string> used;
    collect_variables(value, used);
    for (const auto& name : used) {
      const auto def = std::find_if(doc.variables.begin(), doc.variables.end(), [&](const auto& v) { return v.name == name; });
      if (def == doc.variables.end()) {
        errors.push_back({"Variable \"$" + name + "\" is not defined" + (doc.name.empty() ? "." : " by operation \"" + doc.name + "\"."),
                          "GRAPHQL_VALIDATION_FAILED", {}});
      } else if (value.kind == GqlValue::Kind::kVariable && !fits(def->type, arg.type)) {
        errors.push_back({"Variable \"$" + name + "\" of type \"" + def->type + "\" used in position expecting type \"" + arg.type + "\".",
                          "GRAPHQL_VALIDATION_FAILED", {}});
      }
    }
    if (value.kind == GqlValue::Kind::kVariable) return;  // checked when the variables were coerced
    if (auto bad = check_value(to_json(value, vars), arg.type, "")) {
      errors.push_back({"Field \"" + f.name + "\" argument \"" + arg.name + "\" has an invalid value" +
                            (bad->path.empty() ? "" : " at \"" + bad->path + "\"") + ": " + bad->detail,
                        "GRAPHQL_VALIDATION_FAILED", {}});
    }
  }

  std::vector<GqlError> validate(const GqlDocument& doc, const json::object& sent, json::object& vars) const {
    std::vector<GqlError> errors;
    vars = coerce_variables(doc, sent, errors);
    std::set<std::string, std::less<>> used;
    for (const auto& f : doc.selection) {
      check_field(doc, f, vars, errors);
      for (const auto& [_, value] : f.args) {
        std::vector<std::string> names;
        collect_variables(value, names);
        used.insert(names.begin(), names.end());
      }
    }
    for (const auto& def : doc.variables) {
      if (!used.contains(def.name)) {
        errors.push_back({"Variable \"$" + def.name + "\" is never used" + (doc.name.empty() ? "." : " in operation \"" + doc.name + "\"."),
                          "GRAPHQL_VALIDATION_FAILED", {}});
      }
    }
    return errors;
  }

  // ---- one request (mu_ held) ------------------------------------------------

  static json::object arguments_of(const GqlField& f, const json::object& vars) {
    json::object out;
    for (const auto& [name, value] : f.args) out[name] = to_json(value, vars);
    return out;
  }

  void reject_all(const GqlDocument& doc, const json::object& vars, const std::string& error) {
    for (const auto& f : doc.selection) operations_.push_back({f.name, arguments_of(f, vars), false, error});
  }

  Answer graphql(const std::string& query, const json::object& sent, bool authorized) {
    GqlDocument doc;
    try {
      doc = GqlParser(query).document();
    } catch (const SyntaxError& e) {
      return {200, "application/json", errors_body({{e.what(), "GRAPHQL_PARSE_FAILED", {}}}, false), {}};
    }
    if (!authorized) {
      reject_all(doc, sent, "Not Authorized");
      return {200, "application/json", errors_body({{"Not Authorized", "UNAUTHENTICATED", doc.selection.front().key()}}, true), {}};
    }
    json::object vars;
    if (auto errors = validate(doc, sent, vars); !errors.empty()) {
      reject_all(doc, vars, errors.front().message);
      return {200, "application/json", errors_body(errors, false), {}};
    }
    return execute(doc, vars);
  }

  Answer execute(const GqlDocument& doc, const json::object& vars) {
    json::object data;
    for (const auto& f : doc.selection) {
      auto args = arguments_of(f, vars);
      std::optional<ResolveError> failure;
      json::value result;
      if (auto fault = field_faults_.find(f.name); fault != field_faults_.end() && fault->second.times > 0) {
        --fault->second.times;
        failure = ResolveError{fault->second.message, fault->second.code};
      } else if (auto r = resolve(f.name, args); std::holds_alternative<ResolveError>(r)) {
        failure = std::get<ResolveError>(r);
      } else {
        result = std::get<json::value>(std::move(r));
      }
      if (failure) {
        // Every root field is non-null: the error nulls the whole answer.
        operations_.push_back({f.name, std::move(args), false, failure->message});
        return {200, "application/json", errors_body({{failure->message, failure->code, f.key()}}, true), {}};
      }
      operations_.push_back({f.name, std::move(args), true, {}});
      data[f.key()] = project(result, f.selection);
    }
    return {200, "application/json", json::serialize(json::object{{"data", std::move(data)}}), {}};
  }

  bool authorized(const http::request<http::string_body>& req) const {
    const auto bearer = req[http::field::authorization];
    if (!config_.token.empty() && bearer == "Bearer " + config_.token) return true;
    return !config_.project_token.empty() && req["Project-Access-Token"] == config_.project_token;
  }

  Answer answer(const http::request<http::string_body>& req) {
    std::lock_guard lock(mu_);
    if (answer_429_ > 0) {
      --answer_429_;
      return {429, "application/json", errors_body({{"Rate limit exceeded. Please try again later.", "RATE_LIMITED", {}}}, false),
              retry_after_};
    }
    if (answer_502_ > 0) {
      --answer_502_;
      return {502, "text/html", kCdnPage, {}};
    }
    if (req.target() != "/graphql/v2") return {404, "text/html", "<html><body><h1>Not Found</h1></body></html>", {}};
    if (req.method() != http::verb::post) {
      return {405, "application/json", errors_body({{"Only POST is supported", "METHOD_NOT_ALLOWED", {}}}, false), {}};
    }
    boost::system::error_code ec;
    const auto body = json::parse(req.body(), ec);
    const auto* top = !ec && body.is_object() ? &body.as_object() : nullptr;
    const auto* query = top != nullptr ? top->if_contains("query") : nullptr;
    const auto* vars = top != nullptr ? top->if_contains("variables") : nullptr;
    if (query == nullptr || !query->is_string() || (vars != nullptr && !vars->is_null() && !vars->is_object())) {
      return {400, "application/json", errors_body({{"POST body must be JSON with a string `query` and an object `variables`.", "BAD_REQUEST", {}}}, false), {}};
    }
    const json::object sent = vars != nullptr && vars->is_object() ? vars->as_object() : json::object{};
    return graphql(std::string(query->as_string()), sent, authorized(req));
  }

  // ---- the server (I/O thread) -----------------------------------------------

  std::chrono::milliseconds take_delay() {
    std::lock_guard lock(mu_);
    ++http_requests_;
    if (delayed_ <= 0) return std::chrono::milliseconds{0};
    --delayed_;
    return delay_;
  }

  net::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    FakeServerLoop::TrackedStream tracked(loop_, stream);
    beast::flat_buffer buffer;
    for (bool keep = true; keep && !loop_.stopping();) {
      http::request<http::string_body> req;
      stream.expires_after(kIoTimeout);
      auto [rec, rn] = co_await http::async_read(stream, buffer, req, kTuple);
      if (rec) break;
      if (const auto d = take_delay(); d.count() > 0 && !co_await loop_.pause(d)) break;
      Answer a;
      try {
        a = answer(req);
      } catch (const std::exception& e) {
        a = {500, "application/json", errors_body({{std::string("fake_railway bug: ") + e.what(), "INTERNAL_SERVER_ERROR", {}}}, true), {}};
      }
      http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
      res.set(http::field::content_type, a.content_type);
      res.set(http::field::server, "railway-edge");
      if (a.retry_after) res.set(http::field::retry_after, std::to_string(*a.retry_after));
      res.body() = std::move(a.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      keep = req.keep_alive();
      stream.expires_after(kIoTimeout);
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec) break;
    }
  }

  // Last: serves the state above and stops before it is destroyed.
  FakeServerLoop loop_{"127.0.0.1", [this](tcp::socket socket) { return session(std::move(socket)); }};
};

FakeRailway::FakeRailway(FakeRailwayConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

FakeRailway::~FakeRailway() = default;

std::string FakeRailway::url() const { return "http://127.0.0.1:" + std::to_string(impl_->loop_.port()) + "/graphql/v2"; }
const FakeRailwayConfig& FakeRailway::config() const { return impl_->config_; }

void FakeRailway::answer_429(int n, std::optional<int> retry_after_seconds) {
  std::lock_guard lock(impl_->mu_);
  impl_->answer_429_ = n;
  impl_->retry_after_ = retry_after_seconds;
}

void FakeRailway::answer_502_html(int n) {
  std::lock_guard lock(impl_->mu_);
  impl_->answer_502_ = n;
}

void FakeRailway::fail_field(std::string field, std::string message, std::string code, int times) {
  std::lock_guard lock(impl_->mu_);
  impl_->field_faults_[std::move(field)] = {std::move(message), std::move(code), times};
}

void FakeRailway::delay(int n, std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mu_);
  impl_->delayed_ = n;
  impl_->delay_ = delay;
}

void FakeRailway::set_deploy_outcome(FakeDeployOutcome outcome) {
  std::lock_guard lock(impl_->mu_);
  impl_->outcome_ = std::move(outcome);
}

void FakeRailway::set_deployment_status(const std::string& deployment_id, std::string status) {
  std::lock_guard lock(impl_->mu_);
  if (auto* d = impl_->deployment(deployment_id)) d->fixed = d->pub.status = std::move(status);
}

std::string FakeRailway::add_service(std::string name) {
  std::lock_guard lock(impl_->mu_);
  FakeRailwayService s;
  s.id = impl_->new_id('s');
  s.name = std::move(name);
  impl_->services_.push_back(s);
  return s.id;
}

std::vector<FakeRailwayOperation> FakeRailway::operations() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->operations_;
}

std::size_t FakeRailway::count(std::string_view field) const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<std::size_t>(std::count_if(impl_->operations_.begin(), impl_->operations_.end(),
                                                [&](const auto& op) { return op.accepted && op.field == field; }));
}

std::size_t FakeRailway::http_requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->http_requests_;
}

std::vector<FakeRailwayService> FakeRailway::services() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->services_;
}

std::optional<FakeRailwayService> FakeRailway::service_named(std::string_view name) const {
  std::lock_guard lock(impl_->mu_);
  for (const auto& s : impl_->services_) {
    if (s.name == name) return s;
  }
  return std::nullopt;
}

std::vector<FakeRailwayVolume> FakeRailway::volumes() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->volumes_;
}

std::vector<FakeRailwayDomain> FakeRailway::domains() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->domains_;
}

std::vector<FakeRailwayDeployment> FakeRailway::deployments() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<FakeRailwayDeployment> out;
  for (const auto& d : impl_->deployments_) out.push_back(d.pub);
  return out;
}

}  // namespace winston::testing
