#include "cells/railway_provisioner.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/retry_after.hpp"
#include "core/text.hpp"
#include "http/blocking_client.hpp"

namespace winston::cells {
namespace json = boost::json;
namespace {

// The documents sent, one operation each. Argument names and input types
// follow Railway's public schema (see docs/cells-railway.md).
constexpr std::string_view kProjectServices =
    "query WinstonServices($projectId: String!) { project(id: $projectId) { services { edges { node { id name } } } } }";
constexpr std::string_view kServiceCreate =
    "mutation WinstonServiceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }";
constexpr std::string_view kInstanceUpdate =
    "mutation WinstonInstanceUpdate($serviceId: String!, $environmentId: String, $input: ServiceInstanceUpdateInput!) "
    "{ serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input) }";
constexpr std::string_view kVariablesUpsert =
    "mutation WinstonVariables($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }";
// Volume.volumeInstances is deprecated ("use environment.volumeInstances"):
// the instances are read per environment, which is also the scope that matters.
constexpr std::string_view kEnvironmentVolumes =
    "query WinstonVolumes($environmentId: String!) { environment(id: $environmentId) { volumeInstances "
    "{ edges { node { volumeId serviceId mountPath } } } } }";
constexpr std::string_view kVolumeCreate =
    "mutation WinstonVolumeCreate($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }";
constexpr std::string_view kDomains =
    "query WinstonDomains($projectId: String!, $environmentId: String!, $serviceId: String!) { "
    "domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { serviceDomains { id domain } } }";
constexpr std::string_view kDomainCreate =
    "mutation WinstonDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain } }";
constexpr std::string_view kDeploy =
    "mutation WinstonDeploy($environmentId: String!, $serviceId: String!) "
    "{ serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId) }";
constexpr std::string_view kDeployment = "query WinstonDeployment($id: String!) { deployment(id: $id) { id status } }";
constexpr std::string_view kLiveDeployments =
    "query WinstonLiveDeployments($input: DeploymentListInput!) { deployments(first: 20, input: $input) "
    "{ edges { node { id status } } } }";
constexpr std::string_view kDeploymentRemove = "mutation WinstonStop($id: String!) { deploymentRemove(id: $id) }";
constexpr std::string_view kVolumeDelete =
    "mutation WinstonVolumeDelete($volumeId: String!) { volumeDelete(volumeId: $volumeId) }";
constexpr std::string_view kServiceDelete =
    "mutation WinstonServiceDelete($id: String!, $environmentId: String) { serviceDelete(id: $id, environmentId: $environmentId) }";

constexpr std::chrono::seconds kDefaultRetryAfter{30};
// Railway's API limits count requests per hour, so no honest hint exceeds an hour.
constexpr std::chrono::seconds kMaxRetryAfter{3600};
constexpr std::size_t kMaxMessage = 300;

// Statuses of a deployment that runs or is on its way to running.
constexpr std::string_view kLiveStatuses[] = {"SUCCESS", "SLEEPING", "BUILDING",     "DEPLOYING",
                                              "INITIALIZING", "QUEUED", "WAITING", "NEEDS_APPROVAL"};
constexpr std::string_view kFailedStatuses[] = {"FAILED", "CRASHED", "REMOVED", "REMOVING", "SKIPPED"};

bool one_of(std::string_view s, std::span<const std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}


std::string str_of(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_string()) return std::string(v->as_string());
  return {};
}

std::int64_t int_of(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_int64()) return v->as_int64();
  return 0;
}

const json::object* obj_at(const json::value* v) { return v != nullptr && v->is_object() ? &v->as_object() : nullptr; }

/// The nodes of a Relay connection (`{ edges: [ { node } ] }`), skipping anything malformed.
std::vector<json::object> nodes_of(const json::object* connection) {
  std::vector<json::object> out;
  if (connection == nullptr) return out;
  const auto* edges = connection->if_contains("edges");
  if (edges == nullptr || !edges->is_array()) return out;
  for (const auto& edge : edges->as_array()) {
    if (const auto* node = edge.is_object() ? obj_at(edge.as_object().if_contains("node")) : nullptr) out.push_back(*node);
  }
  return out;
}

/// Cuts to `max` bytes without splitting a UTF-8 sequence.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "…";
}

