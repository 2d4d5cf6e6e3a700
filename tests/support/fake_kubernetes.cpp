#include "support/fake_kubernetes.hpp"

#include "core/ids.hpp"
#include "support/fake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <mutex>
#include <regex>
#include <set>
#include <tuple>

namespace winston::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{10};
constexpr std::chrono::milliseconds kWatchPoll{10};
constexpr std::string_view kTimestamp = "2026-01-01T00:00:00Z";

struct KindInfo {
  std::string_view plural, kind, api_version, group;  // group "" for the core API
};
constexpr KindInfo kKinds[] = {
    {"deployments", "Deployment", "apps/v1", "apps"},
    {"secrets", "Secret", "v1", ""},
    {"services", "Service", "v1", ""},
    {"persistentvolumeclaims", "PersistentVolumeClaim", "v1", ""},
    {"configmaps", "ConfigMap", "v1", ""},
};

const KindInfo* kind_of(std::string_view plural) {
  for (const auto& k : kKinds) {
    if (k.plural == plural) return &k;
  }
  return nullptr;
}

// ---- Status objects ----------------------------------------------------------

struct Cause {
  std::string reason, message, field;
};

struct Reply {
  unsigned status = 200;
  std::string body;
  std::optional<std::string> retry_after;
};

Reply status_reply(unsigned code, std::string_view reason, std::string message, json::object details = {}) {
  json::object s{{"kind", "Status"},  {"apiVersion", "v1"}, {"metadata", json::object{}}, {"status", "Failure"},
                 {"message", message}, {"reason", reason},  {"code", code}};
  if (!details.empty()) s["details"] = std::move(details);
  return {code, json::serialize(s), std::nullopt};
}

