#include "cells/kubernetes_provisioner.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "cells/kubernetes_manifests.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/retry_after.hpp"
#include "core/text.hpp"
#include "http/blocking_client.hpp"

namespace winston::cells {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kFieldManager = "winston";
constexpr std::chrono::seconds kDefaultRetryAfter{10};
// A throttled cell waits at most this long: a longer hint would park its
// reconcile past what an operator would wait for.
constexpr std::chrono::seconds kMaxRetryAfter{600};
constexpr std::chrono::milliseconds kSettleRecheck{2'000};  // stopping / deleting: pods take seconds to go
constexpr int kMaxWatchesPerPass = 5;
constexpr std::size_t kMaxWatchLine = 4 * 1024 * 1024;

// ---- small helpers ----------------------------------------------------------

const json::object* child(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

std::int64_t int_at(const json::object* o, std::string_view key, std::int64_t fallback = 0) {
  if (o == nullptr) return fallback;
  const auto* v = o->if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return fallback;
}

std::string string_at(const json::object* o, std::string_view key) {
  if (o == nullptr) return {};
  const auto* v = o->if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.pop_back();
  return text;
}

/// The Status object of an error answer, as one readable line: "reason: message (field: why; …)".
struct ApiStatus {
  std::string text;
  std::string field;  // the first cause's field
};

ApiStatus describe_status(unsigned http_status, std::string_view body) {
  const auto status = parse_object(body);
  if (!status || string_at(&*status, "kind") != "Status") {
    return {fmt::format("HTTP {} without a Kubernetes Status object", http_status), {}};
  }
  ApiStatus out;
  out.text = fmt::format("{}: {}", string_at(&*status, "reason"), string_at(&*status, "message"));
  const auto* details = child(*status, "details");
  const auto* causes = details != nullptr ? details->if_contains("causes") : nullptr;
  if (causes == nullptr || !causes->is_array()) return out;
  std::vector<std::string> parts;
  for (const auto& c : causes->as_array()) {
    if (!c.is_object()) continue;
    const std::string field = string_at(&c.as_object(), "field");
    if (out.field.empty()) out.field = field;
    parts.push_back(fmt::format("{}: {}", field.empty() ? "cause" : field, string_at(&c.as_object(), "message")));
  }
  if (!parts.empty()) out.text += fmt::format(" ({})", fmt::join(parts, "; "));
  return out;
}

std::chrono::milliseconds retry_after(const http::BlockingResponse& r) {
  const auto it = r.headers.find("Retry-After");
  if (it == r.headers.end()) return kDefaultRetryAfter;
  const auto wait = parse_retry_after(it->value(), kMaxRetryAfter);
  if (!wait || *wait < std::chrono::seconds(1)) return kDefaultRetryAfter;  // "0" would spin the reconciler
  return *wait;
}

// ---- reading a Deployment's status ----------------------------------------------

enum class Rollout { kWaiting, kDone, kFailed };

struct Judgement {
  Rollout state = Rollout::kWaiting;
  std::string message;
};

std::int64_t snapshot_of(const json::object& deployment) {
  const auto* spec = child(deployment, "spec");
  const auto* tmpl = spec != nullptr ? child(*spec, "template") : nullptr;
  const auto* meta = tmpl != nullptr ? child(*tmpl, "metadata") : nullptr;
  const auto* notes = meta != nullptr ? child(*meta, "annotations") : nullptr;
  const std::string v = string_at(notes, kSnapshotAnnotation);
  return v.empty() ? 0 : std::strtoll(v.c_str(), nullptr, 10);
}

/// The failure reason of condition Progressing, if it says the deadline passed.
std::optional<std::string> deadline_exceeded(const json::object* status) {
  const auto* conditions = status != nullptr ? status->if_contains("conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return std::nullopt;
  for (const auto& c : conditions->as_array()) {
    if (!c.is_object()) continue;
    const auto& cond = c.as_object();
    if (string_at(&cond, "type") == "Progressing" && string_at(&cond, "reason") == "ProgressDeadlineExceeded") {
      return string_at(&cond, "message");
    }
  }
  return std::nullopt;
}

/// The documented rule: the controller saw the current spec and every
/// wanted replica is updated and available. For replicas 0 "done" also
/// needs no pod left.
Judgement judge(const json::object& deployment) {
  const auto* meta = child(deployment, "metadata");
  const auto* status = child(deployment, "status");
  const std::int64_t wanted = int_at(child(deployment, "spec"), "replicas", 1);
  const std::int64_t generation = int_at(meta, "generation");
  const std::int64_t observed = int_at(status, "observedGeneration");
  const std::int64_t updated = int_at(status, "updatedReplicas");
  const std::int64_t available = int_at(status, "availableReplicas");
  const std::int64_t running = int_at(status, "replicas");
  if (meta != nullptr && meta->contains("deletionTimestamp"))
    return {Rollout::kWaiting, "the Deployment is being deleted"};
  if (observed < generation) {
    return {Rollout::kWaiting, fmt::format("waiting for the controller to observe generation {}", generation)};
  }
  if (updated == wanted && available == wanted && (wanted > 0 || running == 0)) return {Rollout::kDone, {}};
  if (auto why = deadline_exceeded(status)) return {Rollout::kFailed, *why};
  if (wanted == 0) return {Rollout::kWaiting, fmt::format("waiting for {} pod(s) to stop", running)};
  return {Rollout::kWaiting,
          fmt::format("waiting for the rollout: {} of {} updated, {} available", updated, wanted, available)};
}

// ---- one pass -------------------------------------------------------------------

/// The Deployment as a watch last showed it.
struct WatchResult {
  json::object object;
  bool deleted = false;
};
using Settled = std::function<bool(const json::object&)>;
struct WatchProgress;

/// One ensure_* call: the API client with its token, the cell's names and the
/// rate-limit state. Not shared between threads.
class Session {
 public:
  Session(const KubernetesOptions& options, const CellSpec& spec, ExternalIds& ids, Recorder& recorder)
      : o_(options), spec_(spec), ids_(ids), recorder_(recorder) {
    name_ = string_at(&ids_, "name");
    if (name_.empty()) name_ = resource_name(spec_);
    ns_ = string_at(&ids_, "namespace");
    if (ns_.empty()) ns_ = o_.namespace_;
    for (const auto& s : {spec_.gateway_token, spec_.api_key}) {
      if (!s.empty()) secrets_.push_back(s);
    }
    cell_ = kubernetes_cell(o_, spec_, name_);
  }

  Result<Observation> running();
  Result<Observation> stopped();
  Result<Observation> deleted();

  /// A rate limit ends the pass as kProgressing instead of an error.
  Result<Observation> finish(Result<Observation> r) const {
    if (r.ok() || !throttled_) return r;
    Observation wait;
    wait.message = fmt::format("the Kubernetes API is rate limiting; retrying in {} s",
                               std::chrono::duration_cast<std::chrono::seconds>(*throttled_).count());
    wait.recheck_after = *throttled_;
    wait.deployed_version = int_at(&ids_, "deployed_version");
    return wait;
  }

 private:
  Status load_token();
  std::string url(const KubernetesKind& k, bool named, std::string_view query = {}) const;
  http::BlockingOptions blocking(std::chrono::milliseconds response_timeout) const;
  Result<http::BlockingResponse> send(std::string method, std::string url, std::string body = {},
                                      std::string_view content_type = {},
                                      std::function<bool(std::string_view)> on_chunk = {});
  Result<json::object> call(std::string method, const KubernetesKind& k, bool named, std::string_view query,
                            std::string body, std::string_view what,
                            std::string_view content_type = "application/apply-patch+yaml");
  Error failure(const http::BlockingResponse& r, std::string_view what);

  Result<json::object> apply(const json::object& object, const KubernetesKind& k);
  Result<json::object> get(const KubernetesKind& k) { return call("GET", k, true, {}, {}, "reading the Deployment"); }
  Result<json::object> apply_all(const std::string& digest);
  Status ensure_claim();
  void warn_storage(const std::string& difference);
  Status resize_claim(const json::object& live);
  Result<json::object> scale(int replicas);
  std::string digest() const;
  Status remember(std::string_view key, json::value value);
  Result<WatchResult> watch(json::object current, const Settled& settled);
  Result<WatchProgress> watch_once(WatchResult& seen, std::chrono::seconds timeout, const Settled& settled);
  Result<WatchResult> relist();
  Result<Observation> observe_running(json::object deployment);

  const KubernetesOptions& o_;
  const CellSpec& spec_;
  ExternalIds& ids_;
  Recorder& recorder_;
  std::string name_, ns_, token_;
  KubernetesCell cell_;               // what the objects are made of
  std::vector<std::string> secrets_;  // scrubbed from every message
  std::optional<std::chrono::milliseconds> throttled_;
};

Status Session::load_token() {
  token_ = o_.token;
  if (!o_.token_file.empty()) token_ = read_file(o_.token_file);
  if (token_.empty()) return Error::unavailable("no Kubernetes API token (token or token_file)");
  secrets_.push_back(token_);
  return {};
}

std::string Session::url(const KubernetesKind& k, bool named, std::string_view query) const {
  std::string out = fmt::format("{}{}/namespaces/{}/{}", o_.api_url, k.prefix, ns_, k.plural);
  if (named) out += "/" + name_;
  if (!query.empty()) out += fmt::format("?{}", query);
  return out;
}

http::BlockingOptions Session::blocking(std::chrono::milliseconds response_timeout) const {
  http::BlockingOptions b;
  b.connect_timeout = std::min<std::chrono::milliseconds>(o_.timeout, 10s);
  b.response_timeout = response_timeout;
  b.ca_file = o_.ca_file;
  return b;
}

Result<http::BlockingResponse> Session::send(std::string method, std::string url, std::string body,
                                             std::string_view content_type,
                                             std::function<bool(std::string_view)> on_chunk) {
  http::BlockingRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::string(content_type));
  req.body = std::move(body);
  // A watch is quiet until something changes: the server ends it at timeoutSeconds.
  auto options = blocking(on_chunk ? o_.timeout + o_.watch_timeout : o_.timeout);
  options.on_chunk = std::move(on_chunk);
  auto reply = http::blocking_call(req, options);
  if (!reply.ok()) return Error{reply.error().code, "Kubernetes API: " + redact(reply.error().message, secrets_), {}};
  return reply;
}

Error Session::failure(const http::BlockingResponse& r, std::string_view what) {
  const auto status = describe_status(r.status, r.body);
  const std::string detail = redact(fmt::format("{} {}/{}: {}", what, ns_, name_, status.text), secrets_);
  if (r.status == 429) {
    throttled_ = retry_after(r);
    return Error::unavailable("rate limited: " + detail);
  }
  if (r.status == 401) {
    return {ErrorCode::kUnauthenticated,
            "Kubernetes API rejected the service account token (check the token and its RBAC binding): " + detail,
            {}};
  }
  if (r.status == 403) {
    return {ErrorCode::kForbidden,
            fmt::format("Kubernetes RBAC forbids it: {}; the service account needs get, list, watch, patch and "
                        "delete on deployments, services, secrets and persistentvolumeclaims in namespace {}",
                        detail, ns_),
            {}};
  }
  if (r.status == 404) return Error::not_found(detail);
  if (r.status == 409) return Error::conflict(detail);
  if (r.status == 400 || r.status == 415 || r.status == 422) {
    return Error::invalid(status.field.empty() ? "kubernetes" : status.field,
                          "Kubernetes rejected the object: " + detail);
  }
  return Error::unavailable(fmt::format("Kubernetes API answered {}: {}", r.status, detail));
}

Result<json::object> Session::call(std::string method, const KubernetesKind& k, bool named, std::string_view query,
                                   std::string body, std::string_view what, std::string_view content_type) {
  const bool patch = method == "PATCH";
  WINSTON_TRY_ASSIGN(auto reply,
                     send(std::move(method), url(k, named, query), std::move(body), patch ? content_type : ""));
  if (reply.status < 200 || reply.status > 299) return failure(reply, what);
  auto object = parse_object(reply.body);
  if (!object)
    return Error::unavailable(
        fmt::format("{}: the Kubernetes API answered {} with a body that is not "
                    "a JSON object",
                    what, reply.status));
  return std::move(*object);
}

Result<json::object> Session::apply(const json::object& object, const KubernetesKind& k) {
  return call("PATCH", k, true, fmt::format("fieldManager={}&force=true", kFieldManager), json::serialize(object),
              fmt::format("applying the {}", k.kind));
}

Status Session::remember(std::string_view key, json::value value) {
  if (const auto* old = ids_.if_contains(key); old != nullptr && *old == value) return {};
  ids_[key] = std::move(value);
  return recorder_.save(ids_);
}

/// Secret, volume and Service first, so the new pod finds them; the Deployment last.
Result<json::object> Session::apply_all(const std::string& digest) {
  // The names are fixed, so these two ids are enough to find every object after a crash.
  if (string_at(&ids_, "namespace") != ns_ || string_at(&ids_, "name") != name_) {
    ids_["namespace"] = ns_;
    ids_["name"] = name_;
    WINSTON_TRY(recorder_.save(ids_));
  }
  recorder_.note("apply", fmt::format("applying snapshot v{} to {}/{}", spec_.snapshot_version, ns_, name_));
  WINSTON_TRY(apply(secret_manifest(cell_), kSecretKind));
  WINSTON_TRY(ensure_claim());
  WINSTON_TRY(apply(service_manifest(cell_), kServiceKind));
  WINSTON_TRY_ASSIGN(auto deployment, apply(deployment_manifest(cell_), kDeploymentKind));
  const auto* meta = child(deployment, "metadata");
  ids_["generation"] = int_at(meta, "generation");
  ids_["resource_version"] = string_at(meta, "resourceVersion");
  ids_["replicas"] = 1;
  ids_["applied_version"] = spec_.snapshot_version;
  ids_["applied_digest"] = digest;
  WINSTON_TRY(recorder_.save(ids_));
  return deployment;
}

/// The claim is created once. Kubernetes fixes its StorageClass afterwards and
/// lets its size only grow, and only where the class expands; so an existing
/// claim is never re-applied whole: a changed size is tried as a resize, a
/// changed class or a refused resize is reported, and the cell's other
/// objects are applied either way.
Status Session::ensure_claim() {
  auto live = call("GET", kClaimKind, true, {}, {}, "reading the PersistentVolumeClaim");
  if (!live.ok() && live.error().code != ErrorCode::kNotFound) return std::move(live).error();
  if (!live.ok()) {
    WINSTON_TRY(apply(claim_manifest(cell_), kClaimKind));
    return {};
  }
  const std::string live_class = string_at(child(*live, "spec"), "storageClassName");
  if (!o_.storage_class.empty() && o_.storage_class != live_class) {
    warn_storage(fmt::format("storage_class {} -> {}", live_class.empty() ? "(none)" : live_class, o_.storage_class));
  }
  return resize_claim(*live);
}

/// Applies the new size over the live class; a refusal (422 shrink or
/// immutable, 403 from the resize admission plugin) is reported, not failed.
Status Session::resize_claim(const json::object& live) {
  const auto* spec = child(live, "spec");
  const auto* resources = spec != nullptr ? child(*spec, "resources") : nullptr;
  const std::string live_size = string_at(resources != nullptr ? child(*resources, "requests") : nullptr, "storage");
  if (live_size == o_.storage_size) return {};
  auto resized = claim_manifest(cell_);
  auto& claim = resized["spec"].as_object();
  claim.erase("storageClassName");
  if (const std::string cls = string_at(spec, "storageClassName"); !cls.empty()) claim["storageClassName"] = cls;
  WINSTON_TRY_ASSIGN(auto reply,
                     send("PATCH", url(kClaimKind, true, fmt::format("fieldManager={}&force=true", kFieldManager)),
                          json::serialize(resized), "application/apply-patch+yaml"));
  if (reply.status == 403 || reply.status == 422) {
    warn_storage(fmt::format("storage_size {} -> {} ({})", live_size, o_.storage_size,
                             redact(describe_status(reply.status, reply.body).text, secrets_)));
    return {};
  }
  if (reply.status < 200 || reply.status > 299) return failure(reply, "resizing the PersistentVolumeClaim");
  recorder_.note("storage", fmt::format("resized claim {}/{} from {} to {}", ns_, name_, live_size, o_.storage_size));
  return {};
}

void Session::warn_storage(const std::string& difference) {
  const std::string message = fmt::format(
      "storage settings can't change on an existing claim: {} on {}/{} (delete and re-provision the "
      "cell to change them); the cell's other updates are applied",
      difference, ns_, name_);
  recorder_.note("warning", message);
  log::warn("cells.storage_unchanged",
            {{"instance_id", spec_.instance_id}, {"claim", ns_ + "/" + name_}, {"message", message}});
}

/// Changes only spec.replicas (a merge patch), so the pod template, and with
/// it the ReplicaSet, stays as it is.
Result<json::object> Session::scale(int replicas) {
  const json::object patch{{"spec", json::object{{"replicas", replicas}}}};
  return call("PATCH", kDeploymentKind, true, fmt::format("fieldManager={}", kFieldManager), json::serialize(patch),
              fmt::format("scaling the Deployment to {}", replicas), "application/merge-patch+json");
}

/// Where one watch request ended: still waiting, settled, or expired (410).
struct WatchProgress {
  bool settled = false;
  bool gone = false;
  std::optional<Error> broken;
};

/// Takes one watch event; false when reading should stop.
bool take_event(std::string_view line, WatchResult& seen, const Settled& settled, WatchProgress& progress) {
  auto event = parse_object(line);
  const auto* object = event ? child(*event, "object") : nullptr;
  if (!event || object == nullptr) {
    progress.broken = Error::unavailable("watching the Deployment: an event that is not a JSON object");
    return false;
  }
  const std::string type = string_at(&*event, "type");
  if (type == "ERROR") {
    progress.gone = int_at(object, "code") == 410;
    if (!progress.gone) {
      progress.broken =
          Error::unavailable("watching the Deployment: " + describe_status(0, json::serialize(*object)).text);
    }
    return false;
  }
  if (type == "DELETED") seen.deleted = true;
  if (type == "ADDED" || type == "MODIFIED") seen.object = *object;
  progress.settled = seen.deleted || settled(seen.object);
  return !progress.settled;
}

Result<WatchProgress> Session::watch_once(WatchResult& seen, std::chrono::seconds timeout, const Settled& settled) {
  const std::string query =
      fmt::format("watch=1&fieldSelector=metadata.name%3D{}&resourceVersion={}&timeoutSeconds={}", name_,
                  string_at(child(seen.object, "metadata"), "resourceVersion"), timeout.count());
  WatchProgress progress;
  std::string line, raw;  // raw: the start of the body, in case the answer is an error
  auto on_chunk = [&](std::string_view piece) {
    if (raw.size() < 64 * 1024) raw.append(piece.substr(0, 64 * 1024 - raw.size()));
    line.append(piece);
    for (auto eol = line.find('\n'); eol != std::string::npos; eol = line.find('\n')) {
      const std::string text = line.substr(0, eol);
      line.erase(0, eol + 1);
      if (!text.empty() && !take_event(text, seen, settled, progress)) return false;
    }
    return line.size() <= kMaxWatchLine;
  };
  WINSTON_TRY_ASSIGN(auto reply, send("GET", url(kDeploymentKind, false, query), {}, {}, on_chunk));
  if (reply.status == 410) progress.gone = true;
  if (reply.status != 200 && reply.status != 410) {
    reply.body = std::move(raw);
    return failure(reply, "watching the Deployment");
  }
  if (progress.broken) return *progress.broken;
  return progress;
}

/// After a 410 Gone: list by name to get the object and a fresh resourceVersion.
Result<WatchResult> Session::relist() {
  const std::string query = fmt::format("fieldSelector=metadata.name%3D{}", name_);
  WINSTON_TRY_ASSIGN(auto list, call("GET", kDeploymentKind, false, query, {}, "listing the Deployment"));
  WatchResult out;
  const auto* items = list.if_contains("items");
  if (items == nullptr || !items->is_array() || items->as_array().empty() || !items->as_array()[0].is_object()) {
    out.deleted = true;
    return out;
  }
  out.object = items->as_array()[0].as_object();
  // Watch on from the list's version, which covers every object listed.
  out.object["metadata"].as_object()["resourceVersion"] = string_at(child(list, "metadata"), "resourceVersion");
  recorder_.note("watch", "the watch expired (410 Gone); listed the Deployment again");
  return out;
}

/// Follows the Deployment until `settled` holds, it is deleted, or watch_timeout passes.
Result<WatchResult> Session::watch(json::object current, const Settled& settled) {
  const auto deadline = std::chrono::steady_clock::now() + o_.watch_timeout;
  WatchResult seen{std::move(current), false};
  for (int i = 0; i < kMaxWatchesPerPass; ++i) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0s) break;
    WINSTON_TRY_ASSIGN(const auto progress, watch_once(seen, left, settled));
    if (progress.settled) break;
    if (progress.gone) {
      WINSTON_TRY_ASSIGN(seen, relist());
      if (seen.deleted || settled(seen.object)) break;
    }
  }
  return seen;
}

Result<Observation> Session::observe_running(json::object deployment) {
  auto settled = [](const json::object& d) { return judge(d).state != Rollout::kWaiting; };
  if (!settled(deployment)) {
    WINSTON_TRY_ASSIGN(auto seen, watch(std::move(deployment), settled));
    if (seen.deleted) {
      ids_.erase("applied_version");
      WINSTON_TRY(recorder_.save(ids_));
      return Observation{Phase::kProgressing,
                         {},
                         int_at(&ids_, "deployed_version"),
                         "the Deployment was deleted; applying it again",
                         0ms};
    }
    deployment = std::move(seen.object);
  }
  ids_["resource_version"] = string_at(child(deployment, "metadata"), "resourceVersion");
  const auto verdict = judge(deployment);
  const std::int64_t running = snapshot_of(deployment);
  Observation out{Phase::kProgressing, {}, int_at(&ids_, "deployed_version"), verdict.message, 0ms};
  if (verdict.state == Rollout::kFailed) {
    out.phase = Phase::kFailed;
    out.message = fmt::format("deployment {}/{} did not become ready: {}", ns_, name_, verdict.message);
    recorder_.note("failed", out.message);
  } else if (verdict.state == Rollout::kDone && running == spec_.snapshot_version) {
    if (int_at(&ids_, "deployed_version") != running)
      recorder_.note("ready", fmt::format("snapshot v{} is ready", running));
    WINSTON_TRY(remember("deployed_version", json::value(running)));
    out = Observation{Phase::kReady, fmt::format("http://{}.{}.svc:{}", name_, ns_, kGatewayPort), running, {}, 0ms};
  } else if (verdict.state == Rollout::kDone) {
    out.message = fmt::format("the Deployment runs snapshot v{}, not v{}", running, spec_.snapshot_version);
  }
  return out;
}

/// What the non-secret objects look like: a changed image, size or limit
/// (a Winston upgrade) is applied even when the snapshot stays the same.
std::string Session::digest() const {
  const std::string text = json::serialize(claim_manifest(cell_)) + json::serialize(service_manifest(cell_)) +
                           json::serialize(deployment_manifest(cell_));
  return sha256_hex(text).substr(0, 16);
}

Result<Observation> Session::running() {
  WINSTON_TRY(load_token());
  const std::string wanted = digest();
  const bool current = int_at(&ids_, "applied_version", -1) == spec_.snapshot_version &&
                       int_at(&ids_, "replicas", -1) == 1 && string_at(&ids_, "applied_digest") == wanted;
  if (!current) {
    WINSTON_TRY_ASSIGN(auto applied, apply_all(wanted));
    return observe_running(std::move(applied));
  }
  auto live = get(kDeploymentKind);
  if (!live.ok() && live.error().code != ErrorCode::kNotFound) return std::move(live).error();
  // Missing, or changed behind winston's back (scaled, another snapshot): apply again.
  const bool drifted =
      !live.ok() || int_at(child(*live, "spec"), "replicas", 1) != 1 || snapshot_of(*live) != spec_.snapshot_version;
  if (drifted) {
    recorder_.note("apply", "the Deployment is missing or was changed; applying it again");
    WINSTON_TRY_ASSIGN(auto applied, apply_all(wanted));
    return observe_running(std::move(applied));
  }
  return observe_running(std::move(live).value());
}

Result<Observation> Session::stopped() {
  WINSTON_TRY(load_token());
  auto live = get(kDeploymentKind);
  if (!live.ok() && live.error().code != ErrorCode::kNotFound) return std::move(live).error();
  Observation out{Phase::kStopped, {}, int_at(&ids_, "deployed_version"), "nothing runs", 0ms};
  if (!live.ok()) return out;  // never deployed (or deleted): nothing runs
  json::object deployment = std::move(live).value();
  if (int_at(child(deployment, "spec"), "replicas", 1) != 0) {
    recorder_.note("stop", fmt::format("scaling {}/{} to 0", ns_, name_));
    WINSTON_TRY_ASSIGN(deployment, scale(0));
    ids_["replicas"] = 0;
    ids_["generation"] = int_at(child(deployment, "metadata"), "generation");
    WINSTON_TRY(recorder_.save(ids_));
  }
  auto settled = [](const json::object& d) { return judge(d).state == Rollout::kDone; };
  if (!settled(deployment)) {
    WINSTON_TRY_ASSIGN(auto seen, watch(std::move(deployment), settled));
    if (seen.deleted) return out;
    deployment = std::move(seen.object);
  }
  if (settled(deployment)) return out;
  return Observation{Phase::kProgressing, {}, out.deployed_version, judge(deployment).message, kSettleRecheck};
}

Result<Observation> Session::deleted() {
  WINSTON_TRY(load_token());
  std::vector<std::string> left;
  for (const KubernetesKind* k : {&kDeploymentKind, &kServiceKind, &kSecretKind, &kClaimKind}) {
    const std::string what = fmt::format("deleting the {}", k->kind);
    auto gone = call("DELETE", *k, true, "propagationPolicy=Foreground", {}, what);
    if (gone.ok()) gone = call("GET", *k, true, {}, {}, fmt::format("reading the {}", k->kind));
    if (gone.ok())
      left.emplace_back(k->kind);  // still there: finalizers are running
    else if (gone.error().code != ErrorCode::kNotFound)
      return std::move(gone).error();
  }
  if (!left.empty()) {
    return Observation{
        Phase::kProgressing, {}, 0, fmt::format("waiting for {} to be deleted", fmt::join(left, ", ")), kSettleRecheck};
  }
  if (!ids_.empty()) {
    recorder_.note("deleted", fmt::format("deleted {}/{}", ns_, name_));
    ids_.clear();
    WINSTON_TRY(recorder_.save(ids_));
  }
  return Observation{Phase::kGone, {}, 0, {}, 0ms};
}

}  // namespace

