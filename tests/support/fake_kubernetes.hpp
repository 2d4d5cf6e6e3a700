#pragma once
// An in-process fake Kubernetes API server for the Kubernetes cell
// provisioner's tests, speaking the documented wire format over plain HTTP on
// 127.0.0.1:<free port>, one coroutine per connection on its own I/O thread.
//
// Resources (namespaced; namespaces "default" and "winston" exist, others 404):
//   /api/v1/namespaces/NS/{secrets,services,persistentvolumeclaims,configmaps}[/NAME]
//   /apis/apps/v1/namespaces/NS/deployments[/NAME]
// Verbs
//   every request needs `Authorization: Bearer <token>` (else 401 Status Unauthorized)
//   PATCH NAME   server-side apply only: Content-Type application/apply-patch+yaml
//                (else 415), a `fieldManager` (else 400), a JSON object body
//                (YAML beyond JSON is not parsed: 400) whose apiVersion, kind,
//                metadata.name (and metadata.namespace, if set) match the URL
//                (else 400), no unknown top-level field and a valid spec (else
//                422 Invalid with details.causes). Applying over fields another
//                manager owns without force=true is 409 Conflict. Creates or
//                replaces the object; a changed spec bumps metadata.generation;
//                any change bumps resourceVersion, a no-op apply changes nothing.
//   PATCH NAME   with application/merge-patch+json: a JSON merge patch of an
//                existing object (404 when missing, 400 with `force`), validated
//                the same way.
//   PersistentVolumeClaims behave as bound: on an existing claim any spec
//                change but spec.resources.requests.storage is 422 Invalid
//                (field "spec", immutable), a smaller request 422 ("field can
//                not be less than previous value"), a larger one 403 Forbidden
//                unless `volume_expansion` (the resize admission plugin).
//   GET NAME     the object, or 404 NotFound.
//   GET          a list ({kind}List, metadata.resourceVersion); fieldSelector
//                metadata.name=X or metadata.namespace=X (others 400).
//   GET ?watch=1 (or true) JSON lines {"type","object"}, chunked: with no
//                resourceVersion (or "0") one ADDED per current object, then
//                every change after; with one, every change after it. Ends at
//                timeoutSeconds. A resourceVersion older than the last
//                compact() is answered per `watch_expiry`.
//   DELETE NAME  404 NotFound when missing; else 200 with the object, which
//                disappears (DELETED event) at once, or after
//                `terminating_reads` GETs during which it carries
//                metadata.deletionTimestamp (Foreground adds the
//                foregroundDeletion finalizer). Unknown propagationPolicy: 400.
// Deployment status is simulated: after a spec change the controller observes
// it at the next request (status.observedGeneration, updatedReplicas,
// Progressing/ReplicaSetUpdated) and its pods become available after
// `ready_after` or `ready_after_reads` GETs of it, whichever comes first
// (MODIFIED events for watchers). Replicas 0 stops at once.
// Errors are Status objects {"kind":"Status","apiVersion":"v1","metadata":{},
// "status":"Failure","message","reason","details"?,"code"}.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winston::testing {

/// How a watch from a too-old resourceVersion ends: a real API server answers
/// 200 and one ERROR event carrying a 410 Expired Status; some proxies and
/// older servers answer HTTP 410 Gone.
enum class WatchExpiry { kErrorEvent, kHttpGone };

struct FakeKubernetesBehavior {
  std::chrono::milliseconds ready_after{150};  // after a spec change, until the pods are available
  int ready_after_reads = -1;                  // or after this many GETs/lists of the Deployment (-1: off)
  bool never_ready = false;                    // pods never become available, the deadline never passes
  bool progress_deadline_exceeded = false;     // the rollout fails: Progressing False ProgressDeadlineExceeded
  int terminating_reads = 0;                   // a deleted object is still seen by this many GETs
  WatchExpiry watch_expiry = WatchExpiry::kErrorEvent;
  bool volume_expansion = false;               // the claims' StorageClass has allowVolumeExpansion
};

struct FakeKubeRequest {
  std::string method;
  std::string path;                           // without the query
  std::string query;                          // raw, as sent
  std::map<std::string, std::string> params;  // the query, percent-decoded
  std::string content_type;
  std::string authorization;
  std::string body;
  bool watch() const;
  std::string param(const std::string& name) const;
};

class FakeKubernetes {
 public:
  explicit FakeKubernetes(std::string token = "fake-kube-token");
  ~FakeKubernetes();  // stops open watches, joins
  FakeKubernetes(const FakeKubernetes&) = delete;
  FakeKubernetes& operator=(const FakeKubernetes&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT"
  const std::string& token() const;

  /// Thread-safe; applies from the next request.
  void set_behavior(FakeKubernetesBehavior b);
  /// The next `n` requests (any) answer `status` with a Status body
  /// (429 TooManyRequests with `retry_after`, 500 InternalError, …).
  void fail_next(int n, unsigned status, std::optional<std::string> retry_after = std::nullopt);
  /// 403 Forbidden (RBAC) for `verb` ("patch", "get", "list", "watch", "delete") on `plural`.
  void forbid(std::string verb, std::string plural);
  /// Forgets the event history: watches from an older resourceVersion expire.
  void compact();
  /// Stores an object as if another field manager had applied it.
  void put(const std::string& plural, const boost::json::object& object, const std::string& manager);

  /// The stored object, if any (namespace "winston" unless given).
  std::optional<boost::json::object> object(const std::string& plural, const std::string& name,
                                            const std::string& ns = "winston") const;
  std::size_t object_count() const;
  /// How many pod templates the Deployment has had (each one a ReplicaSet in a real cluster).
  std::size_t replica_sets(const std::string& name, const std::string& ns = "winston") const;
  std::vector<FakeKubeRequest> requests() const;
  void clear_requests();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winston::testing
