#include "support/fake_railway.hpp"

#include "support/fake_railway_graphql.hpp"
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
#include <stdexcept>
#include <utility>
#include <variant>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using railway_gql::GqlDocument;
using railway_gql::GqlError;
using railway_gql::GqlField;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{10};

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

  static constexpr const char* kCreatedAt = "2026-01-01T00:00:00.000Z";

  json::object service_json(const FakeRailwayService& s) const {
    return {{"__typename", "Service"}, {"id", s.id},         {"name", s.name},      {"projectId", config_.project_id},
            {"icon", nullptr},         {"templateId", nullptr}, {"createdAt", kCreatedAt}, {"updatedAt", kCreatedAt},
            {"deletedAt", nullptr}};
  }

  /// A volume without its instances (Volume.volumeInstances is deprecated; the
  /// instances are read through Environment.volumeInstances).
  json::object volume_json(const FakeRailwayVolume& v) const {
    return {{"__typename", "Volume"}, {"id", v.id}, {"name", "volume-" + v.id.substr(0, 6)},
            {"projectId", config_.project_id}, {"createdAt", kCreatedAt}};
  }

  /// A volume's one instance, in the fake's one environment.
  json::object volume_instance_json(const FakeRailwayVolume& v) const {
    const auto s = std::find_if(services_.begin(), services_.end(), [&](const auto& o) { return o.id == v.service_id; });
    return {{"__typename", "VolumeInstance"}, {"id", v.id + "-i"}, {"volumeId", v.id}, {"volume", volume_json(v)},
            {"serviceId", v.service_id.empty() ? json::value(nullptr) : json::value(v.service_id)},
            {"service", s != services_.end() ? json::value(service_json(*s)) : json::value(nullptr)},
            {"environmentId", v.environment_id}, {"mountPath", v.mount_path}, {"state", "READY"},
            {"sizeMB", 5000}, {"currentSizeMB", 12.5}, {"region", "us-west2"}, {"externalId", nullptr},
            {"isPendingDeletion", false}, {"createdAt", kCreatedAt}, {"deletedAt", nullptr}};
  }

  /// The deprecated shape, still answered as Railway does: a volume with its instances.
  json::object volume_with_instances_json(const FakeRailwayVolume& v) const {
    json::array instances;
    instances.push_back(volume_instance_json(v));
    auto out = volume_json(v);
    out["volumeInstances"] = edges(std::move(instances));
    return out;
  }

  json::object domain_json(const FakeRailwayDomain& d) const {
    return {{"__typename", "ServiceDomain"}, {"id", d.id}, {"domain", d.domain}, {"environmentId", d.environment_id},
            {"serviceId", d.service_id}, {"projectId", config_.project_id}, {"suffix", "up.railway.app"},
            {"targetPort", d.target_port}, {"syncStatus", "ACTIVE"}, {"createdAt", nullptr}, {"updatedAt", nullptr},
            {"deletedAt", nullptr}};
  }

  json::object deployment_json(Deployment& d, bool advance) {
    const std::string status = status_of(d, advance);
    json::value url = nullptr;
    for (const auto& dom : domains_) {
      if (dom.service_id == d.pub.service_id) url = dom.domain;
    }
    return {{"__typename", "Deployment"}, {"id", d.pub.id}, {"status", status},
            {"createdAt", kCreatedAt}, {"updatedAt", kCreatedAt}, {"statusUpdatedAt", kCreatedAt},
            {"serviceId", d.pub.service_id}, {"environmentId", config_.environment_id}, {"projectId", config_.project_id},
            {"staticUrl", url}, {"url", url}, {"canRedeploy", true}, {"canRollback", false},
            {"deploymentStopped", status == "REMOVED"}, {"meta", nullptr}, {"diagnosis", nullptr},
            {"snapshotId", nullptr}, {"suggestAddServiceDomain", false}};
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
    for (const auto& v : volumes_) volumes.push_back(volume_with_instances_json(v));
    return json::value{{"__typename", "Project"}, {"id", config_.project_id}, {"name", "winston-cells"},
                       {"description", nullptr}, {"isPublic", false}, {"baseEnvironmentId", config_.environment_id},
                       {"workspaceId", nullptr}, {"createdAt", kCreatedAt}, {"updatedAt", kCreatedAt},
                       {"deletedAt", nullptr}, {"services", edges(std::move(services))},
                       {"volumes", edges(std::move(volumes))}};
  }

  Resolved environment_query(const json::object& args) {
    if (arg_str(args, "id") != config_.environment_id) return ResolveError{"Environment not found", "NOT_FOUND"};
    if (auto bad = check_scope(args)) return *bad;
    json::array instances;
    for (const auto& v : volumes_) {
      if (v.environment_id == config_.environment_id) instances.push_back(volume_instance_json(v));
    }
    return json::value{{"__typename", "Environment"}, {"id", config_.environment_id}, {"name", "production"},
                       {"projectId", config_.project_id}, {"isEphemeral", false}, {"createdAt", kCreatedAt},
                       {"updatedAt", kCreatedAt}, {"deletedAt", nullptr},
                       {"volumeInstances", edges(std::move(instances))}};
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
    return json::value(volume_with_instances_json(v));
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
                       {"sleepApplication", false}, {"builder", "RAILPACK"}, {"restartPolicyType", "ON_FAILURE"},
                       {"restartPolicyMaxRetries", 10}, {"createdAt", kCreatedAt}, {"updatedAt", kCreatedAt},
                       {"deletedAt", nullptr}};
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
    if (field == "environment") return environment_query(args);
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

  // ---- one request (mu_ held) ------------------------------------------------

  static json::object arguments_of(const GqlField& f, const json::object& vars) {
    json::object out;
    for (const auto& [name, value] : f.args) out[name] = railway_gql::to_json(value, vars);
    return out;
  }

  void reject_all(const GqlDocument& doc, const json::object& vars, const std::string& error) {
    for (const auto& f : doc.selection) operations_.push_back({f.name, arguments_of(f, vars), false, error});
  }

  Answer graphql(const std::string& query, const json::object& sent, bool authorized) {
    GqlDocument doc;
    try {
      doc = railway_gql::parse(query);
    } catch (const railway_gql::SyntaxError& e) {
      return {200, "application/json", errors_body({{e.what(), "GRAPHQL_PARSE_FAILED", {}}}, false), {}};
    }
    if (!authorized) {
      reject_all(doc, sent, "Not Authorized");
      return {200, "application/json", errors_body({{"Not Authorized", "UNAUTHENTICATED", doc.selection.front().key()}}, true), {}};
    }
    // graphql-js's order: the document first, then the variables' values.
    auto errors = railway_gql::validate(doc);
    json::object vars;
    if (errors.empty()) vars = railway_gql::coerce_variables(doc, sent, errors);
    if (!errors.empty()) {
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
      data[f.key()] = railway_gql::project(result, f.selection);
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
