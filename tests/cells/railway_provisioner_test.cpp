// The Railway backend against the fake Railway GraphQL API: provisioning,
// idempotency and crash safety, new snapshots, failure handling, stop and
// delete; and the fake's own faithfulness to Railway's input validation.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <set>
#include <string>
#include <vector>

#include "cells/railway_provisioner.hpp"
#include "cells/remote_cell.hpp"
#include "http/blocking_client.hpp"
#include "support/fake_railway.hpp"

namespace winston::cells {
namespace {

using testing::FakeDeployOutcome;
using testing::FakeRailway;
using testing::FakeRailwayConfig;

constexpr std::string_view kGatewayToken = "gw-secret-token-7f3a9c0d";
constexpr std::string_view kApiKey = "wk_live_secret_key_51c2aa";

/// Keeps what was saved (the "database") and the notes; can fail saves.
class TestRecorder final : public Recorder {
 public:
  Status save(const ExternalIds& ids) override {
    ++saves;
    if (fail_saves > 0) {
      --fail_saves;
      return Error::unavailable("database unavailable");
    }
    saved = ids;
    return {};
  }
  void note(std::string_view step, std::string_view message) override {
    notes.push_back(std::string(step) + ": " + std::string(message));
  }

  ExternalIds saved;
  std::vector<std::string> notes;
  int fail_saves = 0;
  int saves = 0;
};

CellSpec spec_for(std::int64_t version) {
  CellSpec spec;
  spec.instance_id = "inst-1";
  spec.tenant_id = "tenant-1";
  spec.tenant_slug = "acme-bakery";
  spec.snapshot_version = version;
  spec.files = {{"openclaw.json", "{}"}};
  spec.gateway_token = std::string(kGatewayToken);
  spec.api_key = std::string(kApiKey);
  spec.proxy_url = "https://proxy.winston.test";
  return spec;
}

bool has_secret(std::string_view text) {
  return text.find(kGatewayToken) != std::string_view::npos || text.find(kApiKey) != std::string_view::npos;
}

class RailwayProvisionerTest : public ::testing::Test {
 protected:
  explicit RailwayProvisionerTest(FakeRailwayConfig config = {}) : railway_(std::move(config)) {}

  RailwayOptions options() const {
    RailwayOptions o;
    o.api_url = railway_.url();
    o.token = railway_.config().token;
    o.project_id = railway_.config().project_id;
    o.environment_id = railway_.config().environment_id;
    o.timeout = std::chrono::milliseconds(5'000);
    return o;
  }

  /// ensure_running until it stops progressing (or `max_passes`); the last result.
  Result<Observation> settle(const CellSpec& spec, int max_passes = 8) {
    Result<Observation> last = Error::internal("no pass ran");
    for (int i = 0; i < max_passes; ++i) {
      last = provisioner_.ensure_running(spec, ids_, recorder_);
      if (!last.ok() || last->phase != Phase::kProgressing) break;
    }
    return last;
  }

  /// Neither notes nor saved ids may carry a secret or the token.
  void expect_no_secrets() const {
    for (const auto& note : recorder_.notes) {
      EXPECT_FALSE(has_secret(note)) << note;
      EXPECT_EQ(note.find(railway_.config().token), std::string::npos) << note;
    }
    EXPECT_FALSE(has_secret(boost::json::serialize(recorder_.saved)));
  }

  FakeRailway railway_;
  RailwayProvisioner provisioner_{options()};
  TestRecorder recorder_;
  ExternalIds ids_;
};

TEST_F(RailwayProvisionerTest, ProvisionsOneServiceWithImageCommandVariablesVolumeAndDomain) {
  const auto spec = spec_for(3);
  auto r = settle(spec);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);

  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
  EXPECT_EQ(railway_.count("volumeCreate"), 1u);
  EXPECT_EQ(railway_.count("serviceDomainCreate"), 1u);
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 1u);
  ASSERT_EQ(railway_.services().size(), 1u);
  const auto service = railway_.services().front();
  EXPECT_EQ(service.name, "winston-acme-bakery");
  EXPECT_EQ(service.image, kOpenClawImage);
  EXPECT_EQ(service.start_command, bootstrap_start_command());
  for (const auto& var : remote_cell_environment(spec)) {
    ASSERT_TRUE(service.variables.contains(var.name)) << var.name;
    EXPECT_EQ(service.variables.at(var.name), var.value) << var.name;
  }
  EXPECT_EQ(service.variables.size(), remote_cell_environment(spec).size());
  EXPECT_EQ(service.variables.at("OPENCLAW_GATEWAY_TOKEN"), kGatewayToken);  // the secret reached Railway