/// What one GraphQL exchange gave: the `data` object, or a rate limit.
struct Reply {
  json::object data;
  std::chrono::milliseconds retry_after{0};  // > 0: rate limited, nothing happened
  bool throttled() const { return retry_after.count() > 0; }
};

/// One Railway API client per pass: knows the secrets it must keep out of
/// every message (the token, the cell's secret variables).
class Api {
 public:
  Api(const RailwayOptions& options, const CellSpec& spec) : options_(options) {
    secrets_.push_back(options.token);
    for (const auto& var : remote_cell_environment(spec)) {
      if (var.secret) secrets_.push_back(var.value);
    }
    std::erase_if(secrets_, [](const std::string& s) { return s.size() < 4; });
  }

  /// Sends `document`; an error for a transport failure, a 5xx, a non-JSON
  /// answer or GraphQL errors; a throttled Reply for a 429.
  Result<Reply> call(std::string_view op, std::string_view document, json::object variables) const {
    http::BlockingRequest request;
    request.method = "POST";
    request.url = options_.api_url;
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (options_.project_token) {
      request.headers.emplace_back("Project-Access-Token", options_.token);
    } else {
      request.headers.emplace_back("Authorization", "Bearer " + options_.token);
    }
    json::object payload;
    payload["query"] = document;
    payload["variables"] = std::move(variables);
    request.body = json::serialize(payload);
    http::BlockingOptions bounds;
    bounds.connect_timeout = options_.timeout;
    bounds.response_timeout = options_.timeout;
    bounds.max_response_bytes = 1024 * 1024;
    auto sent = http::blocking_call(request, bounds);
    if (!sent.ok()) return Error::unavailable(clean(say(op, sent.error().message)));
    return interpret(op, *sent);
  }

  /// `message` without any secret, cut to a readable length.
  std::string clean(std::string message) const {
    return cut(redact(std::move(message), secrets_), kMaxMessage);
  }

 private:
  static std::string say(std::string_view op, std::string_view what) {
    return "Railway " + std::string(op) + ": " + std::string(what);
  }

  Result<Reply> interpret(std::string_view op, const http::BlockingResponse& response) const {
    if (response.status == 429) return Reply{{}, retry_after(response)};
    boost::system::error_code ec;
    const json::value body = json::parse(response.body, ec);
    const json::object* top = ec ? nullptr : obj_at(&body);
    const std::string http = "HTTP " + std::to_string(response.status);
    if (top != nullptr) {
      if (const auto* errors = top->if_contains("errors"); errors != nullptr && errors->is_array() && !errors->as_array().empty()) {
        return graphql_error(op, errors->as_array(), response.status);
      }
    }
    if (response.status >= 500) return Error::unavailable(say(op, "the API answered " + http));
    if (top == nullptr) return Error::unavailable(say(op, "the API answered " + http + " with a body that is not JSON"));
    if (response.status == 401 || response.status == 403) {
      return Error{ErrorCode::kUnauthenticated, say(op, "the API refused the token (" + http + ")"), {}};
    }
    if (response.status != 200) return Error::unavailable(say(op, "the API answered " + http));
    const auto* data = obj_at(top->if_contains("data"));
    if (data == nullptr) return Error::unavailable(say(op, "the API answered without data"));
    return Reply{*data, {}};
  }

  static std::chrono::milliseconds retry_after(const http::BlockingResponse& response) {
    const auto it = response.headers.find("retry-after");
    if (it == response.headers.end()) return kDefaultRetryAfter;
    const auto wait = parse_retry_after(it->value(), kMaxRetryAfter);
    if (!wait) return kDefaultRetryAfter;  // an HTTP date, or nonsense
    return std::max<std::chrono::milliseconds>(*wait, std::chrono::seconds(1));  // "0" still means throttled
  }