Reply invalid_reply(const KindInfo& k, const std::string& name, const std::vector<Cause>& causes) {
  json::array list;
  std::string summary;
  for (const auto& c : causes) {
    list.push_back(json::object{{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    summary += (summary.empty() ? "" : ", ") + c.field + ": " + c.message;
  }
  const std::string qualified = std::string(k.kind) + (k.group.empty() ? "" : "." + std::string(k.group));
  json::object details{{"name", name}, {"group", k.group}, {"kind", k.kind}, {"causes", std::move(list)}};
  return status_reply(422, "Invalid", qualified + " \"" + name + "\" is invalid: " +
                                          (causes.size() == 1 ? summary : "[" + summary + "]"),
                      std::move(details));
}

Reply not_found(const KindInfo& k, const std::string& name) {
  const std::string what = std::string(k.plural) + (k.group.empty() ? "" : "." + std::string(k.group));
  return status_reply(404, "NotFound", what + " \"" + name + "\" not found",
                      json::object{{"name", name}, {"group", k.group}, {"kind", k.plural}});
}

Reply object_reply(unsigned code, const json::object& o) { return {code, json::serialize(o), std::nullopt}; }

// ---- validation --------------------------------------------------------------

const std::regex kQuantity(R"(^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$)");
const std::regex kDnsLabel(R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)");
const std::regex kDnsSubdomain(R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
const std::regex kLabelValue(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
const std::regex kSecretKey(R"(^[-._a-zA-Z0-9]+$)");
const std::regex kBase64(R"(^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$)");

using Keys = std::set<std::string_view>;
const Keys kDeploymentSpecKeys{"replicas", "selector", "template", "strategy", "minReadySeconds",
                               "revisionHistoryLimit", "paused", "progressDeadlineSeconds"};
const Keys kPodSpecKeys{"volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
                        "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
                        "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
                        "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
                        "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
                        "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
                        "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
                        "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
                        "resourceClaims"};
const Keys kContainerKeys{"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources",
                          "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe",
                          "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
                          "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce",
                          "tty"};
const Keys kContainerSecurityKeys{"capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser",
                                  "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                                  "allowPrivilegeEscalation", "procMount", "seccompProfile", "appArmorProfile"};
const Keys kPodSecurityKeys{"seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot",
                            "supplementalGroups", "supplementalGroupsPolicy", "fsGroup", "sysctls",
                            "fsGroupChangePolicy", "seccompProfile", "appArmorProfile", "seLinuxChangePolicy"};
const Keys kProbeKeys{"exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds",
                      "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"};

/// Collects causes with field paths, the way the API server reports them.
class Validator {
 public:
  std::vector<Cause> causes;

  void required(const std::string& field) { causes.push_back({"FieldValueRequired", "Required value", field}); }
  void invalid(const std::string& field, const std::string& value, const std::string& why) {
    causes.push_back({"FieldValueInvalid", "Invalid value: " + value + ": " + why, field});
  }
  void unknown(const std::string& field) {
    causes.push_back({"FieldValueInvalid", "field not declared in schema", field});
  }

  const json::object* object(const json::object& parent, std::string_view key, const std::string& field,
                             bool must = false) {
    const auto* v = parent.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (must) required(field);
      return nullptr;
    }
    if (!v->is_object()) invalid(field, json::serialize(*v), "must be an object");
    return v->if_object();
  }
  const json::array* array(const json::object& parent, std::string_view key, const std::string& field) {
    const auto* v = parent.if_contains(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_array()) invalid(field, json::serialize(*v), "must be an array");
    return v->if_array();
  }
  std::string string(const json::object& parent, std::string_view key, const std::string& field) {
    const auto* v = parent.if_contains(key);
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_string()) {
      invalid(field, json::serialize(*v), "must be a string");
      return {};
    }
    return std::string(v->as_string());
  }
  void keys(const json::object& o, const Keys& allowed, const std::string& prefix) {
    for (const auto& [key, value] : o) {
      if (allowed.count(std::string_view(key)) == 0) unknown(prefix + "." + std::string(key));
    }
  }
  void quantity(const json::value& v, const std::string& field) {
    const std::string text = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
    if (!(v.is_string() || v.is_number()) || !std::regex_match(text, kQuantity)) {
      invalid(field, "\"" + text + "\"",
              "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }
  }
  void resources(const json::object& r, const std::string& field) {
    for (const char* part : {"requests", "limits"}) {
      const auto* m = object(r, part, field + "." + part);
      if (m == nullptr) continue;
      for (const auto& [name, q] : *m) quantity(q, field + "." + part + "[" + std::string(name) + "]");
    }
  }
  void labels(const json::object& meta, const std::string& field) {
    const auto* l = object(meta, "labels", field + ".labels");
    if (l == nullptr) return;
    for (const auto& [key, value] : *l) {
      const std::string v = value.is_string() ? std::string(value.as_string()) : json::serialize(value);
      if (!value.is_string() || v.size() > 63 || !std::regex_match(v, kLabelValue)) {
        invalid(field + ".labels", "\"" + v + "\"", "a valid label must be an empty string or consist of "
                                                    "alphanumeric characters, '-', '_' or '.'");
      }
    }
  }
  void integer(const json::object& o, std::string_view key, const std::string& field, std::int64_t lo,
               std::int64_t hi) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return;
    if (!v->is_int64() && !v->is_uint64()) {
      invalid(field, json::serialize(*v), "must be an integer");
      return;
    }
    const auto n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
    if (n < lo || n > hi) invalid(field, std::to_string(n), "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive");
  }
  void probe(const json::object& c, std::string_view key, const std::string& field) {
    const auto* p = object(c, key, field);
    if (p == nullptr) return;
    keys(*p, kProbeKeys, field);
    if (const auto* get = object(*p, "httpGet", field + ".httpGet")) {
      if (get->if_contains("port") == nullptr) required(field + ".httpGet.port");
      if (get->if_contains("port") != nullptr && get->at("port").is_number()) integer(*get, "port", field + ".httpGet.port", 1, 65535);
    }
  }

  void container(const json::object& c, const std::string& f, const std::set<std::string>& volumes);
  void pod(const json::object& spec, const std::string& f);
  void deployment(const json::object& d);
  void claim(const json::object& c);
  void service(const json::object& s);
  void secret(const json::object& s);
};

void Validator::container(const json::object& c, const std::string& f, const std::set<std::string>& volumes) {
  keys(c, kContainerKeys, f);
  const std::string name = string(c, "name", f + ".name");
  if (name.empty()) required(f + ".name");
  else if (!std::regex_match(name, kDnsLabel)) invalid(f + ".name", "\"" + name + "\"", "a lowercase RFC 1123 label");
  if (string(c, "image", f + ".image").empty()) required(f + ".image");
  if (const auto* r = object(c, "resources", f + ".resources")) resources(*r, f + ".resources");
  if (const auto* sc = object(c, "securityContext", f + ".securityContext")) keys(*sc, kContainerSecurityKeys, f + ".securityContext");
  if (const auto* env = array(c, "env", f + ".env")) {
    for (std::size_t i = 0; i < env->size(); ++i) {
      const std::string ef = f + ".env[" + std::to_string(i) + "]";
      const auto* e = (*env)[i].if_object();
      if (e == nullptr || string(*e, "name", ef + ".name").empty()) {
        required(ef + ".name");
        continue;
      }
      if (e->contains("value") && e->contains("valueFrom")) {
        invalid(ef + ".valueFrom", "\"\"", "may not be specified when `value` is not empty");
      }
    }
  }
  if (const auto* mounts = array(c, "volumeMounts", f + ".volumeMounts")) {
    for (std::size_t i = 0; i < mounts->size(); ++i) {
      const std::string mf = f + ".volumeMounts[" + std::to_string(i) + "]";
      const auto* m = (*mounts)[i].if_object();
      const std::string vol = m != nullptr ? string(*m, "name", mf + ".name") : "";
      if (volumes.count(vol) == 0) causes.push_back({"FieldValueNotFound", "Not found: \"" + vol + "\"", mf + ".name"});
      if (m == nullptr || string(*m, "mountPath", mf + ".mountPath").empty()) required(mf + ".mountPath");
    }
  }
  for (const char* p : {"readinessProbe", "livenessProbe", "startupProbe"}) probe(c, p, f + "." + p);
}

void Validator::pod(const json::object& spec, const std::string& f) {
  keys(spec, kPodSpecKeys, f);
  if (const auto* sc = object(spec, "securityContext", f + ".securityContext")) keys(*sc, kPodSecurityKeys, f + ".securityContext");
  std::set<std::string> volumes;
  if (const auto* vols = array(spec, "volumes", f + ".volumes")) {
    for (std::size_t i = 0; i < vols->size(); ++i) {
      const auto* v = (*vols)[i].if_object();
      const std::string name = v != nullptr ? string(*v, "name", f + ".volumes[" + std::to_string(i) + "].name") : "";
      if (name.empty()) required(f + ".volumes[" + std::to_string(i) + "].name");
      volumes.insert(name);
    }
  }
  const auto* containers = array(spec, "containers", f + ".containers");
  if (containers == nullptr || containers->empty()) {
    required(f + ".containers");
    return;
  }
  for (std::size_t i = 0; i < containers->size(); ++i) {
    const std::string cf = f + ".containers[" + std::to_string(i) + "]";
    if (const auto* c = (*containers)[i].if_object()) container(*c, cf, volumes);
    else invalid(cf, json::serialize((*containers)[i]), "must be an object");
  }
}

void Validator::deployment(const json::object& d) {
  const auto* spec = object(d, "spec", "spec", true);
  if (spec == nullptr) return;
  keys(*spec, kDeploymentSpecKeys, "spec");
  integer(*spec, "replicas", "spec.replicas", 0, 1'000'000);
  const auto* sel = object(*spec, "selector", "spec.selector", true);
  const auto* match = sel != nullptr ? object(*sel, "matchLabels", "spec.selector.matchLabels") : nullptr;
  if (sel != nullptr && (match == nullptr || match->empty())) invalid("spec.selector", "{}", "empty selector is invalid for deployment");
  if (const auto* strategy = object(*spec, "strategy", "spec.strategy")) {
    const std::string type = string(*strategy, "type", "spec.strategy.type");
    if (!type.empty() && type != "Recreate" && type != "RollingUpdate") {
      causes.push_back({"FieldValueNotSupported", "Unsupported value: \"" + type + "\"", "spec.strategy.type"});
    }
    if (type == "Recreate" && strategy->contains("rollingUpdate")) {
      causes.push_back({"FieldValueForbidden", "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                        "spec.strategy.rollingUpdate"});
    }
  }
  const auto* tmpl = object(*spec, "template", "spec.template", true);
  if (tmpl == nullptr) return;
  const auto* meta = object(*tmpl, "metadata", "spec.template.metadata");
  if (meta != nullptr) labels(*meta, "spec.template.metadata");
  const auto* tl = meta != nullptr ? object(*meta, "labels", "spec.template.metadata.labels") : nullptr;
  if (match != nullptr) {
    for (const auto& [key, value] : *match) {
      const auto* have = tl != nullptr ? tl->if_contains(key) : nullptr;
      if (have == nullptr || *have != value) {
        invalid("spec.template.metadata.labels", tl != nullptr ? json::serialize(*tl) : "{}",
                "`selector` does not match template `labels`");
        break;
      }
    }
  }
  if (const auto* pod_spec = object(*tmpl, "spec", "spec.template.spec", true)) pod(*pod_spec, "spec.template.spec");
}

void Validator::claim(const json::object& c) {
  const auto* spec = object(c, "spec", "spec", true);
  if (spec == nullptr) return;
  const auto* modes = array(*spec, "accessModes", "spec.accessModes");
  if (modes == nullptr || modes->empty()) required("spec.accessModes");
  const auto* res = object(*spec, "resources", "spec.resources");
  const auto* req = res != nullptr ? object(*res, "requests", "spec.resources.requests") : nullptr;
  const auto* storage = req != nullptr ? req->if_contains("storage") : nullptr;
  if (storage == nullptr) required("spec.resources[storage]");
  else quantity(*storage, "spec.resources.requests[storage]");
}

void Validator::service(const json::object& s) {
  const auto* spec = object(s, "spec", "spec", true);
  if (spec == nullptr) return;
  const std::string type = string(*spec, "type", "spec.type");
  if (!type.empty() && type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName") {
    causes.push_back({"FieldValueNotSupported", "Unsupported value: \"" + type + "\"", "spec.type"});
  }
  const auto* ports = array(*spec, "ports", "spec.ports");
  if (ports == nullptr || ports->empty()) {
    required("spec.ports");
    return;
  }
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const std::string pf = "spec.ports[" + std::to_string(i) + "]";
    const auto* p = (*ports)[i].if_object();
    if (p == nullptr || !p->contains("port")) {
      required(pf + ".port");
      continue;
    }
    integer(*p, "port", pf + ".port", 1, 65535);
  }
}

void Validator::secret(const json::object& s) {
  const auto* data = object(s, "data", "data");
  if (data == nullptr) return;
  for (const auto& [key, value] : *data) {
    const std::string k(key);
    if (!std::regex_match(k, kSecretKey)) invalid("data[" + k + "]", "\"" + k + "\"", "a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
    if (!value.is_string() || !std::regex_match(std::string(value.as_string()), kBase64)) {
      causes.push_back({"FieldValueInvalid", "illegal base64 data", "data[" + k + "]"});
    }
  }
}

std::vector<Cause> validate(const KindInfo& k, const json::object& o) {
  static const std::map<std::string_view, Keys> kTopLevel{
      {"Deployment", {"apiVersion", "kind", "metadata", "spec", "status"}},
      {"Service", {"apiVersion", "kind", "metadata", "spec", "status"}},
      {"PersistentVolumeClaim", {"apiVersion", "kind", "metadata", "spec", "status"}},
      {"Secret", {"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"}},
      {"ConfigMap", {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}}};
  Validator v;
  for (const auto& [key, value] : o) {
    if (kTopLevel.at(k.kind).count(std::string_view(key)) == 0) v.unknown(std::string(key));
  }
  const auto* meta = v.object(o, "metadata", "metadata", true);
  if (meta != nullptr) v.labels(*meta, "metadata");
  if (k.kind == "Deployment") v.deployment(o);
  if (k.kind == "PersistentVolumeClaim") v.claim(o);
  if (k.kind == "Service") v.service(o);
  if (k.kind == "Secret") v.secret(o);
  return v.causes;
}

json::object strip_server_fields(json::object o) {
  o.erase("status");
  if (auto* meta = o.if_contains("metadata"); meta != nullptr && meta->is_object()) {
    for (const char* f : {"resourceVersion", "generation", "uid", "creationTimestamp", "managedFields"}) {
      meta->as_object().erase(f);
    }
  }
  return o;
}

json::object without_metadata(json::object o) {
  o.erase("metadata");
  o.erase("status");
  return o;
}

json::object condition(std::string_view type, std::string_view status, std::string_view reason, std::string message) {
  return {{"type", type},          {"status", status},          {"lastUpdateTime", kTimestamp},
          {"lastTransitionTime", kTimestamp}, {"reason", reason}, {"message", std::move(message)}};
}

/// RFC 7386 JSON merge patch: null removes a key, objects merge, anything else replaces.
json::value merge_patch(json::value target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object{};
  auto& t = target.as_object();
  for (const auto& [key, value] : patch.as_object()) {
    if (value.is_null()) {
      t.erase(key);
    } else {
      const auto* old = t.if_contains(key);
      t[key] = merge_patch(old != nullptr ? *old : json::value(nullptr), value);
    }
  }
  return target;
}

/// A resource quantity in bytes ("5Gi", "500M", "1073741824"); -1 when unreadable.
double quantity_bytes(const json::value* v) {
  if (v == nullptr || !v->is_string()) return -1;
  const std::string text(v->as_string());
  std::size_t used = 0;
  double n = 0;
  try {
    n = std::stod(text, &used);
  } catch (const std::exception&) {
    return -1;
  }
  static const std::map<std::string, double> kScale{
      {"", 1},          {"k", 1e3},          {"M", 1e6},          {"G", 1e9},          {"T", 1e12},
      {"P", 1e15},      {"E", 1e18},         {"Ki", 1024.0},      {"Mi", 1048576.0},   {"Gi", 1073741824.0},
      {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}};
  const auto it = kScale.find(text.substr(used));
  return it == kScale.end() ? -1 : n * it->second;
}

const json::value* claim_storage(const json::object& claim) {
  const auto* spec = claim.if_contains("spec");
  const auto* res = spec != nullptr && spec->is_object() ? spec->as_object().if_contains("resources") : nullptr;
  const auto* req = res != nullptr && res->is_object() ? res->as_object().if_contains("requests") : nullptr;
  return req != nullptr && req->is_object() ? req->as_object().if_contains("storage") : nullptr;
}

/// The pod template of a Deployment, serialised: a new one means a new ReplicaSet.
std::string template_of(const json::object& deployment) {
  const auto* spec = deployment.if_contains("spec");
  const auto* tmpl = spec != nullptr && spec->is_object() ? spec->as_object().if_contains("template") : nullptr;
  return tmpl != nullptr ? json::serialize(*tmpl) : std::string();
}

}  // namespace

// ---- the server ----------------------------------------------------------------

bool FakeKubeRequest::watch() const {
  const auto w = param("watch");
  return w == "1" || w == "true";
}

std::string FakeKubeRequest::param(const std::string& name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

struct FakeKubernetes::Impl {
  struct Stored {
    json::object object;
    std::string plural, ns, name, manager;
    Clock::time_point changed_at{};
    int reads = 0;           // GETs of a Deployment since its spec changed
    int terminating = -1;    // GETs left while being deleted; -1: not being deleted
    std::set<std::string> templates;  // a Deployment's pod templates so far: one ReplicaSet each
  };
  struct Event {
    std::uint64_t rv;
    std::string plural, ns, name, type;
    json::object object;
  };
  struct Watch {
    std::string plural, ns, name;  // name empty: every object of the kind
    std::uint64_t since = 0;
    bool initial = false;
    std::chrono::seconds timeout{0};
    std::optional<json::object> error_event;
  };
  struct Handled {
    Reply reply;
    std::optional<Watch> watch;
  };

  explicit Impl(std::string token) : token_(std::move(token)) {}

  const std::string token_;

  mutable std::mutex mu_;
  FakeKubernetesBehavior behavior_;
  std::map<std::string, Stored> objects_;  // "plural/ns/name"
  std::vector<Event> events_;
  std::uint64_t rv_ = 1000;
  std::uint64_t compacted_ = 0;
  std::uint64_t uid_ = 0;
  int fail_left_ = 0;
  unsigned fail_status_ = 0;
  std::optional<std::string> fail_retry_after_;
  std::set<std::pair<std::string, std::string>> forbidden_;
  std::vector<FakeKubeRequest> requests_;
  std::set<std::string> namespaces_{"default", "winston"};

  static std::string key(std::string_view plural, std::string_view ns, std::string_view name) {
    return std::string(plural) + "/" + std::string(ns) + "/" + std::string(name);
  }

  /// Bumps the resourceVersion of `s` and tells watchers.
  void changed(Stored& s, std::string_view type) {
    s.object["metadata"].as_object()["resourceVersion"] = std::to_string(++rv_);
    events_.push_back({rv_, s.plural, s.ns, s.name, std::string(type), s.object});
  }

  void erase(const std::string& k) {
    auto it = objects_.find(k);
    if (it == objects_.end()) return;
    changed(it->second, "DELETED");
    objects_.erase(it);
  }

  json::object deployment_status(const Stored& s, Clock::time_point now) const {
    const auto& o = s.object;
    const auto gen = o.at("metadata").at("generation").as_int64();
    const auto* r = o.at("spec").as_object().if_contains("replicas");
    const std::int64_t replicas = r != nullptr && r->is_int64() ? r->as_int64() : 1;
    const std::string name(s.name);
    const std::string rs = "ReplicaSet \"" + name + "-7d4b9c8f6\"";
    json::object st{{"observedGeneration", gen}};
    if (replicas == 0) {
      st["conditions"] = json::array{condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                                     condition("Progressing", "True", "NewReplicaSetAvailable", rs + " has successfully progressed.")};
      return st;
    }
    st["replicas"] = replicas;
    st["updatedReplicas"] = replicas;
    const bool due = now - s.changed_at >= behavior_.ready_after ||
                     (behavior_.ready_after_reads >= 0 && s.reads >= behavior_.ready_after_reads);
    if (behavior_.progress_deadline_exceeded) {
      st["unavailableReplicas"] = replicas;
      st["conditions"] = json::array{condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                                     condition("Progressing", "False", "ProgressDeadlineExceeded", rs + " has timed out progressing.")};
    } else if (due && !behavior_.never_ready) {
      st["readyReplicas"] = replicas;
      st["availableReplicas"] = replicas;
      st["conditions"] = json::array{condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                                     condition("Progressing", "True", "NewReplicaSetAvailable", rs + " has successfully progressed.")};
    } else {
      st["unavailableReplicas"] = replicas;
      st["conditions"] = json::array{condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                                     condition("Progressing", "True", "ReplicaSetUpdated", rs + " is progressing.")};
    }
    return st;
  }

  /// The Deployment controller's work since the last request.
  void advance() {
    const auto now = Clock::now();
    for (auto& [k, s] : objects_) {
      if (s.plural != "deployments" || s.terminating >= 0) continue;
      auto status = deployment_status(s, now);
      const auto* old = s.object.if_contains("status");
      if (old != nullptr && old->is_object() && old->as_object() == status) continue;
      s.object["status"] = std::move(status);
      changed(s, "MODIFIED");
    }
  }

  std::string verb_of(const FakeKubeRequest& r, bool named) const {
    if (r.method == "GET") return named ? "get" : (r.watch() ? "watch" : "list");
    std::string v = r.method;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v;
  }

  Handled handle(const FakeKubeRequest& r) {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    if (r.authorization != "Bearer " + token_) return {status_reply(401, "Unauthorized", "Unauthorized"), {}};
    if (fail_left_ > 0) {
      --fail_left_;
      return {injected_failure(), {}};
    }
    // /api/v1/namespaces/NS/PLURAL[/NAME] or /apis/GROUP/v1/namespaces/NS/PLURAL[/NAME]
    std::vector<std::string> seg;
    for (std::size_t pos = 1; pos <= r.path.size();) {
      const auto end = std::min(r.path.find('/', pos), r.path.size());
      seg.push_back(r.path.substr(pos, end - pos));
      pos = end + 1;
    }
    const bool core = seg.size() >= 5 && seg[0] == "api" && seg[1] == "v1";
    const bool grouped = seg.size() >= 6 && seg[0] == "apis" && seg[2] == "v1";
    const std::size_t base = core ? 2 : 3;
    const KindInfo* k = (core || grouped) ? kind_of(seg[base + 2]) : nullptr;
    if (k == nullptr || seg[base] != "namespaces" || seg.size() > base + 4 || (k->group.empty() != core) ||
        (grouped && seg[1] != k->group)) {
      return {status_reply(404, "NotFound", "the server could not find the requested resource"), {}};
    }
    const std::string& ns = seg[base + 1];
    const std::string name = seg.size() == base + 4 ? seg[base + 3] : "";
    if (forbidden_.count({verb_of(r, !name.empty()), std::string(k->plural)}) != 0) return {forbidden(r, *k, ns, name), {}};
    if (namespaces_.count(ns) == 0) {
      return {status_reply(404, "NotFound", "namespaces \"" + ns + "\" not found",
                           json::object{{"name", ns}, {"kind", "namespaces"}}), {}};
    }
    advance();
    if (r.method == "GET" && name.empty()) return collection(r, *k, ns);
    if (name.empty()) return {status_reply(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"), {}};
    if (r.method == "GET") return {get(*k, ns, name), {}};
    if (r.method == "PATCH") return {apply(r, *k, ns, name), {}};
    if (r.method == "DELETE") return {remove(r, *k, ns, name), {}};
    return {status_reply(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"), {}};
  }

  Reply injected_failure() const {
    const unsigned code = fail_status_;
    if (code == 429) {
      Reply r = status_reply(429, "TooManyRequests", "Too many requests, please try again later.",
                             json::object{{"retryAfterSeconds", fail_retry_after_ ? std::atoi(fail_retry_after_->c_str()) : 1}});
      r.retry_after = fail_retry_after_;
      return r;
    }
    if (code == 409) return status_reply(409, "Conflict", "Operation cannot be fulfilled: the object has been modified");
    if (code == 503) return status_reply(503, "ServiceUnavailable", "the server is currently unable to handle the request");
    if (code >= 500) return status_reply(code, "InternalError", "Internal error occurred: etcdserver: request timed out");
    return status_reply(code, "BadRequest", "injected failure");
  }

  Reply forbidden(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name) const {
    const std::string verb = verb_of(r, !name.empty());
    const std::string who = std::string(k.plural) + (name.empty() ? "" : " \"" + name + "\"");
    return status_reply(403, "Forbidden",
                        who + " is forbidden: User \"system:serviceaccount:winston:winston\" cannot " + verb +
                            " resource \"" + std::string(k.plural) + "\" in API group \"" + std::string(k.group) +
                            "\" in the namespace \"" + ns + "\"",
                        json::object{{"name", name}, {"group", k.group}, {"kind", k.plural}});
  }

  Reply get(const KindInfo& k, const std::string& ns, const std::string& name) {
    const auto it = objects_.find(key(k.plural, ns, name));
    if (it == objects_.end()) return not_found(k, name);
    auto& s = it->second;
    if (s.terminating == 0) {
      erase(it->first);
      return not_found(k, name);
    }
    if (s.terminating > 0) --s.terminating;
    if (k.plural == "deployments" && s.terminating < 0) {
      ++s.reads;
      advance();
    }
    return object_reply(200, s.object);
  }

  /// A field selector on metadata.name / metadata.namespace; false when unsupported.
  static bool select(const std::string& selector, std::string& name, const std::string& ns, bool& ok) {
    ok = true;
    if (selector.empty()) return true;
    const auto eq = selector.find('=');
    const std::string field = selector.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : selector.substr(selector[eq + 1] == '=' ? eq + 2 : eq + 1);
    if (field == "metadata.name") name = value;
    else if (field == "metadata.namespace") return value == ns;
    else ok = false;
    return true;
  }

  Handled collection(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns) {
    std::string name;
    bool ok = true;
    const bool any = select(r.param("fieldSelector"), name, ns, ok);
    if (!ok) return {status_reply(400, "BadRequest", "field label not supported: " + r.param("fieldSelector")), {}};
    if (r.watch()) return watch(r, k, ns, any ? name : std::string("\x01"));
    json::array items;
    for (auto& [key_, s] : objects_) {
      if (!any || s.plural != k.plural || s.ns != ns || (!name.empty() && s.name != name)) continue;
      if (k.plural == "deployments") ++s.reads;
      auto item = s.object;
      item.erase("apiVersion");  // list items carry no kind or apiVersion
      item.erase("kind");
      items.push_back(std::move(item));
    }
    json::object list{{"kind", std::string(k.kind) + "List"},
                      {"apiVersion", k.api_version},
                      {"metadata", json::object{{"resourceVersion", std::to_string(rv_)}}},
                      {"items", std::move(items)}};
    return {object_reply(200, list), {}};
  }

  Handled watch(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name) {
    Watch w{std::string(k.plural), ns, name, rv_, true, std::chrono::seconds(1800), std::nullopt};
    if (const auto t = r.param("timeoutSeconds"); !t.empty()) w.timeout = std::chrono::seconds(std::atol(t.c_str()));
    const std::string rv = r.param("resourceVersion");
    if (!rv.empty() && rv != "0") {
      w.initial = false;
      w.since = std::strtoull(rv.c_str(), nullptr, 10);
      if (w.since < compacted_) {
        const std::string why = "too old resource version: " + rv + " (" + std::to_string(compacted_) + ")";
        if (behavior_.watch_expiry == WatchExpiry::kHttpGone) return {status_reply(410, "Expired", why), {}};
        const auto status = json::parse(status_reply(410, "Expired", why).body).as_object();
        w.error_event = json::object{{"type", "ERROR"}, {"object", status}};
      }
    }
    return {Reply{200, {}, std::nullopt}, std::move(w)};
  }

  /// The events a watcher has not seen yet, as JSON lines; advances `w.since`.
  std::string pending(Watch& w) {
    std::lock_guard lock(mu_);
    advance();
    std::string out;
    auto wanted = [&](std::string_view plural, std::string_view ns, std::string_view name) {
      return plural == w.plural && ns == w.ns && (w.name.empty() || name == w.name);
    };
    if (w.initial) {
      for (const auto& [k, s] : objects_) {
        if (wanted(s.plural, s.ns, s.name)) out += json::serialize(json::object{{"type", "ADDED"}, {"object", s.object}}) + "\n";
      }
      w.initial = false;
      w.since = rv_;
      return out;
    }
    for (const auto& e : events_) {
      if (e.rv <= w.since || !wanted(e.plural, e.ns, e.name)) continue;
      out += json::serialize(json::object{{"type", e.type}, {"object", e.object}}) + "\n";
    }
    w.since = rv_;
    return out;
  }

  Reply apply(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name) {
    if (r.content_type.rfind("application/merge-patch+json", 0) == 0) return merge(r, k, ns, name);
    if (r.content_type.rfind("application/apply-patch+yaml", 0) != 0) {
      return status_reply(415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media types include: "
                          "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
                          "application/strategic-merge-patch+json");
    }
    const std::string manager = r.param("fieldManager");
    if (manager.empty()) return status_reply(400, "BadRequest", "PATCH requests with apply content type must specify fieldManager");
    boost::system::error_code ec;
    auto parsed = json::parse(r.body, ec);
    if (ec || !parsed.is_object()) return status_reply(400, "BadRequest", "error decoding YAML: the fake parses JSON only");
    auto body = std::move(parsed.as_object());
    const auto* api_version = body.if_contains("apiVersion");
    const auto* kind = body.if_contains("kind");
    if (api_version == nullptr || kind == nullptr || *api_version != json::value(k.api_version) || *kind != json::value(k.kind)) {
      return status_reply(400, "BadRequest", "the API version and kind in the data do not match the URL (" +
                                                 std::string(k.api_version) + ", " + std::string(k.kind) + ")");
    }
    const auto* meta = body.if_contains("metadata");
    const auto* meta_name = meta != nullptr && meta->is_object() ? meta->as_object().if_contains("name") : nullptr;
    if (meta_name == nullptr || *meta_name != json::value(name)) {
      return status_reply(400, "BadRequest", "the name of the object does not match the name on the URL (" + name + ")");
    }
    const auto* meta_ns = meta->as_object().if_contains("namespace");
    if (meta_ns != nullptr && *meta_ns != json::value(ns)) {
      return status_reply(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
    }
    if (auto causes = validate(k, body); !causes.empty()) return invalid_reply(k, name, causes);
    if (auto refused = refuse_claim_update(k, ns, name, body)) return *refused;
    if (k.kind == "Secret") fold_string_data(body);
    return store(r, k, ns, name, std::move(body), manager);
  }

  /// A JSON merge patch of an existing object (a non-apply patch: no `force`).
  Reply merge(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name) {
    if (!r.param("force").empty()) return status_reply(400, "BadRequest", "force flag is only allowed for apply patch");
    const auto it = objects_.find(key(k.plural, ns, name));
    if (it == objects_.end()) return not_found(k, name);
    boost::system::error_code ec;
    const auto patch = json::parse(r.body, ec);
    if (ec || !patch.is_object()) return status_reply(400, "BadRequest", "error decoding the merge patch: not a JSON object");
    auto merged = merge_patch(it->second.object, patch);
    auto body = std::move(merged.as_object());
    if (auto causes = validate(k, body); !causes.empty()) return invalid_reply(k, name, causes);
    if (auto refused = refuse_claim_update(k, ns, name, body)) return *refused;
    FakeKubeRequest forced = r;
    forced.params["force"] = "true";  // an update takes the fields it sets; the manager stays the applier
    const std::string manager = it->second.manager;
    return store(forced, k, ns, name, std::move(body), manager);
  }

  /// What the API server refuses on an existing (bound) claim: any spec change
  /// but the storage request (422, from validation), a smaller request (422),
  /// and a larger one when the StorageClass cannot expand (403, from the
  /// PersistentVolumeClaimResize admission plugin).
  std::optional<Reply> refuse_claim_update(const KindInfo& k, const std::string& ns, const std::string& name,
                                           const json::object& body) const {
    if (k.kind != "PersistentVolumeClaim") return std::nullopt;
    const auto it = objects_.find(key(k.plural, ns, name));
    if (it == objects_.end()) return std::nullopt;
    const auto& old = it->second.object;
    const double was = quantity_bytes(claim_storage(old)), wants = quantity_bytes(claim_storage(body));
    auto same_but_size = body.at("spec").as_object();
    if (const auto* storage = claim_storage(old)) {
      same_but_size["resources"].as_object()["requests"].as_object()["storage"] = *storage;
    }
    if (same_but_size != old.at("spec").as_object()) {
      return invalid_reply(k, name, {{"FieldValueForbidden",
                                      "Forbidden: spec is immutable after creation except resources.requests and "
                                      "volumeAttributesClassName for bound claims",
                                      "spec"}});
    }
    if (wants < was) {
      return invalid_reply(k, name, {{"FieldValueForbidden", "Forbidden: field can not be less than previous value",
                                      "spec.resources.requests.storage"}});
    }
    if (wants > was && !behavior_.volume_expansion) {
      return status_reply(403, "Forbidden",
                          "persistentvolumeclaims \"" + name + "\" is forbidden: only dynamically provisioned pvc can "
                          "be resized and the storageclass that provisions the pvc must support resize",
                          json::object{{"name", name}, {"kind", "persistentvolumeclaims"}});
    }
    return std::nullopt;
  }

  static void fold_string_data(json::object& secret) {
    const auto* sd = secret.if_contains("stringData");
    if (sd == nullptr || !sd->is_object()) return;
    auto& data = secret["data"].is_object() ? secret["data"].as_object() : secret["data"].emplace_object();
    for (const auto& [key, value] : sd->as_object()) data[key] = base64(value.is_string() ? value.as_string() : "");
    secret.erase("stringData");
  }

  Reply store(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name,
              json::object body, const std::string& manager) {
    const std::string id = key(k.plural, ns, name);
    auto it = objects_.find(id);
    auto& meta = body["metadata"].as_object();
    meta["namespace"] = ns;
    if (it == objects_.end()) {
      meta["uid"] = "00000000-0000-4000-8000-" + std::to_string(100000000000 + ++uid_);
      meta["creationTimestamp"] = kTimestamp;
      meta["generation"] = 1;
      meta["managedFields"] = json::array{json::object{{"manager", manager}, {"operation", "Apply"}, {"apiVersion", k.api_version}}};
      Stored s{std::move(body), std::string(k.plural), ns, name, manager, Clock::now(), 0, -1, {}};
      auto& stored = objects_.emplace(id, std::move(s)).first->second;
      if (k.kind == "Deployment") stored.templates.insert(template_of(stored.object));
      changed(stored, "ADDED");
      return object_reply(201, stored.object);
    }
    auto& s = it->second;
    if (s.manager != manager && r.param("force") != "true") {
      const std::string field = k.kind == "Deployment" ? ".spec.replicas" : ".metadata.labels";
      return status_reply(409, "Conflict", "Apply failed with 1 conflict: conflict with \"" + s.manager + "\": " + field,
                          json::object{{"name", name}, {"group", k.group}, {"kind", k.plural},
                                       {"causes", json::array{json::object{{"reason", "FieldManagerConflict"},
                                                                           {"message", "conflict with \"" + s.manager + "\""},
                                                                           {"field", field}}}}});
    }
    if (strip_server_fields(s.object) == strip_server_fields(body) && s.manager == manager) return object_reply(200, s.object);
    const auto& old_meta = s.object.at("metadata").as_object();
    std::int64_t generation = old_meta.at("generation").as_int64();
    if (without_metadata(s.object) != without_metadata(body)) {
      ++generation;
      s.changed_at = Clock::now();
      s.reads = 0;
    }
    for (const char* f : {"uid", "creationTimestamp"}) meta[f] = old_meta.at(f);
    meta["generation"] = generation;
    meta["managedFields"] = json::array{json::object{{"manager", manager}, {"operation", "Apply"}, {"apiVersion", k.api_version}}};
    if (const auto* status = s.object.if_contains("status")) body["status"] = *status;
    s.object = std::move(body);
    s.manager = manager;
    if (k.kind == "Deployment") s.templates.insert(template_of(s.object));
    changed(s, "MODIFIED");
    return object_reply(200, s.object);
  }

  Reply remove(const FakeKubeRequest& r, const KindInfo& k, const std::string& ns, const std::string& name) {
    const std::string policy = r.param("propagationPolicy");
    if (!policy.empty() && policy != "Foreground" && policy != "Background" && policy != "Orphan") {
      return status_reply(400, "BadRequest", "propagationPolicy: Unsupported value: \"" + policy + "\"");
    }
    const std::string id = key(k.plural, ns, name);
    auto it = objects_.find(id);
    if (it == objects_.end()) return not_found(k, name);
    auto& s = it->second;
    if (s.terminating >= 0) return object_reply(200, s.object);
    if (behavior_.terminating_reads > 0) {
      s.terminating = behavior_.terminating_reads;
      auto& meta = s.object["metadata"].as_object();
      meta["deletionTimestamp"] = kTimestamp;
      if (policy == "Foreground") meta["finalizers"] = json::array{"foregroundDeletion"};
      changed(s, "MODIFIED");
      return object_reply(200, s.object);
    }
    auto last = s.object;
    erase(id);
    return object_reply(200, last);
  }

  // ---- I/O ---------------------------------------------------------------------

  net::awaitable<bool> write_chunk(beast::tcp_stream& s, const std::string& text) {
    if (text.empty()) co_return true;
    s.expires_after(kIoTimeout);
    auto [ec, n] = co_await net::async_write(s, http::make_chunk(net::const_buffer(text.data(), text.size())), kTuple);
    co_return !ec;
  }

  net::awaitable<void> stream_watch(beast::tcp_stream& s, Watch w, unsigned version) {
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-cache, private");
    res.keep_alive(false);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    s.expires_after(kIoTimeout);
    auto [hec, hn] = co_await http::async_write_header(s, sr, kTuple);
    if (hec) co_return;
    if (w.error_event) {
      if (!co_await write_chunk(s, json::serialize(*w.error_event) + "\n")) co_return;
    } else {
      const auto deadline = Clock::now() + w.timeout;
      while (true) {
        if (!co_await write_chunk(s, pending(w))) co_return;
        if (Clock::now() >= deadline || !co_await loop_.pause(kWatchPoll)) break;
      }
    }
    if (loop_.stopping()) co_return;
    s.expires_after(kIoTimeout);
    const auto last = co_await net::async_write(s, http::make_chunk_last(), kTuple);
    (void)last;  // the client may have gone; the connection closes either way
  }

  net::awaitable<bool> respond(beast::tcp_stream& s, const Reply& r, bool keep_alive, unsigned version) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::content_type, "application/json");
    if (r.retry_after) res.set(http::field::retry_after, *r.retry_after);
    res.set("Audit-Id", "fake-audit-id");
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    s.expires_after(kIoTimeout);
    auto [ec, n] = co_await http::async_write(s, res, kTuple);
    co_return !ec && keep_alive;
  }

  static FakeKubeRequest parse(const http::request<http::string_body>& req) {
    FakeKubeRequest r;
    r.method = std::string(req.method_string());
    const std::string target(req.target());
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    if (auto u = boost::urls::parse_origin_form(target)) {
      for (const auto& p : u->params()) r.params[p.key] = p.value;
    }
    r.content_type = std::string(req[http::field::content_type]);
    r.authorization = std::string(req[http::field::authorization]);
    r.body = req.body();
    return r;
  }

  net::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream s(std::move(socket));
    FakeServerLoop::TrackedStream tracked(loop_, s);
    try {
      beast::flat_buffer buffer;
      while (!loop_.stopping()) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        s.expires_after(std::chrono::seconds(60));
        auto [ec, n] = co_await http::async_read(s, buffer, parser, kTuple);
        if (ec) break;
        const auto& req = parser.get();
        auto handled = handle(parse(req));
        if (handled.watch) {
          co_await stream_watch(s, std::move(*handled.watch), req.version());
          break;
        }
        if (!co_await respond(s, handled.reply, req.keep_alive() && !loop_.stopping(), req.version())) break;
      }
    } catch (const std::exception&) {
      // A bug in the fake: drop the connection rather than the process.
    }
  }

  // Last: serves the state above and stops before it is destroyed.
  FakeServerLoop loop_{"127.0.0.1", [this](tcp::socket socket) { return session(std::move(socket)); }};
};

FakeKubernetes::FakeKubernetes(std::string token) : impl_(std::make_unique<Impl>(std::move(token))) {}

FakeKubernetes::~FakeKubernetes() = default;

std::string FakeKubernetes::url() const { return "http://127.0.0.1:" + std::to_string(impl_->loop_.port()); }

const std::string& FakeKubernetes::token() const { return impl_->token_; }

void FakeKubernetes::set_behavior(FakeKubernetesBehavior b) {
  std::lock_guard lock(impl_->mu_);
  impl_->behavior_ = b;
}

void FakeKubernetes::fail_next(int n, unsigned status, std::optional<std::string> retry_after) {
  std::lock_guard lock(impl_->mu_);
  impl_->fail_left_ = n;
  impl_->fail_status_ = status;
  impl_->fail_retry_after_ = std::move(retry_after);
}

void FakeKubernetes::forbid(std::string verb, std::string plural) {
  std::lock_guard lock(impl_->mu_);
  impl_->forbidden_.emplace(std::move(verb), std::move(plural));
}

void FakeKubernetes::compact() {
  std::lock_guard lock(impl_->mu_);
  impl_->events_.clear();
  impl_->compacted_ = impl_->rv_;
}

void FakeKubernetes::put(const std::string& plural, const json::object& object, const std::string& manager) {
  std::lock_guard lock(impl_->mu_);
  const auto* k = kind_of(plural);
  if (k == nullptr) return;
  const auto& meta = object.at("metadata").as_object();
  const std::string name(meta.at("name").as_string());
  const std::string ns = meta.contains("namespace") ? std::string(meta.at("namespace").as_string()) : "winston";
  FakeKubeRequest r;
  r.params["force"] = "true";
  const auto reply = impl_->store(r, *k, ns, name, object, manager);
  (void)reply;
}

std::optional<json::object> FakeKubernetes::object(const std::string& plural, const std::string& name,
                                                   const std::string& ns) const {
  std::lock_guard lock(impl_->mu_);
  const auto it = impl_->objects_.find(Impl::key(plural, ns, name));
  if (it == impl_->objects_.end()) return std::nullopt;
  return it->second.object;
}

std::size_t FakeKubernetes::replica_sets(const std::string& name, const std::string& ns) const {
  std::lock_guard lock(impl_->mu_);
  const auto it = impl_->objects_.find(Impl::key("deployments", ns, name));
  return it == impl_->objects_.end() ? 0 : it->second.templates.size();
}

std::size_t FakeKubernetes::object_count() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->objects_.size();
}

std::vector<FakeKubeRequest> FakeKubernetes::requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->requests_;
}

void FakeKubernetes::clear_requests() {
  std::lock_guard lock(impl_->mu_);
  impl_->requests_.clear();
}

}  // namespace winston::testing
