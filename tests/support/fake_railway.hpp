#pragma once
// An in-process fake of Railway's public GraphQL API
// (POST /graphql/v2 on 127.0.0.1:<free port>) for the Railway cell
// provisioner's tests.
//
// Each request's `query` is parsed and validated the way Railway validates
// it, against types copied from Railway's published schema
// (tests/support/fake_railway_graphql.*): unknown types, fields, arguments and
// input fields are refused, literals and variables are type-checked (enums
// strictly, variables in every position including inside input objects), and
// the answer holds exactly the selected fields, fragments spread in. Errors
// come back as HTTP 200 with `errors[]` (`message`, `path`,
// `extensions.code`), as Railway answers; a missing or wrong token gets
// {"data":null,"errors":[{"message":"Not Authorized",…}]}.
//
// Operations: Query.project(id){services,volumes}, environment(id)
// {volumeInstances}, deployment(id), deployments(input, first…),
// serviceInstance(environmentId, serviceId), domains(projectId,
// environmentId, serviceId), variables(…); Mutation.serviceCreate,
// serviceInstanceUpdate, variableCollectionUpsert, volumeCreate, volumeDelete,
// serviceDomainCreate, serviceInstanceDeployV2, serviceInstanceRedeploy,
// deploymentStop, deploymentRemove, serviceDelete.
//
// State follows Railway's behaviour where the provisioner depends on it:
// serviceCreate with `source.image` deploys at once; variableCollectionUpsert
// without `skipDeploys: true` redeploys a service that has deployments;
// serviceCreate is not idempotent (same name, second service); one volume per
// service; serviceDelete leaves the service's volume behind, detached; a
// deployment snapshots the image, start command and variables it started
// with; a deployment of a service without an image ends FAILED.

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

struct FakeRailwayService {
  std::string id, name, image, start_command;
  std::map<std::string, std::string> variables;
};

struct FakeRailwayVolume {
  std::string id, service_id /* empty: detached */, environment_id, mount_path;
};

struct FakeRailwayDomain {
  std::string id, service_id, environment_id, domain;
  std::int64_t target_port = 0;
};

struct FakeRailwayDeployment {
  std::string id, service_id, status;  // status as last reported
  std::string image, start_command;    // what it started with
  std::map<std::string, std::string> variables;
};

/// One top-level field of one request, as the fake understood it.
struct FakeRailwayOperation {
  std::string field;              // "serviceCreate", "project", …
  boost::json::object arguments;  // the field's arguments, variables substituted
  bool accepted = true;           // false: answered with an error
  std::string error;              // the first error's message when not accepted
};

/// How deployments created from now on end.
struct FakeDeployOutcome {
  std::string final_status = "SUCCESS";  // FAILED, CRASHED, SLEEPING, …; "DEPLOYING": never finishes
  int polls_before_final = 0;            // status reads (deployment, serviceInstance) answered DEPLOYING first
};

struct FakeRailwayConfig {
  std::string token = "railway-test-token-0123456789";  // accepted as `Authorization: Bearer <token>`
  std::string project_token;                            // if set, accepted as `Project-Access-Token`
  std::string project_id = "proj-5b1c2f0e";
  std::string environment_id = "env-9d3a7c41";
};

class FakeRailway {
 public:
  FakeRailway() : FakeRailway(FakeRailwayConfig{}) {}
  explicit FakeRailway(FakeRailwayConfig config);  // binds 127.0.0.1:0, serves on its own thread
  ~FakeRailway();                                  // stops at once, delays included, and joins
  FakeRailway(const FakeRailway&) = delete;
  FakeRailway& operator=(const FakeRailway&) = delete;

  /// "http://127.0.0.1:PORT/graphql/v2".
  std::string url() const;
  const FakeRailwayConfig& config() const;

  // Faults, thread-safe, for requests that arrive afterwards.
  /// The next `n` requests answer 429 (with `Retry-After: <seconds>` when given).
  void answer_429(int n, std::optional<int> retry_after_seconds);
  /// The next `n` requests answer 502 with the CDN's HTML page.
  void answer_502_html(int n);
  /// The next `times` operations on `field` answer a GraphQL error.
  void fail_field(std::string field, std::string message, std::string code = "INTERNAL_SERVER_ERROR", int times = 1);
  /// The next `n` requests wait `delay` before answering.
  void delay(int n, std::chrono::milliseconds delay);
  void set_deploy_outcome(FakeDeployOutcome outcome);
  /// Sets a deployment's status from now on (a crash of a running cell).
  void set_deployment_status(const std::string& deployment_id, std::string status);
  /// A service that exists before the test (another run created it); returns its id.
  std::string add_service(std::string name);

  // What happened.
  std::vector<FakeRailwayOperation> operations() const;
  /// Accepted operations on `field`.
  std::size_t count(std::string_view field) const;
  std::size_t http_requests() const;
  std::vector<FakeRailwayService> services() const;
  std::optional<FakeRailwayService> service_named(std::string_view name) const;
  std::vector<FakeRailwayVolume> volumes() const;
  std::vector<FakeRailwayDomain> domains() const;
  std::vector<FakeRailwayDeployment> deployments() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace winston::testing