  /// Maps GraphQL errors to one Error: Not Authorized → kUnauthenticated,
  /// "not found" → kNotFound (callers decide whether that is fine),
  /// validation of the document or variables → kInvalidField, else kUnavailable.
  Error graphql_error(std::string_view op, const json::array& errors, unsigned status) const {
    std::string message;
    std::string code;
    for (std::size_t i = 0; i < errors.size() && i < 3; ++i) {
      const auto* e = obj_at(&errors[i]);
      if (e == nullptr) continue;
      if (!message.empty()) message += "; ";
      message += str_of(*e, "message");
      if (code.empty()) {
        if (const auto* ext = obj_at(e->if_contains("extensions"))) code = str_of(*ext, "code");
      }
    }
    if (message.empty()) message = "the API answered with an error";
    const std::string text = clean(say(op, message));
    const std::string low = to_lower(message);
    if (code == "UNAUTHENTICATED" || code == "FORBIDDEN" || low.find("not authorized") != std::string::npos ||
        low.find("unauthorized") != std::string::npos) {
      return {ErrorCode::kUnauthenticated, clean(say(op, "the API refused the token: " + message)), {}};
    }
    if (code == "NOT_FOUND" || low.find("not found") != std::string::npos) return Error::not_found(text);
    const bool invalid = code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED" ||
                         code == "GRAPHQL_PARSE_FAILED" || low.rfind("variable \"$", 0) == 0 ||
                         low.find("unknown argument") != std::string::npos ||
                         low.find("cannot query field") != std::string::npos || (status >= 400 && status < 500);
    if (invalid) return Error::invalid(std::string(op), text);
    return Error::unavailable(text);
  }

  const RailwayOptions& options_;
  std::vector<std::string> secrets_;
};

using Step = Result<std::optional<Observation>>;

Step next() { return std::optional<Observation>(); }
Step stop_here(Observation o) { return std::optional<Observation>(std::move(o)); }

Observation rate_limited(const Reply& reply) {
  Observation o;
  o.phase = Phase::kProgressing;
  o.recheck_after = reply.retry_after;
  o.message = "Railway rate limit; retrying in " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(reply.retry_after).count()) + " s";
  return o;
}

Observation observed(Phase phase, std::string message) {
  Observation o;
  o.phase = phase;
  o.message = std::move(message);
  return o;
}

/// A step's early exit: its error, or the observation it ends the pass with.
#define RAILWAY_STEP(expr)                                    \
  do {                                                        \
    auto railway_step_ = (expr);                              \
    if (!railway_step_.ok()) return railway_step_.error();    \
    if (railway_step_.value()) return *railway_step_.value(); \
  } while (false)

/// The same inside a step: passes the error or the observation up unchanged.
#define RAILWAY_SUBSTEP(expr)                                          \
  do {                                                                 \
    auto railway_sub_ = (expr);                                        \
    if (!railway_sub_.ok() || railway_sub_.value()) return railway_sub_; \
  } while (false)

/// One ensure_* call: the steps share the spec, the ids and the API.
class Pass {
 public:
  Pass(const RailwayOptions& options, const CellSpec& spec, ExternalIds& ids, Recorder& recorder)
      : options_(options), spec_(spec), ids_(ids), recorder_(recorder), api_(options, spec) {}

  Result<Observation> run() {
    RAILWAY_STEP(service(true));
    RAILWAY_STEP(instance());
    RAILWAY_STEP(variables());
    RAILWAY_STEP(volume());
    RAILWAY_STEP(domain());
    RAILWAY_STEP(deploy());
    return status();
  }

  Result<Observation> stop() {
    RAILWAY_STEP(service(false));
    if (service_id().empty()) return finish_stop("no Railway service; nothing runs");
    WINSTON_TRY_ASSIGN(const auto reply, call("deployments", kLiveDeployments, live_deployments_input()));
    if (reply.throttled()) return rate_limited(reply);
    for (const auto& node : nodes_of(obj_at(reply.data.if_contains("deployments")))) {
      WINSTON_TRY_ASSIGN(const auto removed, call("deploymentRemove", kDeploymentRemove, {{"id", str_of(node, "id")}}));
      if (removed.throttled()) return rate_limited(removed);
      recorder_.note("stop", "deployment " + str_of(node, "id") + " (" + str_of(node, "status") + ") removed");
    }
    return finish_stop("the gateway is stopped; service, variables and volume kept");
  }