  ASSERT_EQ(railway_.volumes().size(), 1u);
  EXPECT_EQ(railway_.volumes().front().mount_path, "/data");
  EXPECT_EQ(railway_.volumes().front().service_id, service.id);
  ASSERT_EQ(railway_.domains().size(), 1u);
  EXPECT_EQ(railway_.domains().front().target_port, 8080);

  // The one deployment started with everything in place.
  ASSERT_EQ(railway_.deployments().size(), 1u);
  EXPECT_EQ(railway_.deployments().front().variables.at("WINSTON_SNAPSHOT_VERSION"), "3");
  EXPECT_EQ(railway_.deployments().front().start_command, bootstrap_start_command());

  // The variables went with replace and skipDeploys, so no deploy of their own.
  for (const auto& op : railway_.operations()) {
    if (op.field != "variableCollectionUpsert") continue;
    EXPECT_TRUE(op.arguments.at("input").at("replace").as_bool());
    EXPECT_TRUE(op.arguments.at("input").at("skipDeploys").as_bool());
  }
  expect_no_secrets();
}

// The fake validates like Railway (types copied from Railway's published
// schema), so a run through every path that no operation was refused shows
// that each of the provisioner's documents is valid there.
TEST_F(RailwayProvisionerTest, EveryDocumentTheProvisionerSendsIsValid) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  ASSERT_TRUE(settle(spec_for(4)).ok());
  ASSERT_TRUE(provisioner_.ensure_stopped(spec_for(0), ids_, recorder_).ok());
  ASSERT_TRUE(provisioner_.ensure_deleted(spec_for(0), ids_, recorder_).ok());

  std::set<std::string> fields;
  for (const auto& op : railway_.operations()) {
    EXPECT_TRUE(op.accepted) << op.field << ": " << op.error;
    fields.insert(op.field);
  }
  const std::set<std::string> all_fourteen = {
      "project",         "serviceCreate", "serviceInstanceUpdate", "variableCollectionUpsert", "environment",
      "volumeCreate",    "domains",       "serviceDomainCreate",   "serviceInstanceDeployV2",  "deployment",
      "deployments",     "deploymentRemove", "volumeDelete",       "serviceDelete"};
  EXPECT_EQ(fields, all_fourteen);
}

TEST_F(RailwayProvisionerTest, ReadyReportsHttpsUrlAndVersionAndSavesIds) {
  auto r = settle(spec_for(3));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->phase, Phase::kReady);
  EXPECT_EQ(r->url, "https://" + railway_.domains().front().domain);
  EXPECT_EQ(r->deployed_version, 3);
  EXPECT_EQ(recorder_.saved.at("service_id").as_string(), railway_.services().front().id);
  EXPECT_EQ(recorder_.saved.at("volume_id").as_string(), railway_.volumes().front().id);
  EXPECT_EQ(recorder_.saved.at("deployment_id").as_string(), railway_.deployments().front().id);
  EXPECT_EQ(recorder_.saved.at("deployed_version").as_int64(), 3);
}

TEST_F(RailwayProvisionerTest, PassWhenReadyOnlyReadsStatus) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  const auto before = railway_.operations().size();
  auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);
  const auto ops = railway_.operations();
  ASSERT_EQ(ops.size(), before + 1);
  EXPECT_EQ(ops.back().field, "deployment");
}

