#include "support/fake_railway_graphql.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <set>

namespace winston::testing::railway_gql {
namespace json = boost::json;
namespace {

// ---------------------------------------------------------------------------
// The parser: recursive descent over the request's `query`.

class GqlParser {
 public:
  explicit GqlParser(std::string_view text) : s_(text) {}

  GqlDocument document() {
    GqlDocument doc;
    int operations = 0;
    for (skip(); pos_ < s_.size(); skip()) {
      if (peek_keyword("fragment")) {
        fragment(doc);
      } else if (++operations > 1) {
        fail("Only one operation per document is supported");
      } else {
        operation(doc);
      }
    }
    if (operations == 0) fail("Expected an operation, found <EOF>");
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
      if (s_.substr(pos_, 3) == "...") {
        pos_ += 3;
        out.push_back(fragment_entry());
        continue;
      }
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
    if (pos_ < s_.size() && s_[pos_] == '@') fail("Directives are not supported by this fake");
    if (pos_ < s_.size() && s_[pos_] == '{') f.selection = selection_set();
    return f;
  }

  bool peek_keyword(std::string_view keyword) {
    if (!peek_name()) return false;
    const std::size_t at = pos_;
    const bool match = name() == keyword;
    pos_ = at;
    return match;
  }

  void operation(GqlDocument& doc) {
    if (peek_name()) {
      doc.operation = name();
      if (doc.operation != "query" && doc.operation != "mutation") fail("Unexpected Name \"" + doc.operation + "\"");
      if (peek_name()) doc.name = name();
      if (try_punct('(')) {
        while (!try_punct(')')) doc.variables.push_back(variable());
      }
    }
    doc.selection = selection_set();
  }

  void fragment(GqlDocument& doc) {
    name();  // "fragment"
    GqlFragment f;
    f.name = name();
    if (f.name == "on") fail("Unexpected Name \"on\"");
    if (name() != "on") fail("Expected \"on\"");
    f.type_condition = name();
    f.selection = selection_set();
    if (doc.fragments.contains(f.name)) fail("There can be only one fragment named \"" + f.name + "\"");
    doc.fragments.emplace(f.name, std::move(f));
  }