  Result<Observation> remove() {
    RAILWAY_STEP(service(false));
    if (!service_id().empty() && str_of(ids_, "volume_id").empty()) RAILWAY_STEP(find_volume());
    if (const auto volume = str_of(ids_, "volume_id"); !volume.empty()) {
      WINSTON_TRY_ASSIGN(const auto reply, tolerate_missing(call("volumeDelete", kVolumeDelete, {{"volumeId", volume}})));
      if (reply.throttled()) return rate_limited(reply);
      ids_.erase("volume_id");
      WINSTON_TRY(record("delete", "volume " + volume + " deleted"));
    }
    if (const auto service = service_id(); !service.empty()) {
      WINSTON_TRY_ASSIGN(const auto reply, tolerate_missing(call("serviceDelete", kServiceDelete,
                                                                 {{"id", service}, {"environmentId", options_.environment_id}})));
      if (reply.throttled()) return rate_limited(reply);
      ids_.clear();
      WINSTON_TRY(record("delete", "service " + service + " deleted"));
    }
    ids_.clear();
    WINSTON_TRY(recorder_.save(ids_));
    return observed(Phase::kGone, "no Railway resources left");
  }

 private:
  std::string service_id() const { return str_of(ids_, "service_id"); }

  Result<Reply> call(std::string_view op, std::string_view document, json::object variables) const {
    return api_.call(op, document, std::move(variables));
  }

  /// A resource that is already gone counts as deleted.
  static Result<Reply> tolerate_missing(Result<Reply> r) {
    if (!r.ok() && r.error().code == ErrorCode::kNotFound) return Reply{};
    return r;
  }

  /// Persists ids, then notes the step (a failed save stops the pass: the next one retries).
  Status record(std::string_view step, const std::string& message) {
    WINSTON_TRY(recorder_.save(ids_));
    recorder_.note(step, message);
    return {};
  }

  /// Finds the service by name (serviceCreate is not idempotent) and, when
  /// `create`, creates it when missing.
  Step service(bool create) {
    if (!service_id().empty()) return next();
    const std::string name = resource_name(spec_);
    WINSTON_TRY_ASSIGN(const auto found, call("project", kProjectServices, {{"projectId", options_.project_id}}));
    if (found.throttled()) return stop_here(rate_limited(found));
    for (const auto& node : nodes_of(obj_at(obj_of(found.data, "project").if_contains("services")))) {
      if (str_of(node, "name") != name) continue;
      ids_["service_id"] = str_of(node, "id");
      WINSTON_TRY(record("service", "found service " + name + " (" + service_id() + ")"));
      return next();
    }
    if (!create) return next();
    json::object input{{"projectId", options_.project_id}, {"environmentId", options_.environment_id}, {"name", name}};
    WINSTON_TRY_ASSIGN(const auto made, call("serviceCreate", kServiceCreate, {{"input", std::move(input)}}));
    if (made.throttled()) return stop_here(rate_limited(made));
    const auto id = str_of(obj_of(made.data, "serviceCreate"), "id");
    if (id.empty()) return Error::unavailable("Railway serviceCreate: the answer has no service id");
    ids_["service_id"] = id;
    WINSTON_TRY(record("service", "created service " + name + " (" + id + ")"));
    return next();
  }

  /// Image and start command, set again only when either changes.
  Step instance() {
    const std::string command = bootstrap_start_command();
    if (str_of(ids_, "image") == options_.image && str_of(ids_, "start_command") == command) return next();
    json::object source;
    source["image"] = options_.image;
    json::object input;
    input["source"] = std::move(source);
    input["startCommand"] = command;
    WINSTON_TRY_ASSIGN(const auto reply, call("serviceInstanceUpdate", kInstanceUpdate,
                                              {{"serviceId", service_id()},
                                               {"environmentId", options_.environment_id},
                                               {"input", std::move(input)}}));
    if (reply.throttled()) return stop_here(rate_limited(reply));
    ids_["image"] = options_.image;
    ids_["start_command"] = command;
    WINSTON_TRY(record("configure", "image " + options_.image + " with the bootstrap start command"));
    return next();
  }

  /// All of remote_cell_environment, replacing what was there, without a
  /// deploy of its own (deploy() starts exactly one).
  Step variables() {
    if (ids_.contains("variables_version") && int_of(ids_, "variables_version") == spec_.snapshot_version) return next();
    json::object vars;
    for (auto& var : remote_cell_environment(spec_)) vars[var.name] = std::move(var.value);
    json::object input{{"projectId", options_.project_id}, {"environmentId", options_.environment_id},
                       {"serviceId", service_id()},         {"variables", std::move(vars)},
                       {"replace", true},                   {"skipDeploys", true}};
    WINSTON_TRY_ASSIGN(const auto reply, call("variableCollectionUpsert", kVariablesUpsert, {{"input", std::move(input)}}));
    if (reply.throttled()) return stop_here(rate_limited(reply));
    ids_["variables_version"] = spec_.snapshot_version;
    WINSTON_TRY(record("variables", "variables set for snapshot v" + std::to_string(spec_.snapshot_version)));
    return next();
  }