TEST_F(RailwayProvisionerTest, NewSnapshotUpsertsVariablesAndRedeploysWithoutNewService) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  auto r = settle(spec_for(4));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);
  EXPECT_EQ(r->deployed_version, 4);
  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
  EXPECT_EQ(railway_.count("volumeCreate"), 1u);
  EXPECT_EQ(railway_.count("serviceDomainCreate"), 1u);
  EXPECT_EQ(railway_.count("variableCollectionUpsert"), 2u);
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 2u);
  EXPECT_EQ(railway_.services().front().variables.at("WINSTON_SNAPSHOT_VERSION"), "4");
  const auto deployments = railway_.deployments();
  ASSERT_EQ(deployments.size(), 2u);
  EXPECT_EQ(deployments.back().variables.at("WINSTON_SNAPSHOT_VERSION"), "4");
  EXPECT_EQ(deployments.back().status, "SUCCESS");
  EXPECT_EQ(deployments.front().status, "REMOVED");  // replaced by the new one
}

TEST_F(RailwayProvisionerTest, CrashBeforeServiceIdWasSavedFindsServiceByName) {
  recorder_.fail_saves = 1;  // the save right after serviceCreate fails: the worker "dies"
  auto first = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
  EXPECT_FALSE(recorder_.saved.contains("service_id"));

  ids_ = recorder_.saved;  // a new worker starts from what was persisted
  auto r = settle(spec_for(3));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);
  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
  EXPECT_EQ(railway_.services().size(), 1u);
  EXPECT_EQ(recorder_.saved.at("service_id").as_string(), railway_.services().front().id);
}

TEST_F(RailwayProvisionerTest, CrashAfterVolumeCreateFindsTheVolume) {
  ASSERT_TRUE(railway_.count("volumeCreate") == 0);
  // Let the pass run until the volume exists, then lose the ids saved since.
  recorder_.fail_saves = 0;
  auto first = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(railway_.volumes().size(), 1u);
  ids_ = recorder_.saved;
  ids_.erase("volume_id");
  ids_.erase("domain");
  auto r = settle(spec_for(3));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(railway_.count("volumeCreate"), 1u);
  EXPECT_EQ(railway_.count("serviceDomainCreate"), 1u);
  EXPECT_EQ(ids_.at("volume_id").as_string(), railway_.volumes().front().id);
}

TEST_F(RailwayProvisionerTest, ServiceDeletedByHandIsCreatedAgain) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  http::BlockingRequest req;
  req.method = "POST";
  req.url = railway_.url();
  req.headers = {{"Authorization", "Bearer " + railway_.config().token}, {"Content-Type", "application/json"}};
  req.body = R"({"query":"mutation { serviceDelete(id: \")" + railway_.services().front().id + R"(\") }"})";
  ASSERT_TRUE(http::blocking_call(req).ok());
  ASSERT_TRUE(railway_.services().empty());

  auto gone = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kUnavailable);
  auto r = settle(spec_for(3));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);
  EXPECT_EQ(railway_.services().size(), 1u);
}

TEST_F(RailwayProvisionerTest, FailedDeploymentIsFailedThenRedeployed) {
  railway_.set_deploy_outcome({"FAILED", 0});
  auto r = settle(spec_for(3));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kFailed);
  EXPECT_NE(r->message.find("FAILED"), std::string::npos) << r->message;
  EXPECT_FALSE(recorder_.saved.contains("deployment_id"));

  railway_.set_deploy_outcome({"SUCCESS", 0});
  auto again = settle(spec_for(3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kReady);
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 2u);
  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
}

TEST_F(RailwayProvisionerTest, CrashedRunningCellIsFailedThenRedeployed) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  railway_.set_deployment_status(railway_.deployments().front().id, "CRASHED");
  auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kFailed);
  EXPECT_NE(r->message.find("CRASHED"), std::string::npos);
  auto again = settle(spec_for(3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kReady);
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 2u);
}