  /// After "...": a spread of a named fragment or an inline fragment.
  GqlField fragment_entry() {
    GqlField f;
    if (peek_name() && !peek_keyword("on")) {
      f.kind = GqlField::Kind::kSpread;
      f.name = name();
      return f;
    }
    f.kind = GqlField::Kind::kInline;
    if (peek_keyword("on")) {
      name();
      f.type_condition = name();
    }
    f.selection = selection_set();
    return f;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// The part of Railway's schema the fake serves. Every name, type,
// nullability, argument, input field and enum value below is copied from
// the introspection result Railway's CLI ships (github.com/railwayapp/cli,
// src/gql/schema.json, commit 013a43ee1bcdbda9877b23ae24d8fb32c70f9727, read
// 2026-12-05). Types are written as GraphQL spells them ("[String!]!").
// Object types list their scalar and enum fields and the fields leading to
// types the fake models; fields of types it does not model (Deployment.creator,
// Project.environments, …) are left out, so selecting one is refused. Not
// re-read from the schema, kept from the earlier tables: the `Builder` enum's
// values and `PageInfo` (Relay's standard shape).

struct TypedName {
  std::string name, type;
};

struct FieldDef {
  std::string type;
  std::vector<TypedName> args;
};

using ObjectFields = std::map<std::string, FieldDef, std::less<>>;

/// Relay pagination, on exactly the fields whose schema entry has it.
std::vector<TypedName> page_args(std::vector<TypedName> more = {}) {
  std::vector<TypedName> args = {{"after", "String"}, {"before", "String"}, {"first", "Int"}, {"last", "Int"}};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

const std::set<std::string, std::less<>>& scalars() {
  // EnvironmentVariables is Railway's map of variable names to values (there is
  // no ServiceVariables type); DeploymentMeta and DeploymentDiagnosis are
  // output-only JSON scalars.
  static const std::set<std::string, std::less<>> kScalars = {
      "Boolean", "DateTime", "DeploymentDiagnosis", "DeploymentMeta", "EnvironmentVariables", "Float", "ID", "Int",
      "JSON",    "String"};
  return kScalars;
}

const std::map<std::string, std::set<std::string, std::less<>>, std::less<>>& enums() {
  static const std::map<std::string, std::set<std::string, std::less<>>, std::less<>> kEnums = {
      {"Builder", {"HEROKU", "NIXPACKS", "PAKETO", "RAILPACK"}},
      {"DeploymentStatus",
       {"BUILDING", "CRASHED", "DEPLOYING", "FAILED", "INITIALIZING", "NEEDS_APPROVAL", "QUEUED", "REMOVED", "REMOVING",
        "SKIPPED", "SLEEPING", "SUCCESS", "WAITING"}},
      {"RestartPolicyType", {"ALWAYS", "NEVER", "ON_FAILURE"}},
      {"ServiceDomainSyncStatus", {"ACTIVE", "CREATING", "DELETED", "DELETING", "UNSPECIFIED", "UPDATING"}},
      {"VolumeState", {"DELETED", "DELETING", "ERROR", "MIGRATING", "MIGRATION_PENDING", "READY", "RESTORING", "UPDATING"}},
  };
  return kEnums;
}

const std::map<std::string, std::vector<TypedName>, std::less<>>& input_types() {
  static const std::map<std::string, std::vector<TypedName>, std::less<>> kTypes = {
      {"DeploymentListInput",
       {{"environmentId", "String"}, {"includeDeleted", "Boolean"}, {"projectId", "String"}, {"serviceId", "String"},
        {"status", "DeploymentStatusInput"}}},
      {"DeploymentStatusInput", {{"in", "[DeploymentStatus!]"}, {"notIn", "[DeploymentStatus!]"}}},
      {"RegistryCredentialsInput", {{"password", "String!"}, {"username", "String!"}}},
      {"ServiceCreateInput",
       {{"branch", "String"}, {"environmentId", "String"}, {"icon", "String"}, {"name", "String"},
        {"projectId", "String!"}, {"registryCredentials", "RegistryCredentialsInput"}, {"source", "ServiceSourceInput"},
        {"templateId", "String"}, {"templateServiceId", "String"}, {"variables", "EnvironmentVariables"}}},
      {"ServiceDomainCreateInput", {{"environmentId", "String!"}, {"serviceId", "String!"}, {"targetPort", "Int"}}},
      {"ServiceInstanceUpdateInput",
       {{"buildCommand", "String"}, {"builder", "Builder"}, {"cronSchedule", "String"}, {"dockerfilePath", "String"},
        {"drainingSeconds", "Int"}, {"healthcheckPath", "String"}, {"healthcheckTimeout", "Int"},
        {"ipv6EgressEnabled", "Boolean"}, {"multiRegionConfig", "JSON"}, {"nixpacksPlan", "JSON"},
        {"numReplicas", "Int"}, {"overlapSeconds", "Int"}, {"preDeployCommand", "[String!]"},
        {"railwayConfigFile", "String"}, {"region", "String"}, {"registryCredentials", "RegistryCredentialsInput"},
        {"restartPolicyMaxRetries", "Int"}, {"restartPolicyType", "RestartPolicyType"}, {"rootDirectory", "String"},
        {"sleepApplication", "Boolean"}, {"source", "ServiceSourceInput"}, {"startCommand", "String"},
        {"watchPatterns", "[String!]"}}},
      {"ServiceSourceInput", {{"image", "String"}, {"repo", "String"}}},
      // replace and skipDeploys default to false.
      {"VariableCollectionUpsertInput",
       {{"environmentId", "String!"}, {"projectId", "String!"}, {"replace", "Boolean"}, {"serviceId", "String"},
        {"skipDeploys", "Boolean"}, {"variables", "EnvironmentVariables!"}}},
      {"VolumeCreateInput",
       {{"environmentId", "String"}, {"mountPath", "String!"}, {"projectId", "String!"}, {"region", "String"},
        {"serviceId", "String"}}},
  };
  return kTypes;
}

ObjectFields connection(const std::string& edge) { return {{"edges", {"[" + edge + "!]!", {}}}, {"pageInfo", {"PageInfo!", {}}}}; }
ObjectFields edge_of(const std::string& node) { return {{"cursor", {"String!", {}}}, {"node", {node + "!", {}}}}; }

ObjectFields query_type() {
  return {
      {"deployment", {"Deployment!", {{"id", "String!"}}}},
      {"deployments", {"QueryDeploymentsConnection!", page_args({{"input", "DeploymentListInput!"}})}},
      {"domains", {"AllDomains!", {{"environmentId", "String!"}, {"projectId", "String!"}, {"serviceId", "String!"}}}},
      {"environment", {"Environment!", {{"id", "String!"}, {"projectId", "String"}}}},
      {"project", {"Project!", {{"id", "String!"}}}},
      {"serviceInstance", {"ServiceInstance!", {{"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"variables",
       {"EnvironmentVariables!",
        {{"environmentId", "String!"}, {"projectId", "String!"}, {"serviceId", "String"}, {"unrendered", "Boolean"}}}},
  };
}

ObjectFields mutation_type() {
  return {
      {"deploymentRemove", {"Boolean!", {{"id", "String!"}}}},
      {"deploymentStop", {"Boolean!", {{"id", "String!"}}}},
      {"serviceCreate", {"Service!", {{"input", "ServiceCreateInput!"}}}},
      {"serviceDelete", {"Boolean!", {{"environmentId", "String"}, {"id", "String!"}}}},
      {"serviceDomainCreate", {"ServiceDomain!", {{"input", "ServiceDomainCreateInput!"}}}},
      {"serviceInstanceDeployV2", {"String!", {{"commitSha", "String"}, {"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"serviceInstanceRedeploy", {"Boolean!", {{"environmentId", "String!"}, {"serviceId", "String!"}}}},
      {"serviceInstanceUpdate",
       {"Boolean!", {{"environmentId", "String"}, {"input", "ServiceInstanceUpdateInput!"}, {"serviceId", "String!"}}}},
      {"variableCollectionUpsert", {"Boolean!", {{"input", "VariableCollectionUpsertInput!"}}}},
      {"volumeCreate", {"Volume!", {{"input", "VolumeCreateInput!"}}}},
      {"volumeDelete", {"Boolean!", {{"volumeId", "String!"}}}},
  };
}

const std::map<std::string, ObjectFields, std::less<>>& object_types() {
  static const std::map<std::string, ObjectFields, std::less<>> kTypes = {
      {"Query", query_type()},
      {"Mutation", mutation_type()},
      {"AllDomains", {{"customDomains", {"[CustomDomain!]!", {}}}, {"serviceDomains", {"[ServiceDomain!]!", {}}}}},
      {"CustomDomain",
       {{"createdAt", {"DateTime", {}}}, {"deletedAt", {"DateTime", {}}}, {"domain", {"String!", {}}},
        {"edgeId", {"String", {}}}, {"environmentId", {"String!", {}}}, {"id", {"ID!", {}}},
        {"isRailwayDomain", {"Boolean!", {}}}}},
      {"Deployment",
       {{"canRedeploy", {"Boolean!", {}}}, {"canRollback", {"Boolean!", {}}}, {"createdAt", {"DateTime!", {}}},
        {"deploymentStopped", {"Boolean!", {}}}, {"diagnosis", {"DeploymentDiagnosis", {}}},
        {"environmentId", {"String!", {}}}, {"id", {"ID!", {}}}, {"meta", {"DeploymentMeta", {}}},
        {"projectId", {"String!", {}}}, {"serviceId", {"String", {}}}, {"snapshotId", {"String", {}}},
        {"staticUrl", {"String", {}}}, {"status", {"DeploymentStatus!", {}}}, {"statusUpdatedAt", {"DateTime", {}}},
        {"suggestAddServiceDomain", {"Boolean!", {}}}, {"updatedAt", {"DateTime!", {}}}, {"url", {"String", {}}}}},
      {"Environment",
       {{"createdAt", {"DateTime!", {}}}, {"deletedAt", {"DateTime", {}}}, {"id", {"ID!", {}}},
        {"isEphemeral", {"Boolean!", {}}}, {"name", {"String!", {}}}, {"projectId", {"String!", {}}},
        {"updatedAt", {"DateTime!", {}}},
        {"volumeInstances", {"EnvironmentVolumeInstancesConnection!", page_args()}}}},
      {"EnvironmentVolumeInstancesConnection", connection("EnvironmentVolumeInstancesConnectionEdge")},
      {"EnvironmentVolumeInstancesConnectionEdge", edge_of("VolumeInstance")},
      {"PageInfo",
       {{"endCursor", {"String", {}}}, {"hasNextPage", {"Boolean!", {}}}, {"hasPreviousPage", {"Boolean!", {}}},
        {"startCursor", {"String", {}}}}},
      {"Project",
       {{"baseEnvironmentId", {"String", {}}}, {"createdAt", {"DateTime!", {}}}, {"deletedAt", {"DateTime", {}}},
        {"description", {"String", {}}}, {"id", {"ID!", {}}}, {"isPublic", {"Boolean!", {}}},
        {"name", {"String!", {}}}, {"services", {"ProjectServicesConnection!", page_args()}},
        {"updatedAt", {"DateTime!", {}}}, {"volumes", {"ProjectVolumesConnection!", page_args()}},
        {"workspaceId", {"String", {}}}}},
      {"ProjectServicesConnection", connection("ProjectServicesConnectionEdge")},
      {"ProjectServicesConnectionEdge", edge_of("Service")},
      {"ProjectVolumesConnection", connection("ProjectVolumesConnectionEdge")},
      {"ProjectVolumesConnectionEdge", edge_of("Volume")},
      {"QueryDeploymentsConnection", connection("QueryDeploymentsConnectionEdge")},
      {"QueryDeploymentsConnectionEdge", edge_of("Deployment")},
      {"Service",
       {{"createdAt", {"DateTime!", {}}}, {"deletedAt", {"DateTime", {}}}, {"icon", {"String", {}}},
        {"id", {"ID!", {}}}, {"name", {"String!", {}}}, {"projectId", {"String!", {}}},
        {"templateId", {"String", {}}}, {"updatedAt", {"DateTime!", {}}}}},
      {"ServiceDomain",
       {{"createdAt", {"DateTime", {}}}, {"deletedAt", {"DateTime", {}}}, {"domain", {"String!", {}}},
        {"environmentId", {"String!", {}}}, {"id", {"ID!", {}}}, {"projectId", {"String", {}}},
        {"serviceId", {"String!", {}}}, {"suffix", {"String", {}}},
        {"syncStatus", {"ServiceDomainSyncStatus!", {}}}, {"targetPort", {"Int", {}}},
        {"updatedAt", {"DateTime", {}}}}},
      {"ServiceInstance",
       {{"builder", {"Builder!", {}}}, {"createdAt", {"DateTime!", {}}}, {"deletedAt", {"DateTime", {}}},
        {"environmentId", {"String!", {}}}, {"id", {"ID!", {}}}, {"latestDeployment", {"Deployment", {}}},
        {"numReplicas", {"Int", {}}}, {"region", {"String", {}}}, {"restartPolicyMaxRetries", {"Int!", {}}},
        {"restartPolicyType", {"RestartPolicyType!", {}}}, {"serviceId", {"String!", {}}},
        {"serviceName", {"String!", {}}}, {"sleepApplication", {"Boolean", {}}}, {"source", {"ServiceSource", {}}},
        {"startCommand", {"String", {}}}, {"updatedAt", {"DateTime!", {}}}}},
      {"ServiceSource", {{"image", {"String", {}}}, {"repo", {"String", {}}}}},
      // Volume.volumeInstances is deprecated: "Use environment.volumeInstances
      // for properly scoped access control".
      {"Volume",
       {{"createdAt", {"DateTime!", {}}}, {"id", {"ID!", {}}}, {"name", {"String!", {}}},
        {"projectId", {"String!", {}}}, {"volumeInstances", {"VolumeVolumeInstancesConnection!", page_args()}}}},
      {"VolumeInstance",
       {{"createdAt", {"DateTime!", {}}}, {"currentSizeMB", {"Float!", {}}}, {"deletedAt", {"DateTime", {}}},
        {"environmentId", {"String!", {}}}, {"externalId", {"String", {}}}, {"id", {"ID!", {}}},
        {"isPendingDeletion", {"Boolean!", {}}}, {"mountPath", {"String!", {}}}, {"region", {"String", {}}},
        {"serviceId", {"String", {}}}, {"sizeMB", {"Int!", {}}}, {"state", {"VolumeState", {}}},
        {"volume", {"Volume!", {}}}, {"volumeId", {"String!", {}}}}},
      {"VolumeVolumeInstancesConnection", connection("VolumeVolumeInstancesConnectionEdge")},
      {"VolumeVolumeInstancesConnectionEdge", edge_of("VolumeInstance")},
  };
  return kTypes;
}

// ---------------------------------------------------------------------------
// Type expressions.

bool non_null(std::string_view type) { return !type.empty() && type.back() == '!'; }
std::string_view nullable(std::string_view type) { return non_null(type) ? type.substr(0, type.size() - 1) : type; }
bool is_list(std::string_view type) { return nullable(type).starts_with('['); }
std::string_view item_type(std::string_view type) {
  const auto list = nullable(type);
  return list.substr(1, list.size() - 2);
}

std::string base_type(std::string_view type) {
  std::string out;
  for (const char c : type) {
    if (c != '[' && c != ']' && c != '!') out += c;
  }
  return out;
}

bool is_input_type(std::string_view base) {
  return scalars().contains(base) || enums().contains(base) || input_types().contains(base);
}

/// graphql-js's isTypeSubTypeOf for the types a variable can have.
bool subtype(std::string_view sub, std::string_view super) {
  if (non_null(super)) return non_null(sub) && subtype(nullable(sub), nullable(super));
  if (non_null(sub)) return subtype(nullable(sub), super);
  if (is_list(super)) return is_list(sub) && subtype(item_type(sub), item_type(super));
  return !is_list(sub) && sub == super;
}

/// VariablesInAllowedPosition: a nullable variable fits a non-null position
/// only when it has a non-null default.
bool fits(const GqlVariable& var, std::string_view position) {
  if (non_null(position) && !non_null(var.type)) {
    const bool has_default = var.default_value && var.default_value->kind != GqlValue::Kind::kNull;
    return has_default && subtype(var.type, nullable(position));
  }
  return subtype(var.type, position);
}

/// A literal as graphql-js prints it in messages.
std::string print(const GqlValue& v) {
  using K = GqlValue::Kind;
  switch (v.kind) {
    case K::kVariable: return "$" + v.text;
    case K::kNull: return "null";
    case K::kString: return json::serialize(json::value(v.text));
    case K::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.items.size(); ++i) out += (i ? ", " : "") + print(v.items[i]);
      return out + "]";
    }
    case K::kObject: {
      std::string out = "{";
      for (std::size_t i = 0; i < v.fields.size(); ++i) out += (i ? ", " : "") + v.fields[i].first + ": " + print(v.fields[i].second);
      return out + "}";
    }
    default: return v.text;
  }
}

// ---------------------------------------------------------------------------
// Literals in the document (graphql-js's ValuesOfCorrectType). Enum positions
// take enum literals only: a string literal, even one naming a value, is an
// error, as is an enum literal where a String goes.

struct VariableUse {
  std::string name, position;  // the type the position expects
};

std::optional<std::string> enum_literal_problem(const GqlValue& v, const std::string& name,
                                                const std::set<std::string, std::less<>>& values) {
  if (v.kind == GqlValue::Kind::kEnum) {
    if (values.contains(v.text)) return std::nullopt;
    return "Value \"" + v.text + "\" does not exist in \"" + name + "\" enum.";
  }
  std::string message = "Enum \"" + name + "\" cannot represent non-enum value: " + print(v) + ".";
  if (v.kind == GqlValue::Kind::kString && values.contains(v.text)) message += " Did you mean the enum value \"" + v.text + "\"?";
  return message;
}

std::optional<std::string> scalar_literal_problem(const GqlValue& v, const std::string& name) {
  using K = GqlValue::Kind;
  if (name == "String" || name == "ID" || name == "DateTime") {
    if (v.kind == K::kString || (name == "ID" && v.kind == K::kInt)) return std::nullopt;
    return name + " cannot represent a non string value: " + print(v);
  }
  if (name == "Int") {
    if (v.kind == K::kInt && v.text.size() < 12 && std::stoll(v.text) >= INT32_MIN && std::stoll(v.text) <= INT32_MAX) {
      return std::nullopt;
    }
    return "Int cannot represent non-integer value: " + print(v);
  }
  if (name == "Float") {
    if (v.kind == K::kInt || v.kind == K::kFloat) return std::nullopt;
    return "Float cannot represent non numeric value: " + print(v);
  }
  if (name == "Boolean") {
    if (v.kind == K::kBool) return std::nullopt;
    return "Boolean cannot represent a non boolean value: " + print(v);
  }
  if (name == "EnvironmentVariables") {
    const bool ok = v.kind == K::kObject && std::all_of(v.fields.begin(), v.fields.end(),
                                                        [](const auto& f) { return f.second.kind == K::kString; });
    if (ok) return std::nullopt;
    return "Expected value of type \"EnvironmentVariables\", found " + print(v) + ": a map of variable names to strings.";
  }
  return std::nullopt;  // JSON and the output-only JSON scalars take anything
}

void check_literal(const GqlValue& v, std::string_view type, std::vector<std::string>& problems, std::vector<VariableUse>& uses);

void check_object_literal(const GqlValue& v, const std::string& name, const std::vector<TypedName>& fields,
                          std::vector<std::string>& problems, std::vector<VariableUse>& uses) {
  if (v.kind != GqlValue::Kind::kObject) {
    problems.push_back("Expected value of type \"" + name + "\", found " + print(v) + ".");
    return;
  }
  for (const auto& [key, item] : v.fields) {
    const auto f = std::find_if(fields.begin(), fields.end(), [&](const TypedName& t) { return t.name == key; });
    if (f == fields.end()) {
      problems.push_back("Field \"" + key + "\" is not defined by type \"" + name + "\".");
      continue;
    }
    check_literal(item, f->type, problems, uses);
  }
  for (const auto& f : fields) {
    const bool given = std::any_of(v.fields.begin(), v.fields.end(), [&](const auto& p) { return p.first == f.name; });
    if (!given && non_null(f.type)) {
      problems.push_back("Field \"" + name + "." + f.name + "\" of required type \"" + f.type + "\" was not provided.");
    }
  }
}

/// Checks a literal at a position of `type`; each variable inside it is
/// recorded with the type its position expects (VariablesInAllowedPosition
/// then checks the variable's declared type, at any depth).
void check_literal(const GqlValue& v, std::string_view type, std::vector<std::string>& problems, std::vector<VariableUse>& uses) {
  if (v.kind == GqlValue::Kind::kVariable) {
    uses.push_back({v.text, std::string(type)});
    return;
  }
  if (v.kind == GqlValue::Kind::kNull) {
    if (non_null(type)) problems.push_back("Expected value of type \"" + std::string(type) + "\", found null.");
    return;
  }
  if (is_list(type)) {
    if (v.kind != GqlValue::Kind::kList) return check_literal(v, item_type(type), problems, uses);  // one item for a list
    for (const auto& item : v.items) check_literal(item, item_type(type), problems, uses);
    return;
  }
  const std::string name(nullable(type));
  if (const auto input = input_types().find(name); input != input_types().end()) {
    return check_object_literal(v, name, input->second, problems, uses);
  }
  const auto e = enums().find(name);
  auto bad = e != enums().end() ? enum_literal_problem(v, name, e->second) : scalar_literal_problem(v, name);
  if (bad) problems.push_back(std::move(*bad));
}

// ---------------------------------------------------------------------------
// The document against the schema.

constexpr std::size_t kMaxDepth = 24;  // Volume → volumeInstances → volume → … would not end

class Validator {
 public:
  explicit Validator(GqlDocument& doc) : doc_(doc) {}

  std::vector<GqlError> run() {
    for (const auto& def : doc_.variables) {
      const std::string base = base_type(def.type);
      if (!is_input_type(base) && !object_types().contains(base)) {
        fail("Unknown type \"" + base + "\".");
      } else if (!is_input_type(base)) {
        fail("Variable \"$" + def.name + "\" cannot be non-input type \"" + def.type + "\".");
      }
    }
    selection(doc_.selection, "", doc_.operation == "mutation" ? "Mutation" : "Query", 0);
    check_variable_uses();
    for (const auto& [name, _] : doc_.fragments) {
      if (!used_fragments_.contains(name)) fail("Fragment \"" + name + "\" is never used.");
    }
    return std::move(errors_);
  }

 private:
  void fail(std::string message) { errors_.push_back({std::move(message), "GRAPHQL_VALIDATION_FAILED", {}}); }

  std::string operation_suffix(std::string_view how) const {
    return doc_.name.empty() ? "." : std::string(how) + " operation \"" + doc_.name + "\".";
  }

  void check_variable_uses() {
    std::set<std::string, std::less<>> used;
    for (const auto& use : uses_) {
      used.insert(use.name);
      const auto def = std::find_if(doc_.variables.begin(), doc_.variables.end(), [&](const auto& v) { return v.name == use.name; });
      if (def == doc_.variables.end()) {
        fail("Variable \"$" + use.name + "\" is not defined" + operation_suffix(" by"));
      } else if (is_input_type(base_type(def->type)) && !fits(*def, use.position)) {
        fail("Variable \"$" + use.name + "\" of type \"" + def->type + "\" used in position expecting type \"" +
             use.position + "\".");
      }
    }
    for (const auto& def : doc_.variables) {
      if (!used.contains(def.name)) fail("Variable \"$" + def.name + "\" is never used" + operation_suffix(" in"));
    }
  }

  /// Checks `selection` on a value of `type` and replaces it by its fields,
  /// fragments spread in and fields of the same response key merged.
  void selection(std::vector<GqlField>& selection, const std::string& parent, const std::string& type, std::size_t depth) {
    const std::string base = base_type(type);
    const auto object = object_types().find(base);
    if (object == object_types().end()) {
      if (!selection.empty()) {
        fail("Field \"" + parent + "\" must not have a selection since type \"" + type + "\" has no subfields.");
      }
      return;
    }
    if (selection.empty()) {
      fail("Field \"" + parent + "\" of type \"" + type + "\" must have a selection of subfields. Did you mean \"" + parent + " { ... }\"?");
      return;
    }
    if (depth > kMaxDepth) return fail("The query is nested deeper than " + std::to_string(kMaxDepth) + " levels.");
    std::set<std::string, std::less<>> spreading;
    selection = flatten(selection, base, spreading);
    for (auto& f : selection) {
      if (f.name == "__typename") continue;
      const auto def = object->second.find(f.name);
      if (def == object->second.end()) {
        fail("Cannot query field \"" + f.name + "\" on type \"" + base + "\".");
        continue;
      }
      arguments(f, base, def->second);
      this->selection(f.selection, f.name, def->second.type, depth + 1);
    }
  }

  void arguments(const GqlField& f, const std::string& object, const FieldDef& def) {
    for (const auto& [name, value] : f.args) {
      const auto arg = std::find_if(def.args.begin(), def.args.end(), [&](const TypedName& a) { return a.name == name; });
      if (arg == def.args.end()) {
        fail("Unknown argument \"" + name + "\" on field \"" + object + "." + f.name + "\".");
        continue;
      }
      std::vector<std::string> problems;
      check_literal(value, arg->type, problems, uses_);
      for (auto& p : problems) fail(std::move(p));
    }
    for (const auto& a : def.args) {
      const bool given = std::any_of(f.args.begin(), f.args.end(), [&](const auto& p) { return p.first == a.name; });
      if (!given && non_null(a.type)) {
        fail("Field \"" + f.name + "\" argument \"" + a.name + "\" of type \"" + a.type + "\" is required, but it was not provided.");
      }
    }
  }

  /// The fields of `selection` on `object` with its fragments spread in.
  std::vector<GqlField> flatten(const std::vector<GqlField>& selection, const std::string& object,
                                std::set<std::string, std::less<>>& spreading) {
    std::vector<GqlField> out;
    for (const auto& f : selection) {
      if (f.kind == GqlField::Kind::kField) {
        merge(out, f);
        continue;
      }
      const auto* inner = fragment_fields(f, object, spreading);
      if (inner == nullptr) continue;
      if (f.kind == GqlField::Kind::kSpread) spreading.insert(f.name);
      for (const auto& g : flatten(*inner, object, spreading)) merge(out, g);
      if (f.kind == GqlField::Kind::kSpread) spreading.erase(f.name);
    }
    return out;
  }

  /// The selection a fragment entry brings in, or nullptr when it may not be spread here.
  const std::vector<GqlField>* fragment_fields(const GqlField& f, const std::string& object,
                                               const std::set<std::string, std::less<>>& spreading) {
    const std::vector<GqlField>* inner = &f.selection;
    std::string condition = f.type_condition;
    if (f.kind == GqlField::Kind::kSpread) {
      used_fragments_.insert(f.name);
      const auto found = doc_.fragments.find(f.name);
      if (found == doc_.fragments.end()) return fail("Unknown fragment \"" + f.name + "\"."), nullptr;
      if (spreading.contains(f.name)) return fail("Cannot spread fragment \"" + f.name + "\" within itself."), nullptr;
      inner = &found->second.selection;
      condition = found->second.type_condition;
    }
    if (condition.empty() || condition == object) return inner;
    if (!object_types().contains(condition)) return fail("Unknown type \"" + condition + "\"."), nullptr;
    const std::string which = f.kind == GqlField::Kind::kSpread ? "Fragment \"" + f.name + "\"" : "Fragment";
    fail(which + " cannot be spread here as objects of type \"" + object + "\" can never be of type \"" + condition + "\".");
    return nullptr;
  }

  /// Adds `f`, merging the sub-selections of fields with the same response key.
  void merge(std::vector<GqlField>& out, const GqlField& f) {
    const auto same = std::find_if(out.begin(), out.end(), [&](const GqlField& g) { return g.key() == f.key(); });
    if (same == out.end()) return out.push_back(f);
    if (same->name != f.name) {
      return fail("Fields \"" + f.key() + "\" conflict because \"" + same->name + "\" and \"" + f.name +
                  "\" are different fields. Use different aliases on the fields to fetch both if this was intentional.");
    }
    same->selection.insert(same->selection.end(), f.selection.begin(), f.selection.end());
  }

  GqlDocument& doc_;
  std::vector<GqlError> errors_;
  std::vector<VariableUse> uses_;
  std::set<std::string, std::less<>> used_fragments_;
};

// ---------------------------------------------------------------------------
// Variable values (JSON) against their declared types (graphql-js's
// coerceInputValue wording). Enum values arrive as JSON strings here, as the
// GraphQL spec has them in variables.

struct Invalid {
  std::string path, detail;
  json::value at;
};

std::optional<Invalid> check_value(const json::value& v, std::string_view type, const std::string& path);

std::optional<Invalid> check_object(const json::value& v, const std::string& name, const std::string& path) {
  const auto& fields = input_types().at(name);
  if (!v.is_object()) return Invalid{path, "Expected type \"" + name + "\" to be an object.", v};
  const auto& o = v.as_object();
  for (const auto& [key, _] : o) {
    const bool known = std::any_of(fields.begin(), fields.end(), [&](const TypedName& f) { return f.name == key; });
    if (!known) return Invalid{path, "Field \"" + std::string(key) + "\" is not defined by type \"" + name + "\".", v};
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

std::optional<Invalid> check_leaf(const json::value& v, const std::string& name, const std::string& path) {
  const std::string shown = json::serialize(v);
  if (const auto e = enums().find(name); e != enums().end()) {
    if (!v.is_string()) return Invalid{path, "Enum \"" + name + "\" cannot represent non-string value: " + shown + ".", v};
    if (e->second.contains(v.as_string())) return std::nullopt;
    return Invalid{path, "Value \"" + std::string(v.as_string()) + "\" does not exist in \"" + name + "\" enum.", v};
  }
  bool ok = true;
  std::string detail;
  if (name == "String" || name == "ID" || name == "DateTime") {
    ok = v.is_string() || (name == "ID" && v.is_int64());
    detail = name + " cannot represent a non string value: " + shown;
  } else if (name == "Int") {
    ok = v.is_int64() && v.as_int64() >= INT32_MIN && v.as_int64() <= INT32_MAX;
    detail = "Int cannot represent non-integer value: " + shown;
  } else if (name == "Float") {
    ok = v.is_number();
    detail = "Float cannot represent non numeric value: " + shown;
  } else if (name == "Boolean") {
    ok = v.is_bool();
    detail = "Boolean cannot represent a non boolean value: " + shown;
  } else if (name == "EnvironmentVariables") {
    ok = v.is_object() && std::all_of(v.as_object().begin(), v.as_object().end(), [](const auto& kv) { return kv.value().is_string(); });
    detail = "Expected type \"EnvironmentVariables\": a map of variable names to strings.";
  }
  if (ok) return std::nullopt;
  return Invalid{path, detail, v};
}

std::optional<Invalid> check_value(const json::value& v, std::string_view type, const std::string& path) {
  if (v.is_null()) {
    if (non_null(type)) return Invalid{path, "Expected non-nullable type \"" + std::string(type) + "\" not to be null.", v};
    return std::nullopt;
  }
  if (is_list(type)) {
    if (!v.is_array()) return check_value(v, item_type(type), path);  // input coercion accepts one item for a list
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      if (auto bad = check_value(v.as_array()[i], item_type(type), path + "[" + std::to_string(i) + "]")) return bad;
    }
    return std::nullopt;
  }
  const std::string name(nullable(type));
  if (input_types().contains(name)) return check_object(v, name, path);
  return check_leaf(v, name, path);
}

}  // namespace

GqlDocument parse(std::string_view text) { return GqlParser(text).document(); }

std::vector<GqlError> validate(GqlDocument& doc) { return Validator(doc).run(); }

json::object coerce_variables(const GqlDocument& doc, const json::object& sent, std::vector<GqlError>& errors) {
  json::object out;
  for (const auto& def : doc.variables) {
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
      std::string message = "Variable \"$" + def.name + "\" got invalid value " + json::serialize(bad->at);
      if (!bad->path.empty()) message += " at \"" + def.name + "." + bad->path + "\"";
      errors.push_back({message + "; " + bad->detail, "BAD_USER_INPUT", {}});
      continue;
    }
    out[def.name] = *given;
  }
  return out;
}

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

}  // namespace winston::testing::railway_gql