  /// Looks for a volume already attached to the service in the environment
  /// (a pass that died after volumeCreate).
  Step find_volume() {
    WINSTON_TRY_ASSIGN(const auto found, call("environment", kEnvironmentVolumes, {{"environmentId", options_.environment_id}}));
    if (found.throttled()) return stop_here(rate_limited(found));
    for (const auto& inst : nodes_of(obj_at(obj_of(found.data, "environment").if_contains("volumeInstances")))) {
      if (str_of(inst, "serviceId") != service_id() || str_of(inst, "mountPath") != kVolumeMountPath) continue;
      ids_["volume_id"] = str_of(inst, "volumeId");
      WINSTON_TRY(record("volume", "found volume " + str_of(inst, "volumeId") + " at " + std::string(kVolumeMountPath)));
      return next();
    }
    return next();
  }

  Step volume() {
    if (!str_of(ids_, "volume_id").empty()) return next();
    RAILWAY_SUBSTEP(find_volume());
    if (!str_of(ids_, "volume_id").empty()) return next();
    json::object input{{"projectId", options_.project_id}, {"environmentId", options_.environment_id},
                       {"serviceId", service_id()}, {"mountPath", kVolumeMountPath}};
    WINSTON_TRY_ASSIGN(const auto made, call("volumeCreate", kVolumeCreate, {{"input", std::move(input)}}));
    if (made.throttled()) return stop_here(rate_limited(made));
    const auto id = str_of(obj_of(made.data, "volumeCreate"), "id");
    if (id.empty()) return Error::unavailable("Railway volumeCreate: the answer has no volume id");
    ids_["volume_id"] = id;
    WINSTON_TRY(record("volume", "created volume " + id + " at " + std::string(kVolumeMountPath)));
    return next();
  }

  Step domain() {
    if (!str_of(ids_, "domain").empty()) return next();
    WINSTON_TRY_ASSIGN(const auto found, call("domains", kDomains,
                                              {{"projectId", options_.project_id},
                                               {"environmentId", options_.environment_id},
                                               {"serviceId", service_id()}}));
    if (found.throttled()) return stop_here(rate_limited(found));
    json::object chosen;
    if (const auto* list = obj_of(found.data, "domains").if_contains("serviceDomains"); list != nullptr && list->is_array()) {
      for (const auto& d : list->as_array()) {
        if (d.is_object() && !str_of(d.as_object(), "domain").empty()) {
          chosen = d.as_object();
          break;
        }
      }
    }
    if (chosen.empty()) {
      json::object input{{"environmentId", options_.environment_id}, {"serviceId", service_id()}, {"targetPort", kGatewayPort}};
      WINSTON_TRY_ASSIGN(const auto made, call("serviceDomainCreate", kDomainCreate, {{"input", std::move(input)}}));
      if (made.throttled()) return stop_here(rate_limited(made));
      chosen = obj_of(made.data, "serviceDomainCreate");
      if (str_of(chosen, "domain").empty()) return Error::unavailable("Railway serviceDomainCreate: the answer has no domain");
    }
    ids_["domain"] = str_of(chosen, "domain");
    ids_["domain_id"] = str_of(chosen, "id");
    WINSTON_TRY(record("domain", "domain " + str_of(chosen, "domain") + " on port " + std::to_string(kGatewayPort)));
    return next();
  }

  /// serviceInstanceDeployV2 for a first deploy and for every new version:
  /// unlike serviceInstanceRedeploy it returns the deployment id to watch.
  Step deploy() {
    const bool current = !str_of(ids_, "deployment_id").empty() && ids_.contains("deployed_version") &&
                         int_of(ids_, "deployed_version") == spec_.snapshot_version;
    if (current) return next();
    WINSTON_TRY_ASSIGN(const auto reply, call("serviceInstanceDeployV2", kDeploy,
                                              {{"environmentId", options_.environment_id}, {"serviceId", service_id()}}));
    if (reply.throttled()) return stop_here(rate_limited(reply));
    const auto* id = reply.data.if_contains("serviceInstanceDeployV2");
    if (id == nullptr || !id->is_string() || id->as_string().empty()) {
      return Error::unavailable("Railway serviceInstanceDeployV2: the answer has no deployment id");
    }
    ids_["deployment_id"] = id->as_string();
    ids_["deployed_version"] = spec_.snapshot_version;
    ids_.erase("deployment_status");
    ids_.erase("stopped");
    WINSTON_TRY(record("deploy", "deploying snapshot v" + std::to_string(spec_.snapshot_version) + " (deployment " +
                                     std::string(id->as_string()) + ")"));
    return next();
  }