TEST_F(RailwayProvisionerTest, NeverReadyStaysProgressingWithOneDeploy) {
  railway_.set_deploy_outcome({"DEPLOYING", 0});
  for (int i = 0; i < 5; ++i) {
    auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->phase, Phase::kProgressing);
  }
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 1u);
  EXPECT_EQ(railway_.count("deployment"), 5u);
}

TEST_F(RailwayProvisionerTest, ReadyAfterSomeStatusPolls) {
  railway_.set_deploy_outcome({"SUCCESS", 2});
  std::vector<Phase> phases;
  for (int i = 0; i < 3; ++i) {
    auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    phases.push_back(r->phase);
  }
  EXPECT_EQ(phases, (std::vector<Phase>{Phase::kProgressing, Phase::kProgressing, Phase::kReady}));
}

TEST_F(RailwayProvisionerTest, StopRemovesTheDeploymentAndKeepsTheRest) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  auto r = provisioner_.ensure_stopped(spec_for(0), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kStopped);
  EXPECT_EQ(railway_.count("deploymentRemove"), 1u);
  EXPECT_EQ(railway_.deployments().front().status, "REMOVED");
  EXPECT_EQ(railway_.services().size(), 1u);
  EXPECT_EQ(railway_.volumes().size(), 1u);
  EXPECT_FALSE(railway_.services().front().variables.empty());

  // Running again deploys the same service again.
  auto again = settle(spec_for(3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kReady);
  EXPECT_EQ(railway_.count("serviceInstanceDeployV2"), 2u);
  EXPECT_EQ(railway_.count("serviceCreate"), 1u);
}

TEST_F(RailwayProvisionerTest, StopWithoutServiceIsStopped) {
  auto r = provisioner_.ensure_stopped(spec_for(0), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kStopped);
  EXPECT_EQ(railway_.count("serviceCreate"), 0u);
}

TEST_F(RailwayProvisionerTest, DeleteRemovesServiceAndVolumeAndRepeats) {
  ASSERT_TRUE(settle(spec_for(3)).ok());
  auto r = provisioner_.ensure_deleted(spec_for(0), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kGone);
  EXPECT_TRUE(railway_.services().empty());
  EXPECT_TRUE(railway_.volumes().empty());
  EXPECT_TRUE(railway_.domains().empty());
  EXPECT_TRUE(recorder_.saved.empty());

  auto again = provisioner_.ensure_deleted(spec_for(0), ids_, recorder_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->phase, Phase::kGone);
  EXPECT_EQ(railway_.count("serviceDelete"), 1u);
}

TEST_F(RailwayProvisionerTest, DeleteWithStaleIdsTreatsMissingAsDeleted) {
  ids_["service_id"] = "s-gone";
  ids_["volume_id"] = "v-gone";
  auto r = provisioner_.ensure_deleted(spec_for(0), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kGone);
  EXPECT_TRUE(ids_.empty());
}

TEST_F(RailwayProvisionerTest, RateLimitIsProgressingWithRetryAfter) {
  railway_.answer_429(1, 17);
  auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kProgressing);
  EXPECT_EQ(r->recheck_after, std::chrono::seconds(17));
  EXPECT_EQ(railway_.count("serviceCreate"), 0u);
}

TEST_F(RailwayProvisionerTest, RateLimitWithoutRetryAfterWaitsThirtySeconds) {
  railway_.answer_429(1, std::nullopt);
  auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kProgressing);
  EXPECT_EQ(r->recheck_after, std::chrono::seconds(30));
}

TEST_F(RailwayProvisionerTest, CdnHtml502IsUnavailable) {
  railway_.answer_502_html(1);
  auto r = provisioner_.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("502"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("<html"), std::string::npos) << r.error().message;
  // The next pass goes on.
  EXPECT_EQ(settle(spec_for(3))->phase, Phase::kReady);
}