/// The objects' input. The namespace in their metadata is the configured one
/// even when the ids remember another (ns_, used in the URLs).
KubernetesCell kubernetes_cell(const KubernetesOptions& o, const CellSpec& spec, const std::string& name) {
  return KubernetesCell{.name = name,
                        .namespace_ = o.namespace_,
                        .tenant_id = spec.tenant_id,
                        .snapshot_version = spec.snapshot_version,
                        .environment = remote_cell_environment(spec),
                        .command = bootstrap_command(),
                        .image = o.image,
                        .storage_size = o.storage_size,
                        .storage_class = o.storage_class,
                        .cpu_request = o.cpu_request,
                        .cpu_limit = o.cpu_limit,
                        .memory_request = o.memory_request,
                        .memory_limit = o.memory_limit};
}

Result<KubernetesOptions> KubernetesOptions::in_cluster(const std::filesystem::path& service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0') {
    return Error::unavailable("not running in a Kubernetes cluster: KUBERNETES_SERVICE_HOST is not set");
  }
  KubernetesOptions o;
  const std::string h = host;
  const bool v6 = h.find(':') != std::string::npos;
  o.api_url = fmt::format("https://{}:{}", v6 ? "[" + h + "]" : h, port != nullptr && *port != '\0' ? port : "443");
  o.token_file = (service_account_dir / "token").string();
  o.token = read_file(o.token_file);
  if (o.token.empty()) return Error::unavailable("cannot read the service account token " + o.token_file);
  const auto ca = service_account_dir / "ca.crt";
  if (!std::filesystem::exists(ca)) return Error::unavailable("cannot find the cluster CA " + ca.string());
  o.ca_file = ca.string();
  const std::string ns = read_file(service_account_dir / "namespace");
  if (!ns.empty()) o.namespace_ = ns;
  return o;
}

KubernetesProvisioner::KubernetesProvisioner(KubernetesOptions options) : options_(std::move(options)) {
  while (!options_.api_url.empty() && options_.api_url.back() == '/') options_.api_url.pop_back();
}

Result<Observation> KubernetesProvisioner::ensure_running(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Session session(options_, spec, ids, recorder);
  return session.finish(session.running());
}

Result<Observation> KubernetesProvisioner::ensure_stopped(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Session session(options_, spec, ids, recorder);
  return session.finish(session.stopped());
}

Result<Observation> KubernetesProvisioner::ensure_deleted(const CellSpec& spec, ExternalIds& ids, Recorder& recorder) {
  Session session(options_, spec, ids, recorder);
  return session.finish(session.deleted());
}

}  // namespace winston::cells