  Result<Observation> status() {
    const auto id = str_of(ids_, "deployment_id");
    WINSTON_TRY_ASSIGN(const auto reply, call("deployment", kDeployment, {{"id", id}}));
    if (reply.throttled()) return rate_limited(reply);
    const auto state = str_of(obj_of(reply.data, "deployment"), "status");
    if (state != str_of(ids_, "deployment_status")) {
      ids_["deployment_status"] = state;
      WINSTON_TRY(record("status", "deployment " + id + " is " + state));
    }
    const std::string version = "v" + std::to_string(spec_.snapshot_version);
    if (state == "SUCCESS" || state == "SLEEPING") {
      Observation o = observed(Phase::kReady, "snapshot " + version + " runs (" + state + ")");
      o.url = "https://" + str_of(ids_, "domain");
      o.deployed_version = spec_.snapshot_version;
      return o;
    }
    if (one_of(state, kFailedStatuses)) {
      // Forget the deployment so the next pass deploys the version again.
      ids_.erase("deployment_id");
      ids_.erase("deployed_version");
      ids_.erase("deployment_status");
      WINSTON_TRY(recorder_.save(ids_));
      return observed(Phase::kFailed, "deployment " + id + " of snapshot " + version + " ended " + state);
    }
    return observed(Phase::kProgressing, "deployment " + id + " of snapshot " + version + " is " +
                                             (state.empty() ? std::string("in an unknown state") : state));
  }

  json::object live_deployments_input() const {
    json::array live;
    for (const auto s : kLiveStatuses) live.emplace_back(s);
    json::object status;
    status["in"] = std::move(live);
    json::object input{{"projectId", options_.project_id}, {"environmentId", options_.environment_id}, {"serviceId", service_id()}};
    input["status"] = std::move(status);
    json::object variables;
    variables["input"] = std::move(input);
    return variables;
  }

  Result<Observation> finish_stop(std::string message) {
    ids_.erase("deployment_id");
    ids_.erase("deployed_version");
    ids_.erase("deployment_status");
    ids_["stopped"] = true;
    WINSTON_TRY(record("stop", message));
    return observed(Phase::kStopped, std::move(message));
  }

  static const json::object& obj_of(const json::object& o, std::string_view key) {
    static const json::object kEmpty;
    const auto* found = obj_at(o.if_contains(key));
    return found != nullptr ? *found : kEmpty;
  }

  const RailwayOptions& options_;
  const CellSpec& spec_;
  ExternalIds& ids_;
  Recorder& recorder_;
  Api api_;
};

/// Resources Railway no longer knows (deleted by hand): forget them, so the
/// next pass finds or recreates them instead of failing on stale ids.
Result<Observation> forget_if_missing(Result<Observation> r, ExternalIds& ids, Recorder& recorder) {
  if (r.ok() || r.error().code != ErrorCode::kNotFound) return r;
  const std::string message = r.error().message;
  ids.clear();
  recorder.note("reset", "Railway no longer knows a recorded resource; it is found or recreated next time");
  if (auto saved = recorder.save(ids); !saved.ok()) return saved.error();
  return Error::unavailable(message);
}

}  // namespace

RailwayProvisioner::RailwayProvisioner(RailwayOptions options) : options_(std::move(options)) {}

Result<Observation> RailwayProvisioner::ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Pass pass(options_, spec, ids, recorder);
  return forget_if_missing(pass.run(), ids, recorder);
}

Result<Observation> RailwayProvisioner::ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Pass pass(options_, spec, ids, recorder);
  return forget_if_missing(pass.stop(), ids, recorder);
}

Result<Observation> RailwayProvisioner::ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Pass pass(options_, spec, ids, recorder);
  return pass.remove();
}

}  // namespace winston::cells