TEST_F(RailwayProvisionerTest, GraphqlValidationErrorCarriesTheMessage) {
  railway_.fail_field("volumeCreate", "Mount path /data is reserved", "BAD_USER_INPUT");
  auto r = settle(spec_for(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidField);
  EXPECT_NE(r.error().message.find("Mount path /data is reserved"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("volumeCreate"), std::string::npos) << r.error().message;
}

TEST_F(RailwayProvisionerTest, GraphqlServerErrorIsUnavailable) {
  railway_.fail_field("serviceInstanceDeployV2", "Problem processing request", "INTERNAL_SERVER_ERROR");
  auto r = settle(spec_for(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Problem processing request"), std::string::npos);
}

TEST_F(RailwayProvisionerTest, SecretsEchoedByTheApiAreRedacted) {
  railway_.fail_field("variableCollectionUpsert",
                      "Variable \"$input\" got invalid value {\"OPENCLAW_GATEWAY_TOKEN\":\"" + std::string(kGatewayToken) +
                          "\"}; Expected type \"EnvironmentVariables\".",
                      "BAD_USER_INPUT");
  auto r = settle(spec_for(3));
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(has_secret(r.error().message)) << r.error().message;
  EXPECT_NE(r.error().message.find("[redacted]"), std::string::npos) << r.error().message;
  expect_no_secrets();
}

TEST_F(RailwayProvisionerTest, TimeoutIsUnavailable) {
  auto options = this->options();
  options.timeout = std::chrono::milliseconds(300);
  RailwayProvisioner impatient(options);
  railway_.delay(1, std::chrono::milliseconds(3'000));
  auto r = impatient.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST_F(RailwayProvisionerTest, BadTokenIsAClearError) {
  auto options = this->options();
  options.token = "wrong-token-value-123";
  RailwayProvisioner wrong(options);
  auto r = wrong.ensure_running(spec_for(3), ids_, recorder_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message.find("Not Authorized"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-token-value-123"), std::string::npos);
  EXPECT_TRUE(railway_.services().empty());
}

class RailwayProjectTokenTest : public RailwayProvisionerTest {
 protected:
  RailwayProjectTokenTest() : RailwayProvisionerTest(FakeRailwayConfig{"", "project-token-abc123", "proj-1", "env-1"}) {}
};

TEST_F(RailwayProjectTokenTest, ProjectTokenGoesInProjectAccessTokenHeader) {
  auto options = this->options();
  options.token = railway_.config().project_token;
  options.project_token = true;
  RailwayProvisioner scoped(options);
  ids_ = {};
  Result<Observation> r = Error::internal("not run");
  for (int i = 0; i < 5 && (!r.ok() || r->phase == Phase::kProgressing); ++i) r = scoped.ensure_running(spec_for(1), ids_, recorder_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->phase, Phase::kReady);
}

// ---------------------------------------------------------------------------
// The fake answers like Railway: what the real API rejects, it rejects.

class RailwayFakeTest : public ::testing::Test {
 protected:
  boost::json::object post(const std::string& query, const boost::json::object& variables, bool auth = true) {
    http::BlockingRequest req;
    req.method = "POST";
    req.url = railway_.url();
    req.headers = {{"Content-Type", "application/json"}};
    if (auth) req.headers.emplace_back("Authorization", "Bearer " + railway_.config().token);
    req.body = boost::json::serialize(boost::json::object{{"query", query}, {"variables", variables}});
    auto res = http::blocking_call(req);
    EXPECT_TRUE(res.ok());
    if (!res.ok()) return {};
    EXPECT_EQ(res->status, 200u);
    return boost::json::parse(res->body).as_object();
  }

  static std::string first_error(const boost::json::object& answer) {
    const auto* errors = answer.if_contains("errors");
    if (errors == nullptr || errors->as_array().empty()) return {};
    return std::string(errors->as_array().front().at("message").as_string());
  }

  /// Railway's answer to a document that fails validation: HTTP 200, no
  /// data, `errors[]` whose first entry carries `message` and the code.
  static void expect_invalid(const boost::json::object& answer, const std::string& message) {
    EXPECT_EQ(first_error(answer), message);
    const auto* data = answer.if_contains("data");
    EXPECT_TRUE(data == nullptr || data->is_null());
    const auto* errors = answer.if_contains("errors");
    ASSERT_TRUE(errors != nullptr && errors->is_array() && !errors->as_array().empty());
    EXPECT_EQ(errors->as_array().front().at("extensions").at("code"), "GRAPHQL_VALIDATION_FAILED");
  }

  static bool has_data(const boost::json::object& answer) {
    return answer.contains("data") && answer.at("data").is_object() && !answer.contains("errors");
  }

  boost::json::object create_service(const std::string& name) {
    return post("mutation C($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }",
                {{"input", {{"projectId", railway_.config().project_id}, {"name", name}}}});
  }

  FakeRailway railway_;
  const std::string create_ = "mutation C($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }";
};

TEST_F(RailwayFakeTest, RejectsAMissingRequiredInputField) {
  const auto answer = post(create_, {{"input", {{"projectId", railway_.config().project_id}}}});
  EXPECT_NE(first_error(answer).find("Field \"mountPath\" of required type \"String!\" was not provided"), std::string::npos)
      << first_error(answer);
  EXPECT_EQ(railway_.count("volumeCreate"), 0u);
}

TEST_F(RailwayFakeTest, RejectsAnUnknownInputField) {
  const auto answer = post(create_, {{"input", {{"projectId", railway_.config().project_id}, {"mountPath", "/data"}, {"size", 5}}}});
  EXPECT_NE(first_error(answer).find("Field \"size\" is not defined by type \"VolumeCreateInput\""), std::string::npos)
      << first_error(answer);
}

TEST_F(RailwayFakeTest, RejectsAWrongJsonType) {
  const auto answer = post("mutation D($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { domain } }",
                           {{"input", {{"environmentId", "e"}, {"serviceId", "s"}, {"targetPort", "8080"}}}});
  EXPECT_NE(first_error(answer).find("Int cannot represent non-integer value"), std::string::npos) << first_error(answer);
  EXPECT_NE(first_error(answer).find("input.targetPort"), std::string::npos) << first_error(answer);
}

TEST_F(RailwayFakeTest, RejectsUnknownFieldsArgumentsAndSelections) {
  EXPECT_NE(first_error(post("mutation { serviceCreate(input: {projectId: \"p\"}) { id colour } }", {}))
                .find("Cannot query field \"colour\" on type \"Service\""),
            std::string::npos);
  EXPECT_NE(first_error(post("mutation { deploymentStop(id: \"d\", force: true) }", {})).find("Unknown argument \"force\""),
            std::string::npos);
  EXPECT_NE(first_error(post("query { serviceCreate(input: {projectId: \"p\"}) { id } }", {}))
                .find("Cannot query field \"serviceCreate\" on type \"Query\""),
            std::string::npos);
  EXPECT_EQ(railway_.count("serviceCreate"), 0u);
}

TEST_F(RailwayFakeTest, RequiresTheToken) {
  const auto answer = post("query P($id: String!) { project(id: $id) { id } }", {{"id", railway_.config().project_id}}, false);
  EXPECT_EQ(first_error(answer), "Not Authorized");
  EXPECT_TRUE(answer.at("data").is_null());
}

TEST_F(RailwayFakeTest, ServiceCreateIsNotIdempotentAndAnswersOnlyTheSelection) {
  const std::string q = "mutation C($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }";
  const boost::json::object vars{{"input", {{"projectId", railway_.config().project_id}, {"name", "twin"}}}};
  const auto a = post(q, vars);
  const auto b = post(q, vars);
  EXPECT_EQ(railway_.services().size(), 2u);
  EXPECT_EQ(a.at("data").at("serviceCreate").as_object().size(), 1u);  // only `id` was asked for
  EXPECT_NE(a.at("data").at("serviceCreate").at("id"), b.at("data").at("serviceCreate").at("id"));
}

TEST_F(RailwayFakeTest, RejectsAVariableOfTheWrongTypeInsideAnInputObject) {
  expect_invalid(post("mutation V($p: Int!) { volumeCreate(input: {projectId: $p, mountPath: \"/data\"}) { id } }", {{"p", 5}}),
                 "Variable \"$p\" of type \"Int!\" used in position expecting type \"String!\".");
  // A nullable variable may not fill a required input field either.
  expect_invalid(post("mutation V($p: String) { volumeCreate(input: {projectId: $p, mountPath: \"/data\"}) { id } }",
                      {{"p", railway_.config().project_id}}),
                 "Variable \"$p\" of type \"String\" used in position expecting type \"String!\".");
  expect_invalid(post("query D($s: [String!]) { deployments(input: {status: {in: $s}}) { edges { node { id } } } }", {}),
                 "Variable \"$s\" of type \"[String!]\" used in position expecting type \"[DeploymentStatus!]\".");
  EXPECT_EQ(railway_.count("volumeCreate"), 0u);
  EXPECT_TRUE(has_data(post("mutation V($p: String!) { volumeCreate(input: {projectId: $p, mountPath: \"/data\"}) { id } }",
                            {{"p", railway_.config().project_id}})));
}

TEST_F(RailwayFakeTest, TreatsEnumsStrictly) {
  expect_invalid(post("query { deployments(input: {status: {in: [\"SUCCESS\"]}}) { edges { node { id } } } }", {}),
                 "Enum \"DeploymentStatus\" cannot represent non-enum value: \"SUCCESS\". Did you mean the enum value \"SUCCESS\"?");
  expect_invalid(post("query { deployments(input: {status: {in: [DONE]}}) { edges { node { id } } } }", {}),
                 "Value \"DONE\" does not exist in \"DeploymentStatus\" enum.");
  expect_invalid(post("query { deployment(id: SUCCESS) { id } }", {}), "String cannot represent a non string value: SUCCESS");
  EXPECT_TRUE(has_data(post("query { deployments(input: {status: {in: [SUCCESS, SLEEPING]}}) { edges { node { id } } } }", {})));
  // In variables an enum value is a JSON string, as the GraphQL spec has it.
  const std::string by_status = "query D($s: [DeploymentStatus!]) { deployments(input: {status: {in: $s}}) { edges { node { id } } } }";
  EXPECT_TRUE(has_data(post(by_status, {{"s", boost::json::array{"SUCCESS"}}})));
  EXPECT_NE(first_error(post(by_status, {{"s", boost::json::array{"DONE"}}}))
                .find("Value \"DONE\" does not exist in \"DeploymentStatus\" enum."),
            std::string::npos);
}

TEST_F(RailwayFakeTest, KnowsNoServiceVariablesType) {
  expect_invalid(post("mutation U($v: ServiceVariables!) { variableCollectionUpsert(input: {projectId: \"p\", "
                      "environmentId: \"e\", variables: $v}) }",
                      {{"v", {{"A", "1"}}}}),
                 "Unknown type \"ServiceVariables\".");
  EXPECT_EQ(railway_.count("variableCollectionUpsert"), 0u);
}

TEST_F(RailwayFakeTest, AllowsPaginationOnlyWhereTheSchemaHasIt) {
  expect_invalid(post("query { deployment(id: \"d\") { id status(first: 1) } }", {}),
                 "Unknown argument \"first\" on field \"Deployment.status\".");
  expect_invalid(post("query { domains(projectId: \"p\", environmentId: \"e\", serviceId: \"s\", after: \"c\") "
                      "{ serviceDomains { id } } }",
                      {}),
                 "Unknown argument \"after\" on field \"Query.domains\".");
  const auto page = post("query P($id: String!) { project(id: $id) { services(first: 5, after: \"c\") "
                         "{ edges { node { id } } pageInfo { hasNextPage } } } }",
                         {{"id", railway_.config().project_id}});
  EXPECT_TRUE(has_data(page)) << boost::json::serialize(page);
}

TEST_F(RailwayFakeTest, SpreadsNamedAndInlineFragments) {
  create_service("frag");
  const auto named = post("query P($id: String!) { project(id: $id) { ...Names } } "
                          "fragment Names on Project { services { edges { node { id ...ServiceName } } } } "
                          "fragment ServiceName on Service { name }",
                          {{"id", railway_.config().project_id}});
  ASSERT_TRUE(has_data(named)) << boost::json::serialize(named);
  const auto& node = named.at("data").at("project").at("services").at("edges").as_array().at(0).at("node").as_object();
  EXPECT_EQ(node.at("name"), "frag");
  EXPECT_TRUE(node.contains("id"));

  const auto inline_fragment = post("query P($id: String!) { project(id: $id) { ... on Project { id } name } }",
                                    {{"id", railway_.config().project_id}});
  ASSERT_TRUE(has_data(inline_fragment)) << boost::json::serialize(inline_fragment);
  EXPECT_EQ(inline_fragment.at("data").at("project").at("id").as_string(), railway_.config().project_id);

  expect_invalid(post("query { project(id: \"p\") { ...Missing } }", {}), "Unknown fragment \"Missing\".");
  expect_invalid(post("query { project(id: \"p\") { ...S } } fragment S on Service { id }", {}),
                 "Fragment \"S\" cannot be spread here as objects of type \"Project\" can never be of type \"Service\".");
  expect_invalid(post("query { project(id: \"p\") { id } } fragment Unused on Project { id }", {}),
                 "Fragment \"Unused\" is never used.");
}

TEST_F(RailwayFakeTest, AcceptsTheRealInputFields) {
  const auto volume = post(create_, {{"input", {{"projectId", railway_.config().project_id}, {"mountPath", "/data"}, {"region", "us-west2"}}}});
  EXPECT_TRUE(has_data(volume)) << boost::json::serialize(volume);
  const auto service = post("mutation C($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }",
                            {{"input", {{"projectId", railway_.config().project_id}, {"templateId", "t"}, {"templateServiceId", "ts"}}}});
  EXPECT_TRUE(has_data(service)) << boost::json::serialize(service);
  const auto id = std::string(service.at("data").at("serviceCreate").at("id").as_string());
  const auto update = post("mutation U($id: String!) { serviceInstanceUpdate(serviceId: $id, input: "
                           "{dockerfilePath: \"Dockerfile\", overlapSeconds: 5, restartPolicyType: ON_FAILURE}) }",
                           {{"id", id}});
  EXPECT_TRUE(has_data(update)) << boost::json::serialize(update);
}

TEST_F(RailwayFakeTest, AnswersVolumeInstancesPerEnvironment) {
  const auto service = create_service("vol");
  const auto id = std::string(service.at("data").at("serviceCreate").at("id").as_string());
  post(create_, {{"input", {{"projectId", railway_.config().project_id}, {"mountPath", "/data"}, {"serviceId", id}}}});
  const auto answer = post("query E($id: String!) { environment(id: $id) { volumeInstances(first: 10) "
                           "{ edges { node { volumeId serviceId mountPath volume { id } } } } } }",
                           {{"id", railway_.config().environment_id}});
  ASSERT_TRUE(has_data(answer)) << boost::json::serialize(answer);
  const auto& node = answer.at("data").at("environment").at("volumeInstances").at("edges").as_array().at(0).at("node");
  EXPECT_EQ(node.at("serviceId").as_string(), id);
  EXPECT_EQ(node.at("mountPath"), "/data");
  EXPECT_EQ(node.at("volumeId"), node.at("volume").at("id"));
}

}  // namespace
}  // namespace winston::cells
